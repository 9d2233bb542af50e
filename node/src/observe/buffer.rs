//! The node's observation buffer: entries appended, flushed into signed, chained roots that are
//! stored before they are published.
//!
//! Each flushed epoch is written to the node's [`Store`] (layout in [`super::persist`]) before
//! [`ObservationBuffer::flush`] returns its root, so a restarted node continues its chain
//! ([`ObservationBuffer::open`]) instead of signing a second root with a sequence it already
//! published (which its peers would hold as evidence of equivocation). Only the latest
//! [`RECENT_EPOCHS`] epochs stay in memory with their trees; proofs in older ones are rebuilt
//! from the store.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use ramjet_accel::{Accelerator, MerkleLeaves, MerkleTree};

use super::persist;
use super::{InclusionProof, ObsError, Observation, RootHeader, SignedRoot};
use crate::Result;
use crate::identity::Identity;
use crate::storage::{MemoryStore, Store};
use crate::tx::TxHash;

/// Flushed epochs kept in memory with their Merkle trees: a minute of flushes at the default
/// flush interval (100 ms, `protocol.flush_interval_ms`). Inclusion proofs in older epochs are
/// rebuilt from the store.
pub const RECENT_EPOCHS: usize = 600;

/// The chain id of the private store of an in-memory buffer ([`ObservationBuffer::new`]).
const IN_MEMORY_CHAIN: &str = "observation-buffer";

/// One flushed epoch: its signed root, its observations in leaf order, and its tree.
#[derive(Debug)]
struct Epoch {
    signed: SignedRoot,
    observations: Vec<Observation>,
    tree: MerkleTree<[u8; 32]>,
}

impl Epoch {
    fn proof(&self, index: u32) -> Option<InclusionProof> {
        let i = usize::try_from(index).ok()?;
        Some(InclusionProof {
            header: self.signed,
            observation: *self.observations.get(i)?,
            index,
            path: self.tree.path(i),
        })
    }
}

/// A node's observations: those not yet flushed, the latest [`RECENT_EPOCHS`] flushed epochs
/// with their trees, and every flushed epoch in the store, so that inclusion proofs can be
/// produced for any of them.
pub struct ObservationBuffer {
    store: Arc<dyn Store>,
    /// Rebuilds the trees of epochs no longer in memory.
    accel: Arc<Accelerator>,
    pending: Vec<Observation>,
    /// The latest flushed epochs, oldest first, with consecutive sequences.
    recent: VecDeque<Epoch>,
    /// The latest signed root, in memory or not: where the chain continues.
    last: Option<SignedRoot>,
    /// For each transaction observed in a `recent` epoch, its most recent (sequence, leaf
    /// index). Entries leave with their epoch.
    latest: HashMap<TxHash, (u64, u32)>,
}

impl std::fmt::Debug for ObservationBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObservationBuffer")
            .field("pending", &self.pending.len())
            .field("recent", &self.recent.len())
            .field("last", &self.last.map(|r| r.header.sequence))
            .finish_non_exhaustive()
    }
}

impl Default for ObservationBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl ObservationBuffer {
    /// An empty buffer with no chain yet, on a private [`MemoryStore`] and a CPU accelerator
    /// (for tests and tools: nothing survives it). The first flush signs sequence 0.
    pub fn new() -> Self {
        Self {
            store: Arc::new(MemoryStore::new(IN_MEMORY_CHAIN)),
            accel: Arc::new(Accelerator::cpu_only()),
            pending: Vec::new(),
            recent: VecDeque::new(),
            last: None,
            latest: HashMap::new(),
        }
    }

