//! Conflict resolution and the N-node simulator: the message layer's properties, agreement of
//! honest nodes without faults, a symmetric double spend decided by the hash tie-break,
//! equivocators caught with verifiable evidence, reproducibility by seed, and the acceptance
//! run: 20 nodes, 25% Byzantine, 1,000 transfers, 100 double-spend attempts.

use std::collections::BTreeSet;
use std::time::Instant;

use ed25519_consensus::SigningKey;
use ramjet_accel::Accelerator;
use ramjet_node::consensus::{
    Ingested, KIND_TX_BATCH, MAX_TX_BATCH, Message, VoteBook, decode_tx_batch, encode_tx_batch,
};
use ramjet_node::identity::Identity;
use ramjet_node::ledger::Genesis;
use ramjet_node::observe::{Evidence, Observation, ObservationBuffer, TxState, verify_evidence};
use ramjet_node::sim::scenario::{self, SIM_ASSET, ScenarioConfig, Workload};
use ramjet_node::sim::{DoubleSpendSource, NetConfig, Network, Role, SimConfig, Simulation};
use ramjet_node::tx::{Address, Fee, Output, Transaction, TxHash};

// ---------------------------------------------------------------- message layer

/// One delivery: (arrival time, from, to, the message: its send number).
type Arrival = (u64, usize, usize, u32);

fn trace(seed: u64, config: NetConfig, sends: u32) -> (Vec<Arrival>, Network<u32>) {
    let mut net = Network::new(config, seed).unwrap();
    for i in 0..sends {
        net.send(u64::from(i), (i % 5) as usize, ((i + 1) % 5) as usize, i);
    }
    let mut out = Vec::new();
    while let Some(d) = net.pop_due(u64::MAX) {
        out.push((d.at_ms, d.from, d.to, d.message));
    }
    (out, net)
}

#[test]
fn net_delays_drops_duplicates_and_reorders_within_its_parameters() {
    let config = NetConfig {
        min_delay_ms: 5,
        max_delay_ms: 50,
        p_drop: 0.1,
        p_dup: 0.1,
    };
    let sends = 10_000;
    let (deliveries, net) = trace(42, config.clone(), sends);
    let stats = net.stats();
    assert_eq!(stats.sent, u64::from(sends));
    assert_eq!(
        stats.delivered,
        stats.sent - stats.dropped + stats.duplicated
    );
    assert_eq!(deliveries.len() as u64, stats.delivered);
    // 10% each, with a binomial standard deviation of 30 on 10 000 draws.
    assert!((850..=1150).contains(&stats.dropped), "{stats:?}");
    assert!((800..=1100).contains(&stats.duplicated), "{stats:?}");
    let mut reordered = 0;
    for pair in deliveries.windows(2) {
        assert!(pair[0].0 <= pair[1].0, "deliveries come out in time order");
        if pair[1].3 < pair[0].3 {
            reordered += 1;
        }
    }
    for &(at, _, _, i) in &deliveries {
        let delay = at - u64::from(i);
        assert!((5..=50).contains(&delay), "delay {delay}");
    }
    assert!(reordered > 1000, "random delays overtake: {reordered}");
    let copies = |i: u32| deliveries.iter().filter(|d| d.3 == i).count();
    assert!((0..sends).all(|i| copies(i) <= 2));
    // Same seed, same trace; another seed, another.
    assert_eq!(trace(42, config.clone(), sends).0, deliveries);
    assert_ne!(trace(43, config, sends).0, deliveries);
}

#[test]
fn fixed_delay_network_is_lossless_and_in_order() {
    let (deliveries, net) = trace(1, NetConfig::fixed(10), 500);
    assert_eq!(net.stats().dropped, 0);
    assert_eq!(net.stats().duplicated, 0);
    assert_eq!(deliveries.len(), 500);
    for (k, d) in deliveries.iter().enumerate() {
        assert_eq!((d.0, d.3), (k as u64 + 10, k as u32));
    }
    assert!(
        Network::<u32>::new(
            NetConfig {
                min_delay_ms: 9,
                max_delay_ms: 3,
                p_drop: 1.5,
                p_dup: 0.0
            },
            0
        )
        .is_err()
    );
}

// ---------------------------------------------------------------- checks

