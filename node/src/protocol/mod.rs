//! The node's protocol logic as one I/O-free state machine: [`ProtocolNode`].
//!
//! A `ProtocolNode` owns everything a node decides with: its [`Identity`], its [`Ledger`], its
//! own [`ObservationBuffer`], direct trust in its peers, the [`VoteBook`] of their signed
//! chains, the conflicts it decided and its counters. It reads no clock and does no I/O: the
//! caller passes the time with every input and carries out the [`Action`]s it returns. The
//! inputs are
//!
//! - [`ProtocolNode::submit`]: a transaction from a client (over an API);
//! - [`ProtocolNode::on_message`]: a gossip [`Message`] from a peer; the [`Acceptance`] says
//!   whether the network should propagate it (gossipsub's Accept / Reject / Ignore, or
//!   `Deferred` while a transaction awaits batched signature verification);
//! - [`ProtocolNode::on_timer`]: the ledger's batches and quiet periods, conflict decisions
//!   and flushes, due at [`ProtocolNode::next_deadline`].
//!
//! The outputs are [`Action::Publish`] (this node's own new messages), [`Action::Verdict`]
//! (the late verdict on a deferred message) and [`Action::Event`] ([`NodeEvent`]s for an API or
//! metrics layer). The simulator ([`crate::sim`]) and the networked node drive the same state
//! machine; `docs/consensus.md` ("The node as a state machine") describes the mapping.

mod action;
mod config;
mod deviation;
mod input;
mod recent;
mod timer;

pub use action::{Acceptance, Action, Invalid, NodeCounters, NodeEvent};
pub use config::{ProtocolConfig, ProtocolError};
pub(crate) use deviation::Deviation;
use deviation::Honest;
use recent::RecentIds;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use ramjet_accel::Accelerator;

use crate::Result;
use crate::consensus::{ConsensusConfig, Decision, Message, VoteBook};
use crate::identity::{Identity, NodeId};
use crate::ledger::{Genesis, Ledger};
use crate::metrics::NodeMetrics;
use crate::observe::ObservationBuffer;
use crate::storage::Store;
use crate::trust::DirectTrust;
use crate::tx::{OutPoint, Transaction, TxHash};

/// Message ids per generation of the seen set: it remembers between 2^19 and 2^20 ids (at
/// 5,000 transactions a second, the last 100 to 200 s), at most about 80 MiB.
const SEEN_GENERATION: usize = 1 << 19;

/// Where a queued transaction came from, so that it is published or its verdict given once
/// its signatures are verified.
enum Origin {
    /// Submitted by a client: published when it turns Pending.
    Client(Transaction),
    /// Received from a peer: its deferred verdict is due.
    Peer,
}

/// One node's protocol logic: a state machine driven by submissions, messages and timers.
pub struct ProtocolNode {
    identity: Identity,
    ledger: Ledger,
    accel: Arc<Accelerator>,
    buffer: ObservationBuffer,
    trust: DirectTrust<NodeId>,
    votes: VoteBook,
    consensus: ConsensusConfig,
    flush_interval_ms: u64,
    next_flush_ms: u64,
    /// Ids of the messages handled or published recently, for deduplication (bounded: see
    /// [`RecentIds`]).
    seen: RecentIds,
    /// Queued transactions awaiting their signature verification.
    queued: HashMap<TxHash, Origin>,
    /// Transactions not final yet that this node signed a Pending observation of.
    observed_pending: HashSet<TxHash>,
    /// Transactions not final yet that this node signed a Conflicted observation of.
    observed_conflicted: HashSet<TxHash>,
    /// Decisions taken: outpoint → the decision (winner and support).
    decisions: BTreeMap<OutPoint, Decision>,
    counters: NodeCounters,
    deviation: Box<dyn Deviation>,
    /// A forked flush (main root, twin), held for the simulator to route.
    fork: Option<(Message, Message)>,
    /// Whether the node signs observations and votes (false for observers).
    signing: bool,
}

