//! The hashed binding with halo2: the keys are rebuilt from the architecture `model.json`
//! records (a zero-weight model of that shape), so any model of the architecture is proved, and
//! a proof is verified without the model against the published weights commitment, the first
//! public value.

use std::path::Path;
use std::sync::Arc;

use ramjet_prover::inference::halo2::hashed::{from_decimal, to_decimal, weights_commitment};
use ramjet_prover::inference::halo2::{Design, Fp};
use ramjet_prover::inference::hashed::{WeightWidths, WidthChoice};
use ramjet_prover::inference::shape::{LayerShape, shape, zero_weights};
use ramjet_prover::inference::{IoVisibility, LoadedModel, QuantisedModel};

use super::super::{MODEL_INFO, ModelInfo, invalid};
use crate::{NodeError, Result};

/// What `model.json` publishes for the hashed binding.
pub(super) struct Published {
    /// The widths of the committed weights and biases.
    pub(super) widths: WeightWidths,
    /// The layers' shapes.
    pub(super) architecture: Vec<LayerShape>,
    /// The set-up model's weights commitment (decimal).
    pub(super) commitment: String,
}

/// The hashed binding's setup of a model.
pub(super) struct Setup {
    /// The circuit.
    pub(super) design: Design,
    /// The zero-weight model of the architecture, from which the keys are derived.
    pub(super) blank: Arc<QuantisedModel>,
    /// What `model.json` publishes.
    pub(super) published: Published,
}

/// The widths for `model` (`choice`, else the smallest that fit), its architecture and its
/// commitment.
pub(super) fn setup(
    model: &QuantisedModel,
    visibility: IoVisibility,
    choice: WidthChoice,
) -> Result<Setup> {
    let widths = choice.resolve(model)?;
    let architecture = shape(model);
    let blank = Arc::new(zero_weights(model.params, model.input_len, &architecture)?);
    let commitment = to_decimal(weights_commitment(model, widths)?);
    Ok(Setup {
        design: Design::hashed(widths, visibility),
        blank,
        published: Published {
            widths,
            architecture,
            commitment,
        },
    })
}

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

/// The circuit proving `model`, and the model the keys are derived from: refused unless
/// `model` has the keys' architecture and its weights fit their widths.
pub(super) fn prover_design(
    info: &ModelInfo,
    keys: &Path,
    model: &QuantisedModel,
) -> Result<(Design, Arc<QuantisedModel>)> {
    let (widths, architecture, _) = hashed_info(info, keys)?;
    if shape(model) != architecture || model.input_len != info.inputs {
        return Err(invalid(&format!(
            "the model has {} inputs and the layers {}, but the keys in {} were made for {} \
             inputs and the layers {}",
            model.input_len,
            serde_json::to_string(&shape(model)).unwrap_or_default(),
            keys.display(),
            info.inputs,
            serde_json::to_string(architecture).unwrap_or_default(),
        )));
    }
    weights_commitment(model, widths).map_err(|e| {
        invalid(&format!(
            "the model's weights do not fit the keys' widths ({} weight bits, {} bias bits): {e}",
            widths.weight_bits, widths.bias_bits
        ))
    })?;
    Ok((
        Design::hashed(widths, info.visibility),
        blank_model(info, architecture)?,
    ))
}

/// What a verifier needs for the hashed binding.
pub(super) struct Verifier {
    /// The circuit.
    pub(super) design: Design,
    /// The zero-weight model of the architecture, from which the keys are derived.
    pub(super) blank: Arc<QuantisedModel>,
    /// The published commitment, which a proof's first public value must be.
    pub(super) commitment: Fp,
}

/// The verifier's circuit and published commitment, from `model.json` alone; with `model`,
/// refused unless that file's weights have the published commitment.
pub(super) fn verifier_design(
    info: &ModelInfo,
    keys: &Path,
    model: Option<&Path>,
) -> Result<Verifier> {
    let (widths, architecture, published) = hashed_info(info, keys)?;
    let commitment = from_decimal(published).ok_or_else(|| {
        invalid(&format!(
            "{}: the commitment {published} is not a field element in decimal",
            keys.join(MODEL_INFO).display()
        ))
    })?;
    if let Some(model) = model {
        let loaded = LoadedModel::read(model, info.quantisation)?;
        if weights_commitment(&loaded.quantised, widths).ok() != Some(commitment) {
            return Err(NodeError::ProofRejected(format!(
                "{} is model {}, but the key was made for model {} (its weights commitment is \
                 not the published one)",
                model.display(),
                loaded.id,
                info.model_id
            )));
        }
    }
    Ok(Verifier {
        design: Design::hashed(widths, info.visibility),
        blank: blank_model(info, architecture)?,
        commitment,
    })
}
