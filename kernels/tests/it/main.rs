//! Integration tests of the GPU backends. Tests that need a device print why they were skipped
//! when there is none.

#[cfg(feature = "wgpu")]
mod wgpu_backend;
#[cfg(feature = "wgpu")]
mod wgpu_ed25519;
#[cfg(feature = "wgpu")]
mod wgpu_msm;
