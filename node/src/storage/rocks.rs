//! [`RocksStore`]: the store on disk, in RocksDB.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use rocksdb::{ColumnFamily, DB, Direction, IteratorMode, Options, ReadOptions, WriteOptions};

use super::{
    CHAIN_KEY, Column, Entry, FORMAT, FORMAT_1_COLUMNS, FORMAT_KEY, Op, StorageError, Store,
    WriteBatch,
};

/// Bytes all column families' memtables may take together (RocksDB's `db_write_buffer_size`).
const MEMTABLE_BUDGET: usize = 64 << 20;

/// A [`Store`] in a RocksDB database: one column family per [`Column`] (plus RocksDB's
/// unused `default`), bytewise key order, every write synced to disk before it returns.
pub struct RocksStore {
    db: DB,
    path: PathBuf,
}

impl std::fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStore")
            .field("path", &self.path)
            .finish()
    }
}

impl RocksStore {
    /// Opens the store in `dir` for chain `chain_id`.
    ///
    /// A directory that does not exist, or is empty, gets a new store holding the format
    /// record ([`FORMAT`]) and `chain_id`. Anything else must be a ramjet store of this format
    /// and chain: a file, a directory of other files, a RocksDB database of something else or
    /// another format is [`StorageError::Foreign`]; another chain is
    /// [`StorageError::WrongChain`]; damaged files are [`StorageError::Corrupt`].
    pub fn open(dir: impl AsRef<Path>, chain_id: &str) -> Result<Self, StorageError> {
        let path = dir.as_ref().to_path_buf();
        let io = |source| StorageError::Io {
            path: path.clone(),
            source,
        };
        let fresh = match fs::metadata(&path) {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                fs::create_dir_all(&path).map_err(io)?;
                true
            }
            Err(e) => return Err(io(e)),
            Ok(meta) if !meta.is_dir() => {
                return Err(foreign(&path, "a file", "a directory"));
            }
            Ok(_) => {
                let mut names: Vec<String> = fs::read_dir(&path)
                    .map_err(io)?
                    .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect::<Result<_, _>>()
                    .map_err(io)?;
                if names.is_empty() {
                    true
                } else if !names.iter().any(|n| n == "CURRENT") {
                    names.sort();
                    names.truncate(5);
                    return Err(foreign(
                        &path,
                        &format!("a directory of other files ({}, ...)", names.join(", ")),
                        "an empty directory or a RocksDB database",
                    ));
                } else {
                    false
                }
            }
        };

        let mut options = Options::default();
        // One budget for the memtables of every column family: by default each family may
        // hold two 64 MiB memtables, so a busy node's memory grew by hundreds of MiB before the
        // first flush. Past the budget RocksDB flushes the largest memtable.
        options.set_db_write_buffer_size(MEMTABLE_BUDGET);
        options.create_if_missing(fresh);
        options.create_missing_column_families(fresh);
        options.set_paranoid_checks(true);
        let wanted: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        if !fresh {
            let mut found = DB::list_cf(&options, &path).map_err(|e| rocks_error(&path, e))?;
            if !found.iter().any(|name| name == "default") {
                // Every RocksDB database has `default`: a manifest that lists none is damaged.
                return Err(StorageError::Corrupt {
                    path,
                    reason: "the manifest lists no column families".to_string(),
                });
            }
            found.retain(|name| name != "default");
            found.sort();
            let mut expected: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
            expected.sort();
            let mut format_1: Vec<String> =
                FORMAT_1_COLUMNS.iter().map(|s| s.to_string()).collect();
            format_1.sort();
            if found == format_1 {
                return Err(foreign(
                    &path,
                    "a store of format \"ramjet-store/1\", written by an older ramjet (before \
                     the index of outputs by owner)",
                    &format!("format {FORMAT:?}: start the node on a new data directory"),
                ));
            }
            if found != expected {
                // Not ours, or unreadable: a damaged manifest can list only `default`. Opening
                // it read-only (changing nothing) tells the two apart.
                let mut all = found.clone();
                all.push("default".to_string());
                DB::open_cf_for_read_only(&options, &path, &all, false)
                    .map_err(|e| rocks_error(&path, e))?;
                return Err(foreign(
                    &path,
                    &format!("a RocksDB database with column families {found:?}"),
                    &format!("column families {expected:?}"),
                ));
            }
        }
        let db = DB::open_cf(&options, &path, &wanted).map_err(|e| rocks_error(&path, e))?;
        let store = Self { db, path };

