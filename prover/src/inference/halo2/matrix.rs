//! The hashed binding's weight matrices: each committed weight in cells that are at once
//! range-checked, packed into the commitment's elements and multiplied by its input.
//!
//! A dense layer of `n` inputs is laid out in *blocks* of [`BLOCK`] outputs side by side. A
//! weight's unsigned form `u = w + 2^(Ww−1)` is `c = ⌈Ww/8⌉` *chunks*: `c − 1` of 8 bits and
//! a top one of the bits left, so a weight of up to 8 bits is one chunk. A block has a row for
//! every chunk of every input, from the last input's top chunk down to the first input's
//! lowest chunk. Columns:
//!
//! - advice `x`: a copy of the row's input;
//! - for each output `o` of the block, advice `chunk[o]` (the row's chunk of `u[o][i]`),
//!   `packed[o]` (the element being packed, so far) and `acc[o]` (the sum so far);
//! - fixed, shared by the block's outputs: `bits` (the chunk's width), `radix` (`2^bits`, or 0
//!   on the row where an element starts) and `scale` (`2^(8j)` for the chunk `j`, counted from
//!   the lowest);
//! - selectors `first` (the block's first row) and `rest` (its other rows).
//!
//! Constraints, for each output of the block:
//!
//! - lookup `(bits, chunk[o])` in the range table ([`config`](super::config)): `chunk < 2^bits`,
//!   so `u < 2^Ww`;
//! - `packed = radix·packed_above + chunk` (`packed = chunk` on the `first` row): Horner's rule
//!   from the most significant chunk down, so the row of an element's lowest chunk holds the
//!   element `Σ u·2^shift` with the weights least significant first, as the commitment packs
//!   them ([`hashed`](super::hashed); every output's weights start a new element, so the
//!   elements' boundaries are the same in every output and `radix` is shared);
//! - `acc = acc_above + scale·chunk·x` (`acc = scale·chunk·x` on the `first` row): the last row
//!   holds `Σ_i u[o][i]·x[i]`.
//!
//! The forward pass takes `Σ_i w·x = acc − 2^(Ww−1)·Σ_i x[i]` in a linear row
//! ([`committed`](super::committed)), with `Σ_i x[i]` computed once a layer. An unused output of
//! a layer's last block holds zeros (a chunk of 0 is in range).

use std::ops::Range;

use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{AssignedCell, Layouter, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Fixed, Selector, TableColumn, VirtualCells,
};
use halo2_proofs::poly::Rotation;

use super::config::LIMB_BITS;
use super::layout::Signal;
use super::poseidon::field_pow2;

/// Outputs of a block, side by side.
pub const BLOCK: usize = 6;

/// The matrix's columns and selectors.
#[derive(Debug, Clone)]
pub struct MatrixConfig {
    x: Column<Advice>,
    chunk: [Column<Advice>; BLOCK],
    packed: [Column<Advice>; BLOCK],
    acc: [Column<Advice>; BLOCK],
    bits: Column<Fixed>,
    radix: Column<Fixed>,
    scale: Column<Fixed>,
    first: Selector,
    rest: Selector,
}

/// The chunks of a weight of `weight_bits` bits, lowest first: their widths.
pub fn chunk_widths(weight_bits: usize) -> Vec<usize> {
    let chunks = weight_bits.div_ceil(LIMB_BITS);
    (0..chunks)
        .map(|j| {
            if j + 1 == chunks {
                weight_bits - LIMB_BITS * j
            } else {
                LIMB_BITS
            }
        })
        .collect()
}

/// Rows of a block over `inputs` inputs of `weight_bits`-bit weights.
pub fn block_rows(inputs: usize, weight_bits: usize) -> usize {
    inputs * weight_bits.div_ceil(LIMB_BITS)
}

/// What a block gives each of its outputs: the cells of its weights' packed elements (in the
/// commitment's order) and its sum `Σ_i u·x`.
#[derive(Debug)]
pub(super) struct BlockOutput {
    pub(super) elements: Vec<AssignedCell<Fp, Fp>>,
    pub(super) sum: Signal,
}

/// A wrong value put into one cell of a block, what follows computed from it (tests only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(super) enum Fault {
    /// `packed` one more than the rule gives, on the row.
    Packed(usize),
    /// `acc` one more than the rule gives, on the row.
    Acc(usize),
}

