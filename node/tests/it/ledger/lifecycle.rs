//! The lifecycle of a transaction: genesis, queued → pending → accepted on time, batching,
//! every rejection rule, holds, the bounded memory of rejected hashes, conservation of supply
//! under a random workload, and order independence of the UTXO set.

use super::*;

#[test]
fn genesis_creates_its_outputs_and_supply() {
    let genesis = genesis(3);
    let (ledger, _) = open_memory(&genesis, config());
    let expected: Vec<(OutPoint, Output)> = genesis
        .outputs
        .iter()
        .enumerate()
        .map(|(i, out)| (genesis.outpoint(i as u32), out.clone()))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    assert_eq!(ledger.utxos().unwrap(), expected);
    assert_owner_index_matches(&ledger, owners(3).keys());
    assert_eq!(
        ledger.utxos_of(&address(&key(1)).key_hash).unwrap(),
        vec![(genesis.outpoint(1), coins(&key(1), 1_000_000))]
    );
    assert_eq!(
        ledger.utxo(&genesis.outpoint(1)).unwrap(),
        Some(coins(&key(1), 1_000_000))
    );
    assert_eq!(ledger.utxo(&genesis.outpoint(4)).unwrap(), None);
    let supply = ledger.supply().unwrap();
    assert_eq!(supply, genesis.supply());
    assert_eq!(supply[&COIN], 3_000_000);
    assert_eq!(supply[&TOKEN], 500);
    assert_eq!(ledger.next_deadline(), None);
    // The hash commits to the chain id and to every output.
    let mut other = genesis.clone();
    other.outputs[0].amount += 1;
    assert_ne!(other.hash(), genesis.hash());
    let mut other = genesis.clone();
    other.chain_id += 1;
    assert_ne!(other.hash(), genesis.hash());
}

#[test]
fn invalid_config_and_genesis_are_refused() {
    let bad = LedgerConfig {
        chain_id: CHAIN,
        batch_max_signatures: 0,
        hold_limit: 0,
        seen_limit: 0,
        ..LedgerConfig::default()
    };
    match bad.validate() {
        Err(LedgerError::Config { problems }) => assert_eq!(problems.len(), 3, "{problems:?}"),
        other => panic!("{other:?}"),
    }
    let accel = Arc::new(Accelerator::cpu_only());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(STORE_CHAIN));
    let mut foreign = genesis(2);
    foreign.outputs[1].address.chain_id = CHAIN + 1;
    let err = Ledger::open(store.clone(), accel.clone(), &foreign, config()).err();
    assert!(
        matches!(err, Some(LedgerError::InvalidGenesis { .. })),
        "{err:?}"
    );
    // Nothing was written by the refused opens.
    assert!(store.scan_prefix(Column::Utxos, b"").unwrap().is_empty());
    // A config is read from JSON with defaults for missing fields.
    let parsed: LedgerConfig = serde_json::from_str(r#"{"chain_id": 7}"#).unwrap();
    assert_eq!(parsed, config());
}

#[test]
fn a_transfer_goes_queued_pending_accepted_after_the_quiet_period() {
    let genesis = genesis(2);
    let (mut ledger, _) = open_memory(&genesis, config());
    let (alice, bob) = (key(0), key(1));
    let tx = pay(genesis.outpoint(0), &alice, 1_000_000, &bob, 300, 7);
    let hash = tx.hash();
    submit(&mut ledger, &tx, 0);
    // Queued: not yet verified, so no state; the transaction is known.
    assert_eq!(ledger.state(&hash), None);
    assert_eq!(ledger.transaction(&hash), Some(tx.clone()));
    assert_eq!(ledger.next_deadline(), Some(5));
    assert_eq!(ledger.tick(4).unwrap(), vec![]);
    assert_eq!(
        ledger.tick(5).unwrap(),
        vec![LedgerEvent::Pending { tx: hash }]
    );
    assert_eq!(ledger.state(&hash), Some(TxState::Pending));
    assert_eq!(ledger.next_deadline(), Some(405));
    // Pending: nothing committed yet.
    assert!(ledger.utxo(&genesis.outpoint(0)).unwrap().is_some());
    assert_eq!(ledger.tick(404).unwrap(), vec![]);
    assert_eq!(ledger.state(&hash), Some(TxState::Pending));
    assert_eq!(
        ledger.tick(405).unwrap(),
        vec![LedgerEvent::Accepted { tx: hash }]
    );
    assert_eq!(ledger.state(&hash), Some(TxState::Accepted));
    assert_eq!(ledger.transaction(&hash), Some(tx.clone()));
    assert_eq!(ledger.next_deadline(), None);
    assert_eq!(ledger.utxo(&genesis.outpoint(0)).unwrap(), None);
    let paid = OutPoint { tx: hash, index: 0 };
    let change = OutPoint { tx: hash, index: 1 };
    assert_eq!(ledger.utxo(&paid).unwrap(), Some(coins(&bob, 300)));
    assert_eq!(
        ledger.utxo(&change).unwrap(),
        Some(coins(&alice, 1_000_000 - 307))
    );
    // The fee is burnt: still counted in the supply.
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
    // Resubmitting is a duplicate.
    assert_eq!(ledger.submit(tx, 500), Submission::Duplicate);
}

