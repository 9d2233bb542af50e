//! What a run measures: the size presets, the cases they hold and the target ratios: the cases
//! of the accelerator's operations ([`cases`]) and those of the Groth16 prover ([`prover_cases`]).

use std::fmt;
use std::str::FromStr;

use ramjet_accel::{BackendKind, DeviceInfo, Op};
use serde::{Deserialize, Serialize};

/// A set of problem sizes and repeat counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The target sizes: what the reported ratios are about.
    Full,
    /// Smaller sizes and fewer repeats, for a run of well under two minutes on two cores.
    Quick,
    /// Tiny sizes for the end-to-end test: checks the plumbing, measures nothing of interest.
    Smoke,
}

impl Preset {
    /// The preset's name, as given on the command line and written in the results.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Full => "full",
            Preset::Quick => "quick",
            Preset::Smoke => "smoke",
        }
    }

    /// Untimed runs of each implementation before the measured ones. The warm-up also pays for
    /// a device backend's one-time costs (shader compilation, twiddle tables).
    pub fn warmups(self) -> usize {
        1
    }

    /// The most measured runs of a device backend in each case, where the preset caps them: the
    /// quick preset gives devices [`QUICK_DEVICE_REPEATS`], since lavapipe takes seconds per call
    /// at its sizes; the smoke preset one, so that its test checks the cap.
    pub fn device_repeat_cap(self) -> Option<usize> {
        match self {
            Preset::Quick => Some(QUICK_DEVICE_REPEATS),
            Preset::Smoke => Some(1),
            Preset::Full => None,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "full" => Ok(Preset::Full),
            "quick" => Ok(Preset::Quick),
            "smoke" => Ok(Preset::Smoke),
            other => Err(format!(
                "unknown size preset `{other}` (full, quick or smoke)"
            )),
        }
    }
}

/// Measured runs per case of a device backend in the quick preset.
pub const QUICK_DEVICE_REPEATS: usize = 3;

/// One operation at one size, measured `repeats` times per implementation (`device_repeats` for
/// device backends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// The operation.
    pub op: Op,
    /// Problem size: signatures, leaves, points or field elements.
    pub size: usize,
    /// Measured runs of ramjet's CPU backend and of each baseline.
    pub repeats: usize,
    /// Measured runs of each device backend: at most `repeats`, fewer where the preset caps them.
    pub device_repeats: usize,
}

impl Case {
    /// Measured runs of the ramjet backend described by `info`.
    pub fn repeats_of(&self, info: &DeviceInfo) -> usize {
        if info.kind == BackendKind::Cpu {
            self.repeats
        } else {
            self.device_repeats
        }
    }
}

/// Something a run can be restricted to (`--only`): one operation of the accelerator contract,
/// or the Groth16 prover comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The cases of one operation, on every ramjet backend that supports it.
    Op(Op),
    /// The prover cases: ramjet's Groth16 prover against ark-groth16's on the rollup circuit.
    Groth16,
    /// The proof-of-inference cases: the demo model and the 784-56-10 MLP proved with Groth16
    /// and halo2.
    Inference,
}

impl Subject {
    /// The name of the Groth16 prover comparison on the command line.
    pub const GROTH16: &'static str = "groth16";

    /// The name of the proof-of-inference cases on the command line.
    pub const INFERENCE: &'static str = "inference";

    /// Every subject: the operations in [`Op::ALL`] order, then the prover, then inference.
    pub fn all() -> Vec<Subject> {
        Op::ALL
            .into_iter()
            .map(Subject::Op)
            .chain([Subject::Groth16, Subject::Inference])
            .collect()
    }

