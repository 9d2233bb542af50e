//! Merkle trees on the device: SHA-256 (RFC 6962) and Poseidon.
//!
//! The tree is one buffer holding every level, leaves' level first. The leaves are uploaded once;
//! one command buffer holds a dispatch per level (`wgsl/sha256_merkle.wgsl`,
//! `wgsl/poseidon_merkle.wgsl`) and the copy of the tree into the read-back buffer; it is
//! submitted once.

use ark_bn254::Fr;
use ark_ff::Zero;
use ramjet_accel::{MerkleLeaves, MerkleTree, Result};

use super::field::{self, FR_BYTES};
use super::gpu::{self, Binding, Gpu};
use super::pool::Slot;

const SHA256_SOURCE: &str = include_str!("../../wgsl/sha256_merkle.wgsl");
const POSEIDON_SOURCE: &str = concat!(
    include_str!("../../wgsl/limbs.wgsl"),
    include_str!("../../wgsl/fr.wgsl"),
    include_str!("../../wgsl/poseidon_merkle.wgsl")
);

/// SHA-256 of no bytes: the root of the empty tree.
const EMPTY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

const DIGEST_BYTES: usize = 32;

/// Where each level of a tree over `n >= 1` leaves sits in the tree buffer, in nodes.
struct Levels {
    lens: Vec<usize>,
    offsets: Vec<usize>,
}

impl Levels {
    fn new(n: usize) -> Self {
        let mut lens = vec![n];
        while *lens.last().expect("non-empty") > 1 {
            lens.push(lens.last().expect("non-empty").div_ceil(2));
        }
        let offsets = lens
            .iter()
            .scan(0, |at, len| {
                let here = *at;
                *at += len;
                Some(here)
            })
            .collect();
        Self { lens, offsets }
    }

    /// The levels of a tree of `n` nodes of `node_bytes` each, and its size in bytes; too many
    /// nodes for the kernels' 32-bit word indices is out of device memory.
    fn on_device(gpu: &Gpu, n: usize, node_bytes: usize) -> Result<(Self, u64)> {
        let levels = Self::new(n);
        let bytes = (levels.total() * node_bytes) as u64;
        if levels.total() > MAX_NODES {
            return Err(gpu.out_of_memory(bytes));
        }
        Ok((levels, bytes))
    }

    fn total(&self) -> usize {
        self.lens.iter().sum()
    }

    /// Parameters of the dispatch writing `level` (>= 1) from the level below.
    fn params(&self, level: usize) -> [u32; 8] {
        let (b, o) = (level - 1, level);
        [
            self.offsets[b] as u32,
            self.lens[b] as u32,
            self.offsets[o] as u32,
            self.lens[o] as u32,
            0,
            0,
            0,
            0,
        ]
    }

    /// Splits nodes read back (levels `first..` in order) into levels.
    fn split<T: Clone>(&self, first: usize, nodes: &[T]) -> Vec<Vec<T>> {
        let base = self.offsets[first];
        (first..self.lens.len())
            .map(|l| nodes[self.offsets[l] - base..self.offsets[l] - base + self.lens[l]].to_vec())
            .collect()
    }
}

/// Largest tree, in nodes, whose indices fit the kernels' 32-bit word addressing.
const MAX_NODES: usize = (u32::MAX as usize) / 8;

pub(super) fn sha256(gpu: &Gpu, leaves: MerkleLeaves<'_>) -> Result<MerkleTree<[u8; 32]>> {
    let n = leaves.len();
    if n == 0 {
        return Ok(MerkleTree {
            levels: vec![vec![EMPTY_SHA256]],
        });
    }
    let (levels, tree_bytes) = Levels::on_device(gpu, n, DIGEST_BYTES)?;
    let mut call = gpu.begin()?;
    let kernel = gpu.kernel(
        &mut call.state,
        "sha256_merkle",
        SHA256_SOURCE,
        &[
            Binding::StorageRw,
            Binding::StorageRead,
            Binding::StorageRead,
            Binding::Params,
        ],
        &["leaf_digests", "leaf_bytes", "node"],
    )?;
    let tree = gpu.buffer(
        &mut call.state,
        Slot::Tree,
        tree_bytes,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
    )?;
    // Leaves go up once. Packed leaves bring their offsets; 32-byte leaves need none and bind the
    // leaves buffer in the offsets' place.
    let (leaf_entry, leaves_buffer, offsets_buffer) = match leaves {
        MerkleLeaves::Digests(digests) => {
            let b = gpu.storage_with(&mut call.state, Slot::Leaves, digests.as_flattened())?;
            ("leaf_digests", b.clone(), b)
        }
        MerkleLeaves::Bytes(packed) => {
            let data = packed.data();
            let offsets: Option<Vec<u32>> = packed
                .offsets()
                .iter()
                .map(|&o| u32::try_from(o).ok())
                .collect();
            let Some(offsets) = offsets else {
                return Err(gpu.out_of_memory(data.len() as u64));
            };
            let l = gpu.storage_with(&mut call.state, Slot::Leaves, data)?;
            let o = gpu.storage_with(
                &mut call.state,
                Slot::Offsets,
                bytemuck::cast_slice(&offsets),
            )?;
            ("leaf_bytes", l, o)
        }
    };
    let mut params = vec![[0, n as u32, 0, n as u32, 0, 0, 0, 0]];
    params.extend((1..levels.lens.len()).map(|l| levels.params(l)));
    let (params_buffer, stride) = gpu.params_buffer(&mut call.state, &params)?;
    let bind_group = gpu::bind_group(
        &gpu.device,
        &kernel,
        &[&tree, &leaves_buffer, &offsets_buffer],
        &params_buffer,
    );
    let bytes = call.run(&tree, 0, tree_bytes, |encoder| {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        let leaf = kernel.pipeline(leaf_entry);
        gpu::dispatch(&mut pass, leaf, &bind_group, stride, 0, n as u32);
        let node = kernel.pipeline("node");
        for l in 1..levels.lens.len() {
            gpu::dispatch(
                &mut pass,
                node,
                &bind_group,
                stride,
                l,
                levels.lens[l] as u32,
            );
        }
    })?;
    let nodes: Vec<[u8; 32]> = bytes
        .chunks_exact(DIGEST_BYTES)
        .map(|d| d.try_into().expect("32-byte digest"))
        .collect();
    Ok(MerkleTree {
        levels: levels.split(0, &nodes),
    })
}

