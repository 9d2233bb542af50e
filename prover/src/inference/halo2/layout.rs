//! The forward pass laid out in the [`InferenceConfig`] columns: the same arithmetic as
//! [`QuantisedModel::infer`], value by value, each step a few rows.
//!
//! Witness values are computed here, in `i128`, from the input alone (not taken from native
//! inference), so a circuit whose arithmetic drifted from [`quantise`](super::super::quantise)
//! would fail against native inference's outputs in the tests.

use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{AssignedCell, Layouter, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::Error;

use super::config::{InferenceConfig, LIMB_BITS, Shape, TABLE_ROWS};
use crate::inference::quantise::{QuantisedLayer, QuantisedModel};

/// A value of the forward pass: its cell and, when proving, the integer it holds.
#[derive(Debug, Clone)]
pub(super) struct Signal {
    pub(super) cell: AssignedCell<Fp, Fp>,
    pub(super) value: Value<i128>,
}

/// A signed integer as a field element: `v`, or `p − |v|` when negative.
pub fn to_field(v: i128) -> Fp {
    let m = v.unsigned_abs();
    let magnitude = Fp::from_raw([m as u64, (m >> 64) as u64, 0, 0]);
    if v < 0 { -magnitude } else { magnitude }
}

pub(super) fn known(v: Value<i128>) -> Value<Fp> {
    v.map(to_field)
}

pub(super) fn pow2(n: usize) -> i128 {
    1i128 << n
}

/// Where the layers' weights and biases come from: constants of the circuit ([`FixedParameters`],
/// the fixed binding) or committed advice cells (the hashed binding,
/// [`committed`](super::committed)).
pub(super) trait LayerParameters {
    /// Dense layer `layer` on `x`: for each output `o`, `acc = b[o] + Σ_i W[o][i]·x[i]`, passed
    /// to `then` (the rescaling), whose results are returned in order.
    fn dense_layer<L: Layouter<Fp>>(
        &self,
        config: &InferenceConfig,
        layouter: &mut L,
        layer: usize,
        x: &[Signal],
        then: &mut impl FnMut(&mut L, Signal) -> Result<Signal, Error>,
    ) -> Result<Vec<Signal>, Error>;

    /// `x + b[i]` of bias layer `layer` (not yet bounded).
    fn add_bias<L: Layouter<Fp>>(
        &self,
        config: &InferenceConfig,
        layouter: &mut L,
        layer: usize,
        i: usize,
        x: &Signal,
    ) -> Result<Signal, Error>;
}

/// The fixed binding: the model's weights are the `coeff` of linear rows, its biases their
/// `constant`.
pub(super) struct FixedParameters<'a>(pub(super) &'a QuantisedModel);

impl LayerParameters for FixedParameters<'_> {
    /// Each output's sum, then its rescaling, output by output.
    fn dense_layer<L: Layouter<Fp>>(
        &self,
        config: &InferenceConfig,
        layouter: &mut L,
        layer: usize,
        x: &[Signal],
        then: &mut impl FnMut(&mut L, Signal) -> Result<Signal, Error>,
    ) -> Result<Vec<Signal>, Error> {
        let QuantisedLayer::Dense {
            inputs,
            outputs,
            weights,
            bias,
        } = &self.0.layers[layer]
        else {
            return Err(Error::Synthesis);
        };
        (0..*outputs)
            .map(|o| {
                let row = &weights[o * inputs..(o + 1) * inputs];
                let acc = weighted_sum(config, layouter, row, x, bias[o])?;
                then(layouter, acc)
            })
            .collect()
    }

    fn add_bias<L: Layouter<Fp>>(
        &self,
        config: &InferenceConfig,
        layouter: &mut L,
        layer: usize,
        i: usize,
        x: &Signal,
    ) -> Result<Signal, Error> {
        let QuantisedLayer::Bias(bias) = &self.0.layers[layer] else {
            return Err(Error::Synthesis);
        };
        let c = i128::from(bias[i]);
        linear(config, layouter, &[(x, 1)], c, x.value.map(|v| v + c))
    }
}