#[test]
fn stored_records_have_the_documented_layout() {
    let genesis = genesis(2);
    let accel = Arc::new(Accelerator::cpu_only());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(STORE_CHAIN));
    let mut ledger = Ledger::open(store.clone(), accel, &genesis, config()).unwrap();
    let tx = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 300, 7);
    submit(&mut ledger, &tx, 0);
    run_until(&mut ledger, 0, 1_000);
    assert_eq!(ledger.state(&tx.hash()), Some(TxState::Accepted));
    // Transaction record: state code ‖ canonical encoding.
    let record = store
        .get(Column::Transactions, &tx.hash().0)
        .unwrap()
        .unwrap();
    assert_eq!(record[0], TxState::Accepted.code());
    assert_eq!(record[1..], tx.encode()[..]);
    // UTXO value: the output's canonical bytes, as they appear in the transaction encoding.
    let value = store
        .get(
            Column::Utxos,
            &utxo_key(&OutPoint {
                tx: tx.hash(),
                index: 0,
            }),
        )
        .unwrap()
        .unwrap();
    let encoded = tx.encode();
    assert!(encoded.windows(value.len()).any(|w| w == value.as_slice()));
    assert_eq!(value.len(), 4 + 32 + 32 + 8 + 1 + 1);
    // Metadata: the genesis hash, the burnt fees.
    assert_eq!(
        store.get(Column::Metadata, b"ledger.genesis").unwrap(),
        Some(genesis.hash().0.to_vec())
    );
    let mut burnt_key = b"ledger.burnt.".to_vec();
    burnt_key.extend_from_slice(&COIN.0);
    assert_eq!(
        store.get(Column::Metadata, &burnt_key).unwrap(),
        Some(7u128.to_le_bytes().to_vec())
    );
}

#[test]
fn txs_submitted_within_the_deadline_share_one_accelerator_call() {
    let genesis = genesis(10);
    let (mut ledger, accel) = open_memory(&genesis, config());
    let txs: Vec<Transaction> = (0..10u8)
        .map(|i| {
            pay(
                genesis.outpoint(i.into()),
                &key(i),
                1_000_000,
                &key(9 - i),
                10,
                1,
            )
        })
        .collect();
    // Submitted at t = 0..4, ticking in between: the deadline runs from the oldest.
    for (t, pair) in txs.chunks(2).enumerate() {
        let t = t as u64;
        for tx in pair {
            submit(&mut ledger, tx, t);
        }
        assert_eq!(ledger.tick(t).unwrap(), vec![]);
    }
    assert_eq!(verify_calls(&accel), 0);
    let events = ledger.tick(5).unwrap();
    assert_eq!(verify_calls(&accel), 1);
    let expected: Vec<LedgerEvent> = txs
        .iter()
        .map(|tx| LedgerEvent::Pending { tx: tx.hash() })
        .collect();
    assert_eq!(events, expected);
    let events = ledger.tick(405).unwrap();
    assert_eq!(events.len(), 10);
    assert_eq!(verify_calls(&accel), 1);
}

