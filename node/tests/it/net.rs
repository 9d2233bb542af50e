//! The libp2p network layer over real sockets on 127.0.0.1: gossip between three nodes (TCP,
//! QUIC), validation verdicts (reject penalises and is not forwarded, ignore is not forwarded),
//! oversize and replayed messages, request-response fetches and their timeout, bans, max
//! peers, and a listen address in use. Every test runs under a timeout; none asserts on
//! durations.

use std::future::Future;
use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use ramjet_node::identity::Identity;
use ramjet_node::net::{
    self, Acceptance, NetClient, NetConfig, NetError, NetEvent, Request, Response, Topic,
};
use tokio::sync::mpsc;

use crate::support::{self, wait_for};

/// Every test's overall limit.
const LIMIT: Duration = Duration::from_secs(60);

async fn within<F: Future<Output = ()>>(f: F) {
    support::within(LIMIT, f).await;
}

fn tcp_config() -> NetConfig {
    NetConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
        min_peers: 1,
        max_peers: 8,
        heartbeat_ms: 200,
        peer_tick_ms: 200,
        request_timeout_ms: 1_500,
        ban_secs: 5,
        ..NetConfig::default()
    }
}

/// The verdict every test node gives: payloads starting with "garbage" are invalid, with
/// "ignore" unwanted, anything else valid.
fn verdict(data: &[u8]) -> Acceptance {
    if data.starts_with(b"garbage") {
        Acceptance::Reject
    } else if data.starts_with(b"ignore") {
        Acceptance::Ignore
    } else {
        Acceptance::Accept
    }
}

/// Every test node's fetch handler: transactions are found (the answer is "tx:" ‖ hash),
/// observations are not, and inclusion-path requests are never answered.
fn answer(request: &Request) -> Option<Response> {
    match request {
        Request::Transaction(h) => Some(Response::Found([b"tx:".as_slice(), h].concat())),
        Request::Observation(_) => Some(Response::NotFound),
        Request::InclusionPath(_) | Request::Transactions(_) => None,
    }
}

struct Node {
    client: NetClient,
    peer: PeerId,
    addr: Multiaddr,
    /// Gossip payloads the node received (after its verdict was reported), with their source.
    gossip: mpsc::Receiver<(Topic, PeerId, Vec<u8>)>,
}

impl Node {
    fn bootstrap(&self) -> String {
        format!("{}/p2p/{}", self.addr, self.peer)
    }

    async fn peer_ids(&self) -> Vec<PeerId> {
        self.client
            .peers()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.peer_id)
            .collect()
    }

    /// Whether `peer` is connected and known to be subscribed to the transaction topic.
    async fn sees_subscribed(&self, peer: PeerId) -> bool {
        self.client
            .peers()
            .await
            .unwrap()
            .iter()
            .any(|p| p.peer_id == peer && p.topics.contains(&Topic::Tx))
    }

    async fn next_gossip(&mut self) -> (Topic, PeerId, Vec<u8>) {
        self.gossip.recv().await.expect("node stopped")
    }
}

/// Starts a node with `identity` and runs its application side: reports [`verdict`] for each
/// gossip message, answers requests with [`answer`] (holding unanswered responders).
async fn start(identity: &Identity, cfg: NetConfig) -> Node {
    let (client, mut events) = net::start(identity, cfg).await.expect("start");
    let addr = client.listen_addrs().await.unwrap()[0].clone();
    let (tx, gossip) = mpsc::channel(256);
    let driver = client.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Some(ev) = events.recv().await {
            match ev {
                NetEvent::Gossip {
                    topic,
                    source,
                    message_id,
                    data,
                    ..
                } => {
                    let _ = driver
                        .report_validation(message_id, source, verdict(&data))
                        .await;
                    let _ = tx.send((topic, source, data)).await;
                }
                NetEvent::Request {
                    request, responder, ..
                } => match answer(&request) {
                    Some(response) => {
                        let _ = driver.respond(responder, response).await;
                    }
                    None => held.push(responder),
                },
                _ => {}
            }
        }
    });
    Node {
        peer: client.local_peer_id(),
        client,
        addr,
        gossip,
    }
}

fn identity() -> Identity {
    Identity::generate(0).unwrap()
}

#[test]
fn peer_id_and_node_id_name_the_same_key() {
    let id = identity();
    let peer = net::peer_id_of(&id);
    assert_eq!(net::node_id_of(&peer), Some(id.node_id()));
    assert_eq!(net::public_key_of(&peer), Some(*id.public_key()));
    assert_eq!(net::keypair_of(&id).unwrap().public().to_peer_id(), peer);
    assert_eq!(net::node_id_of(&PeerId::random()), None);
}