/// Where the forward pass's input values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InputCells {
    /// Copied from the instance rows `first, first + 1, …` (a public input).
    Instance(usize),
    /// Private witnesses (a hashed input: the hash is what is public).
    Witness,
}

/// Assigns the input values (`input`, unknown during key generation) from `source`, each bounded
/// to `B` bits: one `linear` row an input, `a[0] = x` and `out = x + 2^(B−1)`, whose `out` is
/// range-checked to `B` bits.
pub(super) fn assign_inputs(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    model: &QuantisedModel,
    input: Option<&[i64]>,
    source: InputCells,
) -> Result<Vec<Signal>, Error> {
    let b = model.params.value_bits as usize;
    let offset = pow2(b - 1);
    (0..model.input_len)
        .map(|i| {
            let value = match input {
                Some(input) => Value::known(i128::from(input[i])),
                None => Value::unknown(),
            };
            let (signal, shifted) = layouter.assign_region(
                || format!("input {i}"),
                |mut region| {
                    config.linear.enable(&mut region, 0)?;
                    let cell = match source {
                        InputCells::Instance(first) => region.assign_advice_from_instance(
                            || "x",
                            config.public,
                            first + i,
                            config.a[0],
                            0,
                        )?,
                        InputCells::Witness => {
                            region.assign_advice(|| "x", config.a[0], 0, || known(value))?
                        }
                    };
                    for (j, column) in config.a.iter().enumerate() {
                        if j > 0 {
                            region.assign_advice(
                                || "unused",
                                *column,
                                0,
                                || Value::known(Fp::ZERO),
                            )?;
                        }
                        let coeff = Value::known(to_field(i128::from(j == 0)));
                        region.assign_fixed(|| "coeff", config.coeff[j], 0, || coeff)?;
                    }
                    let constant = Value::known(to_field(offset));
                    region.assign_fixed(|| "2^(B−1)", config.constant, 0, || constant)?;
                    let sum = value.map(|v| v + offset);
                    let out =
                        region.assign_advice(|| "x + 2^(B−1)", config.out, 0, || known(sum))?;
                    Ok((
                        Signal { cell, value },
                        Signal {
                            cell: out,
                            value: sum,
                        },
                    ))
                },
            )?;
            range_check(config, layouter, &shifted, b)?;
            Ok(signal)
        })
        .collect()
}

/// Lays out every layer on the input values `x` ([`assign_inputs`]), the weights from
/// `parameters`; returns the last layer's values, each in `[−2^(B−1), 2^(B−1))` (a dense or
/// bias layer bounds its values, a ReLU keeps a bound).
pub(super) fn forward(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    model: &QuantisedModel,
    mut x: Vec<Signal>,
    parameters: &impl LayerParameters,
) -> Result<Vec<Signal>, Error> {
    let b = model.params.value_bits as usize;
    let s = model.params.scale as usize;
    for (index, layer) in model.layers.iter().enumerate() {
        x = match layer {
            QuantisedLayer::Dense { .. } => {
                parameters.dense_layer(config, layouter, index, &x, &mut |layouter, acc| {
                    rescale(config, layouter, &acc, b, s)
                })?
            }
            QuantisedLayer::Bias(_) => x
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let sum = parameters.add_bias(config, layouter, index, i, v)?;
                    bounded(config, layouter, &sum, b)?;
                    Ok(sum)
                })
                .collect::<Result<_, Error>>()?,
            QuantisedLayer::Relu => x
                .iter()
                .map(|v| relu(config, layouter, v, b))
                .collect::<Result<_, Error>>()?,
        };
    }
    Ok(x)
}

