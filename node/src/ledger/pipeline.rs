//! The ledger's steps after signature verification: resolution of inputs against the
//! committed UTXO set, holds, conflicts, rejection, and commits.

use std::collections::{BTreeMap, BTreeSet};

use crate::observe::TxState;
use crate::storage::{Column, WriteBatch, owner_key, utxo_key};
use crate::tx::{AssetId, OutPoint, Output, TxHash};

use super::batcher::QueuedTx;
use super::codec::{burnt_key, encode_tx_record, output_bytes};
use super::{Conflict, Ledger, LedgerError, LedgerEvent, LiveTx, RejectReason, SpendCheck, Stage};

/// What resolving a transaction's inputs found.
enum Resolution {
    /// Every input is a live UTXO its key owns, contracts allow the spend, amounts balance.
    Valid,
    /// A definitive reason to reject.
    Reject(RejectReason),
    /// An input is not (yet) a committed output, or its contract's code is unavailable.
    Hold { missing: OutPoint, retry: bool },
}

/// How long a re-resolved held transaction has been held (its timeout runs from its first
/// hold), and what it waited for.
#[derive(Clone, Copy)]
pub(super) struct HeldBefore {
    expires_ms: u64,
    missing: OutPoint,
}

/// A transaction that could not be resolved because the store failed, given back.
pub(super) struct Unresolved {
    pub(super) error: LedgerError,
    pub(super) queued: QueuedTx,
}

impl Ledger {
    /// The steps of [`Ledger::tick`], adding to `events`.
    pub(super) fn tick_steps(
        &mut self,
        now_ms: u64,
        events: &mut Vec<LedgerEvent>,
    ) -> Result<(), LedgerError> {
        if self.batcher.is_due(now_ms) {
            let mut checked = self
                .batcher
                .flush(&self.accel, self.metrics.as_ref())?
                .into_iter();
            while let Some((queued, verdict)) = checked.next() {
                let unresolved = match verdict {
                    Err(input) => {
                        let reason = RejectReason::BadSignature { input };
                        self.reject(queued.hash, reason, now_ms, events);
                        continue;
                    }
                    Ok(()) => match self.resolve(queued, None, now_ms, events) {
                        Ok(()) => continue,
                        Err(unresolved) => *unresolved,
                    },
                };
                // Queue again what was not resolved: verified again at the next flush.
                self.batcher.push(unresolved.queued, now_ms);
                for (queued, _) in checked {
                    self.batcher.push(queued, now_ms);
                }
                return Err(unresolved.error);
            }
        }
        self.retry_holds(now_ms, events);
        if self.paused {
            return Ok(());
        }
        let due: Vec<TxHash> = self
            .pending
            .iter()
            .take_while(|(due_ms, _, _)| *due_ms <= now_ms)
            .map(|(_, _, hash)| *hash)
            .collect();
        if !due.is_empty() {
            self.commit(&due, now_ms, events)?;
        }
        self.expire_holds(now_ms, events);
        Ok(())
    }

    /// Resolves a transaction whose signatures are valid: rejects, holds, or makes it Pending
    /// (or Conflicted). On a store error, nothing changed and the transaction is given back.
    pub(super) fn resolve(
        &mut self,
        queued: QueuedTx,
        held: Option<HeldBefore>,
        now_ms: u64,
        events: &mut Vec<LedgerEvent>,
    ) -> Result<(), Box<Unresolved>> {
        let resolution = match self.check_inputs(&queued) {
            Ok(resolution) => resolution,
            Err(error) => return Err(Box::new(Unresolved { error, queued })),
        };
        match resolution {
            Resolution::Reject(reason) => self.reject(queued.hash, reason, now_ms, events),
            Resolution::Hold { missing, retry } => {
                self.hold(queued, missing, retry, held, now_ms, events)
            }
            Resolution::Valid => self.admit(queued, now_ms, events),
        }
        Ok(())
    }

