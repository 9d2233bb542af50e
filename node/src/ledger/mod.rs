//! The ledger: the node's transaction pipeline, from submission to commit.
//!
//! A transaction goes through these steps (states and rules in `docs/ledger.md`):
//!
//! 1. [`Ledger::submit`]: deduplicated (any known hash is a [`Submission::Duplicate`]),
//!    stateless checks, chain id of every output, then queued in the signature batcher;
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
mod pipeline;
mod seen;
mod utxo;

pub use config::LedgerConfig;
pub use error::LedgerError;
pub use events::{ConflictSet, LedgerEvent, RejectReason, SpendCheck, SpendValidator, Submission};
pub use genesis::{GENESIS_DOMAIN, Genesis};
pub use utxo::UtxoPage;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use ramjet_accel::Accelerator;
use sha2::{Digest, Sha256};

use crate::metrics::NodeMetrics;
use crate::observe::TxState;
use crate::storage::{Column, Store, WriteBatch, owner_key, utxo_key};
use crate::tx::{AssetId, KeyHash, OutPoint, Output, Transaction, TxHash};

use batcher::{Batcher, QueuedTx};
use codec::{BURNT_PREFIX, GENESIS_KEY, decode_tx_record, encode_output, output_bytes};
use seen::SeenSet;
use utxo::UtxoSet;

/// Where a transaction known in memory (past the batcher, not final) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Valid, no conflict; committed at `due_ms` (end of its quiet period).
    Pending { due_ms: u64 },
    /// Spends an outpoint another unrejected transaction spends.
    Conflicted,
    /// Waits for `missing`: an output not committed yet (released when it is committed), or,
    /// when `retry`, an output whose contract code is unavailable (or whose resolution failed on
    /// a store error), resolved again at every tick. Rejected at `expires_ms`.
    Held {
        missing: OutPoint,
        expires_ms: u64,
        retry: bool,
    },
}

/// A transaction in memory, with its arrival order at this node.
#[derive(Debug, Clone)]
struct LiveTx {
    tx: Transaction,
    seq: u64,
    stage: Stage,
}

/// An unresolved conflict's bookkeeping (its spenders are in `Ledger::spenders`).
#[derive(Debug, Clone, Copy)]
struct Conflict {
    first_seen: TxHash,
    detected_ms: u64,
}

/// The transaction pipeline over a [`Store`] and an [`Accelerator`]. See the module docs.
pub struct Ledger {
    store: Arc<dyn Store>,
    accel: Arc<Accelerator>,
    config: LedgerConfig,
    genesis_hash: TxHash,
    genesis_outputs: u32,
    validator: Option<Arc<dyn SpendValidator>>,
    /// Where the batcher records each signature batch, if anywhere.
    metrics: Option<NodeMetrics>,
    utxos: UtxoSet,
    batcher: Batcher,
    /// Held, Pending and Conflicted transactions.
    live: HashMap<TxHash, LiveTx>,
    next_seq: u64,
    /// Pending transactions by (end of quiet period, arrival).
    pending: BTreeSet<(u64, u64, TxHash)>,
    /// Held transactions by (expiry, arrival).
    holds: BTreeSet<(u64, u64, TxHash)>,
    /// Transactions held for a missing output, by that output.
    held_on: HashMap<OutPoint, Vec<TxHash>>,
    /// Held transactions resolved again at every tick (see [`Stage::Held`]), by arrival.
    retry_holds: BTreeSet<(u64, TxHash)>,
    /// Pending and Conflicted spenders of each outpoint, in arrival order.
    spenders: BTreeMap<OutPoint, Vec<TxHash>>,
    conflicts: BTreeMap<OutPoint, Conflict>,
    rejected: SeenSet,
    /// Events of a tick that failed after making changes, reported by the next tick.
    unreported: Vec<LedgerEvent>,
    /// While true, no quiet period ends and no hold expires ([`Ledger::set_paused`]).
    paused: bool,
    /// Fees burnt so far per asset (as committed).
    burnt: BTreeMap<AssetId, u128>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("chain_id", &self.config.chain_id)
            .field("genesis", &self.genesis_hash)
            .field("live", &self.live.len())
            .field("held", &self.holds.len())
            .field("conflicts", &self.conflicts.len())
            .finish_non_exhaustive()
    }
}

// The node and the simulator move ledgers between threads.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Ledger>();
};

