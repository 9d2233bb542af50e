//! [`SimNode`]: one node of the simulation — a ledger, an observation buffer, direct trust and a
//! vote book, driven by messages and timers in virtual time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use ramjet_accel::{Accelerator, MerkleLeaves};

use super::byzantine::{ByzantineState, Role};
use super::{Envelope, NodeConfig};
use crate::Result;
use crate::consensus::{Ballot, ConsensusConfig, Decision, Ingested, Message, VoteBook, decide};
use crate::identity::{Identity, NodeId};
use crate::ledger::{Genesis, Ledger, LedgerEvent, RejectReason, Submission};
use crate::observe::{Evidence, Observation, ObservationBuffer, RootHeader, SignedRoot, TxState};
use crate::storage::MemoryStore;
use crate::trust::{Behaviour, DirectTrust};
use crate::tx::{OutPoint, TxHash};

/// Where a node sends a message.
#[derive(Clone, Debug)]
pub(crate) enum Outgoing {
    /// To every other node.
    All(Arc<Envelope>),
    /// To the nodes listed (by index).
    To(Vec<usize>, Arc<Envelope>),
}

/// Counters of one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeCounters {
    /// Transactions this node committed.
    pub accepted: u64,
    /// Transactions this node rejected.
    pub rejected: u64,
    /// Conflicts this node decided.
    pub conflicts_resolved: u64,
    /// Roots this node flushed and gossiped.
    pub roots: u64,
}

/// One simulated node.
pub struct SimNode {
    index: usize,
    identity: Identity,
    role: Role,
    ledger: Ledger,
    accel: Arc<Accelerator>,
    buffer: ObservationBuffer,
    trust: DirectTrust<NodeId>,
    votes: VoteBook,
    consensus: ConsensusConfig,
    flush_interval_ms: u64,
    next_flush_ms: u64,
    /// Ids of every message handled, for deduplication.
    seen: HashSet<[u8; 32]>,
    /// Transactions submitted but not yet relayed: relayed when they turn Pending.
    to_relay: HashMap<TxHash, Arc<Envelope>>,
    /// Transactions this node signed a Pending observation of.
    observed_pending: HashSet<TxHash>,
    /// Transactions this node signed a Conflicted observation of.
    observed_conflicted: HashSet<TxHash>,
    /// Decisions taken: outpoint → the decision (winner and support).
    decisions: BTreeMap<OutPoint, Decision>,
    counters: NodeCounters,
    byzantine: ByzantineState,
    peers: usize,
}

