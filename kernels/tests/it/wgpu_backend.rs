//! The wgpu backend on every adapter found (lavapipe in CI): the conformance kit, and the
//! dispatcher's fallback when the device fails. The MSM's own tests are in `wgpu_msm.rs`.

use std::sync::{Arc, OnceLock};

use ramjet_accel::conformance::{Config, check_backend, skip};
use ramjet_accel::curve::Fr;
use ramjet_accel::{
    AccelError, Accelerator, Backend, MerkleLeaves, NttDirection, Op, TransferStats, inputs,
    reference,
};
use ramjet_kernels::wgpu::{WgpuBackend, WgpuOptions, probe};

/// The adapters, opened once for the whole test binary; `None` (after recording the skip of
/// `test` and why) if there are none.
pub(crate) fn backends(test: &str) -> Option<&'static [Arc<WgpuBackend>]> {
    static FOUND: OnceLock<(Vec<Arc<WgpuBackend>>, Vec<String>)> = OnceLock::new();
    let (found, notes) = FOUND.get_or_init(|| {
        let probe = probe(&WgpuOptions::default());
        (probe.backends, probe.notes)
    });
    if found.is_empty() {
        skip(test, &format!("no wgpu adapter: {}", notes.join("; ")));
        return None;
    }
    Some(found)
}

