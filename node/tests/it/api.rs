//! The gRPC API through the generated client, against a running node on 127.0.0.1: submit,
//! query, the event stream, status, a finality proof, errors mapped to status codes, the admin
//! token, per-client rate limiting, and server reflection.

use std::sync::Arc;
use std::time::Duration;

use ed25519_consensus::SigningKey;
use ramjet_accel::Accelerator;
use ramjet_node::api::{self, pb};
use ramjet_node::config::{ApiConfig, Mode};
use ramjet_node::identity::Identity;
use ramjet_node::ledger::{Genesis, LedgerConfig};
use ramjet_node::net::NetConfig;
use ramjet_node::protocol::ProtocolConfig;
use ramjet_node::service::{self, NodeSetup, RunningNode};
use ramjet_node::storage::MemoryStore;
use ramjet_node::tx::{Address, AssetId, Fee, Output, Transaction};
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::transport::Channel;

use crate::support::{ok, ramjet};

const CHAIN: u32 = 12;
const ASSET: AssetId = AssetId([0x77; 32]);
const TOKEN: &str = "a-long-enough-admin-token";
const LIMIT: Duration = Duration::from_secs(60);

fn wallet(seed: u8) -> SigningKey {
    SigningKey::from([seed; 32])
}

fn address(key: &SigningKey) -> Address {
    Address::of_public_key(CHAIN, &key.verification_key().to_bytes())
}

fn genesis() -> Genesis {
    Genesis {
        chain_id: CHAIN,
        outputs: (1..=3)
            .map(|s| Output {
                address: address(&wallet(s)),
                asset: ASSET,
                amount: 50,
                data: None,
                contract: None,
            })
            .collect(),
    }
}

fn transfer(from: u8, to: u8) -> Transaction {
    Transaction::build_signed(
        &[(genesis().outpoint(u32::from(from) - 1), &wallet(from))],
        vec![Output {
            address: address(&wallet(to)),
            asset: ASSET,
            amount: 50,
            data: None,
            contract: None,
        }],
        Fee::default(),
    )
}

struct Fixture {
    node: RunningNode,
    shutdown: CancellationToken,
    server: api::ApiServer,
}

async fn fixture(api_config: ApiConfig) -> Fixture {
    fixture_with(api_config, genesis()).await
}

async fn fixture_with(api_config: ApiConfig, genesis: Genesis) -> Fixture {
    let node = service::start(NodeSetup {
        identity: Identity::from_secret([9; 32], 0).unwrap(),
        mode: Mode::Validator,
        store: Arc::new(MemoryStore::new("api-test")),
        accel: Arc::new(Accelerator::cpu_only()),
        genesis,
        protocol: ProtocolConfig {
            ledger: LedgerConfig {
                chain_id: CHAIN,
                quiet_period_ms: 200,
                ..LedgerConfig::default()
            },
            ..ProtocolConfig::default()
        },
        net: NetConfig {
            chain: "api-test".into(),
            listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
            min_peers: 0,
            ..NetConfig::default()
        },
        metrics: None,
    })
    .await
    .unwrap();
    let shutdown = CancellationToken::new();
    let server = api::serve(
        &api_config,
        node.handle(),
        Duration::from_secs(60),
        shutdown.clone(),
    )
    .await
    .unwrap();
    Fixture {
        node,
        shutdown,
        server,
    }
}

fn api_config() -> ApiConfig {
    ApiConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        admin_token: Some(TOKEN.into()),
        ..ApiConfig::default()
    }
}

