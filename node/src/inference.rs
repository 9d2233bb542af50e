//! `ramjet infer`: proof of inference from the command line — per-model key setup, proving a
//! model's output on an input, verifying with the verifying key alone, and a model's accuracy.
//!
//! Files (documented with examples in `docs/inference.md`; the demo model is in
//! `prover/models/digits/`):
//! - a **model**: an ONNX file (see `ramjet_prover::inference::model` for the operators);
//! - an **input file**: `{"input": [f64, …]}`, the model's input values as floats;
//! - a **key directory**, written by [`setup`]: `proving_key.bin`, `verifying_key.bin` (arkworks
//!   compressed) and `model.json` ([`ModelInfo`]: the binding, the model's id — SHA-256 of the
//!   ONNX bytes and the quantisation parameters — the parameters, the sizes, the constraint
//!   count, and with the hashed binding the weights' widths and their Poseidon commitment). The
//!   verifying key and `model.json` are what a model's owner publishes;
//! - a **proof directory**, written by [`prove`]: `proof.bin` (arkworks compressed),
//!   `public.json` (the public inputs: with the hashed binding the weights' commitment first,
//!   then the quantised input values, then the output values, as
//!   snarkjs writes public signals; negative values are `p − |v|`) and `output.json`
//!   ([`InferenceOutput`], the same values readable, with the class). A section made private
//!   at setup (`--input-visibility hashed`, `--output-visibility hashed`: [`ModelInfo::visibility`])
//!   is one public value, the Poseidon hash of its values, and the values go into
//!   `private.json` ([`PrivateValues`]), which `verify --reveal` checks against the hash.
//!
//! With `--system halo2` ([`halo2`]) the key directory is `model.json` alone (with `k` and the
//! verifying key's digest, and with the hashed binding the architecture), keys are regenerated
//! (from the model, or with the hashed binding from the architecture), and `public.json` holds
//! decimal strings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_snark::SNARK;
use ark_std::UniformRand;
use ramjet_accel::Accelerator;
use ramjet_prover::formats;
use ramjet_prover::groth16::{Phase, Prover};
use ramjet_prover::inference::circuit::from_field;
use ramjet_prover::inference::halo2::hashed as halo2_hash;
use ramjet_prover::inference::halo2::io as halo2_io;
use ramjet_prover::inference::hashed::{
    HashedInferenceCircuit, WeightWidths, WidthChoice, weights_commitment,
};
use ramjet_prover::inference::io::values_hash;
use ramjet_prover::inference::{
    Accuracy, Dataset, InferenceCircuit, IoVisibility, LoadedModel, QuantParams, Visibility,
    accuracy, argmax,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::proofs::{self, PROVING_KEY, VERIFYING_KEY};
use crate::rollup::{Progress, create_dir, read_json, write_json};
use crate::{NodeError, Result};

pub mod compare;
pub mod halo2;

/// The name of a key directory's description file.
pub const MODEL_INFO: &str = "model.json";

/// The proof systems `ramjet infer` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ProofSystem {
    /// Groth16 over BN254 on the accelerator, with a setup per model.
    Groth16,
    /// halo2 (IPA over the Pasta curves, no trusted setup): with the fixed binding the
    /// verifying key, derived from the model, is the model commitment; with the hashed binding
    /// it is derived from the architecture.
    Halo2,
}

impl ProofSystem {
    /// The Poseidon hash of a hashed section's `values` (decimal): each system hashes in its
    /// own field (BN254's scalar field for Groth16, Vesta's for halo2), so the same values have
    /// a different hash with each.
    pub fn values_hash(self, values: &[i64], value_bits: u32) -> Result<String> {
        Ok(match self {
            Self::Groth16 => values_hash(values, value_bits)?.to_string(),
            Self::Halo2 => halo2_hash::to_decimal(halo2_io::values_hash(values, value_bits)?),
        })
    }
}

/// How the circuit binds the model (see `docs/inference.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Binding {
    /// The weights are constants of the circuit: the key is the model's.
    Fixed,
    /// The weights are private witnesses under a Poseidon commitment, the first public value:
    /// the key serves every model of the architecture.
    Hashed,
}

