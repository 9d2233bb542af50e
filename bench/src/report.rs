//! The results of a run: the machine, the commit, the devices, one row per (operation, size,
//! ramjet backend, baseline), and one prover row per Groth16 case.

use ramjet_accel::{BackendKind, DeviceInfo, Op};
use serde::{Deserialize, Serialize};

use crate::machine::{Commit, Machine};
use crate::measure::Measurement;
use crate::plan::{InferenceBinding, InferenceSystem, InferenceTargets};

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
    /// One row per Groth16 prover case: ramjet's prover against ark-groth16's; empty with
    /// `--no-prover`, or when `--only` leaves the prover out.
    #[serde(default)]
    pub prover: Vec<ProverRow>,
    /// One row per proof-of-inference case; empty with `--no-prover`, or when `--only` leaves
    /// inference out.
    #[serde(default)]
    pub inference: Vec<InferenceRow>,
    /// What a reader must know to read the rows right.
    pub notes: Vec<String>,
}

impl Report {
    /// Every target of the run and whether it was reached, in table order: the operation rows'
    /// ratio targets, then each prover row's speed target and memory target, then the
    /// proof-of-inference targets.
    pub fn target_outcomes(&self) -> Vec<bool> {
        let rows = self.rows.iter().filter_map(|r| r.reached);
        let prover = self
            .prover
            .iter()
            .flat_map(|p| [p.reached, p.memory_reached])
            .flatten();
        let inference = self
            .inference
            .iter()
            .flat_map(|i| i.reached.iter().map(|t| t.reached));
        rows.chain(prover).chain(inference).collect()
    }
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
    /// Items per second at the median (signatures, leaves, points, elements; proofs in prover
    /// rows).
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
        status(self.reached)
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

/// Names of the phases a [`PhaseBreakdown`] lists. Both provers' breakdowns have the three
/// top-level phases [`SYNTHESIS`](phase::SYNTHESIS), [`WITNESS_MAP`](phase::WITNESS_MAP) and
/// [`MSMS_AND_ASSEMBLY`](phase::MSMS_AND_ASSEMBLY); ramjet's also has its parts ([`NTT`](phase::NTT)
/// within the witness map, each MSM and the assembly within the last one).
pub mod phase {
    /// Synthesis: constraint generation, linear-combination inlining, the R1CS matrices and the
    /// full assignment.
    pub const SYNTHESIS: &str = "synthesis";
    /// The R1CS-to-QAP witness map (libsnark's reduction), its NTTs/FFTs included.
    pub const WITNESS_MAP: &str = "witness_map";
    /// The witness map's NTTs, together (ramjet only).
    pub const NTT: &str = "ntt";
    /// The MSMs over the proving key and the final assembly of the proof.
    pub const MSMS_AND_ASSEMBLY: &str = "msms_and_assembly";
    /// The final assembly of `A`, `B`, `C` (ramjet only).
    pub const ASSEMBLY: &str = "assembly";
    /// The top-level phases, in pipeline order.
    pub const TOP_LEVEL: [&str; 3] = [SYNTHESIS, WITNESS_MAP, MSMS_AND_ASSEMBLY];
}

/// One phase of a proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseTime {
    /// The phase's name (see [`phase`]; ramjet's MSMs are `msm_a`, `msm_b_g1`, `msm_b_g2`,
    /// `msm_l`, `msm_h`).
    pub phase: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The top-level phase this one is a part of (`ntt` is part of `witness_map`); `None` for a
    /// top-level phase.
    #[serde(default)]
    pub part_of: Option<String>,
}

/// Where one proof's time went: its top-level phases, which add up to at most `total_s`, and
/// their parts where the prover reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseBreakdown {
    /// Which proof was broken down, and how.
    pub source: String,
    /// Wall-clock seconds of that whole proof.
    pub total_s: f64,
    /// The phases, top-level ones in pipeline order, each followed by its parts.
    pub phases: Vec<PhaseTime>,
}

impl PhaseBreakdown {
    /// Seconds of the phase named `name`, if it is listed.
    pub fn seconds(&self, name: &str) -> Option<f64> {
        self.phases
            .iter()
            .find(|p| p.phase == name)
            .map(|p| p.seconds)
    }

    /// The top-level phases.
    pub fn top_level(&self) -> impl Iterator<Item = &PhaseTime> {
        self.phases.iter().filter(|p| p.part_of.is_none())
    }