    /// The name given to `--only`: the operation's contract name, or `groth16`.
    pub fn name(self) -> &'static str {
        match self {
            Subject::Op(op) => op.name(),
            Subject::Groth16 => Self::GROTH16,
            Subject::Inference => Self::INFERENCE,
        }
    }

    /// Whether `only` (`None`: no restriction) selects this subject.
    pub fn selected_by(self, only: Option<&[Subject]>) -> bool {
        only.is_none_or(|subjects| subjects.contains(&self))
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Op> for Subject {
    fn from(op: Op) -> Self {
        Subject::Op(op)
    }
}

/// The cases of a preset, in run order, restricted to the operations of `only` when it is given,
/// with every repeat count (devices' included) replaced by `repeats` when that is given.
pub fn cases(preset: Preset, only: Option<&[Subject]>, repeats: Option<usize>) -> Vec<Case> {
    let case = |op, log2_or_size: Size, repeats| Case {
        op,
        size: log2_or_size.items(),
        repeats,
        device_repeats: repeats,
    };
    use Size::{Items, Pow2};
    let all = match preset {
        // A batch of 1024 signatures takes ~10 ms: many samples spread it over a second or two, so
        // that a short stall of one core (seen on shared VMs) does not decide the median.
        Preset::Full => vec![
            case(Op::Ed25519Verify, Items(1024), 41),
            case(Op::MerkleSha256, Pow2(20), 7),
            case(Op::MsmG1, Pow2(16), 9),
            case(Op::MsmG1, Pow2(18), 5),
            case(Op::MsmG2, Pow2(12), 7),
            case(Op::Ntt, Pow2(20), 7),
            case(Op::MerklePoseidon, Pow2(12), 7),
        ],
        Preset::Quick => vec![
            case(Op::Ed25519Verify, Items(1024), 21),
            case(Op::MerkleSha256, Pow2(20), 5),
            case(Op::MsmG1, Pow2(16), 5),
            case(Op::MsmG1, Pow2(18), 3),
            case(Op::MsmG2, Pow2(12), 5),
            case(Op::Ntt, Pow2(20), 5),
            case(Op::MerklePoseidon, Pow2(12), 5),
        ],
        Preset::Smoke => vec![
            case(Op::Ed25519Verify, Items(16), 2),
            case(Op::MerkleSha256, Pow2(8), 2),
            case(Op::MsmG1, Pow2(8), 2),
            case(Op::MsmG2, Pow2(4), 2),
            case(Op::Ntt, Pow2(8), 2),
            case(Op::MerklePoseidon, Pow2(4), 2),
        ],
    };
    all.into_iter()
        .filter(|c| Subject::Op(c.op).selected_by(only))
        .map(|c| {
            let device_repeats = repeats.unwrap_or(
                preset
                    .device_repeat_cap()
                    .map_or(c.repeats, |cap| cap.min(c.repeats)),
            );
            Case {
                repeats: repeats.unwrap_or(c.repeats).max(1),
                device_repeats: device_repeats.max(1),
                ..c
            }
        })
        .collect()
}

/// A problem size written either way.
enum Size {
    Items(usize),
    Pow2(u32),
}

impl Size {
    fn items(self) -> usize {
        match self {
            Size::Items(n) => n,
            Size::Pow2(log2) => 1 << log2,
        }
    }
}

/// One Groth16 prover case: a batch of `transfers` rollup transfers over an account tree of
/// `depth`, proved by ramjet's prover and by ark-groth16's, `repeats` measured times each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProverCase {
    /// Depth of the rollup's account tree.
    pub depth: usize,
    /// Transfers in the batch: the circuit grows linearly with them (24,814 constraints each at
    /// depth 20).
    pub transfers: usize,
    /// Measured proofs of each prover.
    pub repeats: usize,
    /// The ratio (ark-groth16 median / ramjet median) ramjet aims for, where there is one.
    pub target: Option<f64>,
}

impl ProverCase {
    /// How the results name the case: `rollup depth 20, 10 transfers`.
    pub fn label(&self) -> String {
        let plural = if self.transfers == 1 { "" } else { "s" };
        format!(
            "rollup depth {}, {} transfer{plural}",
            self.depth, self.transfers
        )
    }

    /// The seed of the case's genesis state and batch (and of its keys and proof randomness).
    pub fn seed(&self) -> u64 {
        0x6772_6f74_6831_3600 ^ ((self.depth as u64) << 16) ^ self.transfers as u64
    }
}

/// The ratio ramjet's prover aims for against ark-groth16's at the larger full-preset size.
pub const PROVER_TARGET: f64 = 1.5;