impl Ledger {
    /// Opens the ledger on `store`. A fresh store gets the genesis UTXOs and a genesis record
    /// in one atomic write; an existing one must have been created with the same genesis
    /// ([`LedgerError::GenesisMismatch`] otherwise), and its committed state (UTXOs, accepted
    /// transactions, burnt fees) is what the ledger reads from then on.
    pub fn open(
        store: Arc<dyn Store>,
        accel: Arc<Accelerator>,
        genesis: &Genesis,
        config: LedgerConfig,
    ) -> Result<Ledger, LedgerError> {
        config.validate()?;
        genesis.validate(config.chain_id)?;
        let genesis_hash = genesis.hash();
        match store.get(Column::Metadata, GENESIS_KEY)? {
            Some(bytes) => {
                let stored =
                    TxHash(
                        bytes
                            .try_into()
                            .map_err(|bytes: Vec<u8>| LedgerError::Corrupt {
                                what: format!("genesis record of {} bytes", bytes.len()),
                            })?,
                    );
                if stored != genesis_hash {
                    return Err(LedgerError::GenesisMismatch {
                        stored,
                        expected: genesis_hash,
                    });
                }
            }
            None => {
                for column in [Column::Utxos, Column::Transactions, Column::Owners] {
                    if !store.scan_prefix(column, b"")?.is_empty() {
                        return Err(LedgerError::Corrupt {
                            what: format!(
                                "the store has no genesis record but its {} column is not empty",
                                column.name()
                            ),
                        });
                    }
                }
                let mut batch = WriteBatch::new();
                for (index, output) in genesis.outputs.iter().enumerate() {
                    let outpoint = OutPoint {
                        tx: genesis_hash,
                        index: index as u32,
                    };
                    batch.put(Column::Utxos, utxo_key(&outpoint), output_bytes(output));
                    batch.put(
                        Column::Owners,
                        owner_key(&output.address.key_hash, &outpoint),
                        Vec::new(),
                    );
                }
                batch.put(Column::Metadata, GENESIS_KEY, genesis_hash.0);
                store.write(batch)?;
            }
        }
        let mut burnt = BTreeMap::new();
        for (key, value) in store.scan_prefix(Column::Metadata, BURNT_PREFIX)? {
            let corrupt = || LedgerError::Corrupt {
                what: format!("burnt-fee record {}", hex::encode(&key)),
            };
            let asset: [u8; 32] = key[BURNT_PREFIX.len()..]
                .try_into()
                .map_err(|_| corrupt())?;
            let amount: [u8; 16] = value.as_slice().try_into().map_err(|_| corrupt())?;
            burnt.insert(AssetId(asset), u128::from_le_bytes(amount));
        }
        Ok(Ledger {
            utxos: UtxoSet::new(store.clone()),
            batcher: Batcher::new(config.batch_max_signatures, config.batch_deadline_ms),
            rejected: SeenSet::new(config.seen_limit),
            store,
            accel,
            genesis_hash,
            genesis_outputs: genesis.outputs.len() as u32,
            validator: None,
            metrics: None,
            live: HashMap::new(),
            next_seq: 0,
            pending: BTreeSet::new(),
            holds: BTreeSet::new(),
            held_on: HashMap::new(),
            retry_holds: BTreeSet::new(),
            unreported: Vec::new(),
            paused: false,
            spenders: BTreeMap::new(),
            conflicts: BTreeMap::new(),
            burnt,
            config,
        })
    }

    /// Installs the contract engine that checks spends of outputs with a contract. Without
    /// one, a spend of an output with a contract is rejected.
    pub fn set_spend_validator(&mut self, validator: Arc<dyn SpendValidator>) {
        self.validator = Some(validator);
    }

    /// Has every signature batch recorded in `metrics` from now on: its size and latency,
    /// under the accelerator backend it was routed to ([`NodeMetrics::record_sig_batch`]).
    pub fn set_metrics(&mut self, metrics: NodeMetrics) {
        self.metrics = Some(metrics);
    }

