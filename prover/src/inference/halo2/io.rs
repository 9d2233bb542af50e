//! Hashed input and output with halo2.
//!
//! A hashed section ([`Visibility::Hashed`]) is one instance value, the Poseidon hash of its
//! values, which are private witnesses. The values are those of the Groth16 hash
//! ([`inference::io`](crate::inference::io)): each `v` as `v + 2^(B−1)` in `B` bits, packed in
//! order into elements of at most 248 bits; the elements are hashed with the halo2 hash of
//! [`poseidon`](super::poseidon) (`P128Pow5T3` as a `ConstantLength<L>` hash of the `L`
//! elements, over Vesta's scalar field `Fp`). The two systems' hashes of the same values
//! therefore differ: each is a value of its own field.
//!
//! In the circuit every input is bounded to `B` bits when it is assigned and every output when
//! it is computed, so a section's packing is injective. An element is one or more linear rows
//! whose operands are copies of the values' cells, with `coeff = 2^shift` and the constant
//! `Σ 2^(B−1+shift)`: the packing costs a row per `W` values (the circuit's [`Shape`]) and the
//! hash one Poseidon call per pair of elements, no range check.
//!
//! The hash has no blinding: whoever can guess the values can check a guess against it.

use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{AssignedCell, Layouter, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::Error;

use super::config::{HashedConfig, InferenceConfig, Shape};
use super::layout::{InputCells, LayerParameters, Signal, assign_inputs, forward, known, to_field};
use super::permutation::RowRounds;
use super::poseidon::{field_pow2, pack_fp, sponge_cells, sponge_hash};
use crate::Result;
use crate::inference::commit::pack;
use crate::inference::io::offset_values;
use crate::inference::quantise::QuantisedModel;
use crate::inference::{IoVisibility, Visibility};

/// The halo2 Poseidon hash of `values`, each bounded to `value_bits` signed bits ([module
/// docs](self)); a value out of bounds is refused.
pub fn values_hash(values: &[i64], value_bits: u32) -> Result<Fp> {
    let unsigned = offset_values(values, value_bits)?;
    Ok(sponge_hash(
        pack(std::iter::repeat_n(value_bits, unsigned.len()))
            .into_iter()
            .map(|range| pack_fp(unsigned[range].iter().map(|&u| (u, value_bits)))),
    ))
}

/// The instance values of a section: the values, or their hash.
pub fn section_instance(
    visibility: Visibility,
    values: &[i64],
    value_bits: u32,
) -> Result<Vec<Fp>> {
    Ok(match visibility {
        Visibility::Public => values.iter().map(|&v| to_field(i128::from(v))).collect(),
        Visibility::Hashed => vec![values_hash(values, value_bits)?],
    })
}

/// The instance values of the input section, then of the output section.
pub fn io_instance(
    visibility: IoVisibility,
    input: &[i64],
    output: &[i64],
    value_bits: u32,
) -> Result<Vec<Fp>> {
    let mut column = section_instance(visibility.input, input, value_bits)?;
    column.extend(section_instance(visibility.output, output, value_bits)?);
    Ok(column)
}

/// The forward pass with its input and output as `visibility` says, the instance rows of the
/// two sections starting at `first_row`: a public input is copied from the instance, a hashed
/// one is a witness whose hash is constrained to the instance; public outputs are constrained
/// to the instance one by one, hashed ones through their hash.
pub(super) fn forward_with_sections(
    config: &HashedConfig,
    layouter: &mut impl Layouter<Fp>,
    model: &QuantisedModel,
    input: Option<&[i64]>,
    visibility: IoVisibility,
    first_row: usize,
    parameters: &impl LayerParameters,
) -> Result<(), Error> {
    let base = &config.base;
    let source = match visibility.input {
        Visibility::Public => InputCells::Instance(first_row),
        Visibility::Hashed => InputCells::Witness,
    };
    let x = assign_inputs(base, layouter, model, input, source)?;
    let mut row = first_row;
    if visibility.input == Visibility::Hashed {
        let hash = hash_values(config, layouter, &x, model.params.value_bits)?;
        layouter.constrain_instance(hash.cell(), base.public, row)?;
    }
    row += visibility.input.public_len(model.input_len);
    let y = forward(base, layouter, model, x, parameters)?;
    match visibility.output {
        Visibility::Public => {
            for (i, output) in y.iter().enumerate() {
                layouter.constrain_instance(output.cell.cell(), base.public, row + i)?;
            }
        }
        Visibility::Hashed => {
            let hash = hash_values(config, layouter, &y, model.params.value_bits)?;
            layouter.constrain_instance(hash.cell(), base.public, row)?;
        }
    }
    Ok(())
}

/// The hash of `values`, each already bounded to `[−2^(B−1), 2^(B−1))`: packed, then hashed.
fn hash_values(
    config: &HashedConfig,
    layouter: &mut impl Layouter<Fp>,
    values: &[Signal],
    value_bits: u32,
) -> Result<AssignedCell<Fp, Fp>, Error> {
    let zero = layouter.assign_region(
        || "sponge padding 0",
        |mut region| region.assign_advice_from_constant(|| "0", config.base.a[0], 0, Fp::ZERO),
    )?;
    let elements = pack(std::iter::repeat_n(value_bits, values.len()))
        .into_iter()
        .map(|range| pack_values(&config.base, layouter, &values[range], value_bits as usize))
        .collect::<Result<Vec<_>, Error>>()?;
    sponge_cells(&config.poseidon, layouter, zero, elements)
}

/// One packed element of bounded values: linear rows over copies of their cells,
/// `Σ (v + 2^(B−1))·2^shift`, `W` values a row; returns the element's cell.
fn pack_values(
    config: &InferenceConfig,
    layouter: &mut impl Layouter<Fp>,
    values: &[Signal],
    bits: usize,
) -> Result<AssignedCell<Fp, Fp>, Error> {
    layouter.assign_region(
        || "pack values",
        |mut region| {
            let mut sum = Value::known(Fp::ZERO);
            let mut out = None;
            let width = config.shape.linear_width;
            for (r, row) in values.chunks(width).enumerate() {
                if r == 0 {
                    config.linear.enable(&mut region, r)?;
                } else {
                    config.linear_chain.enable(&mut region, r)?;
                }
                let mut constant = Fp::ZERO;
                for (j, column) in config.a.iter().enumerate() {
                    let coeff = match row.get(j) {
                        Some(signal) => {
                            let shift = (r * width + j) * bits;
                            signal
                                .cell
                                .copy_advice(|| "value", &mut region, *column, r)?;
                            let coeff = field_pow2(shift);
                            let offset = field_pow2(shift + bits - 1);
                            constant += offset;
                            sum = sum + known(signal.value).map(|v| v * coeff + offset);
                            coeff
                        }
                        None => {
                            region.assign_advice(
                                || "unused",
                                *column,
                                r,
                                || Value::known(Fp::ZERO),
                            )?;
                            Fp::ZERO
                        }
                    };
                    region.assign_fixed(
                        || "2^shift",
                        config.coeff[j],
                        r,
                        || Value::known(coeff),
                    )?;
                }
                region.assign_fixed(|| "offsets", config.constant, r, || Value::known(constant))?;
                out = Some(region.assign_advice(|| "packed", config.out, r, || sum)?);
            }
            out.ok_or(Error::Synthesis)
        },
    )
}

/// Rows the hashed sections add to each group of columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SectionRows {
    /// Linear rows: the packing (a row per `W` values) and the sponge's padding 0 (one a
    /// hashed section).
    pub linear: usize,
    /// Rows of the Poseidon chip's columns: a call per pair of packed elements.
    pub poseidon: usize,
    /// Rows of the constants column: the sponge's padding 0 (one a hashed section).
    pub constants: usize,
}

/// The rows hashing the sections `visibility` hashes take, for `model`, in a circuit of `shape`
/// whose chip has `rounds` a row.
pub fn section_rows(
    model: &QuantisedModel,
    visibility: IoVisibility,
    shape: Shape,
    rounds: RowRounds,
) -> SectionRows {
    let bits = model.params.value_bits;
    let mut rows = SectionRows::default();
    for (section, len) in [
        (visibility.input, model.input_len),
        (visibility.output, model.output_len()),
    ] {
        if section == Visibility::Hashed {
            let elements = pack(std::iter::repeat_n(bits, len));
            rows.linear += 1 + elements
                .iter()
                .map(|e| e.len().div_ceil(shape.linear_width))
                .sum::<usize>();
            rows.poseidon += rounds.sponge_rows(elements.len());
            rows.constants += 1;
        }
    }
    rows
}
