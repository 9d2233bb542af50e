//! The ledger: genesis, the transaction lifecycle with its timing (virtual time: every call
//! takes `now_ms`), signature batching, every rejection rule, holds, conflicts and their
//! resolution, conservation of supply under a random workload, order independence of the UTXO
//! set, recovery on RocksDB, and durability of accepted transactions across a SIGKILL.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ed25519_consensus::SigningKey;
use ramjet_accel::{Accelerator, Op};
use ramjet_node::ledger::{
    ConflictSet, Genesis, Ledger, LedgerConfig, LedgerError, LedgerEvent, RejectReason, SpendCheck,
    SpendValidator, Submission,
};
use ramjet_node::observe::TxState;
use ramjet_node::storage::{
    Column, Entry, MemoryStore, RocksStore, StorageError, Store, WriteBatch, utxo_key,
};
use ramjet_node::tx::{
    Address, AssetId, ContractHash, Fee, KeyHash, OutPoint, Output, Transaction, TxError, TxHash,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CHAIN: u32 = 7;
const STORE_CHAIN: &str = "ramjet-test";
const COIN: AssetId = AssetId([0xc0; 32]);
const TOKEN: AssetId = AssetId([0x70; 32]);

fn key(i: u8) -> SigningKey {
    SigningKey::from([i + 1; 32])
}

fn address(owner: &SigningKey) -> Address {
    Address::of_public_key(CHAIN, &owner.verification_key().to_bytes())
}

fn output(owner: &SigningKey, asset: AssetId, amount: u64) -> Output {
    Output {
        address: address(owner),
        asset,
        amount,
        data: None,
        contract: None,
    }
}

fn coins(owner: &SigningKey, amount: u64) -> Output {
    output(owner, COIN, amount)
}

fn fee(amount: u64) -> Fee {
    Fee {
        asset: COIN,
        amount,
    }
}

/// Key `i` owns genesis output `i` (1 000 000 coins each) for `i < keys`, and key 0 also owns
/// a last output of 500 tokens.
fn genesis(keys: u8) -> Genesis {
    let mut outputs: Vec<Output> = (0..keys).map(|i| coins(&key(i), 1_000_000)).collect();
    outputs.push(output(&key(0), TOKEN, 500));
    Genesis {
        chain_id: CHAIN,
        outputs,
    }
}

fn config() -> LedgerConfig {
    LedgerConfig {
        chain_id: CHAIN,
        ..LedgerConfig::default()
    }
}

fn open_memory(genesis: &Genesis, config: LedgerConfig) -> (Ledger, Arc<Accelerator>) {
    let accel = Arc::new(Accelerator::cpu_only());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(STORE_CHAIN));
    let ledger = Ledger::open(store, accel.clone(), genesis, config).unwrap();
    (ledger, accel)
}

fn verify_calls(accel: &Accelerator) -> u64 {
    let cpu = accel.backends()[0].info.id();
    accel.metrics().calls_of(&cpu, Op::Ed25519Verify)
}

/// Spends `spent` (owned by `owner`, worth `amount` coins) into `to` coins for `recipient`,
/// the change back to `owner`, minus `fee`.
fn pay(
    spent: OutPoint,
    owner: &SigningKey,
    amount: u64,
    recipient: &SigningKey,
    to: u64,
    fee_amount: u64,
) -> Transaction {
    let mut outputs = vec![coins(recipient, to)];
    let change = amount - to - fee_amount;
    if change > 0 {
        outputs.push(coins(owner, change));
    }
    Transaction::build_signed(&[(spent, owner)], outputs, fee(fee_amount))
}

fn submit(ledger: &mut Ledger, tx: &Transaction, now_ms: u64) {
    assert_eq!(ledger.submit(tx.clone(), now_ms), Submission::Queued);
}