/// Everything the acceptance criteria ask of a finished run.
fn check_run(sim: &Simulation, workload: &Workload) {
    let report = sim.report().unwrap();
    let honest: Vec<_> = sim
        .nodes()
        .iter()
        .filter(|n| n.role().is_honest())
        .collect();
    assert!(!honest.is_empty());
    let reference = &report.honest().next().unwrap();
    let genesis_supply = sim.genesis().supply();
    let utxos0 = honest[0].ledger().utxos().unwrap();
    if std::env::var("SIM_DEBUG").is_ok() {
        for [a, b] in &workload.attempts {
            for n in sim.nodes() {
                let d = n.decisions().values().find(|d| d.support.contains_key(a));
                eprintln!(
                    "attempt {:.8}/{:.8} node {} {:?}: a={:?} b={:?} decision {:?}",
                    a.to_hex(),
                    b.to_hex(),
                    n.index(),
                    n.role(),
                    n.ledger().state(a),
                    n.ledger().state(b),
                    d.map(|d| (
                        d.winner.to_hex()[..8].to_owned(),
                        d.support.values().copied().collect::<Vec<_>>()
                    ))
                );
                if let Some(d) = d {
                    for bl in &d.ballots {
                        let v = sim.nodes().iter().position(|m| m.id() == bl.voter).unwrap();
                        eprintln!("    voter {v} -> {:.8} w {}", bl.choice.to_hex(), bl.weight);
                    }
                }
            }
        }
    }
    for (node, r) in honest.iter().zip(report.honest()) {
        assert_eq!(
            r.utxo_digest, reference.utxo_digest,
            "node {} UTXO digest",
            r.index
        );
        assert_eq!(
            node.ledger().utxos().unwrap(),
            utxos0,
            "node {} UTXO set",
            r.index
        );
        assert_eq!(r.supply, genesis_supply, "node {}: supply changed", r.index);
    }
    // Every equivocator convicted by every honest node; no honest node convicted by any.
    let equivocators: BTreeSet<_> = report
        .nodes
        .iter()
        .filter(|n| n.role == Role::Equivocator)
        .map(|n| n.id)
        .collect();
    let honest_ids: BTreeSet<_> = report.honest().map(|n| n.id).collect();
    for node in &honest {
        let convicted: BTreeSet<_> = node.votes().convicted().keys().copied().collect();
        assert!(
            equivocators.is_subset(&convicted),
            "node {} missed an equivocator",
            node.index()
        );
        assert!(
            convicted.is_disjoint(&honest_ids),
            "node {} convicted an honest node",
            node.index()
        );
        for (id, evidence) in node.votes().convicted() {
            assert_eq!(verify_evidence(evidence).unwrap(), *id);
        }
        // Every equivocator forks its chain once (it sees a conflict in every run here), and
        // every honest node sees both halves of the fork, through relays.
        for id in &equivocators {
            let fork = &node.votes().forks()[id];
            assert_eq!(verify_evidence(fork).unwrap(), *id);
        }
    }
    // Each attempt: at most one side committed, the same side on every honest node.
    for [a, b] in &workload.attempts {
        let side = |n: &&ramjet_node::sim::SimNode| {
            let s = |t: &TxHash| n.ledger().state(t) == Some(TxState::Accepted);
            assert!(!(s(a) && s(b)), "node {} committed both sides", n.index());
            if s(a) {
                Some(*a)
            } else if s(b) {
                Some(*b)
            } else {
                None
            }
        };
        let first = side(&honest[0]);
        for node in &honest {
            assert_eq!(
                side(node),
                first,
                "node {} chose another side",
                node.index()
            );
        }
    }
    // Every ordinary transfer committed everywhere.
    for node in &honest {
        for tx in &workload.transfers {
            assert_eq!(
                node.ledger().state(tx),
                Some(TxState::Accepted),
                "node {}: transfer {tx} not committed",
                node.index()
            );
        }
    }
}

fn run(config: &ScenarioConfig) -> (Simulation, Workload) {
    let (mut sim, workload) = scenario::build(config).unwrap();
    sim.run_until(workload.last_submission_ms + config.settle_ms)
        .unwrap();
    (sim, workload)
}

// ---------------------------------------------------------------- small networks

#[test]
fn four_honest_nodes_agree_on_every_transfer() {
    let config = ScenarioConfig {
        nodes: 4,
        byzantine_fraction: 0.0,
        clients: 10,
        coins_per_client: 10,
        transfers: 100,
        double_spends: 0,
        ..ScenarioConfig::default()
    };
    let (sim, workload) = run(&config);
    check_run(&sim, &workload);
    for node in sim.nodes() {
        assert_eq!(node.counters().accepted, 100);
        assert_eq!(node.counters().rejected, 0);
    }
}