    fn check_inputs(&mut self, queued: &QueuedTx) -> Result<Resolution, LedgerError> {
        let tx = &queued.tx;
        let mut hold = None;
        let mut balance: BTreeMap<AssetId, i128> = BTreeMap::new();
        for (input_index, input) in tx.inputs.iter().enumerate() {
            let outpoint = input.outpoint;
            let Some(spent) = self.utxos.get(&outpoint)? else {
                match self.outputs_of_committed(&outpoint.tx)? {
                    Some(count) if outpoint.index < count => {
                        return Ok(Resolution::Reject(RejectReason::InputSpent {
                            input: input_index,
                            outpoint,
                        }));
                    }
                    Some(_) => {
                        return Ok(Resolution::Reject(RejectReason::NoSuchOutput {
                            input: input_index,
                            outpoint,
                        }));
                    }
                    None => {
                        // Created by a transaction not committed (yet): keep looking for a
                        // definitive rejection, else hold for the first missing input.
                        hold.get_or_insert((outpoint, false));
                        continue;
                    }
                }
            };
            if spent.address.key_hash != input.owner_key_hash() {
                return Ok(Resolution::Reject(RejectReason::WrongOwner {
                    input: input_index,
                }));
            }
            if spent.contract.is_some() {
                match self.check_contract(&spent, queued, input_index) {
                    SpendCheck::Valid => {}
                    SpendCheck::Invalid(reason) => {
                        return Ok(Resolution::Reject(RejectReason::Contract {
                            input: input_index,
                            reason,
                        }));
                    }
                    SpendCheck::Unavailable => {
                        hold.get_or_insert((outpoint, true));
                    }
                }
            }
            *balance.entry(spent.asset).or_insert(0) += i128::from(spent.amount);
        }
        if let Some((missing, retry)) = hold {
            return Ok(Resolution::Hold { missing, retry });
        }
        for output in &tx.outputs {
            *balance.entry(output.asset).or_insert(0) -= i128::from(output.amount);
        }
        if tx.fee.amount > 0 {
            *balance.entry(tx.fee.asset).or_insert(0) -= i128::from(tx.fee.amount);
        }
        if let Some((asset, _)) = balance.iter().find(|(_, net)| **net != 0) {
            return Ok(Resolution::Reject(RejectReason::Unbalanced {
                asset: *asset,
            }));
        }
        Ok(Resolution::Valid)
    }

    fn check_contract(&self, spent: &Output, queued: &QueuedTx, input_index: usize) -> SpendCheck {
        match &self.validator {
            None => SpendCheck::Invalid(
                "the output has a contract and no contract engine (spend validator) is installed"
                    .to_string(),
            ),
            Some(validator) => validator.check_spend(spent, &queued.tx, input_index),
        }
    }

    /// How many outputs the committed transaction (or genesis) `hash` created; `None` if it is
    /// not committed.
    fn outputs_of_committed(&self, hash: &TxHash) -> Result<Option<u32>, LedgerError> {
        if *hash == self.genesis_hash {
            return Ok(Some(self.genesis_outputs));
        }
        Ok(match self.stored(hash)? {
            Some((TxState::Accepted, tx)) => Some(tx.outputs.len() as u32),
            _ => None,
        })
    }

    fn hold(
        &mut self,
        queued: QueuedTx,
        missing: OutPoint,
        retry: bool,
        held: Option<HeldBefore>,
        now_ms: u64,
        events: &mut Vec<LedgerEvent>,
    ) {
        let QueuedTx { hash, seq, tx } = queued;
        let expires_ms = match held {
            Some(before) => before.expires_ms,
            None => {
                if self.holds.len() >= self.config.hold_limit {
                    self.reject(hash, RejectReason::HoldFull, now_ms, events);
                    return;
                }
                now_ms.saturating_add(self.config.hold_timeout_ms)
            }
        };
        self.holds.insert((expires_ms, seq, hash));
        if retry {
            self.retry_holds.insert((seq, hash));
        } else {
            self.held_on.entry(missing).or_default().push(hash);
        }
        self.live.insert(
            hash,
            LiveTx {
                tx,
                seq,
                stage: Stage::Held {
                    missing,
                    expires_ms,
                    retry,
                },
            },
        );
        if held.is_none_or(|before| before.missing != missing) {
            events.push(LedgerEvent::Held { tx: hash, missing });
        }
    }

