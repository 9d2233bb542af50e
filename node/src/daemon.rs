//! `ramjet node`: one node from a [`NodeConfig`], with its API and metrics, until SIGINT,
//! SIGTERM or an admin `Shutdown` call; or, when started with [`EXIT_WITH_PARENT`] set, until
//! the process that started it is gone.
//!
//! Start-up order: the key (loaded, or created on first run), the store, the genesis, the
//! accelerator (whose devices run their first calls now, see [`NODE_OPS`]), then the ports: network, API and metrics, each failing with a message that
//! names the setting when its port is taken. Shutdown stops the API and metrics first, then the
//! node: every transaction it reported accepted is already on disk (`docs/storage.md`).

use std::net::SocketAddr;
use std::sync::Arc;

use ramjet_accel::{Accelerator, AuditPolicy, CostModel, Op, WarmUpOutcome};
use tokio_util::sync::CancellationToken;

use crate::config::{Mode, NodeConfig};
use crate::identity::Identity;
use crate::metrics::NodeMetrics;
use crate::net::Multiaddr;
use crate::service::{self, NodeHandle, NodeSetup};
use crate::storage::{MemoryStore, RocksStore, Store};
use crate::{NodeError, Result};

/// Where a started node can be reached.
#[derive(Clone, Debug)]
pub struct NodeEndpoints {
    /// The node's handle.
    pub handle: NodeHandle,
    /// Its network addresses.
    pub listen: Vec<Multiaddr>,
    /// The API's address, when enabled.
    pub api: Option<SocketAddr>,
    /// The metrics endpoint's address, when enabled.
    pub metrics: Option<SocketAddr>,
}

/// Builds the accelerator the config asks for: the detected backends (or only the CPU), a
/// forced backend, the calibration profile.
///
/// # Errors
/// A forced backend that does not exist, an unreadable profile.
pub fn accelerator(config: &NodeConfig) -> Result<Arc<Accelerator>> {
    let cfg = &config.accel;
    let mut builder = Accelerator::builder().allow_emulated(cfg.allow_emulated);
    let want_devices = cfg.backend.as_deref().is_none_or(|b| b != "cpu");
    if want_devices {
        let found = crate::detect();
        for note in &found.notes {
            tracing::info!("{note}");
        }
        builder = builder.devices(found.backends.into_iter().skip(1));
    }
    if let Some(profile) = &cfg.profile {
        builder = builder.cost_model(CostModel::load_or_defaults(profile)?);
    }
    if let Some(backend) = &cfg.backend
        && backend != "auto"
    {
        builder = builder.force(backend.clone());
    }
    if cfg.audit > 0 {
        builder = builder.audit(AuditPolicy::OneIn(cfg.audit));
    }
    Ok(Arc::new(builder.build()?))
}

/// The accelerator operations a validator or observer calls: signature batches and observation
/// roots.
const NODE_OPS: [Op; 2] = [Op::Ed25519Verify, Op::MerkleSha256];

/// Runs the first call of each of [`NODE_OPS`] on every device the node may use, before the
/// node serves: a wgpu adapter compiles its kernels on its first call (seconds, or minutes for
/// Ed25519 on a cold Mesa shader cache), which would otherwise hold up the node's first batch. A
/// device that fails or disagrees with the CPU is left out, with a warning.
async fn warm_up(accel: &Arc<Accelerator>) -> Result<()> {
    let accel = Arc::clone(accel);
    let done = tokio::task::spawn_blocking(move || {
        accel.warm_up(&NODE_OPS, |backend, op| {
            tracing::info!("preparing {op} on {backend} (compiling its kernels: may take minutes)");
        })
    })
    .await
    .map_err(|e| NodeError::Service(format!("the accelerator's warm-up stopped: {e}")))?;
    for w in done {
        match &w.outcome {
            WarmUpOutcome::Ready => tracing::info!(
                "{} ready on {} in {:.1} s",
                w.op,
                w.backend,
                w.elapsed.as_secs_f64()
            ),
            WarmUpOutcome::Disabled(reason) => tracing::warn!(
                "{} left to the CPU: {} failed its warm-up ({reason})",
                w.op,
                w.backend
            ),
        }
    }
    Ok(())
}

