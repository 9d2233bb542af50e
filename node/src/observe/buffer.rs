//! The node's observation buffer: entries appended, flushed into signed, chained roots.

use std::collections::HashMap;

use ramjet_accel::{Accelerator, MerkleLeaves, MerkleTree};

use super::{InclusionProof, ObsError, Observation, RootHeader, SignedRoot};
use crate::Result;
use crate::identity::Identity;
use crate::tx::TxHash;

/// One flushed epoch: its signed root, its observations in leaf order, and its tree.
#[derive(Debug)]
struct Epoch {
    signed: SignedRoot,
    observations: Vec<Observation>,
    tree: MerkleTree<[u8; 32]>,
}

/// A node's observations: those not yet flushed, and every flushed epoch with its tree, so that
/// inclusion proofs can be produced for any of them.
#[derive(Debug, Default)]
pub struct ObservationBuffer {
    pending: Vec<Observation>,
    epochs: Vec<Epoch>,
    /// For each transaction, its most recent (epoch, leaf index).
    latest: HashMap<TxHash, (usize, usize)>,
}

impl ObservationBuffer {
    /// An empty buffer with no chain yet: the first flush signs sequence 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an observation to the current epoch.
    pub fn push(&mut self, observation: Observation) {
        self.pending.push(observation);
    }

    /// Observations appended since the last flush, in order.
    pub fn pending(&self) -> &[Observation] {
        &self.pending
    }

    /// The signed roots flushed so far, oldest first.
    pub fn roots(&self) -> impl Iterator<Item = &SignedRoot> {
        self.epochs.iter().map(|e| &e.signed)
    }

    /// The latest signed root, if any flush produced one.
    pub fn last_root(&self) -> Option<&SignedRoot> {
        self.epochs.last().map(|e| &e.signed)
    }

    /// Closes the epoch: builds the RFC 6962 tree over the buffered observations' leaf digests
    /// (in the order appended) with `accel`'s `merkle_sha256`, signs a [`RootHeader`] chained to
    /// the previous one, keeps the tree and returns the signed root.
    ///
    /// An empty buffer produces no root and leaves the chain unchanged (`Ok(None)`): sequences
    /// count roots, not intervals. Fails with [`ObsError::WrongIdentity`] if `identity` is not
    /// the one that signed the earlier roots, and with the accelerator's error if the tree
    /// cannot be built; the buffered observations are kept on failure.
    pub fn flush(
        &mut self,
        accel: &Accelerator,
        identity: &Identity,
        now_ms: u64,
    ) -> Result<Option<SignedRoot>> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        let leaf_count = u32::try_from(self.pending.len())
            .map_err(|_| ObsError::TooManyObservations(self.pending.len()))?;
        let (sequence, previous) = match self.epochs.last() {
            None => (0, [0u8; 32]),
            Some(last) => {
                if &last.signed.header.public_key != identity.public_key() {
                    return Err(ObsError::WrongIdentity.into());
                }
                (last.signed.header.sequence + 1, last.signed.header.hash())
            }
        };
        let digests: Vec<[u8; 32]> = self.pending.iter().map(Observation::leaf_digest).collect();
        let tree = accel.merkle_sha256(MerkleLeaves::Digests(&digests))?;
        let header = RootHeader {
            public_key: *identity.public_key(),
            sequence,
            previous,
            root: tree.root(),
            leaf_count,
            time_ms: now_ms,
        };
        let signed = SignedRoot {
            header,
            signature: identity.sign(&header.signing_message()),
        };
        let observations = std::mem::take(&mut self.pending);
        let epoch = self.epochs.len();
        for (i, obs) in observations.iter().enumerate() {
            self.latest.insert(obs.tx, (epoch, i));
        }
        self.epochs.push(Epoch {
            signed,
            observations,
            tree,
        });
        Ok(Some(signed))
    }

    /// Proof of the most recent flushed observation of `tx` (the last one appended, in the
    /// latest epoch that has one), or `None` if no flushed epoch mentions `tx`.
    pub fn inclusion(&self, tx: &TxHash) -> Option<InclusionProof> {
        let &(epoch, index) = self.latest.get(tx)?;
        self.proof_at(epoch, index)
    }

    /// Proofs of every flushed observation of `tx`, oldest first.
    pub fn inclusions(&self, tx: &TxHash) -> Vec<InclusionProof> {
        let mut out = Vec::new();
        for (e, epoch) in self.epochs.iter().enumerate() {
            for (i, obs) in epoch.observations.iter().enumerate() {
                if obs.tx == *tx {
                    out.extend(self.proof_at(e, i));
                }
            }
        }
        out
    }

    fn proof_at(&self, epoch: usize, index: usize) -> Option<InclusionProof> {
        let e = self.epochs.get(epoch)?;
        Some(InclusionProof {
            header: e.signed,
            observation: *e.observations.get(index)?,
            index: u32::try_from(index).ok()?,
            path: e.tree.path(index),
        })
    }
}
