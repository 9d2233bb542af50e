//! The node's store: ordered key-value columns with atomic write batches.
//!
//! [`Store`] is the small interface the node's modules write through. It has two
//! implementations with identical behaviour:
//!
//! - [`RocksStore`]: RocksDB on disk, one column family per [`Column`], writes synced to disk
//!   before [`Store::write`] returns;
//! - [`MemoryStore`]: ordered maps in memory, for unit tests.
//!
//! Keys order bytewise in both, so [`Store::scan_prefix`] returns the same entries in the same
//! order. A data directory carries a format record and the chain id it belongs to
//! ([`FORMAT_KEY`], [`CHAIN_KEY`] in [`Column::Metadata`]); opening one that is foreign or
//! corrupt is refused with a [`StorageError`]. Key layouts and durability: `docs/storage.md`.

mod memory;
mod rocks;

pub use memory::MemoryStore;
pub use rocks::RocksStore;

use std::path::PathBuf;

use crate::tx::{KeyHash, OutPoint};

/// The format record a store writes at creation and requires on open.
pub const FORMAT: &str = "ramjet-store/2";

/// The column families of the previous format, `ramjet-store/1` (before [`Column::Owners`]): a
/// store of that format is refused with a message that says so.
pub(crate) const FORMAT_1_COLUMNS: [&str; 6] = [
    "utxos",
    "transactions",
    "observations",
    "peers",
    "trust",
    "metadata",
];

/// The key, in [`Column::Metadata`], of the format record ([`FORMAT`]).
pub const FORMAT_KEY: &[u8] = b"store.format";

/// The key, in [`Column::Metadata`], of the chain id the store belongs to.
pub const CHAIN_KEY: &[u8] = b"store.chain";

/// The store's columns: separate ordered key spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// Unspent outputs, keyed by [`utxo_key`].
    Utxos,
    /// Transactions, keyed by their 32-byte hash.
    Transactions,
    /// Observations of transactions by peers.
    Observations,
    /// Known peers.
    Peers,
    /// Trust ratings and scores.
    Trust,
    /// The store's own records ([`FORMAT_KEY`], [`CHAIN_KEY`]) and other node metadata.
    Metadata,
    /// The index of [`Column::Utxos`] by owner, keyed by [`owner_key`] (values empty): written
    /// in the same batches as the outputs it lists.
    Owners,
}

impl Column {
    /// Every column, in a fixed order.
    pub const ALL: [Column; 7] = [
        Column::Utxos,
        Column::Transactions,
        Column::Observations,
        Column::Peers,
        Column::Trust,
        Column::Metadata,
        Column::Owners,
    ];

