//! The ledger: genesis, the transaction lifecycle with its timing (virtual time: every call
//! takes `now_ms`), signature batching, every rejection rule, holds, conflicts and their
//! resolution, conservation of supply under a random workload, order independence of the UTXO
//! set, recovery on RocksDB, and durability of accepted transactions across a SIGKILL.
//!
//! This module holds the shared fixtures (keys, genesis, transfers, ticking helpers); the tests
//! are in `lifecycle`, `conflicts`, `durability` and `contracts`.

mod conflicts;
mod contracts;
mod durability;
mod lifecycle;

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

/// Submits `tx` at 0 and returns the events up to time 5 (its verification).
fn verify_one(ledger: &mut Ledger, tx: &Transaction) -> Vec<LedgerEvent> {
    submit(ledger, tx, 0);
    ledger.tick(5).unwrap()
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
