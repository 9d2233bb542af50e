//! Tests of a devnet session's load (event streams, submitters, drive, drain): against fake
//! nodes (`fake`), through an event stream that lags, and against real nodes in this process.

use super::*;
use crate::devnet::load::{NodeCounts, Verdict};
use crate::devnet::plan::{account_keys, build_genesis, devnet_asset, outputs_per_account};

/// Runs the load (event streams, submitters, drive, drain) against `clients`; returns the
/// tracker.
async fn load_with(
    clients: &[Client],
    accounts: usize,
    params: LoadParams,
    drain: Duration,
) -> (Tracker, usize) {
    let n = clients.len();
    let per_account = outputs_per_account(params.tps, params.double_spends, accounts);
    let keys = account_keys(1, accounts);
    let genesis = build_genesis(&keys, per_account, devnet_asset());
    let pool = Pool::from_genesis(&genesis, per_account, accounts);
    let tracker: Shared = Arc::new(Mutex::new(Tracker::new(n, pool)));
    let mut tasks = JoinSet::new();
    for (index, client) in clients.iter().enumerate() {
        let stream = load::subscribe(index, client).await.unwrap();
        tasks.spawn(load::follow_events(
            index,
            client.clone(),
            stream,
            tracker.clone(),
        ));
    }
    let mut queues = Vec::new();
    let mut submitters = JoinSet::new();
    for (index, client) in clients.iter().enumerate() {
        let (tx, rx) = mpsc::unbounded_channel();
        queues.push(tx);
        submitters.spawn(load::submitter(index, client.clone(), rx, tracker.clone()));
    }
    let mut wallet = Wallet::new(keys, DEVNET_CHAIN_ID, devnet_asset(), 1);
    load::drive(params, &mut wallet, &tracker, &queues, clients).await;
    drop(queues);
    while submitters.join_next().await.is_some() {}
    let deadline = Instant::now() + drain;
    loop {
        if tracker.lock().unwrap().has_gaps() {
            load::read_back(clients, &tracker).await;
        }
        let busy = {
            let t = tracker.lock().unwrap();
            t.in_flight() > 0 || t.unresolved_double_spends() > 0
        };
        if !busy || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tracker.lock().unwrap().closing = true;
    tasks.abort_all();
    let tracker = std::mem::replace(&mut *tracker.lock().unwrap(), Tracker::new(0, Pool::new(0)));
    (tracker, genesis.outputs.len())
}

/// The whole load path (wallet, submitters, event streams, tracker, summary) against three
/// fake nodes over real gRPC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_against_fake_nodes() {
    let n = 3;
    let clients = fake::start(n).await;
    let (accounts, tps, double_spends) = (8, 200, 4);
    let params = LoadParams {
        duration: Duration::from_millis(1500),
        tps,
        double_spends,
    };
    let (t, genesis_outputs) = load_with(&clients, accounts, params, Duration::from_secs(5)).await;
    assert!(t.submitted >= 250, "{} submitted", t.submitted);
    assert_eq!(t.finalized, t.submitted);
    assert_eq!((t.refused, t.rejected, t.starved), (0, 0, 0));
    assert!(t.stream_errors.is_empty(), "{:?}", t.stream_errors);
    assert!(
        t.latencies.iter().all(|&l| (25..2_000).contains(&l)),
        "{:?}",
        t.latencies
    );
    assert_eq!(t.double_spends.len(), double_spends);
    for d in &t.double_spends {
        assert_eq!(d.verdict(), Verdict::Agreed(d.decided[0].unwrap()));
        assert_ne!(d.sent_to[0], d.sent_to[1]);
    }
    assert_eq!(
        (t.conflicts.len(), t.decided.len()),
        (double_spends, double_spends)
    );
    let expected = t.submitted + double_spends as u64;
    assert!(
        t.per_node
            .iter()
            .all(|c: &NodeCounts| c.accepted == expected)
    );

    let facts = (0..n)
        .map(|i| NodeFacts {
            peer_id: format!("p{i}"),
            api: String::new(),
            status: Some(pb::NodeStatus {
                utxo_digest: vec![7; 32],
                ..Default::default()
            }),
            rss_peak_kib: 1,
            rss_last_kib: 1,
            rss_half_load_kib: Some(1),
            rss_end_load_kib: 1,
        })
        .collect();
    let settings = Settings {
        nodes: n,
        duration_secs: 1,
        tps,
        double_spends,
        accounts,
        seed: 1,
        backend: BackendChoice::Cpu,
        single_signature: false,
        dir: PathBuf::from("x"),
        genesis_outputs,
    };
    let summary = Summary::build(settings, 1.5, t.finalized, &t, facts, &[]);
    assert!(summary.ok, "{:?}", summary.failures);
    assert_eq!(summary.double_spend_checks.agreed, double_spends);
    assert!(summary.latency_ms.p50 >= 25);
}

