//! `msm_g1` on the wgpu backend: equal to arkworks' `VariableBaseMSM` on random and adversarial
//! inputs, resident bases uploaded once, and the memory budget respected.

use std::sync::Arc;

use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use ramjet_accel::curve::{Fr, G1Affine, G1Projective};
use ramjet_accel::{AccelError, Backend, MsmBases, Op, TransferStats, inputs};
use ramjet_kernels::wgpu::WgpuOptions;

use crate::wgpu_backend::{backends, forced_to, fresh_backend};

/// arkworks' answer, as an affine point.
fn arkworks(bases: &[G1Affine], scalars: &[Fr]) -> G1Affine {
    G1Projective::msm(bases, scalars)
        .expect("equal lengths")
        .into_affine()
}

#[test]
fn msm_g1_equals_arkworks_on_random_and_adversarial_scalars() {
    let Some(backends) = backends("msm_g1_equals_arkworks_on_random_and_adversarial_scalars")
    else {
        return;
    };
    for backend in backends {
        for n in [1, 2, 100, 2500] {
            let bases = inputs::g1_points(n, 11 + n as u64);
            let random = inputs::scalars(n, 13 + n as u64);
            let mixed: Vec<Fr> = random
                .iter()
                .enumerate()
                .map(|(i, &s)| match i % 4 {
                    0 => Fr::zero(),
                    1 => Fr::one(),
                    2 => -Fr::one(),
                    _ => s,
                })
                .collect();
            let one_base = vec![bases[0]; n];
            let cases: Vec<(&str, &[G1Affine], Vec<Fr>)> = vec![
                ("random scalars", &bases, random.clone()),
                ("zero scalars", &bases, vec![Fr::zero(); n]),
                ("scalars 1", &bases, vec![Fr::one(); n]),
                ("scalars r - 1", &bases, vec![-Fr::one(); n]),
                ("one random scalar for all", &bases, vec![random[0]; n]),
                ("0, 1, r - 1 and random mixed", &bases, mixed),
                ("one base for all", &one_base, random.clone()),
                (
                    "one base and one scalar for all: every entry in one bucket",
                    &one_base,
                    vec![random[n - 1]; n],
                ),
            ];
            for (case, bases, scalars) in cases {
                let got = backend
                    .msm_g1(MsmBases::Host(bases), &scalars)
                    .unwrap_or_else(|e| panic!("{case}, n = {n}: {e}"))
                    .into_affine();
                assert_eq!(got, arkworks(bases, &scalars), "{case}, n = {n}");
            }
        }
        // The answers are not trivially the identity.
        let bases = inputs::g1_points(3, 1);
        let got = backend
            .msm_g1(MsmBases::Host(&bases), &[Fr::one(), Fr::zero(), Fr::zero()])
            .unwrap();
        assert_eq!(got.into_affine(), bases[0]);
        assert!(!bases[0].is_zero());
    }
}

#[test]
fn resident_bases_go_up_once_and_later_msms_upload_only_scalars() {
    let test = "resident_bases_go_up_once_and_later_msms_upload_only_scalars";
    let Some(backend) = fresh_backend(test, &WgpuOptions::default()) else {
        return;
    };
    let n = 500u64;
    let bases: Arc<[G1Affine]> = inputs::g1_points(n as usize, 21).into();

    let held_before = backend.memory_held();
    let before = backend.transfers();
    let resident = backend.make_resident_g1(bases.clone()).unwrap();
    let delta = backend.transfers().since(&before);
    assert_eq!((delta.uploads, delta.upload_bytes), (1, 64 * n));
    assert_eq!(backend.memory_held(), held_before + 64 * n);

    // Two read-backs: the largest bucket's size (4 bytes), then the window sums: 500 points
    // make 6-bit windows, 43 of them, 96 bytes each.
    let windows = 43;
    for round in 0..3 {
        let scalars = inputs::scalars(n as usize, 30 + round);
        let before = backend.transfers();
        let got = backend
            .msm_g1(MsmBases::Resident(&resident), &scalars)
            .unwrap();
        let delta = backend.transfers().since(&before);
        assert_eq!(
            got.into_affine(),
            arkworks(&bases, &scalars),
            "round {round}"
        );
        assert_eq!(
            delta,
            TransferStats {
                uploads: 1,
                upload_bytes: 32 * n,
                readbacks: 2,
                readback_bytes: 4 + 96 * windows,
            },
            "round {round}"
        );
    }

    // The same bases from host memory go up with the scalars on every call.
    let scalars = inputs::scalars(n as usize, 40);
    let before = backend.transfers();
    let got = backend.msm_g1(MsmBases::Host(&bases), &scalars).unwrap();
    let delta = backend.transfers().since(&before);
    assert_eq!(got.into_affine(), arkworks(&bases, &scalars));
    assert_eq!((delta.uploads, delta.upload_bytes), (2, 96 * n));

    // A handle made on another device (here: a second device on the same adapter, same id) is
    // not used on this one: its bases are uploaded from the host copy, and the answer is right.
    if let Some(other) = fresh_backend(test, &WgpuOptions::default()) {
        let foreign = other.make_resident_g1(bases.clone()).unwrap();
        let before = backend.transfers();
        let got = backend
            .msm_g1(MsmBases::Resident(&foreign), &scalars)
            .unwrap();
        let delta = backend.transfers().since(&before);
        assert_eq!(got.into_affine(), arkworks(&bases, &scalars));
        assert_eq!((delta.uploads, delta.upload_bytes), (2, 96 * n));
    }

    // Dropping the last handle frees the device copy.
    let held = backend.memory_held();
    drop(resident);
    assert_eq!(backend.memory_held(), held - 64 * n);
}