/// Ticks at every deadline up to and including `until`, then at `until`; all events.
fn run_until(ledger: &mut Ledger, from: u64, until: u64) -> Vec<LedgerEvent> {
    let mut events = Vec::new();
    let mut now = from;
    loop {
        events.extend(ledger.tick(now).unwrap());
        match ledger.next_deadline() {
            Some(next) if next <= until => now = next.max(now),
            _ => break,
        }
        if now == until {
            events.extend(ledger.tick(now).unwrap());
            break;
        }
    }
    if now < until {
        events.extend(ledger.tick(until).unwrap());
    }
    events
}

fn rejected(tx: &Transaction, reason: RejectReason) -> LedgerEvent {
    LedgerEvent::Rejected {
        tx: tx.hash(),
        reason,
    }
}

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

/// Submits `tx` at 0 and returns the events up to time 5 (its verification).
fn verify_one(ledger: &mut Ledger, tx: &Transaction) -> Vec<LedgerEvent> {
    submit(ledger, tx, 0);
    ledger.tick(5).unwrap()
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
    assert_eq!(ledger.transaction(&child.hash()), Some(child.clone()));
    assert_eq!(ledger.submit(child.clone(), 6), Submission::Duplicate);
    assert_eq!(
        ledger.tick(405).unwrap(),
        vec![
            LedgerEvent::Accepted { tx: parent.hash() },
            LedgerEvent::Pending { tx: child.hash() },
        ]
    );
    assert_eq!(ledger.tick(804).unwrap(), vec![]);
    assert_eq!(
        ledger.tick(805).unwrap(),
        vec![LedgerEvent::Accepted { tx: child.hash() }]
    );
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
fn a_double_spend_is_a_conflict_until_resolved() {
    let genesis = genesis(3);
    let (mut ledger, _) = open_memory(&genesis, config());
    let spent = genesis.outpoint(0);
    let a = pay(spent, &key(0), 1_000_000, &key(1), 10, 0);
    let b = pay(spent, &key(0), 1_000_000, &key(2), 10, 0);
    submit(&mut ledger, &a, 0);
    assert_eq!(
        ledger.tick(5).unwrap(),
        vec![LedgerEvent::Pending { tx: a.hash() }]
    );
    submit(&mut ledger, &b, 100);
    let mut spenders = vec![a.hash(), b.hash()];
    spenders.sort();
    assert_eq!(
        ledger.tick(105).unwrap(),
        vec![LedgerEvent::Conflict {
            outpoint: spent,
            spenders: spenders.clone()
        }]
    );
    assert_eq!(ledger.state(&a.hash()), Some(TxState::Conflicted));
    assert_eq!(ledger.state(&b.hash()), Some(TxState::Conflicted));
    let conflict = ConflictSet {
        outpoint: spent,
        spenders: spenders.clone(),
        first_seen: a.hash(),
        detected_ms: 105,
    };
    assert_eq!(ledger.conflicts(), vec![conflict]);
    // The quiet period stopped: nothing is committed however long we wait.
    assert_eq!(ledger.next_deadline(), None);
    assert_eq!(ledger.tick(10_000).unwrap(), vec![]);
    assert!(ledger.utxo(&spent).unwrap().is_some());
    // A third spender joins the conflict.
    let c = pay(spent, &key(0), 1_000_000, &key(1), 20, 0);
    submit(&mut ledger, &c, 10_000);
    let mut all = vec![a.hash(), b.hash(), c.hash()];
    all.sort();
    assert_eq!(
        ledger.tick(10_005).unwrap(),
        vec![LedgerEvent::Conflict {
            outpoint: spent,
            spenders: all.clone()
        }]
    );
    assert_eq!(ledger.conflicts()[0].first_seen, a.hash());
    assert_eq!(ledger.conflicts()[0].detected_ms, 105);

    // Bad resolutions are typed errors and change nothing.
    let unrelated = genesis.outpoint(1);
    assert!(matches!(
        ledger.resolve_conflict(&unrelated, &a.hash(), 10_010),
        Err(LedgerError::NoSuchConflict { .. })
    ));
    assert!(matches!(
        ledger.resolve_conflict(&spent, &TxHash([9; 32]), 10_010),
        Err(LedgerError::NotASpender { .. })
    ));
    assert_eq!(ledger.conflicts().len(), 1);

    // b wins: committed at once; a and c lose.
    let events = ledger.resolve_conflict(&spent, &b.hash(), 10_010).unwrap();
    let lost = RejectReason::LostConflict {
        outpoint: spent,
        winner: b.hash(),
    };
    assert_eq!(
        events,
        vec![
            rejected(&a, lost.clone()),
            rejected(&c, lost),
            LedgerEvent::Accepted { tx: b.hash() },
        ]
    );
    assert_eq!(ledger.state(&a.hash()), Some(TxState::Rejected));
    assert_eq!(ledger.state(&b.hash()), Some(TxState::Accepted));
    assert_eq!(ledger.conflicts(), vec![]);
    assert_eq!(
        ledger
            .utxo(&OutPoint {
                tx: b.hash(),
                index: 0
            })
            .unwrap(),
        Some(coins(&key(2), 10))
    );
    // A later spender is simply too late.
    let d = pay(spent, &key(0), 1_000_000, &key(2), 30, 0);
    submit(&mut ledger, &d, 10_020);
    assert_eq!(
        ledger.tick(10_025).unwrap(),
        vec![rejected(
            &d,
            RejectReason::InputSpent {
                input: 0,
                outpoint: spent
            }
        )]
    );
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
}

#[test]
fn a_winner_in_two_conflicts_waits_for_both() {
    let genesis = genesis(3);
    let (mut ledger, _) = open_memory(&genesis, config());
    let (x, y) = (genesis.outpoint(0), genesis.outpoint(1));
    let winner = Transaction::build_signed(
        &[(x, &key(0)), (y, &key(1))],
        vec![coins(&key(2), 2_000_000)],
        fee(0),
    );
    let on_x = pay(x, &key(0), 1_000_000, &key(1), 1, 0);
    let on_y = pay(y, &key(1), 1_000_000, &key(0), 1, 0);
    // An unrelated spender whose quiet period is not disturbed.
    let bystander = pay(genesis.outpoint(2), &key(2), 1_000_000, &key(0), 1, 0);
    for tx in [&winner, &on_x, &on_y, &bystander] {
        submit(&mut ledger, tx, 0);
    }
    let events = ledger.tick(5).unwrap();
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(ledger.conflicts().len(), 2);
    assert!(
        ledger
            .conflicts()
            .iter()
            .all(|c| c.first_seen == winner.hash())
    );
    let events = ledger.resolve_conflict(&x, &winner.hash(), 10).unwrap();
    assert_eq!(
        events,
        vec![rejected(
            &on_x,
            RejectReason::LostConflict {
                outpoint: x,
                winner: winner.hash()
            }
        )]
    );
    assert_eq!(ledger.state(&winner.hash()), Some(TxState::Conflicted));
    assert_eq!(
        ledger.tick(405).unwrap(),
        vec![LedgerEvent::Accepted {
            tx: bystander.hash()
        }]
    );
    let events = ledger.resolve_conflict(&y, &winner.hash(), 500).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1], LedgerEvent::Accepted { tx: winner.hash() });
    assert_eq!(ledger.state(&on_y.hash()), Some(TxState::Rejected));
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
}

