//! The public `ramjet.v1.Node` service over a [`NodeHandle`].

use std::pin::Pin;
use std::time::Duration;

use futures::StreamExt;
use tokio_stream::Stream;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::convert::{
    error_status, event_to_pb, hash32, inclusion_to_pb, state_to_pb, status_to_pb,
    submission_to_pb, submit_result, utxo_to_pb,
};
use super::pb;
use crate::config::Mode;
use crate::service::NodeHandle;
use crate::tx::{KeyHash, OutPoint, Transaction, TxHash};

/// Longest wait a client may ask of a finality-proof call.
const MAX_PROOF_TIMEOUT: Duration = Duration::from_secs(30);

/// UTXOs in a `GetUtxos` answer when the request sets no limit.
const DEFAULT_UTXO_PAGE: u32 = 1_000;

/// The most UTXOs a `GetUtxos` answer may hold.
const MAX_UTXO_PAGE: u32 = 10_000;

/// The most bytes of UTXOs a `GetUtxos` answer may hold: under the 4 MiB a tonic client decodes
/// by default, whatever data the outputs carry (up to 1 KiB each). A page that reaches it ends
/// early, with `more` set.
const MAX_UTXO_PAGE_BYTES: usize = 3 << 20;

/// The public service.
pub(crate) struct NodeApi {
    pub(crate) node: NodeHandle,
    pub(crate) max_batch: usize,
    /// Ends open event streams when the server stops (a graceful shutdown waits for them).
    pub(crate) shutdown: CancellationToken,
}

fn decode_tx(bytes: &[u8]) -> Result<Transaction, Status> {
    Transaction::decode(bytes)
        .map_err(|e| Status::invalid_argument(format!("transaction encoding: {e}")))
}

impl NodeApi {
    fn refuse_light(&self, what: &str) -> Result<(), Status> {
        if self.node.mode() == Mode::Light {
            return Err(Status::failed_precondition(format!(
                "this is a light node: it keeps no ledger, so it has no {what}"
            )));
        }
        Ok(())
    }
}

#[tonic::async_trait]
impl pb::node_server::Node for NodeApi {
    async fn submit_transaction(
        &self,
        request: Request<pb::SubmitTransactionRequest>,
    ) -> Result<Response<pb::SubmitTransactionResponse>, Status> {
        self.refuse_light("mempool")?;
        let tx = decode_tx(&request.get_ref().transaction)?;
        let outcome = self.node.submit(tx).await.map_err(error_status)?;
        submission_to_pb(outcome.tx, &outcome.submission).map(Response::new)
    }

