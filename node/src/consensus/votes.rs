//! The [`VoteBook`]: peers' verified roots, their observations per transaction, votes, and
//! equivocation caught from their own signatures.

use std::collections::{BTreeMap, HashMap};

use ramjet_accel::{MerkleLeaves, reference};

use super::{Ballot, ConsensusError};
use crate::identity::NodeId;
use crate::observe::{Evidence, InclusionProof, Observation, SignedRoot, TxState, verify_evidence};
use crate::tx::TxHash;

/// One flushed epoch of a peer, as received.
#[derive(Debug)]
struct Epoch {
    root: SignedRoot,
    observations: Vec<Observation>,
}

/// Where a peer observed a transaction: the epoch (by header hash), its sequence and the leaf.
#[derive(Clone, Copy, Debug)]
struct Seen {
    sequence: u64,
    index: u32,
    state: TxState,
    epoch: [u8; 32],
}

/// Everything received from one peer (its most recent epochs, see [`VoteBook::retain`]).
#[derive(Debug, Default)]
struct PeerBook {
    /// Epochs below this sequence were forgotten: one arriving now is ignored.
    floor: u64,
    /// Sequence → the first header received with it.
    chain: BTreeMap<u64, SignedRoot>,
    /// Every epoch received, by header hash (a forked chain has two at one sequence).
    epochs: HashMap<[u8; 32], Epoch>,
    /// Per transaction, every observation of it, in arrival order.
    by_tx: HashMap<TxHash, Vec<Seen>>,
}

/// What [`VoteBook::ingest`] made of a verified roots message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ingested {
    /// The epoch was already known (a duplicate or a relayed copy).
    Duplicate,
    /// A new epoch of `signer`, with the evidence it revealed (empty for an honest peer, and
    /// for a peer already convicted: one conviction is enough).
    New {
        /// The root's signer.
        signer: NodeId,
        /// Equivocation this epoch exposes.
        evidence: Vec<Evidence>,
    },
}

/// Peers' signed roots and observations, their votes in conflicts, and who is convicted.
#[derive(Debug, Default)]
pub struct VoteBook {
    peers: BTreeMap<NodeId, PeerBook>,
    convicted: BTreeMap<NodeId, Evidence>,
    /// The first fork (same-sequence evidence) seen of each peer, convicted or not.
    forks: BTreeMap<NodeId, Evidence>,
}