#[test]
fn a_survivor_of_a_rejected_rival_goes_back_to_pending() {
    // a spends x and y; b spends x; c spends y. b wins x: a is rejected, which leaves c alone
    // on y: c is Pending again, with a new quiet period.
    let genesis = genesis(3);
    let (mut ledger, _) = open_memory(&genesis, config());
    let (x, y) = (genesis.outpoint(0), genesis.outpoint(1));
    let a = Transaction::build_signed(
        &[(x, &key(0)), (y, &key(1))],
        vec![coins(&key(2), 2_000_000)],
        fee(0),
    );
    let b = pay(x, &key(0), 1_000_000, &key(1), 1, 0);
    let c = pay(y, &key(1), 1_000_000, &key(0), 1, 0);
    for tx in [&a, &b, &c] {
        submit(&mut ledger, tx, 0);
    }
    ledger.tick(5).unwrap();
    assert_eq!(ledger.state(&c.hash()), Some(TxState::Conflicted));
    let events = ledger.resolve_conflict(&x, &b.hash(), 100).unwrap();
    let lost = RejectReason::LostConflict {
        outpoint: x,
        winner: b.hash(),
    };
    assert_eq!(
        events,
        vec![
            rejected(&a, lost),
            LedgerEvent::Pending { tx: c.hash() },
            LedgerEvent::Accepted { tx: b.hash() },
        ]
    );
    assert_eq!(ledger.conflicts(), vec![]);
    assert_eq!(ledger.state(&c.hash()), Some(TxState::Pending));
    assert_eq!(ledger.tick(499).unwrap(), vec![]);
    assert_eq!(
        ledger.tick(500).unwrap(),
        vec![LedgerEvent::Accepted { tx: c.hash() }]
    );
}

