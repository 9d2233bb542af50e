//! Packing small unsigned values into field elements and hashing them with a Poseidon chain:
//! shared by the weights commitment ([`hashed`](super::hashed)) and hashed input and output
//! ([`io`](super::io)).
//!
//! - **Packing** ([`pack`]): values of given widths fill field elements greedily, least
//!   significant bits first; an element takes values while their widths add up to at most
//!   [`PACK_BITS`]; the next value starts a new element.
//! - **Chain** ([`chain_hash`]): `c = 0`, then `c ← Poseidon(c, e₁…e₄)` over the elements in
//!   chunks of four (circomlib Poseidon of 5 inputs, or of `1 + n` for a last chunk of `n < 4`);
//!   the hash is the final `c`. No elements hash to 0.

use std::ops::Range;

use ark_bn254::Fr;
use ark_ff::Zero;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::SynthesisError;

use super::circuit::power_of_two;
use crate::rollup::gadgets::bits::le_bits_to_fp;
use crate::rollup::gadgets::poseidon::poseidon_hash;
use crate::rollup::poseidon;

/// Bits of a packed field element (below BN254's 254, so that packing never wraps).
pub const PACK_BITS: u32 = 248;

/// Field elements per Poseidon call after the chaining value.
const CHUNK: usize = poseidon::MAX_INPUTS - 1;

/// The packing of values of `widths` (each at most [`PACK_BITS`]): the range of values each
/// field element holds.
pub(super) fn pack(widths: impl IntoIterator<Item = u32>) -> Vec<Range<usize>> {
    let mut elements: Vec<Range<usize>> = Vec::new();
    let mut used = PACK_BITS;
    for (index, bits) in widths.into_iter().enumerate() {
        debug_assert!(bits <= PACK_BITS, "a value wider than an element");
        if used + bits > PACK_BITS {
            elements.push(index..index);
            used = 0;
        }
        elements.last_mut().expect("pushed").end = index + 1;
        used += bits;
    }
    elements
}

/// The field element packing `values` (unsigned, each `(value, bits)`), least significant
/// first.
pub(super) fn pack_element(values: impl IntoIterator<Item = (u64, u32)>) -> Fr {
    let mut packed = Fr::zero();
    let mut shift = 0;
    for (value, bits) in values {
        packed += Fr::from(value) * power_of_two(shift);
        shift += bits as usize;
    }
    packed
}

/// The Poseidon chain over `elements` ([module docs](self)).
pub(super) fn chain_hash(elements: &[Fr]) -> Fr {
    elements.chunks(CHUNK).fold(Fr::zero(), |c, chunk| {
        let mut inputs = vec![c];
        inputs.extend_from_slice(chunk);
        poseidon::hash(&inputs)
    })
}

/// [`chain_hash`] in the circuit: 321 constraints per chunk of four elements.
pub(super) fn chain_hash_var(elements: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let mut chain = FpVar::Constant(Fr::zero());
    for chunk in elements.chunks(CHUNK) {
        let mut inputs = vec![chain];
        inputs.extend_from_slice(chunk);
        chain = poseidon_hash(&inputs)?;
    }
    Ok(chain)
}

/// The packed elements of values given as their little-endian bits (one vector per value), in
/// the circuit: each element is one linear combination of the bits (no constraint).
pub(super) fn pack_bits_var(values: &[Vec<Boolean<Fr>>]) -> Vec<FpVar<Fr>> {
    pack(values.iter().map(|bits| bits.len() as u32))
        .into_iter()
        .map(|range| {
            let bits: Vec<Boolean<Fr>> = values[range].iter().flatten().cloned().collect();
            le_bits_to_fp(&bits)
        })
        .collect()
}
