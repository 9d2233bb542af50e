//! RFC 6962 SHA-256 Merkle trees, level by level across cores.
//!
//! 32-byte leaves and inner nodes have fixed-size messages (`0x00 ‖ leaf` is 33 bytes, one block;
//! `0x01 ‖ left ‖ right` is 65 bytes, two blocks), so their padded blocks are laid out directly and
//! compressed directly: two messages at a time with SHA-NI where the CPU has it
//! ([`sha256_ni`]), else with `sha2`'s block function. Byte-string leaves of
//! other lengths go through the ordinary hasher.

use rayon::prelude::*;
use sha2::block_api::compress256;
use sha2::{Digest, Sha256};

use super::sha256_ni;
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
///
/// Nodes are hashed in pairs: with SHA-NI, two messages go through the SHA unit at once.
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
        let pairs = below.len() / 2;
        for_each_pair(
            &mut level[..pairs],
            |i| node_blocks(&below[2 * i], &below[2 * i + 1]),
            |i| node_hash(&below[2 * i], &below[2 * i + 1]),
        );
        if below.len() % 2 == 1 {
            level[pairs] = below[below.len() - 1];
        }
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

/// Fills `out[i]` with the SHA-256 of the padded blocks `blocks(i)` (the same count for every
/// `i`), two at a time with SHA-NI, in parallel for large levels. `single(i)` hashes one node
/// where no second lane is available.
fn for_each_pair<const B: usize>(
    out: &mut [[u8; 32]],
    blocks: impl Fn(usize) -> [[u8; 64]; B] + Sync,
    single: impl Fn(usize) -> [u8; 32] + Sync,
) {
    if !sha256_ni::available() {
        return for_each_node(out, |i, o| *o = single(i));
    }
    let hash_chunk = |first: usize, chunk: &mut [[u8; 32]]| {
        let last_index = first + chunk.len() - 1;
        let mut pairs = chunk.chunks_exact_mut(2);
        for (p, pair) in (&mut pairs).enumerate() {
            let i = first + 2 * p;
            let (a, b) = (blocks(i), blocks(i + 1));
            let mut states = [H0; 2];
            sha256_ni::compress_x2(&mut states, [&a, &b]);
            pair[0] = state_bytes(&states[0]);
            pair[1] = state_bytes(&states[1]);
        }
        if let [last] = pairs.into_remainder() {
            *last = single(last_index);
        }
    };
    if out.len() < PARALLEL_FROM {
        hash_chunk(0, out);
    } else {
        out.par_chunks_mut(TASK)
            .enumerate()
            .for_each(|(c, chunk)| hash_chunk(c * TASK, chunk));
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

/// The padded block of `0x00 ‖ leaf` (33 bytes).
fn leaf_block(leaf: &[u8; 32]) -> [[u8; 64]; 1] {
    let mut block = [0u8; 64];
    block[1..33].copy_from_slice(leaf);
    block[33] = 0x80;
    block[56..].copy_from_slice(&(33u64 * 8).to_be_bytes());
    [block]
}

/// The two padded blocks of `0x01 ‖ left ‖ right` (65 bytes).
fn node_blocks(left: &[u8; 32], right: &[u8; 32]) -> [[u8; 64]; 2] {
    let mut blocks = [[0u8; 64]; 2];
    blocks[0][0] = 0x01;
    blocks[0][1..33].copy_from_slice(left);
    blocks[0][33..].copy_from_slice(&right[..31]);
    blocks[1][0] = right[31];
    blocks[1][1] = 0x80;
    blocks[1][56..].copy_from_slice(&(65u64 * 8).to_be_bytes());
    blocks
}

/// `SHA-256(0x00 ‖ leaf)` for a 32-byte leaf.
fn leaf_hash32(leaf: &[u8; 32]) -> [u8; 32] {
    let mut state = H0;
    compress256(&mut state, &leaf_block(leaf));
    state_bytes(&state)
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut state = H0;
    compress256(&mut state, &node_blocks(left, right));
    state_bytes(&state)
}

fn state_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-NI pair path and the portable path agree on random blocks of one and two blocks.
    #[test]
    fn sha_ni_pairs_match_the_portable_compression() {
        if !sha256_ni::available() {
            eprintln!("skipped: this CPU has no SHA-NI");
            return;
        }
        let leaves = crate::inputs::digests(64, 3);
        for pair in leaves.chunks_exact(2) {
            let mut states = [H0; 2];
            sha256_ni::compress_x2(&mut states, [&leaf_block(&pair[0]), &leaf_block(&pair[1])]);
            assert_eq!(state_bytes(&states[0]), leaf_hash32(&pair[0]));
            assert_eq!(state_bytes(&states[1]), leaf_hash32(&pair[1]));
            let mut states = [H0; 2];
            let (a, b) = (
                node_blocks(&pair[0], &pair[1]),
                node_blocks(&pair[1], &pair[0]),
            );
            sha256_ni::compress_x2(&mut states, [&a, &b]);
            assert_eq!(state_bytes(&states[0]), node_hash(&pair[0], &pair[1]));
            assert_eq!(state_bytes(&states[1]), node_hash(&pair[1], &pair[0]));
        }
    }
}
