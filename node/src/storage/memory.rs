//! [`MemoryStore`]: the store in memory, for unit tests.

use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{CHAIN_KEY, Column, Entry, FORMAT, FORMAT_KEY, Op, StorageError, Store, WriteBatch};

type Columns = [BTreeMap<Vec<u8>, Vec<u8>>; Column::ALL.len()];

/// A [`Store`] in memory: one ordered map per column behind a lock. A batch is applied under
/// the write lock, so readers see all of it or none of it. Its contents start with the same
/// metadata records as a new [`super::RocksStore`].
#[derive(Debug)]
pub struct MemoryStore {
    columns: RwLock<Columns>,
}

impl MemoryStore {
    /// A new store for chain `chain_id`, holding only its metadata records.
    pub fn new(chain_id: &str) -> Self {
        let mut columns: Columns = Default::default();
        let metadata = &mut columns[Column::Metadata.index()];
        metadata.insert(FORMAT_KEY.to_vec(), FORMAT.as_bytes().to_vec());
        metadata.insert(CHAIN_KEY.to_vec(), chain_id.as_bytes().to_vec());
        Self {
            columns: RwLock::new(columns),
        }
    }

    // Applying a batch only inserts into and removes from maps, which do not panic (short of
    // allocation failure, which aborts), so a poisoned lock still guards whole batches.
    fn read(&self) -> RwLockReadGuard<'_, Columns> {
        self.columns.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(&self) -> RwLockWriteGuard<'_, Columns> {
        self.columns.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.read()[column.index()].get(key).cloned())
    }

    fn scan_prefix(&self, column: Column, prefix: &[u8]) -> Result<Vec<Entry>, StorageError> {
        let columns = self.read();
        Ok(columns[column.index()]
            .range(prefix.to_vec()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StorageError> {
        let mut columns = self.write_lock();
        for op in batch.ops {
            match op {
                Op::Put { column, key, value } => {
                    columns[column.index()].insert(key, value);
                }
                Op::Delete { column, key } => {
                    columns[column.index()].remove(&key);
                }
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }
}
