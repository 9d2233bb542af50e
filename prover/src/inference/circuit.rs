//! The inference circuit: `y = model(x)` over BN254's scalar field, the weights constants.
//!
//! # Public inputs, in this order
//!
//! The model's input values (quantised, at `2^s`), then its output values (at `2^s`), each as
//! a field element: `v` for `v ≥ 0`, `p − |v|` for `v < 0` ([`to_field`]). Either section may
//! instead be one public input, the Poseidon hash of its values, which are then private
//! witnesses ([`InferenceCircuit::with_visibility`], [`io`](super::io)).
//!
//! # What is proven
//!
//! With `B` = [`value_bits`](super::QuantParams::value_bits) and `s` =
//! [`scale`](super::QuantParams::scale), exactly the arithmetic of [`quantise`](super::quantise):
//!
//! - every input lies in `[−2^(B−1), 2^(B−1))`: `x + 2^(B−1)` is decomposed into `B` bits
//!   (`B + 1` constraints); the top bit is 1 exactly when `x ≥ 0`;
//! - **dense layer**, per output: `acc = Σ W·x + b` is a linear combination of the previous
//!   values with the weights as constants (no constraint). Rescaling and the bound are one
//!   decomposition: `acc + 2^(B+s−1)` into `B + s` bits (`B + s + 1` constraints). The low `s`
//!   bits are the remainder `r`, the high `B` bits are `y + 2^(B−1)`, so that
//!   `acc = y·2^s + r` with `0 ≤ r < 2^s` — `y = floor(acc / 2^s)` — and `y` in bounds; the top
//!   bit is 1 exactly when `y ≥ 0`. The decomposition is unique because every accumulator is
//!   far below the field's modulus ([`QuantisedModel::new`] checks the bound);
//! - **ReLU**: `y = bit·x` with `bit` the sign bit of `x`'s decomposition (1 constraint);
//! - **bias layer**: `y = x + b` (free), then decomposed like an input to keep it bounded;
//! - the last layer's values equal the public outputs (1 constraint each); with a hashed input
//!   or output, the packed bits of the values are hashed and the hash equals the public one.
//!
//! The same constraints are synthesized with or without an assignment, so
//! [`InferenceCircuit::blank`] makes the keys for every input of the model.

use std::sync::Arc;

use ark_bn254::Fr;
use ark_ff::{BigInteger, Field, PrimeField};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::{AllocatedFp, FpVar};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, LinearCombination,
    SynthesisError, Variable,
};

use super::commit::{chain_hash_var, pack_bits_var};
use super::io::{IoVisibility, Visibility, values_hash};
use super::quantise::{QuantisedLayer, QuantisedModel};
use crate::rollup::gadgets::bits::{le_bits_to_fp, range_check};
use crate::{ProverError, Result};

/// The circuit of one [`QuantisedModel`], with or without an input and its claimed output.
#[derive(Debug, Clone)]
pub struct InferenceCircuit {
    model: Arc<QuantisedModel>,
    visibility: IoVisibility,
    assignment: Option<Assignment>,
}

#[derive(Debug, Clone)]
struct Assignment {
    input: Vec<i64>,
    output: Vec<i64>,
}

impl InferenceCircuit {
    /// The circuit without an assignment, for key setup. Input and output are public; see
    /// [`with_visibility`](Self::with_visibility).
    pub fn blank(model: Arc<QuantisedModel>) -> Self {
        Self {
            model,
            visibility: IoVisibility::PUBLIC,
            assignment: None,
        }
    }

    /// The circuit for `input` (quantised), with the output native inference gives
    /// ([`QuantisedModel::infer`]), which fails if a value leaves its bounds.
    pub fn new(model: Arc<QuantisedModel>, input: Vec<i64>) -> Result<Self> {
        let output = model.infer(&input)?;
        Ok(Self {
            model,
            visibility: IoVisibility::PUBLIC,
            assignment: Some(Assignment { input, output }),
        })
    }

    /// The circuit for `input` claiming `output`, whatever native inference says: no proof
    /// exists unless `output` is the model's output (for tests of exactly that).
    pub fn claiming(model: Arc<QuantisedModel>, input: Vec<i64>, output: Vec<i64>) -> Self {
        Self {
            model,
            visibility: IoVisibility::PUBLIC,
            assignment: Some(Assignment { input, output }),
        }
    }

