//! Device buffers kept from call to call, one per role, grown when a call needs more.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a pooled buffer is for. Each role holds at most one buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Slot {
    /// Every level of a Merkle tree.
    Tree,
    /// Merkle leaves as uploaded (32-byte digests or packed byte strings).
    Leaves,
    /// Byte offsets of packed Merkle leaves.
    Offsets,
    /// NTT values.
    Values,
    /// NTT scale factor and coset power tables.
    Scale,
    /// Per-dispatch parameters.
    Params,
    /// Mapped buffer results are read back through.
    Readback,
    /// Powers of the NTT's root of unity (kept: see `State::twiddles_log`).
    TwiddlesForward,
    /// Powers of the inverse root of unity.
    TwiddlesInverse,
    /// Poseidon round constants and MDS matrix (kept: see `State::poseidon_loaded`).
    PoseidonConstants,
    /// MSM bases uploaded for one call (resident bases have buffers of their own).
    MsmBases,
    /// MSM scalars.
    MsmScalars,
    /// MSM digit entries and the entries sorted by bucket.
    MsmEntries,
    /// MSM bucket counts, run starts and write cursors.
    MsmCounters,
    /// MSM buckets, partial sums and the result.
    MsmPoints,
    /// Ed25519 items: R, A and S of each signature.
    SigItems,
    /// Ed25519 messages, concatenated.
    Messages,
    /// Byte offsets of the Ed25519 messages.
    MessageOffsets,
    /// One Ed25519 verdict per item.
    Verdicts,
    /// Ed25519 intermediate results (points, challenge) between the kernel's two entry points.
    SigScratch,
}

/// The pool. A buffer is replaced by a larger one (the next power of two) when a call needs more
/// than it holds; it never shrinks.
pub(super) struct BufferPool {
    buffers: HashMap<Slot, wgpu::Buffer>,
    /// Largest buffer the device can bind.
    max_buffer: u64,
    /// Most bytes the pool may hold in all, when the operator set a budget.
    budget: Option<u64>,
    /// Bytes held outside the pool, in buffers that outlive calls (resident MSM bases); they
    /// count against the budget. Each such buffer's owner subtracts its size when it frees it.
    resident: Arc<AtomicU64>,
}

impl BufferPool {
    pub(super) fn new(max_buffer: u64, budget: Option<u64>) -> Self {
        Self {
            buffers: HashMap::new(),
            max_buffer,
            budget,
            resident: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Largest buffer the device can bind.
    pub(super) fn max_buffer(&self) -> u64 {
        self.max_buffer
    }

    /// Most bytes the pool may hold in all, if the operator set a budget.
    pub(super) fn budget(&self) -> Option<u64> {
        self.budget
    }

    /// Bytes held by the pool and by resident buffers.
    pub(super) fn held(&self) -> u64 {
        self.buffers.values().map(wgpu::Buffer::size).sum::<u64>()
            + self.resident.load(Ordering::Relaxed)
    }

    /// A buffer of `bytes` bytes outside the pool, kept until its owner frees it, or `Err(bytes)`
    /// as for [`BufferPool::get`]. Returns the counter of resident bytes, from which the owner
    /// subtracts the buffer's size when it destroys the buffer.
    pub(super) fn resident(
        &mut self,
        device: &wgpu::Device,
        label: &'static str,
        bytes: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<(wgpu::Buffer, Arc<AtomicU64>), u64> {
        let bytes = bytes.max(4).next_multiple_of(4);
        if bytes > self.max_buffer || self.budget.is_some_and(|b| self.held() + bytes > b) {
            return Err(bytes);
        }
        let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage,
            mapped_at_creation: false,
        });
        if pollster::block_on(scope.pop()).is_some() {
            return Err(bytes);
        }
        self.resident.fetch_add(bytes, Ordering::Relaxed);
        Ok((buffer, Arc::clone(&self.resident)))
    }

    /// A buffer of at least `bytes` bytes for `slot`, or `Err(bytes)` when the device cannot hold
    /// it (over its binding limit, over the memory budget, or an allocation failure).
    pub(super) fn get(
        &mut self,
        device: &wgpu::Device,
        slot: Slot,
        bytes: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer, u64> {
        let bytes = bytes.max(4).next_multiple_of(4);
        if let Some(b) = self.buffers.get(&slot)
            && b.size() >= bytes
            && b.usage() == usage
        {
            return Ok(b.clone());
        }
        if bytes > self.max_buffer {
            return Err(bytes);
        }
        let size = bytes
            .next_power_of_two()
            .clamp(256, self.max_buffer.max(bytes));
        let others = self.held() - self.buffers.get(&slot).map_or(0, wgpu::Buffer::size);
        if self.budget.is_some_and(|budget| others + size > budget) {
            return Err(bytes);
        }
        // Free the old buffer before allocating its replacement.
        if let Some(old) = self.buffers.remove(&slot) {
            old.destroy();
        }
        let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(slot_label(slot)),
            size,
            usage,
            mapped_at_creation: false,
        });
        if pollster::block_on(scope.pop()).is_some() {
            return Err(bytes);
        }
        self.buffers.insert(slot, buffer.clone());
        Ok(buffer)
    }
}

fn slot_label(slot: Slot) -> &'static str {
    match slot {
        Slot::Tree => "tree",
        Slot::Leaves => "leaves",
        Slot::Offsets => "offsets",
        Slot::Values => "values",
        Slot::Scale => "scale",
        Slot::Params => "params",
        Slot::Readback => "readback",
        Slot::TwiddlesForward => "twiddles-forward",
        Slot::TwiddlesInverse => "twiddles-inverse",
        Slot::PoseidonConstants => "poseidon-constants",
        Slot::MsmBases => "msm-bases",
        Slot::MsmScalars => "msm-scalars",
        Slot::MsmEntries => "msm-entries",
        Slot::MsmCounters => "msm-counters",
        Slot::MsmPoints => "msm-points",
        Slot::SigItems => "sig-items",
        Slot::Messages => "messages",
        Slot::MessageOffsets => "message-offsets",
        Slot::Verdicts => "verdicts",
        Slot::SigScratch => "sig-scratch",
    }
}
