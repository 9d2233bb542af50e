//! The results of a run: the machine, the commit, the devices, and one row per (operation, size,
//! ramjet backend, baseline).

use ramjet_accel::{BackendKind, DeviceInfo, Op};
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
    /// The device backends measured besides the CPU backend, as they describe themselves
    /// (`emulated: true` for lavapipe); empty with `--no-devices` or when none was found. A
    /// device has rows only for the operations it supports.
    #[serde(default)]
    pub devices: Vec<DeviceInfo>,
    /// One row per (operation, size, ramjet backend, baseline).
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

/// One ramjet backend against one baseline, at one size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Operation name (`msm_g1`, ...).
    pub op: String,
    /// Problem size in items.
    pub size: usize,
    /// What the throughputs count, per second.
    pub throughput_unit: String,
    /// Id of the ramjet backend measured (`kind:device`, as [`DeviceInfo::id`] gives it).
    pub backend: String,
    /// Whether that backend is a CPU-emulated device (lavapipe): its timings say nothing about
    /// real hardware.
    pub emulated: bool,
    /// The ramjet backend's timing.
    pub ramjet: Timing,
    /// The alternative.
    pub baseline: Timing,
    /// `baseline.median_s / ramjet.median_s`: above 1 when ramjet is faster.
    pub ratio: f64,
    /// The ratio ramjet aims for, where there is one: only rows of the CPU backend have one.
    pub target: Option<f64>,
    /// Whether `ratio >= target`; `None` without a target.
    pub reached: Option<bool>,
    /// Whether ramjet and the baseline gave the same result on the case's input.
    pub outputs_agree: bool,
}

impl Row {
    /// A row about the ramjet backend described by `backend`, with its ratio and target status
    /// computed from the timings.
    pub fn new(
        op: Op,
        size: usize,
        backend: &DeviceInfo,
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
            backend: backend.id(),
            emulated: backend.emulated,
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

    /// The ramjet backend as the tables name it: see [`backend_name`].
    pub fn backend_name(&self) -> String {
        backend_name(&self.backend, self.emulated)
    }

    /// Whether the row is about a device backend rather than the CPU backend.
    pub fn is_device(&self) -> bool {
        !is_cpu_id(&self.backend)
    }
}

/// Marks a CPU-emulated device in labels and tables.
pub const CPU_EMULATED: &str = "[CPU-emulated]";

/// How the results name the ramjet backend with id `id` (`kind:device`): `cpu` for the CPU
/// backend (the machine line names the CPU), the id for a device, followed by
/// [`CPU_EMULATED`] for an emulated one: `wgpu:llvmpipe (LLVM 15.0.6, 256 bits) [CPU-emulated]`.
pub fn backend_name(id: &str, emulated: bool) -> String {
    let name = if is_cpu_id(id) {
        BackendKind::Cpu.to_string()
    } else {
        id.to_owned()
    };
    if emulated {
        format!("{name} {CPU_EMULATED}")
    } else {
        name
    }
}

/// Whether `id` (`kind:device`) names a CPU backend.
fn is_cpu_id(id: &str) -> bool {
    id.split_once(':')
        .is_some_and(|(kind, _)| kind == BackendKind::Cpu.to_string())
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
/// counts, what device rows time and why emulated ones mean little, and any case where the
/// results disagreed.
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
         about ramjet's CPU backend; they are reported, not asserted."
            .to_owned(),
    );
    if rows.iter().any(Row::is_device) {
        notes.push(
            "Device rows: each timed call includes uploading the input and reading the result \
             back (every level of a Merkle tree); shader compilation and twiddle tables are paid \
             in the untimed warm-up. Device rows have no target."
                .to_owned(),
        );
    }
    let mut emulated: Vec<String> = Vec::new();
    for row in rows.iter().filter(|r| r.is_device() && r.emulated) {
        if !emulated.contains(&row.backend) {
            emulated.push(row.backend.clone());
        }
    }
    if !emulated.is_empty() {
        notes.push(format!(
            "CPU-emulated: {} is wgpu on a CPU-emulated driver (Mesa's lavapipe is Vulkan on the \
             CPU), so the GPU kernels run on the host's own cores. Its rows check that the \
             kernels give the right results; their timings say nothing about a real GPU and are \
             held to no target.",
            emulated.join(", ")
        ));
    }
    if rows.iter().any(|r| r.ramjet.samples < r.baseline.samples) {
        notes.push(
            "samples: where a ramjet backend ran fewer measured runs than its baseline, the \
             column reads `ramjet / baseline`: the quick preset caps device backends, which can \
             take seconds per call on lavapipe."
                .to_owned(),
        );
    }
    for row in rows.iter().filter(|r| !r.outputs_agree) {
        notes.push(format!(
            "WARNING: {} at {} items: ramjet {} and {} gave different results.",
            row.op,
            row.size,
            row.backend_name(),
            row.baseline.implementation
        ));
    }
    notes
}