    /// The same circuit with the input and output public or hashed as `visibility` says
    /// ([`io`](super::io)).
    pub fn with_visibility(mut self, visibility: IoVisibility) -> Self {
        self.visibility = visibility;
        self
    }

    /// The model.
    pub fn model(&self) -> &Arc<QuantisedModel> {
        &self.model
    }

    /// The output claimed, if the circuit has an assignment.
    pub fn output(&self) -> Option<&[i64]> {
        self.assignment.as_ref().map(|a| &a.output[..])
    }

    /// The public inputs a verifier checks the proof against (`None` for a blank circuit): the
    /// input section, then the output section, each the values ([`public_inputs`]) or their
    /// hash ([`values_hash`](super::io::values_hash)).
    pub fn public_inputs(&self) -> Result<Option<Vec<Fr>>> {
        self.assignment
            .as_ref()
            .map(|a| {
                self.visibility
                    .public_values(&a.input, &a.output, self.model.params.value_bits)
            })
            .transpose()
    }
}

/// The public inputs of an inference whose input and output are public: the input values,
/// then the output values, each [`to_field`].
pub fn public_inputs(input: &[i64], output: &[i64]) -> Vec<Fr> {
    input.iter().chain(output).map(|&v| to_field(v)).collect()
}

/// A signed integer as a field element: `v`, or `p − |v|` when negative.
pub fn to_field(v: i64) -> Fr {
    Fr::from(v)
}

/// The signed integer a field element stands for, if it is within `±2^63`: the inverse of
/// [`to_field`].
pub fn from_field(f: Fr) -> Option<i64> {
    let small = |x: Fr| -> Option<u64> {
        let big = x.into_bigint();
        (big.num_bits() <= 64).then(|| big.as_ref()[0])
    };
    if let Some(v) = small(f) {
        return i64::try_from(v).ok();
    }
    let magnitude = small(-f)?;
    0i64.checked_sub_unsigned(magnitude)
}

impl ConstraintSynthesizer<Fr> for InferenceCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let (input, output) = match &self.assignment {
            Some(a) => (Some(&a.input[..]), Some(&a.output[..])),
            None => (None, None),
        };
        synthesize_inference(&cs, &self.model, self.visibility, input, output, None)
    }
}