        if fresh {
            let mut batch = WriteBatch::new();
            batch.put(Column::Metadata, FORMAT_KEY, FORMAT);
            batch.put(Column::Metadata, CHAIN_KEY, chain_id);
            store.write(batch)?;
        } else {
            store.check_identity(chain_id)?;
        }
        Ok(store)
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_identity(&self, chain_id: &str) -> Result<(), StorageError> {
        match self.get(Column::Metadata, FORMAT_KEY)? {
            None => {
                return Err(foreign(
                    &self.path,
                    "a RocksDB database without a format record",
                    &format!("format {FORMAT:?}"),
                ));
            }
            Some(found) if found != FORMAT.as_bytes() => {
                return Err(foreign(
                    &self.path,
                    &format!("format {:?}", String::from_utf8_lossy(&found)),
                    &format!("format {FORMAT:?}"),
                ));
            }
            Some(_) => {}
        }
        match self.get(Column::Metadata, CHAIN_KEY)? {
            None => Err(foreign(
                &self.path,
                "a store without a chain record",
                &format!("chain {chain_id:?}"),
            )),
            Some(found) if found != chain_id.as_bytes() => Err(StorageError::WrongChain {
                path: self.path.clone(),
                found: String::from_utf8_lossy(&found).into_owned(),
                expected: chain_id.to_string(),
            }),
            Some(_) => Ok(()),
        }
    }

    fn cf(&self, column: Column) -> Result<&ColumnFamily, StorageError> {
        self.db
            .cf_handle(column.name())
            .ok_or_else(|| StorageError::Database {
                path: self.path.clone(),
                reason: format!("column family {} is missing", column.name()),
            })
    }

    /// Calls `visit` with the entries of `column` from `start` on while their keys start with
    /// `prefix`, until it returns `false`; the block cache is filled only if `fill_cache`.
    fn visit_from(
        &self,
        column: Column,
        prefix: &[u8],
        start: &[u8],
        fill_cache: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StorageError> {
        let mut options = ReadOptions::default();
        options.fill_cache(fill_cache);
        let iter = self.db.iterator_cf_opt(
            self.cf(column)?,
            options,
            IteratorMode::From(start, Direction::Forward),
        );
        for item in iter {
            let (key, value) = item.map_err(|e| self.err(e))?;
            if !key.starts_with(prefix) || !visit(&key, &value) {
                break;
            }
        }
        Ok(())
    }

    fn err(&self, e: rocksdb::Error) -> StorageError {
        rocks_error(&self.path, e)
    }
}

impl Store for RocksStore {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.db
            .get_cf(self.cf(column)?, key)
            .map_err(|e| self.err(e))
    }

    fn scan_prefix(&self, column: Column, prefix: &[u8]) -> Result<Vec<Entry>, StorageError> {
        let mut entries = Vec::new();
        let iter = self.db.iterator_cf(
            self.cf(column)?,
            IteratorMode::From(prefix, Direction::Forward),
        );
        for item in iter {
            let (key, value) = item.map_err(|e| self.err(e))?;
            if !key.starts_with(prefix) {
                break;
            }
            entries.push((key.into_vec(), value.into_vec()));
        }
        Ok(entries)
    }

    fn visit_prefix(
        &self,
        column: Column,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StorageError> {
        // A pass over the whole column must not evict what the node reads often.
        self.visit_from(column, prefix, prefix, false, visit)
    }

    fn visit_prefix_after(
        &self,
        column: Column,
        prefix: &[u8],
        after: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StorageError> {
        let mut skip_after = |key: &[u8], value: &[u8]| key == after || visit(key, value);
        self.visit_from(column, prefix, prefix.max(after), true, &mut skip_after)
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StorageError> {
        let mut rocks = rocksdb::WriteBatch::default();
        for op in &batch.ops {
            match op {
                Op::Put { column, key, value } => rocks.put_cf(self.cf(*column)?, key, value),
                Op::Delete { column, key } => rocks.delete_cf(self.cf(*column)?, key),
            }
        }
        // Synced: the write-ahead log is fsynced before `write` returns, so a committed batch
        // survives a crash of the process or of the machine.
        let mut options = WriteOptions::default();
        options.set_sync(true);
        self.db.write_opt(rocks, &options).map_err(|e| self.err(e))
    }

    fn flush(&self) -> Result<(), StorageError> {
        for column in Column::ALL {
            self.db
                .flush_cf(self.cf(column)?)
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

fn foreign(path: &Path, found: &str, expected: &str) -> StorageError {
    StorageError::Foreign {
        path: path.to_path_buf(),
        found: found.to_string(),
        expected: expected.to_string(),
    }
}

fn rocks_error(path: &Path, e: rocksdb::Error) -> StorageError {
    let corrupt = e.kind() == rocksdb::ErrorKind::Corruption;
    let reason = e.into_string();
    if corrupt {
        StorageError::Corrupt {
            path: path.to_path_buf(),
            reason,
        }
    } else {
        StorageError::Database {
            path: path.to_path_buf(),
            reason,
        }
    }
}
