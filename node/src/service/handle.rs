//! [`NodeHandle`]: the cloneable handle through which clients (the API, the devnet, tests)
//! use a running node. Every call that touches the node's state is a command to the driver on
//! a bounded channel, answered on a oneshot channel.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ramjet_accel::{Accelerator, Op};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::meta::PeerMeta;
use crate::config::Mode;
use crate::identity::NodeId;
use crate::ledger::{Submission, UtxoPage};
use crate::net::{Multiaddr, NetClient, PeerId};
use crate::observe::TxState;
use crate::protocol::{NodeCounters, NodeEvent, ProtocolNode};
use crate::tx::{KeyHash, OutPoint, Output, Transaction, TxHash};
use crate::{NodeError, Result};

/// A [`NodeEvent`] with the time the node emitted it (ms since the Unix epoch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StampedEvent {
    /// When.
    pub time_ms: u64,
    /// What.
    pub event: NodeEvent,
}

/// The fate of one submitted transaction at submission time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitOutcome {
    /// The transaction's hash.
    pub tx: TxHash,
    /// Queued (its signature is verified in the next batch), a duplicate, or rejected at once.
    pub submission: Submission,
}

/// What the driver lets a query read.
pub(crate) struct QueryView<'a> {
    pub(crate) node: &'a ProtocolNode,
    pub(crate) now_ms: u64,
    pub(crate) meta: &'a HashMap<PeerId, PeerMeta>,
    pub(crate) submitted: u64,
}

type Query = Box<dyn FnOnce(&QueryView<'_>) + Send>;

/// Commands from handles to the driver.
pub(crate) enum Command {
    Submit {
        txs: Vec<Transaction>,
        reply: oneshot::Sender<Result<Vec<SubmitOutcome>>>,
    },
    Query(Query),
    ForgetTrust(NodeId),
}

/// Facts about the node fixed at start.
#[derive(Debug)]
pub(crate) struct NodeInfo {
    pub(crate) node_id: NodeId,
    pub(crate) peer_id: PeerId,
    pub(crate) mode: Mode,
    pub(crate) chain: String,
    pub(crate) chain_id: u32,
    pub(crate) started_ms: u64,
    pub(crate) request_timeout: Duration,
}

/// A connected peer as the status shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerStatus {
    /// Its libp2p id.
    pub peer_id: PeerId,
    /// Its node id (from its Ed25519 key).
    pub node_id: Option<NodeId>,
    /// This node's direct trust in it.
    pub trust: f64,
    /// Gossipsub's score of it.
    pub gossip_score: Option<f64>,
    /// What it announced on the metadata topic.
    pub meta: Option<PeerMeta>,
}

/// One accelerator backend as the status shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendLoad {
    /// The backend's id (`kind:device`).
    pub id: String,
    /// Its kind (cpu, cuda, wgpu, fpga).
    pub kind: String,
    /// Whether it runs on an emulated device (lavapipe, a simulator).
    pub emulated: bool,
    /// Whether the dispatcher avoids it after a fault.
    pub degraded: bool,
    /// Calls it completed since start, every operation.
    pub calls: u64,
    /// Signature-verification calls it completed.
    pub signature_calls: u64,
    /// Signatures it verified, over those calls.
    pub signatures: u64,
    /// Its answers recomputed on the CPU and compared (`accel.audit`), every operation.
    pub audits: u64,
    /// Audited answers that differed from the CPU's.
    pub audit_mismatches: u64,
}

/// A snapshot of the node's status.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeStatusInfo {
    /// The node's id.
    pub node_id: NodeId,
    /// Its libp2p id.
    pub peer_id: PeerId,
    /// Its mode.
    pub mode: Mode,
    /// The chain's name (in the topics).
    pub chain: String,
    /// The chain id.
    pub chain_id: u32,
    /// Milliseconds since start.
    pub uptime_ms: u64,
    /// Where it listens.
    pub listen_addrs: Vec<Multiaddr>,
    /// Connected peers.
    pub peers: Vec<PeerStatus>,
    /// Peers it convicted of equivocation.
    pub convicted: usize,
    /// The accelerator's backends.
    pub backends: Vec<BackendLoad>,
    /// The protocol's counters.
    pub counters: NodeCounters,
    /// Transactions submitted by clients of this node.
    pub submitted: u64,
    /// SHA-256 digest of the committed UTXO set ([`crate::ledger::Ledger::utxo_digest`]);
    /// `None` for a light node, or when not asked for ([`NodeHandle::status_with`]).
    pub utxo_digest: Option<[u8; 32]>,
}

