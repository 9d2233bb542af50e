//! In-process simulation of N nodes in virtual time: the acceptance harness of conflict
//! resolution.
//!
//! A [`Simulation`] owns N [`SimNode`]s (each a [`crate::protocol::ProtocolNode`], the node's
//! whole protocol logic, with a real [`crate::ledger::Ledger`] on a
//! [`crate::storage::MemoryStore`]; the simulator maps its verdicts to flooding: an accepted
//! message is relayed to every other node), a [`Network`] that delays, drops, duplicates and so
//! reorders messages, and a queue of timers and client submissions. Everything runs on one
//! thread in virtual milliseconds from one seeded ChaCha RNG: the same seed gives the same run,
//! bit for bit (the [`Report`] carries a digest of every delivery).
//!
//! The event loop takes the earliest of: the next message arrival, the next client event, the
//! next node timer (ties in that order). A node's timer is set to its next deadline
//! ([`crate::protocol::ProtocolNode::next_deadline`]) after every event it handles. [`scenario`] builds the standard workload (honest clients'
//! transfers, double-spend attempts, a Byzantine fraction) and checks nothing itself: the tests
//! do. How to run it and every knob are in `docs/consensus.md` ("The simulator").

pub mod byzantine;
pub mod net;
mod node;
pub mod scenario;

pub use byzantine::Role;
pub use net::{Delivery, NetConfig, NetStats, Network};
pub use node::{NodeCounters, SimNode};

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::sync::Arc;

use ramjet_accel::Accelerator;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Result;
use crate::consensus::{ConsensusConfig, Message, MessageId};
use crate::identity::{Identity, NodeId};
use crate::ledger::{Genesis, LedgerConfig};
use crate::trust::DirectTrustConfig;
use crate::tx::{AssetId, Transaction};
use node::Outgoing;

/// Why a simulation could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// Parameters out of range or inconsistent; every violation listed.
    #[error("invalid simulation parameters: {}", violations.join("; "))]
    InvalidParameters {
        /// What is wrong.
        violations: Vec<String>,
    },
}

/// A message with its id computed once (relays deduplicate on it), shared by every copy.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope {
    /// [`Message::id`].
    pub id: MessageId,
    /// The message.
    pub message: Message,
}

impl Envelope {
    /// Wraps `message`, computing its id.
    pub fn new(message: Message) -> Arc<Self> {
        Arc::new(Self {
            id: message.id(),
            message,
        })
    }
}

/// Parameters of every node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// The ledger's (default: quiet period 600 ms, batch deadline 5 ms, chain id 7).
    pub ledger: LedgerConfig,
    /// Conflict resolution's (default: window 800 ms, bands of 0.05).
    pub consensus: ConsensusConfig,
    /// Direct trust's (the seed defaults).
    pub trust: DirectTrustConfig,
    /// How often the observation buffer is flushed and its root gossiped (default 100 ms).
    pub flush_interval_ms: u64,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            ledger: LedgerConfig {
                chain_id: 7,
                quiet_period_ms: 600,
                batch_deadline_ms: 5,
                ..LedgerConfig::default()
            },
            consensus: ConsensusConfig::default(),
            trust: DirectTrustConfig::default(),
            flush_interval_ms: 100,
        }
    }
}

/// Parameters of a simulation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Seed of every random choice (identities, delays, drops, duplicates, flush phases).
    pub seed: u64,
    /// One role per node; the number of nodes is its length.
    pub roles: Vec<Role>,
    /// The message layer.
    pub net: NetConfig,
    /// Every node's parameters.
    pub node: NodeConfig,
}

impl SimConfig {
    /// `nodes` honest nodes with the default parameters.
    pub fn honest(nodes: usize, seed: u64) -> Self {
        Self {
            seed,
            roles: vec![Role::Honest; nodes],
            net: NetConfig::default(),
            node: NodeConfig::default(),
        }
    }

