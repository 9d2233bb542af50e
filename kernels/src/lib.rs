//! GPU backends for ramjet's accelerator.
//!
//! Each backend implements [`ramjet_accel::Backend`] and passes the conformance kit
//! (`ramjet_accel::conformance`) on every device it can open; [`detect`] returns one per usable
//! device, ready to hand to an [`ramjet_accel::Accelerator`].
//!
//! - [`wgpu`] (feature `wgpu`, on by default): WGSL compute shaders (`kernels/wgsl/`) through
//!   wgpu, on Vulkan, Metal and DX12 GPUs and on Mesa's lavapipe, which runs Vulkan on the CPU so
//!   that machines without a GPU still run the kernels for real. It implements `ed25519_verify`,
//!   `merkle_sha256`, `merkle_poseidon`, `msm_g1` (bases resident on the device if asked) and
//!   `ntt`.
//!
//! See `docs/kernels.md` for the data layout on the device, the field arithmetic and how to run
//! the kernels on a real GPU.

use std::sync::Arc;

use ramjet_accel::Backend;

#[cfg(feature = "wgpu")]
pub mod wgpu;

/// What [`detect_all`] found: backends, and in words why some devices gave none.
#[derive(Default)]
pub struct Detection {
    /// One backend per usable device.
    pub backends: Vec<Arc<dyn Backend>>,
    /// Devices skipped, or why none were found.
    pub notes: Vec<String>,
}

/// Every GPU backend this build can open, one per usable device, with notes on the rest.
pub fn detect_all() -> Detection {
    #[allow(unused_mut)]
    let mut found = Detection::default();
    #[cfg(feature = "wgpu")]
    {
        let probe = wgpu::probe(&wgpu::WgpuOptions::default());
        found
            .backends
            .extend(probe.backends.into_iter().map(|b| b as Arc<dyn Backend>));
        found.notes.extend(probe.notes);
    }
    #[cfg(not(feature = "wgpu"))]
    found
        .notes
        .push("built without GPU backends (feature `wgpu` off)".to_owned());
    found
}

/// Every GPU backend this build can open, one per usable device; what was skipped is logged.
pub fn detect() -> Vec<Arc<dyn Backend>> {
    let found = detect_all();
    for note in &found.notes {
        tracing::info!("{note}");
    }
    found.backends
}