pub(super) fn poseidon(gpu: &Gpu, leaves: &[Fr]) -> Result<MerkleTree<Fr>> {
    let n = leaves.len();
    if n == 0 {
        return Ok(MerkleTree {
            levels: vec![vec![Fr::zero()]],
        });
    }
    if n == 1 {
        return Ok(MerkleTree {
            levels: vec![leaves.to_vec()],
        });
    }
    let (levels, tree_bytes) = Levels::on_device(gpu, n, FR_BYTES)?;
    let mut call = gpu.begin()?;
    let kernel = gpu.kernel(
        &mut call.state,
        "poseidon_merkle",
        POSEIDON_SOURCE,
        &[Binding::StorageRw, Binding::StorageRead, Binding::Params],
        &["node"],
    )?;
    let constants = poseidon_constants(gpu, &mut call.state)?;
    let tree = gpu.buffer(
        &mut call.state,
        Slot::Tree,
        tree_bytes,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
    )?;
    // The leaves are the tree's first level: uploaded straight into it.
    gpu.upload(&tree, &field::to_device(leaves));
    let params: Vec<_> = (1..levels.lens.len()).map(|l| levels.params(l)).collect();
    let (params_buffer, stride) = gpu.params_buffer(&mut call.state, &params)?;
    let bind_group = gpu::bind_group(&gpu.device, &kernel, &[&tree, &constants], &params_buffer);
    // The leaves are known: read back from level 1 on.
    let from = (n * FR_BYTES) as u64;
    let bytes = call.run(&tree, from, tree_bytes - from, |encoder| {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        let node = kernel.pipeline("node");
        for l in 1..levels.lens.len() {
            gpu::dispatch(
                &mut pass,
                node,
                &bind_group,
                stride,
                l - 1,
                levels.lens[l] as u32,
            );
        }
    })?;
    let nodes = field::from_device(&bytes)
        .ok_or_else(|| gpu.device_error("Poseidon kernel returned an unreduced element"))?;
    let mut tree_levels = vec![leaves.to_vec()];
    tree_levels.extend(levels.split(1, &nodes));
    Ok(MerkleTree {
        levels: tree_levels,
    })
}

/// Full and partial rounds of circomlib's Poseidon with t = 3, as `poseidon_merkle.wgsl` has them.
const FULL_ROUNDS: usize = 8;
const PARTIAL_ROUNDS: usize = 57;
const WIDTH: usize = 3;
/// Round constants, then the MDS matrix.
const CONSTANTS: usize = WIDTH * (FULL_ROUNDS + PARTIAL_ROUNDS) + WIDTH * WIDTH;

/// The Poseidon round constants and MDS matrix on the device, uploaded on first use.
fn poseidon_constants(gpu: &Gpu, state: &mut gpu::State) -> Result<wgpu::Buffer> {
    let buffer = gpu.buffer(
        state,
        Slot::PoseidonConstants,
        (CONSTANTS * FR_BYTES) as u64,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
    )?;
    if !state.poseidon_loaded {
        let params = light_poseidon::parameters::bn254_x5::get_poseidon_parameters::<Fr>(3)
            .map_err(|e| gpu.device_error(format!("Poseidon parameters: {e}")))?;
        if (
            params.width,
            params.full_rounds,
            params.partial_rounds,
            params.alpha,
        ) != (WIDTH, FULL_ROUNDS, PARTIAL_ROUNDS, 5)
        {
            return Err(gpu.device_error("Poseidon parameters differ from the kernel's"));
        }
        let mut constants = params.ark.clone();
        constants.extend(params.mds.iter().flatten());
        debug_assert_eq!(constants.len(), CONSTANTS);
        gpu.upload(&buffer, &field::to_device(&constants));
        state.poseidon_loaded = true;
    }
    Ok(buffer)
}