async fn channel(f: &Fixture) -> Channel {
    Channel::from_shared(format!("http://{}", f.server.local_addr))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

impl Fixture {
    async fn stop(self) {
        self.shutdown.cancel();
        self.server.wait().await.unwrap();
        self.node.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_client_submits_queries_and_streams() {
    tokio::time::timeout(LIMIT, async {
        let f = fixture(api_config()).await;
        let mut client = pb::node_client::NodeClient::new(channel(&f).await);
        let mut events = client
            .stream_events(pb::StreamEventsRequest {})
            .await
            .unwrap()
            .into_inner();

        let tx = transfer(1, 8);
        let hash = tx.hash();
        let r = client
            .submit_transaction(pb::SubmitTransactionRequest {
                transaction: tx.encode(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.tx_hash, hash.0.to_vec());
        assert_eq!(r.state(), pb::TxState::Pending);

        // The event stream reports the acceptance.
        loop {
            let e = events.message().await.unwrap().expect("stream open");
            if let Some(pb::event::Kind::Accepted(a)) = e.kind {
                assert_eq!(a.tx_hash, hash.0.to_vec());
                assert!(e.time_ms > 0);
                break;
            }
        }
        let got = client
            .get_transaction(pb::GetTransactionRequest {
                tx_hash: hash.0.to_vec(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.state(), pb::TxState::Accepted);
        assert_eq!(Transaction::decode(&got.transaction).unwrap(), tx);

        let utxos = client
            .get_utxos(pb::GetUtxosRequest {
                key_hash: address(&wallet(8)).key_hash.0.to_vec(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .utxos;
        assert_eq!(utxos.len(), 1);
        assert_eq!((utxos[0].amount, utxos[0].index), (50, 0));
        assert_eq!(utxos[0].tx_hash, hash.0.to_vec());

        // A batch: one good, one undecodable, one duplicate.
        let batch = client
            .submit_transactions(pb::SubmitTransactionsRequest {
                transactions: vec![transfer(2, 8).encode(), vec![1, 2, 3], tx.encode()],
            })
            .await
            .unwrap()
            .into_inner()
            .results;
        assert_eq!(batch.len(), 3);
        assert_eq!(batch[0].state(), pb::TxState::Pending);
        assert!(batch[0].error.is_empty());
        assert!(batch[1].error.contains("encoding"), "{}", batch[1].error);
        assert_eq!(batch[2].error, "already known");

        // A finality proof with this node's own signed observation, once flushed.
        let proof = loop {
            match client
                .get_finality_proof(pb::GetFinalityProofRequest {
                    tx_hash: hash.0.to_vec(),
                    timeout_ms: 200,
                })
                .await
            {
                Ok(p) if !p.get_ref().entries.is_empty() => break p.into_inner(),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        assert_eq!(proof.state(), pb::TxState::Accepted);
        assert_eq!(proof.nodes.len(), 1);
        assert_eq!(
            proof.nodes[0],
            f.node.handle().node_id().as_bytes().to_vec()
        );

        // GetUtxos in pages: once the batch's transfer is accepted wallet 8 holds two UTXOs; a
        // page of one, then the page after its UTXO, give both, in outpoint order.
        let key_hash = address(&wallet(8)).key_hash.0.to_vec();
        let page = |limit: u32, after: Option<pb::OutPoint>| pb::GetUtxosRequest {
            key_hash: key_hash.clone(),
            limit,
            after,
        };
        let all = loop {
            let r = client.get_utxos(page(0, None)).await.unwrap().into_inner();
            if r.utxos.len() == 2 {
                assert!(!r.more);
                break r.utxos;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let order = |u: &pb::Utxo| (u.tx_hash.clone(), u.index);
        assert!(order(&all[0]) < order(&all[1]));
        let first = client.get_utxos(page(1, None)).await.unwrap().into_inner();
        assert_eq!((first.utxos.as_slice(), first.more), (&all[..1], true));
        let after = pb::OutPoint {
            tx_hash: all[0].tx_hash.clone(),
            index: all[0].index,
        };
        let second = client
            .get_utxos(page(1, Some(after)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((second.utxos.as_slice(), second.more), (&all[1..], false));
        let e = client.get_utxos(page(10_001, None)).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(e.message().contains("10000"), "{}", e.message());
        let bad_after = pb::OutPoint {
            tx_hash: vec![1; 3],
            index: 0,
        };
        let e = client
            .get_utxos(page(1, Some(bad_after)))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(e.message().contains("after.tx_hash"), "{}", e.message());

        let status = client
            .get_status(pb::GetStatusRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(status.mode, "validator");
        assert_eq!(status.chain_id, CHAIN);
        assert_eq!(status.counters.unwrap().submitted, 3);
        assert!(
            status
                .backends
                .iter()
                .any(|b| b.kind == "cpu" && b.signatures > 0)
        );
        // The UTXO digest, and the same status without it (for a client polling often).
        let digest = f
            .node
            .handle()
            .inspect(|n, _| n.ledger().utxo_digest().unwrap())
            .await
            .unwrap();
        assert_eq!(status.utxo_digest, digest.to_vec());
        let light = client
            .get_status(pb::GetStatusRequest {
                skip_utxo_digest: true,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(light.utxo_digest.is_empty());
        // The same status otherwise. Of the counters, only those no work between the two calls
        // can move: a live node may flush or accept the batch's transfer meanwhile.
        assert_eq!((light.mode, light.chain_id), (status.mode, status.chain_id));
        assert_eq!(
            light.counters.map(|c| c.submitted),
            status.counters.map(|c| c.submitted)
        );
        f.stop().await;
    })
    .await
    .expect("in time");
}

/// Runs the `ramjet` binary off the runtime's threads (the node under test runs on them).
async fn ramjet_cli(dir: &std::path::Path, args: &[&str]) -> String {
    let (dir, args) = (
        dir.to_owned(),
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    );
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&ramjet(&dir, &args))
    })
    .await
    .unwrap()
}

/// `ramjet tx` against a node: `balance` reads every page of a key's UTXOs (1,001 of them, more
/// than one page of `GetUtxos`), `send` spends some and waits for the acceptance, and both
/// balances show it. And pages of outputs that carry data end at 3 MiB, before the 4 MiB a
/// client decodes by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_reads_every_page_and_sends() {
    tokio::time::timeout(LIMIT, async {
        let alice = Identity::from_secret([21; 32], 0).unwrap();
        let owner = Address::of_public_key(CHAIN, alice.public_key());
        let output = |address: Address, data: Option<Vec<u8>>| Output {
            address,
            asset: AssetId::default(),
            amount: 2,
            data,
            contract: None,
        };
        let carol = address(&wallet(33));
        let mut outputs = vec![output(owner, None); 1_001];
        outputs.extend(vec![output(carol, Some(vec![7; 1024])); 3_200]);
        let genesis = Genesis {
            chain_id: CHAIN,
            outputs,
        };
        let f = fixture_with(api_config(), genesis).await;
        let dir = tempfile::tempdir().unwrap();
        alice.write(&dir.path().join("alice.key")).unwrap();
        let url = format!("http://{}", f.server.local_addr);
        let balance = |key: &'static str| {
            let (dir, url) = (dir.path().to_owned(), url.clone());
            async move { ramjet_cli(&dir, &["tx", "balance", "--key", key, "--node", &url]).await }
        };

        let before = balance("alice.key").await;
        assert!(
            before.contains(&format!(
                "key hash {}: 1001 unspent outputs",
                owner.key_hash
            )),
            "{before}"
        );
        assert!(before.contains("total 2002 of asset"), "{before}");

        let keygen = ramjet_cli(dir.path(), &["tx", "keygen", "--out", "bob.key"]).await;
        let bob = keygen
            .lines()
            .find_map(|l| l.strip_prefix("key hash"))
            .expect("keygen prints the key hash")
            .trim()
            .to_owned();
        let sent = ramjet_cli(
            dir.path(),
            &[
                "tx",
                "send",
                "--key",
                "alice.key",
                "--to",
                &bob,
                "--amount",
                "5",
                "--fee",
                "1",
                "--wait",
                "--node",
                &url,
            ],
        )
        .await;
        assert!(sent.contains("ACCEPTED after"), "{sent}");

        let to_bob = balance("bob.key").await;
        assert!(to_bob.contains("1 unspent outputs"), "{to_bob}");
        assert!(to_bob.contains("total 5 of asset"), "{to_bob}");
        let after = balance("alice.key").await;
        // Three outputs of 2 spent for 5 and the fee of 1: no change.
        assert!(after.contains("998 unspent outputs"), "{after}");
        assert!(after.contains("total 1996 of asset"), "{after}");

        // 3,200 outputs of 1 KiB of data each: even the largest page stops at 3 MiB.
        let mut client = pb::node_client::NodeClient::new(channel(&f).await);
        let (mut seen, mut pages, mut after) = (0, 0, None);
        loop {
            let page = client
                .get_utxos(pb::GetUtxosRequest {
                    key_hash: carol.key_hash.0.to_vec(),
                    limit: 10_000,
                    after: after.take(),
                })
                .await
                .unwrap()
                .into_inner();
            let bytes = prost::Message::encoded_len(&page);
            assert!(bytes <= 3 << 20, "a page of {bytes} bytes");
            seen += page.utxos.len();
            pages += 1;
            if !page.more {
                break;
            }
            let last = page.utxos.last().expect("a page with more is not empty");
            after = Some(pb::OutPoint {
                tx_hash: last.tx_hash.clone(),
                index: last.index,
            });
        }
        assert_eq!((seen, pages), (3_200, 2));
        f.stop().await;
    })
    .await
    .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_map_to_status_codes() {
    tokio::time::timeout(LIMIT, async {
        let f = fixture(api_config()).await;
        let mut client = pb::node_client::NodeClient::new(channel(&f).await);
        let e = client
            .submit_transaction(pb::SubmitTransactionRequest {
                transaction: vec![0xFF; 7],
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(e.message().contains("encoding"), "{}", e.message());

        let e = client
            .get_transaction(pb::GetTransactionRequest {
                tx_hash: vec![1; 32],
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::NotFound);
        let e = client
            .get_transaction(pb::GetTransactionRequest {
                tx_hash: vec![1; 3],
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(e.message().contains("32 bytes"));
        let e = client
            .get_finality_proof(pb::GetFinalityProofRequest {
                tx_hash: vec![1; 32],
                timeout_ms: 10,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::FailedPrecondition);

        // A spend of an output that does not exist is the ledger's verdict, later; a second
        // submission of the same transaction is ALREADY_EXISTS at once.
        let tx = transfer(3, 9);
        client
            .submit_transaction(pb::SubmitTransactionRequest {
                transaction: tx.encode(),
            })
            .await
            .unwrap();
        let e = client
            .submit_transaction(pb::SubmitTransactionRequest {
                transaction: tx.encode(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::AlreadyExists);

        // Admin calls: no token, a wrong token, the right one.
        let mut admin = pb::admin_client::AdminClient::new(channel(&f).await);
        let e = admin
            .unban_peer(pb::UnbanPeerRequest {
                peer_id: f.node.handle().peer_id().to_string(),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated);
        let mut wrong = tonic::Request::new(pb::BanPeerRequest {
            peer_id: "x".into(),
            seconds: 1,
        });
        wrong
            .metadata_mut()
            .insert("authorization", "Bearer nope".parse().unwrap());
        assert_eq!(
            admin.ban_peer(wrong).await.unwrap_err().code(),
            Code::Unauthenticated
        );
        let authed = |msg| {
            let mut r = tonic::Request::new(msg);
            r.metadata_mut()
                .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
            r
        };
        let e = admin
            .ban_peer(authed(pb::BanPeerRequest {
                peer_id: "not a peer id".into(),
                seconds: 1,
            }))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        let stranger = ramjet_node::net::peer_id_of(&Identity::from_secret([5; 32], 0).unwrap());
        let mut unban = tonic::Request::new(pb::UnbanPeerRequest {
            peer_id: stranger.to_string(),
        });
        unban
            .metadata_mut()
            .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
        assert_eq!(
            admin.unban_peer(unban).await.unwrap_err().code(),
            Code::NotFound
        );
        admin
            .ban_peer(authed(pb::BanPeerRequest {
                peer_id: stranger.to_string(),
                seconds: 30,
            }))
            .await
            .unwrap();
        let mut unban = tonic::Request::new(pb::UnbanPeerRequest {
            peer_id: stranger.to_string(),
        });
        unban
            .metadata_mut()
            .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
        admin.unban_peer(unban).await.unwrap();
        f.stop().await;
    })
    .await
    .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_calls_are_rate_limited_per_client_and_admin_can_be_disabled() {
    tokio::time::timeout(LIMIT, async {
        let f = fixture(ApiConfig {
            rate_limit_per_sec: 1,
            rate_limit_burst: 3,
            rate_limit_exempt_loopback: false,
            admin_token: None,
            ..api_config()
        })
        .await;
        let mut client = pb::node_client::NodeClient::new(channel(&f).await);
        let mut codes = Vec::new();
        for _ in 0..6 {
            codes.push(
                match client.get_status(pb::GetStatusRequest::default()).await {
                    Ok(_) => Code::Ok,
                    Err(e) => e.code(),
                },
            );
        }
        // The burst passes, then the bucket is empty (1 per second cannot refill 3 calls).
        assert_eq!(&codes[..3], &[Code::Ok; 3]);
        assert!(codes[3..].contains(&Code::ResourceExhausted), "{codes:?}");
        let mut admin = pb::admin_client::AdminClient::new(channel(&f).await);
        let e = admin.shutdown(pb::ShutdownRequest {}).await.unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
        f.stop().await;
    })
    .await
    .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_is_named() {
    tokio::time::timeout(LIMIT, async {
        let f = fixture(api_config()).await;
        let taken = f.server.local_addr;
        let e = api::serve(
            &ApiConfig {
                listen: taken,
                ..api_config()
            },
            f.node.handle(),
            Duration::from_secs(1),
            CancellationToken::new(),
        )
        .await
        .err()
        .expect("the port is taken");
        let text = e.to_string();
        assert!(
            text.contains("api.listen") && text.contains(&taken.to_string()),
            "{text}"
        );
        assert!(text.contains("already in use"), "{text}");
        f.stop().await;
    })
    .await
    .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_both_services() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    tokio::time::timeout(LIMIT, async {
        let f = fixture(api_config()).await;
        let mut client = ServerReflectionClient::new(channel(&f).await);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = client
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .unwrap()
            .into_inner();
        let answer = answers.message().await.unwrap().expect("one answer");
        let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("not a service list: {answer:?}");
        };
        let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        for want in ["ramjet.v1.Node", "ramjet.v1.Admin"] {
            assert!(
                names.iter().any(|n| n == want),
                "{want} missing from {names:?}"
            );
        }
        f.stop().await;
    })
    .await
    .expect("in time");
}
