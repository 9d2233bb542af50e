//! [`LedgerError`]: what can go wrong in the ledger itself (as opposed to a transaction being
//! rejected, which is a [`super::RejectReason`]).

use crate::storage::StorageError;
use crate::tx::{OutPoint, TxHash};

/// What can go wrong opening or running a [`super::Ledger`].
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The configuration is invalid; every problem found is listed.
    #[error("invalid ledger configuration: {}", problems.join("; "))]
    Config {
        /// One sentence per violated rule.
        problems: Vec<String>,
    },
    /// The genesis is invalid (wrong chain id, an invalid output).
    #[error("invalid genesis: {reason}")]
    InvalidGenesis {
        /// What is wrong.
        reason: String,
    },
    /// The store was created with another genesis.
    #[error("the store holds genesis {stored}, but this node runs genesis {expected}")]
    GenesisMismatch {
        /// The genesis hash recorded in the store.
        stored: TxHash,
        /// The hash of the genesis given to [`super::Ledger::open`].
        expected: TxHash,
    },
    /// A record in the store cannot be decoded, or the store holds ledger data but no genesis
    /// record.
    #[error("corrupt ledger record: {what}")]
    Corrupt {
        /// Which record, and why.
        what: String,
    },
    /// The store could not be read or written.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The accelerator failed to verify a signature batch (the batch stays queued).
    #[error("signature batch: {0}")]
    Accel(#[from] ramjet_accel::AccelError),
    /// The accelerator returned a number of verdicts other than the batch's size.
    #[error("signature batch of {expected} items got {actual} verdicts")]
    VerdictCount {
        /// Items in the batch.
        expected: usize,
        /// Verdicts returned.
        actual: usize,
    },
    /// [`super::Ledger::resolve_conflict`] named an outpoint with no unresolved conflict.
    #[error("no unresolved conflict on {outpoint:?}")]
    NoSuchConflict {
        /// The outpoint named.
        outpoint: OutPoint,
    },
    /// [`super::Ledger::resolve_conflict`] named a winner that is not a spender in the conflict.
    #[error("{winner} is not a spender in the conflict on {outpoint:?}")]
    NotASpender {
        /// The conflict's outpoint.
        outpoint: OutPoint,
        /// The winner named.
        winner: TxHash,
    },
}
