//! The *hashed* binding: the weights are private witnesses, committed by a Poseidon hash that
//! is a public input, for models that stay secret.
//!
//! # The commitment, exactly
//!
//! With weight width `Ww` and bias width `Wb` ([`WeightWidths`]):
//!
//! 1. **Items**, layer by layer in order: a dense layer's weights (row-major, one row per
//!    output) then its bias; a bias layer's bias. A weight `w` becomes `w + 2^(Ww−1)`, a bias
//!    `b` becomes `b + 2^(Wb−1)`: unsigned, `Ww` (`Wb`) bits. A value that does not fit is
//!    refused.
//! 2. **Packing**: items fill field elements greedily, least significant bits first: an element
//!    takes items while their widths add up to at most [`PACK_BITS`] (248); the next item starts
//!    a new element. The layout depends on the architecture and the widths only.
//! 3. **Hash**: `c₀ = 0`, then for the elements in chunks of four, `c ← Poseidon(c, e₁…e₄)`
//!    (circomlib Poseidon of 5 inputs, or of `1 + n` for a last chunk of `n < 4`); the
//!    commitment is the final `c`.
//!
//! # The circuit
//!
//! [`HashedInferenceCircuit`]'s public inputs are the commitment, then the inputs, then the
//! outputs (each section the values or their hash: [`io`](super::io)). Packing and hashing are
//! [`commit`](super::commit)'s, shared with hashed input and output. Each item's bits are witnesses (one booleanity constraint per bit), so each weight
//! is bounded by construction; the packed elements are linear combinations of those bits (free)
//! and are hashed by the Poseidon gadget (321 constraints per chunk of four). The forward pass is
//! the fixed circuit's ([`circuit`](super::circuit)) with each product `w·x` a multiplication of
//! two variables (one constraint each). One key serves every model of the same architecture,
//! scale and widths; the commitment says which model.
//!
//! Each packed element (and each neuron's sum of products) is built as one linear combination:
//! arkworks inlines linear combinations into their users when the prover finalizes the
//! constraint system, and chains of partial sums made the 784-56-10 MLP's prove peak at 1.83 GiB
//! of heap instead of 334 MiB (`docs/benchmarks.md`).

use std::sync::Arc;

use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::circuit::{LayerWeights, power_of_two, synthesize_inference};
use super::commit::{chain_hash, chain_hash_var, pack, pack_element};
use super::io::IoVisibility;
use super::quantise::{QuantisedLayer, QuantisedModel};
use crate::rollup::gadgets::bits::{alloc_bits_le, le_bits_to_fp};
use crate::{ProverError, Result};

pub use super::commit::PACK_BITS;

/// Signed widths of the committed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WeightWidths {
    /// Every weight lies in `[−2^(weight_bits−1), 2^(weight_bits−1))`.
    pub weight_bits: u32,
    /// Every bias lies in `[−2^(bias_bits−1), 2^(bias_bits−1))`.
    pub bias_bits: u32,
}

impl WeightWidths {
    /// The smallest widths that hold `model`'s weights and biases.
    pub fn fitting(model: &QuantisedModel) -> Self {
        let width =
            |values: &mut dyn Iterator<Item = i64>| values.map(signed_width).max().unwrap_or(1);
        let weights = &mut model.layers.iter().flat_map(|l| match l {
            QuantisedLayer::Dense { weights, .. } => weights.clone(),
            _ => Vec::new(),
        });
        let biases = &mut model.layers.iter().flat_map(|l| match l {
            QuantisedLayer::Dense { bias, .. } | QuantisedLayer::Bias(bias) => bias.clone(),
            QuantisedLayer::Relu => Vec::new(),
        });
        Self {
            weight_bits: width(weights),
            bias_bits: width(biases),
        }
    }
}

/// The widths asked for at setup (`ramjet infer setup --weight-bits --bias-bits`): each one left
/// out is the smallest that fits the model. Wider widths make a key that also serves models of
/// the same architecture with larger weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WidthChoice {
    /// The weights' width in bits, if asked for.
    pub weight_bits: Option<u32>,
    /// The biases' width in bits, if asked for.
    pub bias_bits: Option<u32>,
}

