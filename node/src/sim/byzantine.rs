//! Byzantine roles: what a faulty node does differently from an honest one.
//!
//! - [`Role::DoubleSpender`] owns funds and, for each double-spend attempt the harness gives
//!   it, sends two transfers of one output to two different halves of the network at the same
//!   moment, and never relays either; otherwise it behaves honestly.
//! - [`Role::Equivocator`] forks its root chain once: at the first flush after it sees a
//!   conflict it signs two roots with the same sequence, one claiming Pending for one spender
//!   and the other for the other, and sends each to a different half (even / odd positions
//!   among the other nodes). At its first commit it also signs the transaction Rejected next
//!   to Accepted (both final states). Each is caught ([`crate::observe::Evidence`]).
//! - [`Role::Liar`] never reports what it saw first: it signs no Pending observation until a
//!   conflict shows, then signs Pending for a spender it did *not* see first (its vote goes to
//!   the other side), and pads every root with an observation of a transaction that does not
//!   exist. Its roots are well-formed, so it is not convicted; its vote counts with its weight.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::identity::Identity;
use crate::protocol::Deviation;
use crate::tx::TxHash;

/// What a node does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Follows the protocol.
    Honest,
    /// Sends conflicting transfers of its funds to two halves of the network.
    DoubleSpender,
    /// Signs conflicting observations.
    Equivocator,
    /// Votes for the side it did not see first and claims observations of nothing.
    Liar,
}

impl Role {
    /// Whether the role follows the protocol.
    pub fn is_honest(self) -> bool {
        self == Role::Honest
    }
}

/// An equivocator's planned fork: Pending for `a` in one root, for `b` in its twin.
#[derive(Clone, Copy, Debug)]
struct ForkPlan {
    a: TxHash,
    b: TxHash,
    done: bool,
}

/// A Byzantine role's deviations from the protocol, installed in its node's
/// [`crate::protocol::ProtocolNode`]. (The double-spender's refusal to relay its own transfers
/// is the simulator's: see [`super::SimNode`].)
#[derive(Debug)]
pub(crate) struct Deviant {
    role: Role,
    /// The equivocator's fork, once planned.
    fork: Option<ForkPlan>,
    /// Whether the equivocator has signed contradictory final states yet.
    contradicted: bool,
    /// How many fake transactions the liar has claimed.
    fakes: u64,
}

impl Deviant {
    /// The deviations of `role` (none for an honest node or a double-spender).
    pub(crate) fn new(role: Role) -> Self {
        Self {
            role,
            fork: None,
            contradicted: false,
            fakes: 0,
        }
    }
}

impl Deviation for Deviant {
    /// A liar hides what it saw first; it "votes" only when a conflict shows.
    fn signs_pending(&self) -> bool {
        self.role != Role::Liar
    }

    /// A liar votes for a spender it did not see first.
    fn vote(&mut self, first_seen: Option<TxHash>, spenders: &[TxHash]) -> Option<TxHash> {
        match (self.role, first_seen) {
            (Role::Liar, Some(first)) => spenders.iter().copied().find(|s| *s != first),
            (_, first) => first,
        }
    }

    /// An equivocator plans its fork at its first conflict: `vote` in one root and another
    /// spender in the other.
    fn on_conflict(&mut self, vote: Option<TxHash>, spenders: &[TxHash]) {
        if self.role != Role::Equivocator || self.fork.is_some() {
            return;
        }
        let Some(a) = vote.or_else(|| spenders.first().copied()) else {
            return;
        };
        if let Some(b) = spenders.iter().copied().find(|s| *s != a) {
            self.fork = Some(ForkPlan { a, b, done: false });
        }
    }

    /// An equivocator signs the opposite final state of its first commit too.
    fn contradicts(&mut self, _tx: TxHash) -> bool {
        if self.role == Role::Equivocator && !self.contradicted {
            self.contradicted = true;
            true
        } else {
            false
        }
    }

    /// A liar claims an observation of a transaction that does not exist: SHA-256 over a tag,
    /// its key and a counter.
    fn pad(&mut self, identity: &Identity) -> Option<TxHash> {
        if self.role != Role::Liar {
            return None;
        }
        self.fakes += 1;
        Some(TxHash(
            Sha256::new()
                .chain_update(b"ramjet/sim/fake-tx")
                .chain_update(identity.public_key())
                .chain_update(self.fakes.to_le_bytes())
                .finalize()
                .into(),
        ))
    }

    /// An equivocator forks once, at the first flush after planning.
    fn fork(&mut self) -> Option<(TxHash, TxHash)> {
        let plan = self.fork.as_mut().filter(|f| !f.done)?;
        plan.done = true;
        Some((plan.a, plan.b))
    }
}

/// The other nodes split in two: even and odd positions among them.
pub(crate) fn halves(me: usize, nodes: usize) -> (Vec<usize>, Vec<usize>) {
    let others: Vec<usize> = (0..nodes).filter(|&i| i != me).collect();
    let first = others.iter().copied().step_by(2).collect();
    let second = others.iter().copied().skip(1).step_by(2).collect();
    (first, second)
}