/// One `linear` row: `out = constant + Σ coeff·operand`, the operands copied in, `out` assigned
/// `value`.
pub(super) fn linear(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    terms: &[(&Signal, i128)],
    constant: i128,
    value: Value<i128>,
) -> Result<Signal, Error> {
    debug_assert!(terms.len() <= config.a.len());
    layouter.assign_region(
        || "linear",
        |mut region| {
            config.linear.enable(&mut region, 0)?;
            region.assign_fixed(
                || "constant",
                config.constant,
                0,
                || Value::known(to_field(constant)),
            )?;
            for (j, column) in config.a.iter().enumerate() {
                let coeff = match terms.get(j) {
                    Some((signal, coeff)) => {
                        signal
                            .cell
                            .copy_advice(|| "operand", &mut region, *column, 0)?;
                        *coeff
                    }
                    None => {
                        region.assign_advice(|| "unused", *column, 0, || Value::known(Fp::ZERO))?;
                        0
                    }
                };
                region.assign_fixed(
                    || "coeff",
                    config.coeff[j],
                    0,
                    || Value::known(to_field(coeff)),
                )?;
            }
            let cell = region.assign_advice(|| "out", config.out, 0, || known(value))?;
            Ok(Signal { cell, value })
        },
    )
}

/// `acc = bias + Σ_i row[i]·x[i]`, `W` inputs a row, chained through `out`.
pub(super) fn weighted_sum(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    row: &[i64],
    x: &[Signal],
    bias: i64,
) -> Result<Signal, Error> {
    layouter.assign_region(
        || "weighted sum",
        |mut region| {
            let mut acc = Value::known(i128::from(bias));
            let mut out = None;
            let width = config.shape.linear_width;
            let rows = row.len().div_ceil(width).max(1);
            for r in 0..rows {
                if r == 0 {
                    config.linear.enable(&mut region, r)?;
                } else {
                    config.linear_chain.enable(&mut region, r)?;
                }
                let constant = if r == 0 { bias } else { 0 };
                region.assign_fixed(
                    || "bias",
                    config.constant,
                    r,
                    || Value::known(to_field(i128::from(constant))),
                )?;
                for j in 0..width {
                    let index = r * width + j;
                    let weight = row.get(index).copied().unwrap_or(0);
                    match x.get(index).filter(|_| index < row.len()) {
                        Some(signal) => {
                            signal
                                .cell
                                .copy_advice(|| "x", &mut region, config.a[j], r)?;
                            let w = i128::from(weight);
                            acc = acc.zip(signal.value).map(|(acc, v)| acc + w * v);
                        }
                        None => {
                            region.assign_advice(
                                || "unused",
                                config.a[j],
                                r,
                                || Value::known(Fp::ZERO),
                            )?;
                        }
                    }
                    region.assign_fixed(
                        || "weight",
                        config.coeff[j],
                        r,
                        || Value::known(to_field(i128::from(weight))),
                    )?;
                }
                let cell = region.assign_advice(|| "acc", config.out, r, || known(acc))?;
                out = Some(Signal { cell, value: acc });
            }
            Ok(out.expect("at least one row"))
        },
    )
}

/// `y = floor(acc / 2^s)` in `[−2^(B−1), 2^(B−1))`: `acc = 2^s·y + r` with `r` range-checked
/// to `s` bits and `y + 2^(B−1)` to `B` bits.
fn rescale(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    acc: &Signal,
    b: usize,
    s: usize,
) -> Result<Signal, Error> {
    let y = acc.value.map(|acc| acc.div_euclid(pow2(s)));
    let r = acc.value.map(|acc| acc.rem_euclid(pow2(s)));
    // The row reads `acc = 0 + 2^s·y + r`, its `out` a copy of `acc`.
    let (_, operands) = layouter.assign_region(
        || "rescale",
        |mut region| {
            config.linear.enable(&mut region, 0)?;
            region.assign_fixed(|| "zero", config.constant, 0, || Value::known(Fp::ZERO))?;
            let terms = [(y, pow2(s)), (r, i128::from(s > 0))];
            let mut cells = Vec::new();
            for (j, column) in config.a.iter().enumerate() {
                let (value, coeff) = terms.get(j).copied().unwrap_or((Value::known(0), 0));
                cells.push(Signal {
                    cell: region.assign_advice(|| "operand", *column, 0, || known(value))?,
                    value,
                });
                region.assign_fixed(
                    || "coeff",
                    config.coeff[j],
                    0,
                    || Value::known(to_field(coeff)),
                )?;
            }
            acc.cell.copy_advice(|| "acc", &mut region, config.out, 0)?;
            Ok(((), cells))
        },
    )?;
    let [y, r] = [operands[0].clone(), operands[1].clone()];
    bounded(config, layouter, &y, b)?;
    if s > 0 {
        range_check(config, layouter, &r, s)?;
    }
    Ok(y)
}

