//! `ramjet infer … --system halo2`: the halo2 circuits (`ramjet_prover::inference::halo2`) from
//! the command line, with the fixed or the hashed binding.
//!
//! halo2 has no trusted setup and its keys are derived from the circuit, so the key directory
//! holds only `model.json`: the model's id, `k` (the circuit has `2^k` rows) and the verifying
//! key's digest. `halo2_proofs` 0.3 does not serialise keys, so they are regenerated, and the
//! regenerated key's digest checked against the published one:
//!
//! - **fixed** binding: the digest is the model commitment; `prove` and `verify` regenerate the
//!   keys from the ONNX model (`--model` is required by `verify`);
//! - **hashed** binding: the keys depend on the architecture only, which `model.json` records
//!   (`halo2.architecture`, e.g. `[{"dense": [64, 32]}, "relu", …]`) with the weights' widths
//!   and the published Poseidon commitment; the keys are regenerated from a zero-weight model
//!   of that shape, so `verify` needs no model. `prove` accepts any model of the architecture.
//!
//! A proof directory holds `proof.bin` (the proof's bytes, a Blake2b transcript),
//! `public.json` (the instance column as decimal strings: with the hashed binding the weights'
//! commitment first, then the quantised input values, then the output values, signed) and
//! `output.json`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use ramjet_prover::ProverError;
use ramjet_prover::inference::halo2::hashed as hashed_circuit;
use ramjet_prover::inference::halo2::{
    VerifyingKeyDigest, params as commitment_params, prove as prove_inference, proving_key, rows,
    verify as verify_inference, verifying_key,
};
use ramjet_prover::inference::hashed::WeightWidths;
use ramjet_prover::inference::shape::{LayerShape, shape, zero_weights};
use ramjet_prover::inference::{IoVisibility, LoadedModel, QuantParams, halo2::circuit_k};
use serde::{Deserialize, Serialize};