    /// Takes a held transaction out of the hold, to resolve it again.
    fn unhold(&mut self, hash: &TxHash) -> Option<(QueuedTx, HeldBefore)> {
        let live = self.live.get(hash)?;
        let Stage::Held {
            missing,
            expires_ms,
            retry,
        } = live.stage
        else {
            return None;
        };
        let live = self.live.remove(hash).expect("present");
        self.holds.remove(&(expires_ms, live.seq, *hash));
        if retry {
            self.retry_holds.remove(&(live.seq, *hash));
        } else if let Some(waiting) = self.held_on.get_mut(&missing) {
            waiting.retain(|h| h != hash);
            if waiting.is_empty() {
                self.held_on.remove(&missing);
            }
        }
        Some((
            QueuedTx {
                hash: *hash,
                seq: live.seq,
                tx: live.tx,
            },
            HeldBefore {
                expires_ms,
                missing,
            },
        ))
    }

    /// A valid transaction becomes a spender of its inputs: Pending, or Conflicted with every
    /// other unrejected spender of any of its inputs.
    fn admit(&mut self, queued: QueuedTx, now_ms: u64, events: &mut Vec<LedgerEvent>) {
        let QueuedTx { hash, seq, tx } = queued;
        let mut contested = Vec::new();
        for input in &tx.inputs {
            let spenders = self.spenders.entry(input.outpoint).or_default();
            if !spenders.is_empty() {
                contested.push(input.outpoint);
            }
            spenders.push(hash);
        }
        if contested.is_empty() {
            let due_ms = now_ms.saturating_add(self.config.quiet_period_ms);
            self.pending.insert((due_ms, seq, hash));
            self.live.insert(
                hash,
                LiveTx {
                    tx,
                    seq,
                    stage: Stage::Pending { due_ms },
                },
            );
            events.push(LedgerEvent::Pending { tx: hash });
            return;
        }
        self.live.insert(
            hash,
            LiveTx {
                tx,
                seq,
                stage: Stage::Conflicted,
            },
        );
        for outpoint in contested {
            let spenders = self.spenders[&outpoint].clone();
            for spender in &spenders {
                self.mark_conflicted(spender);
            }
            if !self.conflicts.contains_key(&outpoint) {
                let first_seen = self.earliest(&spenders);
                self.conflicts.insert(
                    outpoint,
                    Conflict {
                        first_seen,
                        detected_ms: now_ms,
                    },
                );
            }
            events.push(LedgerEvent::Conflict {
                outpoint,
                spenders: self.sorted_spenders(&outpoint),
            });
        }
    }

    /// The spender submitted first to this node, of a non-empty list.
    fn earliest(&self, spenders: &[TxHash]) -> TxHash {
        *spenders
            .iter()
            .min_by_key(|s| self.live.get(s).map_or(u64::MAX, |live| live.seq))
            .expect("a conflict has spenders")
    }

    fn mark_conflicted(&mut self, hash: &TxHash) {
        if let Some(live) = self.live.get_mut(hash) {
            if let Stage::Pending { due_ms } = live.stage {
                self.pending.remove(&(due_ms, live.seq, *hash));
            }
            live.stage = Stage::Conflicted;
        }
    }

