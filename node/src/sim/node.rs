//! [`SimNode`]: one node of the simulation — a [`ProtocolNode`] (the node's whole protocol
//! logic) plus what only the simulator knows: the node's index, its [`Role`], and how its
//! messages travel (flooding: every accepted message is relayed to every other node).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use ramjet_accel::Accelerator;

use super::byzantine::{Deviant, Role, halves};
use super::{Envelope, NodeConfig};
use crate::Result;
use crate::consensus::{Decision, Message, MessageId, VoteBook};
use crate::identity::{Identity, NodeId};
use crate::ledger::{Genesis, Ledger};
use crate::observe::ObservationBuffer;
use crate::protocol::{Acceptance, Action, ProtocolConfig, ProtocolNode};
use crate::storage::MemoryStore;
use crate::trust::DirectTrust;
use crate::tx::{OutPoint, TxHash};

pub use crate::protocol::NodeCounters;

/// Where a node sends a message.
#[derive(Clone, Debug)]
pub(crate) enum Outgoing {
    /// To every other node.
    All(Arc<Envelope>),
    /// To the nodes listed (by index).
    To(Vec<usize>, Arc<Envelope>),
}

/// One simulated node.
pub struct SimNode {
    index: usize,
    role: Role,
    node: ProtocolNode,
    /// Messages whose verdict was deferred, held until it comes (then relayed if accepted).
    awaiting: HashMap<MessageId, Arc<Envelope>>,
    /// The double-spender's own conflicting transfers, never relayed.
    no_relay: HashSet<TxHash>,
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
        let mut node = ProtocolNode::new(
            identity,
            store,
            accel,
            genesis,
            &config.protocol(),
            first_flush_ms,
        )?;
        if !role.is_honest() {
            node.set_deviation(Box::new(Deviant::new(role)));
        }
        Ok(Self {
            index,
            role,
            node,
            awaiting: HashMap::new(),
            no_relay: HashSet::new(),
            peers,
        })
    }

    /// The node's index in the simulation.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The node's id.
    pub fn id(&self) -> NodeId {
        self.node.id()
    }

    /// The node's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The node's protocol state machine.
    pub fn protocol(&self) -> &ProtocolNode {
        &self.node
    }

    /// The node's ledger.
    pub fn ledger(&self) -> &Ledger {
        self.node.ledger()
    }

    /// The node's vote book (peers' chains, convictions and their evidence).
    pub fn votes(&self) -> &VoteBook {
        self.node.votes()
    }

    /// The node's direct trust table.
    pub fn trust(&self) -> &DirectTrust<NodeId> {
        self.node.trust()
    }

    /// The node's own observation buffer (its signed chain).
    pub fn observations(&self) -> &ObservationBuffer {
        self.node.observations()
    }

    /// Conflicts decided: outpoint → the decision (winner and every spender's support).
    pub fn decisions(&self) -> &BTreeMap<OutPoint, Decision> {
        self.node.decisions()
    }

    /// The node's counters.
    pub fn counters(&self) -> NodeCounters {
        self.node.counters()
    }

    /// The weight of `node` in bands ([`ProtocolNode::weight`]).
    pub fn weight(&self, node: &NodeId, now_ms: u64) -> u32 {
        self.node.weight(node, now_ms)
    }

    /// The earliest virtual time at which the node has work ([`ProtocolNode::next_deadline`]).
    pub(crate) fn next_wake(&self) -> u64 {
        self.node.next_deadline()
    }

    /// A transaction from a client (over the API: reliable, not gossip).
    pub(crate) fn on_client_tx(&mut self, envelope: Arc<Envelope>, now_ms: u64) {
        if let Message::Tx(tx) = &envelope.message {
            // Published when it turns Pending, from a later timer; an immediate rejection
            // has nothing to send.
            let _ = self.node.submit(tx.clone(), now_ms);
        }
    }

    /// A gossip message from node `from`: relayed to every other node if accepted.
    pub(crate) fn on_message(
        &mut self,
        from: NodeId,
        envelope: Arc<Envelope>,
        now_ms: u64,
    ) -> Result<Vec<Outgoing>> {
        let (acceptance, actions) =
            self.node
                .on_message_with_id(from, envelope.id, &envelope.message, now_ms)?;
        let mut out = Vec::new();
        match acceptance {
            Acceptance::Accept => out.push(Outgoing::All(envelope)),
            Acceptance::Deferred => {
                self.awaiting.insert(envelope.id, envelope);
            }
            Acceptance::Reject(_) | Acceptance::Ignore => {}
        }
        self.route(actions, &mut out);
        Ok(out)
    }

    /// Does all work due at `now_ms`. An equivocator's forked flush goes to two halves of the
    /// other nodes, the root to one and its twin to the other.
    pub(crate) fn on_timer(&mut self, now_ms: u64) -> Result<Vec<Outgoing>> {
        let actions = self.node.on_timer(now_ms)?;
        let mut out = Vec::new();
        self.route(actions, &mut out);
        if let Some((root, twin)) = self.node.take_fork() {
            let (first, second) = halves(self.index, self.peers + 1);
            out.push(Outgoing::To(first, Envelope::new(root)));
            out.push(Outgoing::To(second, Envelope::new(twin)));
        }
        Ok(out)
    }

    /// Turns the protocol's actions into sends: own messages and accepted deferred ones to
    /// every other node, except the double-spender's own transfers.
    fn route(&mut self, actions: Vec<Action>, out: &mut Vec<Outgoing>) {
        for action in actions {
            match action {
                Action::Publish(message) => {
                    if let Message::Tx(tx) = &message
                        && self.no_relay.contains(&tx.hash())
                    {
                        continue;
                    }
                    out.push(Outgoing::All(Envelope::new(message)));
                }
                Action::Verdict { id, acceptance } => {
                    if let Some(envelope) = self.awaiting.remove(&id)
                        && acceptance == Acceptance::Accept
                        && !self.no_relay.contains(&TxHash(id.0))
                    {
                        out.push(Outgoing::All(envelope));
                    }
                }
                Action::Event(_) => {}
                // The simulator models the protocol without repair: a transaction its network
                // loses reaches a node only by another relay.
                Action::Fetch(_) => {}
            }
        }
    }

    /// Marks transactions this (double-spending) node must never relay.
    pub(crate) fn never_relay(&mut self, txs: &[TxHash]) {
        self.no_relay.extend(txs.iter().copied());
    }
}

impl NodeConfig {
    /// The protocol's parameters.
    pub fn protocol(&self) -> ProtocolConfig {
        ProtocolConfig {
            ledger: self.ledger.clone(),
            consensus: self.consensus.clone(),
            trust: self.trust.clone(),
            flush_interval_ms: self.flush_interval_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::{Observation, TxState};
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
