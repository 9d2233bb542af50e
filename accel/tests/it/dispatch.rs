//! The dispatcher: routing by cost, fallback on device faults, back-off, audit, metrics, resident
//! bases and calibration profiles.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ramjet_accel::curve::Fr;
use ramjet_accel::{
    Accelerator, AcceleratorBuilder, AuditPolicy, Backend, CalibrationProfile, CostModel,
    MerkleLeaves, NttDirection, Op, OpCost, WarmUpOutcome, inputs, reference,
};

use crate::test_backends::FlakyDevice;

/// A profile that makes the device look far faster than the CPU for every operation.
fn device_favoured(device: &dyn Backend) -> CostModel {
    let mut profile = CalibrationProfile::default();
    for op in Op::ALL {
        profile.set(
            device.info(),
            op,
            OpCost {
                latency_us: 0.0,
                items_per_sec: 1e15,
            },
        );
    }
    CostModel::from_profile(profile)
}

/// A dispatcher holding `device`, with a profile that routes every operation it supports to it.
fn device_first(device: &Arc<FlakyDevice>) -> AcceleratorBuilder {
    Accelerator::builder()
        .device(device.clone())
        .cost_model(device_favoured(&**device))
}

#[test]
fn small_batches_stay_on_the_cpu_and_large_ones_go_to_the_device() {
    let device = FlakyDevice::failing(0);
    let accel = Accelerator::builder()
        .device(device.clone())
        .build()
        .unwrap();
    let cpu_id = accel.backends()[0].info.id();
    // Defaults: 1 ms launch cost for a device, so tiny batches stay home.
    assert_eq!(accel.route_of(Op::MerkleSha256, 4), cpu_id);
    assert_eq!(
        accel.route_of(Op::MerkleSha256, 1 << 24),
        device.info().id()
    );
    // The device does not support G2 MSMs: always the CPU.
    assert_eq!(accel.route_of(Op::MsmG2, 1 << 24), cpu_id);
}

#[test]
fn emulated_devices_are_never_routed_by_cost_unless_allowed_or_forced() {
    let device = FlakyDevice::emulated();
    let big = 1 << 24;
    // Even a profile claiming the emulated device is far faster does not route to it.
    let accel = device_first(&device).build().unwrap();
    let cpu_id = accel.backends()[0].info.id();
    assert_eq!(accel.route_of(Op::MerkleSha256, big), cpu_id);
    let allowed = device_first(&device).allow_emulated(true).build().unwrap();
    assert_eq!(allowed.route_of(Op::MerkleSha256, big), device.info().id());
    let forced = Accelerator::builder()
        .device(device.clone())
        .force(device.info().id())
        .build()
        .unwrap();
    assert_eq!(forced.route_of(Op::MerkleSha256, 1), device.info().id());
}

#[test]
fn a_device_fault_falls_back_to_the_cpu_and_degrades_the_device() {
    let device = FlakyDevice::failing(1);
    let registry = prometheus::Registry::new();
    let accel = device_first(&device)
        .metrics_registry(&registry)
        .build()
        .unwrap();
    let leaves = inputs::digests(100, 1);
    let tree = accel.merkle_sha256(MerkleLeaves::Digests(&leaves)).unwrap();
    assert_eq!(
        tree,
        reference::merkle_sha256(MerkleLeaves::Digests(&leaves))
    );
    assert_eq!(device.calls.load(Ordering::SeqCst), 1);
    let id = device.info().id();
    assert_eq!(accel.metrics().fallbacks_of(&id, Op::MerkleSha256), 1);
    assert_eq!(
        accel
            .metrics()
            .failures
            .with_label_values(&[&id, "merkle_sha256"])
            .get(),
        1
    );
    assert!(accel.backends()[1].degraded);
    // While degraded, calls go straight to the CPU without touching the device.
    let cpu_id = accel.backends()[0].info.id();
    assert_eq!(accel.route_of(Op::MerkleSha256, 100), cpu_id);
    accel.merkle_sha256(MerkleLeaves::Digests(&leaves)).unwrap();
    assert_eq!(device.calls.load(Ordering::SeqCst), 1);
    assert_eq!(accel.metrics().calls_of(&cpu_id, Op::MerkleSha256), 2);
    // The metrics are on the injected registry, in Prometheus' text format.
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    assert!(text.contains("ramjet_accel_fallbacks_total"), "{text}");
}