    /// The buffer of the node `identity` whose chain is stored in `store`: the next flush
    /// continues the stored chain (the sequence after the latest stored root, chained to its
    /// hash), or signs sequence 0 if the store holds none. `accel` rebuilds the trees of
    /// epochs no longer in memory.
    ///
    /// Fails with [`ObsError::ForeignChain`] if the store holds another node's chain, with
    /// [`ObsError::CorruptChain`] or the root's signature error if its latest root is damaged,
    /// and with the store's error if it cannot be read.
    pub fn open(
        store: Arc<dyn Store>,
        accel: Arc<Accelerator>,
        identity: &Identity,
    ) -> Result<Self> {
        let last = persist::load_last(store.as_ref())?;
        if let Some(root) = &last {
            if &root.header.public_key != identity.public_key() {
                return Err(ObsError::ForeignChain {
                    stored: root.header.node_id(),
                    node: identity.node_id(),
                }
                .into());
            }
            root.verify()?;
        }
        Ok(Self {
            store,
            accel,
            pending: Vec::new(),
            recent: VecDeque::new(),
            last,
            latest: HashMap::new(),
        })
    }

    /// Appends an observation to the current epoch.
    pub fn push(&mut self, observation: Observation) {
        self.pending.push(observation);
    }

    /// Observations appended since the last flush, in order.
    pub fn pending(&self) -> &[Observation] {
        &self.pending
    }

    /// The signed roots of the epochs kept in memory (the latest [`RECENT_EPOCHS`] flushed
    /// since the buffer was created or opened), oldest first. Older roots: [`root`](Self::root).
    pub fn roots(&self) -> impl Iterator<Item = &SignedRoot> {
        self.recent.iter().map(|e| &e.signed)
    }

    /// The number of epochs kept in memory, at most [`RECENT_EPOCHS`].
    pub fn recent_epochs(&self) -> usize {
        self.recent.len()
    }

    /// The latest signed root, if any flush produced one (before a restart too).
    pub fn last_root(&self) -> Option<&SignedRoot> {
        self.last.as_ref()
    }

    /// The signed root with `sequence`, from memory or the store; `None` if there is none.
    pub fn root(&self, sequence: u64) -> Result<Option<SignedRoot>> {
        if let Some(epoch) = self.recent_epoch(sequence) {
            return Ok(Some(epoch.signed));
        }
        Ok(persist::load_epoch(self.store.as_ref(), sequence)?.map(|(signed, _)| signed))
    }