/// One client coin, four honest nodes on a fixed-delay network: side `a` goes to nodes 0 and 1,
/// side `b` to 2 and 3, so each side has two equal votes and the tie goes to the smaller hash.
#[test]
fn symmetric_double_spend_is_a_tie_broken_by_hash_everywhere() {
    let mut config = SimConfig::honest(4, 11);
    config.net = NetConfig::fixed(10);
    let chain_id = config.node.ledger.chain_id;
    let key = SigningKey::from([3u8; 32]);
    let out = |seed: u8, amount| Output {
        address: Address::of_public_key(chain_id, &[seed; 32]),
        asset: SIM_ASSET,
        amount,
        data: None,
        contract: None,
    };
    let genesis = Genesis {
        chain_id,
        outputs: vec![Output {
            address: Address::of_public_key(chain_id, &key.verification_key().to_bytes()),
            ..out(0, 500)
        }],
    };
    let coin = genesis.outpoint(0);
    let a = Transaction::build_signed(&[(coin, &key)], vec![out(1, 500)], Fee::default());
    let b = Transaction::build_signed(&[(coin, &key)], vec![out(2, 500)], Fee::default());
    let (ha, hb) = (a.hash(), b.hash());
    let mut sim = Simulation::new(config, genesis).unwrap();
    sim.double_spend_at(
        50,
        DoubleSpendSource::Client,
        (a, vec![0, 1]),
        (b, vec![2, 3]),
    );
    sim.run_until(3_000).unwrap();

    let spenders = [ha.min(hb), ha.max(hb)];
    let winner = spenders[0];
    let ids: Vec<_> = sim.nodes().iter().map(|n| n.id()).collect();
    for node in sim.nodes() {
        // The split really is symmetric: peers 0, 1 voted a, peers 2, 3 voted b, all weigh the same.
        for (j, id) in ids.iter().enumerate() {
            if j != node.index() {
                let expected = if j < 2 { ha } else { hb };
                assert_eq!(node.votes().vote(id, &spenders), Some(expected));
            }
            assert_eq!(node.weight(id, 900), node.weight(&ids[0], 900));
        }
        assert_eq!(
            node.decisions()
                .values()
                .map(|d| d.winner)
                .collect::<Vec<_>>(),
            vec![winner]
        );
        let support: Vec<u64> = node
            .decisions()
            .values()
            .next()
            .unwrap()
            .support
            .values()
            .copied()
            .collect();
        assert_eq!(support[0], support[1], "a tie");
        assert_eq!(node.ledger().state(&winner), Some(TxState::Accepted));
        assert_eq!(node.ledger().state(&spenders[1]), Some(TxState::Rejected));
    }
    let report = sim.report().unwrap();
    assert!(
        report
            .nodes
            .iter()
            .all(|n| n.utxo_digest == report.nodes[0].utxo_digest)
    );
}

#[test]
fn an_equivocator_is_caught_by_everyone_with_evidence_that_verifies() {
    let config = ScenarioConfig {
        seed: 5,
        nodes: 5,
        byzantine_fraction: 0.2,
        byzantine_roles: vec![Role::Equivocator],
        clients: 6,
        coins_per_client: 10,
        transfers: 40,
        double_spends: 3,
        ..ScenarioConfig::default()
    };
    let (mut sim, workload) = scenario::build(&config).unwrap();
    sim.run_until(workload.last_submission_ms + config.settle_ms)
        .unwrap();
    let equivocator = sim
        .nodes()
        .iter()
        .find(|n| n.role() == Role::Equivocator)
        .expect("one Byzantine node of five")
        .id();
    for node in sim.nodes().iter().filter(|n| n.role().is_honest()) {
        let evidence = &node.votes().convicted()[&equivocator];
        assert_eq!(verify_evidence(evidence).unwrap(), equivocator);
        // Both of its tricks are caught: the forked chain too, whichever convicted first.
        let fork = &node.votes().forks()[&equivocator];
        assert!(matches!(fork, Evidence::SameSequence { .. }));
        assert_eq!(verify_evidence(fork).unwrap(), equivocator);
    }
    check_run(&sim, &workload);
}

