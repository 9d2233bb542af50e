//! The ledger: the node's transaction pipeline, from submission to commit.
//!
//! A transaction goes through these steps (states and rules in `docs/ledger.md`):
//!
//! 1. [`Ledger::submit`]: deduplicated (any known hash is a [`Submission::Duplicate`]),
//!    stateless checks, chain id of every output, then queued in the signature [`batcher`];
//! 2. [`Ledger::tick`] flushes the batcher when full or past its deadline: one
//!    [`Accelerator::ed25519_verify`] call for every queued transaction;
//! 3. inputs are resolved against the committed UTXO set (owner, contract, balance); an input
//!    created by a transaction not yet committed makes the transaction *held*;
//! 4. conflict check: two unrejected spenders of one outpoint are both Conflicted, until
//!    [`Ledger::resolve_conflict`] decides;
//! 5. PENDING transactions with no conflict for `quiet_period_ms` are committed, all those due
//!    in one tick in one atomic [`crate::storage::WriteBatch`], and only then reported ACCEPTED.
//!
//! The ledger never reads a clock: every call takes `now_ms`, so runs are reproducible.

mod batcher;
mod codec;
mod config;
mod error;
mod events;
mod genesis;
mod utxo;

pub use config::LedgerConfig;
pub use error::LedgerError;
pub use events::{ConflictSet, LedgerEvent, RejectReason, SpendCheck, SpendValidator, Submission};
pub use genesis::{GENESIS_DOMAIN, Genesis};

use std::collections::BTreeMap;
use std::sync::Arc;

use ramjet_accel::Accelerator;

use crate::observe::TxState;
use crate::storage::Store;
use crate::tx::{AssetId, OutPoint, Output, Transaction, TxHash};

/// The transaction pipeline over a [`Store`] and an [`Accelerator`]. See the module docs.
pub struct Ledger {
    store: Arc<dyn Store>,
    accel: Arc<Accelerator>,
    config: LedgerConfig,
}

impl Ledger {
    /// Opens the ledger on `store`. A fresh store gets the genesis UTXOs and a genesis record
    /// in one atomic write; an existing one must have been created with the same genesis
    /// ([`LedgerError::GenesisMismatch`] otherwise), and its committed state is recovered.
    pub fn open(
        store: Arc<dyn Store>,
        accel: Arc<Accelerator>,
        genesis: &Genesis,
        config: LedgerConfig,
    ) -> Result<Ledger, LedgerError> {
        let _ = (&store, &accel, genesis, &config);
        unimplemented!()
    }

    /// Installs the contract engine that checks spends of outputs with a contract.
    pub fn set_spend_validator(&mut self, validator: Arc<dyn SpendValidator>) {
        let _ = validator;
        unimplemented!()
    }

    /// Deduplicates, runs the stateless checks and the chain-id check, and queues the
    /// signatures in the batcher.
    pub fn submit(&mut self, tx: Transaction, now_ms: u64) -> Submission {
        let _ = (tx, now_ms);
        unimplemented!()
    }

    /// Does all due work at `now_ms`: flushes the batcher if full or past its deadline, resolves
    /// the verified transactions, commits PENDING transactions whose quiet period has passed
    /// (one write), releases held transactions whose input was committed, expires holds.
    pub fn tick(&mut self, now_ms: u64) -> Result<Vec<LedgerEvent>, LedgerError> {
        let _ = now_ms;
        unimplemented!()
    }

    /// The earliest time at which [`Self::tick`] has work to do, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        unimplemented!()
    }

    /// The transaction's state: Pending or Conflicted (in memory), Accepted (committed),
    /// Rejected (while remembered); `None` if unknown, queued or held.
    pub fn state(&self, tx: &TxHash) -> Option<TxState> {
        let _ = tx;
        unimplemented!()
    }

    /// The transaction, if queued, held, pending, conflicted or committed.
    pub fn transaction(&self, tx: &TxHash) -> Option<Transaction> {
        let _ = tx;
        unimplemented!()
    }

    /// The unresolved conflicts, sorted by outpoint.
    pub fn conflicts(&self) -> Vec<ConflictSet> {
        unimplemented!()
    }

    /// Decides the conflict on `outpoint` for `winner`: every other spender is rejected
    /// ([`RejectReason::LostConflict`]); the winner, if in no other unresolved conflict and its
    /// inputs still live, is committed at once.
    pub fn resolve_conflict(
        &mut self,
        outpoint: &OutPoint,
        winner: &TxHash,
        now_ms: u64,
    ) -> Result<Vec<LedgerEvent>, LedgerError> {
        let _ = (outpoint, winner, now_ms);
        unimplemented!()
    }

    /// The committed unspent output at `outpoint`, if any.
    pub fn utxo(&self, outpoint: &OutPoint) -> Result<Option<Output>, LedgerError> {
        let _ = outpoint;
        unimplemented!()
    }

    /// Every committed unspent output, sorted by outpoint.
    pub fn utxos(&self) -> Result<Vec<(OutPoint, Output)>, LedgerError> {
        unimplemented!()
    }

    /// Per asset: the sum of the UTXOs' amounts plus the fees burnt so far. Equals the genesis
    /// supply at all times.
    pub fn supply(&self) -> Result<BTreeMap<AssetId, u128>, LedgerError> {
        unimplemented!()
    }

    /// SHA-256 over the sorted UTXO set's canonical bytes: equal digests, equal UTXO sets.
    pub fn utxo_digest(&self) -> Result<[u8; 32], LedgerError> {
        unimplemented!()
    }
}