    /// The column's name: its RocksDB column family.
    pub fn name(self) -> &'static str {
        match self {
            Column::Utxos => "utxos",
            Column::Transactions => "transactions",
            Column::Observations => "observations",
            Column::Peers => "peers",
            Column::Trust => "trust",
            Column::Metadata => "metadata",
            Column::Owners => "owners",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The key of an unspent output in [`Column::Utxos`]: the transaction hash (32 bytes) then
/// the output index as a big-endian `u32`, so that a prefix scan by the hash returns a
/// transaction's outputs in index order.
pub fn utxo_key(outpoint: &OutPoint) -> [u8; 36] {
    let mut key = [0u8; 36];
    key[..32].copy_from_slice(&outpoint.tx.0);
    key[32..].copy_from_slice(&outpoint.index.to_be_bytes());
    key
}

/// The key of an unspent output in [`Column::Owners`]: the owner's key hash (32 bytes) then
/// the output's [`utxo_key`], so that a prefix scan by the key hash lists the owner's outputs
/// in outpoint order.
pub fn owner_key(owner: &KeyHash, outpoint: &OutPoint) -> [u8; 68] {
    let mut key = [0u8; 68];
    key[..32].copy_from_slice(&owner.0);
    key[32..].copy_from_slice(&utxo_key(outpoint));
    key
}

/// One change in a [`WriteBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set `key` to `value` in `column`.
    Put {
        /// The column.
        column: Column,
        /// The key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Remove `key` from `column` (nothing if absent).
    Delete {
        /// The column.
        column: Column,
        /// The key.
        key: Vec<u8>,
    },
}

/// Puts and deletes across columns, applied all or nothing by [`Store::write`], in order (a
/// later operation on the same key wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<Op>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a put of `value` at `key` in `column`.
    pub fn put(&mut self, column: Column, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push(Op::Put {
            column,
            key: key.into(),
            value: value.into(),
        });
    }

    /// Adds a delete of `key` in `column`.
    pub fn delete(&mut self, column: Column, key: impl Into<Vec<u8>>) {
        self.ops.push(Op::Delete {
            column,
            key: key.into(),
        });
    }

    /// The operations, in order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the batch has no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A key and its value, as returned by [`Store::scan_prefix`].
pub type Entry = (Vec<u8>, Vec<u8>);

/// Ordered key-value columns with atomic write batches.
pub trait Store: Send + Sync {
    /// The value at `key` in `column`, if any.
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Every entry of `column` whose key starts with `prefix` (every entry for an empty
    /// prefix), in bytewise key order.
    fn scan_prefix(&self, column: Column, prefix: &[u8]) -> Result<Vec<Entry>, StorageError>;

    /// Calls `visit` with each entry [`Self::scan_prefix`] would return, in the same order,
    /// until it returns `false`, without collecting them: a pass over millions of entries in
    /// bounded memory. The default collects through [`Self::scan_prefix`]; [`RocksStore`]
    /// iterates.
    fn visit_prefix(
        &self,
        column: Column,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StorageError> {
        for (key, value) in self.scan_prefix(column, prefix)? {
            if !visit(&key, &value) {
                break;
            }
        }
        Ok(())
    }

    /// [`Self::visit_prefix`] from the first key greater than `after` (the last key a previous
    /// visit saw, say): one page of a long prefix. The default skips the keys up to `after`;
    /// [`RocksStore`] seeks to it.
    fn visit_prefix_after(
        &self,
        column: Column,
        prefix: &[u8],
        after: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StorageError> {
        self.visit_prefix(column, prefix, &mut |key, value| {
            key <= after || visit(key, value)
        })
    }

    /// Applies `batch` atomically: after it returns `Ok`, every operation is applied and
    /// durable (for [`RocksStore`], synced to disk); on error or crash, none or all are.
    fn write(&self, batch: WriteBatch) -> Result<(), StorageError>;

    /// Flushes buffered data to the store's files (writes are already durable through the
    /// write-ahead log; this shortens recovery). Nothing for [`MemoryStore`].
    fn flush(&self) -> Result<(), StorageError>;
}

/// What can go wrong opening, reading or writing a store.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The data directory could not be created or listed.
    #[error("data directory {}: {source}", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The path exists and is not a ramjet store: not a directory, a directory holding other
    /// files, a RocksDB database of something else, or another format version.
    #[error("{} is not a ramjet store: found {found}, expected {expected}", path.display())]
    Foreign {
        /// The data directory.
        path: PathBuf,
        /// What was found.
        found: String,
        /// What a ramjet store has.
        expected: String,
    },
    /// The store belongs to another chain.
    #[error(
        "{} holds chain {found:?}, but this node runs chain {expected:?}",
        path.display()
    )]
    WrongChain {
        /// The data directory.
        path: PathBuf,
        /// The chain id recorded in the store.
        found: String,
        /// The chain id asked for.
        expected: String,
    },
    /// RocksDB reports the database's files as corrupt.
    #[error("store {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The data directory.
        path: PathBuf,
        /// RocksDB's message.
        reason: String,
    },
    /// Any other RocksDB failure (e.g. the directory is locked by another process).
    #[error("store {}: {reason}", path.display())]
    Database {
        /// The data directory.
        path: PathBuf,
        /// RocksDB's message.
        reason: String,
    },
}