#[test]
fn vote_book_keeps_only_each_peers_recent_epochs() {
    let accel = Accelerator::cpu_only();
    let id = Identity::from_secret([11; 32], 0).unwrap();
    let peer = id.node_id();
    let obs = |b: u8, state| Observation {
        tx: TxHash([b; 32]),
        state,
        time_ms: 10,
    };
    let mut buffer = ObservationBuffer::new();
    let mut book = VoteBook::new();
    let mut epochs = Vec::new();
    // Epoch 0 observes transaction 0 Accepted, epoch k (1..20) transaction k Pending, and
    // epoch 20 transaction 0 Rejected: equivocation, had epoch 0 been kept.
    for k in 0..=20u8 {
        let o = match k {
            0 => obs(0, TxState::Accepted),
            20 => obs(0, TxState::Rejected),
            _ => obs(k, TxState::Pending),
        };
        buffer.push(o);
        let root = buffer
            .flush(&accel, &id, 100 + u64::from(k))
            .unwrap()
            .unwrap();
        epochs.push((root, vec![o]));
    }
    for (root, o) in &epochs[..20] {
        book.ingest(root, o).unwrap();
    }
    assert_eq!(book.vote(&peer, &[TxHash([0; 32])]), Some(TxHash([0; 32])));

    book.retain(10);
    let chain = book.chain(&peer).unwrap();
    assert_eq!(
        chain.keys().copied().collect::<Vec<_>>(),
        (10..20).collect::<Vec<u64>>()
    );
    assert_eq!(book.vote(&peer, &[TxHash([0; 32])]), None, "forgotten");
    assert_eq!(
        book.vote(&peer, &[TxHash([15; 32])]),
        Some(TxHash([15; 32]))
    );
    // A forgotten epoch arriving again is ignored.
    assert_eq!(
        book.ingest(&epochs[3].0, &epochs[3].1).unwrap(),
        Ingested::Duplicate
    );
    assert_eq!(book.vote(&peer, &[TxHash([3; 32])]), None);
    // A later state contradicting a forgotten one is no longer caught (the documented window).
    assert_eq!(
        book.ingest(&epochs[20].0, &epochs[20].1).unwrap(),
        Ingested::New {
            signer: peer,
            evidence: vec![]
        }
    );
}

#[test]
fn vote_book_turns_a_forked_chain_and_contradictory_states_into_evidence() {
    let accel = Accelerator::cpu_only();
    let id = Identity::from_secret([9; 32], 0).unwrap();
    let tx = |b: u8| TxHash([b; 32]);
    let obs = |b, state| Observation {
        tx: tx(b),
        state,
        time_ms: 10,
    };
    let epoch = |list: &[Observation]| {
        let mut buffer = ObservationBuffer::new();
        for o in list {
            buffer.push(*o);
        }
        let root = buffer.flush(&accel, &id, 100).unwrap().unwrap();
        (root, list.to_vec())
    };
    let (r1, o1) = epoch(&[obs(1, TxState::Pending), obs(2, TxState::Pending)]);
    let (r2, o2) = epoch(&[obs(1, TxState::Pending), obs(3, TxState::Pending)]);
    let mut book = VoteBook::new();
    assert!(
        matches!(book.ingest(&r1, &o1).unwrap(), Ingested::New { ref evidence, .. } if evidence.is_empty())
    );
    assert_eq!(book.ingest(&r1, &o1).unwrap(), Ingested::Duplicate);
    let Ingested::New { evidence, signer } = book.ingest(&r2, &o2).unwrap() else {
        panic!("a new epoch");
    };
    assert_eq!(signer, id.node_id());
    assert!(matches!(evidence[0], Evidence::SameSequence { .. }));
    assert_eq!(book.convict(&evidence[0]).unwrap(), Some(id.node_id()));
    assert_eq!(book.convict(&evidence[0]).unwrap(), None);
    assert_eq!(
        book.vote(&id.node_id(), &[tx(2), tx(3)]),
        Some(tx(2)),
        "earliest by (seq, leaf)"
    );

    // Contradictory final states, in one honest-looking chain.
    let id2 = Identity::from_secret([10; 32], 0).unwrap();
    let mut buffer = ObservationBuffer::new();
    let mut book = VoteBook::new();
    buffer.push(obs(5, TxState::Accepted));
    let a = buffer.flush(&accel, &id2, 100).unwrap().unwrap();
    buffer.push(obs(6, TxState::Pending));
    buffer.push(obs(5, TxState::Rejected));
    let b = buffer.flush(&accel, &id2, 200).unwrap().unwrap();
    assert_eq!(
        book.ingest(&a, &[obs(5, TxState::Accepted)]).unwrap(),
        Ingested::New {
            signer: id2.node_id(),
            evidence: vec![]
        }
    );
    let Ingested::New { evidence, .. } = book
        .ingest(&b, &[obs(6, TxState::Pending), obs(5, TxState::Rejected)])
        .unwrap()
    else {
        panic!("a new epoch");
    };
    assert!(matches!(evidence[0], Evidence::ConflictingStates { .. }));
    assert_eq!(verify_evidence(&evidence[0]).unwrap(), id2.node_id());
    // The evidence survives the wire.
    let msg = Message::Evidence(Box::new(evidence[0].clone()));
    assert_eq!(Message::decode(&msg.encode()).unwrap(), msg);
    // Observations that do not hash to the root are refused, and so are missing ones.
    let mut fresh = VoteBook::new();
    assert!(
        fresh
            .ingest(&b, &[obs(6, TxState::Pending), obs(5, TxState::Accepted)])
            .is_err()
    );
    assert!(fresh.ingest(&b, &[obs(6, TxState::Pending)]).is_err());
    // A copy of a known epoch is a duplicate (deduplicated on the header hash before any check).
    assert_eq!(
        book.ingest(&b, &[obs(6, TxState::Pending), obs(5, TxState::Rejected)])
            .unwrap(),
        Ingested::Duplicate
    );
}