    /// The parts of the top-level phase `name`.
    pub fn parts_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a PhaseTime> + 'a {
        self.phases
            .iter()
            .filter(move |p| p.part_of.as_deref() == Some(name))
    }

    /// Seconds of the top-level phases together: at most `total_s`, the rest being the prover's
    /// bookkeeping between phases.
    pub fn top_level_sum(&self) -> f64 {
        self.top_level().map(|p| p.seconds).sum()
    }
}

/// ramjet's Groth16 prover against ark-groth16's on one rollup circuit, same keys, same
/// randomness `(r, s)`, measured in alternation in the same run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProverRow {
    /// The case, e.g. `rollup depth 20, 10 transfers`.
    pub case: String,
    /// Depth of the account tree.
    pub depth: usize,
    /// Transfers in the batch.
    pub transfers: usize,
    /// R1CS constraints of the circuit.
    pub constraints: usize,
    /// Size of the evaluation domain (a power of two, at least constraints + public inputs + 1).
    pub domain_size: usize,
    /// Seconds of ark-groth16's `circuit_specific_setup` for the circuit (untimed in the ratio).
    pub setup_s: f64,
    /// Seconds of ramjet's key preparation (`Prover::prepare`: every base checked on the curve,
    /// made resident), once per key (untimed in the ratio).
    pub prepare_s: f64,
    /// ramjet's prover: `prove_with_randomness`, synthesis included. Throughput in proofs/s.
    pub ramjet: Timing,
    /// ark-groth16's prover: `create_proof_with_reduction`, synthesis included.
    pub ark: Timing,
    /// `ark.median_s / ramjet.median_s`: above 1 when ramjet is faster.
    pub ratio: f64,
    /// The ratio ramjet aims for: only the larger case of the full preset has one.
    pub target: Option<f64>,
    /// Whether `ratio >= target`; `None` without a target.
    pub reached: Option<bool>,
    /// Whether every proof of the case (timed, broken down, memory-measured) was the same bytes
    /// (compressed encoding) from both provers.
    pub proofs_identical: bool,
    /// Whether a proof of each prover passed `Groth16::verify_proof` (a case whose proof fails
    /// stops the run with an error, so a written row has `true`).
    pub verified: bool,
    /// ramjet's phases, from `prove_timed` in the measured run of median time.
    pub ramjet_phases: PhaseBreakdown,
    /// ark-groth16's phases, from one separate instrumented proof (see its `source`).
    pub ark_phases: PhaseBreakdown,
    /// Seconds of ramjet's first proof with a fresh key, which synthesizes the circuit's
    /// matrices and keeps them in the key (one sample, outside the ratio; later proofs reuse them).
    #[serde(default)]
    pub ramjet_first_proof_s: f64,
    /// Heap bytes ramjet's key kept after its first proof (the circuit's matrices); `None` when
    /// not measured.
    #[serde(default)]
    pub ramjet_kept_bytes: Option<u64>,
    /// ramjet's peak heap bytes above what was live before its first proof with a fresh key:
    /// the larger of that first proof's peak and (kept bytes + a later proof's peak); `None`
    /// when not measured (no counting allocator, as in tests).
    pub ramjet_peak_bytes: Option<u64>,
    /// Peak heap bytes of one ark-groth16 proof, measured the same way.
    pub ark_peak_bytes: Option<u64>,
    /// Whether ramjet's peak is at most ark-groth16's; `None` when either was not measured.
    pub memory_reached: Option<bool>,
}

impl ProverRow {
    /// `reached`, `missed` or `no target`, for the speed target.
    pub fn status(&self) -> &'static str {
        status(self.reached)
    }

    /// `reached`, `missed` or `not measured`, for the memory target (ramjet's peak at most
    /// ark-groth16's).
    pub fn memory_status(&self) -> &'static str {
        match self.memory_reached {
            Some(true) => "reached",
            Some(false) => "missed",
            None => "not measured",
        }
    }
}

