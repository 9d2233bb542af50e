//! Storage: one suite run against both stores (put, get, delete, atomic batches, ordered prefix
//! scans), restart recovery of the exact state, refusal of foreign and corrupt data
//! directories, and durability of committed batches across a SIGKILL of a writing process.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use ramjet_node::storage::{
    CHAIN_KEY, Column, FORMAT, FORMAT_KEY, MemoryStore, RocksStore, StorageError, Store,
    WriteBatch, utxo_key,
};
use ramjet_node::tx::{OutPoint, TxHash};

const CHAIN: &str = "ramjet-test";

type Dump = BTreeMap<(Column, Vec<u8>), Vec<u8>>;

/// Every entry of every column.
fn dump(store: &dyn Store) -> Dump {
    let mut all = Dump::new();
    for column in Column::ALL {
        for (key, value) in store.scan_prefix(column, b"").unwrap() {
            all.insert((column, key), value);
        }
    }
    all
}

/// The shared suite: run on an empty store of chain [`CHAIN`], returns its final contents.
fn suite(store: &dyn Store) -> Dump {
    // A new store holds exactly its identity records.
    assert_eq!(
        store.get(Column::Metadata, FORMAT_KEY).unwrap(),
        Some(FORMAT.as_bytes().to_vec())
    );
    assert_eq!(
        store.get(Column::Metadata, CHAIN_KEY).unwrap(),
        Some(CHAIN.as_bytes().to_vec())
    );
    assert_eq!(dump(store).len(), 2);

    // Put and get; columns are separate key spaces.
    let mut batch = WriteBatch::new();
    batch.put(Column::Transactions, b"k".to_vec(), b"tx".to_vec());
    batch.put(Column::Peers, b"k".to_vec(), b"peer".to_vec());
    store.write(batch).unwrap();
    assert_eq!(
        store.get(Column::Transactions, b"k").unwrap(),
        Some(b"tx".to_vec())
    );
    assert_eq!(
        store.get(Column::Peers, b"k").unwrap(),
        Some(b"peer".to_vec())
    );
    assert_eq!(store.get(Column::Trust, b"k").unwrap(), None);

    // Delete, and a later operation on the same key in one batch wins.
    let mut batch = WriteBatch::new();
    batch.delete(Column::Transactions, b"k".to_vec());
    batch.put(Column::Peers, b"k".to_vec(), b"first".to_vec());
    batch.put(Column::Peers, b"k".to_vec(), b"second".to_vec());
    batch.put(Column::Trust, b"gone".to_vec(), b"x".to_vec());
    batch.delete(Column::Trust, b"gone".to_vec());
    batch.delete(Column::Observations, b"never-there".to_vec());
    store.write(batch).unwrap();
    assert_eq!(store.get(Column::Transactions, b"k").unwrap(), None);
    assert_eq!(
        store.get(Column::Peers, b"k").unwrap(),
        Some(b"second".to_vec())
    );
    assert_eq!(store.get(Column::Trust, b"gone").unwrap(), None);

    // An empty batch and empty values are fine.
    store.write(WriteBatch::new()).unwrap();
    let mut batch = WriteBatch::new();
    batch.put(Column::Observations, b"empty".to_vec(), Vec::new());
    store.write(batch).unwrap();
    assert_eq!(
        store.get(Column::Observations, b"empty").unwrap(),
        Some(Vec::new())
    );

    // UTXO keys: a prefix scan by transaction hash returns its outputs in index order, and
    // nothing of the neighbouring hashes.
    let hashes = [TxHash([7; 32]), TxHash([8; 32]), TxHash([9; 32])];
    let mut batch = WriteBatch::new();
    // Indexes whose little-endian order differs from their numeric order.
    for &index in &[256u32, 1, 0, 65_536, 2, u32::MAX] {
        for &tx in &hashes {
            let key = utxo_key(&OutPoint { tx, index });
            batch.put(Column::Utxos, key.to_vec(), index.to_be_bytes().to_vec());
        }
    }
    store.write(batch).unwrap();
    let outputs = store.scan_prefix(Column::Utxos, &hashes[1].0).unwrap();
    let indexes: Vec<u32> = outputs
        .iter()
        .map(|(key, _)| {
            assert_eq!(&key[..32], &hashes[1].0);
            u32::from_be_bytes(key[32..].try_into().unwrap())
        })
        .collect();
    assert_eq!(indexes, [0, 1, 2, 256, 65_536, u32::MAX]);

    // Scans are bytewise ordered, include the prefix itself, stop at the prefix's end, and
    // handle 0xff bytes.
    let mut batch = WriteBatch::new();
    for key in [
        &b"ab"[..],
        b"a",
        b"b",
        b"ab\x00",
        b"ab\xff",
        b"ac",
        b"\xff",
        b"\xff\xff",
        b"",
    ] {
        batch.put(Column::Trust, key.to_vec(), key.to_vec());
    }
    store.write(batch).unwrap();
    let keys = |prefix: &[u8]| -> Vec<Vec<u8>> {
        store
            .scan_prefix(Column::Trust, prefix)
            .unwrap()
            .into_iter()
            .map(|(k, v)| {
                assert_eq!(k, v);
                k
            })
            .collect()
    };
    assert_eq!(keys(b"ab"), [&b"ab"[..], b"ab\x00", b"ab\xff"]);
    assert_eq!(keys(b"\xff"), [&b"\xff"[..], b"\xff\xff"]);
    assert_eq!(keys(b"z"), Vec::<Vec<u8>>::new());
    assert_eq!(
        keys(b""),
        [
            &b""[..],
            b"a",
            b"ab",
            b"ab\x00",
            b"ab\xff",
            b"ac",
            b"b",
            b"\xff",
            b"\xff\xff"
        ]
    );
    // A visit sees what a scan returns, in the same order, and stops when told to.
    for prefix in [&b"ab"[..], b"\xff", b"z", b""] {
        let mut visited = Vec::new();
        store
            .visit_prefix(Column::Trust, prefix, &mut |k, v| {
                visited.push((k.to_vec(), v.to_vec()));
                true
            })
            .unwrap();
        assert_eq!(visited, store.scan_prefix(Column::Trust, prefix).unwrap());
    }
    // A visit after a key sees the scan's entries above it: the key one of them, between two,
    // before the prefix or past it.
    for prefix in [&b"ab"[..], b"\xff", b""] {
        let scan = store.scan_prefix(Column::Trust, prefix).unwrap();
        for after in [
            &b""[..],
            b"a",
            b"ab",
            b"ab\x00",
            b"ab\x01",
            b"ac",
            b"\xff",
            b"\xff\xff\xff",
        ] {
            let mut visited = Vec::new();
            store
                .visit_prefix_after(Column::Trust, prefix, after, &mut |k, v| {
                    visited.push((k.to_vec(), v.to_vec()));
                    true
                })
                .unwrap();
            let above: Vec<_> = scan
                .iter()
                .filter(|(k, _)| k.as_slice() > after)
                .cloned()
                .collect();
            assert_eq!(visited, above, "prefix {prefix:?}, after {after:?}");
        }
    }
    let mut first_two = Vec::new();
    store
        .visit_prefix(Column::Trust, b"a", &mut |k, _| {
            first_two.push(k.to_vec());
            first_two.len() < 2
        })
        .unwrap();
    assert_eq!(first_two, [&b"a"[..], b"ab"]);

    store.flush().unwrap();
    dump(store)
}