    /// Rejects `hash` (final): forgets it from memory but for its hash, and releases its
    /// conflicts; a spender left alone in a conflict goes back to Pending if it is in no other
    /// conflict.
    pub(super) fn reject(
        &mut self,
        hash: TxHash,
        reason: RejectReason,
        now_ms: u64,
        events: &mut Vec<LedgerEvent>,
    ) {
        self.unhold(&hash);
        self.rejected.insert(hash);
        events.push(LedgerEvent::Rejected { tx: hash, reason });
        if let Some(live) = self.live.remove(&hash) {
            if let Stage::Pending { due_ms } = live.stage {
                self.pending.remove(&(due_ms, live.seq, hash));
            }
            let mut alone = BTreeSet::new();
            for input in &live.tx.inputs {
                let outpoint = input.outpoint;
                let Some(spenders) = self.spenders.get_mut(&outpoint) else {
                    continue;
                };
                spenders.retain(|s| *s != hash);
                let left = spenders.clone();
                if left.is_empty() {
                    self.spenders.remove(&outpoint);
                }
                if left.len() <= 1 {
                    if self.conflicts.remove(&outpoint).is_some() {
                        alone.extend(left);
                    }
                } else if self
                    .conflicts
                    .get(&outpoint)
                    .is_some_and(|conflict| conflict.first_seen == hash)
                {
                    // The vote goes to the earliest spender still standing.
                    let first_seen = self.earliest(&left);
                    if let Some(conflict) = self.conflicts.get_mut(&outpoint) {
                        conflict.first_seen = first_seen;
                    }
                }
            }
            for survivor in alone {
                self.repend(&survivor, now_ms, events);
            }
        }
    }

    /// A Conflicted transaction no longer in any conflict becomes Pending with a new quiet
    /// period.
    fn repend(&mut self, hash: &TxHash, now_ms: u64, events: &mut Vec<LedgerEvent>) {
        if self.in_conflict(hash) {
            return;
        }
        let due_ms = now_ms.saturating_add(self.config.quiet_period_ms);
        let Some(live) = self.live.get_mut(hash) else {
            return;
        };
        if live.stage != Stage::Conflicted {
            return;
        }
        live.stage = Stage::Pending { due_ms };
        self.pending.insert((due_ms, live.seq, *hash));
        events.push(LedgerEvent::Pending { tx: *hash });
    }

    /// Resolves again the held transactions marked for retry.
    fn retry_holds(&mut self, now_ms: u64, events: &mut Vec<LedgerEvent>) {
        let waiting: Vec<TxHash> = self.retry_holds.iter().map(|(_, h)| *h).collect();
        for hash in waiting {
            if let Some((queued, before)) = self.unhold(&hash) {
                self.resolve_held(queued, before, now_ms, events);
            }
        }
    }

    /// Resolves a transaction taken out of the hold; on a store error it is held again, to be
    /// retried at every tick (the error is logged: the commit that follows meets it too).
    fn resolve_held(
        &mut self,
        queued: QueuedTx,
        before: HeldBefore,
        now_ms: u64,
        events: &mut Vec<LedgerEvent>,
    ) {
        if let Err(unresolved) = self.resolve(queued, Some(before), now_ms, events) {
            let Unresolved { error, queued } = *unresolved;
            tracing::warn!("resolving held transaction {}: {error}", queued.hash);
            self.hold(queued, before.missing, true, Some(before), now_ms, events);
        }
    }

    /// Rejects every hold past its timeout.
    pub(super) fn expire_holds(&mut self, now_ms: u64, events: &mut Vec<LedgerEvent>) {
        while let Some(&(expires_ms, _, hash)) = self.holds.first() {
            if expires_ms > now_ms {
                break;
            }
            let missing = match self.live.get(&hash).map(|live| live.stage) {
                Some(Stage::Held { missing, .. }) => missing,
                _ => unreachable!("every hold entry is a held transaction"),
            };
            self.reject(hash, RejectReason::HoldTimeout { missing }, now_ms, events);
        }
    }