/// One proof-of-inference case: a model proved and verified with one proof system and binding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferenceRow {
    /// The case, e.g. `mlp 784-56-10, groth16, fixed`.
    pub case: String,
    /// The model, e.g. `mlp 784-56-10`.
    pub model: String,
    /// The proof system.
    pub system: InferenceSystem,
    /// How the model is bound.
    pub binding: InferenceBinding,
    /// Input values.
    pub inputs: usize,
    /// Output values.
    pub outputs: usize,
    /// Weights and biases.
    pub parameters: usize,
    /// Groth16: R1CS constraints.
    pub constraints: Option<usize>,
    /// halo2: rows used.
    pub halo2_rows: Option<usize>,
    /// halo2: the circuit has `2^k` rows.
    pub halo2_k: Option<u32>,
    /// Seconds of the setup, once per model: Groth16 `circuit_specific_setup` and ramjet's key
    /// preparation; halo2 parameters, `keygen_vk` and `keygen_pk`.
    pub setup_s: f64,
    /// Peak heap bytes of the setup, `None` when not measured.
    pub setup_peak_bytes: Option<u64>,
    /// One proof from the circuit with its witness, synthesis included. Throughput in proofs/s.
    pub prove: Timing,
    /// One verification.
    pub verify: Timing,
    /// Bytes of a proof: Groth16 compressed (arkworks), halo2 the transcript.
    pub proof_bytes: usize,
    /// Peak heap bytes of a whole prove as `ramjet infer prove` does it (Groth16: proving key
    /// read and prepared; halo2: parameters and keys regenerated from the model; then the proof);
    /// `None` when not measured (no counting allocator, as in tests).
    pub prove_peak_bytes: Option<u64>,
    /// Seconds of that whole prove, one sample: Groth16's key read, prepared and its first proof
    /// (which also synthesizes the matrices the timed proofs reuse); halo2's keys regenerated and
    /// a proof; EZKL's proofs are all whole (its prove call reads the key and SRS), so this is
    /// their median.
    #[serde(default)]
    pub whole_prove_s: f64,
    /// Hashed binding: what the weights' commitment costs.
    pub commitment: Option<CommitmentCost>,
    /// EZKL: the proof file's size (JSON: the proof, its instances and more).
    #[serde(default)]
    pub proof_file_bytes: Option<usize>,
    /// Whether `prove_peak_bytes` is the proving process's peak resident memory (EZKL) rather
    /// than a heap count.
    #[serde(default)]
    pub peak_is_rss: bool,
    /// What the case is held to (the 784-56-10 MLP only).
    pub targets: InferenceTargets,
    /// Each target and whether it was reached.
    pub reached: Vec<TargetOutcome>,
}

/// What the hashed binding's Poseidon commitment to the weights costs, in each system's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentCost {
    /// Groth16: R1CS constraints.
    Groth16 {
        /// Constraints of the commitment: the hashed circuit's, less the fixed circuit's and
        /// the products `w·x` (the weights' bits and the Poseidon chain).
        constraints: usize,
        /// Products `w·x`: one constraint each once the weights are witnesses.
        products: usize,
        /// Constraints of the same model's fixed-weights circuit.
        fixed_circuit_constraints: usize,
        /// Seconds to compute the commitment natively (packing and Poseidon), once.
        native_s: f64,
    },
    /// halo2: rows of the circuit (the largest group of columns) and `k`.
    Halo2 {
        /// Rows of the hashed circuit.
        rows: usize,
        /// Its `k`.
        k: u32,
        /// Rows of the same model's fixed-weights circuit.
        fixed_rows: usize,
        /// Its `k`.
        fixed_k: u32,
        /// Seconds to compute the commitment natively (packing and halo2's Poseidon), once.
        native_s: f64,
    },
}

/// One target of a proof-of-inference case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetOutcome {
    /// What is held, e.g. `prove ≤ 1 s`.
    pub target: String,
    /// What was measured, in the target's unit.
    pub measured: String,
    /// Whether it was reached.
    pub reached: bool,
}

/// Each target of `row` (from `row.targets`) with the measured value; the peak target is left
/// out when the peak was not measured.
pub fn inference_outcomes(row: &InferenceRow) -> Vec<TargetOutcome> {
    use crate::output::format;
    let t = &row.targets;
    let mut out = Vec::new();
    if let Some(most) = t.prove_s {
        out.push(TargetOutcome {
            target: format!("prove ≤ {}", format::seconds(most)),
            measured: format::seconds(row.prove.median_s),
            reached: row.prove.median_s <= most,
        });
    }
    if let Some(most) = t.verify_s {
        out.push(TargetOutcome {
            target: format!("verify ≤ {}", format::seconds(most)),
            measured: format::seconds(row.verify.median_s),
            reached: row.verify.median_s <= most,
        });
    }
    if let Some(most) = t.proof_bytes {
        out.push(TargetOutcome {
            target: format!("proof ≤ {most} B"),
            measured: format!("{} B", row.proof_bytes),
            reached: row.proof_bytes <= most,
        });
    }
    if let (Some(most), Some(peak)) = (t.peak_bytes, row.prove_peak_bytes) {
        out.push(TargetOutcome {
            target: format!("peak ≤ {} MB", most / 1_000_000),
            measured: format!("{:.0} MB", peak as f64 / 1e6),
            reached: peak <= most,
        });
    }
    out
}

