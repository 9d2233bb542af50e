//! The node's metrics over HTTP: a scrape of values recorded through [`NodeMetrics`], the
//! accelerator's metrics in the same scrape, 404 elsewhere, an address in use, shutdown, and
//! the ledger's signature batches recorded under the backend that verified them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ed25519_consensus::SigningKey;
use ramjet_accel::{Accelerator, Op, SigBatch};
use ramjet_node::NodeError;
use ramjet_node::identity::Identity;
use ramjet_node::ledger::{Genesis, LedgerConfig, RejectReason, Submission};
use ramjet_node::metrics::{NodeMetrics, serve};
use ramjet_node::net::Topic;
use ramjet_node::observe::TxState;
use ramjet_node::protocol::{Acceptance, Action, Invalid, NodeEvent, ProtocolConfig, ProtocolNode};
use ramjet_node::storage::MemoryStore;
use ramjet_node::tx::{Address, AssetId, Fee, OutPoint, Output, Transaction, TxHash};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

const CHAIN: u32 = 7;
const ASSET: AssetId = AssetId([0xA5; 32]);
const TIMEOUT: Duration = Duration::from_secs(10);

/// A response: status code, header lines (lower-cased names), body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts that the body has exactly this line.
    fn assert_line(&self, line: &str) {
        assert!(
            self.body.lines().any(|l| l == line),
            "no line `{line}` in the scrape:\n{}",
            self.body
        );
    }
}

/// `GET path` over HTTP/1.1 on a plain TCP stream (`Connection: close`, read to the end).
async fn get(addr: SocketAddr, path: &str) -> Response {
    tokio::time::timeout(TIMEOUT, get_inner(addr, path))
        .await
        .expect("the metrics endpoint answers in time")
}