/// What a key directory's `model.json` says the keys were made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Always `"inference"`.
    pub circuit: String,
    /// The proof system.
    pub system: ProofSystem,
    /// How the model is bound.
    pub binding: Binding,
    /// The model's id (hex): SHA-256 of the ONNX bytes and the quantisation parameters.
    pub model_id: String,
    /// The ONNX file's name when the keys were made (for information).
    pub model_file: String,
    /// The quantisation parameters.
    pub quantisation: QuantParams,
    /// Number of input values.
    pub inputs: usize,
    /// Number of output values.
    pub outputs: usize,
    /// Groth16: R1CS constraints; halo2: rows used (of `2^k`).
    pub constraints: usize,
    /// Whether the input and the output are public values or a Poseidon hash of them (both
    /// public when absent, as in key directories written before hashing existed).
    #[serde(default)]
    pub visibility: IoVisibility,
    /// Hashed binding: the widths of the committed weights and biases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widths: Option<WeightWidths>,
    /// Hashed binding: the Poseidon commitment to the set-up model's weights (decimal), the
    /// value a proof's first public input must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    /// halo2: `k` and the verifying key's digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halo2: Option<halo2::Halo2Circuit>,
}

impl ModelInfo {
    /// Number of public values a proof has: the commitment (hashed binding), the input
    /// section, the output section (the values, or one hash each).
    pub fn public_values(&self) -> usize {
        usize::from(self.binding == Binding::Hashed)
            + self.visibility.public_len(self.inputs, self.outputs)
    }
}

/// A model input file: `{"input": [f64, …]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    /// The input values, as floats.
    pub input: Vec<f64>,
}

/// `output.json` of a proof directory: what was proved, readable. A hashed section appears as
/// its hash only; its values are in `private.json` ([`PrivateValues`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferenceOutput {
    /// The proved model's id (hex).
    pub model_id: String,
    /// Hashed binding: the Poseidon commitment to the proved model's weights (decimal), the
    /// first public value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    /// halo2: the digest of the verifying key the proof was made with (hex), the model
    /// commitment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vk_digest: Option<String>,
    /// The quantisation parameters.
    pub quantisation: QuantParams,
    /// Whether the input and output are public or hashed.
    #[serde(default)]
    pub visibility: IoVisibility,
    /// The quantised input values (at `2^scale`); empty when the input is hashed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input: Vec<i64>,
    /// Hashed input: the Poseidon hash of the quantised input values (decimal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_hash: Option<String>,
    /// The output values (at `2^scale`); empty when the output is hashed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<i64>,
    /// Hashed output: the Poseidon hash of the output values (decimal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_hash: Option<String>,
    /// The output values as floats (`output / 2^scale`); empty when the output is hashed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_float: Vec<f64>,
    /// The index of the largest output (the class, for a classifier); none when the output
    /// is hashed.
    pub class: Option<usize>,
}

/// `private.json` of a proof directory, written when a section is hashed: the values behind
/// the hashes. The prover keeps it and gives it to whom may see them; `ramjet infer verify
/// --reveal FILE` checks it against the proof's hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateValues {
    /// The quantised input values, when the input is hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Vec<i64>>,
    /// The output values, when the output is hashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Vec<i64>>,
}

/// One section of a proof's public values (the input or the output), as a verifier knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Section {
    /// The values (at `2^scale`): public, or revealed and checked against their hash.
    Values(Vec<i64>),
    /// Only the Poseidon hash of the values is public (decimal).
    Hashed {
        /// The hash.
        hash: String,
    },
}

impl Section {
    /// The values, if known.
    pub fn values(&self) -> Option<&[i64]> {
        match self {
            Self::Values(values) => Some(values),
            Self::Hashed { .. } => None,
        }
    }

    /// The index of the largest value (the class, for a classifier's output), if known.
    pub fn class(&self) -> Option<usize> {
        self.values().and_then(argmax)
    }

    /// The section with its values checked against `revealed`: a hashed section's hash must be
    /// the values' hash (with `system`'s hash), a public section's values must be them.
    fn reveal(
        self,
        system: ProofSystem,
        revealed: &[i64],
        value_bits: u32,
        what: &str,
    ) -> Result<Self> {
        let matches = match &self {
            Self::Values(values) => values == revealed,
            Self::Hashed { hash } => system
                .values_hash(revealed, value_bits)
                .is_ok_and(|h| h == *hash),
        };
        if !matches {
            return Err(NodeError::ProofRejected(format!(
                "the proof is about another {what} than the one revealed"
            )));
        }
        Ok(Self::Values(revealed.to_vec()))
    }
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Values(values) => write!(f, "{values:?}"),
            Self::Hashed { hash } => write!(f, "hashed ({hash})"),
        }
    }
}