    async fn submit_transactions(
        &self,
        request: Request<pb::SubmitTransactionsRequest>,
    ) -> Result<Response<pb::SubmitTransactionsResponse>, Status> {
        self.refuse_light("mempool")?;
        let raw = request.into_inner().transactions;
        if raw.len() > self.max_batch {
            return Err(Status::invalid_argument(format!(
                "{} transactions in one call; at most {} (api.max_batch)",
                raw.len(),
                self.max_batch
            )));
        }
        // Undecodable entries get their error in place; the rest go to the node in one command.
        let mut results: Vec<Option<pb::SubmitResult>> = Vec::with_capacity(raw.len());
        let mut txs = Vec::new();
        for bytes in &raw {
            match Transaction::decode(bytes) {
                Ok(tx) => {
                    results.push(None);
                    txs.push(tx);
                }
                Err(e) => results.push(Some(pb::SubmitResult {
                    tx_hash: Vec::new(),
                    state: pb::TxState::Unspecified as i32,
                    error: format!("transaction encoding: {e}"),
                })),
            }
        }
        let outcomes = self.node.submit_many(txs).await.map_err(error_status)?;
        let mut outcomes = outcomes.into_iter();
        let results = results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    let o = outcomes
                        .next()
                        .expect("one outcome per decoded transaction");
                    submit_result(o.tx, &o.submission)
                })
            })
            .collect();
        Ok(Response::new(pb::SubmitTransactionsResponse { results }))
    }

    async fn get_utxos(
        &self,
        request: Request<pb::GetUtxosRequest>,
    ) -> Result<Response<pb::GetUtxosResponse>, Status> {
        self.refuse_light("UTXO set")?;
        let request = request.get_ref();
        let key_hash = KeyHash(hash32(&request.key_hash, "key_hash")?);
        let limit = match request.limit {
            0 => DEFAULT_UTXO_PAGE,
            n if n > MAX_UTXO_PAGE => {
                return Err(Status::invalid_argument(format!(
                    "limit {n} is more than a page may hold ({MAX_UTXO_PAGE})"
                )));
            }
            n => n,
        };
        let after = request
            .after
            .as_ref()
            .map(|o| {
                Ok::<_, Status>(OutPoint {
                    tx: TxHash(hash32(&o.tx_hash, "after.tx_hash")?),
                    index: o.index,
                })
            })
            .transpose()?;
        let page = self
            .node
            .utxos_page(key_hash, after, limit as usize)
            .await
            .map_err(error_status)?;
        let (mut utxos, mut bytes) = (Vec::new(), 0);
        for (outpoint, output) in &page.utxos {
            let utxo = utxo_to_pb(outpoint, output);
            bytes += prost::Message::encoded_len(&utxo) + 4;
            if bytes > MAX_UTXO_PAGE_BYTES {
                break;
            }
            utxos.push(utxo);
        }
        let more = page.more || utxos.len() < page.utxos.len();
        Ok(Response::new(pb::GetUtxosResponse { utxos, more }))
    }

    async fn get_transaction(
        &self,
        request: Request<pb::GetTransactionRequest>,
    ) -> Result<Response<pb::GetTransactionResponse>, Status> {
        self.refuse_light("transactions")?;
        let tx = TxHash(hash32(&request.get_ref().tx_hash, "tx_hash")?);
        match self.node.transaction(tx).await.map_err(error_status)? {
            Some((body, state)) => Ok(Response::new(pb::GetTransactionResponse {
                tx_hash: tx.0.to_vec(),
                transaction: body.encode(),
                state: state_to_pb(Some(state)) as i32,
            })),
            None => Err(Status::not_found(format!(
                "transaction {tx} is not known to this node"
            ))),
        }
    }

    async fn get_finality_proof(
        &self,
        request: Request<pb::GetFinalityProofRequest>,
    ) -> Result<Response<pb::GetFinalityProofResponse>, Status> {
        let r = request.get_ref();
        let tx = TxHash(hash32(&r.tx_hash, "tx_hash")?);
        let timeout = match r.timeout_ms {
            0 => self.node.request_timeout(),
            ms => Duration::from_millis(u64::from(ms)),
        }
        .min(MAX_PROOF_TIMEOUT);
        match self
            .node
            .finality_proof(tx, timeout)
            .await
            .map_err(error_status)?
        {
            Some(bundle) => Ok(Response::new(pb::GetFinalityProofResponse {
                tx_hash: tx.0.to_vec(),
                state: state_to_pb(Some(bundle.state)) as i32,
                entries: bundle.proof.entries.iter().map(inclusion_to_pb).collect(),
                nodes: bundle.nodes.iter().map(|n| n.as_bytes().to_vec()).collect(),
            })),
            None => Err(Status::failed_precondition(format!(
                "transaction {tx} is not final on this node (unknown, pending or conflicted)"
            ))),
        }
    }

    type StreamEventsStream = Pin<Box<dyn Stream<Item = Result<pb::Event, Status>> + Send>>;

    async fn stream_events(
        &self,
        _request: Request<pb::StreamEventsRequest>,
    ) -> Result<Response<Self::StreamEventsStream>, Status> {
        let stream = BroadcastStream::new(self.node.subscribe())
            .map(|r| match r {
                Ok(event) => Ok(event_to_pb(&event)),
                Err(BroadcastStreamRecvError::Lagged(n)) => Err(Status::data_loss(format!(
                    "client too slow: {n} events dropped; subscribe again"
                ))),
            })
            .take_until(self.shutdown.clone().cancelled_owned());
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_status(
        &self,
        request: Request<pb::GetStatusRequest>,
    ) -> Result<Response<pb::NodeStatus>, Status> {
        let digest = !request.into_inner().skip_utxo_digest;
        let status = self.node.status_with(digest).await.map_err(error_status)?;
        Ok(Response::new(status_to_pb(&status)))
    }
}