async fn get_inner(addr: SocketAddr, path: &str) -> Response {
    let stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut sent = 0;
    while sent < request.len() {
        stream.writable().await.unwrap();
        match stream.try_write(&request.as_bytes()[sent..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("writing the request: {e}"),
        }
    }
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        stream.readable().await.unwrap();
        match stream.try_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("reading the response: {e}"),
        }
    }
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header and a body");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("status line `{status_line}`"));
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_string())
        })
        .collect();
    Response {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Serves `registry` on 127.0.0.1:0; the sender stops the server.
async fn start(
    registry: &prometheus::Registry,
) -> (SocketAddr, tokio::task::JoinHandle<()>, oneshot::Sender<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let (addr, task) = serve(
        "127.0.0.1:0".parse().unwrap(),
        registry.clone(),
        async move {
            let _ = stopped.await;
        },
    )
    .await
    .unwrap();
    assert_ne!(addr.port(), 0);
    (addr, task, stop)
}

fn outpoint(byte: u8) -> OutPoint {
    OutPoint {
        tx: TxHash([byte; 32]),
        index: 0,
    }
}

#[tokio::test]
async fn a_scrape_shows_every_recorded_value() {
    let registry = prometheus::Registry::new();
    let metrics = NodeMetrics::register(&registry).unwrap();
    let tx = NodeMetrics::topic_label(Topic::Tx);
    metrics.on_submit(4);
    metrics.on_submit(1);
    for byte in 1..=3 {
        metrics.on_event(&NodeEvent::Accepted {
            tx: TxHash([byte; 32]),
        });
    }
    metrics.on_event(&NodeEvent::Rejected {
        tx: TxHash([9; 32]),
        reason: RejectReason::BadSignature { input: 0 },
    });
    metrics.on_event(&NodeEvent::Conflict {
        outpoint: outpoint(1),
        spenders: vec![TxHash([1; 32]), TxHash([2; 32])],
    });
    metrics.on_event(&NodeEvent::Decided {
        outpoint: outpoint(1),
        winner: TxHash([1; 32]),
        support: Default::default(),
    });
    metrics.set_pending(2);
    metrics.set_peers(5);
    metrics.set_trust(&[-0.9, 0.1, 0.6, 0.6, 1.0], 1);
    metrics.on_flush(3);
    metrics.on_flush(40);
    metrics.on_gossip_in(tx, 100, &Acceptance::Accept);
    metrics.on_gossip_in(tx, 50, &Acceptance::Deferred);
    metrics.on_gossip_in(
        "obs",
        30,
        &Acceptance::Reject(Invalid::Tx(RejectReason::BadSignature { input: 0 })),
    );
    metrics.on_gossip_in("obs", 20, &Acceptance::Ignore);
    metrics.on_malformed("meta", 5);
    // A deferred transaction's later verdict.
    metrics.on_invalid(
        tx,
        &Invalid::Tx(RejectReason::NoSuchOutput {
            input: 0,
            outpoint: outpoint(3),
        }),
    );
    metrics.on_publish(tx, 70);
    metrics.on_publish(tx, 80);
    metrics.record_sig_batch("cpu:test", 3, 0.25);
    metrics.record_sig_batch("cpu:test", 5, 0.5);

    let (addr, task, stop) = start(&registry).await;
    let response = get(addr, "/metrics").await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some(prometheus::TEXT_FORMAT)
    );
    for line in [
        "ramjet_node_transactions_total{state=\"submitted\"} 5",
        "ramjet_node_transactions_total{state=\"accepted\"} 3",
        "ramjet_node_transactions_total{state=\"rejected\"} 1",
        "ramjet_node_transactions_pending 2",
        "ramjet_node_conflicts_detected_total 1",
        "ramjet_node_conflicts_decided_total 1",
        "ramjet_node_equivocations_total 0",
        "ramjet_node_peers 5",
        "ramjet_node_convicted_peers 1",
        "ramjet_node_peer_trust{le=\"-0.5\"} 1",
        "ramjet_node_peer_trust{le=\"0\"} 1",
        "ramjet_node_peer_trust{le=\"0.25\"} 2",
        "ramjet_node_peer_trust{le=\"0.5\"} 2",
        "ramjet_node_peer_trust{le=\"0.75\"} 4",
        "ramjet_node_peer_trust{le=\"1\"} 5",
        "ramjet_node_peer_trust{le=\"+Inf\"} 5",
        "ramjet_node_observation_flushes_total 2",
        "ramjet_node_observation_flush_leaves_count 2",
        "ramjet_node_observation_flush_leaves_sum 43",
        "ramjet_node_observation_flush_leaves_bucket{le=\"4\"} 1",
        "ramjet_node_observation_flush_leaves_bucket{le=\"64\"} 2",
        "ramjet_node_gossip_messages_total{direction=\"in\",topic=\"tx\",verdict=\"accept\"} 1",
        "ramjet_node_gossip_messages_total{direction=\"in\",topic=\"tx\",verdict=\"deferred\"} 1",
        "ramjet_node_gossip_messages_total{direction=\"in\",topic=\"tx\",verdict=\"reject\"} 0",
        "ramjet_node_gossip_messages_total{direction=\"in\",topic=\"obs\",verdict=\"reject\"} 1",
        "ramjet_node_gossip_messages_total{direction=\"in\",topic=\"obs\",verdict=\"ignore\"} 1",
        "ramjet_node_gossip_messages_total{direction=\"out\",topic=\"tx\",verdict=\"published\"} 2",
        "ramjet_node_gossip_messages_total{direction=\"out\",topic=\"meta\",verdict=\"published\"} 0",
        "ramjet_node_gossip_messages_total{direction=\"in\",topic=\"meta\",verdict=\"reject\"} 1",
        "ramjet_node_gossip_invalid_total{reason=\"tx_bad_signature\",topic=\"obs\"} 1",
        "ramjet_node_gossip_invalid_total{reason=\"malformed\",topic=\"meta\"} 1",
        "ramjet_node_gossip_invalid_total{reason=\"tx_no_such_output\",topic=\"tx\"} 1",
        "ramjet_node_gossip_invalid_total{reason=\"roots_leaf_count\",topic=\"obs\"} 0",
        "ramjet_node_gossip_bytes_total{direction=\"in\",topic=\"tx\"} 150",
        "ramjet_node_gossip_bytes_total{direction=\"in\",topic=\"obs\"} 50",
        "ramjet_node_gossip_bytes_total{direction=\"out\",topic=\"tx\"} 150",
        "ramjet_node_sig_batch_size_count{backend=\"cpu:test\"} 2",
        "ramjet_node_sig_batch_size_sum{backend=\"cpu:test\"} 8",
        "ramjet_node_sig_batch_size_bucket{backend=\"cpu:test\",le=\"4\"} 1",
        "ramjet_node_sig_batch_size_bucket{backend=\"cpu:test\",le=\"8\"} 2",
        "ramjet_node_sig_batch_seconds_count{backend=\"cpu:test\"} 2",
        "ramjet_node_sig_batch_seconds_sum{backend=\"cpu:test\"} 0.75",
    ] {
        response.assert_line(line);
    }
    // Every metric has a help text.
    for name in [
        "transactions_total",
        "transactions_pending",
        "sig_batch_size",
        "sig_batch_seconds",
        "observation_flushes_total",
        "observation_flush_leaves",
        "conflicts_detected_total",
        "conflicts_decided_total",
        "equivocations_total",
        "peers",
        "peer_trust",
        "convicted_peers",
        "gossip_messages_total",
        "gossip_bytes_total",
        "gossip_invalid_total",
    ] {
        let help = format!("# HELP ramjet_node_{name} ");
        assert!(
            response
                .body
                .lines()
                .any(|l| l.starts_with(&help) && l.len() > help.len() + 10),
            "no help text for {name}"
        );
    }

    // Anything but /metrics is not found.
    assert_eq!(get(addr, "/").await.status, 404);
    assert_eq!(get(addr, "/metrics/x").await.status, 404);

    // Shutdown ends the server's task, and the port stops answering.
    stop.send(()).unwrap();
    tokio::time::timeout(TIMEOUT, task)
        .await
        .expect("the server stops on shutdown")
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn the_accelerators_metrics_are_in_the_same_scrape() {
    let accel = Accelerator::cpu_only();
    let metrics = NodeMetrics::register(accel.registry()).unwrap();
    let key = SigningKey::from([5u8; 32]);
    let mut batch = SigBatch::new();
    for message in [&b"one"[..], b"two"] {
        batch.push(
            key.verification_key().to_bytes(),
            key.sign(message).to_bytes(),
            message,
        );
    }
    let verdicts = accel.ed25519_verify(&batch).unwrap();
    assert_eq!(verdicts.0, vec![true, true]);
    let cpu = accel.backends()[0].info.id();
    metrics.on_submit(2);

    let (addr, _task, _stop) = start(accel.registry()).await;
    let response = get(addr, "/metrics").await;
    assert_eq!(response.status, 200);
    let op = Op::Ed25519Verify.name();
    response.assert_line(&format!(
        "ramjet_accel_calls_total{{backend=\"{cpu}\",op=\"{op}\"}} 1"
    ));
    response.assert_line(&format!(
        "ramjet_accel_items_total{{backend=\"{cpu}\",op=\"{op}\"}} 2"
    ));
    response.assert_line("ramjet_node_transactions_total{state=\"submitted\"} 2");
}

#[tokio::test]
async fn an_address_in_use_is_an_error_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = serve(
        addr,
        prometheus::Registry::new(),
        std::future::pending::<()>(),
    )
    .await
    .expect_err("the address is in use");
    match &err {
        NodeError::MetricsListen {
            addr: named,
            source,
        } => {
            assert_eq!(*named, addr);
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&addr.to_string()), "{message}");
}

