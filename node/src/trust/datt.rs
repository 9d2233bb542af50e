//! DATT transitive trust: what the node can infer about peers it has not dealt with, from its
//! direct trust in its neighbours and their reported direct trust in theirs.
//!
//! For a source `s` and a target `t`, a *path of rank k* is a simple path
//! `s = v₀ → v₁ → … → v_k = t` along graph edges (no vertex twice). Its value is the product of
//! its edge scores, multiplied left to right. A path may only pass *through* a vertex reached by
//! a positive score: every edge but the last must be `> 0`; the last edge may have any score, so
//! a neighbour's distrust of `t` counts, but nothing is learnt from a peer the path already
//! distrusts (or has no opinion of).
//!
//! The rank-`k` trust is `δ^(k−1) · mean(values of the rank-k paths)`, and the trust of `t` is the
//! rank-`k` trust for the smallest `k` that has a path: own experience (rank 1) overrides hearsay,
//! and a shorter chain of recommendations overrides a longer one, which is both less reliable and
//! cheaper for an attacker to lengthen. The result lies in `[-1, 1]`.
//!
//! The search is bounded by [`DattConfig::max_hops`] (the largest rank) and
//! [`DattConfig::max_path_steps`] (edges walked in total); exceeding the latter is an error, not a
//! truncation, because a truncated search would silently depend on key order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{TrustError, TrustGraph, clamp_score};

/// Parameters of DATT.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DattConfig {
    /// Longest path considered, in edges (default 3).
    pub max_hops: usize,
    /// Per-hop decay δ in `(0, 1]`: rank `k` is weighted by `δ^(k−1)` (default 0.5).
    pub hop_decay: f64,
    /// Most edges the depth-first search may walk from the source (default 100 000).
    pub max_path_steps: usize,
}

impl Default for DattConfig {
    fn default() -> Self {
        Self {
            max_hops: 3,
            hop_decay: 0.5,
            max_path_steps: 100_000,
        }
    }
}

impl DattConfig {
    /// Checks every parameter, reporting all violations at once.
    ///
    /// # Errors
    /// [`TrustError::InvalidParameters`] unless `max_hops ≥ 1`, `hop_decay` is in `(0, 1]` and
    /// `max_path_steps ≥ 1`.
    pub fn validate(&self) -> Result<(), TrustError> {
        let mut violations = Vec::new();
        if self.max_hops == 0 {
            violations.push("max_hops must be at least 1".to_owned());
        }
        if !(self.hop_decay > 0.0 && self.hop_decay <= 1.0) {
            violations.push(format!("hop_decay {} is not in (0, 1]", self.hop_decay));
        }
        if self.max_path_steps == 0 {
            violations.push("max_path_steps must be at least 1".to_owned());
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(TrustError::InvalidParameters { violations })
        }
    }
}

/// The transitive trust of one target.
#[derive(Clone, Debug, PartialEq)]
pub struct TransitiveTrust {
    /// The trust: the decayed mean of the lowest rank with a path, in `[-1, 1]`.
    pub score: f64,
    /// The rank (path length) `score` comes from.
    pub rank: usize,
    /// Per rank `k = 1..=max_hops` (index `k − 1`), the rank-`k` trust `δ^(k−1) · mean`, or
    /// `None` when no rank-`k` path exists.
    pub rank_scores: Vec<Option<f64>>,
}

/// Sum and count of path values at one rank.
#[derive(Clone, Copy, Default)]
struct RankSum {
    sum: f64,
    paths: u64,
}

/// Transitive trust from `source` to every peer reachable within `config.max_hops`, in key
/// order. `source` itself is not in the result.
///
/// # Errors
/// [`TrustError::InvalidParameters`] if `config` does not validate;
/// [`TrustError::PathLimitExceeded`] if the search walks more than `config.max_path_steps` edges.
pub fn transitive_trust<K: Ord + Clone>(
    graph: &TrustGraph<K>,
    source: &K,
    config: &DattConfig,
) -> Result<BTreeMap<K, TransitiveTrust>, TrustError> {
    config.validate()?;
    let mut search = PathSearch {
        graph,
        config,
        path: vec![source],
        steps: 0,
        sums: BTreeMap::new(),
    };
    search.extend(source, 1.0)?;

    let mut result = BTreeMap::new();
    for (target, sums) in search.sums {
        let mut weight = 1.0;
        let mut rank_scores = Vec::with_capacity(sums.len());
        for rank in &sums {
            rank_scores
                .push((rank.paths > 0).then(|| clamp_score(weight * rank.sum / rank.paths as f64)));
            weight *= config.hop_decay;
        }
        if let Some(index) = rank_scores.iter().position(Option::is_some) {
            let score = rank_scores[index].unwrap_or_default();
            result.insert(
                target.clone(),
                TransitiveTrust {
                    score,
                    rank: index + 1,
                    rank_scores,
                },
            );
        }
    }
    Ok(result)
}

/// Depth-first enumeration of the simple paths from the source, in key order.
struct PathSearch<'g, K: Ord> {
    graph: &'g TrustGraph<K>,
    config: &'g DattConfig,
    /// Vertices of the current path, the source first.
    path: Vec<&'g K>,
    /// Edges walked so far.
    steps: usize,
    /// Per target, per rank (index `k − 1`), the path values seen.
    sums: BTreeMap<&'g K, Vec<RankSum>>,
}

impl<'g, K: Ord + Clone> PathSearch<'g, K> {
    /// Walks every edge out of `vertex` (the end of `self.path`, reached with path value
    /// `value`) to a vertex not on the path, records the extended path's value for that vertex,
    /// and extends further through it if the edge is positive and the rank limit allows.
    fn extend(&mut self, vertex: &'g K, value: f64) -> Result<(), TrustError> {
        let rank = self.path.len(); // rank of the paths made by one more edge
        for (next, score) in self.graph.ratings_by(vertex) {
            if self.path.contains(&next) {
                continue;
            }
            self.steps += 1;
            if self.steps > self.config.max_path_steps {
                return Err(TrustError::PathLimitExceeded {
                    limit: self.config.max_path_steps,
                });
            }
            let extended = value * score;
            let ranks = self
                .sums
                .entry(next)
                .or_insert_with(|| vec![RankSum::default(); self.config.max_hops]);
            ranks[rank - 1].sum += extended;
            ranks[rank - 1].paths += 1;
            if score > 0.0 && rank < self.config.max_hops {
                self.path.push(next);
                self.extend(next, extended)?;
                self.path.pop();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(u8, u8, f64)]) -> TrustGraph<u8> {
        let mut g = TrustGraph::new();
        for &(a, b, s) in edges {
            g.set(a, b, s).unwrap();
        }
        g
    }

    #[test]
    fn a_direct_edge_is_rank_one_and_undecayed() {
        let g = graph(&[(0, 1, 0.7), (1, 2, 0.5)]);
        let t = transitive_trust(&g, &0, &DattConfig::default()).unwrap();
        assert_eq!(t[&1].score, 0.7);
        assert_eq!(t[&1].rank, 1);
        assert_eq!(t[&2].score, 0.5 * 0.7 * 0.5);
        assert_eq!(t[&2].rank, 2);
        assert!(!t.contains_key(&0));
    }

    #[test]
    fn the_path_limit_is_an_error() {
        let g = graph(&[(0, 1, 0.7), (1, 2, 0.5), (0, 2, 0.1)]);
        let config = DattConfig {
            max_path_steps: 2,
            ..DattConfig::default()
        };
        assert_eq!(
            transitive_trust(&g, &0, &config),
            Err(TrustError::PathLimitExceeded { limit: 2 })
        );
    }
}