/// The shape of the keys [`setup`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The proof system.
    pub system: ProofSystem,
    /// How the model is bound.
    pub binding: Binding,
    /// Whether the input and the output are public or hashed.
    pub visibility: IoVisibility,
    /// Hashed binding: the widths asked for (the smallest that fit when left out). With the
    /// fixed binding asking for one is an error.
    pub widths: WidthChoice,
}

/// What [`setup`] did.
#[derive(Debug)]
pub struct SetupDone {
    /// The key directory's description.
    pub info: ModelInfo,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// `ramjet infer setup`: loads and quantises the model, generates its Groth16 keys and writes
/// the key directory `out`. With `seed`, the setup's secret randomness comes from the seed —
/// reproducible, and therefore only for tests. With halo2 ([`halo2`]) there is no secret: the
/// verifying key is derived from the model and its digest written to `model.json`.
pub fn setup(
    model_path: &Path,
    params: QuantParams,
    shape: Shape,
    out: &Path,
    seed: Option<u64>,
    progress: &dyn Progress,
) -> Result<SetupDone> {
    let Shape {
        system,
        binding,
        visibility,
        widths: width_choice,
    } = shape;
    if binding == Binding::Fixed && !width_choice.is_default() {
        return Err(invalid(
            "--weight-bits and --bias-bits are the widths of committed weights: they need \
             --binding hashed (with the fixed binding the weights are constants of the circuit)",
        ));
    }
    if system == ProofSystem::Halo2 {
        return halo2::setup(model_path, params, shape, out, progress);
    }
    progress.step("loading and quantising the model");
    let model = LoadedModel::read(model_path, params)?;
    progress.step("building the circuit");
    let quantised = &model.quantised;
    let (constraints, widths, commitment) = match binding {
        Binding::Fixed => (
            count(InferenceCircuit::blank(Arc::clone(quantised)).with_visibility(visibility))?,
            None,
            None,
        ),
        Binding::Hashed => {
            let widths = width_choice.resolve(quantised)?;
            let circuit = HashedInferenceCircuit::blank(Arc::clone(quantised), widths)?
                .with_visibility(visibility);
            let commitment = weights_commitment(quantised, widths)?;
            (count(circuit)?, Some(widths), Some(commitment.to_string()))
        }
    };
    progress.step(&format!(
        "generating keys for {constraints} constraints (ark-groth16 setup)"
    ));
    let mut rng = match seed {
        Some(seed) => ChaCha20Rng::seed_from_u64(seed),
        None => ChaCha20Rng::from_entropy(),
    };
    let (pk, vk) = match widths {
        None => Groth16::<Bn254>::circuit_specific_setup(
            InferenceCircuit::blank(Arc::clone(quantised)).with_visibility(visibility),
            &mut rng,
        ),
        Some(widths) => Groth16::<Bn254>::circuit_specific_setup(
            HashedInferenceCircuit::blank(Arc::clone(quantised), widths)?
                .with_visibility(visibility),
            &mut rng,
        ),
    }
    .map_err(ramjet_prover::ProverError::from)?;
    progress.step("writing the keys");
    create_dir(out)?;
    let info = ModelInfo {
        circuit: "inference".into(),
        system,
        binding,
        model_id: model.id.to_hex(),
        model_file: model_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        quantisation: params,
        inputs: model.quantised.input_len,
        outputs: model.quantised.output_len(),
        constraints,
        visibility,
        widths,
        commitment,
        halo2: None,
    };
    let files = vec![
        out.join(PROVING_KEY),
        out.join(VERIFYING_KEY),
        out.join(MODEL_INFO),
    ];
    formats::write_proving_key(&files[0], &pk)?;
    formats::write_verifying_key(&files[1], &vk)?;
    write_json(&files[2], &info)?;
    Ok(SetupDone { info, files })
}

/// What [`prove`] produced.
#[derive(Debug)]
pub struct Proved {
    /// What was proved, as `output.json` says it.
    pub output: InferenceOutput,
    /// The values behind the hashes, as `private.json` holds them (none when nothing is
    /// hashed).
    pub private: Option<PrivateValues>,
    /// The files written: proof, public inputs, readable output.
    pub files: Vec<PathBuf>,
    /// Seconds per prover phase, in pipeline order.
    pub phases: Vec<(&'static str, f64)>,
}

/// `ramjet infer prove`: with the fixed binding, checks that `model_path` is the model the keys
/// in `keys` were made for (its id); runs the fixed-point inference on the input, proves it on
/// `accel`, checks the proof and writes the proof directory `out`. With the hashed binding any
/// model of the keys' architecture is proved, and its commitment is the first public value.
pub fn prove(
    model_path: &Path,
    input_path: &Path,
    keys: &Path,
    system: ProofSystem,
    out: &Path,
    accel: Arc<Accelerator>,
    progress: &dyn Progress,
) -> Result<Proved> {
    progress.step("loading the model and its keys' description");
    let info = read_info(keys, system)?;
    let model = LoadedModel::read(model_path, info.quantisation)?;
    // With the fixed binding the key is the model's; with the hashed binding it serves any
    // model of the architecture, and the proof's commitment says which.
    if info.binding == Binding::Fixed && model.id.to_hex() != info.model_id {
        return Err(invalid(&format!(
            "{} is model {}, but the keys in {} were made for model {}",
            model_path.display(),
            model.id,
            keys.display(),
            info.model_id
        )));
    }
    let input_file: InputFile = read_json(input_path, "an inference input file")?;
    if system == ProofSystem::Halo2 {
        return halo2::prove(&model, &input_file, &info, keys, out, progress);
    }
    progress.step("running the fixed-point inference");
    let quantised = &model.quantised;
    let input = quantised.quantise_input(&input_file.input)?;
    let output = quantised.infer(&input)?;
    let visibility = info.visibility;
    let (fixed, hashed, public_inputs, commitment) = match (info.binding, info.widths) {
        (Binding::Fixed, _) => {
            let circuit = InferenceCircuit::new(Arc::clone(quantised), input.clone())?
                .with_visibility(visibility);
            let public = circuit
                .public_inputs()?
                .expect("a circuit with an assignment");
            (Some(circuit), None, public, None)
        }
        (Binding::Hashed, Some(widths)) => {
            let circuit =
                HashedInferenceCircuit::new(Arc::clone(quantised), widths, input.clone())?
                    .with_visibility(visibility);
            let public = circuit
                .public_inputs()?
                .expect("a circuit with an assignment");
            let commitment = public[0].to_string();
            (None, Some(circuit), public, Some(commitment))
        }
        (Binding::Hashed, None) => {
            return Err(invalid(&format!(
                "{}: a hashed binding without the weights' widths",
                keys.join(MODEL_INFO).display()
            )));
        }
    };
    progress.step("reading the proving key");
    let pk = formats::read_proving_key(keys.join(PROVING_KEY))?;
    let prover = Prover::new(accel);
    progress.step("preparing the key (validating the bases)");
    let key = prover.prepare(pk)?;
    progress.step("proving");
    let mut rng = ChaCha20Rng::from_entropy();
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let (proof, timings) = match (fixed, hashed) {
        (Some(circuit), _) => prover.prove_timed(&key, circuit, r, s)?,
        (None, Some(circuit)) => prover.prove_timed(&key, circuit, r, s)?,
        (None, None) => unreachable!("one of the two circuits is built"),
    };
    progress.step("checking the proof");
    proofs::check(key.verifying_key(), &proof, &public_inputs)?;
    create_dir(out)?;
    let (result, private) = describe(&model, &info, commitment, None, input, output)?;
    let mut files = vec![
        out.join("proof.bin"),
        out.join("public.json"),
        out.join("output.json"),
    ];
    formats::write_proof(&files[0], &proof)?;
    formats::write_public_inputs_json(&files[1], &public_inputs)?;
    write_json(&files[2], &result)?;
    write_private(out, private.as_ref(), &mut files)?;
    Ok(Proved {
        output: result,
        private,
        files,
        phases: timings
            .phases()
            .map(|(phase, d): (Phase, _)| (phase.name(), d.as_secs_f64()))
            .collect(),
    })
}

/// The name of a proof directory's file of the values behind its hashes.
pub const PRIVATE_VALUES: &str = "private.json";

/// `output.json`'s description of an inference with the keys `info` describes (their system,
/// quantisation and visibility), and the values behind its hashes (`None` when nothing is
/// hashed).
fn describe(
    model: &LoadedModel,
    info: &ModelInfo,
    commitment: Option<String>,
    vk_digest: Option<String>,
    input: Vec<i64>,
    output: Vec<i64>,
) -> Result<(InferenceOutput, Option<PrivateValues>)> {
    let (quantisation, visibility) = (info.quantisation, info.visibility);
    let bits = quantisation.value_bits;
    let hash = |values: &[i64]| info.system.values_hash(values, bits);
    let mut private = PrivateValues::default();
    let (input, input_hash) = match visibility.input {
        Visibility::Public => (input, None),
        Visibility::Hashed => {
            let h = hash(&input)?;
            private.input = Some(input);
            (Vec::new(), Some(h))
        }
    };
    let (output, output_hash) = match visibility.output {
        Visibility::Public => (output, None),
        Visibility::Hashed => {
            let h = hash(&output)?;
            private.output = Some(output);
            (Vec::new(), Some(h))
        }
    };
    let description = InferenceOutput {
        model_id: model.id.to_hex(),
        commitment,
        vk_digest,
        quantisation,
        visibility,
        input,
        input_hash,
        output_float: output.iter().map(|&v| quantisation.dequantise(v)).collect(),
        class: argmax(&output),
        output,
        output_hash,
    };
    let private = (private != PrivateValues::default()).then_some(private);
    Ok((description, private))
}

/// Writes `private.json` into the proof directory `out` when there is something to write.
fn write_private(
    out: &Path,
    private: Option<&PrivateValues>,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let path = out.join(PRIVATE_VALUES);
    match private {
        Some(private) => {
            write_json(&path, private)?;
            files.push(path);
        }
        // An earlier proof's values must not pass for this one's.
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(NodeError::File {
                    path,
                    reason: format!("removing an earlier proof's file: {e}"),
                });
            }
            _ => {}
        },
    }
    Ok(())
}