#[test]
fn a_full_batch_flushes_before_the_deadline() {
    let genesis = genesis(8);
    let config = LedgerConfig {
        batch_max_signatures: 4,
        ..config()
    };
    let (mut ledger, accel) = open_memory(&genesis, config);
    let txs: Vec<Transaction> = (0..8u8)
        .map(|i| {
            pay(
                genesis.outpoint(i.into()),
                &key(i),
                1_000_000,
                &key(0),
                10,
                0,
            )
        })
        .collect();
    for tx in &txs[..3] {
        submit(&mut ledger, tx, 0);
    }
    assert_eq!(ledger.next_deadline(), Some(5));
    assert_eq!(ledger.tick(1).unwrap(), vec![]);
    submit(&mut ledger, &txs[3], 1);
    // Four signatures queued: due at once.
    assert_eq!(ledger.next_deadline(), Some(0));
    let events = ledger.tick(1).unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(verify_calls(&accel), 1);
    // The next three wait for their own deadline.
    for tx in &txs[4..7] {
        submit(&mut ledger, tx, 2);
    }
    assert_eq!(ledger.tick(6).unwrap(), vec![]);
    assert_eq!(verify_calls(&accel), 1);
    assert_eq!(ledger.tick(7).unwrap().len(), 3);
    assert_eq!(verify_calls(&accel), 2);
}

#[test]
fn a_bad_signature_is_rejected_and_the_rest_of_its_batch_is_not() {
    let genesis = genesis(4);
    let (mut ledger, accel) = open_memory(&genesis, config());
    let good_a = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 5, 0);
    let mut bad = pay(genesis.outpoint(1), &key(1), 1_000_000, &key(2), 5, 0);
    bad.inputs[0].signature.as_mut().unwrap()[0] ^= 1;
    // Two inputs, the second signed by the wrong key.
    let mut two = Transaction::build_signed(
        &[
            (genesis.outpoint(2), &key(2)),
            (genesis.outpoint(3), &key(3)),
        ],
        vec![coins(&key(0), 2_000_000)],
        fee(0),
    );
    let second = two
        .inputs
        .iter()
        .position(|input| input.outpoint == genesis.outpoint(3))
        .unwrap();
    let message = two.signing_hash();
    two.inputs[second].signature = Some(key(2).sign(&message.0).to_bytes());
    let good_b = Transaction::build_signed(
        &[(genesis.outpoint(4), &key(0))],
        vec![output(&key(3), TOKEN, 500)],
        fee(0),
    );
    for tx in [&good_a, &bad, &two, &good_b] {
        submit(&mut ledger, tx, 0);
    }
    let events = ledger.tick(5).unwrap();
    assert_eq!(verify_calls(&accel), 1);
    assert_eq!(
        events,
        vec![
            LedgerEvent::Pending { tx: good_a.hash() },
            rejected(&bad, RejectReason::BadSignature { input: 0 }),
            rejected(&two, RejectReason::BadSignature { input: second }),
            LedgerEvent::Pending { tx: good_b.hash() },
        ]
    );
    assert_eq!(ledger.state(&bad.hash()), Some(TxState::Rejected));
    assert_eq!(ledger.submit(bad, 10), Submission::Duplicate);
    let events = ledger.tick(405).unwrap();
    assert_eq!(
        events,
        vec![
            LedgerEvent::Accepted { tx: good_a.hash() },
            LedgerEvent::Accepted { tx: good_b.hash() },
        ]
    );
    // The rejected spenders' outputs are untouched.
    assert!(ledger.utxo(&genesis.outpoint(1)).unwrap().is_some());
    assert!(ledger.utxo(&genesis.outpoint(3)).unwrap().is_some());
}

#[test]
fn submission_checks_reject_at_once() {
    let genesis = genesis(2);
    let (mut ledger, _) = open_memory(&genesis, config());
    let mut foreign = coins(&key(1), 5);
    foreign.address.chain_id = CHAIN + 1;
    let tx = Transaction::build_signed(
        &[(genesis.outpoint(0), &key(0))],
        vec![coins(&key(1), 5), foreign],
        fee(0),
    );
    assert_eq!(
        ledger.submit(tx.clone(), 0),
        Submission::Rejected(RejectReason::WrongChain {
            index: 1,
            chain_id: CHAIN + 1
        })
    );
    assert_eq!(ledger.state(&tx.hash()), Some(TxState::Rejected));
    assert_eq!(ledger.submit(tx, 0), Submission::Duplicate);
    let empty = Transaction::build_signed(&[(genesis.outpoint(0), &key(0))], vec![], fee(0));
    assert_eq!(
        ledger.submit(empty, 0),
        Submission::Rejected(RejectReason::Stateless(TxError::NoOutputs))
    );
    assert_eq!(ledger.next_deadline(), None);
}