    /// Closes the epoch: builds the RFC 6962 tree over the buffered observations' leaf digests
    /// (in the order appended) with `accel`'s `merkle_sha256`, signs a [`RootHeader`] chained to
    /// the previous one, writes the epoch to the store, keeps it in memory (dropping the oldest
    /// beyond [`RECENT_EPOCHS`]) and returns the signed root.
    ///
    /// An empty buffer produces no root and leaves the chain unchanged (`Ok(None)`): sequences
    /// count roots, not intervals. Fails with [`ObsError::WrongIdentity`] if `identity` is not
    /// the one that signed the earlier roots, with the accelerator's error if the tree cannot
    /// be built, and with the store's error if the epoch cannot be written; the buffered
    /// observations are kept and the chain does not advance on failure.
    pub fn flush(
        &mut self,
        accel: &Accelerator,
        identity: &Identity,
        now_ms: u64,
    ) -> Result<Option<SignedRoot>> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        let leaf_count = u32::try_from(self.pending.len())
            .map_err(|_| ObsError::TooManyObservations(self.pending.len()))?;
        let (sequence, previous) = match &self.last {
            None => (0, [0u8; 32]),
            Some(last) => {
                if &last.header.public_key != identity.public_key() {
                    return Err(ObsError::WrongIdentity.into());
                }
                (last.header.sequence + 1, last.header.hash())
            }
        };
        let digests: Vec<[u8; 32]> = self.pending.iter().map(Observation::leaf_digest).collect();
        let tree = accel.merkle_sha256(MerkleLeaves::Digests(&digests))?;
        let header = RootHeader {
            public_key: *identity.public_key(),
            sequence,
            previous,
            root: tree.root(),
            leaf_count,
            time_ms: now_ms,
        };
        let signed = SignedRoot {
            header,
            signature: identity.sign(&header.signing_message()),
        };
        // Durable before it is returned for publishing: a restart never signs this sequence
        // again.
        self.store
            .write(persist::epoch_batch(&signed, &self.pending))?;
        let observations = std::mem::take(&mut self.pending);
        for (i, obs) in observations.iter().enumerate() {
            self.latest.insert(obs.tx, (sequence, i as u32));
        }
        self.recent.push_back(Epoch {
            signed,
            observations,
            tree,
        });
        self.last = Some(signed);
        while self.recent.len() > RECENT_EPOCHS {
            self.evict_oldest();
        }
        Ok(Some(signed))
    }

    /// Proof of the most recent flushed observation of `tx` (the last one appended, in the
    /// latest epoch that has one), or `None` if no flushed epoch mentions `tx`. Epochs no longer
    /// in memory are read from the store, and their tree rebuilt.
    pub fn inclusion(&self, tx: &TxHash) -> Result<Option<InclusionProof>> {
        if let Some(&(sequence, index)) = self.latest.get(tx) {
            // `latest` covers every epoch in memory, and those are the newest.
            return Ok(self
                .recent_epoch(sequence)
                .and_then(|epoch| epoch.proof(index)));
        }
        let entries = persist::tx_entries(self.store.as_ref(), tx)?;
        match entries.last() {
            None => Ok(None),
            Some(&(sequence, index)) => Ok(Some(self.proof_at(sequence, index)?)),
        }
    }

    /// Proofs of every flushed observation of `tx`, oldest first (from the store's index, each
    /// older epoch's tree rebuilt once).
    pub fn inclusions(&self, tx: &TxHash) -> Result<Vec<InclusionProof>> {
        let entries = persist::tx_entries(self.store.as_ref(), tx)?;
        let mut out = Vec::with_capacity(entries.len());
        let mut loaded: Option<Epoch> = None;
        for (sequence, index) in entries {
            if let Some(epoch) = self.recent_epoch(sequence) {
                out.push(proof_or_corrupt(epoch, index)?);
                continue;
            }
            if loaded
                .as_ref()
                .is_none_or(|e| e.signed.header.sequence != sequence)
            {
                loaded = Some(self.load(sequence)?);
            }
            out.push(proof_or_corrupt(loaded.as_ref().expect("loaded"), index)?);
        }
        Ok(out)
    }

    /// The epoch with `sequence` if it is in memory.
    fn recent_epoch(&self, sequence: u64) -> Option<&Epoch> {
        let first = self.recent.front()?.signed.header.sequence;
        let at = usize::try_from(sequence.checked_sub(first)?).ok()?;
        self.recent.get(at)
    }

    /// The proof of leaf `index` of epoch `sequence`, which the store's index names.
    fn proof_at(&self, sequence: u64, index: u32) -> Result<InclusionProof> {
        match self.recent_epoch(sequence) {
            Some(epoch) => proof_or_corrupt(epoch, index),
            None => proof_or_corrupt(&self.load(sequence)?, index),
        }
    }

    /// Reads epoch `sequence` from the store and rebuilds its tree as [`flush`](Self::flush)
    /// built it; its root must be the signed one.
    fn load(&self, sequence: u64) -> Result<Epoch> {
        let (signed, observations) = persist::load_epoch(self.store.as_ref(), sequence)?
            .ok_or_else(|| ObsError::CorruptChain {
                record: format!("epoch {sequence}"),
                reason: "indexed but missing".to_string(),
            })?;
        let digests: Vec<[u8; 32]> = observations.iter().map(Observation::leaf_digest).collect();
        let tree = self.accel.merkle_sha256(MerkleLeaves::Digests(&digests))?;
        if tree.root() != signed.header.root {
            return Err(ObsError::CorruptChain {
                record: format!("epoch {sequence}"),
                reason: "its observations do not hash to its signed root".to_string(),
            }
            .into());
        }
        Ok(Epoch {
            signed,
            observations,
            tree,
        })
    }

    /// Drops the oldest epoch in memory and the `latest` entries that point into it.
    fn evict_oldest(&mut self) {
        let Some(old) = self.recent.pop_front() else {
            return;
        };
        let sequence = old.signed.header.sequence;
        for (i, obs) in old.observations.iter().enumerate() {
            if self.latest.get(&obs.tx) == Some(&(sequence, i as u32)) {
                self.latest.remove(&obs.tx);
            }
        }
    }
}