    /// Deduplicates, runs the stateless checks and the chain-id check, and queues the
    /// signatures in the batcher. Call [`Self::tick`] by [`Self::next_deadline`] to have them
    /// verified.
    pub fn submit(&mut self, tx: Transaction, now_ms: u64) -> Submission {
        let hash = tx.hash();
        if self.is_known(&hash) {
            return Submission::Duplicate;
        }
        let rejection = match tx.check_stateless() {
            Err(e) => Some(RejectReason::Stateless(e)),
            Ok(()) => tx
                .outputs
                .iter()
                .enumerate()
                .find(|(_, output)| output.address.chain_id != self.config.chain_id)
                .map(|(index, output)| RejectReason::WrongChain {
                    index,
                    chain_id: output.address.chain_id,
                }),
        };
        if let Some(reason) = rejection {
            self.rejected.insert(hash);
            return Submission::Rejected(reason);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.batcher.push(QueuedTx { hash, seq, tx }, now_ms);
        Submission::Queued
    }

    /// Does all due work at `now_ms`, in this order: flushes the batcher if full or past its
    /// deadline (one accelerator call) and resolves the verified transactions; retries
    /// transactions held for an unavailable contract; commits every PENDING transaction whose
    /// quiet period has ended (one write) and then re-resolves the transactions held for their
    /// outputs; rejects holds past their timeout.
    ///
    /// On an error (the accelerator or the store failed) the changes made before it are kept,
    /// and their events are returned by the next successful tick, first; a failed commit
    /// leaves its transactions Pending, to be committed by a later tick.
    pub fn tick(&mut self, now_ms: u64) -> Result<Vec<LedgerEvent>, LedgerError> {
        let mut events = std::mem::take(&mut self.unreported);
        match self.tick_steps(now_ms, &mut events) {
            Ok(()) => Ok(events),
            Err(e) => {
                // Changes already made are kept, and reported by the next successful tick.
                self.unreported = events;
                Err(e)
            }
        }
    }

    /// The ledger's configuration.
    pub fn config(&self) -> &LedgerConfig {
        &self.config
    }

    /// Pauses (or resumes) the ledger's final decisions: while paused, [`Self::tick`] still
    /// verifies batches and makes transactions Pending, Held or Conflicted, but commits nothing
    /// and lets no hold expire — each waits until the ledger resumes. A node that knows it
    /// may be missing messages (it dropped some under load) pauses, so that it does not
    /// accept a transaction whose conflicting spender it has not received yet.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// Transactions Pending or Conflicted now: verified, not final (held ones not counted).
    pub fn pending_count(&self) -> usize {
        self.live.len().saturating_sub(self.holds.len())
    }

    /// Whether the ledger is paused ([`Self::set_paused`]).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// The earliest time at which [`Self::tick`] has work to do (batch due, quiet period end,
    /// hold expiry — while paused, only a batch), if any; it may be in the past.
    pub fn next_deadline(&self) -> Option<u64> {
        let finals = !self.paused;
        [
            self.batcher.due_at(),
            self.pending
                .first()
                .filter(|_| finals)
                .map(|(due_ms, _, _)| *due_ms),
            self.holds
                .first()
                .filter(|_| finals)
                .map(|(expires_ms, _, _)| *expires_ms),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The transaction's state: Pending or Conflicted (in memory), Accepted (committed),
    /// Rejected (while remembered, see `seen_limit`); `None` if unknown, still queued for its
    /// signature check, or held.
    pub fn state(&self, tx: &TxHash) -> Option<TxState> {
        if let Some(live) = self.live.get(tx) {
            return match live.stage {
                Stage::Pending { .. } => Some(TxState::Pending),
                Stage::Conflicted => Some(TxState::Conflicted),
                Stage::Held { .. } => None,
            };
        }
        if self.rejected.contains(tx) {
            return Some(TxState::Rejected);
        }
        if self.batcher.contains(tx) {
            return None;
        }
        match self.stored(tx) {
            Ok(stored) => stored.map(|(state, _)| state),
            Err(e) => {
                tracing::warn!("reading transaction {tx}: {e}");
                None
            }
        }
    }

    /// The transaction, if queued, held, pending, conflicted or committed.
    pub fn transaction(&self, tx: &TxHash) -> Option<Transaction> {
        if let Some(live) = self.live.get(tx) {
            return Some(live.tx.clone());
        }
        if let Some(queued) = self.batcher.get(tx) {
            return Some(queued.clone());
        }
        match self.stored(tx) {
            Ok(stored) => stored.map(|(_, tx)| tx),
            Err(e) => {
                tracing::warn!("reading transaction {tx}: {e}");
                None
            }
        }
    }

    /// The unresolved conflicts, sorted by outpoint.
    pub fn conflicts(&self) -> Vec<ConflictSet> {
        self.conflicts
            .iter()
            .map(|(outpoint, conflict)| ConflictSet {
                outpoint: *outpoint,
                spenders: self.sorted_spenders(outpoint),
                first_seen: conflict.first_seen,
                detected_ms: conflict.detected_ms,
            })
            .collect()
    }

    /// Decides the conflict on `outpoint` for `winner`: every other spender is rejected
    /// ([`RejectReason::LostConflict`]); the winner, if it is in no other unresolved conflict,
    /// is committed at once (the conflict window served as its quiet period), provided its
    /// inputs are still live; otherwise it stays Conflicted. A spender left alone in another
    /// conflict by a loser's rejection goes back to Pending with a new quiet period.
    pub fn resolve_conflict(
        &mut self,
        outpoint: &OutPoint,
        winner: &TxHash,
        now_ms: u64,
    ) -> Result<Vec<LedgerEvent>, LedgerError> {
        if !self.conflicts.contains_key(outpoint) {
            return Err(LedgerError::NoSuchConflict {
                outpoint: *outpoint,
            });
        }
        let spenders = self.spenders.get(outpoint).cloned().unwrap_or_default();
        if !spenders.contains(winner) {
            return Err(LedgerError::NotASpender {
                outpoint: *outpoint,
                winner: *winner,
            });
        }
        let losers: Vec<TxHash> = spenders.into_iter().filter(|s| s != winner).collect();
        // Is the winner in another conflict with a spender that is not rejected now?
        let contested_elsewhere = self.live.get(winner).is_some_and(|live| {
            live.tx.inputs.iter().any(|input| {
                input.outpoint != *outpoint
                    && self.conflicts.contains_key(&input.outpoint)
                    && self.spenders.get(&input.outpoint).is_some_and(|rivals| {
                        rivals
                            .iter()
                            .any(|rival| rival != winner && !losers.contains(rival))
                    })
            })
        });
        // The commit comes first: if the write fails, nothing has changed.
        let mut accepted = Vec::new();
        if !contested_elsewhere {
            self.commit(&[*winner], now_ms, &mut accepted)?;
        }
        self.conflicts.remove(outpoint);
        let mut events = Vec::new();
        for loser in losers {
            let reason = RejectReason::LostConflict {
                outpoint: *outpoint,
                winner: *winner,
            };
            self.reject(loser, reason, now_ms, &mut events);
        }
        events.extend(accepted);
        Ok(events)
    }

    /// The committed unspent output at `outpoint`, if any.
    pub fn utxo(&self, outpoint: &OutPoint) -> Result<Option<Output>, LedgerError> {
        self.utxos.read(outpoint)
    }

    /// Every committed unspent output, sorted by outpoint.
    pub fn utxos(&self) -> Result<Vec<(OutPoint, Output)>, LedgerError> {
        self.utxos.all()
    }

    /// The committed unspent outputs whose address has key hash `owner`, sorted by outpoint:
    /// read through the index [`Column::Owners`], so the cost grows with the owner's outputs,
    /// not the whole set.
    pub fn utxos_of(&self, owner: &KeyHash) -> Result<Vec<(OutPoint, Output)>, LedgerError> {
        self.utxos.owned_by(owner)
    }

    /// A page of [`Self::utxos_of`]: at most `limit` UTXOs, the first after the outpoint `after`
    /// (from the first when `None`), and whether more follow.
    pub fn utxos_of_page(
        &self,
        owner: &KeyHash,
        after: Option<&OutPoint>,
        limit: usize,
    ) -> Result<UtxoPage, LedgerError> {
        self.utxos.owned_by_page(owner, after, limit)
    }

    /// Per asset: the sum of the UTXOs' amounts plus the fees burnt so far. Equals the genesis
    /// supply at all times.
    pub fn supply(&self) -> Result<BTreeMap<AssetId, u128>, LedgerError> {
        let mut supply = self.burnt.clone();
        self.utxos.for_each(|_, output| {
            *supply.entry(output.asset).or_insert(0) += u128::from(output.amount);
        })?;
        Ok(supply)
    }

    /// SHA-256 over the sorted UTXO set: for each UTXO in outpoint order, its 36-byte key
    /// ([`utxo_key`]) then its output's canonical bytes. Equal digests, equal UTXO sets. It
    /// reads the whole set, one UTXO at a time (bounded memory), so it takes time in
    /// proportion to the set's size.
    pub fn utxo_digest(&self) -> Result<[u8; 32], LedgerError> {
        let mut hasher = Sha256::new();
        let mut bytes = Vec::new();
        self.utxos.for_each(|outpoint, output| {
            bytes.clear();
            bytes.extend_from_slice(&utxo_key(&outpoint));
            encode_output(&output, &mut bytes);
            hasher.update(&bytes);
        })?;
        Ok(hasher.finalize().into())
    }

    /// Whether the hash is known in any state.
    fn is_known(&self, hash: &TxHash) -> bool {
        self.live.contains_key(hash)
            || self.batcher.contains(hash)
            || self.rejected.contains(hash)
            || matches!(self.stored(hash), Ok(Some(_)))
    }

    /// The committed record of `hash`, if any.
    fn stored(&self, hash: &TxHash) -> Result<Option<(TxState, Transaction)>, LedgerError> {
        self.store
            .get(Column::Transactions, &hash.0)?
            .map(|bytes| decode_tx_record(hash, &bytes))
            .transpose()
    }

    fn sorted_spenders(&self, outpoint: &OutPoint) -> Vec<TxHash> {
        let mut spenders = self.spenders.get(outpoint).cloned().unwrap_or_default();
        spenders.sort();
        spenders
    }

    /// Whether `hash` spends an outpoint with an unresolved conflict.
    fn in_conflict(&self, hash: &TxHash) -> bool {
        self.live.get(hash).is_some_and(|live| {
            live.tx
                .inputs
                .iter()
                .any(|input| self.conflicts.contains_key(&input.outpoint))
        })
    }
}