/// A cloneable handle to a running node.
#[derive(Clone)]
pub struct NodeHandle {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) events: broadcast::Sender<StampedEvent>,
    pub(crate) net: NetClient,
    pub(crate) accel: Arc<Accelerator>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) info: Arc<NodeInfo>,
}

impl std::fmt::Debug for NodeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeHandle")
            .field("node_id", &self.info.node_id)
            .field("peer_id", &self.info.peer_id)
            .field("mode", &self.info.mode)
            .finish_non_exhaustive()
    }
}

fn stopped() -> NodeError {
    NodeError::Service("the node is shutting down or has stopped".into())
}

impl NodeHandle {
    /// The node's id.
    pub fn node_id(&self) -> NodeId {
        self.info.node_id
    }

    /// The node's libp2p peer id.
    pub fn peer_id(&self) -> PeerId {
        self.info.peer_id
    }

    /// The node's mode.
    pub fn mode(&self) -> Mode {
        self.info.mode
    }

    /// The chain id.
    pub fn chain_id(&self) -> u32 {
        self.info.chain_id
    }

    /// The network client (dial, ban, peers).
    pub fn net(&self) -> &NetClient {
        &self.net
    }

    /// The accelerator the node verifies with (its registry holds the metrics).
    pub fn accel(&self) -> &Arc<Accelerator> {
        &self.accel
    }

    /// How long a fetch from a peer waits by default.
    pub fn request_timeout(&self) -> Duration {
        self.info.request_timeout
    }