#[test]
fn the_vote_passes_to_the_earliest_spender_left() {
    // a spends x and y; b spends y; c and d spend x. b wins y: a is rejected, and the
    // conflict on x, first seen as a, is now first seen as c.
    let genesis = genesis(3);
    let (mut ledger, _) = open_memory(&genesis, config());
    let (x, y) = (genesis.outpoint(0), genesis.outpoint(1));
    let a = Transaction::build_signed(
        &[(x, &key(0)), (y, &key(1))],
        vec![coins(&key(2), 2_000_000)],
        fee(0),
    );
    let b = pay(y, &key(1), 1_000_000, &key(0), 1, 0);
    let c = pay(x, &key(0), 1_000_000, &key(1), 1, 0);
    let d = pay(x, &key(0), 1_000_000, &key(2), 1, 0);
    for tx in [&a, &b, &c, &d] {
        submit(&mut ledger, tx, 0);
    }
    ledger.tick(5).unwrap();
    assert!(
        ledger
            .conflicts()
            .iter()
            .all(|set| set.first_seen == a.hash())
    );
    ledger.resolve_conflict(&y, &b.hash(), 10).unwrap();
    let mut rest = vec![c.hash(), d.hash()];
    rest.sort();
    assert_eq!(
        ledger.conflicts(),
        vec![ConflictSet {
            outpoint: x,
            spenders: rest,
            first_seen: c.hash(),
            detected_ms: 5,
        }]
    );
}

/// A [`MemoryStore`] whose writes fail while `failing` is set.
struct FlakyStore {
    inner: MemoryStore,
    failing: AtomicBool,
}

impl Store for FlakyStore {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(column, key)
    }

    fn scan_prefix(&self, column: Column, prefix: &[u8]) -> Result<Vec<Entry>, StorageError> {
        self.inner.scan_prefix(column, prefix)
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StorageError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StorageError::Database {
                path: "flaky".into(),
                reason: "disk full".to_string(),
            });
        }
        self.inner.write(batch)
    }

    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }
}

#[test]
fn a_failed_commit_reports_nothing_accepted_and_is_retried() {
    let genesis = genesis(3);
    let store = Arc::new(FlakyStore {
        inner: MemoryStore::new(STORE_CHAIN),
        failing: AtomicBool::new(false),
    });
    let accel = Arc::new(Accelerator::cpu_only());
    let mut ledger = Ledger::open(store.clone(), accel, &genesis, config()).unwrap();
    let first = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 10, 2);
    let spent = genesis.outpoint(1);
    let (a, b) = (
        pay(spent, &key(1), 1_000_000, &key(0), 10, 0),
        pay(spent, &key(1), 1_000_000, &key(2), 10, 0),
    );
    for tx in [&first, &a, &b] {
        submit(&mut ledger, tx, 0);
    }
    ledger.tick(5).unwrap();
    let digest = ledger.utxo_digest().unwrap();
    store.failing.store(true, Ordering::SeqCst);
    // A quiet period ends but the write fails: the error, nothing accepted or changed.
    assert!(matches!(ledger.tick(405), Err(LedgerError::Storage(_))));
    assert_eq!(ledger.state(&first.hash()), Some(TxState::Pending));
    assert_eq!(ledger.utxo_digest().unwrap(), digest);
    // A failed resolution changes nothing either: the conflict is still there.
    assert!(matches!(
        ledger.resolve_conflict(&spent, &a.hash(), 410),
        Err(LedgerError::Storage(_))
    ));
    assert_eq!(ledger.conflicts().len(), 1);
    assert_eq!(ledger.state(&b.hash()), Some(TxState::Conflicted));
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
    // The disk recovers: the next tick commits.
    store.failing.store(false, Ordering::SeqCst);
    assert_eq!(
        ledger.tick(420).unwrap(),
        vec![LedgerEvent::Accepted { tx: first.hash() }]
    );
    let events = ledger.resolve_conflict(&spent, &a.hash(), 430).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(ledger.state(&a.hash()), Some(TxState::Accepted));
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
}