#[test]
fn memory_and_rocks_behave_identically() {
    let memory = MemoryStore::new(CHAIN);
    let dir = tempfile::tempdir().unwrap();
    let rocks = RocksStore::open(dir.path().join("db"), CHAIN).unwrap();
    let from_memory = suite(&memory);
    let from_rocks = suite(&rocks);
    assert_eq!(from_memory, from_rocks);
    // And the state survives a restart exactly.
    drop(rocks);
    let reopened = RocksStore::open(dir.path().join("db"), CHAIN).unwrap();
    assert_eq!(dump(&reopened), from_memory);
}

/// Deterministic pseudo-random batches of puts and deletes across all columns.
fn random_batches(count: usize) -> Vec<WriteBatch> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let mut batch = WriteBatch::new();
            for _ in 0..(next() % 8) {
                let column = Column::ALL[(next() % 5) as usize];
                let key = (next() % 64).to_be_bytes()[6..].to_vec();
                if next() % 4 == 0 {
                    batch.delete(column, key);
                } else {
                    batch.put(
                        column,
                        key,
                        next().to_le_bytes()[..(next() % 9) as usize].to_vec(),
                    );
                }
            }
            batch
        })
        .collect()
}

#[test]
fn restart_recovers_the_exact_state() {
    let dir = tempfile::tempdir().unwrap();
    let memory = MemoryStore::new(CHAIN);
    let batches = random_batches(300);
    {
        let rocks = RocksStore::open(dir.path(), CHAIN).unwrap();
        for (i, batch) in batches.iter().enumerate() {
            memory.write(batch.clone()).unwrap();
            rocks.write(batch.clone()).unwrap();
            if i == 150 {
                // Half the state in table files, half only in the write-ahead log.
                rocks.flush().unwrap();
            }
        }
        assert_eq!(dump(&rocks), dump(&memory));
    }
    for _ in 0..2 {
        let rocks = RocksStore::open(dir.path(), CHAIN).unwrap();
        assert_eq!(dump(&rocks), dump(&memory));
    }
}

