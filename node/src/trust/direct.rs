//! Direct trust: the node's own experience of each peer.
//!
//! Each peer has a score in `[-1, 1]`, starting at [`DirectTrustConfig::initial`]. An event
//! ([`Behaviour`]) adds its delta and the result is clamped into `[-1, 1]`. Between events the
//! score decays exponentially towards the initial value:
//!
//! `score(t) = initial + (score(t₀) − initial) · exp(−(t − t₀) / τ)`
//!
//! Time is passed in by the caller as milliseconds on any monotonic clock; nothing here reads the
//! wall clock, so the same calls give the same scores. A time earlier than the peer's last update
//! counts as no time passed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{MAX_SCORE, MIN_SCORE, TrustError, clamp_score};

/// Something a peer did that changes the node's direct trust in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// The peer sent a message that validated.
    Valid,
    /// The peer sent a message that failed validation.
    Invalid,
    /// The peer did not answer a request in time.
    Timeout,
}

/// Parameters of direct trust; the defaults are the seed design's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DirectTrustConfig {
    /// Score of a peer never seen, and the value scores decay towards (default 0.5).
    pub initial: f64,
    /// Added for a valid message (default 0.001).
    pub valid_reward: f64,
    /// Subtracted for an invalid message (default 0.1).
    pub invalid_penalty: f64,
    /// Subtracted for a timeout (default 0.05).
    pub timeout_penalty: f64,
    /// Decay time constant τ in milliseconds: after τ a deviation from the initial value has
    /// shrunk to 1/e of itself (default one hour, 3 600 000 ms).
    pub decay_time_constant_ms: u64,
}

impl Default for DirectTrustConfig {
    fn default() -> Self {
        Self {
            initial: 0.5,
            valid_reward: 0.001,
            invalid_penalty: 0.1,
            timeout_penalty: 0.05,
            decay_time_constant_ms: 3_600_000,
        }
    }
}

impl DirectTrustConfig {
    /// Checks every parameter, reporting all violations at once.
    ///
    /// # Errors
    /// [`TrustError::InvalidParameters`] unless `initial` is finite and in `[-1, 1]`, each
    /// reward and penalty is finite and non-negative, and the time constant is positive.
    pub fn validate(&self) -> Result<(), TrustError> {
        let mut violations = Vec::new();
        if !(self.initial.is_finite() && (MIN_SCORE..=MAX_SCORE).contains(&self.initial)) {
            violations.push(format!("initial {} is not in [-1, 1]", self.initial));
        }
        for (name, value) in [
            ("valid_reward", self.valid_reward),
            ("invalid_penalty", self.invalid_penalty),
            ("timeout_penalty", self.timeout_penalty),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                violations.push(format!(
                    "{name} {value} is not a finite non-negative number"
                ));
            }
        }
        if self.decay_time_constant_ms == 0 {
            violations.push("decay_time_constant_ms must be positive".to_owned());
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(TrustError::InvalidParameters { violations })
        }
    }

    /// The signed change a behaviour makes to a score (before clamping).
    pub fn delta(&self, behaviour: Behaviour) -> f64 {
        match behaviour {
            Behaviour::Valid => self.valid_reward,
            Behaviour::Invalid => -self.invalid_penalty,
            Behaviour::Timeout => -self.timeout_penalty,
        }
    }

    /// `score`, last updated at `since_ms`, decayed to `now_ms`.
    pub fn decayed(&self, score: f64, since_ms: u64, now_ms: u64) -> f64 {
        let elapsed = now_ms.saturating_sub(since_ms);
        if elapsed == 0 {
            return score;
        }
        let factor = (-(elapsed as f64) / self.decay_time_constant_ms as f64).exp();
        clamp_score(self.initial + (score - self.initial) * factor)
    }
}

/// A peer's score and when it was last brought up to date.
#[derive(Clone, Copy, Debug, PartialEq)]
struct PeerScore {
    score: f64,
    updated_ms: u64,
}

/// The node's direct trust in each peer it has dealt with.
#[derive(Clone, Debug)]
pub struct DirectTrust<K: Ord> {
    config: DirectTrustConfig,
    peers: BTreeMap<K, PeerScore>,
}

