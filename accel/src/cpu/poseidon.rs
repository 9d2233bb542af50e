//! circomlib-compatible Poseidon with two inputs (t = 3, x⁵ S-box, 8 full and 57 partial rounds)
//! over the BN254 scalar field, and Merkle trees built with it across cores.
//!
//! The round constants and MDS matrix are circomlib's, taken from the `light-poseidon` crate; the
//! permutation here works on a fixed-size state without allocation.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{Field, Zero};
use rayon::prelude::*;

use crate::MerkleTree;

const WIDTH: usize = 3;
const PARALLEL_FROM: usize = 256;
const TASK: usize = 64;

struct Params {
    round_constants: Vec<[Fr; WIDTH]>,
    mds: [[Fr; WIDTH]; WIDTH],
    full_rounds: usize,
    partial_rounds: usize,
}

fn params() -> &'static Params {
    static PARAMS: OnceLock<Params> = OnceLock::new();
    PARAMS.get_or_init(|| {
        let p = light_poseidon::parameters::bn254_x5::get_poseidon_parameters::<Fr>(WIDTH as u8)
            .expect("circomlib parameters for t = 3 exist");
        assert_eq!(
            (p.width, p.alpha),
            (WIDTH, 5),
            "circomlib Poseidon t = 3 uses x^5"
        );
        let round_constants = p
            .ark
            .chunks_exact(WIDTH)
            .map(|c| [c[0], c[1], c[2]])
            .collect::<Vec<_>>();
        let row = |i: usize| [p.mds[i][0], p.mds[i][1], p.mds[i][2]];
        Params {
            round_constants,
            mds: [row(0), row(1), row(2)],
            full_rounds: p.full_rounds,
            partial_rounds: p.partial_rounds,
        }
    })
}

#[inline(always)]
fn sbox(x: &mut Fr) {
    let x2 = x.square();
    *x *= x2.square();
}

/// Poseidon of two field elements, as circomlib's `Poseidon(2)`.
pub(crate) fn hash2(left: Fr, right: Fr) -> Fr {
    let p = params();
    let mut state = [Fr::zero(), left, right];
    let half = p.full_rounds / 2;
    for (round, constants) in p.round_constants.iter().enumerate() {
        for (s, c) in state.iter_mut().zip(constants) {
            *s += c;
        }
        if round < half || round >= half + p.partial_rounds {
            state.iter_mut().for_each(sbox);
        } else {
            sbox(&mut state[0]);
        }
        let m = &p.mds;
        state = [
            m[0][0] * state[0] + m[0][1] * state[1] + m[0][2] * state[2],
            m[1][0] * state[0] + m[1][1] * state[1] + m[1][2] * state[2],
            m[2][0] * state[0] + m[2][1] * state[1] + m[2][2] * state[2],
        ];
    }
    state[0]
}

/// Every level of the Poseidon tree over `leaves` (used as given). The empty tree's root is 0.
pub(crate) fn build(leaves: &[Fr]) -> MerkleTree<Fr> {
    if leaves.is_empty() {
        return MerkleTree {
            levels: vec![vec![Fr::zero()]],
        };
    }
    let mut levels = vec![leaves.to_vec()];
    while levels.last().expect("non-empty").len() > 1 {
        let below = levels.last().expect("non-empty");
        let node = |i: usize| match below.get(2 * i + 1) {
            Some(right) => hash2(below[2 * i], *right),
            None => below[2 * i],
        };
        let size = below.len().div_ceil(2);
        let level: Vec<Fr> = if size < PARALLEL_FROM {
            (0..size).map(node).collect()
        } else {
            (0..size)
                .into_par_iter()
                .with_min_len(TASK)
                .map(node)
                .collect()
        };
        levels.push(level);
    }
    MerkleTree { levels }
}
