//! `ramjet infer prove|verify --system halo2` with the hashed binding: the keys are rebuilt from
//! the architecture `model.json` records (a zero-weight model of that shape), so any model of
//! the architecture is proved, and a proof is verified without the model against the published
//! weights commitment, the first public value.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ramjet_prover::ProverError;
use ramjet_prover::inference::halo2::{VerifyingKeyDigest, hashed, params as commitment_params};
use ramjet_prover::inference::hashed::WeightWidths;
use ramjet_prover::inference::shape::{LayerShape, shape, zero_weights};
use ramjet_prover::inference::{LoadedModel, QuantisedModel};

use super::super::{InputFile, MODEL_INFO, ModelInfo, Proved, describe, invalid};
use super::{check_count, circuit_info, parse_values, read_proof_dir, write_proof_dir};
use crate::rollup::Progress;
use crate::{NodeError, Result};

/// What `model.json` holds for the hashed binding: the widths, the architecture, the published
/// commitment (decimal).
fn hashed_info<'a>(
    info: &'a ModelInfo,
    keys: &Path,
) -> Result<(WeightWidths, &'a [LayerShape], &'a str)> {
    let missing = |what: &str| {
        invalid(&format!(
            "{}: a halo2 hashed-binding key directory without {what}",
            keys.join(MODEL_INFO).display()
        ))
    };
    let widths = info.widths.ok_or_else(|| missing("the weights' widths"))?;
    let architecture = info
        .halo2
        .as_ref()
        .and_then(|c| c.architecture.as_deref())
        .ok_or_else(|| missing("the architecture"))?;
    let commitment = info
        .commitment
        .as_deref()
        .ok_or_else(|| missing("the commitment"))?;
    Ok((widths, architecture, commitment))
}

/// The zero-weight model of `model.json`'s architecture, from which the keys are derived.
fn blank_model(info: &ModelInfo, architecture: &[LayerShape]) -> Result<Arc<QuantisedModel>> {
    Ok(Arc::new(zero_weights(
        info.quantisation,
        info.inputs,
        architecture,
    )?))
}

/// Proves `model` (any model of the keys' architecture whose weights fit the widths): the
/// proving key from the architecture, its digest checked; the commitment first in
/// `public.json` and in `output.json`.
pub(super) fn prove(
    model: &LoadedModel,
    input_file: &InputFile,
    info: &ModelInfo,
    keys: &Path,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Proved> {
    let circuit = circuit_info(info, keys)?;
    let (widths, architecture, _) = hashed_info(info, keys)?;
    let quantised = &model.quantised;
    if shape(quantised) != architecture || quantised.input_len != info.inputs {
        return Err(invalid(&format!(
            "the model has {} inputs and the layers {}, but the keys in {} were made for {} \
             inputs and the layers {}",
            quantised.input_len,
            serde_json::to_string(&shape(quantised)).unwrap_or_default(),
            keys.display(),
            info.inputs,
            serde_json::to_string(architecture).unwrap_or_default(),
        )));
    }
    progress.step("running the fixed-point inference");
    let input = quantised.quantise_input(&input_file.input)?;
    quantised.infer(&input)?;
    let commitment = hashed::weights_commitment(quantised, widths).map_err(|e| {
        invalid(&format!(
            "the model's weights do not fit the keys' widths ({} weight bits, {} bias bits): {e}",
            widths.weight_bits, widths.bias_bits
        ))
    })?;
    progress.step("deriving the proving key from the architecture");
    let total = Instant::now();
    let params = commitment_params(circuit.k);
    let pk = hashed::proving_key(&params, &blank_model(info, architecture)?, widths)?;
    let digest = VerifyingKeyDigest::of(pk.get_vk()).to_hex();
    if digest != circuit.vk_digest {
        return Err(invalid(&format!(
            "the architecture's halo2 verifying key has digest {digest}, but the keys in {} \
             publish {}",
            keys.display(),
            circuit.vk_digest
        )));
    }
    let keygen = total.elapsed();
    progress.step("proving (halo2, IPA over Pasta)");
    let started = Instant::now();
    let proof = hashed::prove(&params, &pk, quantised, widths, input)?;
    let proving = started.elapsed();
    progress.step("checking the proof");
    hashed::verify(
        &params,
        pk.get_vk(),
        proof.commitment,
        &proof.input,
        &proof.output,
        &proof.bytes,
    )?;
    let total = total.elapsed();
    progress.step("writing the proof");
    let commitment = hashed::to_decimal(commitment);
    let (result, private) = describe(
        model,
        info.quantisation,
        info.visibility,
        Some(commitment.clone()),
        Some(digest),
        proof.input.clone(),
        proof.output.clone(),
    )?;
    let public: Vec<String> = std::iter::once(commitment)
        .chain(proof.input.iter().chain(&proof.output).map(i64::to_string))
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

/// Verifies without the model: rebuilds the verifying key from the architecture, checks its
/// digest, requires the proof's commitment to be the published one and checks the proof. With
/// `model`, also checks that file's commitment. Returns the proved input and output.
pub(super) fn verify(
    info: &ModelInfo,
    keys: &Path,
    proof: &Path,
    public: &Path,
    model: Option<&Path>,
) -> Result<(Vec<i64>, Vec<i64>)> {
    let circuit = circuit_info(info, keys)?;
    let (widths, architecture, published) = hashed_info(info, keys)?;
    let published_value = hashed::from_decimal(published).ok_or_else(|| {
        invalid(&format!(
            "{}: the commitment {published} is not a field element in decimal",
            keys.join(MODEL_INFO).display()
        ))
    })?;
    let params = commitment_params(circuit.k);
    let vk = hashed::verifying_key(&params, &blank_model(info, architecture)?, widths)?;
    let digest = VerifyingKeyDigest::of(&vk).to_hex();
    if digest != circuit.vk_digest {
        return Err(NodeError::ProofRejected(format!(
            "the architecture in {} gives halo2 verifying key digest {digest}, but it publishes {}",
            keys.join(MODEL_INFO).display(),
            circuit.vk_digest
        )));
    }
    let (bytes, values) = read_proof_dir(proof, public)?;
    check_count(&values, info)?;
    // The proof is about the model whose commitment is its first public value: it must be the
    // published one.
    if hashed::from_decimal(&values[0]) != Some(published_value) {
        return Err(NodeError::ProofRejected(format!(
            "the proof is about the model with weights commitment {}, not the published {published}",
            values[0]
        )));
    }
    let values = parse_values(&values[1..], public)?;
    let (input, output) = values.split_at(info.inputs);
    if let Some(model) = model {
        let loaded = LoadedModel::read(model, info.quantisation)?;
        let commitment = hashed::weights_commitment(&loaded.quantised, widths).ok();
        if commitment != Some(published_value) {
            return Err(NodeError::ProofRejected(format!(
                "{} is model {}, but the key was made for model {} (its weights commitment is \
                 not the published one)",
                model.display(),
                loaded.id,
                info.model_id
            )));
        }
    }
    hashed::verify(&params, &vk, published_value, input, output, &bytes).map_err(|e| match e {
        ProverError::Halo2Rejected(reason) => NodeError::ProofRejected(reason),
        other => other.into(),
    })?;
    Ok((input.to_vec(), output.to_vec()))
}
