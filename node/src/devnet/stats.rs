//! Finality latency percentiles and the accepted-per-second rate over a sliding window.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Percentiles of a set of latencies, in milliseconds (nearest-rank: the p-th percentile is the
/// smallest sample with at least p % of the samples at or below it).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// How many samples.
    pub count: usize,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest sample.
    pub max: u64,
    /// Arithmetic mean.
    pub mean: f64,
}

impl Percentiles {
    /// The percentiles of `samples` (any order); all zero when there is none.
    pub fn of(samples: &[u64]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        Self::of_sorted(&sorted)
    }

    /// The percentiles of samples already sorted ascending.
    pub fn of_sorted(sorted: &[u64]) -> Self {
        if sorted.is_empty() {
            return Self::default();
        }
        let sum: u128 = sorted.iter().map(|&s| u128::from(s)).sum();
        Self {
            count: sorted.len(),
            p50: percentile(sorted, 50.0),
            p90: percentile(sorted, 90.0),
            p99: percentile(sorted, 99.0),
            max: sorted[sorted.len() - 1],
            mean: sum as f64 / sorted.len() as f64,
        }
    }
}

/// The nearest-rank `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending, non-empty): the
/// sample at rank ⌈p/100 · n⌉.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    assert!(!sorted.is_empty(), "percentile of no samples");
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A counter's rate of increase over the last `window`, from samples of its value.
#[derive(Debug)]
pub(crate) struct RateWindow {
    window: Duration,
    samples: VecDeque<(Instant, u64)>,
}

impl RateWindow {
    /// A rate over the last `window`.
    pub(crate) fn new(window: Duration) -> Self {
        Self {
            window,
            samples: VecDeque::new(),
        }
    }

    /// Records that the counter is `value` at `now`, and returns its increase per second since
    /// the oldest sample still inside the window (0 until there are two samples).
    pub(crate) fn sample(&mut self, now: Instant, value: u64) -> f64 {
        self.samples.push_back((now, value));
        while let Some(&(at, _)) = self.samples.front() {
            if now.duration_since(at) > self.window && self.samples.len() > 2 {
                self.samples.pop_front();
            } else {
                break;
            }
        }
        let (first_at, first) = self.samples[0];
        let seconds = now.duration_since(first_at).as_secs_f64();
        if seconds <= 0.0 {
            return 0.0;
        }
        value.saturating_sub(first) as f64 / seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<u64> = (1..=100).rev().collect();
        let p = Percentiles::of(&samples);
        assert_eq!(
            (p.count, p.p50, p.p90, p.p99, p.max),
            (100, 50, 90, 99, 100)
        );
        assert!((p.mean - 50.5).abs() < 1e-9);
        let one = Percentiles::of(&[7]);
        assert_eq!((one.p50, one.p90, one.p99, one.max), (7, 7, 7, 7));
        let ten: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&ten, 50.0), 5);
        assert_eq!(percentile(&ten, 90.0), 9);
        assert_eq!(percentile(&ten, 99.0), 10);
        assert_eq!(Percentiles::of(&[]), Percentiles::default());
    }

    #[test]
    fn rate_over_the_window() {
        let start = Instant::now();
        let mut rate = RateWindow::new(Duration::from_secs(1));
        assert_eq!(rate.sample(start, 0), 0.0);
        let r = rate.sample(start + Duration::from_millis(500), 50);
        assert!((r - 100.0).abs() < 1e-6, "{r}");
        rate.sample(start + Duration::from_millis(1000), 100);
        // The sample at 0 falls out of the window: the rate is over the last 1.5 s - 0.5 s.
        let r = rate.sample(start + Duration::from_millis(1500), 400);
        assert!((r - 350.0).abs() < 1e-6, "{r}");
    }
}
