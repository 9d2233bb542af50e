//! Fixed-point quantisation and the native fixed-point forward pass.
//!
//! # The arithmetic, exactly (the circuit reproduces it bit for bit)
//!
//! With scale `s` ([`QuantParams::scale`]) and value width `B` ([`QuantParams::value_bits`]):
//!
//! - **Rounding** of a float `v` to a scale `2^k`: `round(v·2^k)`, to the nearest integer, ties
//!   away from zero (Rust's `f64::round`), computed in f64 (exact: multiplying by a power of
//!   two only changes the exponent).
//! - **Inputs** and **weights** are rounded at `2^s`; a **dense layer's bias** at `2^(2s)`, the
//!   scale of a product of two values at `2^s`; a **standalone bias** (`Add` not after a
//!   `MatMul`) at `2^s`.
//! - **Dense layer**: `acc[o] = Σ_i W[o][i]·x[i] + b[o]` exactly (i128, overflow checked), then
//!   `y[o] = floor(acc[o] / 2^s)` — floor division, rounding towards −∞ (so `−1 / 2^s = −1`),
//!   which is what the circuit's `acc = y·2^s + r` with `0 ≤ r < 2^s` pins down.
//! - **Bias layer**: `y = x + b`. **ReLU**: `y = max(x, 0)`.
//! - **Bounds**: every input and every layer's output must lie in `[−2^(B−1), 2^(B−1))`;
//!   a value outside is [`ProverError::ValueOutOfRange`] (the circuit range-checks each of them,
//!   so such an inference could not be proved).
//!
//! The outputs are integers at scale `2^s`: `y / 2^s` approximates the float model's output.

use super::model::{Layer, Model, check_input_len};
use crate::{ProverError, Result};

/// How a model is quantised: values are integers at scale `2^scale`, bounded to `value_bits`
/// signed bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuantParams {
    /// `s`: values are `round(v·2^s)`. 0 to [`MAX_SCALE`].
    pub scale: u32,
    /// `B`: every value lies in `[−2^(B−1), 2^(B−1))`. 2 to 64.
    pub value_bits: u32,
}

/// The largest scale: a dense layer's bias is rounded at `2^(2s)` and must fit an i64.
pub const MAX_SCALE: u32 = 24;

impl Default for QuantParams {
    /// `2^7`, EZKL's default scale, and 32-bit values.
    fn default() -> Self {
        Self {
            scale: 7,
            value_bits: 32,
        }
    }
}

impl QuantParams {
    /// Checks the parameters, reporting every violation at once.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.scale > MAX_SCALE {
            problems.push(format!("scale {} is above {MAX_SCALE}", self.scale));
        }
        if !(2..=64).contains(&self.value_bits) {
            problems.push(format!(
                "value_bits {} is not between 2 and 64",
                self.value_bits
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ProverError::Quantisation(problems.join("; ")))
        }
    }

    /// The smallest value allowed, `−2^(B−1)`.
    pub fn min_value(&self) -> i64 {
        -(1i128 << (self.value_bits - 1)) as i64
    }

    /// The largest value allowed, `2^(B−1) − 1`.
    pub fn max_value(&self) -> i64 {
        ((1i128 << (self.value_bits - 1)) - 1) as i64
    }

    /// `round(v·2^scale)` ([module docs](self)) as an i64.
    pub fn round_at(v: f64, scale: u32) -> Result<i64> {
        let scaled = (v * (1u64 << scale) as f64).round();
        // 2^63 is exactly representable; every f64 below it in magnitude fits an i64.
        if !scaled.is_finite() || scaled.abs() >= 9_223_372_036_854_775_808.0 {
            return Err(ProverError::Quantisation(format!(
                "{v} at scale 2^{scale} does not fit 64 bits"
            )));
        }
        Ok(scaled as i64)
    }

    /// The float value of a fixed-point `v`: `v / 2^s`.
    pub fn dequantise(&self, v: i64) -> f64 {
        v as f64 / (1u64 << self.scale) as f64
    }

    fn check_value(&self, v: i128, layer: Option<usize>, index: usize) -> Result<i64> {
        if v < i128::from(self.min_value()) || v > i128::from(self.max_value()) {
            return Err(ProverError::ValueOutOfRange {
                layer,
                index,
                value: v,
                bits: self.value_bits,
            });
        }
        Ok(v as i64)
    }
}

/// A [`Model`] in fixed point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantisedModel {
    /// The parameters it was quantised with.
    pub params: QuantParams,
    /// Number of input values.
    pub input_len: usize,
    /// The layers, in order.
    pub layers: Vec<QuantisedLayer>,
}

/// One step of a [`QuantisedModel`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantisedLayer {
    /// `y[o] = floor((Σ_i W[o][i]·x[i] + bias[o]) / 2^s)`.
    Dense {
        /// Number of inputs.
        inputs: usize,
        /// Number of outputs.
        outputs: usize,
        /// `outputs × inputs`, row-major, at `2^s`.
        weights: Vec<i64>,
        /// One per output, at `2^(2s)`.
        bias: Vec<i64>,
    },
    /// `y = x + bias`, the bias at `2^s`.
    Bias(Vec<i64>),
    /// `y = max(x, 0)`.
    Relu,
}