#[test]
fn wrong_owner_unbalanced_and_missing_outputs_are_rejected() {
    let genesis = genesis(2);
    let (mut ledger, _) = open_memory(&genesis, config());
    // Key 1 signs a spend of key 0's output.
    let thief = pay(genesis.outpoint(0), &key(1), 1_000_000, &key(1), 10, 0);
    assert_eq!(
        verify_one(&mut ledger, &thief),
        vec![rejected(&thief, RejectReason::WrongOwner { input: 0 })]
    );
    // More out than in, and less out than in (no fee to explain it).
    let more = Transaction::build_signed(
        &[(genesis.outpoint(0), &key(0))],
        vec![coins(&key(1), 1_000_001)],
        fee(0),
    );
    let less = Transaction::build_signed(
        &[(genesis.outpoint(0), &key(0))],
        vec![coins(&key(1), 999_999)],
        fee(0),
    );
    // Balanced in coins, but tokens appear from nothing.
    let minted = Transaction::build_signed(
        &[(genesis.outpoint(0), &key(0))],
        vec![coins(&key(1), 1_000_000), output(&key(1), TOKEN, 1)],
        fee(0),
    );
    for tx in [&more, &less, &minted] {
        let asset = if *tx == minted { TOKEN } else { COIN };
        assert_eq!(
            verify_one(&mut ledger, tx),
            vec![rejected(tx, RejectReason::Unbalanced { asset })]
        );
    }
    // An index beyond the genesis outputs.
    let beyond = genesis.outpoint(9);
    let none = pay(beyond, &key(0), 1_000_000, &key(1), 10, 0);
    assert_eq!(
        verify_one(&mut ledger, &none),
        vec![rejected(
            &none,
            RejectReason::NoSuchOutput {
                input: 0,
                outpoint: beyond
            }
        )]
    );
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
    assert_eq!(ledger.next_deadline(), None);
}

#[test]
fn spending_a_spent_output_is_rejected() {
    let genesis = genesis(2);
    let (mut ledger, _) = open_memory(&genesis, config());
    let first = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 10, 0);
    submit(&mut ledger, &first, 0);
    run_until(&mut ledger, 0, 1_000);
    assert_eq!(ledger.state(&first.hash()), Some(TxState::Accepted));
    let again = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 20, 0);
    submit(&mut ledger, &again, 1_000);
    assert_eq!(
        ledger.tick(1_005).unwrap(),
        vec![rejected(
            &again,
            RejectReason::InputSpent {
                input: 0,
                outpoint: genesis.outpoint(0)
            }
        )]
    );
    // Spending a committed transaction's spent or missing output.
    let child = pay(
        OutPoint {
            tx: first.hash(),
            index: 0,
        },
        &key(1),
        10,
        &key(0),
        10,
        0,
    );
    submit(&mut ledger, &child, 1_010);
    run_until(&mut ledger, 1_010, 2_000);
    assert_eq!(ledger.state(&child.hash()), Some(TxState::Accepted));
    let missing = OutPoint {
        tx: first.hash(),
        index: 5,
    };
    let spent = OutPoint {
        tx: first.hash(),
        index: 0,
    };
    let bad = Transaction::build_signed(
        &[(spent, &key(1)), (missing, &key(1))],
        vec![coins(&key(0), 10)],
        fee(0),
    );
    submit(&mut ledger, &bad, 2_000);
    assert_eq!(
        ledger.tick(2_005).unwrap(),
        vec![rejected(
            &bad,
            RejectReason::InputSpent {
                input: 0,
                outpoint: spent
            }
        )]
    );
}

