//! Durability: failed writes change nothing and lose no event, a restart on RocksDB recovers
//! the committed state, a store of another genesis is refused, and accepted transactions
//! survive a SIGKILL.

use super::*;

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
            "ledger::durability::crash_ledger_child",
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