/// `v` in `[−2^(B−1), 2^(B−1))`: `v + 2^(B−1)` range-checked to `B` bits.
pub(super) fn bounded(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    v: &Signal,
    b: usize,
) -> Result<(), Error> {
    let offset = pow2(b - 1);
    let shifted = linear(
        config,
        layouter,
        &[(v, 1)],
        offset,
        v.value.map(|v| v + offset),
    )?;
    range_check(config, layouter, &shifted, b)
}

/// `max(x, 0)` for a bounded `x`: the `relu` gate, and `t` range-checked to `B − 1` bits.
fn relu(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    x: &Signal,
    b: usize,
) -> Result<Signal, Error> {
    let bit = x.value.map(|v| i128::from(v >= 0));
    let y = x.value.map(|v| v.max(0));
    let t = x.value.map(|v| if v >= 0 { v } else { -v - 1 });
    let (y, t) = layouter.assign_region(
        || "relu",
        |mut region| {
            config.relu.enable(&mut region, 0)?;
            x.cell.copy_advice(|| "x", &mut region, config.a[0], 0)?;
            region.assign_advice(|| "bit", config.a[1], 0, || known(bit))?;
            let y_cell = region.assign_advice(|| "y", config.a[2], 0, || known(y))?;
            let t_cell = region.assign_advice(|| "t", config.a[3], 0, || known(t))?;
            Ok((
                Signal {
                    cell: y_cell,
                    value: y,
                },
                Signal {
                    cell: t_cell,
                    value: t,
                },
            ))
        },
    )?;
    range_check(config, layouter, &t, b - 1)?;
    Ok(y)
}

/// The limbs of a `bits`-bit range check, `⌈bits/L⌉`, and the bits left for the top one.
fn limbs_of(bits: usize) -> (usize, usize) {
    let limbs = bits.div_ceil(LIMB_BITS);
    (limbs, bits - LIMB_BITS * (limbs - 1))
}

/// `0 ≤ v < 2^bits`, `bits ≥ 1`: `⌈bits/L⌉` limbs in one range lane, looked up in the table,
/// the top one bounded to what is left (see [`config`](super::config)).
pub(super) fn range_check(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    v: &Signal,
    bits: usize,
) -> Result<(), Error> {
    let (limbs, top_bits) = limbs_of(bits);
    let mask = pow2(LIMB_BITS) - 1;
    let lane = config.range_lane(limbs);
    layouter.assign_region(
        || format!("range check {bits} bits"),
        |mut region| {
            for i in 0..limbs {
                let running = v.value.map(|v| v >> (LIMB_BITS * i));
                if i == 0 {
                    v.cell.copy_advice(|| "v", &mut region, lane.running, 0)?;
                } else {
                    region.assign_advice(|| "running", lane.running, i, || known(running))?;
                }
                region.assign_advice(
                    || "limb",
                    lane.limb,
                    i,
                    || known(running.map(|r| r & mask)),
                )?;
                let bits = if i + 1 == limbs {
                    lane.top.enable(&mut region, i)?;
                    top_bits
                } else {
                    lane.step.enable(&mut region, i)?;
                    LIMB_BITS
                };
                region.assign_fixed(
                    || "limb bits",
                    lane.bits,
                    i,
                    || Value::known(Fp::from(bits as u64)),
                )?;
            }
            Ok(())
        },
    )
}