#[test]
fn a_failed_ntt_leaves_the_callers_buffer_to_the_cpu_result() {
    let device = FlakyDevice::failing(0);
    let accel = device_first(&device).build().unwrap();
    let input = inputs::scalars(256, 3);
    let mut values = input.clone();
    accel.ntt(&mut values, NttDirection::Forward, None).unwrap();
    let mut want = input.clone();
    reference::ntt(&mut want, NttDirection::Forward, None).unwrap();
    assert_eq!(
        values, want,
        "the device scribbled on its buffer, yet the result must be the CPU's on the input"
    );
    assert_eq!(device.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn input_errors_are_returned_not_retried() {
    let device = FlakyDevice::failing(0);
    let accel = device_first(&device).build().unwrap();
    let mut values = vec![Fr::from(1u64); 3];
    // The device's NTT always fails, but the size is checked first by the CPU path as well.
    let err = accel
        .ntt(&mut values, NttDirection::Forward, None)
        .unwrap_err();
    assert!(err.is_input_error(), "{err}");
    let bases = inputs::g1_points(4, 1);
    let err = accel.msm_g1(&bases, &inputs::scalars(3, 1)).unwrap_err();
    assert!(
        matches!(
            err,
            ramjet_accel::AccelError::LengthMismatch {
                expected: 4,
                actual: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_audit_catches_a_device_giving_wrong_answers() {
    let device = FlakyDevice::lying();
    let accel = device_first(&device)
        .audit(AuditPolicy::OneIn(1))
        .build()
        .unwrap();
    let batch = inputs::sig_batch(8, 5);
    let verdicts = accel.ed25519_verify(&batch).unwrap();
    assert!(
        verdicts.all_valid(),
        "the CPU's verdicts are returned, not the device's"
    );
    let id = device.info().id();
    assert_eq!(
        accel
            .metrics()
            .audit_mismatches
            .with_label_values(&[&id, "ed25519_verify"])
            .get(),
        1
    );
    assert!(accel.backends()[1].degraded);
}

#[test]
fn resident_bases_are_uploaded_once_per_device_and_checked_for_ownership() {
    let device = FlakyDevice::failing(0);
    let accel = device_first(&device).build().unwrap();
    let bases = inputs::g1_points(64, 9);
    let shared = accel.resident_g1(bases.clone()).unwrap();
    for round in 0..3 {
        let scalars = inputs::scalars(64, round);
        let got = accel.msm_g1_resident(&shared, &scalars).unwrap();
        assert_eq!(got, reference::msm_g1(&bases, &scalars).unwrap());
    }
    // One upload, three MSMs.
    assert_eq!(device.calls.load(Ordering::SeqCst), 4);
    let other = Accelerator::cpu_only();
    let err = other
        .msm_g1_resident(&shared, &inputs::scalars(64, 0))
        .unwrap_err();
    assert!(
        matches!(err, ramjet_accel::AccelError::ForeignResidentBases { .. }),
        "{err}"
    );
}

#[test]
fn warm_up_checks_each_device_and_disables_one_that_fails_or_lies() {
    let healthy = FlakyDevice::failing(0);
    let accel = device_first(&healthy).build().unwrap();
    let mut announced = Vec::new();
    let done = accel.warm_up(&[Op::Ed25519Verify, Op::MsmG2], |id, op| {
        announced.push((id.to_owned(), op));
    });
    // One warm-up: the device does not support G2 MSMs, and the CPU needs none.
    let id = healthy.info().id();
    assert_eq!(announced, [(id.clone(), Op::Ed25519Verify)]);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].outcome, WarmUpOutcome::Ready);
    assert_eq!(healthy.calls.load(Ordering::SeqCst), 1);
    assert!(!accel.backends()[1].degraded);
    assert_eq!(accel.route_of(Op::Ed25519Verify, 1 << 20), id);

    for device in [FlakyDevice::failing(1), FlakyDevice::lying()] {
        let accel = device_first(&device).build().unwrap();
        let done = accel.warm_up(&[Op::Ed25519Verify], |_, _| {});
        assert!(
            matches!(&done[0].outcome, WarmUpOutcome::Disabled(_)),
            "{:?}",
            done[0]
        );
        assert!(accel.backends()[1].degraded);
        assert!(
            accel
                .route_of(Op::Ed25519Verify, 1 << 20)
                .starts_with("cpu")
        );
    }

    // Emulated devices are warmed only where they may be routed.
    let emulated = FlakyDevice::emulated();
    let accel = device_first(&emulated).build().unwrap();
    assert!(accel.warm_up(&[Op::MerkleSha256], |_, _| {}).is_empty());
    let forced = Accelerator::builder()
        .device(emulated.clone())
        .force(emulated.info().id())
        .build()
        .unwrap();
    assert_eq!(forced.warm_up(&[Op::MerkleSha256], |_, _| {}).len(), 1);
}

#[test]
fn forcing_a_backend_routes_everything_it_supports_to_it() {
    let device = FlakyDevice::failing(0);
    let accel = Accelerator::builder()
        .device(device.clone())
        .force("wgpu")
        .build()
        .unwrap();
    assert_eq!(accel.route_of(Op::MerkleSha256, 1), device.info().id());
    assert_ne!(accel.route_of(Op::MsmG2, 1), device.info().id());
    assert!(Accelerator::builder().force("cuda").build().is_err());
}

#[test]
fn calibration_profiles_round_trip_and_reject_bad_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/calibration.json");
    let cpu: Arc<dyn Backend> = ramjet_accel::CpuBackend::shared();
    let profile = ramjet_accel::calibrate::calibrate(
        std::slice::from_ref(&cpu),
        ramjet_accel::calibrate::Effort::Quick,
        |_| {},
    );
    assert_eq!(profile.costs[&cpu.info().id()].len(), Op::ALL.len());
    profile.save(&path).unwrap();
    assert_eq!(CalibrationProfile::load(&path).unwrap(), profile);
    // The dispatcher's cost model uses the measured figures, not the defaults.
    let model = CostModel::load_or_defaults(&path).unwrap();
    let measured = profile.costs[&cpu.info().id()][&Op::Ntt];
    assert_eq!(model.cost(cpu.info(), Op::Ntt), measured);
    assert_ne!(CostModel::defaults().cost(cpu.info(), Op::Ntt), measured);

    std::fs::write(
        &path,
        r#"{"version":1,"costs":{"cpu:x":{"ntt":{"latency_us":-1,"items_per_sec":5}}}}"#,
    )
    .unwrap();
    let err = CalibrationProfile::load(&path).unwrap_err();
    assert!(err.to_string().contains("latency must be"), "{err}");
    assert!(
        CostModel::load_or_defaults(&path).is_err(),
        "a broken profile is an error"
    );
    assert!(CostModel::load_or_defaults(&dir.path().join("absent.json")).is_ok());
    std::fs::write(&path, r#"{"version":7,"costs":{}}"#).unwrap();
    assert!(
        CalibrationProfile::load(&path)
            .unwrap_err()
            .to_string()
            .contains("version 7")
    );
}

#[test]
fn op_cost_fit_recovers_latency_and_throughput() {
    let cost = OpCost::fit(
        (1000, 0.001 + 1000.0 / 1e6),
        (100_000, 0.001 + 100_000.0 / 1e6),
    );
    assert!((cost.latency_us - 1000.0).abs() < 1e-6, "{cost:?}");
    assert!((cost.items_per_sec - 1e6).abs() < 1e-3, "{cost:?}");
}
