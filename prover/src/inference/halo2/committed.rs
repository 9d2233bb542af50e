//! The hashed binding's layout: the weights and biases as committed advice cells.
//!
//! - **Weights**: each dense layer's weights are in the weight [`matrix`](super::matrix), where
//!   each weight's cells are range-checked by lookup, packed and multiplied by its input. A
//!   dense output's `b + Σ w·x` is then one linear row: `acc − 2^(Ww−1)·Σx + u_b − 2^(Wb−1)`,
//!   with `Σx` the sum of the layer's inputs (linear rows, once a layer).
//! - **Biases**: assigned in packing rows (gates `linear` / `linear_chain` with
//!   `coeff = 2^shift`, so each element is `Σ u·2^shift`), each range-checked to `Wb` bits in
//!   the range lane; a bias layer adds its bias to a value in a linear row.
//! - **The commitment**: the elements in the order of [`elements`], hashed with the sponge
//!   ([`permutation`](super::permutation)) once the forward pass has laid out every matrix.

use std::cell::RefCell;
use std::iter::repeat_n;

use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{AssignedCell, Layouter, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::Error;

use super::config::{HashedConfig, InferenceConfig};
use super::layout::{LayerParameters, Signal, known, linear, pow2, range_check, weighted_sum};
use super::matrix::{BLOCK, MatrixConfig};
use super::poseidon::{field_pow2, sponge_cells};
use crate::Result;
use crate::inference::commit::pack;
use crate::inference::hashed::{Item, WeightWidths, layout, offset_value};
use crate::inference::quantise::{QuantisedLayer, QuantisedModel};

/// The items of `model` packed into the halo2 commitment's elements, in order: layer by layer,
/// each output's weights (in input order) in elements of their own, then the layer's biases.
/// Items fill an element greedily, least significant first, up to 248 bits. Fails on a width
/// not between 1 and 64 bits.
pub(super) fn elements(model: &QuantisedModel, widths: WeightWidths) -> Result<Vec<Vec<Item>>> {
    // The shared layout checks the widths.
    layout(model, widths)?;
    let mut elements = Vec::new();
    let mut group = |layer: usize, bias: bool, first: usize, count: usize, bits: u32| {
        let items: Vec<Item> = (first..first + count)
            .map(|index| Item {
                layer,
                bias,
                index,
                bits,
            })
            .collect();
        elements.extend(
            pack(repeat_n(bits, count))
                .into_iter()
                .map(|range| items[range].to_vec()),
        );
    };
    for (layer, l) in model.layers.iter().enumerate() {
        match l {
            QuantisedLayer::Dense {
                inputs, outputs, ..
            } => {
                for o in 0..*outputs {
                    group(layer, false, o * inputs, *inputs, widths.weight_bits);
                }
                group(layer, true, 0, *outputs, widths.bias_bits);
            }
            QuantisedLayer::Bias(bias) => group(layer, true, 0, bias.len(), widths.bias_bits),
            QuantisedLayer::Relu => {}
        }
    }
    Ok(elements)
}

/// One layer's committed biases, and the cells of the layer's packed elements so far.
#[derive(Debug, Default)]
struct CommittedLayer {
    /// The biases' unsigned forms, by index.
    bias: Vec<Signal>,
    /// The bias elements' cells.
    bias_elements: Vec<AssignedCell<Fp, Fp>>,
    /// The weight elements' cells, in the commitment's order (set by the forward pass).
    weight_elements: RefCell<Vec<AssignedCell<Fp, Fp>>>,
}

/// The committed parameters: the forward pass's [`LayerParameters`], then the commitment.
#[derive(Debug)]
pub(super) struct Committed<'a> {
    model: &'a QuantisedModel,
    widths: WeightWidths,
    known: bool,
    matrix: MatrixConfig,
    layers: Vec<CommittedLayer>,
    zero: AssignedCell<Fp, Fp>,
}

impl<'a> Committed<'a> {
    /// Assigns, range-checks and packs `model`'s biases (values known when `known`, else
    /// unknown: key generation); the weights come with the forward pass.
    pub(super) fn new(
        config: &HashedConfig,
        layouter: &mut impl Layouter<Fp>,
        model: &'a QuantisedModel,
        widths: WeightWidths,
        known: bool,
    ) -> Result<Self, Error> {
        let base = &config.base;
        let matrix = config.matrix.clone().ok_or(Error::Synthesis)?;
        let zero = layouter.assign_region(
            || "sponge padding 0",
            |mut region| region.assign_advice_from_constant(|| "0", base.a[0], 0, Fp::ZERO),
        )?;
        let mut layers: Vec<CommittedLayer> = model
            .layers
            .iter()
            .map(|_| CommittedLayer::default())
            .collect();
        let bias_elements = elements(model, widths).map_err(|_| Error::Synthesis)?;
        for element in bias_elements.iter().filter(|e| e[0].bias) {
            let values = element
                .iter()
                .map(|&item| Ok(unsigned(model, item, known)?.map(i128::from)))
                .collect::<Result<Vec<_>, Error>>()?;
            let (cells, packed) = pack_items(base, layouter, element, &values)?;
            let layer = &mut layers[element[0].layer];
            for ((item, cell), value) in element.iter().zip(cells).zip(values) {
                let signal = Signal { cell, value };
                range_check(base, layouter, &signal, item.bits as usize)?;
                layer.bias.push(signal);
            }
            layer.bias_elements.push(packed);
        }
        Ok(Self {
            model,
            widths,
            known,
            matrix,
            layers,
            zero,
        })
    }