/// The outputs the circuit computes for `input`, read back from a synthesized constraint
/// system, and whether that system (the computation, without the output equalities) is
/// satisfied — the differential check against [`QuantisedModel::infer`].
pub fn circuit_outputs(model: &QuantisedModel, input: &[i64]) -> Result<(Vec<i64>, bool)> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let x = alloc_input(&cs, model, Visibility::Public, Some(input))?;
    let outputs = forward_layers(&cs, model, x, None)?;
    let values = outputs
        .iter()
        .map(|o| {
            let value = o.value.value()?;
            from_field(value).ok_or_else(|| {
                ProverError::Malformed(format!("circuit output {value} is not a small integer"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((values, cs.is_satisfied()?))
}

/// Number of R1CS constraints of `model`'s circuit.
pub fn count_constraints(model: &Arc<QuantisedModel>) -> Result<usize> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    InferenceCircuit::blank(Arc::clone(model)).generate_constraints(cs.clone())?;
    Ok(cs.num_constraints())
}

/// A value of the forward pass and, once known, the bit that is 1 exactly when it is ≥ 0.
#[derive(Clone)]
pub(super) struct Signal {
    pub(super) value: FpVar<Fr>,
    nonneg: Option<Boolean<Fr>>,
}

/// A layer's weights and bias as circuit variables (the hashed binding); empty for a ReLU.
pub(super) struct LayerWeights {
    /// A dense layer's weights, `outputs × inputs`, row-major.
    pub(super) weights: Vec<FpVar<Fr>>,
    /// A dense or bias layer's bias.
    pub(super) bias: Vec<FpVar<Fr>>,
}

/// The whole inference after any weights commitment: the input section (public values, or the
/// hash of private ones), every layer, and the output section bound to the last layer's values.
/// Public inputs are allocated in that order.
pub(super) fn synthesize_inference(
    cs: &ConstraintSystemRef<Fr>,
    model: &QuantisedModel,
    visibility: IoVisibility,
    input: Option<&[i64]>,
    output: Option<&[i64]>,
    witness_weights: Option<&[LayerWeights]>,
) -> Result<(), SynthesisError> {
    let x = alloc_input(cs, model, visibility.input, input)?;
    let computed = forward_layers(cs, model, x, witness_weights)?;
    bind_output(cs, model, visibility.output, &computed, output)
}

/// The input values, bounded: public inputs, or witnesses whose hash is one public input.
fn alloc_input(
    cs: &ConstraintSystemRef<Fr>,
    model: &QuantisedModel,
    visibility: Visibility,
    input: Option<&[i64]>,
) -> Result<Vec<Signal>, SynthesisError> {
    let b = model.params.value_bits as usize;
    let value = |i: usize| {
        input
            .and_then(|v| v.get(i))
            .map(|&v| to_field(v))
            .ok_or(SynthesisError::AssignmentMissing)
    };
    match visibility {
        Visibility::Public => (0..model.input_len)
            .map(|i| bounded(cs, FpVar::new_input(cs.clone(), || value(i))?, b))
            .collect(),
        Visibility::Hashed => {
            let hash = FpVar::new_input(cs.clone(), || hash_of(input, b))?;
            let mut bits = Vec::with_capacity(model.input_len);
            let mut x = Vec::with_capacity(model.input_len);
            for i in 0..model.input_len {
                let v = FpVar::new_witness(cs.clone(), || value(i))?;
                let (signal, value_bits) = bounded_bits(cs, v, b)?;
                x.push(signal);
                bits.push(value_bits);
            }
            chain_hash_var(&pack_bits_var(&bits))?.enforce_equal(&hash)?;
            Ok(x)
        }
    }
}

/// The last layer's values equal the claimed output: each a public input, or their hash one
/// public input (each value decomposed into its `B` bits once more for the packing).
fn bind_output(
    cs: &ConstraintSystemRef<Fr>,
    model: &QuantisedModel,
    visibility: Visibility,
    computed: &[Signal],
    output: Option<&[i64]>,
) -> Result<(), SynthesisError> {
    let b = model.params.value_bits as usize;
    match visibility {
        Visibility::Public => {
            for (i, computed) in computed.iter().enumerate() {
                let claimed = FpVar::new_input(cs.clone(), || {
                    output
                        .and_then(|o| o.get(i))
                        .map(|&v| to_field(v))
                        .ok_or(SynthesisError::AssignmentMissing)
                })?;
                claimed.enforce_equal(&computed.value)?;
            }
        }
        Visibility::Hashed => {
            let hash = FpVar::new_input(cs.clone(), || hash_of(output, b))?;
            let bits = computed
                .iter()
                .map(|v| range_check(cs, &(&v.value + power_of_two(b - 1)), b))
                .collect::<Result<Vec<_>, _>>()?;
            chain_hash_var(&pack_bits_var(&bits))?.enforce_equal(&hash)?;
        }
    }
    Ok(())
}

/// The hash of a section's assigned values; a value out of bounds has no satisfying witness.
fn hash_of(values: Option<&[i64]>, b: usize) -> Result<Fr, SynthesisError> {
    let values = values.ok_or(SynthesisError::AssignmentMissing)?;
    values_hash(values, b as u32).map_err(|_| SynthesisError::Unsatisfiable)
}

/// Synthesizes every layer on the input values `x`; returns the last layer's values.
fn forward_layers(
    cs: &ConstraintSystemRef<Fr>,
    model: &QuantisedModel,
    mut x: Vec<Signal>,
    witness_weights: Option<&[LayerWeights]>,
) -> Result<Vec<Signal>, SynthesisError> {
    let params = model.params;
    let (b, s) = (params.value_bits as usize, params.scale as usize);
    for (index, layer) in model.layers.iter().enumerate() {
        let witness = witness_weights.map(|w| &w[index]);
        x = match (layer, witness) {
            (
                QuantisedLayer::Dense {
                    inputs,
                    weights,
                    bias,
                    ..
                },
                None,
            ) => weights
                .chunks(*inputs)
                .zip(bias)
                .map(|(row, &bias)| {
                    let acc = weighted_sum(cs, row, &x, to_field(bias))?;
                    rescale(cs, &acc, b, s)
                })
                .collect::<Result<_, _>>()?,
            (QuantisedLayer::Dense { inputs, .. }, Some(witness)) => witness
                .weights
                .chunks(*inputs)
                .zip(&witness.bias)
                .map(|(row, bias)| {
                    // Weights are variables: one constraint per product. The products are
                    // summed as one linear combination: a chain of partial sums would cost
                    // `inputs²/2` terms once arkworks inlines it.
                    let products: Vec<FpVar<Fr>> =
                        row.iter().zip(&x).map(|(w, v)| w * &v.value).collect();
                    let acc = products.iter().sum::<FpVar<Fr>>() + bias;
                    rescale(cs, &acc, b, s)
                })
                .collect::<Result<_, _>>()?,
            (QuantisedLayer::Bias(bias), None) => x
                .iter()
                .zip(bias)
                .map(|(v, &c)| bounded(cs, &v.value + to_field(c), b))
                .collect::<Result<_, _>>()?,
            (QuantisedLayer::Bias(_), Some(witness)) => x
                .iter()
                .zip(&witness.bias)
                .map(|(v, c)| bounded(cs, &v.value + c, b))
                .collect::<Result<_, _>>()?,
            (QuantisedLayer::Relu, _) => x
                .into_iter()
                .map(|v| {
                    let nonneg = match v.nonneg {
                        Some(bit) => bit,
                        None => bounded(cs, v.value.clone(), b)?
                            .nonneg
                            .expect("bounded sets the sign"),
                    };
                    Ok(Signal {
                        value: FpVar::from(nonneg) * &v.value,
                        nonneg: Some(Boolean::TRUE),
                    })
                })
                .collect::<Result<_, SynthesisError>>()?,
        };
    }
    Ok(x)
}

/// `Σ row[i]·x[i] + constant` as one linear combination (no constraint).
fn weighted_sum(
    cs: &ConstraintSystemRef<Fr>,
    row: &[i64],
    x: &[Signal],
    constant: Fr,
) -> Result<FpVar<Fr>, SynthesisError> {
    let mut terms: Vec<(Fr, Variable)> = Vec::with_capacity(row.len() + 1);
    let mut offset = constant;
    let mut value = Some(constant);
    for (&w, signal) in row.iter().zip(x) {
        if w == 0 {
            continue;
        }
        let w = to_field(w);
        match &signal.value {
            FpVar::Constant(c) => offset += w * c,
            FpVar::Var(v) => {
                terms.push((w, v.variable));
                value = value.zip(v.value().ok()).map(|(sum, v)| sum + w * v);
            }
        }
    }
    if terms.is_empty() {
        return Ok(FpVar::Constant(offset));
    }
    terms.push((offset, Variable::One));
    let value = value.map(|v| v - constant + offset);
    let variable = cs.new_lc(|| {
        let mut lc = LinearCombination(terms);
        lc.compactify();
        lc
    })?;
    Ok(FpVar::Var(AllocatedFp::new(value, variable, cs.clone())))
}

/// `y = floor(acc / 2^s)` with `y` in `[−2^(B−1), 2^(B−1))`, from one decomposition of
/// `acc + 2^(B+s−1)` into `B + s` bits (see the [module docs](self)).
fn rescale(
    cs: &ConstraintSystemRef<Fr>,
    acc: &FpVar<Fr>,
    b: usize,
    s: usize,
) -> Result<Signal, SynthesisError> {
    let shifted = acc + power_of_two(b + s - 1);
    let bits = range_check(cs, &shifted, b + s)?;
    let value = le_bits_to_fp(&bits[s..]) - power_of_two(b - 1);
    Ok(Signal {
        value,
        nonneg: Some(bits[b + s - 1].clone()),
    })
}

/// `v` bounded to `[−2^(B−1), 2^(B−1))`: `v + 2^(B−1)` decomposed into `B` bits.
fn bounded(
    cs: &ConstraintSystemRef<Fr>,
    value: FpVar<Fr>,
    b: usize,
) -> Result<Signal, SynthesisError> {
    Ok(bounded_bits(cs, value, b)?.0)
}

/// [`bounded`], and the bits of `v + 2^(B−1)`, least significant first.
fn bounded_bits(
    cs: &ConstraintSystemRef<Fr>,
    value: FpVar<Fr>,
    b: usize,
) -> Result<(Signal, Vec<Boolean<Fr>>), SynthesisError> {
    let bits = range_check(cs, &(&value + power_of_two(b - 1)), b)?;
    let signal = Signal {
        value,
        nonneg: Some(bits[b - 1].clone()),
    };
    Ok((signal, bits))
}

pub(super) fn power_of_two(n: usize) -> Fr {
    Fr::from(2u64).pow([n as u64])
}
