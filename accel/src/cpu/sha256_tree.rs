//! RFC 6962 SHA-256 Merkle trees, level by level across cores.
//!
//! 32-byte leaves and inner nodes have fixed-size messages (`0x00 ‖ leaf` is 33 bytes, one block;
//! `0x01 ‖ left ‖ right` is 65 bytes, two blocks), so their padded blocks are laid out directly and
//! fed to `sha2`'s block function, which uses SHA-NI where the CPU has it. Byte-string leaves of
//! other lengths go through the ordinary hasher.

use rayon::prelude::*;
use sha2::block_api::compress256;
use sha2::{Digest, Sha256};

use crate::{MerkleLeaves, MerkleTree};

/// SHA-256's initial state.
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
/// Below this many nodes a level is hashed on the calling thread.
const PARALLEL_FROM: usize = 2048;
/// Nodes per parallel task.
const TASK: usize = 1024;

/// Builds every level of the tree over `leaves`.
pub(crate) fn build(leaves: MerkleLeaves<'_>) -> MerkleTree<[u8; 32]> {
    if leaves.is_empty() {
        return MerkleTree {
            levels: vec![vec![Sha256::digest([]).into()]],
        };
    }
    let mut first = vec![[0u8; 32]; leaves.len()];
    match leaves {
        MerkleLeaves::Digests(d) => for_each_node(&mut first, |i, out| *out = leaf_hash32(&d[i])),
        MerkleLeaves::Bytes(_) => {
            for_each_node(&mut first, |i, out| *out = leaf_hash(leaves.leaf(i)))
        }
    }
    let mut levels = vec![first];
    while levels.last().expect("non-empty").len() > 1 {
        let below = levels.last().expect("non-empty");
        let mut level = vec![[0u8; 32]; below.len().div_ceil(2)];
        for_each_node(&mut level, |i, out| {
            *out = match below.get(2 * i + 1) {
                Some(right) => node_hash(&below[2 * i], right),
                None => below[2 * i],
            }
        });
        levels.push(level);
    }
    MerkleTree { levels }
}

/// Fills `out[i] = f(i)`, in parallel for large levels.
fn for_each_node(out: &mut [[u8; 32]], f: impl Fn(usize, &mut [u8; 32]) + Sync) {
    if out.len() < PARALLEL_FROM {
        out.iter_mut().enumerate().for_each(|(i, o)| f(i, o));
    } else {
        out.par_chunks_mut(TASK).enumerate().for_each(|(c, chunk)| {
            chunk
                .iter_mut()
                .enumerate()
                .for_each(|(j, o)| f(c * TASK + j, o));
        });
    }
}

/// `SHA-256(0x00 ‖ leaf)` for any leaf.
pub(crate) fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    if let Ok(leaf) = <&[u8; 32]>::try_from(leaf) {
        return leaf_hash32(leaf);
    }
    Sha256::new()
        .chain_update([0u8])
        .chain_update(leaf)
        .finalize()
        .into()
}

/// `SHA-256(0x00 ‖ leaf)` for a 32-byte leaf: one padded block.
fn leaf_hash32(leaf: &[u8; 32]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[1..33].copy_from_slice(leaf);
    block[33] = 0x80;
    block[56..].copy_from_slice(&(33u64 * 8).to_be_bytes());
    let mut state = H0;
    compress256(&mut state, &[block]);
    state_bytes(&state)
}

/// `SHA-256(0x01 ‖ left ‖ right)`: two padded blocks.
pub(crate) fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut blocks = [[0u8; 64]; 2];
    blocks[0][0] = 0x01;
    blocks[0][1..33].copy_from_slice(left);
    blocks[0][33..].copy_from_slice(&right[..31]);
    blocks[1][0] = right[31];
    blocks[1][1] = 0x80;
    blocks[1][56..].copy_from_slice(&(65u64 * 8).to_be_bytes());
    let mut state = H0;
    compress256(&mut state, &blocks);
    state_bytes(&state)
}

fn state_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}