    /// Checks every parameter and the timing constraints (`docs/consensus.md`, "Timings"),
    /// reporting all violations at once:
    /// - quiet period > 2 × max delay + batch deadline (a simultaneous double spend reaches
    ///   every honest node, through one relay, before any of them accepts either side);
    /// - conflict window > flush interval + 3 × max delay + batch deadline (every honest vote
    ///   is signed within one flush of the spender's arrival, which itself takes up to two hops,
    ///   and reaches every node one hop later).
    pub fn validate(&self) -> std::result::Result<(), SimError> {
        let mut v = self.net.violations();
        if self.roles.len() < 2 {
            v.push(format!("{} nodes; at least 2 needed", self.roles.len()));
        }
        if let Err(e) = self.node.ledger.validate() {
            v.push(e.to_string());
        }
        if let Err(e) = self.node.consensus.validate() {
            v.push(e.to_string());
        }
        if let Err(e) = self.node.trust.validate() {
            v.push(e.to_string());
        }
        if self.node.flush_interval_ms == 0 {
            v.push("flush_interval_ms must be positive".to_owned());
        }
        let max = self.net.max_delay_ms;
        let batch = self.node.ledger.batch_deadline_ms;
        let quiet_min = 2 * max + batch;
        if self.node.ledger.quiet_period_ms <= quiet_min {
            v.push(format!(
                "quiet_period_ms {} must exceed 2 × max_delay_ms + batch_deadline_ms = {quiet_min}",
                self.node.ledger.quiet_period_ms
            ));
        }
        let window_min = self.node.flush_interval_ms + 3 * max + batch;
        if self.node.consensus.conflict_window_ms <= window_min {
            v.push(format!(
                "conflict_window_ms {} must exceed flush_interval_ms + 3 × max_delay_ms + \
                 batch_deadline_ms = {window_min}",
                self.node.consensus.conflict_window_ms
            ));
        }
        if v.is_empty() {
            Ok(())
        } else {
            Err(SimError::InvalidParameters { violations: v })
        }
    }
}

/// Who sends the two sides of a double spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DoubleSpendSource {
    /// A (double-spending) node: both sides go over the lossy gossip layer, never relayed by it.
    Node(usize),
    /// A client: each side is submitted over the API (reliably) to the nodes of its half.
    Client,
}

/// Something from outside the network, at a virtual time.
#[derive(Debug)]
enum External {
    /// A client submits a transaction to one node over the API (reliable).
    Submit {
        node: usize,
        envelope: Arc<Envelope>,
    },
    /// Two conflicting transactions, each to one half of the network.
    DoubleSpend {
        source: DoubleSpendSource,
        sides: [(Arc<Envelope>, Vec<usize>); 2],
    },
}

/// What a run produced, per node and overall. Equal reports = equal runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// One entry per node, by index.
    pub nodes: Vec<NodeReport>,
    /// The message layer's counters.
    pub net: NetStats,
    /// Virtual time at the end of the run.
    pub virtual_ms: u64,
    /// Double-spend attempts scheduled.
    pub attempts: u64,
    /// Distinct conflicts (outpoints) decided by at least one honest node.
    pub conflicts_resolved: u64,
    /// SHA-256 over every delivery (time, from, to, message id) in order: the message trace.
    pub trace_digest: [u8; 32],
}

impl Report {
    /// The honest nodes' entries.
    pub fn honest(&self) -> impl Iterator<Item = &NodeReport> {
        self.nodes.iter().filter(|n| n.role.is_honest())
    }
}

/// One node's end state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeReport {
    /// Index in the simulation.
    pub index: usize,
    /// Node id.
    pub id: NodeId,
    /// Role.
    pub role: Role,
    /// [`crate::ledger::Ledger::utxo_digest`].
    pub utxo_digest: [u8; 32],
    /// Number of unspent outputs.
    pub utxos: usize,
    /// [`crate::ledger::Ledger::supply`] (UTXOs plus burnt fees, per asset).
    pub supply: BTreeMap<AssetId, u128>,
    /// Accepted / rejected / decided / roots counters.
    pub counters: NodeCounters,
    /// The nodes it convicted, in id order.
    pub convicted: Vec<NodeId>,
}

