//! The node's own observation chain in its store ([`Column::Observations`]): key layout and
//! record encodings, specified in `docs/storage.md`.
//!
//! Every key written here starts with `"own."`, so that the column can later
//! hold other records (peers' observations) under other prefixes:
//!
//! - `"own.epoch."` ‖ sequence (`u64` BE) → the signed root (180 bytes) ‖ the epoch's
//!   observations in leaf order (41 bytes each);
//! - `"own.tx."` ‖ tx (32) ‖ sequence (`u64` BE) ‖ leaf index (`u32` BE) → empty: a prefix scan
//!   by `"own.tx."` ‖ tx lists a transaction's observations oldest first;
//! - `"own.last"` → the latest signed root (180 bytes), where the chain continues.
//!
//! One flush is one [`WriteBatch`] holding all three, so a crash leaves either the whole epoch
//! or none of it.

use super::{OBSERVATION_LEN, ObsError, Observation, SIGNED_ROOT_LEN, SignedRoot};
use crate::Result;
use crate::storage::{Column, Store, WriteBatch};
use crate::tx::TxHash;

/// The prefix of an epoch record's key; the sequence follows.
pub(super) const EPOCH_PREFIX: &[u8] = b"own.epoch.";
/// The prefix of a transaction index entry's key; tx, sequence and leaf index follow.
pub(super) const TX_PREFIX: &[u8] = b"own.tx.";
/// The key of the latest signed root.
pub(super) const LAST_KEY: &[u8] = b"own.last";

const EPOCH_KEY_LEN: usize = EPOCH_PREFIX.len() + 8;
const TX_KEY_LEN: usize = TX_PREFIX.len() + 32 + 8 + 4;

/// The key of the epoch record of `sequence`.
pub(super) fn epoch_key(sequence: u64) -> [u8; EPOCH_KEY_LEN] {
    let mut key = [0u8; EPOCH_KEY_LEN];
    key[..EPOCH_PREFIX.len()].copy_from_slice(EPOCH_PREFIX);
    key[EPOCH_PREFIX.len()..].copy_from_slice(&sequence.to_be_bytes());
    key
}

/// The prefix under which every index entry of `tx` lies.
pub(super) fn tx_prefix(tx: &TxHash) -> [u8; TX_PREFIX.len() + 32] {
    let mut key = [0u8; TX_PREFIX.len() + 32];
    key[..TX_PREFIX.len()].copy_from_slice(TX_PREFIX);
    key[TX_PREFIX.len()..].copy_from_slice(&tx.0);
    key
}

/// The index entry's key of observation `index` of epoch `sequence`, of transaction `tx`.
pub(super) fn tx_key(tx: &TxHash, sequence: u64, index: u32) -> [u8; TX_KEY_LEN] {
    let mut key = [0u8; TX_KEY_LEN];
    let at = TX_PREFIX.len() + 32;
    key[..at].copy_from_slice(&tx_prefix(tx));
    key[at..at + 8].copy_from_slice(&sequence.to_be_bytes());
    key[at + 8..].copy_from_slice(&index.to_be_bytes());
    key
}

/// The batch that records a flushed epoch: its record, one index entry per observation, and
/// the new latest root.
pub(super) fn epoch_batch(signed: &SignedRoot, observations: &[Observation]) -> WriteBatch {
    let sequence = signed.header.sequence;
    let mut record = Vec::with_capacity(SIGNED_ROOT_LEN + observations.len() * OBSERVATION_LEN);
    record.extend_from_slice(&signed.encode());
    for obs in observations {
        record.extend_from_slice(&obs.encode());
    }
    let mut batch = WriteBatch::new();
    batch.put(Column::Observations, epoch_key(sequence), record);
    for (i, obs) in observations.iter().enumerate() {
        let index = u32::try_from(i).expect("a root's leaf count is a u32");
        batch.put(
            Column::Observations,
            tx_key(&obs.tx, sequence, index),
            Vec::new(),
        );
    }
    batch.put(Column::Observations, LAST_KEY, signed.encode());
    batch
}

/// The latest signed root in `store`, if the node ever flushed one.
pub(super) fn load_last(store: &dyn Store) -> Result<Option<SignedRoot>> {
    let Some(bytes) = store.get(Column::Observations, LAST_KEY)? else {
        return Ok(None);
    };
    let root = SignedRoot::decode(&bytes).map_err(|e| corrupt("the latest root", e))?;
    Ok(Some(root))
}

/// The signed root and observations of epoch `sequence`, if stored.
pub(super) fn load_epoch(
    store: &dyn Store,
    sequence: u64,
) -> Result<Option<(SignedRoot, Vec<Observation>)>> {
    let Some(bytes) = store.get(Column::Observations, &epoch_key(sequence))? else {
        return Ok(None);
    };
    let record = || format!("epoch {sequence}");
    if bytes.len() < SIGNED_ROOT_LEN {
        return Err(ObsError::CorruptChain {
            record: record(),
            reason: format!("{} bytes, shorter than a signed root", bytes.len()),
        }
        .into());
    }
    let (root, rest) = bytes.split_at(SIGNED_ROOT_LEN);
    let signed = SignedRoot::decode(root).map_err(|e| corrupt(&record(), e))?;
    let count = usize::try_from(signed.header.leaf_count).unwrap_or(usize::MAX);
    if signed.header.sequence != sequence || rest.len() != count.saturating_mul(OBSERVATION_LEN) {
        return Err(ObsError::CorruptChain {
            record: record(),
            reason: format!(
                "holds root {} with {} leaves and {} bytes of observations",
                signed.header.sequence,
                signed.header.leaf_count,
                rest.len()
            ),
        }
        .into());
    }
    let observations = rest
        .chunks_exact(OBSERVATION_LEN)
        .map(Observation::decode)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| corrupt(&record(), e))?;
    Ok(Some((signed, observations)))
}

/// Every stored observation of `tx` as (sequence, leaf index), oldest first.
pub(super) fn tx_entries(store: &dyn Store, tx: &TxHash) -> Result<Vec<(u64, u32)>> {
    let prefix = tx_prefix(tx);
    store
        .scan_prefix(Column::Observations, &prefix)?
        .into_iter()
        .map(|(key, _)| {
            if key.len() != TX_KEY_LEN {
                return Err(ObsError::CorruptChain {
                    record: format!("the index entry of transaction {tx}"),
                    reason: format!("a key of {} bytes, {TX_KEY_LEN} expected", key.len()),
                }
                .into());
            }
            let at = prefix.len();
            let sequence = u64::from_be_bytes(key[at..at + 8].try_into().expect("8 bytes"));
            let index = u32::from_be_bytes(key[at + 8..].try_into().expect("4 bytes"));
            Ok((sequence, index))
        })
        .collect()
}

fn corrupt(record: &str, e: ObsError) -> crate::NodeError {
    ObsError::CorruptChain {
        record: record.to_string(),
        reason: e.to_string(),
    }
    .into()
}
