//! Conversions between the node's types and the API's messages, and from errors to gRPC
//! status codes.

use tonic::Status;

use super::pb;
use crate::NodeError;
use crate::ledger::{RejectReason, Submission};
use crate::observe::{InclusionProof, TxState};
use crate::protocol::NodeEvent;
use crate::service::{NodeStatusInfo, StampedEvent};
use crate::tx::{OutPoint, Output, TxHash};

/// The API's state for a node state (`None`: unknown to the node).
pub(crate) fn state_to_pb(state: Option<TxState>) -> pb::TxState {
    match state {
        None => pb::TxState::Unknown,
        Some(TxState::Pending) => pb::TxState::Pending,
        Some(TxState::Accepted) => pb::TxState::Accepted,
        Some(TxState::Rejected) => pb::TxState::Rejected,
        Some(TxState::Conflicted) => pb::TxState::Conflicted,
    }
}

/// A 32-byte field, or `invalid_argument` naming it.
pub(crate) fn hash32(bytes: &[u8], field: &str) -> Result<[u8; 32], Status> {
    bytes.try_into().map_err(|_| {
        Status::invalid_argument(format!("{field} must be 32 bytes, got {}", bytes.len()))
    })
}

/// Whether a rejection at submission is the transaction's own fault (`invalid_argument`) rather
/// than a matter of the ledger's state (`failed_precondition`).
fn rejection_status(reason: &RejectReason) -> Status {
    match reason {
        RejectReason::Stateless(_)
        | RejectReason::WrongChain { .. }
        | RejectReason::BadSignature { .. } => {
            Status::invalid_argument(format!("transaction rejected: {reason}"))
        }
        _ => Status::failed_precondition(format!("transaction rejected: {reason}")),
    }
}

/// The unary answer to one submission.
pub(crate) fn submission_to_pb(
    tx: TxHash,
    submission: &Submission,
) -> Result<pb::SubmitTransactionResponse, Status> {
    match submission {
        Submission::Queued => Ok(pb::SubmitTransactionResponse {
            tx_hash: tx.0.to_vec(),
            state: pb::TxState::Pending as i32,
        }),
        Submission::Duplicate => Err(Status::already_exists(format!(
            "transaction {tx} is already known to this node"
        ))),
        Submission::Rejected(reason) => Err(rejection_status(reason)),
    }
}

/// One result of a batch submission.
pub(crate) fn submit_result(tx: TxHash, submission: &Submission) -> pb::SubmitResult {
    let (state, error) = match submission {
        Submission::Queued => (pb::TxState::Pending, String::new()),
        Submission::Duplicate => (pb::TxState::Unspecified, "already known".to_owned()),
        Submission::Rejected(reason) => (pb::TxState::Rejected, reason.to_string()),
    };
    pb::SubmitResult {
        tx_hash: tx.0.to_vec(),
        state: state as i32,
        error,
    }
}

pub(crate) fn utxo_to_pb(outpoint: &OutPoint, output: &Output) -> pb::Utxo {
    pb::Utxo {
        tx_hash: outpoint.tx.0.to_vec(),
        index: outpoint.index,
        key_hash: output.address.key_hash.0.to_vec(),
        asset: output.asset.0.to_vec(),
        amount: output.amount,
        data: output.data.clone(),
        contract: output.contract.map(|c| c.0.to_vec()),
    }
}

pub(crate) fn inclusion_to_pb(p: &InclusionProof) -> pb::InclusionProof {
    pb::InclusionProof {
        header: p.header.header.encode().to_vec(),
        signature: p.header.signature.to_vec(),
        observation: p.observation.encode().to_vec(),
        index: p.index,
        path: p
            .path
            .iter()
            .map(|e| e.map(|h| h.to_vec()).unwrap_or_default())
            .collect(),
    }
}

fn outpoint_to_pb(o: &OutPoint) -> pb::OutPoint {
    pb::OutPoint {
        tx_hash: o.tx.0.to_vec(),
        index: o.index,
    }
}

