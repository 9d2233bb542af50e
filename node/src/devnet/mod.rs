//! `ramjet devnet`: a local network of N nodes under load, with its correctness checks.
//!
//! The steps, one module each:
//!
//! - [`plan`]: wipe and recreate the devnet directory; per node a key file, free ports and a
//!   configuration file (node 0 is every other node's bootstrap peer); the wallet's account keys
//!   (from `--seed`) and the genesis shared by every node, funding the first seconds of load;
//! - [`process`]: run each node as `ramjet node --config …` (logging to `node-i/node.log`) and
//!   stop them all with SIGTERM (SIGKILL after 10 s) at the end, on Ctrl-C, on an error or a
//!   panic;
//! - [`load`]: signed transfers at `--tps`, round-robin over the nodes in batches, each spending
//!   an output the node it was sent to has accepted; double-spend attempts sent to two nodes at
//!   once; every node's event stream followed;
//! - [`stats`] and [`report`]: finality latency percentiles, counts, memory, which backend
//!   verified the signatures, and the checks: every double spend resolved the same way on
//!   every node, every node's UTXO digest equal.
//!
//! `docs/devnet.md` describes the command, its flags and the summary.

pub mod bench;
#[cfg(test)]
mod fake;
pub mod load;
pub mod plan;
pub mod process;
pub mod report;
pub mod stats;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tonic::transport::Endpoint;

pub use plan::BackendChoice;
pub use report::Summary;

use crate::api::pb;
use crate::api::pb::node_client::NodeClient;
use crate::{NodeError, Result};
use load::{Client, LoadParams, Pool, Shared, Tracker, Wallet};
use plan::{DEVNET_CHAIN_ID, Plan, PlanParams};
use process::{Cluster, STOP_GRACE, rss_kib};
use report::{NodeFacts, Settings, signature_backends};
use stats::{Percentiles, RateWindow};