/// What [`verify`] established.
#[derive(Debug)]
pub struct Verified {
    /// The key directory's description (the model's id and parameters).
    pub info: ModelInfo,
    /// The proved input (quantised, at `2^scale`), or its hash.
    pub input: Section,
    /// The proved output (at `2^scale`), or its hash.
    pub output: Section,
}

/// What `ramjet infer verify` checks beyond the proof itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect<'a> {
    /// The ONNX file must be the model the key was made for (required with halo2: the
    /// verifying key is regenerated from it).
    pub model: Option<&'a Path>,
    /// The proof must be about this input file's input, quantised (also when the input is
    /// hashed: its hash is checked).
    pub input: Option<&'a Path>,
    /// A `private.json`: the values behind the proof's hashes, checked against them.
    pub reveal: Option<&'a Path>,
}

/// `ramjet infer verify`: checks the proof against the verifying key in `keys` (its
/// `verifying_key.bin` and `model.json`; the proving key is not needed) and the public inputs,
/// then what `expect` asks for. With halo2 the verifying key is regenerated from the model,
/// which is then required, or with the hashed binding from the architecture in `model.json`
/// ([`halo2`]).
pub fn verify(
    keys: &Path,
    system: ProofSystem,
    proof: &Path,
    public: &Path,
    expect: Expect<'_>,
) -> Result<Verified> {
    let info = read_info(keys, system)?;
    let (mut input, mut output) = if system == ProofSystem::Halo2 {
        halo2::verify(&info, keys, proof, public, expect.model)?
    } else {
        verify_groth16(&info, keys, proof, public, expect.model)?
    };
    let bits = info.quantisation.value_bits;
    if let Some(path) = expect.reveal {
        let revealed: PrivateValues = read_json(path, "a private.json of revealed values")?;
        if let Some(values) = revealed.input {
            input = input.reveal(system, &values, bits, "input")?;
        }
        if let Some(values) = revealed.output {
            output = output.reveal(system, &values, bits, "output")?;
        }
    }
    if let Some(path) = expect.input {
        let file: InputFile = read_json(path, "an inference input file")?;
        let quantised: Vec<i64> = file
            .input
            .iter()
            .map(|&v| QuantParams::round_at(v, info.quantisation.scale))
            .collect::<ramjet_prover::Result<_>>()?;
        input = input
            .reveal(system, &quantised, bits, "input")
            .map_err(|_| {
                NodeError::ProofRejected(format!(
                    "the proof is about another input than {}",
                    path.display()
                ))
            })?;
    }
    Ok(Verified {
        input,
        output,
        info,
    })
}

