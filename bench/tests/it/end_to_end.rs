//! One whole run of the runner's library entry point, on the hidden `smoke` sizes, into a
//! temporary directory: the CPU backend, the wgpu adapters of this machine where there are
//! some, and the Groth16 prover case.

use std::io::Write;

use clap::Parser;
use indicatif::ProgressBar;
use ramjet_accel::{DeviceInfo, Op};
use ramjet_bench::backends;
use ramjet_bench::cli::Args;
use ramjet_bench::report::{ProverRow, Report, phase};

/// The operations the wgpu backend implements.
const WGPU_OPS: [Op; 5] = [
    Op::Ed25519Verify,
    Op::MerkleSha256,
    Op::MerklePoseidon,
    Op::Ntt,
    Op::MsmG1,
];

#[test]
fn smoke_run_writes_every_output_with_finite_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let args = Args::try_parse_from([
        "ramjet-bench".as_ref(),
        "--sizes".as_ref(),
        "smoke".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
    .unwrap();

    let progress = ProgressBar::hidden();
    let (report, paths) = ramjet_bench::run_and_write(&args, &progress).unwrap();
    assert_eq!(progress.position(), progress.length().unwrap());

    for path in [&paths.json, &paths.markdown, &paths.ratio_chart] {
        assert!(path.starts_with(&out), "{} outside --out", path.display());
        assert!(
            std::fs::metadata(path).unwrap().len() > 0,
            "{} empty",
            path.display()
        );
    }
    let written: Report =
        serde_json::from_str(&std::fs::read_to_string(&paths.json).unwrap()).unwrap();
    assert_eq!(written, report);
    assert_eq!(written.mode, "smoke");

    // Every operation ran on the CPU backend; ed25519 against both of its baselines.
    let cpu_rows: Vec<_> = written.rows.iter().filter(|r| !r.is_device()).collect();
    for op in Op::ALL {
        assert!(cpu_rows.iter().any(|r| r.op == op.name()), "{op} missing");
    }
    assert_eq!(cpu_rows.len(), Op::ALL.len() + 1);
    for row in &written.rows {
        assert!(row.ratio.is_finite() && row.ratio > 0.0, "{row:?}");
        assert!(
            row.outputs_agree,
            "ramjet {} disagrees with {} on {}",
            row.backend, row.baseline.implementation, row.op
        );
        // The smoke preset measures devices once, the rest twice.
        let runs = if row.is_device() { 1 } else { 2 };
        assert_eq!(row.ramjet.samples, runs);
        assert_eq!(row.baseline.samples, 2);
        assert_eq!(row.reached, row.target.map(|t| row.ratio >= t));
    }
    check_device_rows(&written);
    let [prover] = &written.prover[..] else {
        panic!("one prover case in the smoke preset: {:?}", written.prover);
    };
    check_prover_row(prover);
    check_inference_rows(&written);
    assert!(
        written
            .notes
            .iter()
            .any(|n| n.contains("CPU-only accelerator"))
    );
    assert!(
        written
            .notes
            .iter()
            .any(|n| n.contains("no counting allocator"))
    );
    let chart = std::fs::read_to_string(&paths.ratio_chart).unwrap();
    assert_eq!(
        chart.matches(r#"class="bar""#).count(),
        written.rows.len() + written.prover.len()
    );
    let md = std::fs::read_to_string(&paths.markdown).unwrap();
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| `")).count(),
        written.rows.len()
    );
    assert!(md.contains("## Groth16 prover") && md.contains("| rollup depth 4, 1 transfer |"));
    assert!(
        md.contains("## Proof of inference")
            && md.contains("| digits 64-32-10, groth16, fixed | 3834 constraints |")
            && md.contains("| digits 64-32-10, halo2, fixed | 594 rows, k = 10 |"),
        "{md}"
    );
}

/// The smoke proof-of-inference cases: the demo model with Groth16 and with halo2, its known
/// circuit sizes and proof sizes, one measured proof and verification each, no target (the
/// targets are the 784-56-10 MLP's), memory not measured in this test binary.
fn check_inference_rows(report: &Report) {
    let [groth16, halo2] = &report.inference[..] else {
        panic!(
            "two inference cases in the smoke preset: {:?}",
            report.inference
        );
    };
    assert_eq!(groth16.case, "digits 64-32-10, groth16, fixed");
    assert_eq!(groth16.constraints, Some(3834));
    assert_eq!(groth16.proof_bytes, 128);
    assert_eq!(halo2.case, "digits 64-32-10, halo2, fixed");
    assert_eq!((halo2.halo2_rows, halo2.halo2_k), (Some(594), Some(10)));
    assert_eq!(halo2.proof_bytes, 3680);
    for row in [groth16, halo2] {
        assert_eq!((row.inputs, row.outputs), (64, 10));
        assert_eq!(row.parameters, 64 * 32 + 32 + 32 * 10 + 10);
        assert_eq!((row.prove.samples, row.verify.samples), (1, 1));
        assert!(row.prove.median_s > 0.0 && row.verify.median_s > 0.0);
        assert!(row.setup_s > 0.0);
        assert_eq!(row.prove_peak_bytes, None);
        assert!(row.reached.is_empty() && row.commitment.is_none());
    }
    assert!(report.notes.iter().any(|n| n.contains("EZKL was not run")));
}

/// The smoke prover case: byte-identical, verified proofs; both provers' phases present, their
/// top-level phases adding up to at most the broken-down proof's total; memory not measured in
/// this test binary, which has no counting allocator.
fn check_prover_row(row: &ProverRow) {
    assert_eq!(row.case, "rollup depth 4, 1 transfer");
    assert_eq!((row.depth, row.transfers), (4, 1));
    assert!(
        row.proofs_identical,
        "ramjet's proof differs from ark-groth16's"
    );
    assert!(row.verified);
    assert!(row.constraints > 1000, "{}", row.constraints);
    assert!(row.domain_size.is_power_of_two() && row.domain_size > row.constraints + 3);
    assert!(row.domain_size <= 2 * (row.constraints + 4));
    assert_eq!((row.ramjet.samples, row.ark.samples), (1, 1));
    assert!(row.ratio.is_finite() && row.ratio > 0.0);
    assert_eq!((row.target, row.reached), (None, None));
    assert!(row.setup_s > 0.0 && row.prepare_s > 0.0);
    for breakdown in [&row.ramjet_phases, &row.ark_phases] {
        for name in phase::TOP_LEVEL {
            let seconds = breakdown.seconds(name);
            assert!(seconds.is_some_and(|s| s > 0.0), "{name}: {breakdown:?}");
        }
        assert!(
            breakdown.top_level_sum() <= breakdown.total_s * (1.0 + 1e-9),
            "{breakdown:?}"
        );
        assert!(!breakdown.source.is_empty());
    }
    let parts: Vec<&str> = row
        .ramjet_phases
        .parts_of(phase::MSMS_AND_ASSEMBLY)
        .map(|p| p.phase.as_str())
        .collect();
    assert_eq!(
        parts,
        [
            "msm_a", "msm_b_g1", "msm_b_g2", "msm_l", "msm_h", "assembly"
        ]
    );
    let ntt = row.ramjet_phases.seconds(phase::NTT).unwrap();
    assert!(ntt <= row.ramjet_phases.seconds(phase::WITNESS_MAP).unwrap());
    assert_eq!((row.ramjet_peak_bytes, row.ark_peak_bytes), (None, None));
    assert_eq!(row.memory_reached, None);
    assert_eq!(row.memory_status(), "not measured");
}

/// Every wgpu adapter of this machine was measured: rows for each of its operations, results
/// equal to the baselines', no target, `emulated` as the device says. Without an adapter, says
/// so on stderr (uncaptured) rather than passing silently.
fn check_device_rows(report: &Report) {
    let present: Vec<DeviceInfo> = ramjet_kernels::detect_all()
        .backends
        .iter()
        .map(|b| b.info().clone())
        .collect();
    let ids = |devices: &[DeviceInfo]| devices.iter().map(DeviceInfo::id).collect::<Vec<_>>();
    assert_eq!(ids(&report.devices), ids(&present));
    if present.is_empty() {
        assert!(report.rows.iter().all(|r| !r.is_device()));
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("No device backend"))
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: no wgpu adapter: device rows of the smoke run not checked"
        );
        return;
    }
    for device in &present {
        for op in WGPU_OPS {
            let rows: Vec<_> = report
                .rows
                .iter()
                .filter(|r| r.backend == device.id() && r.op == op.name())
                .collect();
            // One row per baseline: ed25519_verify has two (ed25519-consensus, ed25519-dalek).
            let baselines = if op == Op::Ed25519Verify { 2 } else { 1 };
            assert_eq!(rows.len(), baselines, "{} {op}: {rows:?}", device.id());
            for row in rows {
                assert!(row.outputs_agree, "{} {op} disagrees", device.id());
                assert_eq!(row.emulated, device.emulated);
                assert_eq!(row.ramjet.implementation, backends::label(device));
                assert_eq!(
                    row.ramjet.implementation.contains("[CPU-emulated]"),
                    device.emulated
                );
                assert_eq!((row.target, row.reached), (None, None));
            }
        }
        assert!(
            report
                .rows
                .iter()
                .filter(|r| r.backend == device.id())
                .all(|r| WGPU_OPS.iter().any(|op| op.name() == r.op)),
            "{} measured on an operation it lacks",
            device.id()
        );
    }
    let any_emulated = present.iter().any(|d| d.emulated);
    assert_eq!(
        report.notes.iter().any(|n| n.starts_with("CPU-emulated:")),
        any_emulated
    );
}

#[test]
fn no_devices_measures_the_cpu_backend_only() {
    let dir = tempfile::tempdir().unwrap();
    let args = Args::try_parse_from([
        "ramjet-bench".as_ref(),
        "--sizes".as_ref(),
        "smoke".as_ref(),
        "--only".as_ref(),
        "ntt".as_ref(),
        "--no-devices".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ])
    .unwrap();
    let (report, _) = ramjet_bench::run_and_write(&args, &ProgressBar::hidden()).unwrap();
    assert!(report.devices.is_empty());
    assert_eq!(report.rows.len(), 1);
    assert!(!report.rows[0].is_device());
    assert!(report.notes.iter().any(|n| n.contains("--no-devices")));
    assert!(report.prover.is_empty());
}

#[test]
fn no_prover_skips_the_prover_cases_even_when_only_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let args = Args::try_parse_from([
        "ramjet-bench".as_ref(),
        "--sizes".as_ref(),
        "smoke".as_ref(),
        "--only".as_ref(),
        "ntt,groth16".as_ref(),
        "--no-prover".as_ref(),
        "--no-devices".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ])
    .unwrap();
    let progress = ProgressBar::hidden();
    let (report, paths) = ramjet_bench::run_and_write(&args, &progress).unwrap();
    assert_eq!(progress.position(), progress.length().unwrap());
    assert!(report.prover.is_empty());
    assert_eq!(report.rows.len(), 1);
    assert!(report.notes.iter().any(|n| n.contains("--no-prover")));
    assert!(!report.notes.iter().any(|n| n.starts_with("Groth16 prover")));
    let md = std::fs::read_to_string(&paths.markdown).unwrap();
    assert!(!md.contains("## Groth16 prover"));
}

#[test]
fn only_restricts_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let args = Args::try_parse_from([
        "ramjet-bench".as_ref(),
        "--sizes".as_ref(),
        "smoke".as_ref(),
        "--only".as_ref(),
        "merkle_sha256".as_ref(),
        "--repeats".as_ref(),
        "3".as_ref(),
        "--no-devices".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ])
    .unwrap();
    let (report, _) = ramjet_bench::run_and_write(&args, &ProgressBar::hidden()).unwrap();
    assert_eq!(report.rows.len(), 1);
    assert_eq!(report.rows[0].op, "merkle_sha256");
    assert_eq!(report.rows[0].baseline.samples, 3);
    assert_eq!(report.rows[0].ramjet.samples, 3);
}