/// The prover cases of a preset, in run order, none unless `only` selects
/// [`Subject::Groth16`] (or is `None`), with the repeat count replaced by `repeats` when given.
///
/// - full: depth 20 with 2 transfers (49,627 constraints, a domain of 2^16) and with 10
///   (248,139 constraints, 2^18), the latter held to [`PROVER_TARGET`];
/// - quick: the 2-transfer case only, fewer repeats;
/// - smoke: depth 4 with 1 transfer (a domain of 2^14), one measured proof each.
pub fn prover_cases(
    preset: Preset,
    only: Option<&[Subject]>,
    repeats: Option<usize>,
) -> Vec<ProverCase> {
    if !Subject::Groth16.selected_by(only) {
        return Vec::new();
    }
    let case = |depth, transfers, repeats, target| ProverCase {
        depth,
        transfers,
        repeats,
        target,
    };
    let all = match preset {
        Preset::Full => vec![case(20, 2, 7, None), case(20, 10, 5, Some(PROVER_TARGET))],
        Preset::Quick => vec![case(20, 2, 3, None)],
        Preset::Smoke => vec![case(4, 1, 1, None)],
    };
    all.into_iter()
        .map(|c| ProverCase {
            repeats: repeats.unwrap_or(c.repeats).max(1),
            ..c
        })
        .collect()
}

/// The model of a proof-of-inference case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InferenceModel {
    /// The demo model in the repository: a 64-32-10 MLP trained on scikit-learn's digits.
    Digits,
    /// A 784-56-10 MLP with seeded random weights: the size proof-of-inference systems are
    /// compared on (MNIST-shaped).
    Mlp784,
}

impl InferenceModel {
    /// How the results name the model.
    pub fn label(self) -> &'static str {
        match self {
            InferenceModel::Digits => "digits 64-32-10",
            InferenceModel::Mlp784 => "mlp 784-56-10",
        }
    }
}

/// The proof system of a proof-of-inference case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InferenceSystem {
    /// ramjet's Groth16 prover on a CPU-only accelerator; verified with ark-groth16.
    Groth16,
    /// halo2_proofs (IPA over the Pasta curves), keys derived from the model.
    Halo2,
    /// EZKL (halo2 with KZG), the product people compare with, run through its Python package
    /// (`--ezkl PYTHON`): the baseline.
    Ezkl,
}

/// How a proof-of-inference case binds the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InferenceBinding {
    /// The weights are constants of the circuit.
    Fixed,
    /// The weights are private witnesses under a Poseidon commitment.
    Hashed,
}

/// One proof-of-inference case, measured `repeats` times (proofs and verifications).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InferenceCase {
    /// The model.
    pub model: InferenceModel,
    /// The proof system.
    pub system: InferenceSystem,
    /// The binding.
    pub binding: InferenceBinding,
    /// Measured proofs, and measured verifications.
    pub repeats: usize,
}

impl InferenceCase {
    /// How the results name the case: `mlp 784-56-10, groth16, fixed`.
    pub fn label(&self) -> String {
        let system = match self.system {
            InferenceSystem::Groth16 => "groth16",
            InferenceSystem::Halo2 => "halo2",
            InferenceSystem::Ezkl => "ezkl",
        };
        let binding = match self.binding {
            InferenceBinding::Fixed => "fixed",
            InferenceBinding::Hashed => "hashed",
        };
        format!("{}, {system}, {binding}", self.model.label())
    }

    /// The seed of the case's random model and input, setup randomness and proof randomness.
    pub fn seed(&self) -> u64 {
        0x696e_6665_7200 ^ ((self.model as u64) << 8) ^ ((self.system as u64) << 4)
    }

    /// The targets of issue 7 that apply to the case (the 784-56-10 MLP only).
    pub fn targets(&self) -> InferenceTargets {
        use InferenceBinding::{Fixed, Hashed};
        use InferenceSystem::{Groth16, Halo2};
        if self.model != InferenceModel::Mlp784 || self.system == InferenceSystem::Ezkl {
            return InferenceTargets::default();
        }
        let (prove_s, verify_s, proof_bytes) = match (self.system, self.binding) {
            (Groth16, Fixed) => (Some(1.0), Some(0.010), Some(300)),
            (Halo2, Fixed) => (Some(10.0), None, None),
            (Groth16, Hashed) => (Some(10.0), None, None),
            // The brief sets no time for halo2 with hashed weights: its cost is reported.
            (Halo2, Hashed) | (InferenceSystem::Ezkl, _) => (None, None, None),
        };
        InferenceTargets {
            prove_s,
            verify_s,
            proof_bytes,
            peak_bytes: Some(INFERENCE_PEAK_TARGET),
        }
    }
}

/// Most heap a proof of the 784-56-10 MLP may take, in every mode: 400 MB.
pub const INFERENCE_PEAK_TARGET: u64 = 400_000_000;

