//! Offline checks: Merkle paths, finality proofs, header chains, equivocation evidence.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::{InclusionProof, ObsError, RootHeader, SignedRoot, TxState};
use crate::identity::NodeId;
use crate::tx::TxHash;

fn leaf_hash(leaf: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update([0x00])
        .chain_update(leaf)
        .finalize()
        .into()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update([0x01])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The RFC 6962 root reached from leaf `leaf` (a 32-byte leaf, hashed here as
/// SHA-256(0x00 ‖ leaf)) at `index` of a tree of `leaf_count` leaves, along `path` (bottom-up).
///
/// The tree is built level by level: pairs are hashed as SHA-256(0x01 ‖ left ‖ right) and an odd
/// last node moves up unchanged. So the shape of the path is fixed by `index` and `leaf_count`:
/// at each level the sibling `index ^ 1` exists exactly when it is below that level's width, and
/// the path must hold `Some` there and `None` otherwise, and have exactly as many entries as the
/// tree has levels below its root. Anything else is rejected.
pub fn merkle_root_from_path(
    leaf: [u8; 32],
    index: u32,
    leaf_count: u32,
    path: &[Option<[u8; 32]>],
) -> Result<[u8; 32], ObsError> {
    if index >= leaf_count {
        return Err(ObsError::IndexOutOfRange { index, leaf_count });
    }
    let mut levels = 0usize;
    let mut width = u64::from(leaf_count);
    while width > 1 {
        levels += 1;
        width = width.div_ceil(2);
    }
    if path.len() != levels {
        return Err(ObsError::PathLength {
            expected: levels,
            actual: path.len(),
        });
    }
    let mut node = leaf_hash(&leaf);
    let mut idx = u64::from(index);
    let mut width = u64::from(leaf_count);
    for (level, sibling) in path.iter().enumerate() {
        let expected_sibling = (idx ^ 1) < width;
        node = match (sibling, expected_sibling) {
            (Some(s), true) if idx.is_multiple_of(2) => node_hash(&node, s),
            (Some(s), true) => node_hash(s, &node),
            (None, false) => node,
            _ => {
                return Err(ObsError::PathShape {
                    level,
                    expected_sibling,
                });
            }
        };
        idx /= 2;
        width = width.div_ceil(2);
    }
    Ok(node)
}

/// Peers' inclusion proofs that they observed `tx` in some state.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FinalityProof {
    /// The transaction.
    pub tx: TxHash,
    /// One or more inclusion proofs per attesting node.
    pub entries: Vec<InclusionProof>,
}

/// What a [`FinalityProof`] shows once verified.
#[derive(Clone, PartialEq, Debug)]
pub struct FinalityVerdict {
    /// The transaction.
    pub tx: TxHash,
    /// The state every entry attests.
    pub state: TxState,
    /// The distinct nodes attesting, in ascending id order, each counted once.
    pub nodes: Vec<NodeId>,
}

impl FinalityVerdict {
    /// Sum of `weights` over the attesting nodes (nodes absent from the map weigh 0).
    pub fn weight(&self, weights: &BTreeMap<NodeId, f64>) -> f64 {
        self.nodes
            .iter()
            .map(|n| weights.get(n).copied().unwrap_or(0.0))
            .sum()
    }
}

/// Checks a finality proof offline: every entry's signature and inclusion path must verify, and
/// every entry must be an observation of `proof.tx` in `required_state`; any failing entry
/// rejects the whole proof (an honest prover sends only good entries). Nodes are counted once
/// however many entries they have; fewer than `min_distinct_nodes` distinct nodes is
/// [`ObsError::NotEnoughNodes`].
pub fn verify_finality(
    proof: &FinalityProof,
    required_state: TxState,
    min_distinct_nodes: usize,
) -> Result<FinalityVerdict, ObsError> {
    let mut nodes = BTreeSet::new();
    for entry in &proof.entries {
        let node = entry.verify()?;
        if entry.observation.tx != proof.tx {
            return Err(ObsError::WrongTransaction {
                node,
                expected: proof.tx,
                found: entry.observation.tx,
            });
        }
        if entry.observation.state != required_state {
            return Err(ObsError::WrongState {
                node,
                found: entry.observation.state,
                required: required_state,
            });
        }
        nodes.insert(node);
    }
    if nodes.len() < min_distinct_nodes {
        return Err(ObsError::NotEnoughNodes {
            found: nodes.len(),
            required: min_distinct_nodes,
        });
    }
    Ok(FinalityVerdict {
        tx: proof.tx,
        state: required_state,
        nodes: nodes.into_iter().collect(),
    })
}

/// Checks that `headers` are consecutive signed roots of one node: every signature verifies,
/// all share the first one's public key, sequences increase by exactly one, and each header's
/// `previous` is the hash of the one before. If the first has sequence 0 its `previous` must be
/// zeros; otherwise the chain may start anywhere. An empty slice is a valid chain.
pub fn verify_chain(headers: &[SignedRoot]) -> Result<(), ObsError> {
    for (position, signed) in headers.iter().enumerate() {
        signed.verify()?;
        let h = &signed.header;
        if position == 0 {
            if h.sequence == 0 && h.previous != [0u8; 32] {
                return Err(ObsError::ChainBroken {
                    position,
                    reason: "sequence 0 must have an all-zero previous hash",
                });
            }
            continue;
        }
        let before: &RootHeader = &headers[position - 1].header;
        if h.public_key != before.public_key {
            return Err(ObsError::ChainBroken {
                position,
                reason: "signed by a different node",
            });
        }
        if Some(h.sequence) != before.sequence.checked_add(1) {
            return Err(ObsError::ChainBroken {
                position,
                reason: "sequence does not follow the previous header's",
            });
        }
        if h.previous != before.hash() {
            return Err(ObsError::ChainBroken {
                position,
                reason: "previous is not the hash of the previous header",
            });
        }
    }
    Ok(())
}

/// Proof that a node signed conflicting observations.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Evidence {
    /// Two different headers signed with the same sequence number: a forked chain.
    SameSequence {
        /// One header.
        a: SignedRoot,
        /// The other.
        b: SignedRoot,
    },
    /// One transaction observed in both final states, [`TxState::Accepted`] and
    /// [`TxState::Rejected`].
    ConflictingStates {
        /// One observation's inclusion proof.
        a: InclusionProof,
        /// The other's.
        b: InclusionProof,
    },
}

