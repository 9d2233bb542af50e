//! Networked nodes ([`ramjet_node::service`]) over real sockets on 127.0.0.1: a transfer
//! reaches every node and the UTXO sets converge, a finality proof gathers several nodes'
//! signatures, a double spend is decided the same way everywhere, an observer signs nothing,
//! a validator that is behind holds back its peers' clients, one held by its own work pauses
//! and refuses its clients for a while (`stall`), transactions verified together travel as one
//! batch frame, and malformed gossip (garbage, a wrong topic, bad signatures, malformed or
//! forged batches, replays) is dropped and costs its sender trust without disturbing the node.
//! Every test runs under a timeout; none asserts on durations.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ed25519_consensus::SigningKey;
use ramjet_accel::Accelerator;
use ramjet_node::config::Mode;
use ramjet_node::consensus::{KIND_TX_BATCH, Message, decode_tx_batch, encode_tx_batch};
use ramjet_node::identity::Identity;
use ramjet_node::ledger::{Genesis, LedgerConfig};
use ramjet_node::metrics::NodeMetrics;
use ramjet_node::net::{self, NetClient, NetConfig, NetEvent, Request, Response, Topic};
use ramjet_node::observe::{Observation, ObservationBuffer, TxState, verify_finality};
use ramjet_node::protocol::{NodeEvent, ProtocolConfig};
use ramjet_node::service::{self, NodeHandle, NodeSetup, PeerMeta, RunningNode};
use ramjet_node::storage::MemoryStore;
use ramjet_node::tx::{Address, AssetId, Fee, Output, Transaction, TxHash};
use tokio::sync::mpsc;

use crate::support::{self, wait_for};

mod stall;

const CHAIN: u32 = 11;
const ASSET: AssetId = AssetId([0x5A; 32]);
/// Every test's overall limit.
const LIMIT: Duration = Duration::from_secs(90);

async fn within<F: Future<Output = ()>>(f: F) {
    support::within(LIMIT, f).await;
}

fn wallet(seed: u8) -> SigningKey {
    SigningKey::from([seed; 32])
}

fn address(key: &SigningKey) -> Address {
    Address::of_public_key(CHAIN, &key.verification_key().to_bytes())
}

/// Wallets 1..=4 own one output of 1,000 each.
fn genesis() -> Genesis {
    Genesis {
        chain_id: CHAIN,
        outputs: (1..=4)
            .map(|s| Output {
                address: address(&wallet(s)),
                asset: ASSET,
                amount: 1_000,
                data: None,
                contract: None,
            })
            .collect(),
    }
}

/// Wallet `from` (1..=4) sends its genesis output to wallet `to`.
fn transfer(from: u8, to: u8) -> Transaction {
    let g = genesis();
    Transaction::build_signed(
        &[(g.outpoint(u32::from(from) - 1), &wallet(from))],
        vec![Output {
            address: address(&wallet(to)),
            asset: ASSET,
            amount: 1_000,
            data: None,
            contract: None,
        }],
        Fee::default(),
    )
}

fn protocol() -> ProtocolConfig {
    ProtocolConfig {
        ledger: LedgerConfig {
            chain_id: CHAIN,
            quiet_period_ms: 400,
            ..LedgerConfig::default()
        },
        flush_interval_ms: 100,
        ..ProtocolConfig::default()
    }
}

fn net_config(bootstrap: Option<String>) -> NetConfig {
    NetConfig {
        chain: "cluster-test".into(),
        listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
        bootstrap: bootstrap.into_iter().collect(),
        min_peers: 1,
        max_peers: 8,
        heartbeat_ms: 200,
        peer_tick_ms: 200,
        request_timeout_ms: 2_000,
        ..NetConfig::default()
    }
}

async fn start_node(secret: u8, mode: Mode, bootstrap: Option<String>) -> RunningNode {
    start_with(secret, mode, bootstrap, protocol()).await
}

async fn start_with(
    secret: u8,
    mode: Mode,
    bootstrap: Option<String>,
    protocol: ProtocolConfig,
) -> RunningNode {
    service::start(NodeSetup {
        identity: Identity::from_secret([secret; 32], 0).unwrap(),
        mode,
        store: Arc::new(MemoryStore::new("cluster-test")),
        accel: Arc::new(Accelerator::cpu_only()),
        genesis: genesis(),
        protocol,
        net: net_config(bootstrap),
        metrics: None,
    })
    .await
    .expect("node starts")
}