impl ProtocolNode {
    /// A node with `identity` whose ledger lives on `store` (opened on `genesis`, see
    /// [`Ledger::open`]), and its observation chain too: a chain stored there by an earlier run
    /// is continued ([`ObservationBuffer::open`]; another node's is refused). Its first flush
    /// is due at `first_flush_ms` (a real node: its start time plus the flush interval; the
    /// simulator: a random phase within the first interval).
    pub fn new(
        identity: Identity,
        store: Arc<dyn Store>,
        accel: Arc<Accelerator>,
        genesis: &Genesis,
        config: &ProtocolConfig,
        first_flush_ms: u64,
    ) -> Result<Self> {
        config.validate()?;
        let buffer = ObservationBuffer::open(store.clone(), accel.clone(), &identity)?;
        let ledger = Ledger::open(store, accel.clone(), genesis, config.ledger.clone())?;
        Ok(Self {
            identity,
            ledger,
            accel,
            buffer,
            trust: DirectTrust::new(config.trust.clone())?,
            votes: VoteBook::new(),
            consensus: config.consensus.clone(),
            flush_interval_ms: config.flush_interval_ms,
            next_flush_ms: first_flush_ms,
            seen: RecentIds::new(SEEN_GENERATION),
            queued: HashMap::new(),
            observed_pending: HashSet::new(),
            observed_conflicted: HashSet::new(),
            decisions: BTreeMap::new(),
            counters: NodeCounters::default(),
            deviation: Box::new(Honest),
            fork: None,
            signing: true,
        })
    }

    /// Has the ledger record every signature batch in `metrics`
    /// ([`Ledger::set_metrics`]). The node records nothing else itself: the caller feeds the
    /// other metrics from the node's inputs and [`Action`]s.
    pub fn set_metrics(&mut self, metrics: NodeMetrics) {
        self.ledger.set_metrics(metrics);
    }

    /// The node's identity (its signing key).
    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The node's id.
    pub fn id(&self) -> NodeId {
        self.identity.node_id()
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

    /// Transactions waiting for their signature batch (clients' and peers'): the node's
    /// backlog, which admission control watches.
    pub fn queued(&self) -> usize {
        self.queued.len()
    }

    /// The node's counters.
    pub fn counters(&self) -> NodeCounters {
        self.counters
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

    /// The earliest time at which [`on_timer`](Self::on_timer) has work: the ledger's next
    /// deadline, the next flush (always scheduled), or the end of a conflict window.
    pub fn next_deadline(&self) -> u64 {
        let mut wake = self.next_flush_ms;
        if let Some(d) = self.ledger.next_deadline() {
            wake = wake.min(d);
        }
        if !self.ledger.is_paused() {
            for c in self.ledger.conflicts() {
                wake = wake.min(c.detected_ms + self.consensus.conflict_window_ms);
            }
        }
        wake
    }

    /// Pauses (or resumes) the node's final decisions: no transaction is committed, no hold
    /// expires and no conflict is decided while paused ([`Ledger::set_paused`]); everything
    /// else goes on (verification, Pending and Conflicted observations, flushes, votes). The
    /// networked node pauses while it may be missing messages — after it dropped some under
    /// load, while lost transactions are being fetched — since deciding then could accept a
    /// transaction whose conflicting spender is still on its way. Decisions due meanwhile are
    /// taken at the first timer after resuming.
    pub fn set_paused(&mut self, paused: bool) {
        self.ledger.set_paused(paused);
    }

    /// Whether final decisions are paused ([`set_paused`](Self::set_paused)).
    pub fn is_paused(&self) -> bool {
        self.ledger.is_paused()
    }

    /// Whether the node signs observations (default true). An observer (`false`) validates,
    /// relays and decides conflicts from its peers' votes alone: it records no observation,
    /// publishes no root and casts no ballot of its own.
    pub fn set_signing(&mut self, signing: bool) {
        self.signing = signing;
    }

    /// Whether the node signs observations ([`set_signing`](Self::set_signing)).
    pub fn is_signing(&self) -> bool {
        self.signing
    }

    /// Records that `from` sent bytes that are not a message at all (they do not decode, or
    /// came on the wrong topic): the same trust penalty as an invalid message.
    pub fn record_malformed(&mut self, from: NodeId, now_ms: u64) {
        self.trust
            .record(from, crate::trust::Behaviour::Invalid, now_ms);
    }

    /// Forgets `node`'s trust record (it starts again from the initial score): an operator
    /// lifting a ban.
    pub fn forget_trust(&mut self, node: &NodeId) {
        self.trust.forget(node);
    }

    /// Installs a Byzantine role's deviations (the simulator's).
    pub(crate) fn set_deviation(&mut self, deviation: Box<dyn Deviation>) {
        self.deviation = deviation;
    }

    /// The forked flush of a deviating node, if the last [`on_timer`](Self::on_timer) made
    /// one: the root as it would have been published, and its twin. Neither was returned as
    /// an [`Action::Publish`]; the caller sends each to a part of the network.
    pub(crate) fn take_fork(&mut self) -> Option<(Message, Message)> {
        self.fork.take()
    }
}

const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<ProtocolNode>();
};
