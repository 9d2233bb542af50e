//! A directed graph of trust scores: who trusts whom, how much.

use std::collections::{BTreeMap, BTreeSet};

use super::{TrustError, clamp_score};

/// Directed trust edges `rater → ratee` with scores in `[-1, 1]`, stored in key order.
///
/// The input of both [`transitive_trust`](super::transitive_trust) (the local node's direct
/// trust and its neighbours' reports) and [`eigentrust`](super::eigentrust()) (every peer's
/// local trust). Setting an edge twice keeps the last score; self-edges are stored but ignored by
/// both computations.
#[derive(Clone, Debug, PartialEq)]
pub struct TrustGraph<K: Ord> {
    edges: BTreeMap<K, BTreeMap<K, f64>>,
}

impl<K: Ord> Default for TrustGraph<K> {
    fn default() -> Self {
        Self {
            edges: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone> TrustGraph<K> {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `rater` trusts `ratee` with `score`, clamped into `[-1, 1]`.
    ///
    /// # Errors
    /// [`TrustError::NonFiniteScore`] if `score` is NaN or infinite; the graph is unchanged.
    pub fn set(&mut self, rater: K, ratee: K, score: f64) -> Result<(), TrustError> {
        if !score.is_finite() {
            return Err(TrustError::NonFiniteScore { score });
        }
        self.edges
            .entry(rater)
            .or_default()
            .insert(ratee, clamp_score(score));
        Ok(())
    }

    /// Replaces everything `rater` has rated with `ratings` (e.g. a neighbour's new report of its
    /// direct trust); scores are clamped into `[-1, 1]`, and a later duplicate ratee wins.
    ///
    /// # Errors
    /// [`TrustError::NonFiniteScore`] if any score is NaN or infinite; the graph is unchanged.
    pub fn set_ratings(
        &mut self,
        rater: K,
        ratings: impl IntoIterator<Item = (K, f64)>,
    ) -> Result<(), TrustError> {
        let mut row = BTreeMap::new();
        for (ratee, score) in ratings {
            if !score.is_finite() {
                return Err(TrustError::NonFiniteScore { score });
            }
            row.insert(ratee, clamp_score(score));
        }
        if row.is_empty() {
            self.edges.remove(&rater);
        } else {
            self.edges.insert(rater, row);
        }
        Ok(())
    }

    /// The score `rater` gave `ratee`, if any.
    pub fn get(&self, rater: &K, ratee: &K) -> Option<f64> {
        self.edges.get(rater)?.get(ratee).copied()
    }

    /// The scores `rater` gave, in ratee key order.
    pub fn ratings_by<'a>(&'a self, rater: &K) -> impl Iterator<Item = (&'a K, f64)> + 'a {
        self.edges
            .get(rater)
            .into_iter()
            .flat_map(|row| row.iter().map(|(k, s)| (k, *s)))
    }

    /// Every edge `(rater, ratee, score)`, in `(rater, ratee)` key order.
    pub fn edges(&self) -> impl Iterator<Item = (&K, &K, f64)> + '_ {
        self.edges
            .iter()
            .flat_map(|(r, row)| row.iter().map(move |(e, s)| (r, e, *s)))
    }

    /// Every key that rates or is rated, in key order.
    pub fn peers(&self) -> BTreeSet<K> {
        let mut peers = BTreeSet::new();
        for (rater, row) in &self.edges {
            peers.insert(rater.clone());
            peers.extend(row.keys().cloned());
        }
        peers
    }

    /// Number of edges.
    pub fn len(&self) -> usize {
        self.edges.values().map(BTreeMap::len).sum()
    }

    /// Whether the graph has no edge.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_report_replaces_the_old_one() {
        let mut g = TrustGraph::new();
        g.set_ratings(1u8, [(2, 0.5), (3, 0.25)]).unwrap();
        g.set_ratings(1u8, [(3, -2.0)]).unwrap();
        assert_eq!(g.edges().collect::<Vec<_>>(), vec![(&1, &3, -1.0)]);
        assert!(g.set_ratings(1u8, [(4, f64::INFINITY)]).is_err());
        assert_eq!(g.len(), 1);
        g.set_ratings(1u8, []).unwrap();
        assert!(g.is_empty() && g.peers().is_empty());
    }
}