fn refused(dir: &Path, chain: &str) -> StorageError {
    RocksStore::open(dir, chain).expect_err("the store should be refused")
}

#[test]
fn a_store_of_another_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(RocksStore::open(dir.path(), "chain-a").unwrap());
    let err = refused(dir.path(), "chain-b");
    assert!(
        matches!(&err, StorageError::WrongChain { found, expected, .. }
            if found == "chain-a" && expected == "chain-b"),
        "{err:?}"
    );
    assert!(err.to_string().contains("chain-a"), "{err}");
    // The refused open changed nothing.
    RocksStore::open(dir.path(), "chain-a").unwrap();
}

#[test]
fn foreign_directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();

    // A directory of unrelated files: refused, and no database is created inside it.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "hello").unwrap();
    let err = refused(&other, CHAIN);
    assert!(matches!(err, StorageError::Foreign { .. }), "{err:?}");
    assert!(err.to_string().contains("notes.txt"), "{err}");
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);

    // A plain file.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err = refused(&file, CHAIN);
    assert!(matches!(err, StorageError::Foreign { .. }), "{err:?}");

    // A RocksDB database of something else (only the default column family).
    let plain = dir.path().join("plain-rocksdb");
    {
        let mut options = rocksdb::Options::default();
        options.create_if_missing(true);
        let db = rocksdb::DB::open(&options, &plain).unwrap();
        db.put(b"some", b"thing").unwrap();
    }
    let err = refused(&plain, CHAIN);
    assert!(matches!(err, StorageError::Foreign { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&plain.display().to_string()),
        "{err}"
    );

    // A store of the previous format (no owner index): refused, and the message says so.
    let format_1 = dir.path().join("format-1");
    {
        let mut options = rocksdb::Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let names = [
            "utxos",
            "transactions",
            "observations",
            "peers",
            "trust",
            "metadata",
        ];
        let db = rocksdb::DB::open_cf(&options, &format_1, names).unwrap();
        let metadata = db.cf_handle("metadata").unwrap();
        db.put_cf(metadata, FORMAT_KEY, "ramjet-store/1").unwrap();
        db.put_cf(metadata, CHAIN_KEY, CHAIN).unwrap();
    }
    let err = refused(&format_1, CHAIN);
    assert!(
        matches!(&err, StorageError::Foreign { found, .. } if found.contains("\"ramjet-store/1\"")),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("start the node on a new data directory"),
        "{err}"
    );

    // Our column families but another format version, or no format record.
    let versioned = dir.path().join("versioned");
    {
        let store = RocksStore::open(&versioned, CHAIN).unwrap();
        let mut batch = WriteBatch::new();
        batch.put(Column::Metadata, FORMAT_KEY, "ramjet-store/99");
        store.write(batch).unwrap();
    }
    let err = refused(&versioned, CHAIN);
    assert!(
        matches!(&err, StorageError::Foreign { found, .. } if found.contains("ramjet-store/99")),
        "{err:?}"
    );
    assert!(err.to_string().contains(FORMAT), "{err}");
    {
        // Rewrite through RocksDB directly, as another program would.
        let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), &versioned, names).unwrap();
        db.delete_cf(db.cf_handle("metadata").unwrap(), FORMAT_KEY)
            .unwrap();
    }
    let err = refused(&versioned, CHAIN);
    assert!(
        matches!(&err, StorageError::Foreign { found, .. } if found.contains("without a format")),
        "{err:?}"
    );
}

#[test]
fn a_new_store_is_created_in_a_missing_or_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/c");
    RocksStore::open(&nested, CHAIN).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let store = RocksStore::open(&empty, CHAIN).unwrap();
    assert_eq!(store.path(), empty);
    assert_eq!(dump(&store).len(), 2);
}

