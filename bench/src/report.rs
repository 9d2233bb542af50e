//! The results of a run: the machine, the commit, and one row per (operation, size, baseline).

use ramjet_accel::Op;
use serde::{Deserialize, Serialize};

use crate::machine::{Commit, Machine};
use crate::measure::Measurement;

/// Everything a run found, as written to `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Size preset: `full`, `quick` or `smoke`.
    pub mode: String,
    /// When the run ended, UTC, RFC 3339 (`2025-01-31T12:00:00Z`).
    pub timestamp_utc: String,
    /// Wall-clock time of the measurements, input generation included.
    pub elapsed_s: f64,
    /// The host.
    pub machine: Machine,
    /// The source the runner was built from.
    pub commit: Commit,
    /// The host's 1-minute load average when the run started, where known: well above 0 means
    /// other processes shared the cores and the timings are noisy.
    pub load_average_at_start: Option<f64>,
    /// One row per (operation, size, baseline).
    pub rows: Vec<Row>,
    /// What a reader must know to read the rows right.
    pub notes: Vec<String>,
}

/// One implementation's timing in one case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Implementation label.
    pub implementation: String,
    /// Median of the samples, in seconds.
    pub median_s: f64,
    /// Fastest sample, in seconds.
    pub min_s: f64,
    /// Number of measured runs.
    pub samples: usize,
    /// Items per second at the median (signatures, leaves, points, elements).
    pub throughput: f64,
}

impl Timing {
    /// Summarises `measurement` of a case of `size` items.
    pub fn from_measurement(measurement: &Measurement, size: usize) -> Self {
        let median_s = measurement.median().as_secs_f64();
        Self {
            implementation: measurement.implementation.clone(),
            median_s,
            min_s: measurement.min().as_secs_f64(),
            samples: measurement.samples.len(),
            throughput: size as f64 / median_s,
        }
    }
}

/// ramjet against one baseline, at one size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Operation name (`msm_g1`, ...).
    pub op: String,
    /// Problem size in items.
    pub size: usize,
    /// What the throughputs count, per second.
    pub throughput_unit: String,
    /// ramjet's CPU backend.
    pub ramjet: Timing,
    /// The alternative.
    pub baseline: Timing,
    /// `baseline.median_s / ramjet.median_s`: above 1 when ramjet is faster.
    pub ratio: f64,
    /// The ratio ramjet aims for, where there is one.
    pub target: Option<f64>,
    /// Whether `ratio >= target`; `None` without a target.
    pub reached: Option<bool>,
    /// Whether ramjet and the baseline gave the same result on the case's input.
    pub outputs_agree: bool,
}

impl Row {
    /// A row, with its ratio and target status computed from the timings.
    pub fn new(
        op: Op,
        size: usize,
        ramjet: Timing,
        baseline: Timing,
        target: Option<f64>,
        outputs_agree: bool,
    ) -> Self {
        let ratio = baseline.median_s / ramjet.median_s;
        Self {
            op: op.name().to_owned(),
            size,
            throughput_unit: throughput_unit(op).to_owned(),
            ramjet,
            baseline,
            ratio,
            target,
            reached: target.map(|t| ratio >= t),
            outputs_agree,
        }
    }

    /// `reached`, `missed` or `no target`.
    pub fn status(&self) -> &'static str {
        match self.reached {
            Some(true) => "reached",
            Some(false) => "missed",
            None => "no target",
        }
    }
}

/// What one item of `op` is, for throughputs.
pub fn throughput_unit(op: Op) -> &'static str {
    match op {
        Op::Ed25519Verify => "sig/s",
        Op::MerkleSha256 | Op::MerklePoseidon => "leaf/s",
        Op::MsmG1 | Op::MsmG2 => "point/s",
        Op::Ntt => "elem/s",
    }
}

/// The notes that go with `rows`: semantic differences between ramjet and its baselines, thread
/// counts, and any case where the results disagreed.
pub fn notes(rows: &[Row], threads: u32) -> Vec<String> {
    let has = |op: Op| rows.iter().any(|r| r.op == op.name());
    let mut notes = Vec::new();
    if has(Op::Ed25519Verify) {
        notes.push(
            "ed25519_verify: ramjet returns one ZIP-215 verdict per signature. ed25519-consensus's \
             batch verifier (same ZIP-215 rules) returns a single bool for the whole batch and \
             says nothing about which item failed; it runs on one thread. The ed25519-dalek row \
             verifies one signature at a time with verify_strict (stricter than ZIP-215: it \
             rejects small-order keys and R), on one thread. Every timed region starts from the \
             raw key, signature and message bytes."
                .to_owned(),
        );
    }
    if has(Op::MsmG1) || has(Op::MsmG2) {
        notes.push(
            "msm: ramjet is called with host bases, so each call also checks that every base is \
             on the curve; arkworks' msm checks only the lengths."
                .to_owned(),
        );
    }
    notes.push(format!(
        "Threads: ramjet's CPU backend and arkworks (msm, fft) use rayon's pool of {threads} \
         threads; the sha2 and light-poseidon reference loops, ed25519-consensus and the \
         ed25519-dalek loop run on one thread."
    ));
    notes.push(
        "ratio = baseline median / ramjet median, so above 1 means ramjet is faster. Targets are \
         reported, not asserted."
            .to_owned(),
    );
    for row in rows.iter().filter(|r| !r.outputs_agree) {
        notes.push(format!(
            "WARNING: {} at {} items: ramjet and {} gave different results.",
            row.op, row.size, row.baseline.implementation
        ));
    }
    notes
}