impl SimNode {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        index: usize,
        identity: Identity,
        role: Role,
        accel: Arc<Accelerator>,
        genesis: &Genesis,
        config: &NodeConfig,
        peers: usize,
        first_flush_ms: u64,
    ) -> Result<Self> {
        let store = Arc::new(MemoryStore::new(&format!("sim-{}", genesis.chain_id)));
        let ledger = Ledger::open(store, accel.clone(), genesis, config.ledger.clone())?;
        Ok(Self {
            index,
            identity,
            role,
            ledger,
            accel,
            buffer: ObservationBuffer::new(),
            trust: DirectTrust::new(config.trust.clone())?,
            votes: VoteBook::new(),
            consensus: config.consensus.clone(),
            flush_interval_ms: config.flush_interval_ms,
            next_flush_ms: first_flush_ms,
            seen: HashSet::new(),
            to_relay: HashMap::new(),
            observed_pending: HashSet::new(),
            observed_conflicted: HashSet::new(),
            decisions: BTreeMap::new(),
            counters: NodeCounters::default(),
            byzantine: ByzantineState::default(),
            peers,
        })
    }

    /// The node's index in the simulation.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The node's id.
    pub fn id(&self) -> NodeId {
        self.identity.node_id()
    }

    /// The node's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The node's ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The node's vote book (peers' chains, convictions and their evidence).
    pub fn votes(&self) -> &VoteBook {
        &self.votes
    }

    /// The node's direct trust table.
    pub fn trust(&self) -> &DirectTrust<NodeId> {
        &self.trust
    }

    /// The node's own observation buffer (its signed chain).
    pub fn observations(&self) -> &ObservationBuffer {
        &self.buffer
    }

    /// Conflicts decided: outpoint → the decision (winner and every spender's support).
    pub fn decisions(&self) -> &BTreeMap<OutPoint, Decision> {
        &self.decisions
    }

    /// The node's counters.
    pub fn counters(&self) -> NodeCounters {
        self.counters
    }

    /// The earliest virtual time at which the node has work: the ledger's next deadline, the
    /// next flush, or the next conflict decision.
    pub(crate) fn next_wake(&self) -> u64 {
        let mut wake = self.next_flush_ms;
        if let Some(d) = self.ledger.next_deadline() {
            wake = wake.min(d);
        }
        for c in self.ledger.conflicts() {
            wake = wake.min(c.detected_ms + self.consensus.conflict_window_ms);
        }
        wake
    }

    /// A transaction from a client (over the API: reliable, not gossip).
    pub(crate) fn on_client_tx(&mut self, envelope: Arc<Envelope>, now_ms: u64) {
        if let Message::Tx(tx) = &envelope.message
            && self.seen.insert(envelope.id.0)
            && matches!(self.ledger.submit(tx.clone(), now_ms), Submission::Queued)
            && !self.byzantine.no_relay.contains(&TxHash(envelope.id.0))
        {
            self.to_relay.insert(TxHash(envelope.id.0), envelope);
        }
    }

    /// A gossip message from node `from`.
    pub(crate) fn on_message(
        &mut self,
        from: NodeId,
        envelope: Arc<Envelope>,
        now_ms: u64,
    ) -> Result<Vec<Outgoing>> {
        let mut out = Vec::new();
        if !self.seen.insert(envelope.id.0) {
            // A copy of a message already handled (invalid roots are not remembered, below).
            self.trust.record(from, Behaviour::Valid, now_ms);
            return Ok(out);
        }
        match &envelope.message {
            Message::Tx(tx) => {
                let hash = TxHash(envelope.id.0);
                match self.ledger.submit(tx.clone(), now_ms) {
                    Submission::Queued => {
                        self.trust.record(from, Behaviour::Valid, now_ms);
                        if !self.byzantine.no_relay.contains(&hash) {
                            self.to_relay.insert(hash, envelope.clone());
                        }
                    }
                    Submission::Duplicate => {
                        self.trust.record(from, Behaviour::Valid, now_ms);
                    }
                    Submission::Rejected(
                        RejectReason::Stateless(_) | RejectReason::WrongChain { .. },
                    ) => {
                        self.trust.record(from, Behaviour::Invalid, now_ms);
                    }
                    // Stale (an input already spent here): the relayer may not know yet.
                    Submission::Rejected(_) => {}
                }
            }
            Message::Roots { root, observations } => match self.votes.ingest(root, observations) {
                Err(_) => {
                    // The id is the header hash, which does not cover the observations: a
                    // corrupted copy must not make the genuine one look like a duplicate.
                    self.seen.remove(&envelope.id.0);
                    self.trust.record(from, Behaviour::Invalid, now_ms);
                }
                Ok(Ingested::Duplicate) => {
                    self.trust.record(from, Behaviour::Valid, now_ms);
                }
                Ok(Ingested::New { evidence, .. }) => {
                    self.trust.record(from, Behaviour::Valid, now_ms);
                    self.send_all(&mut out, envelope.clone());
                    for e in evidence {
                        self.convict(e, now_ms, &mut out)?;
                    }
                }
            },
            Message::Evidence(evidence) => match self.votes.convict(evidence) {
                Err(_) => {
                    self.trust.record(from, Behaviour::Invalid, now_ms);
                }
                Ok(None) => {
                    self.trust.record(from, Behaviour::Valid, now_ms);
                }
                Ok(Some(node)) => {
                    self.trust.record(from, Behaviour::Valid, now_ms);
                    self.trust.record(node, Behaviour::Invalid, now_ms);
                    self.send_all(&mut out, envelope.clone());
                }
            },
        }
        Ok(out)
    }

    /// Convicts on evidence this node found itself, and gossips the evidence if the conviction
    /// is new.
    fn convict(&mut self, evidence: Evidence, now_ms: u64, out: &mut Vec<Outgoing>) -> Result<()> {
        if let Some(node) = self.votes.convict(&evidence)? {
            self.trust.record(node, Behaviour::Invalid, now_ms);
            let envelope = Envelope::new(Message::Evidence(Box::new(evidence)));
            self.seen.insert(envelope.id.0);
            self.send_all(out, envelope);
        }
        Ok(())
    }

    /// Queues a message for every other node.
    fn send_all(&mut self, out: &mut Vec<Outgoing>, envelope: Arc<Envelope>) {
        out.push(Outgoing::All(envelope));
    }

    /// Does all work due at `now_ms`: the ledger's tick, conflict decisions, the flush.
    pub(crate) fn on_timer(&mut self, now_ms: u64) -> Result<Vec<Outgoing>> {
        let mut out = Vec::new();
        let events = self.ledger.tick(now_ms)?;
        self.handle_events(events, now_ms, &mut out);
        self.decide_due(now_ms, &mut out)?;
        if now_ms >= self.next_flush_ms {
            self.flush(now_ms, &mut out)?;
            while self.next_flush_ms <= now_ms {
                self.next_flush_ms += self.flush_interval_ms;
            }
        }
        Ok(out)
    }

    fn observe(&mut self, tx: TxHash, state: TxState, now_ms: u64) {
        self.buffer.push(Observation {
            tx,
            state,
            time_ms: now_ms,
        });
    }

    fn handle_events(&mut self, events: Vec<LedgerEvent>, now_ms: u64, out: &mut Vec<Outgoing>) {
        for event in events {
            match event {
                LedgerEvent::Pending { tx } => {
                    if let Some(envelope) = self.to_relay.remove(&tx) {
                        self.send_all(out, envelope);
                    }
                    // A liar hides what it saw first; it "votes" only when a conflict shows.
                    if self.role != Role::Liar {
                        self.observed_pending.insert(tx);
                        self.observe(tx, TxState::Pending, now_ms);
                    }
                }
                LedgerEvent::Held { .. } => {}
                LedgerEvent::Conflict { outpoint, spenders } => {
                    for s in &spenders {
                        self.to_relay.remove(s);
                    }
                    let first_seen = self
                        .ledger
                        .conflicts()
                        .into_iter()
                        .find(|c| c.outpoint == outpoint)
                        .map(|c| c.first_seen);
                    let vote = match (self.role, first_seen) {
                        (Role::Liar, Some(first)) => spenders.iter().copied().find(|s| *s != first),
                        (_, first) => first,
                    };
                    // The vote is the first Pending observation among the spenders; make sure
                    // the chain carries it (a spender first seen in the same batch as its rival
                    // may never have been reported Pending).
                    if let Some(v) = vote
                        && !self.observed_pending.contains(&v)
                    {
                        self.observed_pending.insert(v);
                        self.observe(v, TxState::Pending, now_ms);
                    }
                    let spenders_copy = spenders.clone();
                    for s in spenders {
                        if self.observed_conflicted.insert(s) {
                            self.observe(s, TxState::Conflicted, now_ms);
                        }
                    }
                    if self.role == Role::Equivocator && self.byzantine.fork.is_none() {
                        self.byzantine.plan_fork(vote, &spenders_copy);
                    }
                }
                LedgerEvent::Accepted { tx } => {
                    self.counters.accepted += 1;
                    self.observe(tx, TxState::Accepted, now_ms);
                    if self.role == Role::Equivocator && !self.byzantine.contradicted {
                        // Sign the opposite final state too: ConflictingStates evidence.
                        self.byzantine.contradicted = true;
                        self.observe(tx, TxState::Rejected, now_ms);
                    }
                }
                LedgerEvent::Rejected { tx, .. } => {
                    self.counters.rejected += 1;
                    self.to_relay.remove(&tx);
                    self.observe(tx, TxState::Rejected, now_ms);
                }
            }
        }
    }

    /// The weight of `node` in bands: its direct-trust score capped and quantised, 0 if
    /// convicted. The node's own weight is that of a peer with no record (the initial score).
    pub fn weight(&self, node: &NodeId, now_ms: u64) -> u32 {
        if self.votes.is_convicted(node) {
            0
        } else {
            self.consensus.weight_bands(self.trust.score(node, now_ms))
        }
    }

    fn decide_due(&mut self, now_ms: u64, out: &mut Vec<Outgoing>) -> Result<()> {
        let window = self.consensus.conflict_window_ms;
        let me = self.id();
        // Conflicts are re-read after every decision: resolving one can dissolve another (a
        // loser that also spent a second outpoint is rejected there too).
        let mut tried = std::collections::BTreeSet::new();
        while let Some(conflict) = self
            .ledger
            .conflicts()
            .into_iter()
            .find(|c| c.detected_ms + window <= now_ms && !tried.contains(&c.outpoint))
        {
            tried.insert(conflict.outpoint);
            let mut ballots = self
                .votes
                .ballots(&conflict.spenders, |p| self.weight(p, now_ms));
            ballots.push(Ballot {
                voter: me,
                choice: conflict.first_seen,
                weight: self.weight(&me, now_ms),
            });
            ballots.sort_by_key(|b| b.voter);
            let Some(decision) = decide(&conflict.spenders, &ballots) else {
                continue;
            };
            let winner = decision.winner;
            self.decisions.insert(conflict.outpoint, decision);
            self.counters.conflicts_resolved += 1;
            let events = self
                .ledger
                .resolve_conflict(&conflict.outpoint, &winner, now_ms)?;
            self.handle_events(events, now_ms, out);
        }
        Ok(())
    }

    fn flush(&mut self, now_ms: u64, out: &mut Vec<Outgoing>) -> Result<()> {
        if self.role == Role::Liar && !self.buffer.pending().is_empty() {
            // Claims an observation of a transaction that does not exist.
            let fake = self.byzantine.fake_tx(&self.identity);
            self.observe(fake, TxState::Pending, now_ms);
        }
        let fork = if self.role == Role::Equivocator {
            self.byzantine.fork.take_if(|f| !f.done)
        } else {
            None
        };
        let mut observations = self.buffer.pending().to_vec();
        let mut alternative = None;
        if let Some(mut plan) = fork {
            // Two roots with one sequence: one claims Pending for `a`, the other for `b`.
            plan.done = true;
            let mut other = observations.clone();
            self.observe(plan.a, TxState::Pending, now_ms);
            other.push(Observation {
                tx: plan.b,
                state: TxState::Pending,
                time_ms: now_ms,
            });
            observations = self.buffer.pending().to_vec();
            alternative = Some(other);
            self.byzantine.fork = Some(plan);
        }
        let Some(root) = self.buffer.flush(&self.accel, &self.identity, now_ms)? else {
            return Ok(());
        };
        self.counters.roots += 1;
        let envelope = Envelope::new(Message::Roots { root, observations });
        self.seen.insert(envelope.id.0);
        match alternative {
            None => self.send_all(out, envelope),
            Some(other) => {
                let digests: Vec<[u8; 32]> = other.iter().map(Observation::leaf_digest).collect();
                let tree = self.accel.merkle_sha256(MerkleLeaves::Digests(&digests))?;
                let header = RootHeader {
                    root: tree.root(),
                    leaf_count: other.len() as u32,
                    ..root.header
                };
                let forked = SignedRoot {
                    header,
                    signature: self.identity.sign(&header.signing_message()),
                };
                let twin = Envelope::new(Message::Roots {
                    root: forked,
                    observations: other,
                });
                self.seen.insert(twin.id.0);
                let (first, second) = self.byzantine.halves(self.index, self.peers + 1);
                out.push(Outgoing::To(first, envelope));
                out.push(Outgoing::To(second, twin));
            }
        }
        Ok(())
    }

    /// Marks transactions this (double-spending) node must never relay.
    pub(crate) fn never_relay(&mut self, txs: &[TxHash]) {
        self.byzantine.no_relay.extend(txs.iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tx::{Address, AssetId, Output};

    /// A corrupted copy of a peer's root (same header, other observations: same message id)
    /// delivered first is refused and does not make the genuine copy a duplicate.
    #[test]
    fn a_corrupted_root_does_not_shadow_the_genuine_one() {
        let accel = Arc::new(Accelerator::cpu_only());
        let config = NodeConfig::default();
        let chain_id = config.ledger.chain_id;
        let genesis = Genesis {
            chain_id,
            outputs: vec![Output {
                address: Address::of_public_key(chain_id, &[1; 32]),
                asset: AssetId([1; 32]),
                amount: 10,
                data: None,
                contract: None,
            }],
        };
        let me = Identity::from_secret([1; 32], 0).unwrap();
        let mut node = SimNode::new(
            0,
            me,
            Role::Honest,
            accel.clone(),
            &genesis,
            &config,
            1,
            100,
        )
        .unwrap();
        let peer = Identity::from_secret([2; 32], 0).unwrap();
        let seen = Observation {
            tx: TxHash([5; 32]),
            state: TxState::Pending,
            time_ms: 1,
        };
        let mut buffer = ObservationBuffer::new();
        buffer.push(seen);
        let root = buffer.flush(&accel, &peer, 10).unwrap().unwrap();
        let forged = Observation {
            state: TxState::Accepted,
            ..seen
        };
        let bad = Envelope::new(Message::Roots {
            root,
            observations: vec![forged],
        });
        let good = Envelope::new(Message::Roots {
            root,
            observations: vec![seen],
        });
        assert_eq!(bad.id, good.id);
        assert!(node.on_message(peer.node_id(), bad, 20).unwrap().is_empty());
        assert_eq!(node.on_message(peer.node_id(), good, 21).unwrap().len(), 1);
        assert_eq!(
            node.votes().vote(&peer.node_id(), &[TxHash([5; 32])]),
            Some(TxHash([5; 32]))
        );
    }
}