#[test]
fn an_msm_over_the_memory_budget_is_refused_and_the_dispatcher_falls_back() {
    let options = WgpuOptions {
        memory_budget: Some(256 << 10),
        ..WgpuOptions::default()
    };
    let Some(backend) = fresh_backend(
        "an_msm_over_the_memory_budget_is_refused_and_the_dispatcher_falls_back",
        &options,
    ) else {
        return;
    };
    let registry = prometheus::Registry::new();
    let accel = forced_to(&backend, &registry);
    let id = backend.info().id();

    // Ten points fit in the budget and run on the device.
    let bases = inputs::g1_points(10, 5);
    let scalars = inputs::scalars(10, 6);
    let got = accel.msm_g1(&bases, &scalars).unwrap();
    assert_eq!(got.into_affine(), arkworks(&bases, &scalars));
    assert_eq!(accel.metrics().calls_of(&id, Op::MsmG1), 1);
    assert_eq!(accel.metrics().fallbacks_of(&id, Op::MsmG1), 0);

    // 4000 points need more than 256 KiB of digit entries alone.
    let bases = inputs::g1_points(4000, 7);
    let scalars = inputs::scalars(4000, 8);
    let direct = backend.msm_g1(MsmBases::Host(&bases), &scalars);
    assert!(
        matches!(direct, Err(AccelError::DeviceOutOfMemory { .. })),
        "{direct:?}"
    );
    assert!(backend.memory_held() <= 256 << 10);
    let got = accel.msm_g1(&bases, &scalars).unwrap();
    assert_eq!(got.into_affine(), arkworks(&bases, &scalars));
    assert_eq!(accel.metrics().fallbacks_of(&id, Op::MsmG1), 1);

    // Resident bases over the budget are refused the same way.
    let resident = backend.make_resident_g1(inputs::g1_points(8000, 9).into());
    assert!(
        matches!(resident, Err(AccelError::DeviceOutOfMemory { .. })),
        "{resident:?}"
    );
}

#[test]
fn msm_on_a_lost_device_is_a_typed_error_and_the_dispatcher_falls_back() {
    let Some(backend) = fresh_backend(
        "msm_on_a_lost_device_is_a_typed_error_and_the_dispatcher_falls_back",
        &WgpuOptions::default(),
    ) else {
        return;
    };
    let registry = prometheus::Registry::new();
    let accel = forced_to(&backend, &registry);
    let id = backend.info().id();
    let bases: Arc<[G1Affine]> = inputs::g1_points(50, 12).into();
    let scalars = inputs::scalars(50, 13);
    let want = arkworks(&bases, &scalars);
    let resident = backend.make_resident_g1(bases.clone()).unwrap();
    assert_eq!(
        backend
            .msm_g1(MsmBases::Resident(&resident), &scalars)
            .unwrap()
            .into_affine(),
        want
    );

    backend.simulate_device_loss();
    for got in [
        backend.msm_g1(MsmBases::Host(&bases), &scalars),
        backend.msm_g1(MsmBases::Resident(&resident), &scalars),
    ] {
        assert!(matches!(got, Err(AccelError::DeviceLost { .. })), "{got:?}");
    }
    let again = backend.make_resident_g1(bases.clone());
    assert!(
        matches!(again, Err(AccelError::DeviceLost { .. })),
        "{again:?}"
    );
    assert_eq!(accel.msm_g1(&bases, &scalars).unwrap().into_affine(), want);
    assert_eq!(accel.metrics().fallbacks_of(&id, Op::MsmG1), 1);
}