fn status(reached: Option<bool>) -> &'static str {
    match reached {
        Some(true) => "reached",
        Some(false) => "missed",
        None => "no target",
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

/// The notes that go with the prover rows: what the timed region holds, how each prover's
/// phases and peak memory were obtained, and any case whose proofs differed. Empty without rows.
pub fn prover_notes(rows: &[ProverRow], threads: u32) -> Vec<String> {
    if rows.is_empty() {
        return Vec::new();
    }
    let mut notes = vec![
        format!(
            "Groth16 prover: ramjet's prover runs on a CPU-only accelerator \
             (Accelerator::cpu_only(): its NTTs and MSMs on ramjet's CPU backend; a device \
             backend is not used). Both provers use rayon's pool of {threads} threads. ratio = \
             ark-groth16 median / ramjet median, so above 1 means ramjet is faster."
        ),
        "Groth16 prover, timed region: each timed call starts from the circuit with its witness \
         (a fresh clone, made untimed) and ends with the proof, synthesis included, as a user \
         calls it: ramjet's Prover::prove_with_randomness(key, circuit, r, s) (the call is \
         prove_timed, which prove_with_randomness wraps, so that its phases are kept) against \
         ark-groth16's Groth16::<Bn254, LibsnarkReduction>::create_proof_with_reduction(circuit, \
         pk, r, s), with the same (r, s) in every run, alternating. Key setup (ark-groth16's \
         circuit_specific_setup) and ramjet's key preparation are done once per case, untimed, \
         and reported apart. Proofs are compared by their compressed bytes; one of each prover \
         is checked with Groth16::verify_proof."
            .to_owned(),
        "Groth16 prover, phases: ramjet's come from its own per-phase timings (prove_timed) in \
         the measured run whose time is the median (the lower of the two middle runs for an even \
         count). ark-groth16's come from one separate proof after the timed runs, made of its \
         public pieces: synthesis as its prover does it (ConstraintSystem in prove mode, \
         generate_constraints, finalize) plus to_matrices and the full assignment (ark does these \
         at the start of its witness map; ramjet's synthesis does them, so they are counted \
         under synthesis for both); the witness map is LibsnarkReduction::\
         witness_map_from_matrices, timed alone; `MSMs + assembly` is the time of \
         create_proof_with_reduction_and_matrices on the same matrices minus that witness-map \
         time (that call repeats the witness map; ark-groth16 exposes no smaller piece), and \
         that proof's total is synthesis + create_proof_with_reduction_and_matrices. Its proof \
         is checked equal to the timed ones."
            .to_owned(),
        "Groth16 prover, memory: peak heap bytes counted by ramjet-bench's global allocator \
         (every thread's live allocations), above what was live just before: the circuit with \
         its witness and both proving keys (ark-groth16's ProvingKey, ramjet's PreparedKey) were \
         already in memory, so the keys' bases are in neither figure. ark-groth16: one proof. \
         ramjet: a fresh PreparedKey, then the larger of its first proof's peak and (the bytes \
         the key kept after it — the circuit's matrices — plus a later proof's peak). Memory \
         outside the heap (stacks, mapped files) is not counted."
            .to_owned(),
        "Groth16 prover, synthesis: ramjet's PreparedKey keeps the R1CS matrices of the first \
         circuit it proves (the untimed warm-up) and later proofs synthesize the assignment \
         alone, checked against every constraint by the witness map; ark-groth16's prover \
         synthesizes the matrices on every proof. So the timed ramjet proofs are those of a \
         prover proving batch after batch with one key; `ramjet first proof` is the single \
         first proof of a fresh key, which synthesizes everything."
            .to_owned(),
    ];
    if rows
        .iter()
        .any(|r| r.ramjet_peak_bytes.is_none() || r.ark_peak_bytes.is_none())
    {
        notes.push(
            "Groth16 prover, memory: not measured where the tables say so: the program that ran \
             the cases had no counting allocator installed (the ramjet-bench binary has one)."
                .to_owned(),
        );
    }
    for row in rows.iter().filter(|r| !r.proofs_identical) {
        notes.push(format!(
            "WARNING: Groth16 {}: ramjet's and ark-groth16's proofs differ for the same (r, s).",
            row.case
        ));
    }
    notes
}

/// The notes that go with the proof-of-inference rows: what is timed, the EZKL reference and
/// each hashed case's commitment cost.
pub fn inference_notes(rows: &[InferenceRow]) -> Vec<String> {
    use crate::output::format;
    if rows.is_empty() {
        return Vec::new();
    }
    let mut notes = vec![
        "inference: models quantised at 2^7 with 32-bit values. Groth16 is ramjet's prover on a \
         CPU-only accelerator (proofs verified with ark-groth16, the public inputs' MSM timed \
         with the pairing check); halo2 is halo2_proofs 0.3 (IPA over Pasta, no trusted setup). \
         A proof is timed from the circuit with its witness, synthesis included; ramjet's \
         Groth16 key keeps the circuit's matrices from its first proof, so the timed proofs are \
         those of a prover proving input after input with one key. The whole prove (time and \
         peak) is what `ramjet infer prove` does once: Groth16 reads and prepares its proving \
         key and makes its first proof, halo2 regenerates parameters and keys from the model. \
         ramjet quantises at 2^7; EZKL calibrates its own scales (see its note)."
            .to_owned(),
    ];
    for row in rows {
        match &row.commitment {
            Some(CommitmentCost::Groth16 {
                constraints,
                products,
                fixed_circuit_constraints,
                native_s,
            }) => notes.push(format!(
                "inference {}: the Poseidon commitment to the {} weights and biases costs \
                 {constraints} constraints (the weights' bits and the Poseidon chain), plus \
                 {products} products w·x that the fixed binding gets free; the fixed circuit has \
                 {fixed_circuit_constraints} constraints. Computed natively it takes {}.",
                row.case,
                row.parameters,
                format::seconds(*native_s)
            )),
            Some(CommitmentCost::Halo2 {
                rows,
                k,
                fixed_rows,
                fixed_k,
                native_s,
            }) => notes.push(format!(
                "inference {}: with the {} weights and biases committed (range-checked, packed \
                 and hashed with halo2's Poseidon, and multiplied in the circuit) the circuit \
                 takes {rows} rows, k = {k}, against {fixed_rows} rows, k = {fixed_k}, with \
                 the weights fixed. Computed natively the commitment takes {}.",
                row.case,
                row.parameters,
                format::seconds(*native_s)
            )),
            None => {}
        }
    }
    let fixed_and_hashed = rows.iter().filter_map(|hashed| {
        let fixed = rows.iter().find(|f| {
            f.model == hashed.model
                && f.system == hashed.system
                && f.binding == InferenceBinding::Fixed
                && hashed.binding == InferenceBinding::Hashed
        })?;
        Some((fixed, hashed))
    });
    for ezkl in rows.iter().filter(|r| r.system == InferenceSystem::Ezkl) {
        notes.push(format!(
            "inference {}: EZKL ({}) proves with KZG at logrows {}; its peak is the resident \
             memory of the process that proves (Python and the ezkl module included), not a \
             heap count; its proof is {} bytes inside a {}-byte proof file; its setup time \
             is compile_circuit, a local gen_srs and setup (calibration excluded).",
            ezkl.model,
            ezkl.prove.implementation,
            ezkl.halo2_k
                .map_or_else(|| "?".to_owned(), |k| k.to_string()),
            ezkl.proof_bytes,
            ezkl.proof_file_bytes.unwrap_or_default()
        ));
        for ours in rows
            .iter()
            .filter(|r| r.model == ezkl.model && r.system != InferenceSystem::Ezkl)
        {
            notes.push(format!(
                "inference {}: {} proves in {} against EZKL's {} ({}; a whole prove with the \
                 key loaded, as EZKL's are: {}, {}), verifies in {} against {}, with a {}-byte \
                 proof against {} bytes.",
                ours.model,
                ours.case,
                format::seconds(ours.prove.median_s),
                format::seconds(ezkl.prove.median_s),
                format::ratio(ezkl.prove.median_s / ours.prove.median_s),
                format::seconds(ours.whole_prove_s),
                format::ratio(ezkl.prove.median_s / ours.whole_prove_s),
                format::seconds(ours.verify.median_s),
                format::seconds(ezkl.verify.median_s),
                ours.proof_bytes,
                ezkl.proof_bytes
            ));
        }
    }
    for (fixed, hashed) in fixed_and_hashed {
        notes.push(format!(
            "inference {}: hashed weights prove in {} against {} with fixed weights (medians).",
            hashed.model,
            format::seconds(hashed.prove.median_s),
            format::seconds(fixed.prove.median_s)
        ));
    }
    notes
}
