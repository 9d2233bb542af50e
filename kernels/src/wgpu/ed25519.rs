//! Ed25519 verification on the device (`wgsl/ed25519.wgsl`, with `field25519.wgsl` and
//! `sha512.wgsl`): per signature, `challenge` checks S and computes k, `decode` decompresses R and
//! A (one point per dispatch), `ladder` runs the double-scalar multiplication eight bits per
//! dispatch, `finish` the cofactored check, writing the verdict. The work is cut so finely
//! because lavapipe stops an invocation's loops after 65,535 iterations (see
//! `wgsl/ed25519.wgsl`); a message longer than [`MAX_MESSAGE_BYTES`] is left to the CPU for
//! the same reason.
//!
//! A batch is cut into chunks so that every buffer of a chunk fits the device's largest binding
//! (and a share of the memory budget, if one is set) and one submission never holds more than
//! [`MAX_ITEMS_PER_SUBMISSION`] signatures. Each chunk is one upload of its items, one of its
//! messages, one of its offsets, 36 dispatches and one read-back of its verdicts.

use std::ops::Range;

use ramjet_accel::{Result, SigBatch, Verdicts};

use super::gpu::{self, Binding, Gpu};
use super::pool::Slot;

const SOURCE: &str = concat!(
    include_str!("../../wgsl/field25519.wgsl"),
    include_str!("../../wgsl/sha512.wgsl"),
    include_str!("../../wgsl/ed25519.wgsl")
);

/// Bytes of one item on the device: R, A, S (32 bytes each).
const ITEM_BYTES: u64 = 96;
/// Bytes of one item's intermediate results between the entry points (`SCRATCH_WORDS`).
const SCRATCH_BYTES: u64 = 208 * 4;
/// Scalar bits per `ladder` dispatch: about 4,500 loop iterations each, so a step stays far
/// below llvmpipe's cap of 65,535 loop iterations per invocation (see `wgsl/ed25519.wgsl`).
const LADDER_BITS: u32 = 8;
/// Bits of the scalars the ladder runs over (s < ℓ < 2^253, k < ℓ).
const SCALAR_BITS: u32 = 253;
/// Zero bytes after a chunk's messages: the kernel reads whole words, up to one past the end.
const MESSAGE_PAD: u64 = 4;
/// Most signatures in one submission. A submission runs to the end once started: this bounds how
/// long one holds the device (GPU watchdogs, and lavapipe's CPU threads).
pub(super) const MAX_ITEMS_PER_SUBMISSION: usize = 1 << 14;

/// Longest message the kernel hashes: SHA-512 runs about 100 loop iterations per 128-byte block,
/// and llvmpipe stops an invocation after 65,535 in all (see `wgsl/ed25519.wgsl`), so 32 KiB
/// (about 26,000, with the 12,000 of the reduction mod ℓ) keeps a wide margin.
pub(super) const MAX_MESSAGE_BYTES: usize = 32 << 10;

pub(super) fn verify(gpu: &Gpu, batch: &SigBatch) -> Result<Verdicts> {
    let offsets = batch.message_offsets();
    if let Some(longest) = offsets.windows(2).map(|w| w[1] - w[0]).max()
        && longest > MAX_MESSAGE_BYTES
    {
        // Answered as a message too big for the device: the dispatcher redoes it on the CPU.
        return Err(gpu.out_of_memory(longest as u64));
    }
    let mut verdicts = Vec::with_capacity(batch.len());
    for chunk in chunks(gpu, batch)? {
        verdicts.extend(verify_chunk(gpu, batch, chunk)?);
    }
    Ok(Verdicts(verdicts))
}

/// Most bytes one buffer of a chunk may take: the device's binding limit, and an eighth of the
/// memory budget (a chunk holds two such buffers and a few small ones, each rounded up to a
/// power of two), as a power of two.
fn chunk_bytes(gpu: &Gpu) -> u64 {
    let (max_buffer, budget) = gpu.buffer_limits();
    let limit = budget.map_or(max_buffer, |b| max_buffer.min(b / 8)).max(1);
    1 << (63 - limit.leading_zeros())
}

/// Consecutive item ranges covering the batch, each within [`chunk_bytes`] and
/// [`MAX_ITEMS_PER_SUBMISSION`]; out of memory if one message alone does not fit.
fn chunks(gpu: &Gpu, batch: &SigBatch) -> Result<Vec<Range<usize>>> {
    let limit = chunk_bytes(gpu);
    let max_items = MAX_ITEMS_PER_SUBMISSION.min((limit / SCRATCH_BYTES) as usize);
    let offsets = batch.message_offsets();
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < batch.len() {
        let mut end = start;
        while end < batch.len()
            && end - start < max_items
            && (offsets[end + 1] - offsets[start]) as u64 + MESSAGE_PAD <= limit
        {
            end += 1;
        }
        if end == start {
            let needed = (offsets[start + 1] - offsets[start]) as u64 + MESSAGE_PAD;
            return Err(gpu.out_of_memory(needed.max(ITEM_BYTES)));
        }
        ranges.push(start..end);
        start = end;
    }
    Ok(ranges)
}