#[test]
fn events_of_a_failed_tick_are_reported_by_the_next() {
    let genesis = genesis(2);
    let store = Arc::new(FlakyStore {
        inner: MemoryStore::new(STORE_CHAIN),
        failing: AtomicBool::new(false),
    });
    let accel = Arc::new(Accelerator::cpu_only());
    let config = LedgerConfig {
        batch_deadline_ms: 400,
        ..config()
    };
    let mut ledger = Ledger::open(store.clone(), accel, &genesis, config).unwrap();
    let first = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 10, 0);
    let second = pay(genesis.outpoint(1), &key(1), 1_000_000, &key(0), 10, 0);
    submit(&mut ledger, &first, 0);
    ledger.tick(400).unwrap();
    submit(&mut ledger, &second, 400);
    store.failing.store(true, Ordering::SeqCst);
    // At 800, the batch with `second` is flushed (it becomes Pending), then committing
    // `first` fails.
    assert!(ledger.tick(800).is_err());
    assert_eq!(ledger.state(&second.hash()), Some(TxState::Pending));
    store.failing.store(false, Ordering::SeqCst);
    assert_eq!(
        ledger.tick(801).unwrap(),
        vec![
            LedgerEvent::Pending { tx: second.hash() },
            LedgerEvent::Accepted { tx: first.hash() },
        ]
    );
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

/// Allows spends whose transaction pays at least `min` coins to output 0, refuses others,
/// and does not know the contract [`UNKNOWN`].
struct MinimumPayment {
    min: u64,
}

const UNKNOWN: ContractHash = ContractHash([0xdd; 32]);

impl SpendValidator for MinimumPayment {
    fn check_spend(&self, spent: &Output, tx: &Transaction, input_index: usize) -> SpendCheck {
        assert_eq!(
            tx.inputs[input_index].owner_key_hash(),
            spent.address.key_hash
        );
        if spent.contract == Some(UNKNOWN) {
            SpendCheck::Unavailable
        } else if tx.outputs[0].amount >= self.min {
            SpendCheck::Valid
        } else {
            SpendCheck::Invalid(format!("pays less than {}", self.min))
        }
    }
}

#[test]
fn contract_outputs_need_the_spend_validator() {
    let mut genesis = genesis(3);
    genesis.outputs[0].contract = Some(ContractHash([0xcc; 32]));
    genesis.outputs[1].contract = Some(ContractHash([0xcc; 32]));
    genesis.outputs[2].contract = Some(UNKNOWN);
    let (mut ledger, _) = open_memory(&genesis, config());
    let cheap = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 10, 0);
    let events = verify_one(&mut ledger, &cheap);
    match &events[..] {
        [
            LedgerEvent::Rejected {
                reason: RejectReason::Contract { input: 0, reason },
                ..
            },
        ] => assert!(reason.contains("no contract engine"), "{reason}"),
        other => panic!("{other:?}"),
    }
    ledger.set_spend_validator(Arc::new(MinimumPayment { min: 100 }));
    let cheap = pay(genesis.outpoint(0), &key(0), 1_000_000, &key(1), 11, 0);
    assert_eq!(
        verify_one(&mut ledger, &cheap),
        vec![rejected(
            &cheap,
            RejectReason::Contract {
                input: 0,
                reason: "pays less than 100".to_string()
            }
        )]
    );
    let generous = pay(genesis.outpoint(1), &key(1), 1_000_000, &key(0), 100, 0);
    assert_eq!(
        verify_one(&mut ledger, &generous),
        vec![LedgerEvent::Pending {
            tx: generous.hash()
        }]
    );
    // Unknown code: held (once), retried, and expired.
    let unknown = pay(genesis.outpoint(2), &key(2), 1_000_000, &key(0), 100, 0);
    assert_eq!(
        verify_one(&mut ledger, &unknown),
        vec![LedgerEvent::Held {
            tx: unknown.hash(),
            missing: genesis.outpoint(2)
        }]
    );
    assert_eq!(
        ledger.tick(405).unwrap(),
        vec![LedgerEvent::Accepted {
            tx: generous.hash()
        }]
    );
    assert_eq!(
        ledger.tick(5_005).unwrap(),
        vec![rejected(
            &unknown,
            RejectReason::HoldTimeout {
                missing: genesis.outpoint(2)
            }
        )]
    );
}