    /// Asks the node to stop; [`super::RunningNode::wait`] returns when it has.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// The token [`shutdown`](Self::shutdown) cancels (to wait for it).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.is_cancelled()
    }

    /// Events from now on. A subscriber that falls more than the channel's capacity behind
    /// gets `RecvError::Lagged` and misses events.
    pub fn subscribe(&self) -> broadcast::Receiver<StampedEvent> {
        self.events.subscribe()
    }

    /// Submits transactions in one command; one outcome each, in order.
    ///
    /// # Errors
    /// [`NodeError::Service`] if the node has stopped; a light node refuses submissions;
    /// [`NodeError::Overloaded`] (nothing taken) while the node is behind with its work.
    pub async fn submit_many(&self, txs: Vec<Transaction>) -> Result<Vec<SubmitOutcome>> {
        if self.info.mode == Mode::Light {
            return Err(NodeError::Service(
                "a light node keeps no ledger and takes no transactions".into(),
            ));
        }
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Submit { txs, reply })
            .await
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Submits one transaction.
    ///
    /// # Errors
    /// As [`submit_many`](Self::submit_many).
    pub async fn submit(&self, tx: Transaction) -> Result<SubmitOutcome> {
        let mut out = self.submit_many(vec![tx]).await?;
        Ok(out.pop().expect("one outcome per transaction"))
    }

    /// Runs `f` on the node's state inside the driver and returns its result. `f` must be quick:
    /// the node does nothing else meanwhile.
    pub(crate) async fn query<R: Send + 'static>(
        &self,
        f: impl FnOnce(&QueryView<'_>) -> R + Send + 'static,
    ) -> Result<R> {
        let (reply, rx) = oneshot::channel();
        let q: Query = Box::new(move |view| {
            let _ = reply.send(f(view));
        });
        self.commands
            .send(Command::Query(q))
            .await
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }

    /// Runs `f` on the node's protocol state (read only) and returns its result; `f` gets the
    /// node's current time too. For tools and tests: keep it quick.
    ///
    /// # Errors
    /// [`NodeError::Service`] if the node has stopped.
    pub async fn inspect<R: Send + 'static>(
        &self,
        f: impl FnOnce(&ProtocolNode, u64) -> R + Send + 'static,
    ) -> Result<R> {
        self.query(move |v| f(v.node, v.now_ms)).await
    }

    /// A transaction this node knows and its state.
    ///
    /// # Errors
    /// [`NodeError::Service`] if the node has stopped.
    pub async fn transaction(&self, tx: TxHash) -> Result<Option<(Transaction, TxState)>> {
        self.query(move |v| {
            let ledger = v.node.ledger();
            Some((ledger.transaction(&tx)?, ledger.state(&tx)?))
        })
        .await
    }

    /// The state of `tx` on this node, if it knows it.
    ///
    /// # Errors
    /// [`NodeError::Service`] if the node has stopped.
    pub async fn state(&self, tx: TxHash) -> Result<Option<TxState>> {
        self.query(move |v| v.node.ledger().state(&tx)).await
    }

    /// The committed unspent outputs owned by `key_hash`, in outpoint order, read through the
    /// store's owner index (the cost grows with the owner's outputs, not the ledger).
    ///
    /// # Errors
    /// [`NodeError::Service`] if the node has stopped, a storage error.
    pub async fn utxos_of(&self, key_hash: KeyHash) -> Result<Vec<(OutPoint, Output)>> {
        Ok(self
            .query(move |v| v.node.ledger().utxos_of(&key_hash))
            .await??)
    }

    /// A page of [`Self::utxos_of`]: at most `limit`, the first after the outpoint `after`
    /// (from the first when `None`), and whether more follow.
    ///
    /// # Errors
    /// As [`Self::utxos_of`].
    pub async fn utxos_page(
        &self,
        key_hash: KeyHash,
        after: Option<OutPoint>,
        limit: usize,
    ) -> Result<UtxoPage> {
        Ok(self
            .query(move |v| {
                v.node
                    .ledger()
                    .utxos_of_page(&key_hash, after.as_ref(), limit)
            })
            .await??)
    }

    /// Forgets this node's trust record of `peer` (after an operator lifts its ban).
    ///
    /// # Errors
    /// [`NodeError::Service`] if the node has stopped.
    pub async fn forget_trust(&self, node: NodeId) -> Result<()> {
        self.commands
            .send(Command::ForgetTrust(node))
            .await
            .map_err(|_| stopped())
    }

    /// The node's status: identity, peers with their trust and metadata, backends and their
    /// load, counters, UTXO digest.
    ///
    /// # Errors
    /// [`NodeError::Service`] if the node or its network has stopped; a storage error.
    pub async fn status(&self) -> Result<NodeStatusInfo> {
        self.status_with(true).await
    }

    /// [`Self::status`], with the UTXO digest only if `utxo_digest`. The digest reads the whole
    /// UTXO set inside the node's driver, which does nothing else meanwhile: a status polled
    /// often (a progress display) should leave it out.
    ///
    /// # Errors
    /// As [`Self::status`].
    pub async fn status_with(&self, utxo_digest: bool) -> Result<NodeStatusInfo> {
        let peers = self.net.peers().await?;
        let listen_addrs = self.net.listen_addrs().await?;
        let digest_wanted = utxo_digest && self.info.mode != Mode::Light;
        let (view, digest) = self
            .query(move |v| {
                let statuses: Vec<PeerStatus> = peers
                    .iter()
                    .map(|p| {
                        let node_id = crate::net::node_id_of(&p.peer_id);
                        PeerStatus {
                            peer_id: p.peer_id,
                            node_id,
                            trust: node_id
                                .map(|n| v.node.trust().score(&n, v.now_ms))
                                .unwrap_or(p.trust),
                            gossip_score: p.gossip_score,
                            meta: v.meta.get(&p.peer_id).cloned(),
                        }
                    })
                    .collect();
                let digest = digest_wanted
                    .then(|| v.node.ledger().utxo_digest())
                    .transpose();
                (
                    (
                        statuses,
                        v.node.votes().convicted().len(),
                        v.node.counters(),
                        v.submitted,
                        v.now_ms,
                    ),
                    digest,
                )
            })
            .await?;
        let (peers, convicted, counters, submitted, now_ms) = view;
        let metrics = self.accel.metrics();
        let backends = self
            .accel
            .backends()
            .into_iter()
            .map(|b| {
                let id = b.info.id();
                let calls = Op::ALL.iter().map(|op| metrics.calls_of(&id, *op)).sum();
                let (audits, audit_mismatches) = Op::ALL
                    .iter()
                    .map(|op| metrics.audits_of(&id, *op))
                    .fold((0, 0), |(a, m), (da, dm)| (a + da, m + dm));
                BackendLoad {
                    signature_calls: metrics.calls_of(&id, Op::Ed25519Verify),
                    signatures: metrics.items_of(&id, Op::Ed25519Verify),
                    audits,
                    audit_mismatches,
                    calls,
                    kind: b.info.kind.to_string(),
                    emulated: b.info.emulated,
                    degraded: b.degraded,
                    id,
                }
            })
            .collect();
        Ok(NodeStatusInfo {
            node_id: self.info.node_id,
            peer_id: self.info.peer_id,
            mode: self.info.mode,
            chain: self.info.chain.clone(),
            chain_id: self.info.chain_id,
            uptime_ms: now_ms.saturating_sub(self.info.started_ms),
            listen_addrs,
            peers,
            convicted,
            backends,
            counters,
            submitted,
            utxo_digest: digest?,
        })
    }
}
