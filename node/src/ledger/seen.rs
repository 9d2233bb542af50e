//! A bounded set of rejected transaction hashes, for deduplication: the oldest is forgotten
//! when the set is full.

use std::collections::{HashSet, VecDeque};

use crate::tx::TxHash;

/// At most `limit` hashes; inserting into a full set forgets the oldest.
#[derive(Debug)]
pub(crate) struct SeenSet {
    limit: usize,
    set: HashSet<TxHash>,
    order: VecDeque<TxHash>,
}

impl SeenSet {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            set: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    pub(crate) fn insert(&mut self, hash: TxHash) {
        if !self.set.insert(hash) {
            return;
        }
        self.order.push_back(hash);
        while self.order.len() > self.limit {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
    }

    pub(crate) fn contains(&self, hash: &TxHash) -> bool {
        self.set.contains(hash)
    }
}