/// The proof of leaf `index` of `epoch`, which the store's index names: an error if the epoch
/// has no such leaf.
fn proof_or_corrupt(epoch: &Epoch, index: u32) -> Result<InclusionProof> {
    epoch.proof(index).ok_or_else(|| {
        ObsError::CorruptChain {
            record: format!("epoch {}", epoch.signed.header.sequence),
            reason: format!("indexed leaf {index} is beyond its leaf count"),
        }
        .into()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::NodeError;
    use crate::observe::{TxState, verify_chain};
    use crate::storage::{Column, Entry, StorageError, WriteBatch};

    fn identity(secret: u8) -> Identity {
        Identity::from_secret([secret; 32], 0).unwrap()
    }

    /// A transaction hash distinct for each `(n, tag)`.
    fn tx(n: u64, tag: u8) -> TxHash {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&n.to_le_bytes());
        h[31] = tag;
        TxHash(h)
    }

    fn obs(tx: TxHash, state: TxState, time_ms: u64) -> Observation {
        Observation { tx, state, time_ms }
    }

    /// The transaction every epoch of [`flush_epochs`] observes.
    const COMMON: TxHash = TxHash([0xCC; 32]);

    /// Flushes one epoch (the `e`-th): a Pending observation of `tx(e, 1)`, one of [`COMMON`]
    /// and an Accepted one of `tx(e, 1)`.
    fn flush_epochs(buf: &mut ObservationBuffer, accel: &Accelerator, id: &Identity, e: u64) {
        buf.push(obs(tx(e, 1), TxState::Pending, e));
        buf.push(obs(COMMON, TxState::Pending, e));
        buf.push(obs(tx(e, 1), TxState::Accepted, e));
        buf.flush(accel, id, 1_000 + e).unwrap().unwrap();
    }

    fn store() -> Arc<MemoryStore> {
        Arc::new(MemoryStore::new("obs-test"))
    }

    fn open(store: &Arc<MemoryStore>, id: &Identity) -> Result<ObservationBuffer> {
        ObservationBuffer::open(store.clone(), Arc::new(Accelerator::cpu_only()), id)
    }

    #[test]
    fn memory_stays_bounded_and_evicted_proofs_equal_the_in_memory_ones() {
        let accel = Accelerator::cpu_only();
        let id = identity(1);
        let store = store();
        let mut buf = open(&store, &id).unwrap();
        let total = RECENT_EPOCHS as u64 + 40;
        let mut in_memory = Vec::new();
        for e in 0..total {
            flush_epochs(&mut buf, &accel, &id, e);
            assert!(buf.recent_epochs() <= RECENT_EPOCHS);
            in_memory.push(buf.inclusion(&tx(e, 1)).unwrap().unwrap());
        }
        assert_eq!(buf.recent_epochs(), RECENT_EPOCHS);
        assert_eq!(buf.roots().count(), RECENT_EPOCHS);
        assert_eq!(
            buf.roots().next().unwrap().header.sequence,
            total - RECENT_EPOCHS as u64
        );
        // `latest` names only transactions of the epochs in memory: one per epoch, and COMMON.
        assert_eq!(buf.latest.len(), RECENT_EPOCHS + 1);
        assert_eq!(buf.last_root().unwrap().header.sequence, total - 1);

        for (e, kept) in in_memory.iter().enumerate() {
            // The latest observation of tx(e, 1) is its Accepted one, leaf 2 of epoch e.
            assert_eq!(kept.header.header.sequence, e as u64);
            assert_eq!(kept.index, 2);
            assert_eq!(kept.observation.state, TxState::Accepted);
            let now = buf.inclusion(&tx(e as u64, 1)).unwrap().unwrap();
            assert_eq!(&now, kept, "epoch {e}");
            assert_eq!(now.verify().unwrap(), id.node_id());
        }
        // Both observations of an evicted transaction, oldest first.
        let both = buf.inclusions(&tx(3, 1)).unwrap();
        assert_eq!(both.len(), 2);
        assert_eq!(both[0].observation.state, TxState::Pending);
        assert_eq!(both[0].index, 0);
        assert_eq!(both[1], in_memory[3]);

        // COMMON: one observation per epoch, in sequence order across evicted and kept epochs
        // (past 255 and 511, where the big-endian key order matters).
        let all = buf.inclusions(&COMMON).unwrap();
        assert_eq!(all.len(), total as usize);
        for (e, p) in all.iter().enumerate() {
            assert_eq!(p.header.header.sequence, e as u64);
            assert_eq!(p.index, 1);
            p.verify().unwrap();
        }
        assert_eq!(buf.inclusion(&COMMON).unwrap().unwrap(), all[all.len() - 1]);
        assert_eq!(buf.inclusion(&tx(total, 1)).unwrap(), None);
        assert!(buf.inclusions(&tx(total, 1)).unwrap().is_empty());

        // Every root, evicted or not, chains.
        let roots: Vec<SignedRoot> = (0..total).map(|s| buf.root(s).unwrap().unwrap()).collect();
        verify_chain(&roots).unwrap();
        assert_eq!(buf.root(total).unwrap(), None);
    }

    #[test]
    fn reopening_the_store_continues_the_chain_and_keeps_old_proofs() {
        let accel = Accelerator::cpu_only();
        let id = identity(2);
        let store = store();
        let mut first = open(&store, &id).unwrap();
        assert_eq!(first.last_root(), None);
        for e in 0..3 {
            flush_epochs(&mut first, &accel, &id, e);
        }
        let last = *first.last_root().unwrap();
        let proofs: Vec<_> = (0..3)
            .map(|e| first.inclusions(&tx(e, 1)).unwrap())
            .collect();
        // Unflushed observations are not stored: they were never published.
        first.push(obs(tx(99, 1), TxState::Pending, 5));
        drop(first);

        let mut again = open(&store, &id).unwrap();
        assert_eq!(again.last_root(), Some(&last));
        assert!(again.pending().is_empty());
        assert_eq!(again.recent_epochs(), 0);
        for e in 0..3 {
            assert_eq!(again.inclusions(&tx(e, 1)).unwrap(), proofs[e as usize]);
        }
        assert_eq!(again.inclusion(&tx(99, 1)).unwrap(), None);

        flush_epochs(&mut again, &accel, &id, 3);
        let next = again.last_root().unwrap().header;
        assert_eq!(next.sequence, 3);
        assert_eq!(next.previous, last.header.hash());
        let roots: Vec<SignedRoot> = (0..4).map(|s| again.root(s).unwrap().unwrap()).collect();
        verify_chain(&roots).unwrap();
        // COMMON is in every epoch: three read back from the store, one in memory.
        assert_eq!(again.inclusions(&COMMON).unwrap().len(), 4);
    }

    #[test]
    fn a_store_holding_another_nodes_chain_is_refused() {
        let accel = Accelerator::cpu_only();
        let (mine, other) = (identity(3), identity(4));
        let store = store();
        // An empty store is anyone's.
        open(&store, &other).unwrap();
        let mut buf = open(&store, &mine).unwrap();
        flush_epochs(&mut buf, &accel, &mine, 0);
        let err = open(&store, &other).unwrap_err();
        match &err {
            NodeError::Observe(ObsError::ForeignChain { stored, node }) => {
                assert_eq!(*stored, mine.node_id());
                assert_eq!(*node, other.node_id());
            }
            e => panic!("expected ForeignChain, got {e:?}"),
        }
        assert!(err.to_string().contains(&mine.node_id().to_string()));
        // Still the owner's.
        assert_eq!(
            open(&store, &mine)
                .unwrap()
                .last_root()
                .unwrap()
                .header
                .sequence,
            0
        );
    }

    #[test]
    fn a_damaged_epoch_record_is_reported() {
        let accel = Accelerator::cpu_only();
        let id = identity(5);
        let store = store();
        let mut buf = open(&store, &id).unwrap();
        flush_epochs(&mut buf, &accel, &id, 0);
        let key = persist::epoch_key(0);
        let mut record = store.get(Column::Observations, &key).unwrap().unwrap();
        // Flip the state of the last observation from Accepted to Rejected.
        let last = record.len() - 9;
        record[last] = TxState::Rejected.code();
        let mut batch = WriteBatch::new();
        batch.put(Column::Observations, key, record);
        store.write(batch).unwrap();
        // The epoch in memory still answers; read back from the store it does not hash.
        buf.inclusion(&tx(0, 1)).unwrap().unwrap().verify().unwrap();
        let reopened = open(&store, &id).unwrap();
        assert!(matches!(
            reopened.inclusion(&tx(0, 1)),
            Err(NodeError::Observe(ObsError::CorruptChain { .. }))
        ));
    }

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
    fn no_root_is_returned_unless_its_epoch_is_stored() {
        let accel = Accelerator::cpu_only();
        let id = identity(6);
        let store = Arc::new(FlakyStore {
            inner: MemoryStore::new("obs-test"),
            failing: AtomicBool::new(false),
        });
        let mut buf =
            ObservationBuffer::open(store.clone(), Arc::new(Accelerator::cpu_only()), &id).unwrap();
        flush_epochs(&mut buf, &accel, &id, 0);
        store.failing.store(true, Ordering::SeqCst);
        buf.push(obs(tx(1, 1), TxState::Pending, 1));
        assert!(matches!(
            buf.flush(&accel, &id, 2),
            Err(NodeError::Storage(StorageError::Database { .. }))
        ));
        // Nothing advanced: the observation waits, the chain still ends at 0.
        assert_eq!(buf.pending().len(), 1);
        assert_eq!(buf.last_root().unwrap().header.sequence, 0);
        assert_eq!(buf.recent_epochs(), 1);
        assert_eq!(buf.inclusion(&tx(1, 1)).unwrap(), None);
        store.failing.store(false, Ordering::SeqCst);
        let root = buf.flush(&accel, &id, 3).unwrap().unwrap();
        assert_eq!(root.header.sequence, 1);
        let reopened =
            ObservationBuffer::open(store, Arc::new(Accelerator::cpu_only()), &id).unwrap();
        assert_eq!(reopened.last_root(), Some(&root));
    }

    #[test]
    fn keys_stay_under_the_own_prefix() {
        let id = identity(7);
        let accel = Accelerator::cpu_only();
        let store = store();
        let mut buf = open(&store, &id).unwrap();
        flush_epochs(&mut buf, &accel, &id, 0);
        let all = store.scan_prefix(Column::Observations, b"").unwrap();
        // One epoch record, three index entries, the latest root.
        assert_eq!(all.len(), 5);
        assert!(all.iter().all(|(k, _)| k.starts_with(b"own.")));
        assert_eq!(
            store.get(Column::Observations, persist::LAST_KEY).unwrap(),
            Some(buf.last_root().unwrap().encode().to_vec())
        );
    }
}