impl VoteBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks one epoch of a peer and records it: the signature must verify, there must be as
    /// many observations as the header's leaf count, and the RFC 6962 root over their leaf
    /// digests must equal the signed root. Then looks for equivocation against what the signer
    /// signed before: another header with the same sequence ([`Evidence::SameSequence`]), or a
    /// transaction now in a final state different from a final state signed earlier
    /// ([`Evidence::ConflictingStates`], with inclusion proofs rebuilt from the observations).
    ///
    /// The evidence is returned, not acted on: the caller passes it to [`convict`](Self::convict)
    /// and gossips it.
    pub fn ingest(
        &mut self,
        root: &SignedRoot,
        observations: &[Observation],
    ) -> Result<Ingested, ConsensusError> {
        let signer = root.header.node_id();
        let hash = root.header.hash();
        if self
            .peers
            .get(&signer)
            .is_some_and(|p| p.epochs.contains_key(&hash))
        {
            return Ok(Ingested::Duplicate);
        }
        if self
            .peers
            .get(&signer)
            .is_some_and(|p| root.header.sequence < p.floor)
        {
            // Older than what is kept: it can no longer count, and is not checked again.
            return Ok(Ingested::Duplicate);
        }
        check_epoch(root, observations)?;
        let already_convicted = self.convicted.contains_key(&signer);
        let book = self.peers.entry(signer).or_default();
        let mut evidence = Vec::new();
        let sequence = root.header.sequence;
        match book.chain.get(&sequence) {
            Some(first) if first != root => {
                // Ascending header hash: every node catching this fork builds the same evidence.
                let (a, b) = if first.header.hash() < hash {
                    (*first, *root)
                } else {
                    (*root, *first)
                };
                let fork = Evidence::SameSequence { a, b };
                self.forks.entry(signer).or_insert_with(|| fork.clone());
                evidence.push(fork);
            }
            Some(_) => {}
            None => {
                book.chain.insert(sequence, *root);
            }
        }
        book.epochs.insert(
            hash,
            Epoch {
                root: *root,
                observations: observations.to_vec(),
            },
        );
        let mut conflicting = None;
        for (index, obs) in observations.iter().enumerate() {
            let seen = Seen {
                sequence,
                index: index as u32,
                state: obs.state,
                epoch: hash,
            };
            let earlier = book.by_tx.entry(obs.tx).or_default();
            if conflicting.is_none()
                && obs.state.is_final()
                && let Some(prior) = earlier
                    .iter()
                    .find(|s| s.state.is_final() && s.state != obs.state)
            {
                conflicting = Some((*prior, seen));
            }
            earlier.push(seen);
        }
        if let Some((a, b)) = conflicting {
            evidence.push(Evidence::ConflictingStates {
                a: book.proof(&a),
                b: book.proof(&b),
            });
        }
        if already_convicted {
            evidence.clear();
        }
        Ok(Ingested::New { signer, evidence })
    }

    /// Forgets each peer's epochs older than its `epochs` most recent sequences (by the
    /// highest sequence received from it): their headers, observations and votes. Equivocation
    /// is then caught only within that window, and a forgotten epoch arriving again is ignored
    /// ([`Ingested::Duplicate`]). Convictions and fork evidence are kept.
    pub fn retain(&mut self, epochs: u64) {
        for book in self.peers.values_mut() {
            let Some(&newest) = book.chain.keys().next_back() else {
                continue;
            };
            let floor = newest.saturating_sub(epochs.saturating_sub(1));
            if floor <= book.floor {
                continue;
            }
            book.floor = floor;
            let kept = book.chain.split_off(&floor);
            book.chain = kept;
            let old: Vec<[u8; 32]> = book
                .epochs
                .iter()
                .filter(|(_, e)| e.root.header.sequence < floor)
                .map(|(h, _)| *h)
                .collect();
            for hash in old {
                let Some(epoch) = book.epochs.remove(&hash) else {
                    continue;
                };
                for obs in &epoch.observations {
                    if let Some(seen) = book.by_tx.get_mut(&obs.tx) {
                        seen.retain(|s| s.epoch != hash);
                        if seen.is_empty() {
                            book.by_tx.remove(&obs.tx);
                        }
                    }
                }
            }
        }
    }

    /// Verifies `evidence` ([`verify_evidence`]) and convicts the node it names. Returns the
    /// node if this conviction is new, `None` if it was already convicted.
    pub fn convict(&mut self, evidence: &Evidence) -> Result<Option<NodeId>, ConsensusError> {
        let node = verify_evidence(evidence)?;
        if self.convicted.contains_key(&node) {
            return Ok(None);
        }
        self.convicted.insert(node, evidence.clone());
        Ok(Some(node))
    }

    /// Whether `node` is convicted.
    pub fn is_convicted(&self, node: &NodeId) -> bool {
        self.convicted.contains_key(node)
    }

    /// Every convicted node with the evidence that convicted it, in id order.
    pub fn convicted(&self) -> &BTreeMap<NodeId, Evidence> {
        &self.convicted
    }

    /// The first forked chain seen of each peer (same-sequence evidence), whether or not the peer
    /// was already convicted by other evidence, in id order.
    pub fn forks(&self) -> &BTreeMap<NodeId, Evidence> {
        &self.forks
    }

    /// Peers with at least one verified epoch, in id order.
    pub fn peers(&self) -> impl Iterator<Item = &NodeId> {
        self.peers.keys()
    }

    /// The verified headers of `peer`, by sequence (the first received at each sequence).
    pub fn chain(&self, peer: &NodeId) -> Option<&BTreeMap<u64, SignedRoot>> {
        self.peers.get(peer).map(|p| &p.chain)
    }

    /// `peer`'s vote among `spenders`: the spender it observed as Pending or Accepted earliest
    /// in its chain, ordered by (sequence, leaf index, transaction hash); `None` if it observed
    /// none of them so.
    pub fn vote(&self, peer: &NodeId, spenders: &[TxHash]) -> Option<TxHash> {
        let book = self.peers.get(peer)?;
        spenders
            .iter()
            .filter_map(|tx| {
                book.by_tx
                    .get(tx)?
                    .iter()
                    .filter(|s| matches!(s.state, TxState::Pending | TxState::Accepted))
                    .map(|s| (s.sequence, s.index, *tx))
                    .min()
            })
            .min()
            .map(|(_, _, tx)| tx)
    }

    /// The spender `peer` committed outside any conflict: one it signed Accepted while it
    /// signed no Conflicted observation of any of `spenders` (the smallest hash if several).
    /// An honest node does that only when the other spenders reached it after their rival's
    /// quiet period had ended — outside the timing model, but final at that node for good.
    /// `None` if it signed none of them Accepted, or saw them in conflict.
    pub fn committed(&self, peer: &NodeId, spenders: &[TxHash]) -> Option<TxHash> {
        let book = self.peers.get(peer)?;
        let seen = |tx: &TxHash| book.by_tx.get(tx).into_iter().flatten();
        if spenders
            .iter()
            .any(|tx| seen(tx).any(|s| s.state == TxState::Conflicted))
        {
            return None;
        }
        spenders
            .iter()
            .copied()
            .filter(|tx| seen(tx).any(|s| s.state == TxState::Accepted))
            .min()
    }

    /// One ballot per peer that voted among `spenders`, in peer id order, weighted by
    /// `weight(peer)` or 0 if the peer is convicted. A peer's choice is the spender it
    /// [`committed`](Self::committed) if any, else its [`vote`](Self::vote).
    pub fn ballots(&self, spenders: &[TxHash], weight: impl Fn(&NodeId) -> u32) -> Vec<Ballot> {
        self.peers
            .keys()
            .filter_map(|peer| {
                let committed = self.committed(peer, spenders);
                let choice = committed.or_else(|| self.vote(peer, spenders))?;
                let weight = if self.is_convicted(peer) {
                    0
                } else {
                    weight(peer)
                };
                Some(Ballot {
                    voter: *peer,
                    choice,
                    weight,
                    committed: committed.is_some(),
                })
            })
            .collect()
    }
}

