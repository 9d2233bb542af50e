//! Public or hashed input and output.
//!
//! Each of the two sections of an inference's public values, the input and the output, is
//! either **public** (every quantised value is a public input) or **hashed** (one public input,
//! a Poseidon hash of the values, which stay private witnesses). [`IoVisibility`] says which,
//! and is fixed at setup: it shapes the circuit and therefore the keys.
//!
//! # The hash, exactly
//!
//! With value width `B` ([`value_bits`](super::QuantParams::value_bits)), each value `v`
//! becomes `v + 2^(B−1)` (unsigned, `B` bits), the values are [packed](super::commit) into
//! field elements of at most 248 bits in order (7 values of 32 bits an element), and the
//! elements are hashed with the Poseidon chain of [`commit`](super::commit) (the one of the
//! weights commitment).
//!
//! In the circuit the values' bits already exist (every input is bounded by a decomposition
//! into `B` bits; an output is decomposed once more), so the packed elements cost nothing and
//! the hash costs the Poseidon chain: 321 constraints per four elements.
//!
//! The hash has no blinding: whoever can guess the values can check a guess against it. It
//! hides an input drawn from a large space; it does not hide a yes/no answer.

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use super::circuit::to_field;
use super::commit::{chain_hash, pack, pack_element};
use crate::{ProverError, Result};

/// Whether a section of the public values is the values themselves or their hash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Every value is a public input.
    #[default]
    Public,
    /// One public input, the Poseidon hash of the values ([`values_hash`]).
    Hashed,
}

impl Visibility {
    /// Number of public inputs a section of `len` values takes.
    pub fn public_len(self, len: usize) -> usize {
        match self {
            Self::Public => len,
            Self::Hashed => 1,
        }
    }

    /// The public inputs of a section: the values, or their hash.
    pub fn public_values(self, values: &[i64], value_bits: u32) -> Result<Vec<Fr>> {
        Ok(match self {
            Self::Public => values.iter().map(|&v| to_field(v)).collect(),
            Self::Hashed => vec![values_hash(values, value_bits)?],
        })
    }
}

impl std::fmt::Display for Visibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Public => "public",
            Self::Hashed => "hashed",
        })
    }
}

/// The visibility of the input and of the output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IoVisibility {
    /// The input section.
    pub input: Visibility,
    /// The output section.
    pub output: Visibility,
}

impl IoVisibility {
    /// Both sections public (the default).
    pub const PUBLIC: Self = Self {
        input: Visibility::Public,
        output: Visibility::Public,
    };

    /// Number of public inputs the two sections take.
    pub fn public_len(self, inputs: usize, outputs: usize) -> usize {
        self.input.public_len(inputs) + self.output.public_len(outputs)
    }

    /// The public inputs of the two sections, input first.
    pub fn public_values(self, input: &[i64], output: &[i64], value_bits: u32) -> Result<Vec<Fr>> {
        let mut values = self.input.public_values(input, value_bits)?;
        values.extend(self.output.public_values(output, value_bits)?);
        Ok(values)
    }
}

/// The Poseidon hash of `values`, each bounded to `value_bits` signed bits ([module
/// docs](self)); a value out of bounds is refused.
pub fn values_hash(values: &[i64], value_bits: u32) -> Result<Fr> {
    let unsigned = offset_values(values, value_bits)?;
    let elements: Vec<Fr> = pack(std::iter::repeat_n(value_bits, unsigned.len()))
        .into_iter()
        .map(|range| pack_element(unsigned[range].iter().map(|&u| (u, value_bits))))
        .collect();
    Ok(chain_hash(&elements))
}

/// Each of `values` as `v + 2^(B−1)`, unsigned in `B = value_bits` bits: what a hashed section
/// packs (with either proof system). A value out of bounds is refused.
pub(super) fn offset_values(values: &[i64], value_bits: u32) -> Result<Vec<u64>> {
    if !(1..=64).contains(&value_bits) {
        return Err(ProverError::Quantisation(format!(
            "value width {value_bits} is not between 1 and 64"
        )));
    }
    let half = 1i128 << (value_bits - 1);
    values
        .iter()
        .enumerate()
        .map(|(index, &v)| {
            let shifted = i128::from(v) + half;
            if (0..2 * half).contains(&shifted) {
                Ok(shifted as u64)
            } else {
                Err(ProverError::Quantisation(format!(
                    "hashed value {index}: {v} does not fit {value_bits} signed bits"
                )))
            }
        })
        .collect()
}