/// Starts a node from `config` and returns once it runs, with its endpoints; the node stops
/// when `shutdown` is cancelled (or by an admin call). `done` completes when everything has
/// stopped.
///
/// # Errors
/// Everything that stops a start: an unreadable or invalid key file, a data directory that is
/// not this chain's store, a bad genesis, a port in use (named by its setting).
pub async fn start(
    config: &NodeConfig,
    shutdown: CancellationToken,
) -> Result<(NodeEndpoints, tokio::task::JoinHandle<Result<()>>)> {
    let data_dir = &config.node.data_dir;
    std::fs::create_dir_all(data_dir).map_err(|e| NodeError::File {
        path: data_dir.clone(),
        reason: format!("cannot create the data directory: {e}"),
    })?;
    let key_path = config.node.key_path();
    let identity = Identity::load_or_create(&key_path, config.node.pow_bits)?;
    let genesis = config.genesis()?;
    let store: Arc<dyn Store> = if config.node.mode == Mode::Light {
        // A light node keeps no ledger: its (empty) store lives in memory.
        Arc::new(MemoryStore::new(&config.network.chain))
    } else {
        let dir = config.node.data_dir.join("db");
        Arc::new(RocksStore::open(&dir, &config.network.chain)?)
    };
    let accel = accelerator(config)?;
    if config.node.mode != Mode::Light {
        warm_up(&accel).await?;
    }
    let metrics = NodeMetrics::register(accel.registry())?;
    let mut protocol = config.protocol.clone();
    if config.accel.single_signature {
        // The baseline of the benchmarks: every signature verified on its own.
        protocol.ledger.batch_max_signatures = 1;
    }
    let running = service::start(NodeSetup {
        identity,
        mode: config.node.mode,
        store,
        accel: accel.clone(),
        genesis,
        protocol,
        net: config.network.clone(),
        metrics: Some(metrics),
    })
    .await?;
    let handle = running.handle();
    let listen = handle.net().listen_addrs().await?;
    // From here on, a failure must stop the node it started.
    let servers = async {
        let api = if config.api.enabled {
            Some(
                crate::api::serve(
                    &config.api,
                    handle.clone(),
                    config.network.ban_duration(),
                    shutdown.clone(),
                )
                .await?,
            )
        } else {
            None
        };
        let metrics = if config.metrics.enabled {
            Some(
                crate::metrics::serve(
                    config.metrics.listen,
                    accel.registry().clone(),
                    shutdown.clone().cancelled_owned(),
                )
                .await?,
            )
        } else {
            None
        };
        Ok::<_, NodeError>((api, metrics))
    };
    let (api, metrics) = match servers.await {
        Ok(s) => s,
        Err(e) => {
            shutdown.cancel();
            let _ = running.shutdown().await;
            return Err(e);
        }
    };
    let endpoints = NodeEndpoints {
        handle: handle.clone(),
        listen,
        api: api.as_ref().map(|a| a.local_addr),
        metrics: metrics.as_ref().map(|m| m.0),
    };
    let done = tokio::spawn(async move {
        // Either the operator (signal, cancel) or the node itself (admin Shutdown, a failure)
        // ends the run; the other side is then told.
        let node_token = handle.shutdown_token();
        tokio::select! {
            () = shutdown.cancelled() => handle.shutdown(),
            () = node_token.cancelled() => shutdown.cancel(),
        }
        let result = running.wait().await;
        shutdown.cancel();
        if let Some(api) = api {
            api.wait().await?;
        }
        if let Some((_, task)) = metrics {
            let _ = task.await;
        }
        result
    });
    Ok((endpoints, done))
}

/// Waits for SIGINT or SIGTERM.
///
/// # Errors
/// If the signal handlers cannot be installed.
pub async fn termination_signal() -> Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| NodeError::Service(format!("installing the SIGTERM handler: {e}")))?;
    let mut int = signal(SignalKind::interrupt())
        .map_err(|e| NodeError::Service(format!("installing the SIGINT handler: {e}")))?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