/// The Groth16 checks of [`verify`]: the proof, the weights commitment (hashed binding), the
/// model file if given; the input and output sections as the public values give them.
fn verify_groth16(
    info: &ModelInfo,
    keys: &Path,
    proof: &Path,
    public: &Path,
    model: Option<&Path>,
) -> Result<(Section, Section)> {
    let vk = proofs::read_verifying_key(keys)?;
    let proof = formats::read_proof(proof)?;
    let public_inputs = formats::read_public_inputs_json(public)?;
    proofs::check(&vk, &proof, &public_inputs)?;
    if public_inputs.len() != info.public_values() {
        return Err(NodeError::ProofRejected(format!(
            "{} public values, but the key's model.json describes {}",
            public_inputs.len(),
            info.public_values()
        )));
    }
    let values = if info.binding == Binding::Hashed {
        // The proof is about the model whose commitment is its first public value: it must be
        // the published one.
        let proved = public_inputs[0].to_string();
        let published = info.commitment.as_deref().unwrap_or("none");
        if proved != published {
            return Err(NodeError::ProofRejected(format!(
                "the proof is about the model with weights commitment {proved}, not the \
                 published {published}"
            )));
        }
        &public_inputs[1..]
    } else {
        &public_inputs[..]
    };
    let (input, output) = values.split_at(info.visibility.input.public_len(info.inputs));
    let section = |visibility: Visibility, values: &[Fr]| -> Result<Section> {
        match visibility {
            Visibility::Public => values
                .iter()
                .map(|&f| from_field(f))
                .collect::<Option<Vec<i64>>>()
                .map(Section::Values)
                .ok_or_else(|| {
                    NodeError::ProofRejected("a public value is not a small integer".into())
                }),
            Visibility::Hashed => Ok(Section::Hashed {
                hash: values[0].to_string(),
            }),
        }
    };
    let sections = (
        section(info.visibility.input, input)?,
        section(info.visibility.output, output)?,
    );
    if let Some(model) = model {
        let loaded = LoadedModel::read(model, info.quantisation)?;
        let same = match (info.binding, info.widths) {
            (Binding::Fixed, _) => loaded.id.to_hex() == info.model_id,
            (Binding::Hashed, Some(widths)) => {
                weights_commitment(&loaded.quantised, widths)?.to_string()
                    == info.commitment.as_deref().unwrap_or_default()
            }
            (Binding::Hashed, None) => false,
        };
        if !same {
            let what = match info.binding {
                Binding::Fixed => "",
                Binding::Hashed => " (its weights commitment is not the published one)",
            };
            return Err(NodeError::ProofRejected(format!(
                "{} is model {}, but the key was made for model {}{what}",
                model.display(),
                loaded.id,
                info.model_id
            )));
        }
    }
    Ok(sections)
}