#[test]
fn messages_round_trip_through_their_canonical_encoding() {
    let accel = Accelerator::cpu_only();
    let id = Identity::from_secret([4; 32], 0).unwrap();
    let mut buffer = ObservationBuffer::new();
    let observations: Vec<_> = (0..3u8)
        .map(|i| Observation {
            tx: TxHash([i; 32]),
            state: TxState::Pending,
            time_ms: 7,
        })
        .collect();
    for o in &observations {
        buffer.push(*o);
    }
    let root = buffer.flush(&accel, &id, 9).unwrap().unwrap();
    let key = SigningKey::from([5u8; 32]);
    let tx = Transaction::build_signed(
        &[(
            ramjet_node::tx::OutPoint {
                tx: TxHash([1; 32]),
                index: 0,
            },
            &key,
        )],
        vec![Output {
            address: Address::of_public_key(7, &[1; 32]),
            asset: SIM_ASSET,
            amount: 3,
            data: None,
            contract: None,
        }],
        Fee::default(),
    );
    let forked = {
        let mut other = ObservationBuffer::new();
        other.push(observations[0]);
        other.flush(&accel, &id, 9).unwrap().unwrap()
    };
    for msg in [
        Message::Tx(tx.clone()),
        Message::Roots {
            root,
            observations: observations.clone(),
        },
        Message::Evidence(Box::new(Evidence::SameSequence { a: root, b: forked })),
    ] {
        let bytes = msg.encode();
        assert_eq!(Message::decode(&bytes).unwrap(), msg);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(
            Message::decode(&longer).is_err(),
            "trailing bytes are refused"
        );
        assert!(Message::decode(&bytes[..bytes.len() - 1]).is_err());
    }
    assert_eq!(Message::Tx(tx.clone()).id().0, tx.hash().0);

    // A transaction batch: count, then each transaction with its length.
    let other = Transaction {
        fee: Fee {
            amount: 1,
            ..tx.fee
        },
        ..tx.clone()
    };
    let (a, b) = (tx.encode(), other.encode());
    let bytes = encode_tx_batch(&[a.clone(), b.clone()]);
    let mut expected = vec![KIND_TX_BATCH, 2, 0];
    for t in [&a, &b] {
        expected.extend_from_slice(&(t.len() as u32).to_le_bytes());
        expected.extend_from_slice(t);
    }
    assert_eq!(bytes, expected);
    assert_eq!(decode_tx_batch(&bytes).unwrap(), vec![tx.clone(), other]);
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(decode_tx_batch(&longer).is_err(), "trailing bytes");
    assert!(
        decode_tx_batch(&bytes[..bytes.len() - 1]).is_err(),
        "cut short"
    );
    // A length one byte longer than its transaction: that transaction has trailing bytes.
    let mut padded = vec![KIND_TX_BATCH, 2, 0];
    padded.extend_from_slice(&(a.len() as u32 + 1).to_le_bytes());
    padded.extend_from_slice(&a);
    padded.push(0);
    padded.extend_from_slice(&(b.len() as u32).to_le_bytes());
    padded.extend_from_slice(&b);
    assert!(
        decode_tx_batch(&padded).is_err(),
        "a length past its transaction"
    );
    // Counts outside 2..=MAX_TX_BATCH, and another kind.
    let one = [
        &[KIND_TX_BATCH, 1, 0][..],
        &(a.len() as u32).to_le_bytes(),
        &a,
    ]
    .concat();
    assert!(decode_tx_batch(&one).is_err(), "a batch of one");
    let too_many = [KIND_TX_BATCH, 0x01, 0x04]; // 1,025
    assert_eq!(u16::from_le_bytes([0x01, 0x04]) as usize, MAX_TX_BATCH + 1);
    assert!(decode_tx_batch(&too_many).is_err());
    assert!(decode_tx_batch(&Message::Tx(tx.clone()).encode()).is_err());
    // A batch is no message of the state machine.
    assert!(Message::decode(&bytes).is_err());
}