    /// The commitment's cell: the sponge of every element, after the forward pass.
    pub(super) fn commitment(
        self,
        config: &HashedConfig,
        layouter: &mut impl Layouter<Fp>,
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        let mut all = Vec::new();
        for layer in self.layers {
            all.extend(layer.weight_elements.into_inner());
            all.extend(layer.bias_elements);
        }
        sponge_cells(&config.poseidon, layouter, self.zero, all)
    }

    fn weight_offset(&self) -> i128 {
        pow2(self.widths.weight_bits as usize - 1)
    }

    fn bias_offset(&self) -> i128 {
        pow2(self.widths.bias_bits as usize - 1)
    }

    /// The unsigned forms of output `o`'s weights in dense layer `layer` of `inputs` inputs.
    fn weight_row(&self, layer: usize, o: usize, inputs: usize) -> Result<Vec<Value<u64>>, Error> {
        (0..inputs)
            .map(|i| {
                let item = Item {
                    layer,
                    bias: false,
                    index: o * inputs + i,
                    bits: self.widths.weight_bits,
                };
                unsigned(self.model, item, self.known)
            })
            .collect()
    }
}

/// `item`'s unsigned form in `model` when the values are `known`, else unknown (key generation).
fn unsigned(model: &QuantisedModel, item: Item, known: bool) -> Result<Value<u64>, Error> {
    if !known {
        return Ok(Value::unknown());
    }
    offset_value(model, item)
        .map(Value::known)
        .map_err(|_| Error::Synthesis)
}

/// A packed element's cells: its items', and the element's.
type PackedCells = (Vec<AssignedCell<Fp, Fp>>, AssignedCell<Fp, Fp>);

/// One packed element: its items' unsigned values in the `a` columns, `W` a row, with
/// `coeff = 2^shift`; returns the items' cells and the element's (the last row's `out`).
fn pack_items(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    element: &[Item],
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

impl LayerParameters for Committed<'_> {
    fn dense_layer<L: Layouter<Fp>>(
        &self,
        config: &InferenceConfig,
        layouter: &mut L,
        layer: usize,
        x: &[Signal],
        then: &mut impl FnMut(&mut L, Signal) -> Result<Signal, Error>,
    ) -> Result<Vec<Signal>, Error> {
        let QuantisedLayer::Dense {
            inputs, outputs, ..
        } = &self.model.layers[layer]
        else {
            return Err(Error::Synthesis);
        };
        let (inputs, outputs) = (*inputs, *outputs);
        if x.len() != inputs {
            return Err(Error::Synthesis);
        }
        let bits = self.widths.weight_bits;
        let element_ranges = pack(repeat_n(bits, inputs));
        let mut sums = Vec::with_capacity(outputs);
        let committed = &self.layers[layer];
        for block in (0..outputs).collect::<Vec<_>>().chunks(BLOCK) {
            let weights = block
                .iter()
                .map(|&o| self.weight_row(layer, o, inputs))
                .collect::<Result<Vec<_>, Error>>()?;
            let assigned =
                self.matrix
                    .assign_block(layouter, x, &weights, bits as usize, &element_ranges)?;
            for output in assigned {
                committed
                    .weight_elements
                    .borrow_mut()
                    .extend(output.elements);
                sums.push(output.sum);
            }
        }
        // Σx once for the layer, then each output's `acc − 2^(Ww−1)·Σx + u_b − 2^(Wb−1)`.
        let input_sum = weighted_sum(config, layouter, &vec![1; inputs], x, 0)?;
        let (w_offset, b_offset) = (self.weight_offset(), self.bias_offset());
        sums.into_iter()
            .enumerate()
            .map(|(o, sum)| {
                let bias = committed.bias.get(o).ok_or(Error::Synthesis)?;
                let value = sum
                    .value
                    .zip(input_sum.value)
                    .zip(bias.value)
                    .map(|((s, x), b)| s - w_offset * x + b - b_offset);
                let acc = linear(
                    config,
                    layouter,
                    &[(&sum, 1), (&input_sum, -w_offset), (bias, 1)],
                    -b_offset,
                    value,
                )?;
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
        let bias = self.layers[layer].bias.get(i).ok_or(Error::Synthesis)?;
        let offset = self.bias_offset();
        let value = x.value.zip(bias.value).map(|(x, b)| x + b - offset);
        linear(config, layouter, &[(x, 1), (bias, 1)], -offset, value)
    }
}