impl<K: Ord + Clone> DirectTrust<K> {
    /// An empty table with `config`.
    ///
    /// # Errors
    /// [`TrustError::InvalidParameters`] if `config` does not [validate](DirectTrustConfig::validate).
    pub fn new(config: DirectTrustConfig) -> Result<Self, TrustError> {
        config.validate()?;
        Ok(Self {
            config,
            peers: BTreeMap::new(),
        })
    }

    /// The parameters in use.
    pub fn config(&self) -> &DirectTrustConfig {
        &self.config
    }

    /// Records what `peer` did at `now_ms`: its score is decayed to `now_ms`, the behaviour's
    /// delta added, and the result clamped into `[-1, 1]`. Returns the new score.
    pub fn record(&mut self, peer: K, behaviour: Behaviour, now_ms: u64) -> f64 {
        let initial = self.config.initial;
        let entry = self.peers.entry(peer).or_insert(PeerScore {
            score: initial,
            updated_ms: now_ms,
        });
        let decayed = self.config.decayed(entry.score, entry.updated_ms, now_ms);
        entry.score = clamp_score(decayed + self.config.delta(behaviour));
        entry.updated_ms = entry.updated_ms.max(now_ms);
        entry.score
    }

    /// The score of `peer` at `now_ms` (the initial value for a peer never seen).
    pub fn score(&self, peer: &K, now_ms: u64) -> f64 {
        match self.peers.get(peer) {
            Some(p) => self.config.decayed(p.score, p.updated_ms, now_ms),
            None => self.config.initial,
        }
    }

    /// Every known peer's score at `now_ms`, in key order.
    pub fn scores(&self, now_ms: u64) -> BTreeMap<K, f64> {
        self.peers
            .iter()
            .map(|(k, p)| {
                (
                    k.clone(),
                    self.config.decayed(p.score, p.updated_ms, now_ms),
                )
            })
            .collect()
    }

    /// Forgets `peer`; its score returns to the initial value.
    pub fn forget(&mut self, peer: &K) {
        self.peers.remove(peer);
    }

    /// Number of peers with a recorded score.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether no peer has a recorded score.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> DirectTrust<u8> {
        DirectTrust::new(DirectTrustConfig::default()).unwrap()
    }

    #[test]
    fn deltas_are_the_seed_values() {
        let mut t = table();
        assert_eq!(t.score(&1, 0), 0.5);
        assert_eq!(t.record(1, Behaviour::Valid, 0), 0.5 + 0.001);
        assert_eq!(t.record(2, Behaviour::Invalid, 0), 0.5 - 0.1);
        assert_eq!(t.record(3, Behaviour::Timeout, 0), 0.5 - 0.05);
    }

    #[test]
    fn scores_clamp_at_both_ends() {
        let mut t = table();
        for _ in 0..100 {
            t.record(1, Behaviour::Invalid, 0);
        }
        assert_eq!(t.score(&1, 0), -1.0);
        for _ in 0..1000 {
            t.record(2, Behaviour::Valid, 0);
        }
        assert_eq!(t.score(&2, 0), 1.0);
    }

    #[test]
    fn decay_follows_the_exponential() {
        let mut t = table();
        t.record(1, Behaviour::Invalid, 0);
        let tau = t.config().decay_time_constant_ms;
        let expected = 0.5 + (0.4 - 0.5) * (-1.0f64).exp();
        assert!((t.score(&1, tau) - expected).abs() < 1e-15);
    }

    #[test]
    fn time_going_backwards_is_no_time() {
        let mut t = table();
        t.record(1, Behaviour::Invalid, 1000);
        assert_eq!(t.score(&1, 10), t.score(&1, 1000));
        t.record(1, Behaviour::Invalid, 10);
        assert!((t.score(&1, 1000) - 0.3).abs() < 1e-15);
    }

    #[test]
    fn every_bad_parameter_is_reported() {
        let config = DirectTrustConfig {
            initial: 2.0,
            valid_reward: -1.0,
            invalid_penalty: f64::NAN,
            timeout_penalty: 0.05,
            decay_time_constant_ms: 0,
        };
        match DirectTrust::<u8>::new(config) {
            Err(TrustError::InvalidParameters { violations }) => assert_eq!(violations.len(), 4),
            other => panic!("expected InvalidParameters, got {other:?}"),
        }
    }
}