/// A node's event stream lags and loses events mid-run: the stream is opened again, the
/// lost acceptances are read back with GetTransaction, every transfer ends final, and the
/// read-back ones stay out of the latency figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_recovers_from_a_lagging_event_stream() {
    let n = 3;
    let clients = fake::start_lagging(n, 1).await;
    let params = LoadParams {
        duration: Duration::from_millis(1500),
        tps: 200,
        double_spends: 4,
    };
    let (t, _) = load_with(&clients, 8, params, Duration::from_secs(5)).await;
    assert_eq!(t.lags, vec![0, 1, 0]);
    assert!(t.stream_errors.is_empty(), "{:?}", t.stream_errors);
    assert_eq!((t.finalized, t.in_flight()), (t.submitted, 0));
    assert!(
        t.finalized_read_back > 0,
        "the lost events held some transfers"
    );
    assert_eq!(
        t.latencies.len() as u64,
        t.finalized - t.finalized_read_back
    );
    // Node 1 saw fewer Accepted events than the others: the lost ones.
    assert!(t.per_node[1].accepted < t.per_node[0].accepted);
    for d in &t.double_spends {
        assert!(
            matches!(d.verdict(), Verdict::Agreed(_)),
            "{:?}",
            d.verdict()
        );
    }
}

/// The load against three real nodes (the service and its gRPC API, in this process, on
/// loopback sockets): transfers final everywhere, double spends resolved the same way on
/// every node, equal UTXO digests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_against_real_nodes_in_process() {
    use crate::config::{ApiConfig, Mode};
    use crate::identity::Identity;
    use crate::ledger::LedgerConfig;
    use crate::net::NetConfig;
    use crate::protocol::ProtocolConfig;
    use crate::service::{self, NodeSetup};
    use crate::storage::MemoryStore;
    use ramjet_accel::Accelerator;
    use tokio_util::sync::CancellationToken;

    let n = 3;
    let (accounts, tps, double_spends) = (8, 100, 3);
    let params = LoadParams {
        duration: Duration::from_secs(3),
        tps,
        double_spends,
    };
    let per_account = outputs_per_account(tps, double_spends, accounts);
    let genesis = build_genesis(&account_keys(1, accounts), per_account, devnet_asset());
    let ports = plan::pick_ports(2 * n, 0).unwrap();
    let identities: Vec<Identity> = (0..n)
        .map(|i| Identity::from_secret([i as u8 + 1; 32], 0).unwrap())
        .collect();
    let p2p = |i: usize| format!("/ip4/127.0.0.1/tcp/{}", ports[2 * i]);
    let bootstrap = format!("{}/p2p/{}", p2p(0), crate::net::peer_id_of(&identities[0]));
    let shutdown = CancellationToken::new();
    let mut nodes = Vec::new();
    let mut servers = Vec::new();
    for (i, identity) in identities.into_iter().enumerate() {
        let node = service::start(NodeSetup {
            identity,
            mode: Mode::Validator,
            store: Arc::new(MemoryStore::new(&format!("devnet-{i}"))),
            accel: Arc::new(Accelerator::cpu_only()),
            genesis: genesis.clone(),
            protocol: ProtocolConfig {
                ledger: LedgerConfig {
                    chain_id: DEVNET_CHAIN_ID,
                    ..LedgerConfig::default()
                },
                ..ProtocolConfig::default()
            },
            net: NetConfig {
                chain: plan::DEVNET_CHAIN.into(),
                listen: vec![p2p(i)],
                bootstrap: if i == 0 {
                    vec![]
                } else {
                    vec![bootstrap.clone()]
                },
                min_peers: 1,
                ..NetConfig::default()
            },
            metrics: None,
        })
        .await
        .unwrap();
        let api = ApiConfig {
            listen: format!("127.0.0.1:{}", ports[2 * i + 1]).parse().unwrap(),
            ..ApiConfig::default()
        };
        servers.push(
            crate::api::serve(
                &api,
                node.handle(),
                Duration::from_secs(60),
                shutdown.clone(),
            )
            .await
            .unwrap(),
        );
        nodes.push(node);
    }
    let mut clients = Vec::new();
    for server in &servers {
        clients.push(
            connect(&format!("http://{}", server.local_addr))
                .await
                .unwrap(),
        );
    }
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let mut ready = 0;
        for c in &clients {
            if get_status(c, false)
                .await
                .is_ok_and(|s| !s.peers.is_empty())
            {
                ready += 1;
            }
        }
        if ready == n {
            break;
        }
        assert!(Instant::now() < deadline, "nodes not connected");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(SETTLE).await;

    let (t, _) = load_with(&clients, accounts, params, DRAIN_TIMEOUT).await;
    let mut digests = Vec::new();
    let deadline = Instant::now() + DIGEST_TIMEOUT;
    loop {
        digests.clear();
        for c in &clients {
            digests.push(get_status(c, true).await.unwrap().utxo_digest);
        }
        if digests.iter().all(|d| *d == digests[0]) || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shutdown.cancel();
    for server in servers {
        let _ = server.wait().await;
    }
    for node in nodes {
        let _ = node.shutdown().await;
    }

    assert!(t.submitted >= 200, "{} submitted", t.submitted);
    assert!(t.finalized > 0);
    assert!(t.stream_errors.is_empty(), "{:?}", t.stream_errors);
    assert_eq!(t.double_spends.len(), double_spends);
    for d in &t.double_spends {
        assert!(
            matches!(d.verdict(), Verdict::Agreed(_)),
            "{:?}: {:?}",
            d.verdict(),
            d
        );
    }
    assert!(
        digests.iter().all(|d| *d == digests[0]),
        "UTXO digests differ"
    );
    eprintln!(
        "real nodes: {} submitted, {} final everywhere, {} refused ({:?}), {} rejected, \
         {} in flight, latency {:?}",
        t.submitted,
        t.finalized,
        t.refused,
        t.refusal_reasons,
        t.rejected,
        t.in_flight(),
        Percentiles::of(&t.latencies)
    );
}