impl QuantisedModel {
    /// Quantises `model` with `params` ([module docs](self)). Fails if the parameters are
    /// invalid, a weight does not fit, or a dense layer's accumulator could reach
    /// `2^(249 − B − s)` for inputs within the bounds (the circuit needs its accumulators far
    /// below the field's modulus to decompose them soundly).
    pub fn new(model: &Model, params: QuantParams) -> Result<Self> {
        params.validate()?;
        let s = params.scale;
        let round_all = |values: &[f64], scale: u32| -> Result<Vec<i64>> {
            values
                .iter()
                .map(|&v| QuantParams::round_at(v, scale))
                .collect()
        };
        let layers = model
            .layers
            .iter()
            .map(|layer| {
                Ok(match layer {
                    Layer::Dense(dense) => QuantisedLayer::Dense {
                        inputs: dense.inputs,
                        outputs: dense.outputs,
                        weights: round_all(&dense.weights, s)?,
                        bias: round_all(&dense.bias, 2 * s)?,
                    },
                    Layer::Bias(bias) => QuantisedLayer::Bias(round_all(bias, s)?),
                    Layer::Relu => QuantisedLayer::Relu,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let quantised = Self {
            params,
            input_len: model.input_len,
            layers,
        };
        quantised.check_accumulator_bounds()?;
        Ok(quantised)
    }

    /// Number of output values.
    pub fn output_len(&self) -> usize {
        self.layers
            .iter()
            .fold(self.input_len, |n, layer| match layer {
                QuantisedLayer::Dense { outputs, .. } => *outputs,
                QuantisedLayer::Bias(_) | QuantisedLayer::Relu => n,
            })
    }

    /// `round(v·2^s)` of every input value, each checked against the bounds.
    pub fn quantise_input(&self, input: &[f64]) -> Result<Vec<i64>> {
        check_input_len(input.len(), self.input_len)?;
        input
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let q = QuantParams::round_at(v, self.params.scale)?;
                self.params.check_value(i128::from(q), None, i)
            })
            .collect()
    }

    /// The fixed-point forward pass ([module docs](self)): the outputs at `2^s`.
    pub fn infer(&self, input: &[i64]) -> Result<Vec<i64>> {
        check_input_len(input.len(), self.input_len)?;
        let params = &self.params;
        for (i, &v) in input.iter().enumerate() {
            params.check_value(i128::from(v), None, i)?;
        }
        let mut x = input.to_vec();
        for (index, layer) in self.layers.iter().enumerate() {
            let layer_no = Some(index);
            let overflow = || ProverError::Quantisation(format!("layer {index} overflows i128"));
            x = match layer {
                QuantisedLayer::Dense {
                    inputs,
                    outputs,
                    weights,
                    bias,
                } => (0..*outputs)
                    .map(|o| {
                        let row = &weights[o * inputs..(o + 1) * inputs];
                        let acc =
                            row.iter()
                                .zip(&x)
                                .try_fold(i128::from(bias[o]), |acc, (&w, &v)| {
                                    acc.checked_add(i128::from(w).checked_mul(i128::from(v))?)
                                });
                        let acc = acc.ok_or_else(overflow)?;
                        params.check_value(acc.div_euclid(1i128 << params.scale), layer_no, o)
                    })
                    .collect::<Result<_>>()?,
                QuantisedLayer::Bias(bias) => x
                    .iter()
                    .zip(bias)
                    .enumerate()
                    .map(|(i, (&v, &b))| {
                        params.check_value(i128::from(v) + i128::from(b), layer_no, i)
                    })
                    .collect::<Result<_>>()?,
                QuantisedLayer::Relu => x.iter().map(|&v| v.max(0)).collect(),
            };
        }
        Ok(x)
    }

    /// For every dense layer, `2^(B−1)·Σ_i |W[o][i]| + |b[o]|` (the largest accumulator inputs
    /// within bounds can give) must stay below `2^(249 − B − s)`.
    fn check_accumulator_bounds(&self) -> Result<()> {
        let (b, s) = (self.params.value_bits, self.params.scale);
        let limit_bits = 249 - b - s;
        for (index, layer) in self.layers.iter().enumerate() {
            let QuantisedLayer::Dense {
                inputs,
                weights,
                bias,
                ..
            } = layer
            else {
                continue;
            };
            for (o, row) in weights.chunks(*inputs).enumerate() {
                let bound = row
                    .iter()
                    .try_fold(0u128, |sum, w| {
                        sum.checked_add(u128::from(w.unsigned_abs()))
                    })
                    .and_then(|sum| sum.checked_mul(1u128 << (b - 1)))
                    .and_then(|sum| sum.checked_add(u128::from(bias[o].unsigned_abs())));
                let fits = bound.is_some_and(|v| limit_bits >= 128 || v < 1u128 << limit_bits);
                if !fits {
                    return Err(ProverError::Quantisation(format!(
                        "layer {index}, output {o}: the accumulator's bound does not fit \
                         {limit_bits} bits; lower the scale or value_bits"
                    )));
                }
            }
        }
        Ok(())
    }
}
