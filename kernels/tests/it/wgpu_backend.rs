//! The wgpu backend on every adapter found (lavapipe in CI): the conformance kit, and the
//! dispatcher's fallback when the device fails.

use std::sync::{Arc, OnceLock};

use ramjet_accel::conformance::{Config, check_backend};
use ramjet_accel::{Backend, Op};
use ramjet_kernels::wgpu::{WgpuBackend, WgpuOptions, probe};

/// The adapters, opened once for the whole test binary; `None` (after printing why) if there
/// are none.
fn backends() -> Option<&'static [Arc<WgpuBackend>]> {
    static FOUND: OnceLock<Vec<Arc<WgpuBackend>>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let probe = probe(&WgpuOptions::default());
        for note in &probe.notes {
            eprintln!("wgpu: {note}");
        }
        probe.backends
    });
    if found.is_empty() {
        eprintln!("SKIPPED: no wgpu adapter on this machine (see the notes above)");
        return None;
    }
    Some(found)
}

#[test]
fn every_adapter_passes_the_conformance_kit() {
    let Some(backends) = backends() else { return };
    for backend in backends {
        let report = check_backend(&**backend, &Config::default());
        eprintln!("{report}");
        report.assert_passed();
        for op in [Op::MerkleSha256, Op::MerklePoseidon, Op::Ntt] {
            assert!(
                !report.skipped.iter().any(|(o, _)| *o == op),
                "{op} was skipped on {}",
                backend.info().id()
            );
        }
    }
}

#[test]
fn cpu_adapters_are_marked_emulated() {
    let Some(backends) = backends() else { return };
    for backend in backends {
        let cpu_type = backend.adapter_info().device_type == wgpu::DeviceType::Cpu;
        assert_eq!(backend.info().emulated, cpu_type, "{}", backend.info().id());
    }
}