    /// Commits `hashes` (Pending or Conflicted transactions in memory) in one write, then
    /// reports them Accepted and re-resolves the transactions held for their outputs. A
    /// transaction whose inputs are no longer all live is rejected instead (never expected:
    /// only this ledger spends committed outputs, and it never lets two live spenders of one
    /// output both commit). On a write error nothing changes.
    pub(super) fn commit(
        &mut self,
        hashes: &[TxHash],
        now_ms: u64,
        events: &mut Vec<LedgerEvent>,
    ) -> Result<(), LedgerError> {
        let mut batch = WriteBatch::new();
        let mut burnt = self.burnt.clone();
        let mut burnt_changed = BTreeSet::new();
        let mut spent_here = BTreeSet::new();
        let mut committing = Vec::new();
        for hash in hashes {
            let Some(live) = self.live.get(hash) else {
                continue;
            };
            let tx = live.tx.clone();
            let mut spent = None;
            let mut owners = Vec::with_capacity(tx.inputs.len());
            for (input_index, input) in tx.inputs.iter().enumerate() {
                let output = if spent_here.contains(&input.outpoint) {
                    None
                } else {
                    self.utxos.get(&input.outpoint)?
                };
                match output {
                    Some(output) => owners.push(output.address.key_hash),
                    None => {
                        spent = Some(RejectReason::InputSpent {
                            input: input_index,
                            outpoint: input.outpoint,
                        });
                        break;
                    }
                }
            }
            if let Some(reason) = spent {
                self.reject(*hash, reason, now_ms, events);
                continue;
            }
            for (input, owner) in tx.inputs.iter().zip(&owners) {
                spent_here.insert(input.outpoint);
                batch.delete(Column::Utxos, utxo_key(&input.outpoint).to_vec());
                batch.delete(Column::Owners, owner_key(owner, &input.outpoint).to_vec());
            }
            for (index, output) in tx.outputs.iter().enumerate() {
                let outpoint = OutPoint {
                    tx: *hash,
                    index: index as u32,
                };
                batch.put(
                    Column::Utxos,
                    utxo_key(&outpoint).to_vec(),
                    output_bytes(output),
                );
                batch.put(
                    Column::Owners,
                    owner_key(&output.address.key_hash, &outpoint).to_vec(),
                    Vec::new(),
                );
            }
            batch.put(
                Column::Transactions,
                hash.0.to_vec(),
                encode_tx_record(TxState::Accepted, &tx),
            );
            if tx.fee.amount > 0 {
                *burnt.entry(tx.fee.asset).or_insert(0) += u128::from(tx.fee.amount);
                burnt_changed.insert(tx.fee.asset);
            }
            committing.push((*hash, tx));
        }
        if committing.is_empty() {
            return Ok(());
        }
        for asset in &burnt_changed {
            batch.put(
                Column::Metadata,
                burnt_key(asset),
                burnt[asset].to_le_bytes().to_vec(),
            );
        }
        self.store.write(batch)?;

        // Committed: now memory follows.
        self.burnt = burnt;
        for (hash, tx) in &committing {
            let live = self
                .live
                .remove(hash)
                .expect("committing a live transaction");
            if let Stage::Pending { due_ms } = live.stage {
                self.pending.remove(&(due_ms, live.seq, *hash));
            }
            for input in &tx.inputs {
                if let Some(spenders) = self.spenders.get_mut(&input.outpoint) {
                    spenders.retain(|s| s != hash);
                    if spenders.is_empty() {
                        self.spenders.remove(&input.outpoint);
                    }
                }
            }
            self.utxos.committed(
                tx.inputs.iter().map(|input| input.outpoint),
                tx.outputs.iter().enumerate().map(|(index, output)| {
                    let outpoint = OutPoint {
                        tx: *hash,
                        index: index as u32,
                    };
                    (outpoint, output.clone())
                }),
            );
            events.push(LedgerEvent::Accepted { tx: *hash });
        }
        for (hash, tx) in &committing {
            for index in 0..tx.outputs.len() as u32 {
                let outpoint = OutPoint { tx: *hash, index };
                let Some(waiting) = self.held_on.get(&outpoint).cloned() else {
                    continue;
                };
                for held in waiting {
                    if let Some((queued, before)) = self.unhold(&held) {
                        self.resolve_held(queued, before, now_ms, events);
                    }
                }
            }
        }
        Ok(())
    }
}
