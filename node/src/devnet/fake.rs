//! Test double: N in-process gRPC `Node` servers sharing one ideal network (every transaction
//! accepted on every node 30 ms after submission; the second spender of an output loses, with
//! `Conflict` and `Decided` events everywhere), to run the load against without node processes.

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

struct Net {
    spent: Mutex<HashMap<OutPoint, TxHash>>,
    events: Vec<broadcast::Sender<pb::Event>>,
}

impl Net {
    fn broadcast_later(self: &Arc<Self>, kinds: Vec<pb::event::Kind>) {
        let net = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(DELAY).await;
            for kind in kinds {
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
        _: Request<pb::GetTransactionRequest>,
    ) -> Result<Response<pb::GetTransactionResponse>, Status> {
        Err(Status::unimplemented("fake"))
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
        Ok(Response::new(Box::pin(stream)))
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
    let net = Arc::new(Net {
        spent: Mutex::new(HashMap::new()),
        events: (0..n).map(|_| broadcast::channel(100_000).0).collect(),
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
