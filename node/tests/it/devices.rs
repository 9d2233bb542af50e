//! `ramjet devices` as a user runs it.

use std::process::Command;

use ramjet_accel::{CalibrationProfile, Op};

fn ramjet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ramjet"))
}

#[test]
fn devices_lists_the_cpu() {
    let out = ramjet().arg("devices").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("KIND"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("cpu ")), "{text}");
}

#[test]
fn devices_json_is_machine_readable() {
    let out = ramjet().args(["devices", "--json"]).output().unwrap();
    assert!(out.status.success());
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["backends"][0]["kind"], "cpu");
    assert!(value["backends"][0]["compute_units"].as_u64().unwrap() >= 1);
}

#[test]
fn calibrate_writes_a_profile_the_dispatcher_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    let out = ramjet()
        .args(["devices", "--calibrate", "--quick", "--profile"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let profile = CalibrationProfile::load(&path).unwrap();
    let (_, ops) = profile
        .costs
        .iter()
        .find(|(id, _)| id.starts_with("cpu:"))
        .expect("the CPU was calibrated");
    assert_eq!(ops.len(), Op::ALL.len());
    // Every backend found is calibrated on the operations it supports (a wgpu adapter: every
    // operation but msm_g2).
    for (id, ops) in &profile.costs {
        assert!(
            ops.values()
                .all(|c| c.items_per_sec > 0.0 && c.latency_us >= 0.0),
            "{id}"
        );
        if id.starts_with("wgpu:") {
            let names: Vec<_> = ops.keys().map(|op| op.name()).collect();
            assert_eq!(
                names,
                [
                    "ed25519_verify",
                    "merkle_sha256",
                    "merkle_poseidon",
                    "msm_g1",
                    "ntt"
                ],
                "{id}"
            );
        }
    }
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("calibration profile written to"), "{text}");
}

#[test]
fn calibrate_into_an_unwritable_place_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out = ramjet()
        .args(["devices", "--calibrate", "--quick", "--profile"])
        .arg(blocker.join("profile.json"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("profile.json"), "{err}");
}

#[test]
fn devices_lists_wgpu_adapters_with_lavapipe_marked_emulated() {
    let out = ramjet().args(["devices", "--json"]).output().unwrap();
    assert!(out.status.success());
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let backends = value["backends"].as_array().unwrap();
    let wgpu: Vec<_> = backends.iter().filter(|b| b["kind"] == "wgpu").collect();
    if wgpu.is_empty() {
        ramjet_accel::conformance::skip(
            "devices_lists_wgpu_adapters_with_lavapipe_marked_emulated",
            &format!("no wgpu adapter; notes: {}", value["notes"]),
        );
        assert!(
            !value["notes"].as_array().unwrap().is_empty(),
            "no adapter and no note saying why"
        );
        return;
    }
    for b in wgpu {
        let name = b["device"].as_str().unwrap();
        // lavapipe names its device after llvmpipe.
        if name.contains("llvmpipe") {
            assert_eq!(b["emulated"], true, "{b}");
        }
    }
    let table = ramjet().arg("devices").output().unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.lines().any(|l| l.starts_with("wgpu ")), "{text}");
}
