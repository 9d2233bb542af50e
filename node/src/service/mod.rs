//! The networked node: a [`ProtocolNode`] driven by the libp2p network ([`crate::net`]), a
//! clock and its clients.
//!
//! [`start`] starts the network, then spawns the *driver*: one task that owns the
//! `ProtocolNode` and is the only place its state changes. The driver takes, one at a time,
//!
//! - gossip messages from the network: decoded, checked against their topic, handed to
//!   [`ProtocolNode::on_message`], and their verdict reported back to gossipsub (a deferred
//!   transaction's verdict when its signature batch has run);
//! - fetch requests from peers (transactions and inclusion proofs by transaction hash);
//! - commands from [`NodeHandle`]s (submissions, queries, shutdown);
//! - its timers: [`ProtocolNode::next_deadline`], the trust push to the network and the
//!   metadata announcement.
//!
//! It carries out the actions the node returns: publishing messages, reporting verdicts and
//! broadcasting [`StampedEvent`]s to subscribers (the gRPC event stream, metrics). The
//! [`NodeHandle`] is cloneable; the API layer ([`crate::api`]) holds one.
//!
//! The mapping from the state machine to the network is described in `docs/network.md`
//! ("The node on the network").

mod backpressure;
mod driver;
mod fetch;
mod handle;
mod meta;
mod txgossip;

pub use fetch::FinalityBundle;
pub use handle::{
    BackendLoad, NodeHandle, NodeStatusInfo, PeerStatus, StampedEvent, SubmitOutcome,
};
pub use meta::PeerMeta;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ramjet_accel::Accelerator;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::Result;
use crate::config::Mode;
use crate::identity::Identity;
use crate::ledger::Genesis;
use crate::metrics::NodeMetrics;
use crate::net::{self, NetConfig};
use crate::protocol::{ProtocolConfig, ProtocolNode};
use crate::storage::Store;

/// Capacity of the command channel from handles to the driver.
const COMMAND_CAPACITY: usize = 1024;
/// Capacity of the event broadcast: a subscriber this far behind loses events (and is told).
const EVENT_CAPACITY: usize = 16_384;

/// Everything [`start`] needs.
pub struct NodeSetup {
    /// The node's identity (its key is also its libp2p key).
    pub identity: Identity,
    /// Validator, observer or light.
    pub mode: Mode,
    /// Where the ledger lives.
    pub store: Arc<dyn Store>,
    /// The accelerator the ledger verifies signatures with.
    pub accel: Arc<Accelerator>,
    /// The chain's genesis.
    pub genesis: Genesis,
    /// The protocol's parameters.
    pub protocol: ProtocolConfig,
    /// The network's settings.
    pub net: NetConfig,
    /// Where the node records its metrics (`None`: not recorded).
    pub metrics: Option<NodeMetrics>,
}

/// A started node: its handle, and the driver task to wait for.
pub struct RunningNode {
    handle: NodeHandle,
    driver: JoinHandle<Result<()>>,
}

impl RunningNode {
    /// A handle to the node (cloneable).
    pub fn handle(&self) -> NodeHandle {
        self.handle.clone()
    }

    /// Waits until the node stops (after [`NodeHandle::shutdown`], or if its driver fails).
    ///
    /// # Errors
    /// The error that stopped the driver (a storage failure, for instance).
    pub async fn wait(self) -> Result<()> {
        match self.driver.await {
            Ok(r) => r,
            Err(e) => Err(crate::NodeError::Service(format!(
                "node driver panicked: {e}"
            ))),
        }
    }

    /// Stops the node cleanly and waits for it: the driver finishes the input in hand, every
    /// transaction already reported accepted is on disk (the ledger writes before it reports),
    /// and the network shuts down.
    ///
    /// # Errors
    /// As [`RunningNode::wait`].
    pub async fn shutdown(self) -> Result<()> {
        self.handle.shutdown();
        self.wait().await
    }
}

/// Starts a node: opens its ledger, starts the network on `setup.net` and spawns the driver on
/// the current tokio runtime.
///
/// # Errors
/// A bad protocol configuration or ledger ([`ProtocolNode::new`]), and the network's start
/// errors ([`crate::net::start`]: an address in use, a bad network configuration).
pub async fn start(setup: NodeSetup) -> Result<RunningNode> {
    let NodeSetup {
        identity,
        mode,
        store,
        accel,
        genesis,
        protocol,
        net: net_config,
        metrics,
    } = setup;
    let now = now_ms();
    // The network key is the identity's key; the identity itself moves into the node.
    let keypair = net::keypair_of(&identity)?;
    let node_id = identity.node_id();
    let mut node = ProtocolNode::new(
        identity,
        store,
        accel.clone(),
        &genesis,
        &protocol,
        now + protocol.flush_interval_ms,
    )?;
    node.set_signing(mode == Mode::Validator);
    if let Some(m) = &metrics {
        node.set_metrics(m.clone());
    }
    let chain = net_config.chain.clone();
    let request_timeout = net_config.request_timeout();
    let max_gossip_bytes = txgossip::frame_limit(net_config.max_message_size);
    let (net, net_events) = net::start_with_keypair(keypair, net_config).await?;
    let (commands_tx, commands_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (events, _) = broadcast::channel(EVENT_CAPACITY);
    let shutdown = CancellationToken::new();
    let handle = NodeHandle {
        commands: commands_tx,
        events: events.clone(),
        net: net.clone(),
        accel,
        shutdown: shutdown.clone(),
        info: Arc::new(handle::NodeInfo {
            node_id,
            peer_id: net.local_peer_id(),
            mode,
            chain,
            chain_id: genesis.chain_id,
            started_ms: now,
            request_timeout,
        }),
    };
    let driver = driver::Driver::new(
        node,
        mode,
        net,
        driver::Channels {
            net_events,
            commands: commands_rx,
            events,
        },
        shutdown,
        metrics,
        max_gossip_bytes,
    );
    let driver = tokio::spawn(driver.run());
    Ok(RunningNode { handle, driver })
}

/// Milliseconds since the Unix epoch: the node's clock (observations carry it).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64
}
