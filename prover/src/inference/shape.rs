//! A model's architecture without its weights: the layers' shapes, enough to rebuild a circuit
//! whose keys do not depend on the weights (the hashed binding with halo2).
//!
//! As JSON (serde's external tagging): `[{"dense": [64, 32]}, "relu", {"dense": [32, 10]},
//! {"bias": 10}]`, a dense layer as `[inputs, outputs]`, a bias layer as its width.

use serde::{Deserialize, Serialize};

use super::quantise::{QuantParams, QuantisedLayer, QuantisedModel};
use crate::{ProverError, Result};

/// One layer's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerShape {
    /// A dense layer: `[inputs, outputs]`.
    Dense([usize; 2]),
    /// A ReLU.
    Relu,
    /// A bias layer of this many values.
    Bias(usize),
}

/// The shapes of `model`'s layers, in order.
pub fn shape(model: &QuantisedModel) -> Vec<LayerShape> {
    model
        .layers
        .iter()
        .map(|layer| match layer {
            QuantisedLayer::Dense {
                inputs, outputs, ..
            } => LayerShape::Dense([*inputs, *outputs]),
            QuantisedLayer::Relu => LayerShape::Relu,
            QuantisedLayer::Bias(bias) => LayerShape::Bias(bias.len()),
        })
        .collect()
}

/// The model of `layers`' shapes on `input_len` values with every weight and bias zero: what a
/// verifier builds a weight-independent circuit from. Fails if a layer's width does not follow
/// from the previous one's.
pub fn zero_weights(
    params: QuantParams,
    input_len: usize,
    layers: &[LayerShape],
) -> Result<QuantisedModel> {
    params.validate()?;
    let mut width = input_len;
    let mut quantised = Vec::with_capacity(layers.len());
    for (index, layer) in layers.iter().enumerate() {
        let mismatch = |expected: usize| {
            ProverError::Quantisation(format!(
                "architecture: layer {index} takes {expected} values, but the previous layer \
                 gives {width}"
            ))
        };
        quantised.push(match *layer {
            LayerShape::Dense([inputs, outputs]) => {
                if inputs != width || inputs == 0 || outputs == 0 {
                    return Err(mismatch(inputs));
                }
                width = outputs;
                QuantisedLayer::Dense {
                    inputs,
                    outputs,
                    weights: vec![0; inputs * outputs],
                    bias: vec![0; outputs],
                }
            }
            LayerShape::Bias(n) => {
                if n != width {
                    return Err(mismatch(n));
                }
                QuantisedLayer::Bias(vec![0; n])
            }
            LayerShape::Relu => QuantisedLayer::Relu,
        });
    }
    Ok(QuantisedModel {
        params,
        input_len,
        layers: quantised,
    })
}