pub(crate) fn event_to_pb(e: &StampedEvent) -> pb::Event {
    use pb::event::Kind;
    let kind = match &e.event {
        NodeEvent::Accepted { tx } => Kind::Accepted(pb::Accepted {
            tx_hash: tx.0.to_vec(),
        }),
        NodeEvent::Rejected { tx, reason } => Kind::Rejected(pb::Rejected {
            tx_hash: tx.0.to_vec(),
            reason: reason.to_string(),
        }),
        NodeEvent::Conflict { outpoint, spenders } => Kind::Conflict(pb::Conflict {
            outpoint: Some(outpoint_to_pb(outpoint)),
            spenders: spenders.iter().map(|s| s.0.to_vec()).collect(),
        }),
        NodeEvent::Decided {
            outpoint,
            winner,
            support,
        } => Kind::Decided(pb::Decided {
            outpoint: Some(outpoint_to_pb(outpoint)),
            winner: winner.0.to_vec(),
            support: support.iter().map(|(t, s)| (t.to_string(), *s)).collect(),
        }),
        NodeEvent::Equivocation { node, evidence } => Kind::Equivocation(pb::Equivocation {
            node: node.as_bytes().to_vec(),
            kind: match evidence.as_ref() {
                crate::observe::Evidence::SameSequence { .. } => "same_sequence".to_owned(),
                crate::observe::Evidence::ConflictingStates { .. } => {
                    "conflicting_states".to_owned()
                }
            },
        }),
    };
    pb::Event {
        time_ms: e.time_ms,
        kind: Some(kind),
    }
}

pub(crate) fn status_to_pb(s: &NodeStatusInfo) -> pb::NodeStatus {
    let trusts: Vec<f64> = s.peers.iter().map(|p| p.trust).collect();
    let trust = pb::TrustSummary {
        peers: trusts.len() as u32,
        min: trusts
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .min(1.0),
        mean: if trusts.is_empty() {
            0.0
        } else {
            trusts.iter().sum::<f64>() / trusts.len() as f64
        },
        max: trusts
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
            .max(-1.0),
        convicted: s.convicted as u32,
    };
    pb::NodeStatus {
        node_id: s.node_id.as_bytes().to_vec(),
        peer_id: s.peer_id.to_string(),
        mode: s.mode.to_string(),
        chain: s.chain.clone(),
        chain_id: s.chain_id,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_ms: s.uptime_ms,
        listen_addresses: s.listen_addrs.iter().map(ToString::to_string).collect(),
        peers: s
            .peers
            .iter()
            .map(|p| pb::Peer {
                peer_id: p.peer_id.to_string(),
                node_id: p.node_id.map(|n| n.as_bytes().to_vec()).unwrap_or_default(),
                trust: p.trust,
                gossip_score: p.gossip_score.unwrap_or(0.0),
                mode: p.meta.as_ref().map(|m| m.mode.clone()).unwrap_or_default(),
                version: p
                    .meta
                    .as_ref()
                    .map(|m| m.version.clone())
                    .unwrap_or_default(),
                behind: p.meta.as_ref().is_some_and(|m| m.behind),
            })
            .collect(),
        trust: Some(trust),
        backends: s
            .backends
            .iter()
            .map(|b| pb::Backend {
                name: b.id.clone(),
                kind: b.kind.clone(),
                emulated: b.emulated,
                degraded: b.degraded,
                calls: b.calls,
                signature_calls: b.signature_calls,
                signatures: b.signatures,
                audits: b.audits,
                audit_mismatches: b.audit_mismatches,
            })
            .collect(),
        counters: Some(pb::Counters {
            submitted: s.submitted,
            accepted: s.counters.accepted,
            rejected: s.counters.rejected,
            conflicts_resolved: s.counters.conflicts_resolved,
            roots: s.counters.roots,
        }),
        utxo_digest: s.utxo_digest.map(|d| d.to_vec()).unwrap_or_default(),
    }
}

/// The gRPC status for a node error: stopped or shutting down → `unavailable`, bad bytes →
/// `invalid_argument`, network failures → `unavailable`, anything else → `internal` (the
/// detail is logged, not sent).
pub(crate) fn error_status(e: NodeError) -> Status {
    match e {
        NodeError::Service(m) => Status::unavailable(m),
        e @ NodeError::Overloaded { .. } => Status::resource_exhausted(e.to_string()),
        NodeError::TxDecode(d) => Status::invalid_argument(format!("transaction encoding: {d}")),
        NodeError::TxInvalid(t) => Status::invalid_argument(format!("transaction: {t}")),
        NodeError::Net(n) => Status::unavailable(format!("network: {n}")),
        other => {
            tracing::error!("API call failed: {other}");
            Status::internal("internal error (see the node's log)")
        }
    }
}
