//! The node's gRPC API (`docs/api.md`; the contract is `proto/ramjet/v1/node.proto`).
//!
//! Two services on one port: `ramjet.v1.Node`, public and rate-limited per client address
//! ([`limit`]), and `ramjet.v1.Admin`, which needs the config's admin token ([`admin`]); plus
//! server reflection, so `grpcurl` and other tools can list and call them without the
//! `.proto`. [`serve`] binds first, so a port in use is reported before anything runs.
//!
//! Errors map to gRPC codes: bad bytes or arguments → `INVALID_ARGUMENT`; unknown
//! transaction → `NOT_FOUND`; already known → `ALREADY_EXISTS`; refused by the ledger's state,
//! not final yet, or not available on a light node → `FAILED_PRECONDITION`; rate-limited or
//! overloaded →
//! `RESOURCE_EXHAUSTED`; node stopping or network down → `UNAVAILABLE`; a lagging event stream
//! → `DATA_LOSS`; missing or wrong token → `UNAUTHENTICATED`; admin API disabled →
//! `PERMISSION_DENIED`; anything else → `INTERNAL`.

mod admin;
mod convert;
mod limit;
pub mod pb;
mod public;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::config::ApiConfig;
use crate::service::NodeHandle;
use crate::{NodeError, Result};

/// How often the rate limiter forgets idle clients.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// A running API server.
pub struct ApiServer {
    /// The address it listens on (the real port when the config asked for port 0).
    pub local_addr: SocketAddr,
    task: JoinHandle<Result<()>>,
}

impl ApiServer {
    /// Waits for the server to stop (after its shutdown token is cancelled).
    ///
    /// # Errors
    /// The transport's error, if it failed.
    pub async fn wait(self) -> Result<()> {
        self.task
            .await
            .map_err(|e| NodeError::Service(format!("API server panicked: {e}")))?
    }
}

/// Starts the API on `cfg.listen` for `node`, until `shutdown` is cancelled. `default_ban` is
/// the ban length of an admin `BanPeer` call that gives none.
///
/// # Errors
/// [`NodeError::AddressInUse`] if the port is taken, [`NodeError::Service`] for other bind
/// failures.
pub async fn serve(
    cfg: &ApiConfig,
    node: NodeHandle,
    default_ban: Duration,
    shutdown: CancellationToken,
) -> Result<ApiServer> {
    let incoming = TcpIncoming::bind(cfg.listen).map_err(|e| bind_error(cfg.listen, &e))?;
    let local_addr = incoming
        .local_addr()
        .map_err(|e| bind_error(cfg.listen, &e))?
        .to_owned();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| NodeError::Service(format!("reflection service: {e}")))?;
    let limit = limit::RateLimit::new(
        cfg.rate_limit_per_sec,
        cfg.rate_limit_burst,
        cfg.rate_limit_exempt_loopback,
    );
    let public = tonic::service::interceptor::InterceptedService::new(
        pb::node_server::NodeServer::new(public::NodeApi {
            node: node.clone(),
            max_batch: cfg.max_batch,
            shutdown: shutdown.clone(),
        })
        .max_decoding_message_size(cfg.max_message_size)
        .max_encoding_message_size(cfg.max_message_size),
        limit.clone(),
    );
    let token = cfg
        .admin_token
        .as_ref()
        .map(|t| Arc::<[u8]>::from(t.as_bytes()));
    let admin = pb::admin_server::AdminServer::with_interceptor(
        admin::AdminApi { node, default_ban },
        admin::AdminAuth(token),
    );
    let prune = {
        let shutdown = shutdown.clone();
        async move {
            let mut tick = tokio::time::interval(PRUNE_INTERVAL);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = tick.tick() => limit.prune(),
                }
            }
        }
    };
    tokio::spawn(prune);
    let task = tokio::spawn(async move {
        Server::builder()
            .add_service(reflection)
            .add_service(public)
            .add_service(admin)
            .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
            .await
            .map_err(|e| NodeError::Service(format!("API server: {e}")))
    });
    tracing::info!(%local_addr, "gRPC API listening");
    Ok(ApiServer { local_addr, task })
}

fn bind_error(addr: SocketAddr, e: &std::io::Error) -> NodeError {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        NodeError::AddressInUse {
            what: "api.listen",
            addr: addr.to_string(),
        }
    } else {
        NodeError::Service(format!("API: binding {addr}: {e}"))
    }
}