use super::{
    Binding, InferenceOutput, InputFile, MODEL_INFO, ModelInfo, PrivateValues, ProofSystem, Proved,
    SetupDone, describe, invalid, write_private,
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
    binding: Binding,
    out: &Path,
    progress: &dyn Progress,
) -> Result<SetupDone> {
    progress.step("loading and quantising the model");
    let model = LoadedModel::read(model_path, params)?;
    progress.step("laying out the halo2 circuit");
    let quantised = &model.quantised;
    let (k, rows, vk, hashed_binding) = match binding {
        Binding::Fixed => {
            let (k, rows) = (circuit_k(quantised), rows(quantised));
            progress.step(&format!(
                "deriving the verifying key ({rows} rows, k = {k}; no trusted setup)"
            ));
            (
                k,
                rows,
                verifying_key(&commitment_params(k), quantised)?,
                None,
            )
        }
        Binding::Hashed => {
            let widths = WeightWidths::fitting(quantised);
            let architecture = shape(quantised);
            let blank = Arc::new(zero_weights(params, quantised.input_len, &architecture)?);
            let (k, rows) = (
                hashed_circuit::circuit_k(&blank, widths)?,
                hashed_circuit::rows(&blank, widths)?.total(),
            );
            progress.step(&format!(
                "deriving the architecture's verifying key ({rows} rows, k = {k}; no trusted setup)"
            ));
            let vk = hashed_circuit::verifying_key(&commitment_params(k), &blank, widths)?;
            let commitment = hashed_circuit::weights_commitment(quantised, widths)?;
            (
                k,
                rows,
                vk,
                Some((widths, architecture, hashed_circuit::to_decimal(commitment))),
            )
        }
    };
    let digest = VerifyingKeyDigest::of(&vk);
    progress.step("writing model.json");
    create_dir(out)?;
    let (widths, architecture, commitment) = match hashed_binding {
        Some((widths, architecture, commitment)) => {
            (Some(widths), Some(architecture), Some(commitment))
        }
        None => (None, None, None),
    };
    let info = ModelInfo {
        circuit: "inference".into(),
        system: ProofSystem::Halo2,
        binding,
        model_id: model.id.to_hex(),
        model_file: model_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        quantisation: params,
        inputs: quantised.input_len,
        outputs: quantised.output_len(),
        constraints: rows,
        visibility: IoVisibility::PUBLIC,
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
/// (its id): regenerates the proving key, checks its digest, proves, checks the proof and writes
/// the proof directory.
pub(super) fn prove(
    model: &LoadedModel,
    input_file: &InputFile,
    info: &ModelInfo,
    keys: &Path,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Proved> {
    if info.binding == Binding::Hashed {
        return hashed::prove(model, input_file, info, keys, out, progress);
    }
    let circuit = circuit_info(info, keys)?;
    progress.step("running the fixed-point inference");
    let quantised = &model.quantised;
    let input = quantised.quantise_input(&input_file.input)?;
    quantised.infer(&input)?;
    progress.step("deriving the proving key from the model");
    let total = Instant::now();
    let params = commitment_params(circuit.k);
    let pk = proving_key(&params, quantised)?;
    let digest = VerifyingKeyDigest::of(pk.get_vk()).to_hex();
    if digest != circuit.vk_digest {
        return Err(invalid(&format!(
            "the model's halo2 verifying key has digest {digest}, but the keys in {} publish {}",
            keys.display(),
            circuit.vk_digest
        )));
    }
    let keygen = total.elapsed();
    progress.step("proving (halo2, IPA over Pasta)");
    let started = Instant::now();
    let proof = prove_inference(&params, &pk, quantised, input)?;
    let proving = started.elapsed();
    progress.step("checking the proof");
    verify_inference(
        &params,
        pk.get_vk(),
        &proof.input,
        &proof.output,
        &proof.bytes,
    )?;
    let total = total.elapsed();
    progress.step("writing the proof");
    let (result, private) = describe(
        model,
        info.quantisation,
        info.visibility,
        None,
        Some(digest),
        proof.input.clone(),
        proof.output.clone(),
    )?;
    let public: Vec<String> = proof
        .input
        .iter()
        .chain(&proof.output)
        .map(i64::to_string)
        .collect();
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

/// `ramjet infer verify --system halo2`: regenerates the verifying key from `model` (required),
/// checks that its digest is the one `model.json` publishes, and checks the proof against it
/// and the public values. Returns the proved input and output.
pub(super) fn verify(
    info: &ModelInfo,
    keys: &Path,
    proof: &Path,
    public: &Path,
    model: Option<&Path>,
) -> Result<(Vec<i64>, Vec<i64>)> {
    if info.binding == Binding::Hashed {
        return hashed::verify(info, keys, proof, public, model);
    }
    let circuit = circuit_info(info, keys)?;
    let model = model.ok_or_else(|| {
        invalid(
            "halo2 verification regenerates the verifying key from the model: pass --model \
             (halo2_proofs 0.3 cannot read a verifying key from a file)",
        )
    })?;
    let loaded = LoadedModel::read(model, info.quantisation)?;
    // Another file is another model, even one that quantises to the same circuit (and so
    // would verify): the proof is about the model the key was published for.
    if loaded.id.to_hex() != info.model_id {
        return Err(NodeError::ProofRejected(format!(
            "{} is model {}, but the key was made for model {}",
            model.display(),
            loaded.id,
            info.model_id
        )));
    }
    let params = commitment_params(circuit.k);
    let vk = verifying_key(&params, &loaded.quantised)?;
    let digest = VerifyingKeyDigest::of(&vk).to_hex();
    if digest != circuit.vk_digest {
        return Err(NodeError::ProofRejected(format!(
            "{} is model {} with halo2 verifying key digest {digest}, but the key was made for \
             model {} with digest {}",
            model.display(),
            loaded.id,
            info.model_id,
            circuit.vk_digest
        )));
    }
    let (bytes, values) = read_proof_dir(proof, public)?;
    check_count(&values, info)?;
    let values = parse_values(&values, public)?;
    let (input, output) = values.split_at(info.inputs);
    verify_inference(&params, &vk, input, output, &bytes).map_err(|e| match e {
        ProverError::Halo2Rejected(reason) => NodeError::ProofRejected(reason),
        other => other.into(),
    })?;
    Ok((input.to_vec(), output.to_vec()))
}

/// Writes a proof directory: `proof.bin`, `public.json` (`public`), `output.json`.
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

/// As many public values as `model.json` describes.
fn check_count(values: &[String], info: &ModelInfo) -> Result<()> {
    if values.len() != info.public_values() {
        return Err(NodeError::ProofRejected(format!(
            "{} public values, but the key's model.json describes {}",
            values.len(),
            info.public_values()
        )));
    }
    Ok(())
}

/// The input and output values, signed decimal strings.
fn parse_values(values: &[String], public: &Path) -> Result<Vec<i64>> {
    values
        .iter()
        .map(|v| v.parse::<i64>())
        .collect::<Result<Vec<i64>, _>>()
        .map_err(|e| {
            NodeError::ProofRejected(format!("{}: not a signed integer: {e}", public.display()))
        })
}
