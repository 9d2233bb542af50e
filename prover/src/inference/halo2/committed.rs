//! The hashed binding's layout: the weights and biases as committed advice cells.
//!
//! [`commit`] assigns every item of [`hashed::layout`](crate::inference::hashed) (a weight or a
//! bias, stored unsigned as `u = v + 2^(width−1)`) in the `a` columns of *packing* rows (gates
//! `linear` / `linear_chain` with `coeff = 2^shift`, so each packed element is
//! `Σ u·2^shift`, at most 248 bits), range-checks each `u` to its width with the limb lookup,
//! and hashes the elements with Poseidon (`P128Pow5T3` as a `ConstantLength<L>` sponge over
//! the `L` elements, two a permutation). [`Committed`] then gives the forward pass its weights
//! through multiply-accumulate rows (gates `mac` / `mac_chain`, [`HashedConfig`]).

use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{AssignedCell, Layouter, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::Error;

use super::config::{HashedConfig, InferenceConfig};
use super::layout::{LayerParameters, Signal, known, pow2, range_check, to_field};
use super::poseidon::{field_pow2, sponge_cells};
use crate::inference::hashed::{WeightWidths, layout, offset_value};
use crate::inference::quantise::QuantisedModel;

/// The committed weights and biases of one layer (unsigned forms), in index order.
#[derive(Debug, Default)]
struct CommittedLayer {
    weights: Vec<Signal>,
    bias: Vec<Signal>,
}

/// The committed parameters and the commitment's cell.
#[derive(Debug)]
pub(super) struct Committed {
    layers: Vec<CommittedLayer>,
    widths: WeightWidths,
    mac: MacSelectors,
    zero: Signal,
    one: Signal,
    /// The Poseidon sponge's output, the commitment.
    pub(super) commitment: AssignedCell<Fp, Fp>,
}

#[derive(Debug, Clone, Copy)]
struct MacSelectors {
    mac: halo2_proofs::plonk::Selector,
    mac_chain: halo2_proofs::plonk::Selector,
}

/// Assigns, range-checks, packs and hashes `model`'s weights and biases (values known when
/// `known`, else unknown: key generation).
pub(super) fn commit(
    config: &HashedConfig,
    layouter: &mut impl Layouter<Fp>,
    model: &QuantisedModel,
    widths: WeightWidths,
    known_values: bool,
) -> Result<Committed, Error> {
    let base = &config.base;
    let (zero, one) = layouter.assign_region(
        || "constants 0 and 1",
        |mut region| {
            let zero = region.assign_advice_from_constant(|| "0", base.a[0], 0, Fp::ZERO)?;
            let one = region.assign_advice_from_constant(|| "1", base.a[0], 1, Fp::ONE)?;
            Ok((
                Signal {
                    cell: zero,
                    value: Value::known(0),
                },
                Signal {
                    cell: one,
                    value: Value::known(1),
                },
            ))
        },
    )?;
    let elements = layout(model, widths).map_err(|_| Error::Synthesis)?;
    let mut layers: Vec<CommittedLayer> = model
        .layers
        .iter()
        .map(|_| CommittedLayer::default())
        .collect();
    let mut packed = Vec::with_capacity(elements.len());
    for element in &elements {
        let values = element
            .iter()
            .map(|&item| {
                if known_values {
                    offset_value(model, item)
                        .map(|u| Value::known(i128::from(u)))
                        .map_err(|_| Error::Synthesis)
                } else {
                    Ok(Value::unknown())
                }
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let (cells, sum) = pack(base, layouter, element, &values)?;
        for ((item, cell), value) in element.iter().zip(cells).zip(values) {
            let signal = Signal { cell, value };
            range_check(base, layouter, &signal, item.bits as usize)?;
            let layer = &mut layers[item.layer];
            if item.bias {
                layer.bias.push(signal);
            } else {
                layer.weights.push(signal);
            }
        }
        packed.push(sum);
    }
    let commitment = sponge_cells(&config.poseidon, layouter, zero.cell.clone(), packed)?;
    Ok(Committed {
        layers,
        widths,
        mac: MacSelectors {
            mac: config.mac,
            mac_chain: config.mac_chain,
        },
        zero,
        one,
        commitment,
    })
}

/// A packed element's cells: its items', and the element's.
type PackedCells = (Vec<AssignedCell<Fp, Fp>>, AssignedCell<Fp, Fp>);

/// One packed element: its items' unsigned values in the `a` columns, `W` a row, with
/// `coeff = 2^shift`; returns the items' cells and the element's (the last row's `out`).
fn pack(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    element: &[crate::inference::hashed::Item],
    values: &[Value<i128>],
) -> Result<PackedCells, Error> {
    layouter.assign_region(
        || "pack",
        |mut region| {
            let mut cells = Vec::with_capacity(element.len());
            let mut sum = Value::known(Fp::ZERO);
            let mut shift = 0;
            let mut out = None;
            let width = config.shape.linear_width;
            let rows = element.len().div_ceil(width);
            for r in 0..rows {
                if r == 0 {
                    config.linear.enable(&mut region, r)?;
                } else {
                    config.linear_chain.enable(&mut region, r)?;
                }
                region.assign_fixed(|| "zero", config.constant, r, || Value::known(Fp::ZERO))?;
                for j in 0..width {
                    let index = r * width + j;
                    let (value, coeff) = match element.get(index) {
                        Some(item) => {
                            let coeff = field_pow2(shift);
                            shift += item.bits as usize;
                            (values[index], coeff)
                        }
                        None => (Value::known(0), Fp::ZERO),
                    };
                    let cell = region.assign_advice(|| "item", config.a[j], r, || known(value))?;
                    region.assign_fixed(
                        || "2^shift",
                        config.coeff[j],
                        r,
                        || Value::known(coeff),
                    )?;
                    sum = sum + known(value).map(|v| v * coeff);
                    if index < element.len() {
                        cells.push(cell);
                    }
                }
                out = Some(region.assign_advice(|| "packed", config.out, r, || sum)?);
            }
            Ok((cells, out.expect("an element has an item")))
        },
    )
}

impl Committed {
    /// `Σ (u − offset)·x` over `terms` in chained `mac` rows, `P` terms a row.
    fn mac(
        &self,
        config: &InferenceConfig,
        layouter: &mut impl Layouter<Fp>,
        terms: &[(&Signal, i128, &Signal)],
    ) -> Result<Signal, Error> {
        layouter.assign_region(
            || "multiply-accumulate",
            |mut region| {
                let mut acc = Value::known(0i128);
                let mut out = None;
                let pairs = config.shape.mac_pairs();
                for r in 0..terms.len().div_ceil(pairs) {
                    let selector = if r == 0 {
                        self.mac.mac
                    } else {
                        self.mac.mac_chain
                    };
                    selector.enable(&mut region, r)?;
                    for j in 0..pairs {
                        let (u, x) = (config.a[2 * j], config.a[2 * j + 1]);
                        let offset = match terms.get(r * pairs + j) {
                            Some(&(weight, offset, input)) => {
                                weight.cell.copy_advice(|| "u", &mut region, u, r)?;
                                input.cell.copy_advice(|| "x", &mut region, x, r)?;
                                acc = acc
                                    .zip(weight.value)
                                    .zip(input.value)
                                    .map(|((acc, u), x)| acc + (u - offset) * x);
                                offset
                            }
                            None => {
                                region.assign_advice(
                                    || "unused",
                                    u,
                                    r,
                                    || Value::known(Fp::ZERO),
                                )?;
                                self.zero.cell.copy_advice(|| "0", &mut region, x, r)?;
                                0
                            }
                        };
                        region.assign_fixed(
                            || "offset",
                            config.coeff[2 * j],
                            r,
                            || Value::known(to_field(offset)),
                        )?;
                    }
                    out = Some(region.assign_advice(|| "acc", config.out, r, || known(acc))?);
                }
                Ok(Signal {
                    cell: out.expect("at least one term"),
                    value: acc,
                })
            },
        )
    }

    fn weight_offset(&self) -> i128 {
        pow2(self.widths.weight_bits as usize - 1)
    }

    fn bias_offset(&self) -> i128 {
        pow2(self.widths.bias_bits as usize - 1)
    }
}

impl LayerParameters for Committed {
    fn dense_sum<L: Layouter<Fp>>(
        &self,
        config: &InferenceConfig,
        layouter: &mut L,
        layer: usize,
        o: usize,
        x: &[Signal],
    ) -> Result<Signal, Error> {
        let committed = &self.layers[layer];
        let inputs = x.len();
        let row = committed
            .weights
            .get(o * inputs..(o + 1) * inputs)
            .ok_or(Error::Synthesis)?;
        let bias = committed.bias.get(o).ok_or(Error::Synthesis)?;
        let (w_offset, b_offset) = (self.weight_offset(), self.bias_offset());
        let mut terms = vec![(bias, b_offset, &self.one)];
        terms.extend(row.iter().zip(x).map(|(w, x)| (w, w_offset, x)));
        self.mac(config, layouter, &terms)
    }

    fn add_bias<L: Layouter<Fp>>(
        &self,
        config: &InferenceConfig,
        layouter: &mut L,
        layer: usize,
        i: usize,
        x: &Signal,
    ) -> Result<Signal, Error> {
        let bias = self.layers[layer].bias.get(i).ok_or(Error::Synthesis)?;
        self.mac(
            config,
            layouter,
            &[(x, 0, &self.one), (bias, self.bias_offset(), &self.one)],
        )
    }
}