#[test]
fn a_child_is_held_until_its_parent_commits() {
    let genesis = genesis(2);
    let (mut ledger, _) = open_memory(&genesis, config());
    let parent = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 100, 0);
    let parent_out = OutPoint {
        tx: parent.hash(),
        index: 0,
    };
    let child = pay(parent_out, &key(1), 100, &key(0), 60, 1);
    // The child arrives first.
    submit(&mut ledger, &child, 0);
    submit(&mut ledger, &parent, 1);
    assert_eq!(
        ledger.tick(5).unwrap(),
        vec![
            LedgerEvent::Held {
                tx: child.hash(),
                missing: parent_out
            },
            LedgerEvent::Pending { tx: parent.hash() },
        ]
    );
    assert_eq!(ledger.state(&child.hash()), None);
    assert_eq!(
        ledger.pending_count(),
        1,
        "the parent; the held child is not counted"
    );
    assert_eq!(ledger.transaction(&child.hash()), Some(child.clone()));
    assert_eq!(ledger.submit(child.clone(), 6), Submission::Duplicate);
    assert_eq!(
        ledger.tick(405).unwrap(),
        vec![
            LedgerEvent::Accepted { tx: parent.hash() },
            LedgerEvent::Pending { tx: child.hash() },
        ]
    );
    assert_eq!(ledger.pending_count(), 1, "the child");
    assert_eq!(ledger.tick(804).unwrap(), vec![]);
    assert_eq!(
        ledger.tick(805).unwrap(),
        vec![LedgerEvent::Accepted { tx: child.hash() }]
    );
    assert_eq!(ledger.pending_count(), 0);
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
}

#[test]
fn a_hold_times_out_and_the_hold_is_bounded() {
    let genesis = genesis(4);
    let config = LedgerConfig {
        hold_limit: 2,
        ..config()
    };
    let (mut ledger, _) = open_memory(&genesis, config);
    let orphans: Vec<(Transaction, OutPoint)> = (0..3u8)
        .map(|i| {
            let missing = OutPoint {
                tx: TxHash([0xee; 32]),
                index: i.into(),
            };
            (pay(missing, &key(i), 10, &key(3), 10, 0), missing)
        })
        .collect();
    submit(&mut ledger, &orphans[0].0, 0);
    submit(&mut ledger, &orphans[1].0, 0);
    assert_eq!(ledger.tick(5).unwrap().len(), 2);
    submit(&mut ledger, &orphans[2].0, 100);
    assert_eq!(
        ledger.tick(105).unwrap(),
        vec![rejected(&orphans[2].0, RejectReason::HoldFull)]
    );
    assert_eq!(ledger.next_deadline(), Some(5_005));
    assert_eq!(ledger.tick(5_004).unwrap(), vec![]);
    assert_eq!(
        ledger.tick(5_005).unwrap(),
        orphans[..2]
            .iter()
            .map(|(tx, missing)| rejected(tx, RejectReason::HoldTimeout { missing: *missing }))
            .collect::<Vec<_>>()
    );
    assert_eq!(ledger.state(&orphans[0].0.hash()), Some(TxState::Rejected));
    assert_eq!(ledger.next_deadline(), None);
}

#[test]
fn the_rejected_hashes_remembered_are_bounded() {
    let genesis = genesis(2);
    let config = LedgerConfig {
        seen_limit: 2,
        ..config()
    };
    let (mut ledger, _) = open_memory(&genesis, config);
    let invalid: Vec<Transaction> = (1..=3)
        .map(|amount| {
            Transaction::build_signed(&[(genesis.outpoint(0), &key(0))], vec![], fee(amount))
        })
        .collect();
    for tx in &invalid {
        assert!(matches!(
            ledger.submit(tx.clone(), 0),
            Submission::Rejected(_)
        ));
    }
    // The oldest is forgotten: judged again.
    assert_eq!(ledger.state(&invalid[0].hash()), None);
    assert!(matches!(
        ledger.submit(invalid[0].clone(), 0),
        Submission::Rejected(_)
    ));
    assert_eq!(ledger.submit(invalid[2].clone(), 0), Submission::Duplicate);
}

/// One round of random transfers among `keys` keys from the committed UTXOs: valid ones,
/// and invalid ones (wrong owner, unbalanced, bad signature, double spends).
fn random_round(
    rng: &mut ChaCha8Rng,
    ledger: &Ledger,
    owners: &HashMap<KeyHash, SigningKey>,
    keys: u8,
) -> Vec<Transaction> {
    let utxos = ledger.utxos().unwrap();
    let mut txs = Vec::new();
    let mut pick = 0;
    for round in 0..rng.gen_range(1..=4) {
        // Now and then spend the previous pick again: a double spend.
        if round == 0 || rng.gen_range(0..5) != 0 {
            pick = rng.gen_range(0..utxos.len());
        }
        let (outpoint, spent) = &utxos[pick];
        let owner = &owners[&spent.address.key_hash];
        let recipient = key(rng.gen_range(0..keys));
        let fee_amount = if spent.asset == COIN && spent.amount > 1 {
            rng.gen_range(0..=1)
        } else {
            0
        };
        let to = rng.gen_range(1..=spent.amount - fee_amount);
        let mut outputs = vec![output(&recipient, spent.asset, to)];
        if spent.amount - fee_amount - to > 0 {
            outputs.push(output(owner, spent.asset, spent.amount - fee_amount - to));
        }
        let mut signer = owner;
        let wrong_owner = key((rng.gen_range(0..keys)) % keys);
        match rng.gen_range(0..10) {
            0 => signer = &wrong_owner,
            1 => outputs[0].amount += 1,
            _ => {}
        }
        let mut tx = Transaction::build_signed(&[(*outpoint, signer)], outputs, fee(fee_amount));
        if rng.gen_range(0..10) == 0 {
            tx.inputs[0].signature.as_mut().unwrap()[5] ^= 0x40;
        }
        txs.push(tx);
    }
    txs
}

