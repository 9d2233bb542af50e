//! Test double: N in-process gRPC `Node` servers sharing one ideal network (every transaction
//! accepted on every node 30 ms after submission; the second spender of an output loses, with
//! `Conflict` and `Decided` events everywhere), to run the load against without node processes.
//! One node's first event stream can be made to lag ([`start_lagging`]): it loses events, then
//! fails with `DATA_LOSS`, as a real node's does for a client too slow to keep up.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio_stream::wrappers::{BroadcastStream, TcpListenerStream};
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::load::{Client, now_ms};
use crate::api::pb;
use crate::api::pb::node_server::{Node, NodeServer};
use crate::tx::{OutPoint, Transaction, TxHash};

/// Delay between submission and the events.
const DELAY: Duration = Duration::from_millis(30);
/// A lagging stream delivers this many events...
const LAG_AFTER: usize = 50;
/// ...then loses this many, then fails with `DATA_LOSS`.
const LAG_LOST: usize = 60;

struct Net {
    spent: Mutex<HashMap<OutPoint, TxHash>>,
    /// Each transaction's state once its events are out (the same on every node).
    states: Mutex<HashMap<TxHash, pb::TxState>>,
    events: Vec<broadcast::Sender<pb::Event>>,
    /// The node whose next event stream lags (taken by the first subscription).
    lag: Mutex<Option<usize>>,
}

impl Net {
    fn broadcast_later(self: &Arc<Self>, kinds: Vec<pb::event::Kind>) {
        let net = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(DELAY).await;
            for kind in kinds {
                let state = match &kind {
                    pb::event::Kind::Accepted(a) => Some((&a.tx_hash, pb::TxState::Accepted)),
                    pb::event::Kind::Rejected(r) => Some((&r.tx_hash, pb::TxState::Rejected)),
                    _ => None,
                };
                if let Some((hash, state)) = state {
                    let hash = TxHash(hash[..].try_into().expect("32 bytes"));
                    net.states.lock().unwrap().insert(hash, state);
                }
                let event = pb::Event {
                    time_ms: now_ms(),
                    kind: Some(kind),
                };
                for sender in &net.events {
                    let _ = sender.send(event.clone());
                }
            }
        });
    }
}

#[derive(Clone)]
struct FakeNode {
    index: usize,
    net: Arc<Net>,
}

fn outpoint_pb(o: &OutPoint) -> pb::OutPoint {
    pb::OutPoint {
        tx_hash: o.tx.0.to_vec(),
        index: o.index,
    }
}