/// The bootstrap address of a running node.
async fn address_of(node: &NodeHandle) -> String {
    let addrs = node.net().listen_addrs().await.unwrap();
    format!("{}/p2p/{}", addrs[0], node.peer_id())
}

/// `n` validators; node 0 is everyone's bootstrap. Returns once every node has a mesh peer on
/// the transaction and observation topics.
async fn cluster(n: u8) -> Vec<RunningNode> {
    let first = start_node(1, Mode::Validator, None).await;
    let boot = address_of(&first.handle()).await;
    let mut nodes = vec![first];
    for i in 1..n {
        nodes.push(start_node(i + 1, Mode::Validator, Some(boot.clone())).await);
    }
    for node in &nodes {
        wait_meshed(&node.handle()).await;
    }
    nodes
}

async fn wait_meshed(node: &NodeHandle) {
    wait_for(|| async {
        let net = node.net();
        !net.mesh_peers(Topic::Tx).await.unwrap().is_empty()
            && !net.mesh_peers(Topic::Obs).await.unwrap().is_empty()
    })
    .await;
}

async fn wait_state(node: &NodeHandle, tx: TxHash, state: TxState) {
    wait_for(|| async { node.state(tx).await.unwrap() == Some(state) }).await;
}

async fn stop_all(nodes: Vec<RunningNode>) {
    for node in nodes {
        node.shutdown().await.expect("clean shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_reaches_every_node_and_gets_a_finality_proof() {
    within(async {
        let nodes = cluster(3).await;
        let handles: Vec<NodeHandle> = nodes.iter().map(RunningNode::handle).collect();
        let mut events = handles[2].subscribe();
        let tx = transfer(1, 9);
        let hash = tx.hash();
        let outcome = handles[0].submit(tx).await.unwrap();
        assert_eq!(outcome.tx, hash);
        for h in &handles {
            wait_state(h, hash, TxState::Accepted).await;
        }
        // Node 2 never saw the client: it learnt the transaction from gossip and says so.
        loop {
            let e = events.recv().await.unwrap();
            if e.event == (NodeEvent::Accepted { tx: hash }) {
                break;
            }
        }
        let digests: Vec<[u8; 32]> = {
            let mut d = Vec::new();
            for h in &handles {
                d.push(
                    h.status()
                        .await
                        .unwrap()
                        .utxo_digest
                        .expect("a validator has one"),
                );
            }
            d
        };
        assert!(digests.windows(2).all(|w| w[0] == w[1]), "{digests:?}");
        let utxos = handles[1]
            .utxos_of(address(&wallet(9)).key_hash)
            .await
            .unwrap();
        assert_eq!(utxos.len(), 1);
        assert_eq!(utxos[0].1.amount, 1_000);

        // The proof gathers the signed observations of more than one node once their roots
        // carrying Accepted are flushed (every 100 ms).
        let bundle = loop {
            let b = handles[1]
                .finality_proof(hash, Duration::from_secs(2))
                .await
                .unwrap()
                .expect("accepted here");
            if b.nodes.len() == 3 {
                break b;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(bundle.state, TxState::Accepted);
        let verdict = verify_finality(&bundle.proof, TxState::Accepted, 3).unwrap();
        let mut ids: Vec<_> = handles.iter().map(NodeHandle::node_id).collect();
        ids.sort();
        assert_eq!(verdict.nodes, ids);
        stop_all(nodes).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_spend_is_decided_the_same_way_everywhere() {
    within(async {
        let nodes = cluster(3).await;
        let handles: Vec<NodeHandle> = nodes.iter().map(RunningNode::handle).collect();
        let a = transfer(2, 7);
        let b = transfer(2, 8);
        let (ha, hb) = (a.hash(), b.hash());
        let (ra, rb) = tokio::join!(handles[0].submit(a), handles[1].submit(b));
        ra.unwrap();
        rb.unwrap();
        // Each node ends with exactly one of the two accepted and the other rejected.
        let mut winners = Vec::new();
        for h in &handles {
            wait_for(|| async {
                let (sa, sb) = (h.state(ha).await.unwrap(), h.state(hb).await.unwrap());
                matches!(
                    (sa, sb),
                    (Some(TxState::Accepted), Some(TxState::Rejected) | None)
                        | (Some(TxState::Rejected) | None, Some(TxState::Accepted))
                )
            })
            .await;
            let winner = if h.state(ha).await.unwrap() == Some(TxState::Accepted) {
                ha
            } else {
                hb
            };
            winners.push(winner);
        }
        assert!(
            winners.windows(2).all(|w| w[0] == w[1]),
            "nodes disagree on the winner: {winners:?}"
        );
        let mut digests = Vec::new();
        for h in &handles {
            digests.push(
                h.status()
                    .await
                    .unwrap()
                    .utxo_digest
                    .expect("a validator has one"),
            );
        }
        assert!(digests.windows(2).all(|w| w[0] == w[1]));
        stop_all(nodes).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_validates_and_relays_but_signs_nothing() {
    within(async {
        let validator = start_node(1, Mode::Validator, None).await;
        let boot = address_of(&validator.handle()).await;
        let observer = start_node(2, Mode::Observer, Some(boot)).await;
        let (v, o) = (validator.handle(), observer.handle());
        wait_meshed(&v).await;
        wait_meshed(&o).await;
        // Submitted to the observer: it verifies it and relays it to the validator.
        let tx = transfer(3, 9);
        o.submit(tx.clone()).await.unwrap();
        wait_state(&o, tx.hash(), TxState::Accepted).await;
        wait_state(&v, tx.hash(), TxState::Accepted).await;
        let (roots, own) = o
            .inspect(|n, _| (n.counters().roots, n.observations().roots().count()))
            .await
            .unwrap();
        assert_eq!((roots, own), (0, 0), "an observer flushes no root");
        assert!(v.inspect(|n, _| n.counters().roots).await.unwrap() > 0);
        assert_eq!(o.status().await.unwrap().mode, Mode::Observer);
        stop_all(vec![observer, validator]).await;
    })
    .await;
}

/// Transactions that turn Pending in one step travel as one batch frame, and a batch frame
/// from a peer has each of its transactions handled as if it came alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_verified_together_travel_in_one_frame() {
    within(async {
        let node = start_node(1, Mode::Validator, None).await;
        let h = node.handle();
        let identity = Identity::from_secret([73; 32], 0).unwrap();
        let (peer, mut events) = net::start(&identity, net_config(Some(address_of(&h).await)))
            .await
            .unwrap();
        wait_for(|| async { !peer.mesh_peers(Topic::Tx).await.unwrap().is_empty() }).await;
        wait_meshed(&h).await;

        let mut sent = vec![transfer(1, 5), transfer(2, 6)];
        h.submit_many(sent.clone()).await.unwrap();
        let frame = loop {
            match events.recv().await.expect("the peer's events") {
                NetEvent::Gossip {
                    topic: Topic::Tx,
                    data,
                    ..
                } => break data,
                _ => continue,
            }
        };
        assert_eq!(frame[0], KIND_TX_BATCH);
        let mut received = decode_tx_batch(&frame).unwrap();
        received.sort_by_key(Transaction::hash);
        sent.sort_by_key(Transaction::hash);
        assert_eq!(received, sent);

        let (c, d) = (transfer(3, 5), transfer(4, 6));
        peer.publish(Topic::Tx, encode_tx_batch(&[c.encode(), d.encode()]))
            .await
            .unwrap();
        wait_state(&h, c.hash(), TxState::Accepted).await;
        wait_state(&h, d.hash(), TxState::Accepted).await;
        peer.shutdown().await.unwrap();
        node.shutdown().await.unwrap();
    })
    .await;
}

/// A bare network peer (no node behind it) that publishes whatever it is told to.
async fn attacker(secret: u8, boot: String) -> (NetClient, mpsc::Receiver<NetEvent>, Identity) {
    let identity = Identity::from_secret([secret; 32], 0).unwrap();
    let (client, mut events) = net::start(&identity, net_config(Some(boot))).await.unwrap();
    // Drain its events so that its event loop never blocks; verdicts are not its concern.
    let (tx, rx) = mpsc::channel(1);
    let c = client.clone();
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if let NetEvent::Gossip {
                message_id, source, ..
            } = ev
            {
                let _ = c
                    .report_validation(message_id, source, net::Acceptance::Ignore)
                    .await;
            }
        }
        drop(tx);
    });
    (client, rx, identity)
}

/// Admission control across the network: while a connected validator says it is behind, the
/// node refuses its own clients (the network goes at its slowest validator's pace); once the
/// claim is withdrawn it takes them again. An observer's claim does not count, nor does an
/// announcement older than the last one (a replay).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_that_is_behind_holds_back_its_peers_clients() {
    within(async {
        let registry = prometheus::Registry::new();
        let node = service::start(NodeSetup {
            identity: Identity::from_secret([1; 32], 0).unwrap(),
            mode: Mode::Validator,
            store: Arc::new(MemoryStore::new("cluster-test")),
            accel: Arc::new(Accelerator::cpu_only()),
            genesis: genesis(),
            protocol: protocol(),
            net: net_config(None),
            metrics: Some(NodeMetrics::register(&registry).unwrap()),
        })
        .await
        .expect("node starts");
        let h = node.handle();
        let boot = address_of(&h).await;
        let (peer, _events, identity) = attacker(82, boot).await;
        let peer_id = net::public_key_to_peer_id(identity.public_key()).unwrap();
        let identity = Arc::new(identity);
        wait_for(|| async { !peer.mesh_peers(Topic::Meta).await.unwrap().is_empty() }).await;
        // Says `behind` as a `mode` node, sealed with its key; `n` makes each announcement a
        // new, newer message. Returns once the node has taken it in (its status shows that
        // announcement).
        let say = |n: u64, mode: &'static str, behind: bool| {
            let (peer, h, identity) = (peer.clone(), h.clone(), identity.clone());
            async move {
                let version = format!("ramjet/test-{n}");
                let meta = PeerMeta {
                    mode: mode.to_owned(),
                    version: version.clone(),
                    time_ms: n,
                    behind,
                };
                peer.publish(Topic::Meta, meta.seal(&identity))
                    .await
                    .unwrap();
                wait_for(|| async {
                    h.status().await.unwrap().peers.iter().any(|p| {
                        p.peer_id == peer_id
                            && p.meta.as_ref().is_some_and(|m| m.version == version)
                    })
                })
                .await;
            }
        };
        let refused = |e: &ramjet_node::NodeError| {
            matches!(
                e,
                ramjet_node::NodeError::Overloaded {
                    peers_behind: 1,
                    ..
                }
            )
        };

        say(1, "observer", true).await;
        let first = transfer(1, 9);
        h.submit(first.clone()).await.unwrap();

        say(2, "validator", true).await;
        let second = transfer(2, 9);
        let err = h.submit(second.clone()).await.unwrap_err();
        assert!(refused(&err), "{err}");
        assert!(err.to_string().contains("1 peers are behind"), "{err}");

        say(3, "validator", false).await;
        h.submit(second.clone()).await.unwrap();
        wait_state(&h, first.hash(), TxState::Accepted).await;
        wait_state(&h, second.hash(), TxState::Accepted).await;

        // An older announcement saying `behind` (as a replay of announcement 2 would, once
        // gossipsub's duplicate cache has forgotten it) is ignored: the node keeps announcement
        // 3 and takes its clients.
        let ignored_meta = || {
            let text = prometheus::TextEncoder::new()
                .encode_to_string(&registry.gather())
                .unwrap();
            text.lines()
                .find(|l| {
                    l.contains("gossip_messages_total{")
                        && l.contains(r#"topic="meta""#)
                        && l.contains(r#"verdict="ignore""#)
                })
                .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
                .unwrap_or(0)
        };
        assert_eq!(ignored_meta(), 0);
        let older = PeerMeta {
            mode: "validator".to_owned(),
            version: "ramjet/test-older".to_owned(),
            time_ms: 2,
            behind: true,
        };
        peer.publish(Topic::Meta, older.seal(&identity))
            .await
            .unwrap();
        wait_for(|| async { ignored_meta() == 1 }).await;
        let status = h.status().await.unwrap();
        let held = status.peers.iter().find(|p| p.peer_id == peer_id);
        assert_eq!(
            held.and_then(|p| p.meta.as_ref())
                .map(|m| m.version.as_str()),
            Some("ramjet/test-3")
        );
        h.submit(transfer(4, 9)).await.unwrap();
        peer.shutdown().await.unwrap();
        stop_all(vec![node]).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_the_network_lost_is_fetched_from_the_peer_that_observed_it() {
    within(async {
        let node = start_node(1, Mode::Validator, None).await;
        let h = node.handle();
        let boot = address_of(&h).await;

        // A bare peer that has a transaction it never gossiped (as if the node had dropped
        // it), observes it in its roots, and answers fetches for it.
        let identity = Identity::from_secret([80; 32], 0).unwrap();
        let (peer, mut events) = net::start(&identity, net_config(Some(boot))).await.unwrap();
        let lost = transfer(3, 9);
        let hash = lost.hash();
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (client, body, count) = (peer.clone(), lost.encode(), asked.clone());
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                match ev {
                    NetEvent::Request {
                        request, responder, ..
                    } => {
                        let response = match request {
                            Request::Transactions(hs) if hs.contains(&hash.0) => {
                                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                let items: Vec<_> = hs
                                    .iter()
                                    .map(|h| (*h == hash.0).then(|| body.clone()))
                                    .collect();
                                Response::Found(Response::encode_batch(&items))
                            }
                            _ => Response::NotFound,
                        };
                        let _ = client.respond(responder, response).await;
                    }
                    NetEvent::Gossip {
                        message_id, source, ..
                    } => {
                        let _ = client
                            .report_validation(message_id, source, net::Acceptance::Ignore)
                            .await;
                    }
                    _ => {}
                }
            }
        });
        wait_for(|| async { !peer.mesh_peers(Topic::Obs).await.unwrap().is_empty() }).await;
        assert_eq!(h.state(hash).await.unwrap(), None, "the node never saw it");

        let seen = Observation {
            tx: hash,
            state: TxState::Pending,
            time_ms: 1,
        };
        let mut buffer = ObservationBuffer::new();
        buffer.push(seen);
        let root = buffer
            .flush(&Accelerator::cpu_only(), &identity, 10)
            .unwrap()
            .unwrap();
        let roots = Message::Roots {
            root,
            observations: vec![seen],
        };
        peer.publish(Topic::Obs, roots.encode()).await.unwrap();

        // The node fetches it, verifies it and, after its quiet period, accepts it.
        wait_state(&h, hash, TxState::Accepted).await;
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        let recipient = address(&wallet(9)).key_hash;
        let utxos = h.utxos_of(recipient).await.unwrap();
        assert_eq!(utxos.len(), 1, "the repaired transfer was applied");
        peer.shutdown().await.unwrap();
        node.shutdown().await.unwrap();
    })
    .await;
}

/// What a misbehaving peer sends.
enum Misbehaviour {
    /// Bytes on a topic.
    Raw(Topic, Vec<u8>),
    /// A message on the right topic whose transaction's signature does not verify.
    ForgedSignature,
    /// A batch frame of a valid transaction and one whose signature does not verify.
    ForgedInBatch,
}

/// Wallet 1's transfer to `to`, its amount changed after signing: the signature does not
/// verify.
fn forged(to: u8) -> Transaction {
    let mut forged = transfer(1, to);
    forged.outputs[0].amount = 999;
    forged
}

/// Starts a fresh attacker, waits until it is in the node's mesh, has it misbehave once, and
/// returns once the node's trust in it has dropped and gossipsub scores it negative.
async fn misbehave_once(h: &NodeHandle, boot: &str, secret: u8, what: Misbehaviour) {
    let (bad, _events, bad_identity) = attacker(secret, boot.to_owned()).await;
    let bad_node = bad_identity.node_id();
    let topic = match &what {
        Misbehaviour::Raw(t, _) => *t,
        Misbehaviour::ForgedSignature | Misbehaviour::ForgedInBatch => Topic::Tx,
    };
    wait_for(|| async { !bad.mesh_peers(topic).await.unwrap().is_empty() }).await;
    let trust = || async {
        h.inspect(move |n, now| n.trust().score(&bad_node, now))
            .await
            .unwrap()
    };
    let initial = trust().await;
    match what {
        Misbehaviour::Raw(topic, bytes) => {
            bad.publish(topic, bytes).await.unwrap();
        }
        Misbehaviour::ForgedSignature => {
            let forged = forged(9);
            let forged_hash = forged.hash();
            bad.publish(Topic::Tx, Message::Tx(forged).encode())
                .await
                .unwrap();
            wait_for(|| async { trust().await < initial }).await;
            assert_ne!(h.state(forged_hash).await.unwrap(), Some(TxState::Accepted));
        }
        Misbehaviour::ForgedInBatch => {
            // The frame is rejected, but each transaction in it was handled on its own: the
            // valid one is accepted. (A forgery of its own: the one above is known here.)
            let (good, forged) = (transfer(4, 8), forged(8));
            bad.publish(
                Topic::Tx,
                encode_tx_batch(&[good.encode(), forged.encode()]),
            )
            .await
            .unwrap();
            wait_state(h, good.hash(), TxState::Accepted).await;
            wait_for(|| async { trust().await < initial }).await;
            assert_ne!(
                h.state(forged.hash()).await.unwrap(),
                Some(TxState::Accepted)
            );
        }
    }
    wait_for(|| async { trust().await < initial }).await;
    // The network layer heard about it too: gossipsub's invalid-delivery penalty makes the
    // sender's score negative (the penalty halves every second, so it is checked at once).
    let peer = net::public_key_to_peer_id(bad_identity.public_key()).unwrap();
    wait_for(|| async {
        h.net()
            .gossip_score(peer)
            .await
            .unwrap()
            .is_some_and(|s| s < 0.0)
    })
    .await;
    bad.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_gossip_is_dropped_and_costs_the_sender_trust() {
    within(async {
        // Gossipsub graylists a peer after its second invalid message (its score falls below
        // -80), so only two reach the node: with a penalty of 0.25 two bring a peer from the
        // initial 0.5 to 0, below the ban threshold of 0.1.
        let mut harsh = protocol();
        harsh.trust.invalid_penalty = 0.25;
        let node = start_with(1, Mode::Validator, None, harsh).await;
        let h = node.handle();
        let boot = address_of(&h).await;
        let cases = [
            Misbehaviour::Raw(Topic::Tx, b"\x00garbage that is no transaction".to_vec()),
            Misbehaviour::Raw(Topic::Obs, Message::Tx(transfer(4, 9)).encode()),
            Misbehaviour::Raw(Topic::Meta, b"{\"mode\":\"king\"}".to_vec()),
            Misbehaviour::ForgedSignature,
            // A batch frame whose second transaction's length runs past the frame's end.
            Misbehaviour::Raw(Topic::Tx, {
                let mut cut = encode_tx_batch(&[transfer(2, 9).encode(), transfer(3, 9).encode()]);
                cut.pop();
                cut
            }),
            Misbehaviour::ForgedInBatch,
        ];
        for (i, case) in cases.into_iter().enumerate() {
            misbehave_once(&h, &boot, 60 + i as u8, case).await;
        }

        // A replay of a valid transaction the node already has is ignored: not accepted twice,
        // no penalty. (Gossipsub drops an exact copy it has seen; this copy is new to the
        // attacker's router, so it reaches the node.)
        let (replayer, _events, replayer_identity) = attacker(70, boot.clone()).await;
        wait_for(|| async { !replayer.mesh_peers(Topic::Tx).await.unwrap().is_empty() }).await;
        let good = transfer(2, 9);
        h.submit(good.clone()).await.unwrap();
        wait_state(&h, good.hash(), TxState::Accepted).await;
        let replayer_node = replayer_identity.node_id();
        let replayer_trust = || async {
            h.inspect(move |n, now| n.trust().score(&replayer_node, now))
                .await
                .unwrap()
        };
        let before = replayer_trust().await;
        let accepted_before = h.inspect(|n, _| n.counters().accepted).await.unwrap();
        let _ = replayer
            .publish(Topic::Tx, Message::Tx(good).encode())
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            h.inspect(|n, _| n.counters().accepted).await.unwrap(),
            accepted_before
        );
        assert!(replayer_trust().await >= before);

        // A peer that keeps sending garbage falls below the trust threshold and is banned
        // (disconnected, and refused) at the next trust push.
        let (spammer, _events, spammer_identity) = attacker(71, boot.clone()).await;
        let spammer_peer = net::public_key_to_peer_id(spammer_identity.public_key()).unwrap();
        wait_for(|| async { !spammer.mesh_peers(Topic::Tx).await.unwrap().is_empty() }).await;
        for i in 0..3u8 {
            let mut garbage = b"\x00garbage ".to_vec();
            garbage.push(i);
            let _ = spammer.publish(Topic::Tx, garbage).await;
        }
        wait_for(|| async {
            !h.net()
                .peers()
                .await
                .unwrap()
                .iter()
                .any(|p| p.peer_id == spammer_peer)
        })
        .await;

        // The node goes on working.
        let third = transfer(3, 9);
        h.submit(third.clone()).await.unwrap();
        wait_state(&h, third.hash(), TxState::Accepted).await;
        replayer.shutdown().await.unwrap();
        spammer.shutdown().await.unwrap();
        node.shutdown().await.unwrap();
    })
    .await;
}
