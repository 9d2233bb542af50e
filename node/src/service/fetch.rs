//! Fetches by hash: answering peers' requests, and assembling a finality proof from this node's
//! inclusion proofs and its peers'.
//!
//! The requests are keyed by **transaction hash**: `Transaction(h)` returns the transaction's
//! canonical encoding (`Transactions(hs)` up to 256 of them at once, for repair), `Observation(h)` the encoding of this node's latest signed observation
//! of it, and `InclusionPath(h)` the inclusion proof of that latest observation, as a list of
//! one ([`crate::consensus::encode_inclusion_proofs`]). Only the latest is served: every
//! observation of a transaction can lie in as many epochs, each a tree to rebuild from the store
//! once it has left memory, which a peer could make the node do at will. The latest is indexed;
//! a proof in an epoch no longer in memory still costs one read and one tree rebuild.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::future::join_all;

use super::NodeHandle;
use crate::Result;
use crate::config::Mode;
use crate::consensus::{decode_inclusion_proofs, encode_inclusion_proofs};
use crate::identity::NodeId;
use crate::net::{Request, Response};
use crate::observe::{FinalityProof, InclusionProof, TxState};
use crate::protocol::ProtocolNode;
use crate::tx::TxHash;

/// The answer to a peer's request, from the node's current state.
pub(crate) fn answer(node: &ProtocolNode, mode: Mode, request: &Request) -> Response {
    let found = match request {
        Request::Transaction(h) if mode != Mode::Light => {
            node.ledger().transaction(&TxHash(*h)).map(|tx| tx.encode())
        }
        Request::Transaction(_) => None,
        Request::Transactions(hs) if mode != Mode::Light => {
            let items: Vec<_> = hs
                .iter()
                .map(|h| node.ledger().transaction(&TxHash(*h)).map(|tx| tx.encode()))
                .collect();
            items
                .iter()
                .any(Option::is_some)
                .then(|| Response::encode_batch(&items))
        }
        Request::Transactions(_) => None,
        Request::Observation(h) => {
            own_inclusion(node, &TxHash(*h)).map(|p| p.observation.encode().to_vec())
        }
        Request::InclusionPath(h) => {
            own_inclusion(node, &TxHash(*h)).map(|p| encode_inclusion_proofs(&[p]))
        }
    };
    found.map_or(Response::NotFound, Response::Found)
}

/// This node's proof of its latest observation of `tx`, for a peer: `None` if it has none, or
/// if its store cannot be read (logged; the peer is answered "not found").
fn own_inclusion(node: &ProtocolNode, tx: &TxHash) -> Option<InclusionProof> {
    node.observations()
        .inclusion(tx)
        .inspect_err(|e| tracing::warn!(%tx, "inclusion proof for a peer: {e}"))
        .ok()
        .flatten()
}

/// A finality proof as the API serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalityBundle {
    /// The proof: every entry verified, each for the transaction in `state`.
    pub proof: FinalityProof,
    /// The final state the entries attest.
    pub state: TxState,
    /// The distinct attesting nodes, ascending.
    pub nodes: Vec<NodeId>,
}

/// Keeps the entries that verify and attest `tx` in `state`.
fn keep_valid(entries: Vec<InclusionProof>, tx: TxHash, state: TxState) -> Vec<InclusionProof> {
    entries
        .into_iter()
        .filter(|p| p.observation.tx == tx && p.observation.state == state && p.verify().is_ok())
        .collect()
}

impl NodeHandle {
    /// A finality proof for `tx`: this node's inclusion proof of its latest observation of `tx`,
    /// and those its connected peers return within `timeout`. Entries that do not verify, or attest another
    /// state, are dropped. `None` while this node does not know `tx` in a final state (for a
    /// light node: until a peer returns a final one).
    ///
    /// # Errors
    /// [`crate::NodeError::Service`] if the node has stopped, a network error listing peers, an
    /// error reading this node's own proof from its store.
    pub async fn finality_proof(
        &self,
        tx: TxHash,
        timeout: Duration,
    ) -> Result<Option<FinalityBundle>> {
        let (state, own) = self
            .query(move |v| {
                (
                    v.node.ledger().state(&tx),
                    v.node.observations().inclusion(&tx),
                )
            })
            .await?;
        let own: Vec<InclusionProof> = own?.into_iter().collect();
        let local_final = state.filter(|s| s.is_final());
        if local_final.is_none() && self.mode() != Mode::Light {
            return Ok(None);
        }
        let peers = self.net.peers().await?;
        let answers = join_all(peers.iter().map(|p| {
            let net = self.net.clone();
            let peer = p.peer_id;
            async move {
                let fetch = net.fetch(peer, Request::InclusionPath(tx.0));
                match tokio::time::timeout(timeout, fetch).await {
                    Ok(Ok(Response::Found(bytes))) => decode_inclusion_proofs(&bytes).ok(),
                    _ => None,
                }
            }
        }))
        .await;
        let mut entries = own;
        entries.extend(answers.into_iter().flatten().flatten());
        // A light node takes the state the first valid final entry attests.
        let Some(state) = local_final.or_else(|| {
            entries
                .iter()
                .find(|p| {
                    p.observation.tx == tx && p.observation.state.is_final() && p.verify().is_ok()
                })
                .map(|p| p.observation.state)
        }) else {
            return Ok(None);
        };
        let entries = keep_valid(entries, tx, state);
        let nodes: BTreeSet<NodeId> = entries.iter().map(|p| p.header.header.node_id()).collect();
        Ok(Some(FinalityBundle {
            proof: FinalityProof { tx, entries },
            state,
            nodes: nodes.into_iter().collect(),
        }))
    }
}