impl WidthChoice {
    /// Whether no width was asked for.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The widths for `model`: each one asked for, else the smallest that fits. A width not
    /// between 1 and 64 bits, narrower than the model's values need, or wide enough for a dense layer's
    /// accumulator to reach the circuit's bound ([`check_accumulator_bounds`]) is refused.
    pub fn resolve(&self, model: &QuantisedModel) -> Result<WeightWidths> {
        let fitting = WeightWidths::fitting(model);
        let pick = |what: &str, plural: &str, asked: Option<u32>, needed: u32| match asked {
            None => Ok(needed),
            Some(bits) if !(1..=64).contains(&bits) => Err(ProverError::Quantisation(format!(
                "a {what} width of {bits} bits is not between 1 and 64"
            ))),
            Some(bits) if bits < needed => Err(ProverError::Quantisation(format!(
                "a {what} width of {bits} bits is too narrow: the model's {plural} need {needed} bits"
            ))),
            Some(bits) => Ok(bits),
        };
        let widths = WeightWidths {
            weight_bits: pick("weight", "weights", self.weight_bits, fitting.weight_bits)?,
            bias_bits: pick("bias", "biases", self.bias_bits, fitting.bias_bits)?,
        };
        check_accumulator_bounds(model, widths)?;
        Ok(widths)
    }
}

/// The smallest `n` with `v` in `[−2^(n−1), 2^(n−1))`.
fn signed_width(v: i64) -> u32 {
    let magnitude = if v < 0 { !v } else { v }; // −2^(n−1) needs as many bits as 2^(n−1) − 1
    65 - magnitude.leading_zeros()
}

/// One committed value: its layer, whether it is a bias, its position, and its width.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    pub(crate) layer: usize,
    pub(crate) bias: bool,
    pub(crate) index: usize,
    pub(crate) bits: u32,
}

/// The items of `model`, in commitment order, and their packing into elements.
pub(crate) fn layout(model: &QuantisedModel, widths: WeightWidths) -> Result<Vec<Vec<Item>>> {
    for (name, bits) in [("weight", widths.weight_bits), ("bias", widths.bias_bits)] {
        if !(1..=64).contains(&bits) {
            return Err(ProverError::Quantisation(format!(
                "{name} width {bits} is not between 1 and 64"
            )));
        }
    }
    let mut items = Vec::new();
    for (layer, l) in model.layers.iter().enumerate() {
        let (weights, biases) = match l {
            QuantisedLayer::Dense { weights, bias, .. } => (weights.len(), bias.len()),
            QuantisedLayer::Bias(bias) => (0, bias.len()),
            QuantisedLayer::Relu => (0, 0),
        };
        items.extend((0..weights).map(|index| Item {
            layer,
            bias: false,
            index,
            bits: widths.weight_bits,
        }));
        items.extend((0..biases).map(|index| Item {
            layer,
            bias: true,
            index,
            bits: widths.bias_bits,
        }));
    }
    Ok(pack(items.iter().map(|item| item.bits))
        .into_iter()
        .map(|range| items[range].to_vec())
        .collect())
}

/// An item's value in `model`.
fn value(model: &QuantisedModel, item: Item) -> i64 {
    match (&model.layers[item.layer], item.bias) {
        (QuantisedLayer::Dense { weights, .. }, false) => weights[item.index],
        (QuantisedLayer::Dense { bias, .. }, true) | (QuantisedLayer::Bias(bias), true) => {
            bias[item.index]
        }
        _ => unreachable!("layout only lists weights and biases"),
    }
}

/// An item's unsigned form `v + 2^(bits−1)`, checked to fit `bits` bits.
pub(crate) fn offset_value(model: &QuantisedModel, item: Item) -> Result<u64> {
    let v = value(model, item);
    if signed_width(v) > item.bits {
        return Err(ProverError::Quantisation(format!(
            "layer {}, {} {}: {v} does not fit {} signed bits",
            item.layer,
            if item.bias { "bias" } else { "weight" },
            item.index,
            item.bits
        )));
    }
    Ok((i128::from(v) + (1i128 << (item.bits - 1))) as u64)
}