/// What a proof-of-inference case is held to (reported, never asserted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct InferenceTargets {
    /// Most seconds per proof (median).
    pub prove_s: Option<f64>,
    /// Most seconds per verification (median).
    pub verify_s: Option<f64>,
    /// Most bytes per proof.
    pub proof_bytes: Option<usize>,
    /// Most heap bytes of a whole proof.
    pub peak_bytes: Option<u64>,
}

/// The proof-of-inference cases of a preset, in run order, none unless `only` selects
/// [`Subject::Inference`] (or is `None`), with the repeat count replaced by `repeats` when given.
///
/// - full: both models, Groth16 fixed and hashed and halo2 fixed;
/// - quick: the same but the 784-56-10 MLP's hashed case (its setup alone takes minutes);
/// - smoke: the demo model, Groth16 fixed and halo2 fixed, one measured run each.
///
/// With `ezkl`, each model's cases end with EZKL on the same model and input (the smoke preset
/// has none: EZKL's own setup takes tens of seconds).
pub fn inference_cases(
    preset: Preset,
    only: Option<&[Subject]>,
    repeats: Option<usize>,
    ezkl: bool,
) -> Vec<InferenceCase> {
    use InferenceBinding::{Fixed, Hashed};
    use InferenceModel::{Digits, Mlp784};
    use InferenceSystem::{Ezkl, Groth16, Halo2};
    if !Subject::Inference.selected_by(only) {
        return Vec::new();
    }
    let case = |model, system, binding, repeats| InferenceCase {
        model,
        system,
        binding,
        repeats,
    };
    let all = match preset {
        Preset::Full => vec![
            case(Digits, Groth16, Fixed, 7),
            case(Digits, Groth16, Hashed, 5),
            case(Digits, Halo2, Fixed, 5),
            case(Digits, Halo2, Hashed, 3),
            case(Digits, Ezkl, Fixed, 3),
            case(Mlp784, Groth16, Fixed, 7),
            case(Mlp784, Groth16, Hashed, 3),
            case(Mlp784, Halo2, Fixed, 3),
            case(Mlp784, Halo2, Hashed, 2),
            case(Mlp784, Ezkl, Fixed, 3),
        ],
        Preset::Quick => vec![
            case(Digits, Groth16, Fixed, 3),
            case(Digits, Groth16, Hashed, 3),
            case(Digits, Halo2, Fixed, 3),
            case(Mlp784, Groth16, Fixed, 3),
            case(Mlp784, Halo2, Fixed, 1),
            case(Mlp784, Ezkl, Fixed, 1),
        ],
        Preset::Smoke => vec![
            case(Digits, Groth16, Fixed, 1),
            case(Digits, Halo2, Fixed, 1),
        ],
    };
    all.into_iter()
        .filter(|c| ezkl || c.system != Ezkl)
        .map(|c| InferenceCase {
            repeats: repeats.unwrap_or(c.repeats).max(1),
            ..c
        })
        .collect()
}

/// The ratio (baseline median / ramjet median) ramjet aims for against `baseline`, if it has one.
pub fn target_ratio(op: Op, baseline: &str) -> Option<f64> {
    match (op, baseline) {
        (Op::Ed25519Verify, crate::workloads::signatures::CONSENSUS_BATCH) => Some(1.8),
        (Op::MerkleSha256, _) => Some(1.8),
        (Op::MsmG1, _) => Some(1.5),
        (Op::Ntt, _) => Some(1.2),
        _ => None,
    }
}

/// The target of a row comparing the ramjet backend described by `backend` with `baseline`: the
/// targets are about ramjet's CPU backend, so rows of device backends have none.
pub fn row_target(backend: &DeviceInfo, op: Op, baseline: &str) -> Option<f64> {
    if backend.kind == BackendKind::Cpu {
        target_ratio(op, baseline)
    } else {
        None
    }
}

