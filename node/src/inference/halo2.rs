//! `ramjet infer … --system halo2`: the halo2 circuits (`ramjet_prover::inference::halo2`) from
//! the command line, with the fixed or the hashed binding and public or hashed input and
//! output.
//!
//! halo2 has no trusted setup and its keys are derived from the circuit, so the key directory
//! holds only `model.json`: the model's id, `k` (the circuit has `2^k` rows), the visibility and
//! the verifying key's digest. `halo2_proofs` 0.3 does not serialise keys, so they are
//! regenerated, and the regenerated key's digest checked against the published one:
//!
//! - **fixed** binding: the digest is the model commitment; `prove` and `verify` regenerate the
//!   keys from the ONNX model (`--model` is required by `verify`);
//! - **hashed** binding ([`hashed`]): the keys depend on the architecture only, which
//!   `model.json` records (`halo2.architecture`, e.g. `[{"dense": [64, 32]}, "relu", …]`) with
//!   the weights' widths and the published Poseidon commitment; the keys are regenerated from a
//!   zero-weight model of that shape, so `verify` needs no model. `prove` accepts any model of
//!   the architecture.
//!
//! A proof directory holds `proof.bin` (the proof's bytes, a Blake2b transcript),
//! `public.json` (the instance column as decimal strings: with the hashed binding the weights'
//! commitment first, then the input section, then the output section — a public section's
//! quantised values, signed, or a hashed section's Poseidon hash, a field element), and
//! `output.json` (with `private.json` when a section is hashed).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use ramjet_prover::ProverError;
use ramjet_prover::inference::halo2::hashed::{from_decimal, to_decimal};
use ramjet_prover::inference::halo2::layout::to_field;
use ramjet_prover::inference::halo2::{
    Design, Fp, VerifyingKeyDigest, params as commitment_params, verify_instance,
};
use ramjet_prover::inference::shape::LayerShape;
use ramjet_prover::inference::{LoadedModel, QuantParams, QuantisedModel, Visibility};
use serde::{Deserialize, Serialize};

use super::{
    Binding, InferenceOutput, InputFile, MODEL_INFO, ModelInfo, PrivateValues, ProofSystem, Proved,
    Section, SetupDone, Shape, describe, invalid, write_private,
};
use crate::rollup::{Progress, create_dir, read_json, write_json};
use crate::{NodeError, Result};

mod hashed;

/// What `model.json` says of a halo2 circuit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Halo2Circuit {
    /// The circuit has `2^k` rows; the commitment parameters are `Params::new(k)`.
    pub k: u32,
    /// SHA-256 of the verifying key's pinned description (hex): with the fixed binding the
    /// model commitment, with the hashed binding the architecture's.
    pub vk_digest: String,
    /// Hashed binding: the layers' shapes, from which the keys are rebuilt without the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Vec<LayerShape>>,
}

/// `ramjet infer setup --system halo2`: derives the verifying key (of the model, or with the
/// hashed binding of its architecture) and writes `model.json` with `k` and the key's digest,
/// and with the hashed binding the architecture, the widths and the model's commitment.
pub(super) fn setup(
    model_path: &Path,
    params: QuantParams,
    shape: Shape,
    out: &Path,
    progress: &dyn Progress,
) -> Result<SetupDone> {
    progress.step("loading and quantising the model");
    let model = LoadedModel::read(model_path, params)?;
    progress.step("laying out the halo2 circuit");
    let quantised = &model.quantised;
    let (design, key_model, hashed_binding) = match shape.binding {
        Binding::Fixed => (Design::fixed(shape.visibility), Arc::clone(quantised), None),
        Binding::Hashed => {
            let setup = hashed::setup(quantised, shape.visibility, shape.widths)?;
            (setup.design, setup.blank, Some(setup.published))
        }
    };
    let (k, rows) = (design.k(&key_model)?, design.rows(&key_model)?);
    let of = match shape.binding {
        Binding::Fixed => "the model's",
        Binding::Hashed => "the architecture's",
    };
    progress.step(&format!(
        "deriving {of} verifying key ({rows} rows, k = {k}; no trusted setup)"
    ));
    let vk = design.verifying_key(&commitment_params(k), &key_model)?;
    let digest = VerifyingKeyDigest::of(&vk);
    progress.step("writing model.json");
    create_dir(out)?;
    let (widths, architecture, commitment) = match hashed_binding {
        Some(published) => (
            Some(published.widths),
            Some(published.architecture),
            Some(published.commitment),
        ),
        None => (None, None, None),
    };
    let info = ModelInfo {
        circuit: "inference".into(),
        system: ProofSystem::Halo2,
        binding: shape.binding,
        model_id: model.id.to_hex(),
        model_file: model_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        quantisation: params,
        inputs: quantised.input_len,
        outputs: quantised.output_len(),
        constraints: rows,
        visibility: shape.visibility,
        widths,
        commitment,
        halo2: Some(Halo2Circuit {
            k,
            vk_digest: digest.to_hex(),
            architecture,
        }),
    };
    let file = out.join(MODEL_INFO);
    write_json(&file, &info)?;
    Ok(SetupDone {
        info,
        files: vec![file],
    })
}