/// The environment variable that makes `ramjet node` stop, as on SIGTERM, once the process
/// whose id it holds is no longer its parent (a process whose parent exits is re-parented).
/// `ramjet devnet` sets it to its own id for its nodes, so that none outlives a devnet killed
/// with SIGKILL, where no clean-up of the devnet's own runs.
pub const EXIT_WITH_PARENT: &str = "RAMJET_EXIT_WITH_PARENT";

/// How often a node started with [`EXIT_WITH_PARENT`] checks its parent.
const PARENT_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// The parent process that [`EXIT_WITH_PARENT`] names, given the variable as
/// `std::env::var` reads it: `None` if it is not set.
fn parent_to_follow(var: std::result::Result<String, std::env::VarError>) -> Result<Option<u32>> {
    match var {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Ok(v) => match v.parse::<u32>() {
            Ok(pid) if pid > 0 => Ok(Some(pid)),
            _ => Err(NodeError::Service(format!(
                "{EXIT_WITH_PARENT}={v:?}: expected the process id of the parent to follow"
            ))),
        },
        Err(e) => Err(NodeError::Service(format!("{EXIT_WITH_PARENT}: {e}"))),
    }
}

/// Cancels `shutdown` once this process's parent is not `parent` (at once if it already is
/// not).
async fn watch_parent(parent: u32, shutdown: CancellationToken) {
    loop {
        if std::os::unix::process::parent_id() != parent {
            eprintln!(
                "the process that started this node ({parent}) is gone: stopping (accepted \
                 transactions are on disk)"
            );
            shutdown.cancel();
            return;
        }
        tokio::time::sleep(PARENT_POLL).await;
    }
}

/// `ramjet node`: starts the node and runs it until a signal or an admin shutdown (or, with
/// [`EXIT_WITH_PARENT`] set, until the parent it names exits).
///
/// # Errors
/// As [`start`]; [`EXIT_WITH_PARENT`] set to something other than a process id; a failure of
/// the running node.
pub async fn run(config: NodeConfig) -> Result<()> {
    let parent = parent_to_follow(std::env::var(EXIT_WITH_PARENT))?;
    let shutdown = CancellationToken::new();
    let (endpoints, done) = start(&config, shutdown.clone()).await?;
    let h = &endpoints.handle;
    eprintln!(
        "ramjet node {} ({}) on chain {:?}: peer id {}",
        h.node_id(),
        h.mode(),
        config.network.chain,
        h.peer_id()
    );
    for a in &endpoints.listen {
        eprintln!("  network  {a}/p2p/{}", h.peer_id());
    }
    if let Some(a) = endpoints.api {
        eprintln!("  api      {a} (gRPC)");
    }
    if let Some(a) = endpoints.metrics {
        eprintln!("  metrics  http://{a}/metrics");
    }
    let stopper = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            match termination_signal().await {
                Ok(sig) => {
                    eprintln!("{sig}: stopping (accepted transactions are on disk)");
                    shutdown.cancel();
                }
                Err(e) => tracing::error!("{e}"),
            }
        })
    };
    let orphan_watch = parent.map(|parent| tokio::spawn(watch_parent(parent, shutdown.clone())));
    let result = done
        .await
        .map_err(|e| NodeError::Service(format!("node task panicked: {e}")))?;
    stopper.abort();
    if let Some(watch) = orphan_watch {
        watch.abort();
    }
    eprintln!("ramjet node stopped");
    result
}

#[cfg(test)]
mod tests {
    use std::env::VarError;

    use super::*;

    #[test]
    fn the_parent_to_follow_is_a_process_id() {
        assert_eq!(parent_to_follow(Err(VarError::NotPresent)).unwrap(), None);
        assert_eq!(parent_to_follow(Ok("4242".into())).unwrap(), Some(4242));
        for bad in ["", "0", "-3", "abc", "12 "] {
            let err = parent_to_follow(Ok(bad.into())).unwrap_err().to_string();
            assert!(
                err.contains(EXIT_WITH_PARENT) && err.contains("process id"),
                "{bad:?}: {err}"
            );
        }
    }
}
