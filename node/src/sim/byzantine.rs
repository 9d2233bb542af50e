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

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::identity::Identity;
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
pub(crate) struct ForkPlan {
    pub(crate) a: TxHash,
    pub(crate) b: TxHash,
    pub(crate) done: bool,
}

/// Per-node state of the Byzantine behaviours.
#[derive(Debug, Default)]
pub(crate) struct ByzantineState {
    /// The equivocator's fork, once planned.
    pub(crate) fork: Option<ForkPlan>,
    /// Whether the equivocator has signed contradictory final states yet.
    pub(crate) contradicted: bool,
    /// The double-spender's own conflicting transfers, never relayed.
    pub(crate) no_relay: HashSet<TxHash>,
    /// How many fake transactions the liar has claimed.
    fakes: u64,
}

impl ByzantineState {
    /// Plans the fork on a conflict among `spenders`, `vote` in one root and another spender
    /// in the other.
    pub(crate) fn plan_fork(&mut self, vote: Option<TxHash>, spenders: &[TxHash]) {
        let Some(a) = vote.or_else(|| spenders.first().copied()) else {
            return;
        };
        if let Some(b) = spenders.iter().copied().find(|s| *s != a) {
            self.fork = Some(ForkPlan { a, b, done: false });
        }
    }

    /// A transaction hash no transaction has: SHA-256 over a tag, the liar's key and a counter.
    pub(crate) fn fake_tx(&mut self, identity: &Identity) -> TxHash {
        self.fakes += 1;
        TxHash(
            Sha256::new()
                .chain_update(b"ramjet/sim/fake-tx")
                .chain_update(identity.public_key())
                .chain_update(self.fakes.to_le_bytes())
                .finalize()
                .into(),
        )
    }

    /// The other nodes split in two: even and odd positions among them.
    pub(crate) fn halves(&self, me: usize, nodes: usize) -> (Vec<usize>, Vec<usize>) {
        let others: Vec<usize> = (0..nodes).filter(|&i| i != me).collect();
        let first = others.iter().copied().step_by(2).collect();
        let second = others.iter().copied().skip(1).step_by(2).collect();
        (first, second)
    }
}