#[test]
fn every_adapter_passes_the_conformance_kit() {
    let Some(backends) = backends("every_adapter_passes_the_conformance_kit") else {
        return;
    };
    for backend in backends {
        let report = check_backend(&**backend, &Config::default());
        eprintln!("{report}");
        report.assert_passed();
        for op in [
            Op::Ed25519Verify,
            Op::MerkleSha256,
            Op::MerklePoseidon,
            Op::MsmG1,
            Op::Ntt,
        ] {
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
    let Some(backends) = backends("cpu_adapters_are_marked_emulated") else {
        return;
    };
    for backend in backends {
        let cpu_type = backend.adapter_info().device_type == wgpu::DeviceType::Cpu;
        assert_eq!(backend.info().emulated, cpu_type, "{}", backend.info().id());
    }
}

/// A backend of its own for a test that changes or counts its state, or `None` (after recording
/// the skip of `test` and why) when there is no adapter.
pub(crate) fn fresh_backend(test: &str, options: &WgpuOptions) -> Option<Arc<WgpuBackend>> {
    let probe = probe(options);
    if probe.backends.is_empty() {
        skip(
            test,
            &format!("no wgpu adapter: {}", probe.notes.join("; ")),
        );
    }
    probe.backends.into_iter().next()
}

pub(crate) fn forced_to(
    backend: &Arc<WgpuBackend>,
    registry: &prometheus::Registry,
) -> Accelerator {
    Accelerator::builder()
        .device(backend.clone())
        .force(backend.info().id())
        .metrics_registry(registry)
        .build()
        .unwrap()
}

#[test]
fn a_lost_device_gives_a_typed_error_and_the_dispatcher_falls_back_to_the_cpu() {
    let Some(backend) = fresh_backend(
        "a_lost_device_gives_a_typed_error_and_the_dispatcher_falls_back_to_the_cpu",
        &WgpuOptions::default(),
    ) else {
        return;
    };
    let registry = prometheus::Registry::new();
    let accel = forced_to(&backend, &registry);
    let id = backend.info().id();
    let leaves = inputs::digests(1000, 7);
    let expected = reference::merkle_sha256(MerkleLeaves::Digests(&leaves));

    assert_eq!(
        accel.merkle_sha256(MerkleLeaves::Digests(&leaves)).unwrap(),
        expected
    );
    assert_eq!(accel.metrics().calls_of(&id, Op::MerkleSha256), 1);

    backend.simulate_device_loss();
    let direct = backend.merkle_sha256(MerkleLeaves::Digests(&leaves));
    assert!(
        matches!(direct, Err(AccelError::DeviceLost { .. })),
        "{direct:?}"
    );
    // Through the dispatcher: the right answer, from the CPU, and the device marked degraded.
    assert_eq!(
        accel.merkle_sha256(MerkleLeaves::Digests(&leaves)).unwrap(),
        expected
    );
    assert_eq!(accel.metrics().fallbacks_of(&id, Op::MerkleSha256), 1);
    assert_eq!(accel.metrics().calls_of(&id, Op::MerkleSha256), 1);
    let status = accel.backends();
    assert!(status.iter().any(|s| s.info.id() == id && s.degraded));
    // The NTT, too, now fails typed rather than panicking.
    let mut values = inputs::scalars(8, 1);
    let ntt = backend.ntt(&mut values, NttDirection::Forward, None);
    assert!(matches!(ntt, Err(AccelError::DeviceLost { .. })), "{ntt:?}");
}

#[test]
fn running_out_of_device_memory_gives_a_typed_error_and_the_dispatcher_falls_back() {
    let options = WgpuOptions {
        memory_budget: Some(64 << 10),
        ..WgpuOptions::default()
    };
    let Some(backend) = fresh_backend(
        "running_out_of_device_memory_gives_a_typed_error_and_the_dispatcher_falls_back",
        &options,
    ) else {
        return;
    };
    let registry = prometheus::Registry::new();
    let accel = forced_to(&backend, &registry);
    let id = backend.info().id();

    // A small tree fits in the budget and runs on the device.
    let small = inputs::digests(100, 3);
    let tree = accel.merkle_sha256(MerkleLeaves::Digests(&small)).unwrap();
    assert_eq!(
        tree,
        reference::merkle_sha256(MerkleLeaves::Digests(&small))
    );
    assert_eq!(accel.metrics().calls_of(&id, Op::MerkleSha256), 1);

    // 2^14 leaves need a 1 MiB tree: over the budget.
    let large = inputs::digests(1 << 14, 4);
    let direct = backend.merkle_sha256(MerkleLeaves::Digests(&large));
    assert!(
        matches!(direct, Err(AccelError::DeviceOutOfMemory { .. })),
        "{direct:?}"
    );
    assert!(backend.memory_held() <= 64 << 10);
    let tree = accel.merkle_sha256(MerkleLeaves::Digests(&large)).unwrap();
    assert_eq!(
        tree,
        reference::merkle_sha256(MerkleLeaves::Digests(&large))
    );
    assert_eq!(accel.metrics().fallbacks_of(&id, Op::MerkleSha256), 1);

    // Same for the NTT.
    let mut values = inputs::scalars(1 << 12, 5);
    let direct = backend.ntt(&mut values, NttDirection::Forward, None);
    assert!(
        matches!(direct, Err(AccelError::DeviceOutOfMemory { .. })),
        "{direct:?}"
    );
}

#[test]
fn leaves_go_up_once_results_come_back_once_and_buffers_are_reused() {
    let Some(backend) = fresh_backend(
        "leaves_go_up_once_results_come_back_once_and_buffers_are_reused",
        &WgpuOptions::default(),
    ) else {
        return;
    };
    let leaves = inputs::digests(1000, 9);
    let tree_nodes: u64 = reference::merkle_sha256(MerkleLeaves::Digests(&leaves))
        .levels
        .iter()
        .map(|l| l.len() as u64)
        .sum();
    let mut held = Vec::new();
    for _ in 0..3 {
        let before = backend.transfers();
        backend
            .merkle_sha256(MerkleLeaves::Digests(&leaves))
            .unwrap();
        let delta = backend.transfers().since(&before);
        assert_eq!(
            delta,
            TransferStats {
                uploads: 1,
                upload_bytes: 32 * 1000,
                readbacks: 1,
                readback_bytes: 32 * tree_nodes,
            }
        );
        held.push(backend.memory_held());
    }
    assert!(held[0] > 0);
    assert!(held.iter().all(|&h| h == held[0]), "{held:?}");

    // The NTT uploads its twiddles on first use only: afterwards, the values alone (and the
    // scale table of an inverse transform).
    let mut values = inputs::scalars(1 << 10, 2);
    backend
        .ntt(&mut values, NttDirection::Forward, None)
        .unwrap();
    let before = backend.transfers();
    backend
        .ntt(&mut values, NttDirection::Forward, None)
        .unwrap();
    let delta = backend.transfers().since(&before);
    assert_eq!((delta.uploads, delta.upload_bytes), (1, 32 << 10));
    assert_eq!((delta.readbacks, delta.readback_bytes), (1, 32 << 10));

    // Poseidon: the constants go up once; each tree uploads its leaves and reads back the levels
    // above them.
    let leaves = inputs::scalars(100, 4);
    backend.merkle_poseidon(&leaves).unwrap();
    let before = backend.transfers();
    let tree = backend.merkle_poseidon(&leaves).unwrap();
    let above: u64 = tree.levels[1..].iter().map(|l| l.len() as u64).sum();
    let delta = backend.transfers().since(&before);
    assert_eq!(
        delta,
        TransferStats {
            uploads: 1,
            upload_bytes: 32 * 100,
            readbacks: 1,
            readback_bytes: 32 * above,
        }
    );
}

#[test]
fn the_dispatcher_exports_the_transfers_as_metrics() {
    let Some(backend) = fresh_backend(
        "the_dispatcher_exports_the_transfers_as_metrics",
        &WgpuOptions::default(),
    ) else {
        return;
    };
    let registry = prometheus::Registry::new();
    let accel = forced_to(&backend, &registry);
    let mut values = inputs::scalars(256, 8);
    accel
        .ntt(&mut values, NttDirection::Inverse, Some(Fr::from(5u64)))
        .unwrap();
    accel.merkle_poseidon(&inputs::scalars(64, 1)).unwrap();
    let id = backend.info().id();
    let t = backend.transfers();
    let m = accel.metrics();
    assert!(t.uploads >= 2 && t.readbacks == 2, "{t:?}");
    assert_eq!(m.uploads.with_label_values(&[id.as_str()]).get(), t.uploads);
    assert_eq!(
        m.upload_bytes.with_label_values(&[id.as_str()]).get(),
        t.upload_bytes
    );
    assert_eq!(
        m.readbacks.with_label_values(&[id.as_str()]).get(),
        t.readbacks
    );
    assert_eq!(
        m.readback_bytes.with_label_values(&[id.as_str()]).get(),
        t.readback_bytes
    );
}

#[test]
fn emulated_adapters_can_be_left_out() {
    let options = WgpuOptions {
        include_emulated: false,
        ..WgpuOptions::default()
    };
    let all = probe(&WgpuOptions::default());
    let real = probe(&options);
    assert!(real.backends.iter().all(|b| !b.info().emulated));
    let emulated = all.backends.iter().filter(|b| b.info().emulated).count();
    let noted = real
        .notes
        .iter()
        .filter(|n| n.contains("CPU-emulated, not requested"))
        .count();
    assert_eq!(noted, emulated, "{:?}", real.notes);
    if all.backends.is_empty() {
        skip(
            "emulated_adapters_can_be_left_out",
            &format!("no wgpu adapter: {}", all.notes.join("; ")),
        );
    }
}