/// Key hash → key, for the workload's keys.
fn owners(count: u8) -> HashMap<KeyHash, SigningKey> {
    (0..count)
        .map(|i| {
            (
                KeyHash::of_public_key(&key(i).verification_key().to_bytes()),
                key(i),
            )
        })
        .collect()
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
    }
    assert_eq!(accepted + rejected, submitted);
    assert!(accepted > 100, "{accepted} accepted");
    assert!(rejected > 20, "{rejected} rejected");
    assert!(conflicts > 5, "{conflicts} conflicts");
    // One accelerator call per batch, never one per transaction.
    assert!(verify_calls(&accel) <= 120);
}

/// Independent transfers and chains of them (children spend their parents' outputs).
fn chained_transfers(genesis: &Genesis) -> Vec<Transaction> {
    let mut txs = Vec::new();
    for i in 0..6u8 {
        let mut spent = genesis.outpoint(i.into());
        let mut amount = 1_000_000;
        let mut owner = key(i);
        for step in 0..3u8 {
            let recipient = key((i + step + 1) % 6);
            let tx = pay(spent, &owner, amount, &recipient, amount / 2, 3);
            spent = OutPoint {
                tx: tx.hash(),
                index: 0,
            };
            amount /= 2;
            owner = recipient;
            txs.push(tx);
        }
    }
    txs
}

/// Submits every transaction at time 0 and ticks until nothing is left; every one accepted.
fn feed(ledger: &mut Ledger, txs: &[Transaction]) {
    for tx in txs {
        submit(ledger, tx, 0);
    }
    let mut now = 0;
    while let Some(next) = ledger.next_deadline() {
        now = next.max(now);
        ledger.tick(now).unwrap();
    }
    for tx in txs {
        assert_eq!(ledger.state(&tx.hash()), Some(TxState::Accepted));
    }
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

#[test]
fn a_restart_on_rocksdb_recovers_the_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    let genesis = genesis(6);
    let txs = chained_transfers(&genesis);
    let accel = Arc::new(Accelerator::cpu_only());
    let open = |genesis: &Genesis| {
        let store: Arc<dyn Store> = Arc::new(RocksStore::open(dir.path(), STORE_CHAIN).unwrap());
        Ledger::open(store, accel.clone(), genesis, config())
    };
    let (digest, utxos) = {
        let mut ledger = open(&genesis).unwrap();
        feed(&mut ledger, &txs);
        // One more, still Pending when the node stops: forgotten.
        let last = ledger
            .utxos()
            .unwrap()
            .into_iter()
            .find(|(_, out)| out.asset == COIN)
            .unwrap();
        let owner = &owners(6)[&last.1.address.key_hash];
        let pending = pay(last.0, owner, last.1.amount, &key(0), 1, 0);
        submit(&mut ledger, &pending, 10_000);
        ledger.tick(10_005).unwrap();
        assert_eq!(ledger.state(&pending.hash()), Some(TxState::Pending));
        (ledger.utxo_digest().unwrap(), ledger.utxos().unwrap())
    };
    let mut ledger = open(&genesis).unwrap();
    assert_eq!(ledger.utxo_digest().unwrap(), digest);
    assert_eq!(ledger.utxos().unwrap(), utxos);
    let supply = ledger.supply().unwrap();
    assert_eq!(supply, genesis.supply());
    // Fees were burnt (18 transfers, 3 each) and their total was recovered.
    let held: u128 = utxos
        .iter()
        .filter(|(_, out)| out.asset == COIN)
        .map(|(_, out)| u128::from(out.amount))
        .sum();
    assert_eq!(supply[&COIN] - held, 18 * 3);
    for tx in &txs {
        assert_eq!(ledger.state(&tx.hash()), Some(TxState::Accepted));
        assert_eq!(ledger.transaction(&tx.hash()).as_ref(), Some(tx));
        assert_eq!(ledger.submit(tx.clone(), 0), Submission::Duplicate);
    }
    drop(ledger);
    // Another genesis is refused, naming both hashes.
    let other = Genesis {
        chain_id: CHAIN,
        outputs: vec![coins(&key(0), 5)],
    };
    let err = open(&other).expect_err("another genesis is refused");
    let LedgerError::GenesisMismatch { stored, expected } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*stored, genesis.hash());
    assert_eq!(*expected, other.hash());
    let message = err.to_string();
    assert!(message.contains(&stored.to_hex()), "{message}");
    assert!(message.contains(&expected.to_hex()), "{message}");
}