/// How long the nodes have to answer `GetStatus` with at least one peer.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// The same with `--backend wgpu`: a node compiles the adapter's kernels before it serves, which
/// takes minutes on lavapipe with a cold Mesa shader cache.
pub const READY_TIMEOUT_WGPU: Duration = Duration::from_secs(900);
/// How long, after the load, transfers still in flight have to be accepted everywhere.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long, after that, the nodes' UTXO digests have to become equal.
const DIGEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one status with the UTXO digest may take (the digest reads the whole UTXO set:
/// over a million outputs after a long run).
const DIGEST_CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// A pause between the nodes being ready and the load, for the gossip meshes to form.
const SETTLE: Duration = Duration::from_secs(1);
/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// `ramjet devnet`: start a local network of nodes, put it under load, check and report.
#[derive(Clone, Debug, clap::Args)]
pub struct DevnetArgs {
    /// Number of nodes (at least 2).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub nodes: usize,
    /// Seconds of load.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub duration: u64,
    /// Transfers submitted per second, over all nodes.
    #[arg(long, value_name = "RATE", default_value_t = 500)]
    pub tps: u64,
    /// Double-spend attempts over the run (each sends two spenders of one output to two nodes
    /// at once).
    #[arg(long, value_name = "K", default_value_t = 20)]
    pub double_spends: usize,
    /// Wallet accounts (at least 2).
    #[arg(long, value_name = "A", default_value_t = 64)]
    pub accounts: usize,
    /// The devnet directory: wiped and recreated (refused unless empty or a previous devnet).
    #[arg(long, value_name = "DIR", default_value = "devnet")]
    pub dir: PathBuf,
    /// First port: node i uses P+3i (p2p), P+3i+1 (API), P+3i+2 (metrics); 0 picks free ports.
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub base_port: u16,
    /// The nodes' accelerator backend: `cpu` forces the CPU, `auto` lets each node choose.
    #[arg(long, value_enum, default_value_t = BackendChoice::Cpu)]
    pub backend: BackendChoice,
    /// Verify signatures one at a time instead of in batches (the baseline).
    #[arg(long)]
    pub single_signature: bool,
    /// Where the JSON summary goes (default: DIR/summary.json).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Seed of the wallet's and the nodes' keys.
    #[arg(long, value_name = "SEED", default_value_t = 1)]
    pub seed: u64,
    /// Keep the nodes' stores (node-i/data) after a successful run (they are always kept after
    /// a failed one); logs, configs, keys, the genesis and the summary are always kept.
    #[arg(long)]
    pub keep: bool,
    /// Run issue 6's benchmark scenario instead: 4 nodes, 5,000 transfers/s for 60 s, first
    /// with batched signature verification and then with --single-signature, in DIR/batched
    /// and DIR/single-signature; the batched run is held to the targets (docs/devnet.md), and
    /// the comparison is written to DIR/bench.json (or --json).
    #[arg(long, conflicts_with_all = ["nodes", "tps", "duration", "single_signature"])]
    pub bench: bool,
}

impl DevnetArgs {
    fn check(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.nodes < 2 {
            problems.push("--nodes must be at least 2");
        }
        if self.accounts < 2 {
            problems.push("--accounts must be at least 2");
        }
        if self.tps == 0 {
            problems.push("--tps must be at least 1");
        }
        if self.duration == 0 {
            problems.push("--duration must be at least 1");
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(NodeError::Devnet(problems.join("; ")))
        }
    }

    /// Where the JSON summary is written (with `--bench`, the comparison).
    pub fn json_path(&self) -> PathBuf {
        let name = if self.bench {
            "bench.json"
        } else {
            "summary.json"
        };
        self.json.clone().unwrap_or_else(|| self.dir.join(name))
    }
}

/// Runs the devnet: plan, start the nodes, wait for them, load, check, stop the nodes, write
/// the JSON summary. The progress line goes to stderr; printing the summary is the caller's
/// ([`Summary::write_table`]). A failed check is in the summary (`ok == false`), not an error.
///
/// # Errors
/// [`NodeError::Devnet`] for bad arguments, a directory that is not a devnet, a node that does
/// not start or exits (with the tail of its log), or an interruption (Ctrl-C, SIGTERM); file
/// errors. The nodes are stopped in every case.
pub async fn run(args: DevnetArgs) -> Result<Summary> {
    args.check()?;
    let plan = Plan::create(&PlanParams {
        dir: args.dir.clone(),
        nodes: args.nodes,
        accounts: args.accounts,
        tps: args.tps,
        double_spends: args.double_spends,
        seed: args.seed,
        base_port: args.base_port,
        backend: args.backend,
        single_signature: args.single_signature,
    })?;
    let program = std::env::current_exe()
        .map_err(|e| NodeError::Devnet(format!("cannot find the ramjet binary: {e}")))?;
    let bar = progress_bar();
    bar.set_message(format!(
        "starting {} nodes in {}",
        args.nodes,
        plan.dir.display()
    ));
    let mut cluster = Cluster::spawn(&program, &plan.nodes)?;
    let outcome = tokio::select! {
        outcome = session(&args, &plan, &mut cluster, &bar) => outcome,
        signal = interrupted() => Err(NodeError::Devnet(format!("interrupted by {signal}"))),
    };
    bar.set_message("stopping the nodes");
    let stopped = cluster.stop(STOP_GRACE).await;
    bar.finish_and_clear();
    let (settings, load_secs, finalized_during_load, tracker, facts) = outcome?;
    let summary = Summary::build(
        settings,
        load_secs,
        finalized_during_load,
        &tracker,
        facts,
        &stopped,
    );
    if summary.ok && !args.keep {
        for node in &plan.nodes {
            let _ = std::fs::remove_dir_all(&node.data_dir);
        }
    }
    let path = args.json_path();
    let mut text = serde_json::to_string_pretty(&summary).expect("the summary serialises");
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| plan::file_error(&path, e))?;
    Ok(summary)
}

/// What the session hands back to be summarised once the nodes are stopped.
type Outcome = (Settings, f64, u64, Tracker, Vec<NodeFacts>);