/// Rows the layout takes ([`Shape::FIXED`]): the linear columns', the busiest range lane's (at
/// most; the groups are laid side by side), and the table's; the largest.
pub fn rows(model: &QuantisedModel) -> usize {
    let shape = Shape::FIXED;
    let forward = forward_rows(model, |inputs| inputs.div_ceil(shape.linear_width).max(1));
    forward
        .linear
        .max(shape.lane_rows(forward.range, forward.longest_range))
        .max(TABLE_ROWS)
}

/// Rows of the forward pass in each group of columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardRows {
    /// Linear rows (`a`, `out`): sums, rescaling, ReLU.
    pub linear: usize,
    /// Range rows (`running`, `limb`) in all lanes: one per limb of every range check.
    pub range: usize,
    /// Rows of the longest range check.
    pub longest_range: usize,
}

/// The forward pass's rows when a dense output's sum takes `sum_rows(inputs)` rows.
pub(super) fn forward_rows(
    model: &QuantisedModel,
    sum_rows: impl Fn(usize) -> usize,
) -> ForwardRows {
    let b = model.params.value_bits as usize;
    let s = model.params.scale as usize;
    let range = |bits: usize| bits.div_ceil(LIMB_BITS);
    // Each input: one linear row and a B-bit range check.
    let (mut linear, mut ranged) = (model.input_len, model.input_len * range(b));
    let mut width = model.input_len;
    for layer in &model.layers {
        match layer {
            QuantisedLayer::Dense {
                inputs, outputs, ..
            } => {
                width = *outputs;
                linear += outputs * (sum_rows(*inputs) + 2);
                ranged += outputs * (range(b) + if s > 0 { range(s) } else { 0 });
            }
            QuantisedLayer::Bias(_) => {
                linear += width * 2;
                ranged += width * range(b);
            }
            QuantisedLayer::Relu => {
                linear += width;
                ranged += width * range(b - 1);
            }
        }
    }
    ForwardRows {
        linear,
        range: ranged,
        longest_range: range(b).max(range(s)),
    }
}

#[cfg(test)]
mod tests {
    use halo2_proofs::circuit::SimpleFloorPlanner;
    use halo2_proofs::dev::MockProver;
    use halo2_proofs::plonk::{Circuit, ConstraintSystem};

    use super::*;

    /// Range checks of `(value, bits)`, each value assigned in `a[0]` (no gate there); the
    /// last one forged when `forge` is set.
    #[derive(Clone)]
    struct RangeChecks<const HASHED: bool> {
        checks: Vec<(i128, usize)>,
        forge: bool,
    }

    /// What a forger of `v`'s range check would assign: the limbs of [`range_check`], except
    /// that the top limb is the whole rest, `v >> (L·(c − 1))`, so that both gates hold, and
    /// only the lookup can refuse a value out of range.
    fn forged_range_check(
        config: &InferenceConfig,
        layouter: &mut impl Layouter<Fp>,
        v: &Signal,
        bits: usize,
    ) -> Result<(), Error> {
        let (limbs, top_bits) = limbs_of(bits);
        let lane = config.range_lane(limbs);
        layouter.assign_region(
            || "forged range check",
            |mut region| {
                v.cell.copy_advice(|| "v", &mut region, lane.running, 0)?;
                for i in 0..limbs {
                    let running = v.value.map(|v| v >> (LIMB_BITS * i));
                    if i > 0 {
                        region.assign_advice(|| "running", lane.running, i, || known(running))?;
                    }
                    let (limb, bits) = if i + 1 == limbs {
                        lane.top.enable(&mut region, i)?;
                        (running, top_bits)
                    } else {
                        lane.step.enable(&mut region, i)?;
                        (running.map(|r| r & (pow2(LIMB_BITS) - 1)), LIMB_BITS)
                    };
                    region.assign_advice(|| "limb", lane.limb, i, || known(limb))?;
                    let bits = Value::known(Fp::from(bits as u64));
                    region.assign_fixed(|| "limb bits", lane.bits, i, || bits)?;
                }
                Ok(())
            },
        )
    }

    impl<const HASHED: bool> Circuit<Fp> for RangeChecks<HASHED> {
        type Config = InferenceConfig;
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            self.clone()
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let shape = if HASHED {
                Shape::SECTIONS
            } else {
                Shape::FIXED
            };
            InferenceConfig::configure(meta, shape)
        }