fn circuit_info<'a>(info: &'a ModelInfo, keys: &Path) -> Result<&'a Halo2Circuit> {
    info.halo2.as_ref().ok_or_else(|| {
        invalid(&format!(
            "{}: a halo2 key directory without k and the verifying key's digest",
            keys.join(MODEL_INFO).display()
        ))
    })
}

/// `ramjet infer prove --system halo2`, after the caller checked that the model is the keys'
/// (its id, with the fixed binding): regenerates the proving key (from the model, or from the
/// architecture), checks its digest, proves, checks the proof and writes the proof directory.
pub(super) fn prove(
    model: &LoadedModel,
    input_file: &InputFile,
    info: &ModelInfo,
    keys: &Path,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Proved> {
    let circuit = circuit_info(info, keys)?;
    let quantised = &model.quantised;
    let (design, key_model) = match info.binding {
        Binding::Fixed => (Design::fixed(info.visibility), Arc::clone(quantised)),
        Binding::Hashed => hashed::prover_design(info, keys, quantised)?,
    };
    progress.step("running the fixed-point inference");
    let input = quantised.quantise_input(&input_file.input)?;
    quantised.infer(&input)?;
    let of = match info.binding {
        Binding::Fixed => "the model",
        Binding::Hashed => "the architecture",
    };
    progress.step(&format!("deriving the proving key from {of}"));
    let total = Instant::now();
    let params = commitment_params(circuit.k);
    let pk = design.proving_key(&params, &key_model)?;
    let digest = VerifyingKeyDigest::of(pk.get_vk()).to_hex();
    if digest != circuit.vk_digest {
        return Err(invalid(&format!(
            "{of}'s halo2 verifying key has digest {digest}, but the keys in {} publish {}",
            keys.display(),
            circuit.vk_digest
        )));
    }
    let keygen = total.elapsed();
    progress.step("proving (halo2, IPA over Pasta)");
    let started = Instant::now();
    let proof = design.prove(&params, &pk, quantised, input)?;
    let proving = started.elapsed();
    progress.step("checking the proof");
    verify_instance(&params, pk.get_vk(), &proof.instance, &proof.bytes)?;
    let total = total.elapsed();
    progress.step("writing the proof");
    let public = public_strings(info, &proof.instance, &proof.input, &proof.output);
    let (result, private) = describe(
        model,
        info,
        proof.commitment.map(to_decimal),
        Some(digest),
        proof.input,
        proof.output,
    )?;
    let files = write_proof_dir(out, &proof.bytes, &public, &result, private.as_ref())?;
    Ok(Proved {
        output: result,
        private,
        files,
        phases: vec![
            ("keygen", keygen.as_secs_f64()),
            ("prove", proving.as_secs_f64()),
            ("total", total.as_secs_f64()),
        ],
    })
}

/// `public.json`'s strings: the commitment and the hashes as field elements in decimal, the
/// public values as signed integers.
fn public_strings(info: &ModelInfo, instance: &[Fp], input: &[i64], output: &[i64]) -> Vec<String> {
    let mut strings = Vec::with_capacity(instance.len());
    let mut rest = instance;
    if info.binding == Binding::Hashed {
        strings.push(to_decimal(rest[0]));
        rest = &rest[1..];
    }
    for (visibility, values) in [
        (info.visibility.input, input),
        (info.visibility.output, output),
    ] {
        match visibility {
            Visibility::Public => strings.extend(values.iter().map(i64::to_string)),
            Visibility::Hashed => strings.push(to_decimal(rest[0])),
        }
        rest = &rest[visibility.public_len(values.len())..];
    }
    strings
}

/// `ramjet infer verify --system halo2`: regenerates the verifying key (from `model`, required
/// with the fixed binding, or from the architecture in `model.json`), checks that its digest is
/// the one `model.json` publishes, and checks the proof against it and the public values.
/// Returns the proved input and output sections.
pub(super) fn verify(
    info: &ModelInfo,
    keys: &Path,
    proof: &Path,
    public: &Path,
    model: Option<&Path>,
) -> Result<(Section, Section)> {
    let circuit = circuit_info(info, keys)?;
    let (design, key_model, commitment) = match info.binding {
        Binding::Fixed => {
            let model = model.ok_or_else(|| {
                invalid(
                    "halo2 verification regenerates the verifying key from the model: pass \
                     --model (halo2_proofs 0.3 cannot read a verifying key from a file)",
                )
            })?;
            (
                Design::fixed(info.visibility),
                fixed_model(info, model)?,
                None,
            )
        }
        Binding::Hashed => {
            let verifier = hashed::verifier_design(info, keys, model)?;
            (verifier.design, verifier.blank, Some(verifier.commitment))
        }
    };
    let params = commitment_params(circuit.k);
    let vk = design.verifying_key(&params, &key_model)?;
    let digest = VerifyingKeyDigest::of(&vk).to_hex();
    if digest != circuit.vk_digest {
        let from = match info.binding {
            Binding::Fixed => format!("model {}", info.model_id),
            Binding::Hashed => format!("the architecture in {}", keys.join(MODEL_INFO).display()),
        };
        return Err(NodeError::ProofRejected(format!(
            "{from} gives halo2 verifying key digest {digest}, but the keys publish {}",
            circuit.vk_digest
        )));
    }
    let (bytes, values) = read_proof_dir(proof, public)?;
    if values.len() != info.public_values() {
        return Err(NodeError::ProofRejected(format!(
            "{} public values, but the key's model.json describes {}",
            values.len(),
            info.public_values()
        )));
    }
    let mut instance = Vec::with_capacity(values.len());
    let mut rest = &values[..];
    if let Some(published) = commitment {
        // The proof is about the model whose commitment is its first public value: it must be
        // the published one.
        if from_decimal(&rest[0]) != Some(published) {
            return Err(NodeError::ProofRejected(format!(
                "the proof is about the model with weights commitment {}, not the published {}",
                rest[0],
                to_decimal(published)
            )));
        }
        instance.push(published);
        rest = &rest[1..];
    }
    let (input, rest) = rest.split_at(info.visibility.input.public_len(info.inputs));
    let input = parse_section(info.visibility.input, input, public, &mut instance)?;
    let output = parse_section(info.visibility.output, rest, public, &mut instance)?;
    verify_instance(&params, &vk, &instance, &bytes).map_err(|e| match e {
        ProverError::Halo2Rejected(reason) => NodeError::ProofRejected(reason),
        other => other.into(),
    })?;
    Ok((input, output))
}

/// The fixed binding's model: `model` read, and refused unless it is the one the keys were
/// made for. Another file is another model, even one that quantises to the same circuit (and
/// so would verify): the proof is about the model the key was published for.
fn fixed_model(info: &ModelInfo, model: &Path) -> Result<Arc<QuantisedModel>> {
    let loaded = LoadedModel::read(model, info.quantisation)?;
    if loaded.id.to_hex() != info.model_id {
        return Err(NodeError::ProofRejected(format!(
            "{} is model {}, but the key was made for model {}",
            model.display(),
            loaded.id,
            info.model_id
        )));
    }
    Ok(loaded.quantised)
}

/// One section of `public.json`: signed integers when public, a field element in decimal when
/// hashed; its instance values are appended to `instance`.
fn parse_section(
    visibility: Visibility,
    strings: &[String],
    public: &Path,
    instance: &mut Vec<Fp>,
) -> Result<Section> {
    match visibility {
        Visibility::Public => {
            let values = strings
                .iter()
                .map(|v| v.parse::<i64>())
                .collect::<Result<Vec<i64>, _>>()
                .map_err(|e| {
                    NodeError::ProofRejected(format!(
                        "{}: not a signed integer: {e}",
                        public.display()
                    ))
                })?;
            instance.extend(values.iter().map(|&v| to_field(i128::from(v))));
            Ok(Section::Values(values))
        }
        Visibility::Hashed => {
            let hash = from_decimal(&strings[0]).ok_or_else(|| {
                NodeError::ProofRejected(format!(
                    "{}: {} is not a field element in decimal",
                    public.display(),
                    strings[0]
                ))
            })?;
            instance.push(hash);
            Ok(Section::Hashed {
                hash: strings[0].clone(),
            })
        }
    }
}

/// Writes a proof directory: `proof.bin`, `public.json` (`public`), `output.json`, and
/// `private.json` when there is something private.
fn write_proof_dir(
    out: &Path,
    bytes: &[u8],
    public: &[String],
    result: &InferenceOutput,
    private: Option<&PrivateValues>,
) -> Result<Vec<PathBuf>> {
    create_dir(out)?;
    let mut files: Vec<PathBuf> = ["proof.bin", "public.json", "output.json"]
        .iter()
        .map(|name| out.join(name))
        .collect();
    std::fs::write(&files[0], bytes).map_err(|source| NodeError::File {
        path: files[0].clone(),
        reason: source.to_string(),
    })?;
    write_json(&files[1], &public)?;
    write_json(&files[2], result)?;
    write_private(out, private, &mut files)?;
    Ok(files)
}

/// Reads a proof's bytes and its public values (decimal strings).
fn read_proof_dir(proof: &Path, public: &Path) -> Result<(Vec<u8>, Vec<String>)> {
    let bytes = std::fs::read(proof).map_err(|source| NodeError::File {
        path: proof.to_owned(),
        reason: source.to_string(),
    })?;
    let values: Vec<String> = read_json(public, "halo2 public values (decimal strings)")?;
    Ok((bytes, values))
}
