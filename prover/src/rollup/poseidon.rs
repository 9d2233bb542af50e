//! Native circomlib Poseidon over BN254's scalar field, through `light-poseidon`: the same hash as
//! the accelerator's `merkle_poseidon` (2 inputs, width t = 3) and the parameters the circuit's
//! Poseidon gadget ([`gadgets::poseidon`](super::gadgets::poseidon)) is built from.
//!
//! `hash(&[x1, …, xn])` is circomlib's `Poseidon(n)`: width t = n + 1, the state starts as
//! `[0, x1, …, xn]`, x^5 S-boxes, 8 full rounds around circomlib's number of partial rounds, and the
//! output is the first state element.

use std::cell::RefCell;
use std::sync::OnceLock;

use ark_bn254::Fr;
use light_poseidon::parameters::bn254_x5;
use light_poseidon::{Poseidon, PoseidonHasher, PoseidonParameters};

/// The largest number of inputs the rollup hashes at once (the signature challenge hashes 5).
pub const MAX_INPUTS: usize = 5;

thread_local! {
    static HASHERS: RefCell<[Option<Poseidon<Fr>>; MAX_INPUTS + 1]> =
        const { RefCell::new([None, None, None, None, None, None]) };
}

/// circomlib `Poseidon(inputs.len())` of `inputs`.
///
/// # Panics
/// If `inputs` is empty or has more than [`MAX_INPUTS`] elements.
pub fn hash(inputs: &[Fr]) -> Fr {
    let n = inputs.len();
    assert!(
        (1..=MAX_INPUTS).contains(&n),
        "Poseidon takes 1 to {MAX_INPUTS} inputs here, not {n}"
    );
    HASHERS.with(|hashers| {
        let mut hashers = hashers.borrow_mut();
        let hasher = hashers[n].get_or_insert_with(|| {
            Poseidon::<Fr>::new_circom(n).expect("circomlib parameters exist for 1 to 5 inputs")
        });
        hasher.hash(inputs).expect("input count matches the width")
    })
}

/// circomlib `Poseidon(2)`: a Merkle node from its two children (as `merkle_poseidon` does).
pub fn hash2(left: Fr, right: Fr) -> Fr {
    hash(&[left, right])
}

/// circomlib's Poseidon parameters for `inputs` inputs (width `inputs + 1`): round constants, MDS
/// matrix, full and partial round counts, as `light-poseidon` ships them. Built once per width.
///
/// # Panics
/// If `inputs` is 0 or more than [`MAX_INPUTS`].
pub fn parameters(inputs: usize) -> &'static PoseidonParameters<Fr> {
    static PARAMS: [OnceLock<PoseidonParameters<Fr>>; MAX_INPUTS + 1] =
        [const { OnceLock::new() }; MAX_INPUTS + 1];
    assert!(
        (1..=MAX_INPUTS).contains(&inputs),
        "Poseidon takes 1 to {MAX_INPUTS} inputs here, not {inputs}"
    );
    PARAMS[inputs].get_or_init(|| {
        let width = u8::try_from(inputs + 1).expect("small width");
        bn254_x5::get_poseidon_parameters::<Fr>(width).expect("circomlib parameters exist")
    })
}
