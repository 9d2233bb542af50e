//! [`Deviation`]: the hooks through which the simulator's Byzantine roles deviate from the
//! protocol. An honest node has none ([`Honest`]); nothing outside the crate can install one.

use ramjet_accel::{Accelerator, MerkleLeaves};

use crate::Result;
use crate::identity::Identity;
use crate::observe::{Observation, RootHeader, SignedRoot};
use crate::tx::TxHash;

/// Where a Byzantine node departs from the protocol. Every default is the honest behaviour.
pub(crate) trait Deviation: Send + Sync {
    /// Whether the node signs a Pending observation when a transaction turns Pending.
    fn signs_pending(&self) -> bool {
        true
    }

    /// The node's vote on a conflict among `spenders`: honestly the one it saw first.
    fn vote(&mut self, first_seen: Option<TxHash>, _spenders: &[TxHash]) -> Option<TxHash> {
        first_seen
    }

    /// Called once a conflict's observations are signed, with the node's vote.
    fn on_conflict(&mut self, _vote: Option<TxHash>, _spenders: &[TxHash]) {}

    /// Whether to sign Rejected next to the Accepted observation of `tx` just signed.
    fn contradicts(&mut self, _tx: TxHash) -> bool {
        false
    }

    /// A transaction to claim Pending before a flush of a non-empty buffer.
    fn pad(&mut self, _identity: &Identity) -> Option<TxHash> {
        None
    }

    /// Fork the chain at this flush: Pending for `.0` in the published root, for `.1` in a
    /// twin with the same sequence.
    fn fork(&mut self) -> Option<(TxHash, TxHash)> {
        None
    }
}

/// The protocol as specified.
pub(crate) struct Honest;

impl Deviation for Honest {}

/// A root with `root`'s header (sequence, previous root, time) over `observations` instead:
/// the twin of an equivocator's fork, signed by `identity`.
pub(super) fn twin_root(
    accel: &Accelerator,
    identity: &Identity,
    root: &SignedRoot,
    observations: &[Observation],
) -> Result<SignedRoot> {
    let digests: Vec<[u8; 32]> = observations.iter().map(Observation::leaf_digest).collect();
    let tree = accel.merkle_sha256(MerkleLeaves::Digests(&digests))?;
    let header = RootHeader {
        root: tree.root(),
        leaf_count: observations.len() as u32,
        ..root.header
    };
    Ok(SignedRoot {
        header,
        signature: identity.sign(&header.signing_message()),
    })
}