/// Checks evidence offline and returns the node it convicts: both halves must verify (signatures,
/// and paths for [`Evidence::ConflictingStates`]) under the same public key, and genuinely
/// conflict: for [`Evidence::SameSequence`], equal sequences and different headers; for
/// [`Evidence::ConflictingStates`], the same transaction in two different final states.
pub fn verify_evidence(evidence: &Evidence) -> Result<NodeId, ObsError> {
    match evidence {
        Evidence::SameSequence { a, b } => {
            a.verify()?;
            b.verify()?;
            if a.header.public_key != b.header.public_key {
                return Err(ObsError::DifferentSigners);
            }
            if a.header.sequence != b.header.sequence {
                return Err(ObsError::NotConflicting("different sequence numbers"));
            }
            if a.header == b.header {
                return Err(ObsError::NotConflicting("the same header twice"));
            }
            Ok(a.header.node_id())
        }
        Evidence::ConflictingStates { a, b } => {
            let node = a.verify()?;
            b.verify()?;
            if a.header.header.public_key != b.header.header.public_key {
                return Err(ObsError::DifferentSigners);
            }
            if a.observation.tx != b.observation.tx {
                return Err(ObsError::NotConflicting("different transactions"));
            }
            let (sa, sb) = (a.observation.state, b.observation.state);
            if !(sa.is_final() && sb.is_final() && sa != sb) {
                return Err(ObsError::NotConflicting(
                    "the states are not two different final states",
                ));
            }
            Ok(node)
        }
    }
}