#[test]
fn config_validation_lists_every_problem() {
    assert!(NetConfig::default().validate().is_ok());
    let bad = NetConfig {
        chain: "Main Net".into(),
        listen: vec!["/dns4/example.com/tcp/1".into(), "nonsense".into()],
        bootstrap: vec!["/ip4/127.0.0.1/tcp/1".into()],
        min_peers: 9,
        max_peers: 8,
        max_message_size: 10,
        trust_threshold: 2.0,
        ban_secs: 0,
        mesh_n_low: 5,
        mesh_n: 3,
        ..NetConfig::default()
    };
    let problems = bad.problems();
    for needle in [
        "chain",
        "listen[0]",
        "listen[1]",
        "bootstrap[0]",
        "min_peers",
        "max_message_size",
        "trust_threshold",
        "ban_secs",
        "mesh_n_low",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "no problem about {needle}: {problems:?}"
        );
    }
    match bad.validate() {
        Err(NetError::InvalidConfig { problems: p }) => assert_eq!(p, problems),
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
    let toml_like: NetConfig = serde_json::from_str(r#"{"min_peers": 2}"#).unwrap();
    assert_eq!(toml_like.min_peers, 2);
    assert_eq!(toml_like.max_peers, NetConfig::default().max_peers);
}

/// A publishes; B and C (each bootstrapped from A) receive it.
async fn three_nodes_gossip(listen: &str) {
    let cfg = NetConfig {
        listen: vec![listen.into()],
        min_peers: 2,
        ..tcp_config()
    };
    let (ia, ib, ic) = (identity(), identity(), identity());
    let mut a = start(&ia, cfg.clone()).await;
    let mut b = start(
        &ib,
        NetConfig {
            bootstrap: vec![a.bootstrap()],
            ..cfg.clone()
        },
    )
    .await;
    let mut c = start(
        &ic,
        NetConfig {
            bootstrap: vec![a.bootstrap()],
            ..cfg.clone()
        },
    )
    .await;
    assert_eq!(a.peer, net::peer_id_of(&ia));
    wait_for(|| async { a.sees_subscribed(b.peer).await && a.sees_subscribed(c.peer).await }).await;
    a.client
        .publish(Topic::Tx, b"hello from a".to_vec())
        .await
        .unwrap();
    for n in [&mut b, &mut c] {
        let (topic, source, data) = n.next_gossip().await;
        assert_eq!(
            (topic, source, data.as_slice()),
            (Topic::Tx, a.peer, b"hello from a".as_slice())
        );
    }
    // B and C found each other through Kademlia (both want two peers), and gossip flows the
    // other way too.
    wait_for(|| async { b.sees_subscribed(c.peer).await && b.sees_subscribed(a.peer).await }).await;
    b.client
        .publish(Topic::Obs, b"roots from b".to_vec())
        .await
        .unwrap();
    for n in [&mut a, &mut c] {
        let (topic, _, data) = n.next_gossip().await;
        assert_eq!(
            (topic, data.as_slice()),
            (Topic::Obs, b"roots from b".as_slice())
        );
    }
    for n in [&a, &b, &c] {
        n.client.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn three_nodes_gossip_over_tcp() {
    within(three_nodes_gossip("/ip4/127.0.0.1/tcp/0")).await;
}

#[cfg(feature = "quic")]
#[tokio::test]
async fn three_nodes_gossip_over_quic() {
    within(three_nodes_gossip("/ip4/127.0.0.1/udp/0/quic-v1")).await;
}

/// A line A – B – C: A and C ban each other, so everything A says reaches C through B only.
/// Waits until B has C in its transaction mesh and A sees B subscribed.
async fn line() -> (Node, Node, Node) {
    let (ia, ib, ic) = (identity(), identity(), identity());
    let b = start(
        &ib,
        NetConfig {
            min_peers: 2,
            ..tcp_config()
        },
    )
    .await;
    let c = start(
        &ic,
        NetConfig {
            bootstrap: vec![b.bootstrap()],
            ..tcp_config()
        },
    )
    .await;
    c.client
        .set_trust(net::peer_id_of(&ia), -1.0)
        .await
        .unwrap();
    let a = start(
        &ia,
        NetConfig {
            bootstrap: vec![b.bootstrap()],
            ..tcp_config()
        },
    )
    .await;
    a.client.set_trust(c.peer, -1.0).await.unwrap();
    wait_for(|| async {
        b.client
            .mesh_peers(Topic::Tx)
            .await
            .unwrap()
            .contains(&c.peer)
            && a.sees_subscribed(b.peer).await
    })
    .await;
    (a, b, c)
}

#[tokio::test]
async fn rejected_and_ignored_gossip_is_not_forwarded_and_reject_penalises() {
    within(async {
        let (a, mut b, mut c) = line().await;
        a.client
            .publish(Topic::Tx, b"ignore this".to_vec())
            .await
            .unwrap();
        assert_eq!(b.next_gossip().await.2, b"ignore this");
        let score = b.client.gossip_score(a.peer).await.unwrap().unwrap();
        assert!(score >= 0.0, "ignore must not penalise: {score}");

        a.client
            .publish(Topic::Tx, b"garbage \xff\x00\x13".to_vec())
            .await
            .unwrap();
        assert!(b.next_gossip().await.2.starts_with(b"garbage"));
        wait_for(|| async { b.client.gossip_score(a.peer).await.unwrap().unwrap() < 0.0 }).await;

        // A valid message after both: it is the first thing C hears of A.
        a.client
            .publish(Topic::Tx, b"valid after".to_vec())
            .await
            .unwrap();
        assert_eq!(b.next_gossip().await.2, b"valid after");
        let (_, source, data) = c.next_gossip().await;
        assert_eq!(
            (source, data.as_slice()),
            (b.peer, b"valid after".as_slice())
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(c.gossip.try_recv().is_err(), "nothing else reached C");
        // B is undisturbed: still connected to both.
        let peers = b.peer_ids().await;
        assert!(peers.contains(&a.peer) && peers.contains(&c.peer));
    })
    .await;
}

#[tokio::test]
async fn replayed_message_is_delivered_once() {
    within(async {
        let (a, mut b, c) = line().await;
        // B ignores it, so it does not reach C; C can then publish the same bytes itself.
        let msg = b"ignore: replayed bytes".to_vec();
        let id = a.client.publish(Topic::Tx, msg.clone()).await.unwrap();
        assert_eq!(b.next_gossip().await.2, msg);
        // Re-publishing identical bytes is refused: the id is the content's hash.
        assert!(matches!(
            a.client.publish(Topic::Tx, msg.clone()).await,
            Err(NetError::Publish { .. })
        ));
        // C replays it (new signature and sequence number, same id), then a sentinel.
        assert_eq!(c.client.publish(Topic::Tx, msg.clone()).await.unwrap(), id);
        c.client
            .publish(Topic::Tx, b"sentinel".to_vec())
            .await
            .unwrap();
        assert_eq!(b.next_gossip().await.2, b"sentinel");
        assert!(b.gossip.try_recv().is_err());
    })
    .await;
}

/// A message above the receiver's size limit never reaches its application; the receiver
/// keeps working (gossip from another peer still arrives). Note: after the oversize frame the
/// sender's own gossip stream to the receiver was observed not to recover (libp2p drops the
/// inbound stream on a decode error), so the follow-up message comes from a third node.
#[tokio::test]
async fn oversize_gossip_is_dropped() {
    within(async {
        let mut b = start(
            &identity(),
            NetConfig {
                max_message_size: 64 * 1024,
                min_peers: 2,
                ..tcp_config()
            },
        )
        .await;
        let a = start(
            &identity(),
            NetConfig {
                max_message_size: 1024 * 1024,
                bootstrap: vec![b.bootstrap()],
                ..tcp_config()
            },
        )
        .await;
        // c shares b's limit, as every node of one network does. (With a larger limit c would
        // take a's message and forward it to b, and the oversize frame would break c's own
        // stream to b.)
        let c = start(
            &identity(),
            NetConfig {
                max_message_size: 64 * 1024,
                bootstrap: vec![b.bootstrap()],
                ..tcp_config()
            },
        )
        .await;
        wait_for(|| async { a.sees_subscribed(b.peer).await && c.sees_subscribed(b.peer).await })
            .await;
        a.client
            .publish(Topic::Tx, vec![7u8; 200 * 1024])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Traffic from another peer still flows. (c publishes until b has one of its messages:
        // a publish made while c's view of the mesh is changing may reach nobody.)
        let mut attempt = 0u32;
        let (source, data) = loop {
            let text = format!("small from c {attempt}");
            let _ = c.client.publish(Topic::Tx, text.into_bytes()).await;
            if let Ok((_, source, data)) =
                tokio::time::timeout(Duration::from_millis(500), b.next_gossip()).await
            {
                break (source, data);
            }
            attempt += 1;
        };
        assert_eq!(source, c.peer);
        assert!(data.starts_with(b"small from c"));
        tokio::time::sleep(Duration::from_millis(500)).await;
        while let Ok(m) = b.gossip.try_recv() {
            assert!(m.2.len() <= 64 * 1024, "an oversize message was delivered");
        }
        assert!(b.peer_ids().await.contains(&c.peer));
    })
    .await;
}

#[tokio::test]
async fn fetch_returns_the_handlers_answer_and_times_out_without_one() {
    within(async {
        // B waits longer on its inbound streams than A on its outbound ones: with equal timeouts
        // B may close the unanswered stream first and A sees end-of-file instead of a timeout.
        let b = start(
            &identity(),
            NetConfig {
                request_timeout_ms: 10_000,
                ..tcp_config()
            },
        )
        .await;
        let a = start(
            &identity(),
            NetConfig {
                bootstrap: vec![b.bootstrap()],
                ..tcp_config()
            },
        )
        .await;
        wait_for(|| async { a.peer_ids().await.contains(&b.peer) }).await;
        let h = [5u8; 32];
        assert_eq!(
            a.client
                .fetch(b.peer, Request::Transaction(h))
                .await
                .unwrap(),
            Response::Found([b"tx:".as_slice(), &h].concat())
        );
        assert_eq!(
            a.client
                .fetch(b.peer, Request::Observation(h))
                .await
                .unwrap(),
            Response::NotFound
        );
        match a.client.fetch(b.peer, Request::InclusionPath(h)).await {
            Err(NetError::FetchTimeout { peer }) => assert_eq!(peer, b.peer),
            other => panic!("expected FetchTimeout, got {other:?}"),
        }
        // B, which held the unanswered request, still answers.
        assert_eq!(
            b.client
                .fetch(a.peer, Request::Observation(h))
                .await
                .unwrap(),
            Response::NotFound
        );
    })
    .await;
}

#[tokio::test]
async fn low_trust_peer_is_disconnected_and_not_redialled_until_the_ban_expires() {
    within(async {
        let a = start(
            &identity(),
            NetConfig {
                ban_secs: 4,
                ..tcp_config()
            },
        )
        .await;
        // B wants one peer and keeps dialling A (its bootstrap) while it has none.
        let b = start(
            &identity(),
            NetConfig {
                bootstrap: vec![a.bootstrap()],
                ..tcp_config()
            },
        )
        .await;
        wait_for(|| async { a.peer_ids().await.contains(&b.peer) }).await;
        a.client.set_trust(b.peer, 0.2).await.unwrap();
        assert!(
            a.peer_ids().await.contains(&b.peer),
            "0.2 is above the threshold"
        );
        a.client.set_trust(b.peer, 0.0).await.unwrap();
        wait_for(|| async { !a.peer_ids().await.contains(&b.peer) }).await;
        // An explicit dial from B is denied too.
        let _ = b.client.dial(a.bootstrap().parse().unwrap()).await;
        // During the ban B keeps trying; A stays without it.
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(
                !a.peer_ids().await.contains(&b.peer),
                "reconnected during the ban"
            );
        }
        // After the ban B's redials get through.
        wait_for(|| async { a.peer_ids().await.contains(&b.peer) }).await;
        let info = a.client.peers().await.unwrap();
        let pb = info.iter().find(|p| p.peer_id == b.peer).unwrap();
        assert_eq!(pb.trust, NetConfig::default().trust_threshold);
    })
    .await;
}

#[tokio::test]
async fn at_capacity_the_lowest_trust_peer_is_evicted() {
    within(async {
        let a = start(
            &identity(),
            NetConfig {
                max_peers: 2,
                ..tcp_config()
            },
        )
        .await;
        let joiner = || NetConfig {
            bootstrap: vec![a.bootstrap()],
            ..tcp_config()
        };
        let b = start(&identity(), joiner()).await;
        let c = start(&identity(), joiner()).await;
        wait_for(|| async {
            let p = a.peer_ids().await;
            p.contains(&b.peer) && p.contains(&c.peer)
        })
        .await;
        a.client.set_trust(b.peer, 0.3).await.unwrap();
        let d = start(&identity(), joiner()).await;
        wait_for(|| async {
            let p = a.peer_ids().await;
            p.contains(&c.peer) && p.contains(&d.peer) && !p.contains(&b.peer)
        })
        .await;
        assert!(a.peer_ids().await.len() <= 2);
    })
    .await;
}

#[tokio::test]
async fn listen_address_in_use_is_named() {
    within(async {
        let a = start(&identity(), tcp_config()).await;
        let err = net::start(
            &identity(),
            NetConfig {
                listen: vec![a.addr.to_string()],
                ..tcp_config()
            },
        )
        .await
        .expect_err("second listener on the same port");
        match &err {
            NetError::AddressInUse { addr } => assert_eq!(addr, &a.addr),
            other => panic!("expected AddressInUse, got {other:?}"),
        }
        assert!(err.to_string().contains(&a.addr.to_string()));
        let node_err: ramjet_node::NodeError = err.into();
        assert!(node_err.to_string().contains("already in use"));
        // A port held by another program's socket.
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr: Multiaddr = format!("/ip4/127.0.0.1/tcp/{}", held.local_addr().unwrap().port())
            .parse()
            .unwrap();
        match net::start(
            &identity(),
            NetConfig {
                listen: vec![addr.to_string()],
                ..tcp_config()
            },
        )
        .await
        {
            Err(NetError::AddressInUse { addr: named }) => assert_eq!(named, addr),
            other => panic!("expected AddressInUse, got {:?}", other.err()),
        }
    })
    .await;
}