/// The Poseidon commitment to `model`'s weights ([module docs](self)).
pub fn weights_commitment(model: &QuantisedModel, widths: WeightWidths) -> Result<Fr> {
    let elements = layout(model, widths)?
        .iter()
        .map(|element| {
            let values = element
                .iter()
                .map(|&item| Ok((offset_value(model, item)?, item.bits)))
                .collect::<Result<Vec<_>>>()?;
            Ok(pack_element(values))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(chain_hash(&elements))
}

/// The hashed-binding circuit of an architecture: the model's weights, input and claimed
/// output are the assignment.
#[derive(Debug, Clone)]
pub struct HashedInferenceCircuit {
    /// The model: its architecture and parameters shape the circuit; its weights are the
    /// witness (a blank circuit's weights are never read).
    model: Arc<QuantisedModel>,
    widths: WeightWidths,
    visibility: IoVisibility,
    assignment: Option<(Vec<i64>, Vec<i64>)>,
}

impl HashedInferenceCircuit {
    /// The circuit of `model`'s architecture without an assignment, for key setup: any model
    /// with the same layers' sizes, parameters and `widths` is proved with the keys.
    pub fn blank(model: Arc<QuantisedModel>, widths: WeightWidths) -> Result<Self> {
        check_accumulator_bounds(&model, widths)?;
        layout(&model, widths)?;
        Ok(Self {
            model,
            widths,
            visibility: IoVisibility::PUBLIC,
            assignment: None,
        })
    }

    /// The same circuit with the input and output public or hashed as `visibility` says
    /// ([`io`](super::io)).
    pub fn with_visibility(mut self, visibility: IoVisibility) -> Self {
        self.visibility = visibility;
        self
    }

    /// The circuit of `model` on `input` (quantised), with the output native inference gives.
    pub fn new(model: Arc<QuantisedModel>, widths: WeightWidths, input: Vec<i64>) -> Result<Self> {
        let mut circuit = Self::blank(model, widths)?;
        weights_commitment(&circuit.model, widths)?; // every weight fits its width
        let output = circuit.model.infer(&input)?;
        circuit.assignment = Some((input, output));
        Ok(circuit)
    }

    /// The public inputs: the commitment, the input section, the output section (each the
    /// values, or their hash: [`io`](super::io)).
    pub fn public_inputs(&self) -> Result<Option<Vec<Fr>>> {
        let Some((input, output)) = &self.assignment else {
            return Ok(None);
        };
        let mut public = vec![weights_commitment(&self.model, self.widths)?];
        public.extend(self.visibility.public_values(
            input,
            output,
            self.model.params.value_bits,
        )?);
        Ok(Some(public))
    }

    /// The claimed output, if the circuit has an assignment.
    pub fn output(&self) -> Option<&[i64]> {
        self.assignment.as_ref().map(|(_, o)| &o[..])
    }
}

/// With weights bounded by their widths rather than known, a dense layer's accumulator is at
/// most `2^(B−1)·inputs·2^(Ww−1) + 2^(Wb−1)`; it must stay below `2^(249 − B − s)` as in
/// [`QuantisedModel::new`].
pub(crate) fn check_accumulator_bounds(model: &QuantisedModel, widths: WeightWidths) -> Result<()> {
    let (b, s) = (model.params.value_bits, model.params.scale);
    let limit = 249 - b - s;
    for layer in &model.layers {
        if let QuantisedLayer::Dense { inputs, .. } = layer {
            let fan_in_bits = usize::BITS - inputs.leading_zeros();
            let bound_bits = (b - 1) + fan_in_bits + (widths.weight_bits - 1) + 1;
            if bound_bits.max(widths.bias_bits) + 1 > limit {
                return Err(ProverError::Quantisation(format!(
                    "a dense layer of {inputs} inputs with {}-bit weights can reach 2^{bound_bits}; \
                     the circuit needs accumulators below 2^{limit}",
                    widths.weight_bits
                )));
            }
        }
    }
    Ok(())
}

impl ConstraintSynthesizer<Fr> for HashedInferenceCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let model = &self.model;
        let known = self.assignment.is_some();
        let commitment_value = if known {
            Some(
                weights_commitment(model, self.widths)
                    .map_err(|_| SynthesisError::Unsatisfiable)?,
            )
        } else {
            None
        };
        let commitment = FpVar::new_input(cs.clone(), || {
            commitment_value.ok_or(SynthesisError::AssignmentMissing)
        })?;

        // Every item's bits; the item's signed value and the packed elements as linear
        // combinations of them.
        let elements = layout(model, self.widths).map_err(|_| SynthesisError::Unsatisfiable)?;
        let mut weights: Vec<LayerWeights> = model
            .layers
            .iter()
            .map(|_| LayerWeights {
                weights: Vec::new(),
                bias: Vec::new(),
            })
            .collect();
        let mut packed = Vec::with_capacity(elements.len());
        for element in &elements {
            let mut bits = Vec::new();
            for &item in element {
                let unsigned = if known {
                    Some(offset_value(model, item).map_err(|_| SynthesisError::Unsatisfiable)?)
                } else {
                    None
                };
                let bit = unsigned.map(|u| move |i: usize| (u >> i) & 1 == 1);
                let item_bits = alloc_bits_le(
                    &cs,
                    item.bits as usize,
                    bit.as_ref().map(|b| b as &dyn Fn(usize) -> bool),
                )?;
                let signed = le_bits_to_fp(&item_bits) - power_of_two(item.bits as usize - 1);
                let slot = &mut weights[item.layer];
                if item.bias {
                    slot.bias.push(signed);
                } else {
                    slot.weights.push(signed);
                }
                bits.extend(item_bits);
            }
            packed.push(le_bits_to_fp(&bits));
        }
        chain_hash_var(&packed)?.enforce_equal(&commitment)?;

        let (input, output) = match &self.assignment {
            Some((i, o)) => (Some(&i[..]), Some(&o[..])),
            None => (None, None),
        };
        synthesize_inference(&cs, model, self.visibility, input, output, Some(&weights))
    }
}