// ---------------------------------------------------------------- reproducibility

fn small(seed: u64) -> ScenarioConfig {
    ScenarioConfig {
        seed,
        nodes: 6,
        byzantine_fraction: 0.34,
        clients: 10,
        coins_per_client: 8,
        transfers: 80,
        double_spends: 4,
        double_spend_start_ms: 200,
        ..ScenarioConfig::default()
    }
}

#[test]
fn one_seed_gives_one_run_bit_for_bit() {
    let (sim1, w1) = run(&small(7));
    let (sim2, w2) = run(&small(7));
    let (r1, r2) = (sim1.report().unwrap(), sim2.report().unwrap());
    assert_eq!(w1, w2);
    assert_eq!(r1, r2);
    check_run(&sim1, &w1);
    let (sim3, _) = run(&small(8));
    let r3 = sim3.report().unwrap();
    assert_ne!(r3.trace_digest, r1.trace_digest);
}

// ---------------------------------------------------------------- acceptance

/// The "done when": 20 nodes, 25% Byzantine (2 double-spenders, 2 equivocators, 1 liar),
/// 1,000 transfers, 100 double-spend attempts, drops and duplicates on.
#[test]
fn twenty_nodes_a_quarter_byzantine_agree_on_everything() {
    // `SIM_SEED=n` reruns the acceptance test with another seed.
    let seed = std::env::var("SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let config = ScenarioConfig {
        seed,
        ..ScenarioConfig::default()
    };
    let started = Instant::now();
    let (sim, workload) = run(&config);
    let elapsed = started.elapsed();
    assert_eq!(workload.transfers.len(), 1_000);
    assert_eq!(workload.attempts.len(), 100);
    let roles = &workload.roles;
    assert_eq!(roles.iter().filter(|r| !r.is_honest()).count(), 5);
    check_run(&sim, &workload);
    let report = sim.report().unwrap();
    let honest0 = sim.nodes().iter().find(|n| n.role().is_honest()).unwrap();
    let resolved = workload
        .attempts
        .iter()
        .filter(|[a, b]| {
            [a, b]
                .iter()
                .any(|t| honest0.ledger().state(t) == Some(TxState::Accepted))
        })
        .count();
    assert_eq!(report.attempts, 100);
    println!(
        "20 nodes, seed {seed}: {:?} real, {} virtual ms, net {:?}, {} of 100 attempts with a side \
         committed, {} conflicts decided (by some honest node), {} by node {}",
        elapsed,
        report.virtual_ms,
        report.net,
        resolved,
        report.conflicts_resolved,
        honest0.counters().conflicts_resolved,
        honest0.index(),
    );
}

#[test]
fn timing_constraints_are_enforced_with_every_violation_listed() {
    let mut config = SimConfig::honest(4, 1);
    assert!(config.validate().is_ok());
    config.net.max_delay_ms = 400; // quiet 600 ≤ 2 × 400 + 5; window 800 ≤ 100 + 1200 + 5
    config.net.p_drop = 2.0;
    let Err(ramjet_node::sim::SimError::InvalidParameters { violations }) = config.validate()
    else {
        panic!("parameters accepted");
    };
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert!(violations.iter().any(|v| v.contains("quiet_period_ms")));
    assert!(violations.iter().any(|v| v.contains("conflict_window_ms")));
    assert!(violations.iter().any(|v| v.contains("p_drop")));
}