impl MatrixConfig {
    /// Declares the matrix's columns, gates and lookups; `table` is the range table's
    /// `(bits, value)` columns.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        table_bits: TableColumn,
        table_value: TableColumn,
    ) -> Self {
        let config = Self {
            x: meta.advice_column(),
            chunk: std::array::from_fn(|_| meta.advice_column()),
            packed: std::array::from_fn(|_| meta.advice_column()),
            acc: std::array::from_fn(|_| meta.advice_column()),
            bits: meta.fixed_column(),
            radix: meta.fixed_column(),
            scale: meta.fixed_column(),
            first: meta.selector(),
            rest: meta.selector(),
        };
        meta.enable_equality(config.x);
        for o in 0..BLOCK {
            meta.enable_equality(config.packed[o]);
            meta.enable_equality(config.acc[o]);
        }
        let product = |meta: &mut VirtualCells<'_, Fp>, o: usize| {
            meta.query_fixed(config.scale)
                * meta.query_advice(config.chunk[o], Rotation::cur())
                * meta.query_advice(config.x, Rotation::cur())
        };
        meta.create_gate("matrix first row", |meta| {
            let q = meta.query_selector(config.first);
            (0..BLOCK)
                .flat_map(|o| {
                    let chunk = meta.query_advice(config.chunk[o], Rotation::cur());
                    let packed = meta.query_advice(config.packed[o], Rotation::cur());
                    let acc = meta.query_advice(config.acc[o], Rotation::cur());
                    [
                        q.clone() * (packed - chunk),
                        q.clone() * (acc - product(meta, o)),
                    ]
                })
                .collect::<Vec<_>>()
        });
        meta.create_gate("matrix row", |meta| {
            let q = meta.query_selector(config.rest);
            let radix = meta.query_fixed(config.radix);
            (0..BLOCK)
                .flat_map(|o| {
                    let chunk = meta.query_advice(config.chunk[o], Rotation::cur());
                    let packed = meta.query_advice(config.packed[o], Rotation::cur());
                    let above = meta.query_advice(config.packed[o], Rotation::prev());
                    let acc = meta.query_advice(config.acc[o], Rotation::cur());
                    let acc_above = meta.query_advice(config.acc[o], Rotation::prev());
                    [
                        q.clone() * (packed - chunk - radix.clone() * above),
                        q.clone() * (acc - acc_above - product(meta, o)),
                    ]
                })
                .collect::<Vec<_>>()
        });
        for o in 0..BLOCK {
            meta.lookup(|meta| {
                let bits = meta.query_fixed(config.bits);
                let chunk = meta.query_advice(config.chunk[o], Rotation::cur());
                vec![(bits, table_bits), (chunk, table_value)]
            });
        }
        config
    }

    /// Lays out one block: the inputs `x`, and for each of up to [`BLOCK`] outputs its weights'
    /// unsigned forms (one per input, `weight_bits` wide); `elements` are the ranges of inputs
    /// whose weights share an element (the same for every output).
    pub(super) fn assign_block(
        &self,
        layouter: &mut impl Layouter<Fp>,
        x: &[Signal],
        weights: &[Vec<Value<u64>>],
        weight_bits: usize,
        elements: &[Range<usize>],
    ) -> Result<Vec<BlockOutput>, Error> {
        self.assign_block_with_fault(layouter, x, weights, weight_bits, elements, None)
    }

    /// [`Self::assign_block`] with `fault` put into the witness (the tests' forgeries).
    pub(super) fn assign_block_with_fault(
        &self,
        layouter: &mut impl Layouter<Fp>,
        x: &[Signal],
        weights: &[Vec<Value<u64>>],
        weight_bits: usize,
        elements: &[Range<usize>],
        fault: Option<Fault>,
    ) -> Result<Vec<BlockOutput>, Error> {
        if weights.len() > BLOCK || weights.iter().any(|w| w.len() != x.len()) {
            return Err(Error::Synthesis);
        }
        let widths = chunk_widths(weight_bits);
        // The rows, in order: (input, chunk), from the last input's top chunk down.
        let rows: Vec<(usize, usize)> = (0..x.len())
            .rev()
            .flat_map(|i| (0..widths.len()).rev().map(move |j| (i, j)))
            .collect();
        // An element starts on the top chunk of its last input; it ends (its value complete) on
        // the lowest chunk of its first input.
        let starts =
            |i: usize, j: usize| j + 1 == widths.len() && elements.iter().any(|e| e.end == i + 1);
        let ends = |i: usize, j: usize| j == 0 && elements.iter().any(|e| e.start == i);
        let off_by_one = |value: Value<Fp>, at: Fault| {
            if fault == Some(at) {
                value + Value::known(Fp::ONE)
            } else {
                value
            }
        };
        layouter.assign_region(
            || "weight block",
            |mut region| {
                let mut packed = [Value::known(Fp::ZERO); BLOCK];
                let mut acc = [Value::known(Fp::ZERO); BLOCK];
                let mut sums = [Value::known(0i128); BLOCK];
                let mut element_cells: Vec<Vec<AssignedCell<Fp, Fp>>> = vec![Vec::new(); BLOCK];
                let mut sum_cells = Vec::with_capacity(BLOCK);
                for (t, &(i, j)) in rows.iter().enumerate() {
                    if t == 0 {
                        self.first.enable(&mut region, t)?;
                    } else {
                        self.rest.enable(&mut region, t)?;
                    }
                    let bits = widths[j];
                    let radix = if starts(i, j) {
                        Fp::ZERO
                    } else {
                        field_pow2(bits)
                    };
                    let scale = field_pow2(LIMB_BITS * j);
                    region.assign_fixed(
                        || "bits",
                        self.bits,
                        t,
                        || Value::known(Fp::from(bits as u64)),
                    )?;
                    region.assign_fixed(|| "radix", self.radix, t, || Value::known(radix))?;
                    region.assign_fixed(|| "scale", self.scale, t, || Value::known(scale))?;
                    let input = x[i].cell.copy_advice(|| "x", &mut region, self.x, t)?;
                    let x_value = input.value().copied();
                    for o in 0..BLOCK {
                        let u = weights.get(o).map_or(Value::known(0), |w| w[i]);
                        // The top chunk takes every bit left, so an out-of-range weight fails
                        // its lookup rather than being cut to its width.
                        let top = j + 1 == widths.len();
                        let chunk = u.map(|u| {
                            let shifted = u >> (LIMB_BITS * j);
                            Fp::from(if top {
                                shifted
                            } else {
                                shifted & ((1 << LIMB_BITS) - 1)
                            })
                        });
                        region.assign_advice(|| "chunk", self.chunk[o], t, || chunk)?;
                        let above = if t == 0 {
                            Value::known(Fp::ZERO)
                        } else {
                            packed[o]
                        };
                        packed[o] =
                            off_by_one(above * Value::known(radix) + chunk, Fault::Packed(t));
                        let cell =
                            region.assign_advice(|| "packed", self.packed[o], t, || packed[o])?;
                        if ends(i, j) && o < weights.len() {
                            element_cells[o].push(cell);
                        }
                        acc[o] = off_by_one(
                            acc[o] + chunk * x_value * Value::known(scale),
                            Fault::Acc(t),
                        );
                        let cell = region.assign_advice(|| "acc", self.acc[o], t, || acc[o])?;
                        if j == 0 && o < weights.len() {
                            sums[o] = sums[o]
                                .zip(u)
                                .zip(x[i].value)
                                .map(|((s, u), x)| s + i128::from(u) * x);
                        }
                        if t + 1 == rows.len() && o < weights.len() {
                            sum_cells.push(Signal {
                                cell,
                                value: sums[o],
                            });
                        }
                    }
                }
                // Elements were met from the last down: the commitment lists them first up.
                Ok(element_cells
                    .into_iter()
                    .zip(sum_cells)
                    .map(|(mut elements, sum)| {
                        elements.reverse();
                        BlockOutput { elements, sum }
                    })
                    .collect())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use halo2_proofs::circuit::SimpleFloorPlanner;
    use halo2_proofs::dev::{MockProver, VerifyFailure};
    use halo2_proofs::plonk::Circuit;

    use super::super::config::{InferenceConfig, Shape};
    use super::super::layout::{known, to_field};
    use super::super::poseidon::pack_fp;
    use super::*;

    /// One block over the inputs `x`, with its outputs' elements and sums constrained to the
    /// instance, in order.
    #[derive(Clone)]
    struct OneBlock {
        x: Vec<i128>,
        weights: Vec<Vec<u64>>,
        bits: usize,
        elements: Vec<Range<usize>>,
        fault: Option<Fault>,
    }

    impl Circuit<Fp> for OneBlock {
        type Config = (InferenceConfig, MatrixConfig);
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            self.clone()
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let base = InferenceConfig::configure(meta, Shape::FIXED);
            let matrix = MatrixConfig::configure(meta, base.table_bits, base.table_value);
            (base, matrix)
        }

        fn synthesize(
            &self,
            (base, matrix): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            base.load_table(&mut layouter)?;
            let x = layouter.assign_region(
                || "inputs",
                |mut region| {
                    self.x
                        .iter()
                        .enumerate()
                        .map(|(row, &v)| {
                            let value = Value::known(v);
                            let cell =
                                region.assign_advice(|| "x", base.a[0], row, || known(value))?;
                            Ok(Signal { cell, value })
                        })
                        .collect::<Result<Vec<_>, Error>>()
                },
            )?;
            let weights: Vec<Vec<Value<u64>>> = self
                .weights
                .iter()
                .map(|row| row.iter().map(|&u| Value::known(u)).collect())
                .collect();
            let outputs = matrix.assign_block_with_fault(
                &mut layouter,
                &x,
                &weights,
                self.bits,
                &self.elements,
                self.fault,
            )?;
            let mut row = 0;
            for output in outputs {
                for cell in output.elements.iter().chain([&output.sum.cell]) {
                    layouter.constrain_instance(cell.cell(), base.public, row)?;
                    row += 1;
                }
            }
            Ok(())
        }
    }

    impl OneBlock {
        /// Each output's elements (`Σ u·2^shift` over its ranges) and `Σ u·x`, natively.
        fn expected(&self) -> Vec<Fp> {
            self.weights
                .iter()
                .flat_map(|row| {
                    let elements = self.elements.iter().map(|range| {
                        pack_fp(row[range.clone()].iter().map(|&u| (u, self.bits as u32)))
                    });
                    let sum: i128 = row
                        .iter()
                        .zip(&self.x)
                        .map(|(&u, &x)| i128::from(u) * x)
                        .sum();
                    elements.chain([to_field(sum)]).collect::<Vec<_>>()
                })
                .collect()
        }

        fn failures(&self, instance: Vec<Fp>) -> Vec<VerifyFailure> {
            MockProver::run(10, self, vec![instance])
                .unwrap()
                .verify()
                .err()
                .unwrap_or_default()
        }
    }

    /// A block of `outputs` outputs over three inputs, weights of `bits` bits (some at the
    /// extremes), two elements.
    fn block(bits: usize, outputs: usize) -> OneBlock {
        let top = (1u64 << bits) - 1;
        OneBlock {
            x: vec![3, -5, 127],
            weights: (0..outputs as u64)
                .map(|o| vec![top.wrapping_sub(o) & top, o & top, (top / 3 + 7 * o) & top])
                .collect(),
            bits,
            elements: vec![0..2, 2..3],
            fault: None,
        }
    }

    /// The elements are the commitment's packing and the sums are `Σ u·x`, for weights of one,
    /// two and three chunks and for a full block and a part of one; another claimed value is
    /// refused.
    #[test]
    fn a_block_packs_and_sums_its_weights() {
        for bits in [1, 6, 8, 9, 12, 17] {
            for outputs in [BLOCK, 2] {
                let circuit = block(bits, outputs);
                let expected = circuit.expected();
                assert_eq!(circuit.failures(expected.clone()), vec![], "{bits} bits");
                for at in [0, 2, expected.len() - 1] {
                    let mut wrong = expected.clone();
                    wrong[at] += Fp::ONE;
                    assert!(
                        !circuit.failures(wrong).is_empty(),
                        "{bits} bits, value {at}"
                    );
                }
            }
        }
    }

    /// A weight of `2^Ww`, whose packing and sum follow the gates, fails its chunk's lookup.
    #[test]
    fn a_weight_out_of_range_fails_its_lookup() {
        for bits in [6, 8, 12] {
            let mut circuit = block(bits, 2);
            circuit.weights[1][2] = 1 << bits;
            let failures = circuit.failures(circuit.expected());
            assert!(!failures.is_empty(), "{bits} bits");
            assert!(
                failures
                    .iter()
                    .all(|f| matches!(f, VerifyFailure::Lookup { .. })),
                "{bits} bits: {failures:?}"
            );
        }
    }

    /// A forged `packed` or `acc` cell, on the first row or a later one, with the rows after it
    /// following the rule, is caught by its row's gate.
    #[test]
    fn a_forged_packing_or_sum_is_caught_by_its_gate() {
        for bits in [6, 12] {
            let circuit = block(bits, 2);
            let rows = block_rows(circuit.x.len(), bits);
            for fault in [0, 1, rows - 1]
                .into_iter()
                .flat_map(|t| [Fault::Packed(t), Fault::Acc(t)])
            {
                let forged = OneBlock {
                    fault: Some(fault),
                    ..circuit.clone()
                };
                let failures = forged.failures(circuit.expected());
                assert!(
                    failures
                        .iter()
                        .any(|f| matches!(f, VerifyFailure::ConstraintNotSatisfied { .. })),
                    "{fault:?} with {bits} bits: {failures:?}"
                );
            }
        }
    }
}
