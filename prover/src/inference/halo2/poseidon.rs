//! The Poseidon chain of the halo2 circuits, natively and in the circuit, and packing in `Fp`:
//! shared by the weights commitment ([`hashed`](super::hashed)) and hashed input and output
//! ([`io`](super::io)).
//!
//! The chain: `c₀ = 0`, then `c ← Poseidon(c, e)` for each packed element `e` in order, with
//! `halo2_gadgets`' Poseidon (`P128Pow5T3`: width 3, rate 2, x⁵ S-box, 8 full and 56 partial
//! rounds) as a `ConstantLength<2>` hash; the hash is the last `c`. Natively the library
//! computes it; in the circuit ramjet's own chip ([`permutation`](super::permutation)), whose
//! gates are of lower degree than the library's `Pow5Chip`.

use halo2_gadgets::poseidon::primitives::{self as primitives, ConstantLength, P128Pow5T3};
use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{AssignedCell, Layouter};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::Error;

use super::permutation::ChainConfig;

/// `2^n` in the field, for `n` up to 255.
pub(super) fn field_pow2(n: usize) -> Fp {
    Fp::from(2).pow_vartime([n as u64])
}

/// The element packing unsigned `values` given as `(value, bits)`, least significant first:
/// `Σ u·2^shift`.
pub(super) fn pack_fp(values: impl IntoIterator<Item = (u64, u32)>) -> Fp {
    let mut packed = Fp::ZERO;
    let mut shift = 0;
    for (value, bits) in values {
        packed += Fp::from(value) * field_pow2(shift);
        shift += bits as usize;
    }
    packed
}

/// The chain over `elements`, computed natively.
pub(super) fn chain_hash(elements: impl IntoIterator<Item = Fp>) -> Fp {
    elements.into_iter().fold(Fp::ZERO, |c, e| {
        primitives::Hash::<_, P128Pow5T3, ConstantLength<2>, 3, 2>::init().hash([c, e])
    })
}

/// The chain over the cells `elements` in the [`ChainConfig`] columns, from the cell `zero`
/// (which must hold 0); returns the last value's cell.
pub(super) fn chain_cells(
    config: &ChainConfig,
    layouter: &mut impl Layouter<Fp>,
    zero: AssignedCell<Fp, Fp>,
    elements: Vec<AssignedCell<Fp, Fp>>,
) -> Result<AssignedCell<Fp, Fp>, Error> {
    config.chain(layouter, zero, &elements)
}
