//! The ramjet backends a run measures: the CPU backend first, then every device backend
//! `ramjet_kernels` detects (none with `--no-devices`).

use std::sync::Arc;

use ramjet_accel::{Backend, BackendKind, CpuBackend, DeviceInfo, Op};
use ramjet_kernels::Detection;

use crate::report;

/// One ramjet backend under measurement, with its label in the results.
#[derive(Clone)]
pub struct RamjetBackend {
    backend: Arc<dyn Backend>,
    label: String,
}

impl RamjetBackend {
    /// Wraps `backend`, labelled by [`label`].
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        let label = label(backend.info());
        Self { backend, label }
    }

    /// The backend itself.
    pub fn backend(&self) -> &dyn Backend {
        &*self.backend
    }

    /// What the backend says about its device.
    pub fn info(&self) -> &DeviceInfo {
        self.backend.info()
    }

    /// The contender label: `ramjet cpu`, `ramjet wgpu:... [CPU-emulated]`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether this is a device backend rather than the CPU backend: device contenders may fail
    /// without stopping the run, and may run fewer times.
    pub fn is_device(&self) -> bool {
        self.info().kind != BackendKind::Cpu
    }

    /// Whether the backend implements `op` (a case measures only those that do).
    pub fn supports(&self, op: Op) -> bool {
        self.backend.supports(op)
    }
}

/// The label of the backend described by `info` in the results: `ramjet ` and the name
/// [`report::backend_name`] gives, e.g. `ramjet cpu` or
/// `ramjet wgpu:llvmpipe (LLVM 15.0.6, 256 bits) [CPU-emulated]`.
pub fn label(info: &DeviceInfo) -> String {
    format!("ramjet {}", report::backend_name(&info.id(), info.emulated))
}

/// ramjet's backends for a run: `cpu` first, then `devices` in detection order.
pub fn lineup(
    cpu: Arc<dyn Backend>,
    devices: impl IntoIterator<Item = Arc<dyn Backend>>,
) -> Vec<RamjetBackend> {
    std::iter::once(cpu)
        .chain(devices)
        .map(RamjetBackend::new)
        .collect()
}

/// The CPU backend, shared.
pub fn cpu() -> Arc<dyn Backend> {
    Arc::new(CpuBackend::new())
}

/// The device backends this build can open, and notes on devices that gave none. Finding none is
/// not an error: the run measures the CPU backend alone.
pub fn detect_devices() -> Detection {
    ramjet_kernels::detect_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(kind: BackendKind, device: &str, emulated: bool) -> DeviceInfo {
        DeviceInfo {
            kind,
            device: device.to_owned(),
            memory_bytes: None,
            compute_units: 2,
            emulated,
            features: Vec::new(),
        }
    }

    #[test]
    fn labels_name_the_device_and_mark_emulation() {
        assert_eq!(
            label(&info(BackendKind::Cpu, "AMD EPYC", false)),
            "ramjet cpu"
        );
        assert_eq!(
            label(&info(
                BackendKind::Wgpu,
                "llvmpipe (LLVM 15.0.6, 256 bits)",
                true
            )),
            "ramjet wgpu:llvmpipe (LLVM 15.0.6, 256 bits) [CPU-emulated]"
        );
        assert_eq!(
            label(&info(BackendKind::Wgpu, "NVIDIA GeForce RTX 4090", false)),
            "ramjet wgpu:NVIDIA GeForce RTX 4090"
        );
    }

    #[test]
    fn the_lineup_starts_with_the_cpu_backend() {
        let lineup = lineup(cpu(), []);
        assert_eq!(lineup.len(), 1);
        assert_eq!(lineup[0].label(), "ramjet cpu");
        assert!(!lineup[0].is_device());
        assert!(Op::ALL.into_iter().all(|op| lineup[0].supports(op)));
    }
}
