//! Measuring each operation's cost on each backend, for the dispatcher's [`CostModel`].
//!
//! Each (backend, operation) pair is timed at a small and a large size (best of a few runs, on
//! the same inputs for every backend), and a latency + throughput line is fitted through the two
//! points ([`OpCost::fit`]).
//!
//! [`CostModel`]: crate::CostModel

use std::sync::Arc;

use crate::inputs::Sample;
use crate::{Backend, CalibrationProfile, Op, OpCost, Result};

/// How thoroughly to calibrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Small sizes, one repeat: seconds.
    Quick,
    /// Representative sizes, best of three.
    Full,
}

impl Effort {
    /// The two sizes measured for `op`.
    pub fn sizes(self, op: Op) -> (usize, usize) {
        let (small, large) = match op {
            Op::Ed25519Verify => (64, 2048),
            Op::MerkleSha256 => (1 << 10, 1 << 18),
            Op::MerklePoseidon => (1 << 8, 1 << 13),
            Op::MsmG1 => (1 << 10, 1 << 16),
            Op::MsmG2 => (1 << 8, 1 << 13),
            Op::Ntt => (1 << 10, 1 << 18),
        };
        match self {
            Effort::Full => (small, large),
            Effort::Quick => (small, (large / 8).max(small * 2)),
        }
    }

    fn repeats(self) -> usize {
        match self {
            Effort::Quick => 1,
            Effort::Full => 3,
        }
    }
}

/// One finished measurement, reported to the progress callback.
#[derive(Debug, Clone)]
pub struct Step {
    /// Backend id.
    pub backend: String,
    /// Operation.
    pub op: Op,
    /// Fitted cost, or the error the backend gave.
    pub outcome: std::result::Result<OpCost, String>,
    /// Steps done so far, and in all.
    pub done: usize,
    /// Steps in all.
    pub total: usize,
}

/// Measures every supported operation on every backend. `progress` is called after each step.
/// A backend that fails an operation is reported through `progress` and left out of the profile
/// for that operation (the defaults then apply).
pub fn calibrate(
    backends: &[Arc<dyn Backend>],
    effort: Effort,
    mut progress: impl FnMut(&Step),
) -> CalibrationProfile {
    let mut profile = CalibrationProfile {
        version: CalibrationProfile::VERSION,
        ..Default::default()
    };
    let total: usize = backends
        .iter()
        .map(|b| Op::ALL.iter().filter(|&&op| b.supports(op)).count())
        .sum();
    let mut done = 0;
    for op in Op::ALL {
        let (small, large) = effort.sizes(op);
        let small_input = Sample::of(op, small);
        let large_input = Sample::of(op, large);
        for backend in backends.iter().filter(|b| b.supports(op)) {
            let measure = |input: &Sample| -> Result<f64> {
                let mut best = f64::INFINITY;
                for _ in 0..effort.repeats() {
                    best = best.min(input.run(&**backend)?.1.as_secs_f64());
                }
                Ok(best)
            };
            let outcome = measure(&small_input)
                .and_then(|t1| Ok(OpCost::fit((small, t1), (large, measure(&large_input)?))))
                .map_err(|e| e.to_string());
            if let Ok(cost) = outcome {
                profile.set(backend.info(), op, cost);
            }
            done += 1;
            progress(&Step {
                backend: backend.info().id(),
                op,
                outcome,
                done,
                total,
            });
        }
    }
    profile
}
