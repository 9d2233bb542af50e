//! What a [`super::ProtocolNode`] returns: the verdict on a gossip message ([`Acceptance`]),
//! what to do next ([`Action`]), what happened ([`NodeEvent`]), and its [`NodeCounters`].

use std::collections::BTreeMap;

use crate::consensus::{ConsensusError, Message, MessageId};
use crate::identity::NodeId;
use crate::ledger::RejectReason;
use crate::observe::Evidence;
use crate::tx::{OutPoint, TxHash};

/// The verdict on a gossip message, with gossipsub's meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// Valid and new: propagate it.
    Accept,
    /// Invalid: do not propagate, penalise the peer that sent it. The node has already recorded
    /// [`crate::trust::Behaviour::Invalid`] for that peer (except for a deferred verdict, see
    /// [`Action::Verdict`]).
    Reject(Invalid),
    /// Do not propagate, no penalty: a duplicate, or valid but not to be propagated (a spender
    /// that is in a conflict here, a transaction spending an output already spent here).
    Ignore,
    /// A transaction queued for batched signature verification: its verdict comes later, as an
    /// [`Action::Verdict`] from [`super::ProtocolNode::on_timer`] (gossipsub's asynchronous
    /// validation). The message must be held until then.
    Deferred,
}

/// Why a message is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// A transaction the ledger rejects for a fault of its own (stateless checks, chain id,
    /// signature, ownership, balance, an output that does not exist).
    #[error("transaction: {0}")]
    Tx(RejectReason),
    /// A roots message whose signature, leaf count or observations do not check.
    #[error("roots: {0}")]
    Roots(ConsensusError),
    /// Evidence that does not verify.
    #[error("evidence: {0}")]
    Evidence(ConsensusError),
}

impl Invalid {
    /// Every value [`label`](Self::label) can return, for metrics that list them up front.
    pub const LABELS: [&'static str; 12] = [
        "tx_stateless",
        "tx_wrong_chain",
        "tx_bad_signature",
        "tx_wrong_owner",
        "tx_unbalanced",
        "tx_no_such_output",
        "tx_other",
        "roots_signature",
        "roots_leaf_count",
        "roots_root_mismatch",
        "roots_other",
        "evidence",
    ];

    /// A short label naming the kind of fault, from a small fixed set ([`Self::LABELS`]): what
    /// a metric counts invalid messages by.
    pub fn label(&self) -> &'static str {
        match self {
            Invalid::Tx(reason) => match reason {
                RejectReason::Stateless(_) => "tx_stateless",
                RejectReason::WrongChain { .. } => "tx_wrong_chain",
                RejectReason::BadSignature { .. } => "tx_bad_signature",
                RejectReason::WrongOwner { .. } => "tx_wrong_owner",
                RejectReason::Unbalanced { .. } => "tx_unbalanced",
                RejectReason::NoSuchOutput { .. } => "tx_no_such_output",
                _ => "tx_other",
            },
            Invalid::Roots(e) => match e {
                ConsensusError::Observe(_) => "roots_signature",
                ConsensusError::LeafCount { .. } => "roots_leaf_count",
                ConsensusError::RootMismatch { .. } => "roots_root_mismatch",
                _ => "roots_other",
            },
            Invalid::Evidence(_) => "evidence",
        }
    }
}

/// What the caller does after an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Publish this node's own new message to the network: a client transaction once its
    /// signatures verified, a flushed root with its observations, evidence this node caught.
    Publish(Message),
    /// The verdict on a message [`Acceptance::Deferred`] earlier: never `Deferred` itself.
    /// A `Reject` here is not recorded against a peer by the node (it does not remember who
    /// relayed a queued transaction); the network's peer scoring does that.
    Verdict {
        /// The message's id.
        id: MessageId,
        /// The verdict.
        acceptance: Acceptance,
    },
    /// Something an API or metrics layer streams.
    Event(NodeEvent),
    /// Repair: a peer's observations (the roots message just handled) name this transaction,
    /// which this node has never handled — the network lost it on the way here, or dropped it
    /// under load. Fetch it from the peer that sent the roots and hand it in with
    /// [`super::ProtocolNode::on_message`] as a [`Message::Tx`].
    Fetch(TxHash),
}

/// What happened in the node, for an API or metrics layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeEvent {
    /// A transaction was committed.
    Accepted {
        /// The transaction.
        tx: TxHash,
    },
    /// A transaction was rejected (final): by the ledger, or at once on submission.
    Rejected {
        /// The transaction.
        tx: TxHash,
        /// Why.
        reason: RejectReason,
    },
    /// A second (third, ...) spender of `outpoint` was seen: the conflict window starts.
    Conflict {
        /// The outpoint spent more than once.
        outpoint: OutPoint,
        /// Every unrejected spender, ascending.
        spenders: Vec<TxHash>,
    },
    /// A conflict was decided at the end of its window.
    Decided {
        /// The outpoint.
        outpoint: OutPoint,
        /// The winning spender.
        winner: TxHash,
        /// Every spender's support, in weight bands.
        support: BTreeMap<TxHash, u64>,
    },
    /// A node was convicted of equivocation (first conviction of that node here).
    Equivocation {
        /// The node.
        node: NodeId,
        /// The evidence, verifiable offline ([`crate::observe::verify_evidence`]).
        evidence: Box<Evidence>,
    },
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
    /// Roots this node flushed and published.
    pub roots: u64,
}

/// Whether a ledger rejection is the transaction's own fault (so the message is invalid
/// anywhere), rather than a matter of this node's state or timing (spent here already, held
/// too long, lost a conflict, no contract engine).
pub(super) fn is_invalid(reason: &RejectReason) -> bool {
    matches!(
        reason,
        RejectReason::Stateless(_)
            | RejectReason::WrongChain { .. }
            | RejectReason::BadSignature { .. }
            | RejectReason::WrongOwner { .. }
            | RejectReason::Unbalanced { .. }
            | RejectReason::NoSuchOutput { .. }
    )
}