impl PeerBook {
    /// The inclusion proof of a recorded observation, its tree rebuilt from the epoch.
    fn proof(&self, seen: &Seen) -> InclusionProof {
        let epoch = &self.epochs[&seen.epoch];
        let digests: Vec<[u8; 32]> = epoch
            .observations
            .iter()
            .map(Observation::leaf_digest)
            .collect();
        let tree = reference::merkle_sha256(MerkleLeaves::Digests(&digests));
        InclusionProof {
            header: epoch.root,
            observation: epoch.observations[seen.index as usize],
            index: seen.index,
            path: tree.path(seen.index as usize),
        }
    }
}

/// Signature, leaf count and root of one received epoch. The tree is recomputed with the plain
/// reference implementation: epochs are a handful of leaves, below any batch worth dispatching.
fn check_epoch(root: &SignedRoot, observations: &[Observation]) -> Result<(), ConsensusError> {
    let node = root.header.node_id();
    if observations.is_empty() || observations.len() != root.header.leaf_count as usize {
        return Err(ConsensusError::LeafCount {
            node,
            expected: root.header.leaf_count,
            actual: observations.len(),
        });
    }
    root.verify()?;
    let digests: Vec<[u8; 32]> = observations.iter().map(Observation::leaf_digest).collect();
    if reference::merkle_sha256(MerkleLeaves::Digests(&digests)).root() != root.header.root {
        return Err(ConsensusError::RootMismatch { node });
    }
    Ok(())
}