/// Waits for the nodes, runs the load, drains, reads the final statuses.
async fn session(
    args: &DevnetArgs,
    plan: &Plan,
    cluster: &mut Cluster,
    bar: &ProgressBar,
) -> Result<Outcome> {
    let n = plan.nodes.len();
    // Dropping the set (at the end, or when Ctrl-C drops this future) aborts every task.
    let mut tasks = JoinSet::new();
    let rss = Arc::new(Mutex::new(vec![(0u64, 0u64); n]));
    tasks.spawn(sample_rss(cluster.pids(), rss.clone()));

    let clients = wait_ready(plan, args.backend, cluster, bar).await?;
    tokio::time::sleep(SETTLE).await;

    let pool = Pool::from_genesis(&plan.genesis, plan.outputs_per_account, plan.accounts.len());
    let tracker: Shared = Arc::new(Mutex::new(Tracker::new(n, pool)));
    for (index, client) in clients.iter().enumerate() {
        let stream = load::subscribe(index, client)
            .await
            .map_err(NodeError::Devnet)?;
        tasks.spawn(load::follow_events(
            index,
            client.clone(),
            stream,
            tracker.clone(),
        ));
    }
    let statuses: Arc<Mutex<Vec<Option<pb::NodeStatus>>>> = Arc::new(Mutex::new(vec![None; n]));
    tasks.spawn(poll_statuses(clients.clone(), statuses.clone()));
    let mut queues = Vec::with_capacity(n);
    let mut submitters = JoinSet::new();
    for (index, client) in clients.iter().enumerate() {
        let (tx, rx) = mpsc::unbounded_channel();
        queues.push(tx);
        submitters.spawn(load::submitter(index, client.clone(), rx, tracker.clone()));
    }
    let started = Instant::now();
    let duration = Duration::from_secs(args.duration);
    let half_load_rss: Arc<Mutex<Option<Vec<u64>>>> = Arc::new(Mutex::new(None));
    tasks.spawn(record_rss_after(
        duration / 2,
        rss.clone(),
        half_load_rss.clone(),
    ));
    tasks.spawn(show_progress(
        bar.clone(),
        started,
        duration,
        tracker.clone(),
        statuses.clone(),
    ));

    let mut wallet = Wallet::new(
        plan.accounts.clone(),
        DEVNET_CHAIN_ID,
        plan.asset,
        args.seed,
    );
    let params = LoadParams {
        duration,
        tps: args.tps,
        double_spends: args.double_spends,
    };
    tokio::select! {
        () = load::drive(params, &mut wallet, &tracker, &queues, &clients) => {}
        error = watch_exits(cluster) => return Err(error),
    }
    let load_secs = started.elapsed().as_secs_f64();
    let end_load_rss: Vec<u64> = rss
        .lock()
        .expect("rss lock")
        .iter()
        .map(|&(_, last)| last)
        .collect();
    let half_load_rss = half_load_rss.lock().expect("rss lock").clone();
    let finalized_during_load = tracker.lock().expect("tracker lock").finalized;
    drop(queues);
    while submitters.join_next().await.is_some() {}

    // Drain: transfers in flight accepted everywhere, double spends resolved everywhere. What
    // lagged event streams lost is read back first (and again if a stream lags meanwhile).
    let mut deadline = None;
    loop {
        if tracker.lock().expect("tracker lock").has_gaps() {
            bar.set_message("reading back what lagged event streams lost");
            load::read_back(&clients, &tracker).await;
        }
        let deadline = *deadline.get_or_insert_with(|| Instant::now() + DRAIN_TIMEOUT);
        let (in_flight, open) = {
            let t = tracker.lock().expect("tracker lock");
            (t.in_flight(), t.unresolved_double_spends())
        };
        if (in_flight == 0 && open == 0) || Instant::now() >= deadline {
            break;
        }
        if let Some((_, message)) = cluster.exited() {
            return Err(NodeError::Devnet(message));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The final statuses: retried until every digest is equal, or the timeout.
    bar.set_message("comparing the nodes' UTXO digests");
    let deadline = Instant::now() + DIGEST_TIMEOUT;
    let last = loop {
        let mut last = Vec::with_capacity(n);
        for client in &clients {
            last.push(get_status(client, true).await.ok());
        }
        let equal = last.iter().all(|s| {
            s.as_ref()
                .zip(last[0].as_ref())
                .is_some_and(|(s, first)| s.utxo_digest == first.utxo_digest)
        });
        if equal || Instant::now() >= deadline {
            break last;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tracker.lock().expect("tracker lock").closing = true;
    tasks.abort_all();
    let rss = rss.lock().expect("rss lock").clone();
    let facts = plan
        .nodes
        .iter()
        .zip(last)
        .zip(rss)
        .enumerate()
        .map(|(i, ((node, status), (peak, last)))| NodeFacts {
            peer_id: node.peer_id.clone(),
            api: format!("127.0.0.1:{}", node.api_port),
            status,
            rss_peak_kib: peak,
            rss_last_kib: last,
            rss_half_load_kib: half_load_rss.as_ref().map(|half| half[i]),
            rss_end_load_kib: end_load_rss[i],
        })
        .collect();
    let settings = Settings {
        nodes: n,
        duration_secs: args.duration,
        tps: args.tps,
        double_spends: args.double_spends,
        accounts: args.accounts,
        seed: args.seed,
        backend: args.backend,
        single_signature: args.single_signature,
        dir: plan.dir.clone(),
        genesis_outputs: plan.genesis.outputs.len(),
    };
    let tracker = std::mem::replace(
        &mut *tracker.lock().expect("tracker lock"),
        Tracker::new(0, Pool::new(0)),
    );
    Ok((settings, load_secs, finalized_during_load, tracker, facts))
}

/// Connects to every node and waits until each answers `GetStatus` with at least one peer.
async fn wait_ready(
    plan: &Plan,
    backend: BackendChoice,
    cluster: &mut Cluster,
    bar: &ProgressBar,
) -> Result<Vec<Client>> {
    let n = plan.nodes.len();
    let (timeout, why) = match backend {
        BackendChoice::Wgpu => (
            READY_TIMEOUT_WGPU,
            " (each compiles its wgpu kernels first: minutes on a cold shader cache)",
        ),
        BackendChoice::Cpu | BackendChoice::Auto => (READY_TIMEOUT, ""),
    };
    let deadline = Instant::now() + timeout;
    let mut clients: Vec<Option<Client>> = vec![None; n];
    let mut problems = vec![String::from("not answering yet"); n];
    loop {
        if let Some((_, message)) = cluster.exited() {
            return Err(NodeError::Devnet(format!("while starting, {message}")));
        }
        let mut ready = 0;
        for (node, client) in plan.nodes.iter().zip(&mut clients) {
            if client.is_none() {
                match connect(&node.api_url()).await {
                    Ok(c) => *client = Some(c),
                    Err(e) => {
                        problems[node.index] =
                            format!("API at {} not reachable: {e}", node.api_url());
                        continue;
                    }
                }
            }
            let Some(c) = client.as_ref() else { continue };
            match get_status(c, false).await {
                Ok(status) if !status.peers.is_empty() => ready += 1,
                Ok(_) => problems[node.index] = "answers, but has no peer".to_owned(),
                Err(e) => problems[node.index] = format!("GetStatus failed: {e}"),
            }
        }
        bar.set_message(format!("waiting for the nodes: {ready}/{n} ready{why}"));
        if ready == n {
            return Ok(clients.into_iter().flatten().collect());
        }
        if Instant::now() >= deadline {
            let index = (0..n)
                .find(|&i| clients[i].is_none() || !problems[i].is_empty())
                .unwrap_or(0);
            return Err(NodeError::Devnet(format!(
                "node {index} not ready after {} s ({}); last lines of {}:\n{}",
                timeout.as_secs(),
                problems[index],
                cluster.log(index).display(),
                process::log_tail(cluster.log(index), 20)
            )));
        }
        for p in &mut problems {
            p.clear();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn connect(url: &str) -> std::result::Result<Client, String> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_secs(1));
    let channel = endpoint.connect().await.map_err(|e| e.to_string())?;
    Ok(NodeClient::new(channel))
}

/// A node's status; with its UTXO digest only if `digest` (reading the whole UTXO set stalls
/// the node meanwhile, so the statuses polled every second leave it out), and then with a
/// longer timeout.
async fn get_status(client: &Client, digest: bool) -> std::result::Result<pb::NodeStatus, String> {
    let mut request = tonic::Request::new(pb::GetStatusRequest {
        skip_utxo_digest: !digest,
    });
    request.set_timeout(if digest {
        DIGEST_CALL_TIMEOUT
    } else {
        Duration::from_secs(2)
    });
    client
        .clone()
        .get_status(request)
        .await
        .map(tonic::Response::into_inner)
        .map_err(|s| s.message().to_owned())
}

/// Fails (with the log tail) as soon as a node exits.
async fn watch_exits(cluster: &mut Cluster) -> NodeError {
    loop {
        if let Some((_, message)) = cluster.exited() {
            return NodeError::Devnet(message);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Each node's peak and last resident memory (KiB), sampled every second.
async fn sample_rss(pids: Vec<u32>, rss: Arc<Mutex<Vec<(u64, u64)>>>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticker.tick().await;
        let mut rss = rss.lock().expect("rss lock");
        for (pid, (peak, last)) in pids.iter().zip(rss.iter_mut()) {
            if let Some(kib) = rss_kib(*pid) {
                *last = kib;
                *peak = (*peak).max(kib);
            }
        }
    }
}

/// Copies every node's last resident-memory sample into `into` once `after` has passed.
async fn record_rss_after(
    after: Duration,
    rss: Arc<Mutex<Vec<(u64, u64)>>>,
    into: Arc<Mutex<Option<Vec<u64>>>>,
) {
    tokio::time::sleep(after).await;
    let now = rss
        .lock()
        .expect("rss lock")
        .iter()
        .map(|&(_, last)| last)
        .collect();
    *into.lock().expect("rss lock") = Some(now);
}

/// Every node's status, every second (for the progress line's backend).
async fn poll_statuses(clients: Vec<Client>, statuses: Arc<Mutex<Vec<Option<pb::NodeStatus>>>>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticker.tick().await;
        for (index, client) in clients.iter().enumerate() {
            if let Ok(status) = get_status(client, false).await {
                statuses.lock().expect("status lock")[index] = Some(status);
            }
        }
    }
}

/// Redraws the progress line ~4 times a second.
async fn show_progress(
    bar: ProgressBar,
    started: Instant,
    duration: Duration,
    tracker: Shared,
    statuses: Arc<Mutex<Vec<Option<pb::NodeStatus>>>>,
) {
    let mut rate = RateWindow::new(Duration::from_secs(1));
    let mut ticker = tokio::time::interval(PROGRESS_EVERY);
    loop {
        ticker.tick().await;
        let (submitted, finalized, conflicts, mut latencies) = {
            let t = tracker.lock().expect("tracker lock");
            (
                t.submitted,
                t.finalized,
                t.conflicts.len(),
                t.latencies.clone(),
            )
        };
        latencies.sort_unstable();
        let p = Percentiles::of_sorted(&latencies);
        let tps = rate.sample(Instant::now(), finalized);
        let backend = {
            let statuses = statuses.lock().expect("status lock");
            signature_backends(statuses.iter().flatten().next())
        };
        let elapsed = started.elapsed();
        let phase = if elapsed < duration {
            ""
        } else {
            " (draining)"
        };
        bar.set_message(format!(
            "{:>5.1}/{}s{phase}  submitted {submitted}  accepted {finalized}  conflicts {conflicts}  \
             {tps:.0} tx/s  p50 {} ms  p99 {} ms  backend {backend}",
            elapsed.as_secs_f64(),
            duration.as_secs(),
            p.p50,
            p.p99,
        ));
    }
}

/// A spinner on stderr (hidden when stderr is not a terminal).
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// Resolves on Ctrl-C or SIGTERM, naming the signal.
async fn interrupted() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "Ctrl-C";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C",
        _ = term.recv() => "SIGTERM",
    }
}

#[cfg(test)]
mod tests;
