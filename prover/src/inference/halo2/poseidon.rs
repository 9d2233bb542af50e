//! The Poseidon hash of the halo2 circuits, natively and in the circuit, and packing in `Fp`:
//! shared by the weights commitment ([`hashed`](super::hashed)) and hashed input and output
//! ([`io`](super::io)).
//!
//! The hash of the `L` packed elements is `halo2_gadgets`' Poseidon (`P128Pow5T3`: width 3,
//! rate 2, x⁵ S-box, 8 full and 56 partial rounds) as a `ConstantLength<L>` hash: a sponge
//! from the state `[0, 0, L·2^64]` absorbing two elements a permutation (an odd count padded
//! with a 0), the first word of the last state. ramjet's chip
//! ([`permutation`](super::permutation)) computes it in the circuit and natively (the library's
//! `Hash` takes `L` as a type parameter, so it serves in the tests, which check the two equal).

use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{AssignedCell, Layouter};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::Error;

use super::permutation::SpongeConfig;

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

/// The hash of `elements`, computed natively (0 when there are none).
pub(super) fn sponge_hash(elements: impl IntoIterator<Item = Fp>) -> Fp {
    super::permutation::sponge(&elements.into_iter().collect::<Vec<_>>())
}

/// The hash of the cells `elements` in the [`SpongeConfig`] columns, with the cell `zero` (which
/// must hold 0) as an odd count's padding; returns the hash's cell.
pub(super) fn sponge_cells(
    config: &SpongeConfig,
    layouter: &mut impl Layouter<Fp>,
    zero: AssignedCell<Fp, Fp>,
    elements: Vec<AssignedCell<Fp, Fp>>,
) -> Result<AssignedCell<Fp, Fp>, Error> {
    config.hash(layouter, zero, &elements)
}