/// N nodes, the network between them, and the clock.
pub struct Simulation {
    config: SimConfig,
    nodes: Vec<SimNode>,
    ids: Vec<NodeId>,
    net: Network<Arc<Envelope>>,
    timers: BTreeSet<(u64, usize)>,
    external: BinaryHeap<Reverse<(u64, u64)>>,
    external_events: BTreeMap<u64, External>,
    next_external: u64,
    now_ms: u64,
    trace: Sha256,
    genesis: Genesis,
    attempts: u64,
}

impl Simulation {
    /// Builds the nodes (identities from the seed; each node's first flush at a random phase
    /// within the first interval) on `genesis`.
    pub fn new(config: SimConfig, genesis: Genesis) -> Result<Self> {
        config.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let accel = Arc::new(Accelerator::cpu_only());
        let n = config.roles.len();
        let mut nodes = Vec::with_capacity(n);
        for (index, role) in config.roles.iter().enumerate() {
            let identity = Identity::from_secret(rng.r#gen(), 0)?;
            let first_flush = rng.gen_range(1..=config.node.flush_interval_ms);
            nodes.push(SimNode::new(
                index,
                identity,
                *role,
                accel.clone(),
                &genesis,
                &config.node,
                n - 1,
                first_flush,
            )?);
        }
        let ids = nodes.iter().map(SimNode::id).collect();
        let net = Network::new(config.net.clone(), rng.r#gen())?;
        let mut sim = Self {
            config,
            nodes,
            ids,
            net,
            timers: BTreeSet::new(),
            external: BinaryHeap::new(),
            external_events: BTreeMap::new(),
            next_external: 0,
            now_ms: 0,
            trace: Sha256::new(),
            genesis,
            attempts: 0,
        };
        for i in 0..n {
            sim.schedule(i);
        }
        Ok(sim)
    }

    /// The parameters.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The genesis every node started from.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The nodes, by index.
    pub fn nodes(&self) -> &[SimNode] {
        &self.nodes
    }

    /// The virtual time reached.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// The message layer's counters so far.
    pub fn net_stats(&self) -> NetStats {
        self.net.stats()
    }

    /// A client submits `tx` to node `node` at `at_ms` (over the API: not lost).
    pub fn submit_at(&mut self, at_ms: u64, node: usize, tx: Transaction) {
        let envelope = Envelope::new(Message::Tx(tx));
        self.push_external(at_ms, External::Submit { node, envelope });
    }

    /// At `at_ms`, `a` goes to the nodes in `to_a` and `b` to those in `to_b`, from `source`.
    /// A double-spending node's own transfers are marked never to be relayed by it.
    pub fn double_spend_at(
        &mut self,
        at_ms: u64,
        source: DoubleSpendSource,
        (a, to_a): (Transaction, Vec<usize>),
        (b, to_b): (Transaction, Vec<usize>),
    ) {
        self.attempts += 1;
        let (a, b) = (Envelope::new(Message::Tx(a)), Envelope::new(Message::Tx(b)));
        if let DoubleSpendSource::Node(i) = source {
            self.nodes[i].never_relay(&[crate::tx::TxHash(a.id.0), crate::tx::TxHash(b.id.0)]);
        }
        self.push_external(
            at_ms,
            External::DoubleSpend {
                source,
                sides: [(a, to_a), (b, to_b)],
            },
        );
    }

    fn push_external(&mut self, at_ms: u64, event: External) {
        let seq = self.next_external;
        self.next_external += 1;
        self.external.push(Reverse((at_ms, seq)));
        self.external_events.insert(seq, event);
    }

    fn schedule(&mut self, node: usize) {
        let wake = self.nodes[node].next_wake().max(self.now_ms + 1);
        self.timers.insert((wake, node));
    }

    /// Runs every event up to and including `end_ms`; the clock then reads `end_ms`.
    pub fn run_until(&mut self, end_ms: u64) -> Result<()> {
        loop {
            let t_net = self.net.next_arrival();
            let t_ext = self.external.peek().map(|e| e.0.0);
            let t_timer = self.timers.first().map(|t| t.0);
            let Some(t) = [t_net, t_ext, t_timer].into_iter().flatten().min() else {
                break;
            };
            if t > end_ms {
                break;
            }
            self.now_ms = t;
            if t_net == Some(t) {
                let d = self.net.pop_due(t).expect("a message is due");
                self.trace.update(t.to_le_bytes());
                self.trace.update((d.from as u32).to_le_bytes());
                self.trace.update((d.to as u32).to_le_bytes());
                self.trace.update(d.message.id.0);
                let from = self.ids[d.from];
                let out = self.nodes[d.to].on_message(from, d.message, t)?;
                self.route(d.to, out);
                self.schedule(d.to);
            } else if t_ext == Some(t) {
                let Reverse((_, seq)) = self.external.pop().expect("an event is due");
                let event = self
                    .external_events
                    .remove(&seq)
                    .expect("every queued event is stored");
                self.run_external(event);
            } else {
                let (_, i) = self.timers.pop_first().expect("a timer is due");
                let out = self.nodes[i].on_timer(t)?;
                self.route(i, out);
                self.schedule(i);
            }
        }
        self.now_ms = self.now_ms.max(end_ms);
        Ok(())
    }

    fn run_external(&mut self, event: External) {
        match event {
            External::Submit { node, envelope } => {
                self.nodes[node].on_client_tx(envelope, self.now_ms);
                self.schedule(node);
            }
            External::DoubleSpend { source, sides } => {
                for (envelope, targets) in sides {
                    for to in targets {
                        match source {
                            DoubleSpendSource::Node(from) => {
                                if to != from {
                                    self.net.send(self.now_ms, from, to, envelope.clone());
                                }
                            }
                            DoubleSpendSource::Client => {
                                self.nodes[to].on_client_tx(envelope.clone(), self.now_ms);
                                self.schedule(to);
                            }
                        }
                    }
                }
            }
        }
    }

    fn route(&mut self, from: usize, out: Vec<Outgoing>) {
        for o in out {
            match o {
                Outgoing::All(envelope) => {
                    for to in 0..self.nodes.len() {
                        if to != from {
                            self.net.send(self.now_ms, from, to, envelope.clone());
                        }
                    }
                }
                Outgoing::To(targets, envelope) => {
                    for to in targets {
                        if to != from {
                            self.net.send(self.now_ms, from, to, envelope.clone());
                        }
                    }
                }
            }
        }
    }

    /// Every node's end state, the counters and the trace digest.
    pub fn report(&self) -> Result<Report> {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let ledger = node.ledger();
            nodes.push(NodeReport {
                index: node.index(),
                id: node.id(),
                role: node.role(),
                utxo_digest: ledger.utxo_digest()?,
                utxos: ledger.utxos()?.len(),
                supply: ledger.supply()?,
                counters: node.counters(),
                convicted: node.votes().convicted().keys().copied().collect(),
            });
        }
        let decided: BTreeSet<_> = self
            .nodes
            .iter()
            .filter(|n| n.role().is_honest())
            .flat_map(|n| n.decisions().keys().copied())
            .collect();
        Ok(Report {
            seed: self.config.seed,
            nodes,
            net: self.net.stats(),
            virtual_ms: self.now_ms,
            attempts: self.attempts,
            conflicts_resolved: decided.len() as u64,
            trace_digest: self.trace.clone().finalize().into(),
        })
    }
}