#[test]
fn supply_is_conserved_under_a_random_workload() {
    const KEYS: u8 = 10;
    let genesis = genesis(KEYS);
    let owners = owners(KEYS);
    let (mut ledger, accel) = open_memory(&genesis, config());
    let mut rng = ChaCha8Rng::seed_from_u64(0x1ed9e5);
    let mut now = 0;
    let (mut submitted, mut accepted, mut rejected, mut conflicts) = (0, 0, 0, 0);
    for _ in 0..120 {
        for tx in random_round(&mut rng, &ledger, &owners, KEYS) {
            if ledger.submit(tx, now) == Submission::Queued {
                submitted += 1;
            }
        }
        let mut events = run_until(&mut ledger, now, now + 500);
        now += 500;
        // Decide every conflict for its smallest spender.
        for conflict in ledger.conflicts() {
            conflicts += 1;
            if ledger.state(&conflict.spenders[0]) == Some(TxState::Conflicted) {
                let decided = ledger
                    .resolve_conflict(&conflict.outpoint, &conflict.spenders[0], now)
                    .unwrap();
                events.extend(decided);
            }
        }
        events.extend(run_until(&mut ledger, now, now + 500));
        now += 500;
        for event in &events {
            match event {
                LedgerEvent::Accepted { .. } => accepted += 1,
                LedgerEvent::Rejected { .. } => rejected += 1,
                _ => {}
            }
        }
        assert_eq!(ledger.supply().unwrap(), genesis.supply());
        assert!(ledger.conflicts().is_empty());
        assert_owner_index_matches(&ledger, owners.keys());
    }
    assert_eq!(accepted + rejected, submitted);
    assert!(accepted > 100, "{accepted} accepted");
    assert!(rejected > 20, "{rejected} rejected");
    assert!(conflicts > 5, "{conflicts} conflicts");
    // One accelerator call per batch, never one per transaction.
    assert!(verify_calls(&accel) <= 120);
}

/// Each owner's outputs read through the owner index are exactly the UTXO set's outputs with
/// that key hash, in outpoint order; together they are the whole set.
fn assert_owner_index_matches<'a>(ledger: &Ledger, owners: impl Iterator<Item = &'a KeyHash>) {
    let all = ledger.utxos().unwrap();
    let mut listed = 0;
    for owner in owners {
        let expected: Vec<_> = all
            .iter()
            .filter(|(_, output)| output.address.key_hash == *owner)
            .cloned()
            .collect();
        let owned = ledger.utxos_of(owner).unwrap();
        assert_eq!(owned, expected, "the outputs of {owner}");
        listed += owned.len();
    }
    assert_eq!(listed, all.len());
}

#[test]
fn the_utxo_digest_does_not_depend_on_arrival_order() {
    let genesis = genesis(6);
    let txs = chained_transfers(&genesis);
    let (mut forward, _) = open_memory(&genesis, config());
    let (mut backward, _) = open_memory(&genesis, config());
    let before = forward.utxo_digest().unwrap();
    feed(&mut forward, &txs);
    let reversed: Vec<Transaction> = txs.iter().rev().cloned().collect();
    feed(&mut backward, &reversed);
    assert_ne!(forward.utxo_digest().unwrap(), before);
    assert_eq!(
        forward.utxo_digest().unwrap(),
        backward.utxo_digest().unwrap()
    );
    assert_eq!(forward.utxos().unwrap(), backward.utxos().unwrap());
    assert_eq!(backward.supply().unwrap(), genesis.supply());
}
