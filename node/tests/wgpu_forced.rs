//! The wgpu backend forced end to end (Mesa's lavapipe where there is no GPU): a rollup proof
//! whose MSMs run on the device is the CPU-only proof byte for byte; a devnet whose nodes verify
//! their signatures on the device agrees on every UTXO and resolves its double spends as a
//! CPU-only one does. Skipped, with the reason recorded, on a machine with no wgpu adapter.
//!
//! A test binary of its own, so that cargo runs it after the other node tests: each node compiles
//! lavapipe's Ed25519 kernel before it serves, about three minutes of both cores, which would
//! starve the timing-sensitive tests running beside it.

use std::process::Command;
use std::sync::Arc;

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use ark_std::UniformRand;
use ramjet_accel::conformance::skip;
use ramjet_accel::{Accelerator, Backend, BackendKind, Op};
use ramjet_prover::groth16::Prover;
use ramjet_prover::rollup::{RollupCircuit, demo};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// The first wgpu adapter of this machine, or `None` after recording why `test` is skipped.
fn wgpu_backend(test: &str) -> Option<Arc<dyn Backend>> {
    let found = ramjet_kernels::detect_all();
    let backend = found
        .backends
        .into_iter()
        .find(|b| b.info().kind == BackendKind::Wgpu);
    if backend.is_none() {
        skip(
            test,
            &format!("no wgpu adapter: {}", found.notes.join("; ")),
        );
    }
    backend
}

fn bytes(proof: &ark_groth16::Proof<Bn254>) -> Vec<u8> {
    let mut out = Vec::new();
    proof.serialize_compressed(&mut out).unwrap();
    out
}

#[test]
fn a_rollup_proof_with_its_msms_forced_to_wgpu_is_the_cpu_proof_byte_for_byte() {
    let test = "a_rollup_proof_with_its_msms_forced_to_wgpu_is_the_cpu_proof_byte_for_byte";
    let Some(gpu) = wgpu_backend(test) else {
        return;
    };
    let id = gpu.info().id();
    let (state, batch) = demo::random_batch(4, 1, 21).unwrap();
    let applied = state.apply(&batch).unwrap();
    let circuit = RollupCircuit::from_applied(&applied);
    let public: Vec<Fr> = applied.public_inputs.to_vec();
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let (pk, vk) =
        Groth16::<Bn254>::circuit_specific_setup(RollupCircuit::blank(4, 1).unwrap(), &mut rng)
            .unwrap();
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));

    let cpu = Prover::new(Arc::new(Accelerator::cpu_only()));
    let cpu_key = cpu.prepare(pk.clone()).unwrap();
    let on_cpu = cpu
        .prove_with_randomness(&cpu_key, circuit.clone(), r, s)
        .unwrap();

    let accel = Arc::new(
        Accelerator::builder()
            .allow_emulated(true)
            .devices([gpu])
            .force(id.clone())
            .build()
            .unwrap(),
    );
    let device = Prover::new(accel.clone());
    let device_key = device.prepare(pk).unwrap();
    let on_device = device
        .prove_with_randomness(&device_key, circuit, r, s)
        .unwrap();

    assert_eq!(bytes(&on_device), bytes(&on_cpu));
    assert!(Groth16::<Bn254>::verify(&vk, &public, &on_device).unwrap());
    // The G1 MSMs (A, B in G1, L, H) ran on the device, none fell back to the CPU; the G2 MSM
    // is not a wgpu operation and stayed on the CPU.
    let metrics = accel.metrics();
    assert!(metrics.calls_of(&id, Op::MsmG1) >= 4, "{id}");
    assert_eq!(metrics.fallbacks_of(&id, Op::MsmG1), 0);
    assert_eq!(metrics.calls_of(&id, Op::MsmG2), 0);
}

#[test]
fn a_devnet_forced_to_wgpu_verifies_its_signatures_on_the_device_and_agrees() {
    let test = "a_devnet_forced_to_wgpu_verifies_its_signatures_on_the_device_and_agrees";
    let Some(gpu) = wgpu_backend(test) else {
        return;
    };
    if !gpu.supports(Op::Ed25519Verify) {
        skip(test, "this build's wgpu backend does not verify signatures");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("devnet");
    let out = Command::new(env!("CARGO_BIN_EXE_ramjet"))
        .env("NODEVICE_SELECT", "1")
        .args([
            "devnet",
            "--nodes",
            "2",
            "--duration",
            "4",
            "--tps",
            "40",
            "--double-spends",
            "2",
            "--accounts",
            "8",
            "--backend",
            "wgpu",
            "--dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text = std::fs::read_to_string(dir.join("summary.json"))
        .unwrap_or_else(|e| panic!("no summary ({e})\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(summary["ok"], true, "{text}");
    assert!(
        summary["totals"]["accepted"].as_u64().unwrap() > 0,
        "{text}"
    );
    assert_eq!(summary["double_spend_checks"]["passed"], true, "{text}");
    assert_eq!(summary["utxo_digests_equal"], true, "{text}");
    // Every device answer was recomputed on the CPU (the devnet sets `accel.audit = 1` for
    // `--backend wgpu`), and none differed: the device's verdicts are the CPU's.
    let id = gpu.info().id();
    for node in summary["nodes"].as_array().unwrap() {
        // Every signature batch of the node went to the forced adapter; the CPU verified the
        // same signatures again for the audit, and nothing else.
        let signatures = node["signatures"].as_object().unwrap();
        let on_device = signatures.get(&id).and_then(|v| v.as_u64()).unwrap_or(0);
        let on_cpu: u64 = signatures
            .iter()
            .filter(|(backend, _)| backend.starts_with("cpu"))
            .filter_map(|(_, calls)| calls.as_u64())
            .sum();
        assert!(
            on_device > 0 && on_cpu == on_device,
            "{id}: {signatures:?}\n{text}"
        );
        assert!(node["audits"].as_u64().unwrap() > 0, "{text}");
        assert_eq!(node["audit_mismatches"], 0, "{text}");
    }
}