/// A store with some data in table files and some in the log, closed cleanly.
fn filled_store(dir: &Path) {
    let store = RocksStore::open(dir, CHAIN).unwrap();
    for batch in random_batches(50) {
        store.write(batch).unwrap();
    }
    store.flush().unwrap();
    for batch in random_batches(20) {
        store.write(batch).unwrap();
    }
}

fn files_named(dir: &Path, pred: impl Fn(&str) -> bool) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| pred(p.file_name().unwrap().to_str().unwrap()))
        .collect();
    found.sort();
    found
}

#[test]
fn corrupt_directories_are_refused_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();

    // CURRENT garbled: it no longer names a manifest.
    let current = dir.path().join("current");
    filled_store(&current);
    std::fs::write(current.join("CURRENT"), b"\x00\x13garbage").unwrap();
    let err = refused(&current, CHAIN);
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&current.display().to_string()),
        "{err}"
    );

    // The manifest garbled.
    let manifest = dir.path().join("manifest");
    filled_store(&manifest);
    for file in files_named(&manifest, |n| n.starts_with("MANIFEST-")) {
        let len = std::fs::metadata(&file).unwrap().len() as usize;
        std::fs::write(&file, vec![0xa5; len]).unwrap();
    }
    let err = refused(&manifest, CHAIN);
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&manifest.display().to_string()),
        "{err}"
    );

    // A table file garbled (paranoid checks verify table footers on open).
    let table = dir.path().join("table");
    filled_store(&table);
    let tables = files_named(&table, |n| n.ends_with(".sst"));
    assert!(!tables.is_empty());
    for file in tables {
        let len = std::fs::metadata(&file).unwrap().len() as usize;
        std::fs::write(&file, vec![0x5a; len]).unwrap();
    }
    let err = match RocksStore::open(&table, CHAIN) {
        Err(err) => err,
        // Opened: the damage must surface on the first full read, as an error.
        Ok(store) => Column::ALL
            .iter()
            .find_map(|&c| store.scan_prefix(c, b"").err())
            .expect("a garbled table file must not read back as data"),
    };
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&table.display().to_string()),
        "{err}"
    );
}

/// When `RAMJET_STORE_CRASH_DIR` is set (by [`committed_batches_survive_sigkill`]), writes
/// batches to a store there forever, printing `committed N` after batch N's write returns.
/// Otherwise does nothing.
#[test]
fn crash_writer() {
    let Some(dir) = std::env::var_os("RAMJET_STORE_CRASH_DIR") else {
        return;
    };
    let store = RocksStore::open(&dir, CHAIN).unwrap();
    for i in 0u32.. {
        let mut batch = WriteBatch::new();
        batch.put(Column::Transactions, i.to_be_bytes().to_vec(), vec![1; 100]);
        batch.put(Column::Utxos, i.to_be_bytes().to_vec(), vec![2; 100]);
        store.write(batch).unwrap();
        println!("committed {i}");
    }
}

#[test]
fn committed_batches_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "storage::crash_writer",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RAMJET_STORE_CRASH_DIR", &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The pipe stays open until after the kill, so the writer cannot die of a closed stdout.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut last = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            let n: u32 = n.parse().unwrap();
            last = Some(n);
            if n >= 200 {
                break;
            }
        }
    }
    // SIGKILL, mid-write most likely: no chance to flush or close.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    drop(lines);
    assert!(!status.success(), "the writer should have been killed");
    let last = last.expect("the writer committed nothing");

    let store = RocksStore::open(&db, CHAIN).unwrap();
    let txs = store.scan_prefix(Column::Transactions, b"").unwrap();
    let utxos = store.scan_prefix(Column::Utxos, b"").unwrap();
    // No batch half applied: both columns hold the same keys.
    let keys = |entries: &[(Vec<u8>, Vec<u8>)]| -> Vec<Vec<u8>> {
        entries.iter().map(|(k, _)| k.clone()).collect()
    };
    assert_eq!(keys(&txs), keys(&utxos));
    // Every batch reported committed is there, and the batches present are a prefix 0..n.
    let present: Vec<u32> = txs
        .iter()
        .map(|(k, _)| u32::from_be_bytes(k[..].try_into().unwrap()))
        .collect();
    assert!(
        present.len() as u64 > u64::from(last),
        "{} <= {last}",
        present.len()
    );
    assert!(present.iter().enumerate().all(|(i, &n)| n == i as u32));
}