/// `ramjet infer accuracy`: the float and the quantised model's accuracy on a labelled data set.
pub fn measure_accuracy(model: &Path, params: QuantParams, data: &Path) -> Result<Accuracy> {
    let model = LoadedModel::read(model, params)?;
    let data = Dataset::read(data)?;
    Ok(accuracy(&model.float, &model.quantised, &data)?)
}

fn count<C: ark_relations::gr1cs::ConstraintSynthesizer<Fr>>(circuit: C) -> Result<usize> {
    use ark_relations::gr1cs::{ConstraintSystem, SynthesisMode};
    let cs = ConstraintSystem::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    circuit
        .generate_constraints(cs.clone())
        .map_err(ramjet_prover::ProverError::from)?;
    Ok(cs.num_constraints())
}

fn invalid(message: &str) -> NodeError {
    NodeError::Inference(message.to_owned())
}

/// The keys' `model.json`, refused if the keys were made for another proof system.
fn read_info(keys: &Path, system: ProofSystem) -> Result<ModelInfo> {
    let info: ModelInfo = read_json(&keys.join(MODEL_INFO), "an inference model.json")?;
    if info.system != system {
        return Err(invalid(&format!(
            "the keys in {} are for {:?}, not {system:?}",
            keys.display(),
            info.system
        )));
    }
    Ok(info)
}
