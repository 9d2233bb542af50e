//! The conflicts counted as detected and not decided yet, bounded.
//!
//! A conflict that ends without a decision (its other spenders rejected for another reason)
//! never sees its `Decided` event; the bound keeps such leftovers from growing without end,
//! forgetting the oldest first.

use std::collections::{BTreeMap, HashMap};

use crate::tx::OutPoint;

/// Open conflicts remembered at most; beyond, the oldest is forgotten (if it is reported
/// again it is counted again).
const LIMIT: usize = 65_536;

/// Open conflicts by outpoint, with their opening order.
#[derive(Debug, Default)]
pub(super) struct OpenConflicts {
    by_outpoint: HashMap<OutPoint, u64>,
    by_order: BTreeMap<u64, OutPoint>,
    next: u64,
}

impl OpenConflicts {
    /// Records `outpoint` as open; whether it was not open already (a new conflict).
    pub(super) fn open(&mut self, outpoint: OutPoint) -> bool {
        if self.by_outpoint.contains_key(&outpoint) {
            return false;
        }
        if self.by_outpoint.len() >= LIMIT
            && let Some((_, oldest)) = self.by_order.pop_first()
        {
            self.by_outpoint.remove(&oldest);
        }
        self.by_outpoint.insert(outpoint, self.next);
        self.by_order.insert(self.next, outpoint);
        self.next += 1;
        true
    }

    /// Forgets `outpoint` (its conflict was decided).
    pub(super) fn close(&mut self, outpoint: &OutPoint) {
        if let Some(order) = self.by_outpoint.remove(outpoint) {
            self.by_order.remove(&order);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tx::TxHash;

    fn outpoint(index: u32) -> OutPoint {
        OutPoint {
            tx: TxHash([0; 32]),
            index,
        }
    }

    #[test]
    fn opens_once_closes_and_forgets_the_oldest_beyond_the_limit() {
        let mut open = OpenConflicts::default();
        assert!(open.open(outpoint(0)));
        assert!(!open.open(outpoint(0)));
        open.close(&outpoint(0));
        assert!(open.open(outpoint(0)));
        for i in 1..LIMIT as u32 {
            assert!(open.open(outpoint(i)));
        }
        // Full: the next one pushes out the oldest, outpoint 0.
        assert!(open.open(outpoint(LIMIT as u32)));
        assert_eq!(open.by_outpoint.len(), LIMIT);
        assert!(!open.open(outpoint(1)));
        assert!(open.open(outpoint(0)));
    }
}