#[tonic::async_trait]
impl Node for FakeNode {
    async fn submit_transaction(
        &self,
        _: Request<pb::SubmitTransactionRequest>,
    ) -> Result<Response<pb::SubmitTransactionResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }

    async fn submit_transactions(
        &self,
        request: Request<pb::SubmitTransactionsRequest>,
    ) -> Result<Response<pb::SubmitTransactionsResponse>, Status> {
        let mut results = Vec::new();
        for bytes in request.into_inner().transactions {
            let tx =
                Transaction::decode(&bytes).map_err(|e| Status::invalid_argument(e.to_string()))?;
            if !tx.verify_signatures() {
                return Err(Status::invalid_argument("bad signature"));
            }
            let hash = tx.hash();
            let mut spent = self.net.spent.lock().unwrap();
            let winner = tx
                .inputs
                .iter()
                .find_map(|i| spent.get(&i.outpoint).map(|w| (i.outpoint, *w)));
            let state = match winner {
                Some((outpoint, winner)) if winner != hash => {
                    self.net.broadcast_later(vec![
                        pb::event::Kind::Conflict(pb::Conflict {
                            outpoint: Some(outpoint_pb(&outpoint)),
                            spenders: vec![winner.0.to_vec(), hash.0.to_vec()],
                        }),
                        pb::event::Kind::Decided(pb::Decided {
                            outpoint: Some(outpoint_pb(&outpoint)),
                            winner: winner.0.to_vec(),
                            support: HashMap::new(),
                        }),
                        pb::event::Kind::Rejected(pb::Rejected {
                            tx_hash: hash.0.to_vec(),
                            reason: "lost a conflict".into(),
                        }),
                    ]);
                    pb::TxState::Conflicted
                }
                _ => {
                    for input in &tx.inputs {
                        spent.insert(input.outpoint, hash);
                    }
                    self.net
                        .broadcast_later(vec![pb::event::Kind::Accepted(pb::Accepted {
                            tx_hash: hash.0.to_vec(),
                        })]);
                    pb::TxState::Pending
                }
            };
            results.push(pb::SubmitResult {
                tx_hash: hash.0.to_vec(),
                state: state as i32,
                error: String::new(),
            });
        }
        Ok(Response::new(pb::SubmitTransactionsResponse { results }))
    }

    async fn get_utxos(
        &self,
        _: Request<pb::GetUtxosRequest>,
    ) -> Result<Response<pb::GetUtxosResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }

    async fn get_transaction(
        &self,
        request: Request<pb::GetTransactionRequest>,
    ) -> Result<Response<pb::GetTransactionResponse>, Status> {
        let tx_hash = request.into_inner().tx_hash;
        let hash = TxHash(
            tx_hash[..]
                .try_into()
                .map_err(|_| Status::invalid_argument("not 32 bytes"))?,
        );
        let state = self.net.states.lock().unwrap().get(&hash).copied();
        match state {
            Some(state) => Ok(Response::new(pb::GetTransactionResponse {
                tx_hash,
                transaction: Vec::new(),
                state: state as i32,
            })),
            None => Err(Status::not_found("unknown or not final yet")),
        }
    }

    async fn get_finality_proof(
        &self,
        _: Request<pb::GetFinalityProofRequest>,
    ) -> Result<Response<pb::GetFinalityProofResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }

    type StreamEventsStream = Pin<Box<dyn Stream<Item = Result<pb::Event, Status>> + Send>>;

    async fn stream_events(
        &self,
        _: Request<pb::StreamEventsRequest>,
    ) -> Result<Response<Self::StreamEventsStream>, Status> {
        let stream = BroadcastStream::new(self.net.events[self.index].subscribe())
            .map(|r| r.map_err(|e| Status::data_loss(e.to_string())));
        let lags = self
            .net
            .lag
            .lock()
            .unwrap()
            .take_if(|node| *node == self.index)
            .is_some();
        if !lags {
            return Ok(Response::new(Box::pin(stream)));
        }
        let lagging = futures::stream::unfold((stream, 0), |(mut inner, sent)| async move {
            match sent {
                LAG_AFTER => {
                    for _ in 0..LAG_LOST {
                        // Lost: never delivered.
                        let _lost = inner.next().await?;
                    }
                    let lost = Status::data_loss(format!("{LAG_LOST} events dropped"));
                    Some((Err(lost), (inner, sent + 1)))
                }
                _ if sent > LAG_AFTER => None,
                _ => Some((inner.next().await?, (inner, sent + 1))),
            }
        });
        Ok(Response::new(Box::pin(lagging)))
    }

    async fn get_status(
        &self,
        _: Request<pb::GetStatusRequest>,
    ) -> Result<Response<pb::NodeStatus>, Status> {
        Ok(Response::new(pb::NodeStatus {
            peers: vec![pb::Peer::default()],
            utxo_digest: vec![7; 32],
            backends: vec![pb::Backend {
                name: "cpu".into(),
                signatures: 1,
                ..Default::default()
            }],
            ..Default::default()
        }))
    }
}

/// Starts `n` fake nodes on free loopback ports; returns a client of each.
pub(crate) async fn start(n: usize) -> Vec<Client> {
    start_with(n, None).await
}

/// [`start`], with node `lagging`'s first event stream lagging: it delivers [`LAG_AFTER`]
/// events, loses [`LAG_LOST`], then fails with `DATA_LOSS`.
pub(crate) async fn start_lagging(n: usize, lagging: usize) -> Vec<Client> {
    start_with(n, Some(lagging)).await
}

async fn start_with(n: usize, lag: Option<usize>) -> Vec<Client> {
    let net = Arc::new(Net {
        spent: Mutex::new(HashMap::new()),
        states: Mutex::new(HashMap::new()),
        events: (0..n).map(|_| broadcast::channel(100_000).0).collect(),
        lag: Mutex::new(lag),
    });
    let mut clients = Vec::new();
    for index in 0..n {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let node = FakeNode {
            index,
            net: net.clone(),
        };
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(NodeServer::new(node))
                .serve_with_incoming(TcpListenerStream::new(listener)),
        );
        clients.push(super::connect(&format!("http://{addr}")).await.unwrap());
    }
    clients
}
