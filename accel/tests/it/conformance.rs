//! The conformance kit passes the CPU backend and fails every deliberately wrong backend, on the
//! operation that is wrong.

use ramjet_accel::conformance::{self, Config, vectors};
use ramjet_accel::{Backend, CpuBackend, Op, SigBatch};

use crate::test_backends::{Fault, FaultyBackend};

#[test]
fn cpu_backend_passes_the_kit() {
    let report = conformance::check_backend(&CpuBackend::new(), &Config::default());
    report.assert_passed();
    assert!(
        report.cases > 500,
        "the kit ran only {} cases",
        report.cases
    );
    assert!(report.skipped.is_empty());
}

#[test]
fn the_kit_catches_each_fault_on_its_operation() {
    let small = Config {
        large_sigs: 100,
        large_merkle: 300,
        large_poseidon: 65,
        large_msm_g1: 100,
        large_msm_g2: 33,
        large_ntt_log: 8,
        ..Config::default()
    };
    let faults = [
        (Fault::Ed25519WholeBatchVerdict, Op::Ed25519Verify),
        (Fault::Ed25519RejectsNonCanonical, Op::Ed25519Verify),
        (Fault::MerkleDuplicatesOddNode, Op::MerkleSha256),
        (Fault::PoseidonSwapsInputs, Op::MerklePoseidon),
        (Fault::MsmG1DropsLastPoint, Op::MsmG1),
        (Fault::MsmG2SkipsCurveCheck, Op::MsmG2),
        (Fault::NttIgnoresInverseCoset, Op::Ntt),
    ];
    for (fault, op) in faults {
        let report = conformance::check_backend(&FaultyBackend::new(fault), &small);
        assert!(!report.passed(), "{fault:?} passed the kit");
        assert_eq!(report.failed_ops(), vec![op], "{fault:?}: {report}");
    }
}

#[test]
fn speccheck_cases_give_the_zip215_row() {
    let cases = vectors::speccheck();
    assert_eq!(cases.len(), 12);
    let mut batch = SigBatch::new();
    for c in &cases {
        batch.push(c.key, c.signature, &c.message);
    }
    let verdicts = CpuBackend::new().ed25519_verify(&batch).unwrap();
    assert_eq!(verdicts.0, vectors::SPECCHECK_ZIP215.to_vec());
    assert_eq!(
        ramjet_accel::reference::ed25519_verify(&batch).0,
        vectors::SPECCHECK_ZIP215.to_vec()
    );
}

#[test]
fn wycheproof_valid_cases_are_valid_and_lengths_are_accounted_for() {
    let (cases, other_lengths) = vectors::wycheproof();
    assert_eq!(cases.len() + other_lengths.len(), 150);
    let mut batch = SigBatch::new();
    for c in &cases {
        batch.push(c.key, c.signature, &c.message);
    }
    let verdicts = CpuBackend::new().ed25519_verify(&batch).unwrap();
    for (c, v) in cases.iter().zip(&verdicts.0) {
        assert!(
            *v || !c.expected,
            "{} is valid by RFC 8032 but rejected",
            c.name
        );
    }
    // ZIP-215 accepts what strict RFC 8032 rejects only for non-canonical or small-order encodings.
    let extra: Vec<&str> = cases
        .iter()
        .zip(&verdicts.0)
        .filter(|(c, v)| **v && !c.expected)
        .map(|(c, _)| c.name.as_str())
        .collect();
    eprintln!("accepted by ZIP-215, rejected by Wycheproof (RFC 8032 strict): {extra:?}");
}

#[test]
fn shipped_vectors_are_the_shared_vectors_unchanged() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors");
    if !shared.exists() {
        eprintln!(
            "skipped: {} is not present beside the repository",
            shared.display()
        );
        return;
    }
    for name in [
        "ed25519_speccheck_cases.json",
        "wycheproof_ed25519_test.json",
    ] {
        let ours = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("vectors")
                .join(name),
        )
        .unwrap();
        let theirs = std::fs::read(shared.join(name)).unwrap();
        assert!(
            ours == theirs,
            "accel/vectors/{name} differs from shared/vectors/{name}"
        );
    }
}