#[test]
fn a_store_of_another_genesis_is_refused() {
    let accel = Arc::new(Accelerator::cpu_only());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(STORE_CHAIN));
    let (first, second) = (genesis(2), genesis(3));
    drop(Ledger::open(store.clone(), accel.clone(), &first, config()).unwrap());
    let before: Vec<_> = store.scan_prefix(Column::Utxos, b"").unwrap();
    match Ledger::open(store.clone(), accel.clone(), &second, config()) {
        Err(LedgerError::GenesisMismatch { stored, expected }) => {
            assert_eq!((stored, expected), (first.hash(), second.hash()));
        }
        other => panic!("{:?}", other.err()),
    }
    assert_eq!(store.scan_prefix(Column::Utxos, b"").unwrap(), before);
    // The same genesis opens.
    let ledger = Ledger::open(store, accel, &first, config()).unwrap();
    assert_eq!(ledger.supply().unwrap(), first.supply());
}

// ---------------------------------------------------------------------------------------------
// The crash test.

const CRASH_KEYS: u8 = 8;
const CRASH_REPORTS: usize = 200;

fn crash_config() -> LedgerConfig {
    LedgerConfig {
        quiet_period_ms: 20,
        ..config()
    }
}

/// When `RAMJET_LEDGER_CRASH_DIR` is set (by [`accepted_transactions_survive_sigkill`]), runs a
/// ledger on a RocksDB store there and feeds it valid chained transfers forever, printing
/// `ACCEPTED <hash>` after each Accepted event. Otherwise does nothing.
#[test]
fn crash_ledger_child() {
    let Some(dir) = std::env::var_os("RAMJET_LEDGER_CRASH_DIR") else {
        return;
    };
    let genesis = genesis(CRASH_KEYS);
    let owners = owners(CRASH_KEYS);
    let store: Arc<dyn Store> = Arc::new(RocksStore::open(&dir, STORE_CHAIN).unwrap());
    let accel = Arc::new(Accelerator::cpu_only());
    let mut ledger = Ledger::open(store, accel, &genesis, crash_config()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut stdout = std::io::stdout().lock();
    let mut now = 0;
    loop {
        // Spend up to four committed UTXOs (children of earlier commits), each into two.
        let utxos = ledger.utxos().unwrap();
        let mut picked = BTreeSet::new();
        for _ in 0..4 {
            let (outpoint, spent) = &utxos[rng.gen_range(0..utxos.len())];
            if spent.asset != COIN || spent.amount < 4 || !picked.insert(*outpoint) {
                continue;
            }
            let owner = &owners[&spent.address.key_hash];
            let recipient = key(rng.gen_range(0..CRASH_KEYS));
            let tx = pay(
                *outpoint,
                owner,
                spent.amount,
                &recipient,
                spent.amount / 2,
                1,
            );
            ledger.submit(tx, now);
        }
        let until = now + 40;
        while let Some(next) = ledger.next_deadline().filter(|next| *next <= until) {
            now = next.max(now);
            for event in ledger.tick(now).unwrap() {
                if let LedgerEvent::Accepted { tx } = event {
                    writeln!(stdout, "ACCEPTED {}", tx.to_hex()).unwrap();
                    stdout.flush().unwrap();
                }
            }
        }
        now = until;
    }
}

#[test]
fn accepted_transactions_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "ledger::crash_ledger_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RAMJET_LEDGER_CRASH_DIR", &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The pipe stays open until after the kill, so the child cannot die of a closed stdout.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut reported = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(hex) = line.strip_prefix("ACCEPTED ") {
            let bytes: [u8; 32] = hex::decode(hex).unwrap().try_into().unwrap();
            reported.push(TxHash(bytes));
            if reported.len() >= CRASH_REPORTS {
                break;
            }
        }
    }
    // SIGKILL while the child keeps committing: no chance to flush or close.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    drop(lines);
    assert!(!status.success(), "the child should have been killed");
    assert_eq!(reported.len(), CRASH_REPORTS, "the child stopped early");

    let genesis = genesis(CRASH_KEYS);
    let store: Arc<dyn Store> = Arc::new(RocksStore::open(&db, STORE_CHAIN).unwrap());
    let accel = Arc::new(Accelerator::cpu_only());
    let mut ledger = Ledger::open(store.clone(), accel, &genesis, crash_config()).unwrap();
    // Every transaction reported ACCEPTED is there.
    for hash in &reported {
        assert_eq!(ledger.state(hash), Some(TxState::Accepted), "{hash}");
    }
    // Nothing half applied: every committed transaction's inputs are spent, and each of its
    // outputs is unspent or spent by another committed transaction; every UTXO comes from the
    // genesis or a committed transaction.
    let mut committed: BTreeMap<TxHash, Transaction> = BTreeMap::new();
    for (key, _) in store.scan_prefix(Column::Transactions, b"").unwrap() {
        let hash = TxHash(key.try_into().unwrap());
        assert_eq!(ledger.state(&hash), Some(TxState::Accepted));
        committed.insert(hash, ledger.transaction(&hash).unwrap());
    }
    assert!(committed.len() >= reported.len());
    let utxos: BTreeMap<OutPoint, Output> = ledger.utxos().unwrap().into_iter().collect();
    let spent: BTreeSet<OutPoint> = committed
        .values()
        .flat_map(|tx| tx.inputs.iter().map(|input| input.outpoint))
        .collect();
    for (hash, tx) in &committed {
        for input in &tx.inputs {
            assert!(!utxos.contains_key(&input.outpoint), "{hash} input unspent");
        }
        for (index, out) in tx.outputs.iter().enumerate() {
            let outpoint = OutPoint {
                tx: *hash,
                index: index as u32,
            };
            match utxos.get(&outpoint) {
                Some(utxo) => assert_eq!(utxo, out),
                None => assert!(spent.contains(&outpoint), "{hash} output {index} missing"),
            }
        }
    }
    for outpoint in utxos.keys() {
        assert!(outpoint.tx == genesis.hash() || committed.contains_key(&outpoint.tx));
    }
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
    // And the ledger keeps working.
    let (outpoint, spent) = utxos
        .iter()
        .find(|(_, out)| out.asset == COIN && out.amount >= 4)
        .unwrap();
    let owner = &owners(CRASH_KEYS)[&spent.address.key_hash];
    let tx = pay(*outpoint, owner, spent.amount, &key(0), 1, 1);
    submit(&mut ledger, &tx, 0);
    let events = run_until(&mut ledger, 0, 100);
    assert!(
        events.contains(&LedgerEvent::Accepted { tx: tx.hash() }),
        "{events:?}"
    );
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
}
