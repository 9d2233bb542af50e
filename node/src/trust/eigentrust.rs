//! EigenTrust: global trust as the stationary distribution of a random walk over local trust,
//! restarted at the pre-trusted peers.
//!
//! Peers are the keys of the graph (raters and ratees) and the pre-trusted list, indexed in key
//! order. With `p` uniform over the pre-trusted peers:
//!
//! - `c_ij = max(s_ij, 0) / Σ_j max(s_ij, 0)` over `j ≠ i` (self-trust is ignored); a row with
//!   no positive entry is `p`;
//! - `t₀ = p`, `t_{n+1} = (1 − a)·Cᵀ·t_n + a·p`;
//! - it stops after the first iteration `n ≤ max_iterations` with `‖t_n − t_{n−1}‖₁ < ε`, and the
//!   result is `t_n` divided by its sum (which is 1 up to rounding).
//!
//! Sums run over raters in key order and, within a rater, ratees in key order, so the result is
//! bit-for-bit the same for the same input.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{TrustError, TrustGraph};

/// Parameters of EigenTrust.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EigenTrustConfig {
    /// Weight `a` in `[0, 1]` of the pre-trusted distribution at each step (default 0.15).
    pub pre_trust_weight: f64,
    /// Convergence threshold ε on the L1 change between iterations (default 1e-10).
    pub epsilon: f64,
    /// Most iterations before giving up with [`TrustError::DidNotConverge`] (default 1000).
    pub max_iterations: u32,
}

impl Default for EigenTrustConfig {
    fn default() -> Self {
        Self {
            pre_trust_weight: 0.15,
            epsilon: 1e-10,
            max_iterations: 1000,
        }
    }
}

impl EigenTrustConfig {
    /// Checks every parameter, reporting all violations at once.
    ///
    /// # Errors
    /// [`TrustError::InvalidParameters`] unless `pre_trust_weight` is in `[0, 1]`, `epsilon` is
    /// finite and positive, and `max_iterations ≥ 1`.
    pub fn validate(&self) -> Result<(), TrustError> {
        let mut violations = Vec::new();
        if !(0.0..=1.0).contains(&self.pre_trust_weight) {
            violations.push(format!(
                "pre_trust_weight {} is not in [0, 1]",
                self.pre_trust_weight
            ));
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            violations.push(format!(
                "epsilon {} is not finite and positive",
                self.epsilon
            ));
        }
        if self.max_iterations == 0 {
            violations.push("max_iterations must be at least 1".to_owned());
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(TrustError::InvalidParameters { violations })
        }
    }
}

/// Global trust of every peer in `local_trust` or `pre_trusted`, in key order; non-negative,
/// summing to 1.
///
/// # Errors
/// [`TrustError::InvalidParameters`] if `config` does not validate;
/// [`TrustError::NoPreTrustedPeers`] if `pre_trusted` is empty;
/// [`TrustError::DidNotConverge`] if the L1 change is still `≥ ε` after `max_iterations`.
pub fn eigentrust<K: Ord + Clone>(
    local_trust: &TrustGraph<K>,
    pre_trusted: &BTreeSet<K>,
    config: &EigenTrustConfig,
) -> Result<BTreeMap<K, f64>, TrustError> {
    config.validate()?;
    if pre_trusted.is_empty() {
        return Err(TrustError::NoPreTrustedPeers);
    }
    let mut peers = local_trust.peers();
    peers.extend(pre_trusted.iter().cloned());
    let peers: Vec<K> = peers.into_iter().collect();
    let index = |k: &K| peers.binary_search(k).expect("every key is a peer");

    let seed_weight = 1.0 / pre_trusted.len() as f64;
    let seed: Vec<(usize, f64)> = pre_trusted
        .iter()
        .map(|k| (index(k), seed_weight))
        .collect();

    // Row i of C as (j, c_ij), or None for a row that falls back to the seed.
    let rows: Vec<Option<Vec<(usize, f64)>>> = peers
        .iter()
        .enumerate()
        .map(|(i, rater)| {
            let positive: Vec<(usize, f64)> = local_trust
                .ratings_by(rater)
                .map(|(ratee, s)| (index(ratee), s))
                .filter(|&(j, s)| j != i && s > 0.0)
                .collect();
            let total: f64 = positive.iter().map(|&(_, s)| s).sum();
            (total > 0.0).then(|| positive.into_iter().map(|(j, s)| (j, s / total)).collect())
        })
        .collect();

    let a = config.pre_trust_weight;
    let mut trust = vec![0.0; peers.len()];
    for &(j, p) in &seed {
        trust[j] = p;
    }
    let mut residual = f64::INFINITY;
    for _ in 0..config.max_iterations {
        let mut next = vec![0.0; peers.len()];
        for &(j, p) in &seed {
            next[j] = a * p;
        }
        for (i, row) in rows.iter().enumerate() {
            let mass = (1.0 - a) * trust[i];
            for &(j, c) in row.as_deref().unwrap_or(&seed) {
                next[j] += mass * c;
            }
        }
        residual = next.iter().zip(&trust).map(|(n, t)| (n - t).abs()).sum();
        trust = next;
        if residual < config.epsilon {
            let total: f64 = trust.iter().sum();
            return Ok(peers
                .into_iter()
                .zip(trust.into_iter().map(|t| t / total))
                .collect());
        }
    }
    Err(TrustError::DidNotConverge {
        iterations: config.max_iterations,
        residual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_pre_trusted_peer_holds_all_trust() {
        let seed = BTreeSet::from([7u8]);
        let t = eigentrust(&TrustGraph::new(), &seed, &EigenTrustConfig::default()).unwrap();
        assert_eq!(t, BTreeMap::from([(7, 1.0)]));
    }

    #[test]
    fn no_pre_trusted_peer_is_an_error() {
        let mut g = TrustGraph::new();
        g.set(1u8, 2, 1.0).unwrap();
        assert_eq!(
            eigentrust(&g, &BTreeSet::new(), &EigenTrustConfig::default()),
            Err(TrustError::NoPreTrustedPeers)
        );
    }
}