/// The device layout of `items` of `batch`: items (R ‖ A ‖ S each), the messages with their
/// padding, and the offsets relative to the first message.
fn pack(batch: &SigBatch, items: Range<usize>) -> (Vec<u8>, Vec<u8>, Vec<u32>) {
    let mut packed = Vec::with_capacity(items.len() * ITEM_BYTES as usize);
    for i in items.clone() {
        let signature = batch.signature(i);
        packed.extend_from_slice(&signature[..32]);
        packed.extend_from_slice(batch.key(i));
        packed.extend_from_slice(&signature[32..]);
    }
    let offsets = batch.message_offsets();
    let (first, last) = (offsets[items.start], offsets[items.end]);
    let mut messages = Vec::with_capacity(last - first + MESSAGE_PAD as usize);
    messages.extend_from_slice(&batch.message_bytes()[first..last]);
    messages.resize(last - first + MESSAGE_PAD as usize, 0);
    // Within the chunk limit (at most the device's binding size), so below 2^32.
    let relative = offsets[items.start..=items.end]
        .iter()
        .map(|&o| (o - first) as u32)
        .collect();
    (packed, messages, relative)
}

fn verify_chunk(gpu: &Gpu, batch: &SigBatch, items: Range<usize>) -> Result<Vec<bool>> {
    let count = items.len();
    let (packed, messages, offsets) = pack(batch, items);
    let mut call = gpu.begin()?;
    let kernel = gpu.kernel(
        &mut call.state,
        "ed25519",
        SOURCE,
        &[
            Binding::StorageRw,
            Binding::StorageRead,
            Binding::StorageRead,
            Binding::StorageRead,
            Binding::StorageRw,
            Binding::Params,
        ],
        &["challenge", "decode", "ladder", "finish"],
    )?;
    let verdict_bytes = 4 * count as u64;
    let verdicts = gpu.buffer(
        &mut call.state,
        Slot::Verdicts,
        verdict_bytes,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
    )?;
    let scratch = gpu.buffer(
        &mut call.state,
        Slot::SigScratch,
        SCRATCH_BYTES * count as u64,
        wgpu::BufferUsages::STORAGE,
    )?;
    let items_buffer = gpu.storage_with(&mut call.state, Slot::SigItems, &packed)?;
    let messages_buffer = gpu.storage_with(&mut call.state, Slot::Messages, &messages)?;
    let offsets_buffer = gpu.storage_with(
        &mut call.state,
        Slot::MessageOffsets,
        bytemuck::cast_slice(&offsets),
    )?;
    // One parameter set per dispatch: the challenge, R's and A's decompression, the ladder's
    // steps from the top bit down, the final check.
    let n = count as u32;
    let mut steps: Vec<(&str, [u32; 8])> = vec![
        ("challenge", [n, 0, 0, 0, 0, 0, 0, 0]),
        ("decode", [n, 0, 0, 0, 0, 0, 0, 0]),
        ("decode", [n, 1, 0, 0, 0, 0, 0, 0]),
    ];
    let mut high = SCALAR_BITS;
    while high > 0 {
        let low = high.saturating_sub(LADDER_BITS);
        steps.push(("ladder", [n, high, low, 0, 0, 0, 0, 0]));
        high = low;
    }
    steps.push(("finish", [n, 0, 0, 0, 0, 0, 0, 0]));
    let sets: Vec<[u32; 8]> = steps.iter().map(|(_, p)| *p).collect();
    let (params, stride) = gpu.params_buffer(&mut call.state, &sets)?;
    let bind_group = gpu::bind_group(
        &gpu.device,
        &kernel,
        &[
            &verdicts,
            &items_buffer,
            &messages_buffer,
            &offsets_buffer,
            &scratch,
        ],
        &params,
    );
    let bytes = call.run(&verdicts, 0, verdict_bytes, |encoder| {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        for (index, (entry, _)) in steps.iter().enumerate() {
            let pipeline = kernel.pipeline(entry);
            gpu::dispatch(&mut pass, pipeline, &bind_group, stride, index, n);
        }
    })?;
    bytes
        .chunks_exact(4)
        .map(
            |word| match u32::from_le_bytes(word.try_into().expect("4-byte word")) {
                0 => Ok(false),
                1 => Ok(true),
                other => Err(gpu.device_error(format!("Ed25519 kernel wrote verdict {other}"))),
            },
        )
        .collect()
}