/// Parses a [`Subject`] by name: an operation's contract name (`msm_g1`, `ntt`, ...) or
/// `groth16`.
pub fn parse_subject(name: &str) -> Result<Subject, String> {
    Subject::all()
        .into_iter()
        .find(|subject| subject.name() == name.trim())
        .ok_or_else(|| {
            let known: Vec<_> = Subject::all().iter().map(|s| s.name()).collect();
            format!("unknown operation `{name}` (one of {})", known.join(", "))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_and_full_cover_every_operation() {
        for preset in [Preset::Full, Preset::Quick, Preset::Smoke] {
            let cases = cases(preset, None, None);
            for op in Op::ALL {
                assert!(cases.iter().any(|c| c.op == op), "{preset} lacks {op}");
            }
        }
    }

    #[test]
    fn only_and_repeats_restrict_the_plan() {
        let cases = cases(Preset::Full, Some(&[Subject::Op(Op::MsmG1)]), Some(3));
        assert_eq!(cases.len(), 2);
        assert!(cases.iter().all(|c| c.op == Op::MsmG1 && c.repeats == 3));
        assert_eq!(cases[0].size, 1 << 16);
        assert_eq!(cases[1].size, 1 << 18);
    }

    #[test]
    fn the_quick_preset_caps_device_repeats_unless_repeats_are_given() {
        for case in cases(Preset::Quick, None, None) {
            assert_eq!(case.device_repeats, case.repeats.min(QUICK_DEVICE_REPEATS));
        }
        assert!(
            cases(Preset::Quick, None, None)
                .iter()
                .any(|c| c.device_repeats < c.repeats)
        );
        for case in cases(Preset::Full, None, None) {
            assert_eq!(case.device_repeats, case.repeats);
        }
        for case in cases(Preset::Smoke, None, None) {
            assert_eq!((case.repeats, case.device_repeats), (2, 1));
        }
        for case in cases(Preset::Quick, None, Some(7)) {
            assert_eq!((case.repeats, case.device_repeats), (7, 7));
        }
        let case = cases(Preset::Quick, Some(&[Op::Ntt.into()]), None)[0];
        let cpu = device(BackendKind::Cpu, false);
        let lavapipe = device(BackendKind::Wgpu, true);
        assert_eq!(case.repeats_of(&cpu), case.repeats);
        assert_eq!(case.repeats_of(&lavapipe), case.device_repeats);
    }

    #[test]
    fn only_the_cpu_backend_has_targets() {
        let cpu = device(BackendKind::Cpu, false);
        assert_eq!(row_target(&cpu, Op::Ntt, "arkworks"), Some(1.2));
        for other in [
            device(BackendKind::Wgpu, true),
            device(BackendKind::Wgpu, false),
            device(BackendKind::Cuda, false),
        ] {
            assert_eq!(row_target(&other, Op::Ntt, "arkworks"), None);
            assert_eq!(row_target(&other, Op::MerkleSha256, "sha2"), None);
        }
    }

    fn device(kind: BackendKind, emulated: bool) -> DeviceInfo {
        DeviceInfo {
            kind,
            device: "test device".to_owned(),
            memory_bytes: None,
            compute_units: 2,
            emulated,
            features: Vec::new(),
        }
    }

    #[test]
    fn operations_and_the_prover_parse_by_name() {
        assert_eq!(parse_subject("msm_g2"), Ok(Subject::Op(Op::MsmG2)));
        assert_eq!(parse_subject("groth16"), Ok(Subject::Groth16));
        assert!(parse_subject("fft").unwrap_err().contains("groth16"));
        assert_eq!("quick".parse(), Ok(Preset::Quick));
        for subject in Subject::all() {
            assert_eq!(parse_subject(&subject.to_string()), Ok(subject));
        }
    }

    #[test]
    fn prover_cases_follow_the_presets() {
        let full = prover_cases(Preset::Full, None, None);
        let shape: Vec<_> = full.iter().map(|c| (c.depth, c.transfers)).collect();
        assert_eq!(shape, [(20, 2), (20, 10)]);
        // The target is about the larger full-preset case only.
        assert_eq!(full[0].target, None);
        assert_eq!(full[1].target, Some(PROVER_TARGET));
        assert!(full[0].repeats > 1 && full[1].repeats > 1);
        assert_eq!(full[1].label(), "rollup depth 20, 10 transfers");

        let quick = prover_cases(Preset::Quick, None, None);
        assert_eq!(quick.len(), 1);
        assert_eq!((quick[0].depth, quick[0].transfers), (20, 2));
        assert!(quick[0].repeats < full[0].repeats);
        assert_eq!(quick[0].target, None);

        let smoke = prover_cases(Preset::Smoke, None, None);
        assert_eq!(smoke.len(), 1);
        assert_eq!(
            (smoke[0].depth, smoke[0].transfers, smoke[0].repeats),
            (4, 1, 1)
        );
        assert_eq!(smoke[0].label(), "rollup depth 4, 1 transfer");
        assert_ne!(smoke[0].seed(), full[0].seed());
    }

    #[test]
    fn only_selects_operations_and_the_prover_apart() {
        let groth16 = [Subject::Groth16];
        assert!(cases(Preset::Full, Some(&groth16), None).is_empty());
        assert_eq!(prover_cases(Preset::Full, Some(&groth16), None).len(), 2);
        let ntt = [Subject::Op(Op::Ntt)];
        assert!(prover_cases(Preset::Full, Some(&ntt), None).is_empty());
        assert_eq!(cases(Preset::Full, Some(&ntt), None).len(), 1);
        let both = [Subject::Op(Op::Ntt), Subject::Groth16];
        assert_eq!(cases(Preset::Smoke, Some(&both), None).len(), 1);
        assert_eq!(
            prover_cases(Preset::Smoke, Some(&both), Some(4))[0].repeats,
            4
        );
    }

    #[test]
    fn targets_follow_the_brief() {
        assert_eq!(
            target_ratio(
                Op::Ed25519Verify,
                crate::workloads::signatures::CONSENSUS_BATCH
            ),
            Some(1.8)
        );
        assert_eq!(
            target_ratio(
                Op::Ed25519Verify,
                crate::workloads::signatures::DALEK_STRICT_LOOP
            ),
            None
        );
        assert_eq!(target_ratio(Op::MsmG2, "arkworks"), None);
        assert_eq!(target_ratio(Op::Ntt, "arkworks"), Some(1.2));
    }

    #[test]
    fn inference_cases_follow_the_presets_and_only_the_784_mlp_has_targets() {
        let full = inference_cases(Preset::Full, None, None, false);
        assert_eq!(full.len(), 8);
        let with_ezkl = inference_cases(Preset::Full, None, None, true);
        assert_eq!(with_ezkl.len(), 10);
        let ezkl: Vec<String> = with_ezkl
            .iter()
            .filter(|c| c.system == InferenceSystem::Ezkl)
            .map(InferenceCase::label)
            .collect();
        assert_eq!(
            ezkl,
            ["digits 64-32-10, ezkl, fixed", "mlp 784-56-10, ezkl, fixed"]
        );
        assert!(inference_cases(Preset::Smoke, None, None, true).len() == 2);
        let labels: Vec<String> = full.iter().map(InferenceCase::label).collect();
        assert!(labels.contains(&"mlp 784-56-10, groth16, hashed".to_owned()));
        assert!(labels.contains(&"mlp 784-56-10, halo2, hashed".to_owned()));
        assert_eq!(inference_cases(Preset::Quick, None, None, false).len(), 5);
        let smoke = inference_cases(Preset::Smoke, None, Some(3), false);
        assert_eq!(smoke.len(), 2);
        assert!(
            smoke
                .iter()
                .all(|c| c.model == InferenceModel::Digits && c.repeats == 3)
        );
        assert!(inference_cases(Preset::Full, Some(&[Subject::Groth16]), None, true).is_empty());
        assert_eq!(parse_subject("inference"), Ok(Subject::Inference));

        for case in &with_ezkl {
            let t = case.targets();
            match (case.model, case.system, case.binding) {
                (InferenceModel::Digits, ..) | (_, InferenceSystem::Ezkl, _) => {
                    assert_eq!(t, InferenceTargets::default())
                }
                (InferenceModel::Mlp784, InferenceSystem::Groth16, InferenceBinding::Fixed) => {
                    assert_eq!(
                        (t.prove_s, t.verify_s, t.proof_bytes),
                        (Some(1.0), Some(0.010), Some(300))
                    );
                }
                (InferenceModel::Mlp784, InferenceSystem::Halo2, InferenceBinding::Hashed) => {
                    assert_eq!((t.prove_s, t.verify_s), (None, None));
                }
                (InferenceModel::Mlp784, ..) => {
                    assert_eq!((t.prove_s, t.verify_s), (Some(10.0), None));
                }
            }
            if case.model == InferenceModel::Mlp784 && case.system != InferenceSystem::Ezkl {
                assert_eq!(t.peak_bytes, Some(400_000_000));
            }
        }
    }
}