fn owner() -> SigningKey {
    SigningKey::from([3u8; 32])
}

/// Four outputs of 500 owned by [`owner`].
fn genesis() -> Genesis {
    Genesis {
        chain_id: CHAIN,
        outputs: (0..4)
            .map(|_| Output {
                address: Address::of_public_key(CHAIN, &owner().verification_key().to_bytes()),
                asset: ASSET,
                amount: 500,
                data: None,
                contract: None,
            })
            .collect(),
    }
}

fn transfer(genesis: &Genesis, index: u32) -> Transaction {
    Transaction::build_signed(
        &[(genesis.outpoint(index), &owner())],
        vec![Output {
            address: Address::of_public_key(CHAIN, &[9; 32]),
            asset: ASSET,
            amount: 500,
            data: None,
            contract: None,
        }],
        Fee::default(),
    )
}

#[test]
fn the_ledger_records_each_signature_batch_under_its_backend() {
    let accel = Arc::new(Accelerator::cpu_only());
    let registry = accel.registry().clone();
    let metrics = NodeMetrics::register(&registry).unwrap();
    let genesis = genesis();
    let config = ProtocolConfig {
        ledger: LedgerConfig {
            chain_id: CHAIN,
            batch_deadline_ms: 5,
            ..LedgerConfig::default()
        },
        ..ProtocolConfig::default()
    };
    let mut node = ProtocolNode::new(
        Identity::from_secret([1; 32], 0).unwrap(),
        Arc::new(MemoryStore::new("metrics-test")),
        accel.clone(),
        &genesis,
        &config,
        100,
    )
    .unwrap();
    node.set_metrics(metrics);

    // Three transactions in one batch, then one more in a second batch.
    let txs: Vec<Transaction> = (0..3).map(|i| transfer(&genesis, i)).collect();
    for tx in &txs {
        let (submission, _) = node.submit(tx.clone(), 0);
        assert_eq!(submission, Submission::Queued);
    }
    let actions = node.on_timer(5).unwrap();
    let published = actions
        .iter()
        .filter(|a| matches!(a, Action::Publish(_)))
        .count();
    assert_eq!(published, 3);
    for tx in &txs {
        assert_eq!(node.ledger().state(&tx.hash()), Some(TxState::Pending));
    }
    let late = transfer(&genesis, 3);
    assert_eq!(node.submit(late, 10).0, Submission::Queued);
    node.on_timer(15).unwrap();

    let backend = accel.route_of(Op::Ed25519Verify, 3);
    let cpu = accel.backends()[0].info.id();
    assert_eq!(backend, cpu, "a CPU-only accelerator routes to the CPU");
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    for line in [
        format!("ramjet_node_sig_batch_size_count{{backend=\"{cpu}\"}} 2"),
        format!("ramjet_node_sig_batch_size_sum{{backend=\"{cpu}\"}} 4"),
        format!("ramjet_node_sig_batch_size_bucket{{backend=\"{cpu}\",le=\"1\"}} 1"),
        format!("ramjet_node_sig_batch_size_bucket{{backend=\"{cpu}\",le=\"2\"}} 1"),
        format!("ramjet_node_sig_batch_size_bucket{{backend=\"{cpu}\",le=\"4\"}} 2"),
        format!("ramjet_node_sig_batch_seconds_count{{backend=\"{cpu}\"}} 2"),
        // The batches are the accelerator's verify calls, one for one.
        format!("ramjet_accel_calls_total{{backend=\"{cpu}\",op=\"ed25519_verify\"}} 2"),
        format!("ramjet_accel_items_total{{backend=\"{cpu}\",op=\"ed25519_verify\"}} 4"),
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
}
