//! Reads of the committed UTXO set through the [`Store`], with a small write-through cache.

use std::collections::HashMap;
use std::sync::Arc;

use crate::storage::{Column, Store, owner_key, utxo_key};
use crate::tx::{KeyHash, OutPoint, Output};

use super::LedgerError;
use super::codec::decode_output;

/// Most outputs the cache holds; when full it is emptied (a simple bound, not an LRU).
const CACHE_LIMIT: usize = 65_536;

/// One page of an owner's UTXOs, in outpoint order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtxoPage {
    /// The UTXOs of the page.
    pub utxos: Vec<(OutPoint, Output)>,
    /// Whether the owner has more after the page's last.
    pub more: bool,
}

/// The committed UTXO set: the store is the truth, the cache holds outputs read or written
/// recently. Only committed outputs are ever cached, and the ledger updates the cache only after
/// a commit's write returned Ok.
pub(crate) struct UtxoSet {
    store: Arc<dyn Store>,
    cache: HashMap<OutPoint, Output>,
}

impl UtxoSet {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: HashMap::new(),
        }
    }

    /// The committed unspent output at `outpoint`, if any.
    pub(crate) fn get(&mut self, outpoint: &OutPoint) -> Result<Option<Output>, LedgerError> {
        if let Some(output) = self.cache.get(outpoint) {
            return Ok(Some(output.clone()));
        }
        let output = self.read(outpoint)?;
        if let Some(output) = &output {
            self.insert(*outpoint, output.clone());
        }
        Ok(output)
    }

    /// [`Self::get`] without filling the cache (for `&self` readers).
    pub(crate) fn read(&self, outpoint: &OutPoint) -> Result<Option<Output>, LedgerError> {
        if let Some(output) = self.cache.get(outpoint) {
            return Ok(Some(output.clone()));
        }
        self.store
            .get(Column::Utxos, &utxo_key(outpoint))?
            .map(|bytes| decode_output(&bytes))
            .transpose()
    }

    /// Records a committed change: `spent` removed, `created` added.
    pub(crate) fn committed(
        &mut self,
        spent: impl IntoIterator<Item = OutPoint>,
        created: impl IntoIterator<Item = (OutPoint, Output)>,
    ) {
        for outpoint in spent {
            self.cache.remove(&outpoint);
        }
        for (outpoint, output) in created {
            self.insert(outpoint, output);
        }
    }

    fn insert(&mut self, outpoint: OutPoint, output: Output) {
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(outpoint, output);
    }

    /// Every committed UTXO, sorted by outpoint (the store's key order is outpoint order).
    pub(crate) fn all(&self) -> Result<Vec<(OutPoint, Output)>, LedgerError> {
        let mut all = Vec::new();
        self.for_each(|outpoint, output| all.push((outpoint, output)))?;
        Ok(all)
    }

    /// The committed UTXOs owned by `owner`, in outpoint order, through the index
    /// [`Column::Owners`]. An index entry without its output is a damaged store.
    pub(crate) fn owned_by(&self, owner: &KeyHash) -> Result<Vec<(OutPoint, Output)>, LedgerError> {
        Ok(self.owned_by_page(owner, None, usize::MAX)?.utxos)
    }

    /// A page of [`Self::owned_by`]: at most `limit` UTXOs, the first ones after the outpoint
    /// `after` (from the first when `None`), and whether more follow. It reads the index from
    /// `after` on, so a page costs its own size, wherever it starts.
    pub(crate) fn owned_by_page(
        &self,
        owner: &KeyHash,
        after: Option<&OutPoint>,
        limit: usize,
    ) -> Result<UtxoPage, LedgerError> {
        let after = after
            .map(|o| owner_key(owner, o).to_vec())
            .unwrap_or_default();
        let (mut outpoints, mut more, mut failed) = (Vec::new(), false, None);
        self.store
            .visit_prefix_after(Column::Owners, &owner.0, &after, &mut |key, _| {
                if outpoints.len() == limit {
                    more = true;
                    return false;
                }
                match outpoint_of(&key[owner.0.len()..]) {
                    Ok(outpoint) => outpoints.push(outpoint),
                    Err(e) => failed = Some(e),
                }
                failed.is_none()
            })?;
        if let Some(e) = failed {
            return Err(e);
        }
        let utxos = outpoints
            .into_iter()
            .map(|outpoint| {
                let output = self.read(&outpoint)?.ok_or_else(|| LedgerError::Corrupt {
                    what: format!(
                        "the owner index lists {}:{}, which is not in the UTXO set",
                        outpoint.tx, outpoint.index
                    ),
                })?;
                Ok((outpoint, output))
            })
            .collect::<Result<_, LedgerError>>()?;
        Ok(UtxoPage { utxos, more })
    }

    /// Calls `f` with every committed UTXO in outpoint order, one at a time: [`Self::all`] in
    /// bounded memory.
    pub(crate) fn for_each(&self, mut f: impl FnMut(OutPoint, Output)) -> Result<(), LedgerError> {
        let mut failed = None;
        self.store.visit_prefix(
            Column::Utxos,
            b"",
            &mut |key, value| match decode_utxo(key, value) {
                Ok((outpoint, output)) => {
                    f(outpoint, output);
                    true
                }
                Err(e) => {
                    failed = Some(e);
                    false
                }
            },
        )?;
        failed.map_or(Ok(()), Err)
    }
}

/// A UTXO record: its 36-byte key ([`crate::storage::utxo_key`]) and its output's bytes.
fn decode_utxo(key: &[u8], value: &[u8]) -> Result<(OutPoint, Output), LedgerError> {
    Ok((outpoint_of(key)?, decode_output(value)?))
}

/// The outpoint of a 36-byte [`crate::storage::utxo_key`].
fn outpoint_of(key: &[u8]) -> Result<OutPoint, LedgerError> {
    let key: [u8; 36] = key.try_into().map_err(|_| LedgerError::Corrupt {
        what: format!("UTXO key of {} bytes", key.len()),
    })?;
    Ok(OutPoint {
        tx: crate::tx::TxHash(key[..32].try_into().expect("32 bytes")),
        index: u32::from_be_bytes(key[32..].try_into().expect("4 bytes")),
    })
}
