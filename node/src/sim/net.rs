//! The simulated message layer: a full mesh whose every send is delayed by a uniform random
//! delay (so messages overtake each other), dropped, or duplicated, in virtual time and from a
//! seeded RNG.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::SimError;

/// How the network treats each send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetConfig {
    /// Smallest delivery delay in virtual ms (default 5).
    pub min_delay_ms: u64,
    /// Largest delivery delay in virtual ms, inclusive (default 50).
    pub max_delay_ms: u64,
    /// Probability that a send is lost (default 0.02).
    pub p_drop: f64,
    /// Probability that a send that is not lost is delivered twice, each copy with its own delay
    /// (default 0.02).
    pub p_dup: f64,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            min_delay_ms: 5,
            max_delay_ms: 50,
            p_drop: 0.02,
            p_dup: 0.02,
        }
    }
}

impl NetConfig {
    /// A network that delivers every send exactly once after exactly `delay_ms`.
    pub fn fixed(delay_ms: u64) -> Self {
        Self {
            min_delay_ms: delay_ms,
            max_delay_ms: delay_ms,
            p_drop: 0.0,
            p_dup: 0.0,
        }
    }

    /// Every violation: delays out of order, probabilities outside `[0, 1)`.
    pub fn violations(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.min_delay_ms > self.max_delay_ms {
            v.push(format!(
                "min_delay_ms {} is above max_delay_ms {}",
                self.min_delay_ms, self.max_delay_ms
            ));
        }
        for (name, p) in [("p_drop", self.p_drop), ("p_dup", self.p_dup)] {
            if !(p.is_finite() && (0.0..1.0).contains(&p)) {
                v.push(format!("{name} {p} is not in [0, 1)"));
            }
        }
        v
    }
}

/// Counters of the message layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetStats {
    /// Sends requested.
    pub sent: u64,
    /// Sends lost.
    pub dropped: u64,
    /// Sends delivered twice.
    pub duplicated: u64,
    /// Deliveries handed out by [`Network::pop_due`] (a duplicated send counts twice).
    pub delivered: u64,
}

/// A message arriving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery<M> {
    /// Virtual time of arrival.
    pub at_ms: u64,
    /// The sending node's index.
    pub from: usize,
    /// The receiving node's index.
    pub to: usize,
    /// The message.
    pub message: M,
}

/// A message in flight, ordered by (arrival time, send order).
#[derive(Debug)]
struct InFlight<M> {
    at_ms: u64,
    seq: u64,
    from: usize,
    to: usize,
    message: M,
}

impl<M> PartialEq for InFlight<M> {
    fn eq(&self, other: &Self) -> bool {
        (self.at_ms, self.seq) == (other.at_ms, other.seq)
    }
}
impl<M> Eq for InFlight<M> {}
impl<M> PartialOrd for InFlight<M> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for InFlight<M> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at_ms, self.seq).cmp(&(other.at_ms, other.seq))
    }
}

/// The full-mesh network: messages in flight and the RNG that decides their fate.
///
/// Ties in arrival time are broken by send order, so a run is a pure function of the seed and
/// the sends.
#[derive(Debug)]
pub struct Network<M> {
    config: NetConfig,
    rng: ChaCha8Rng,
    in_flight: BinaryHeap<Reverse<InFlight<M>>>,
    next_seq: u64,
    stats: NetStats,
}

impl<M: Clone> Network<M> {
    /// A network with `config`, its randomness from `seed`.
    pub fn new(config: NetConfig, seed: u64) -> Result<Self, SimError> {
        let violations = config.violations();
        if !violations.is_empty() {
            return Err(SimError::InvalidParameters { violations });
        }
        Ok(Self {
            config,
            rng: ChaCha8Rng::seed_from_u64(seed),
            in_flight: BinaryHeap::new(),
            next_seq: 0,
            stats: NetStats::default(),
        })
    }

    /// The parameters.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// Sends `message` from `from` to `to` at `now_ms`: lost with probability `p_drop`, else
    /// delivered after a delay uniform in `[min_delay_ms, max_delay_ms]`, and with probability
    /// `p_dup` a second time after an independent delay. Returns the number of deliveries
    /// scheduled (0, 1 or 2).
    pub fn send(&mut self, now_ms: u64, from: usize, to: usize, message: M) -> usize {
        self.stats.sent += 1;
        if self.rng.gen_bool(self.config.p_drop) {
            self.stats.dropped += 1;
            return 0;
        }
        let copies = if self.rng.gen_bool(self.config.p_dup) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = self
                .rng
                .gen_range(self.config.min_delay_ms..=self.config.max_delay_ms);
            self.in_flight.push(Reverse(InFlight {
                at_ms: now_ms + delay,
                seq: self.next_seq,
                from,
                to,
                message: message.clone(),
            }));
            self.next_seq += 1;
        }
        copies
    }

    /// Arrival time of the next message in flight.
    pub fn next_arrival(&self) -> Option<u64> {
        self.in_flight.peek().map(|m| m.0.at_ms)
    }

    /// The next message arriving at or before `now_ms`, if any.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<Delivery<M>> {
        if self.next_arrival()? > now_ms {
            return None;
        }
        let m = self.in_flight.pop()?.0;
        self.stats.delivered += 1;
        Some(Delivery {
            at_ms: m.at_ms,
            from: m.from,
            to: m.to,
            message: m.message,
        })
    }

    /// Messages still in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The counters so far.
    pub fn stats(&self) -> NetStats {
        self.stats
    }
}