        fn synthesize(
            &self,
            config: Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            config.load_table(&mut layouter)?;
            for (i, &(value, bits)) in self.checks.iter().enumerate() {
                let value = Value::known(value);
                let cell = layouter.assign_region(
                    || "value",
                    |mut region| region.assign_advice(|| "v", config.a[0], 0, || known(value)),
                )?;
                let v = Signal { cell, value };
                if self.forge && i + 1 == self.checks.len() {
                    forged_range_check(&config, &mut layouter, &v, bits)?;
                } else {
                    range_check(&config, &mut layouter, &v, bits)?;
                }
            }
            Ok(())
        }
    }

    fn satisfied<const HASHED: bool>(checks: Vec<(i128, usize)>, forge: bool) -> bool {
        MockProver::run(10, &RangeChecks::<HASHED> { checks, forge }, vec![vec![]])
            .unwrap()
            .verify()
            .is_ok()
    }

    /// One proof of two circuits (`create_proof` synthesises one configuration twice): each
    /// synthesis puts its range checks in the lanes key generation chose, and the proof verifies.
    #[test]
    fn a_configuration_synthesised_twice_chooses_the_same_lanes() {
        use halo2_proofs::pasta::EqAffine;
        use halo2_proofs::plonk::{
            SingleVerifier, create_proof, keygen_pk, keygen_vk, verify_proof,
        };
        use halo2_proofs::poly::commitment::Params;
        use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};

        let circuit = RangeChecks::<true> {
            checks: vec![(5, 8), (300, 16), (7, 3), (1 << 20, 24)],
            forge: false,
        };
        let params = Params::<EqAffine>::new(10);
        let vk = keygen_vk(&params, &circuit).unwrap();
        let pk = keygen_pk(&params, vk, &circuit).unwrap();
        let mut transcript = Blake2bWrite::<_, EqAffine, Challenge255<_>>::init(vec![]);
        // The one instance column, empty.
        let public: &[&[Fp]] = &[&[]];
        create_proof(
            &params,
            &pk,
            &[circuit.clone(), circuit],
            &[public, public],
            rand::rngs::OsRng,
            &mut transcript,
        )
        .unwrap();
        let proof = transcript.finalize();
        let mut transcript = Blake2bRead::<_, EqAffine, Challenge255<_>>::init(&proof[..]);
        verify_proof(
            &params,
            pk.get_vk(),
            SingleVerifier::new(&params),
            &[public, public],
            &mut transcript,
        )
        .unwrap();
    }

    /// A value passes a `bits`-bit range check exactly when `0 ≤ v < 2^bits`: with a partial
    /// top limb (5, 12 and 13 bits), a whole one (8, 16), in one lane or spread over three; and
    /// so it does when the value out of range comes with a forged decomposition that satisfies
    /// the gates.
    #[test]
    fn range_checks_admit_exactly_the_values_in_range() {
        let widths = [1, 5, 8, 12, 13, 16];
        let inside: Vec<_> = widths
            .iter()
            .flat_map(|&bits| [(0, bits), (pow2(bits) - 1, bits), (pow2(bits) / 3, bits)])
            .collect();
        for forge in [false, true] {
            assert!(satisfied::<false>(inside.clone(), forge));
            assert!(satisfied::<true>(inside.clone(), forge));
        }
        for bits in widths {
            let outside = [
                pow2(bits),
                pow2(bits) + 1,
                2 * pow2(bits) - 1,
                -1,
                -pow2(bits),
            ];
            for (value, forge) in outside.into_iter().flat_map(|v| [(v, false), (v, true)]) {
                let mut checks = inside.clone();
                checks.push((value, bits));
                let case = format!("{value} in {bits} bits (forged: {forge})");
                assert!(!satisfied::<false>(checks.clone(), forge), "{case}");
                assert!(!satisfied::<true>(checks, forge), "{case}, 3 lanes");
            }
        }
    }
}
