//! The Poseidon chain of the halo2 circuits, natively and in the circuit, and packing in `Fp`:
//! shared by the weights commitment ([`hashed`](super::hashed)) and hashed input and output
//! ([`io`](super::io)).
//!
//! The chain: `c₀ = 0`, then `c ← Poseidon(c, e)` for each packed element `e` in order, with
//! `halo2_gadgets`' Poseidon (`P128Pow5T3`: width 3, rate 2, x⁵ S-box, 8 full and 56 partial
//! rounds) as a `ConstantLength<2>` hash; the hash is the last `c`.

use halo2_gadgets::poseidon::primitives::{self as primitives, ConstantLength, P128Pow5T3, Spec};
use halo2_gadgets::poseidon::{Hash, Pow5Chip, Pow5Config};
use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{AssignedCell, Layouter};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::Error;

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

/// The chain over the cells `elements` in the `Pow5Chip` columns, from the cell `zero` (which
/// must hold 0); returns the last value's cell.
pub(super) fn chain_cells(
    config: &Pow5Config<Fp, 3, 2>,
    layouter: &mut impl Layouter<Fp>,
    zero: AssignedCell<Fp, Fp>,
    elements: Vec<AssignedCell<Fp, Fp>>,
) -> Result<AssignedCell<Fp, Fp>, Error> {
    let mut chain = zero;
    for (i, element) in elements.into_iter().enumerate() {
        let chip = Pow5Chip::construct(config.clone());
        let hasher = Hash::<_, _, P128Pow5T3, ConstantLength<2>, 3, 2>::init(
            chip,
            layouter.namespace(|| format!("poseidon {i} init")),
        )?;
        chain = hasher.hash(
            layouter.namespace(|| format!("poseidon {i}")),
            [chain, element],
        )?;
    }
    Ok(chain)
}

/// Rows of one Poseidon call in the `Pow5Chip` columns: the initial state (1 row), adding the
/// two inputs (3 rows), and the permutation (one row per full round, one per two partial
/// rounds, and the final state).
pub(super) fn poseidon_rows() -> usize {
    let full = <P128Pow5T3 as Spec<Fp, 3, 2>>::full_rounds();
    let partial = <P128Pow5T3 as Spec<Fp, 3, 2>>::partial_rounds();
    1 + 3 + full + partial / 2 + 1
}
