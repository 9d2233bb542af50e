//! [`RecentIds`]: the ids of the messages a node handled recently, in bounded memory.

use std::collections::HashSet;

/// Message ids handled recently, for deduplication, in two generations: when the current one
/// reaches its capacity it becomes the previous one (the old previous one is forgotten). The set
/// therefore remembers at least the last `capacity` ids and at most twice that.
///
/// Forgetting an id is safe: it only spares work. A forgotten transaction sent again is a
/// duplicate to the ledger (which knows it as queued, live, committed or recently rejected),
/// forgotten roots are a duplicate to the vote book, and forgotten evidence convicts no one
/// twice.
#[derive(Debug)]
pub(crate) struct RecentIds {
    current: HashSet<[u8; 32]>,
    previous: HashSet<[u8; 32]>,
    capacity: usize,
}

impl RecentIds {
    /// A set keeping at least the last `capacity` ids (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            current: HashSet::new(),
            previous: HashSet::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records `id`; false if it was already there.
    pub(crate) fn insert(&mut self, id: [u8; 32]) -> bool {
        if self.previous.contains(&id) || !self.current.insert(id) {
            return false;
        }
        if self.current.len() >= self.capacity {
            self.previous = std::mem::take(&mut self.current);
        }
        true
    }

    pub(crate) fn contains(&self, id: &[u8; 32]) -> bool {
        self.current.contains(id) || self.previous.contains(id)
    }

    pub(crate) fn remove(&mut self, id: &[u8; 32]) {
        self.current.remove(id);
        self.previous.remove(id);
    }

    /// Ids remembered now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

#[cfg(test)]
mod tests {
    use super::RecentIds;

    fn id(n: u32) -> [u8; 32] {
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&n.to_le_bytes());
        id
    }

    #[test]
    fn remembers_at_least_the_last_capacity_ids_and_at_most_twice_that() {
        let mut seen = RecentIds::new(100);
        for n in 0..1_000 {
            assert!(seen.insert(id(n)), "{n} is new");
            assert!(!seen.insert(id(n)), "{n} is a duplicate at once");
            assert!(seen.len() <= 200);
            for back in 0..100.min(n + 1) {
                assert!(
                    seen.contains(&id(n - back)),
                    "{} forgotten too early",
                    n - back
                );
            }
        }
        assert!(!seen.contains(&id(0)), "old ids are forgotten");
        assert!(seen.insert(id(0)), "and new again");
        seen.remove(&id(0));
        assert!(!seen.contains(&id(0)));
    }
}
