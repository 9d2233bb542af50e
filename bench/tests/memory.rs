//! The counting allocator, installed in this test binary as `ramjet-bench` installs it; and the
//! smoke prover case run with it, so that both provers' peaks are measured.

use std::hint::black_box;

use clap::Parser;
use indicatif::ProgressBar;
use ramjet_bench::cli::Args;
use ramjet_bench::memory::{CountingAllocator, peak_during};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn the_peak_covers_what_was_live_at_once_not_what_was_allocated_in_all() {
    let mb = 1 << 20;
    // 16 MiB at once.
    let ((), at_once) = peak_during(|| {
        let v = black_box(vec![1u8; 16 * mb]);
        drop(v);
    });
    // 16 x 1 MiB, one after the other: the peak is about 1 MiB, not 16.
    let ((), in_turn) = peak_during(|| {
        for _ in 0..16 {
            drop(black_box(vec![1u8; mb]));
        }
    });
    let at_once = at_once.expect("the allocator is installed");
    let in_turn = in_turn.expect("the allocator is installed");
    assert!(at_once >= 16 * mb as u64, "{at_once}");
    assert!(in_turn >= mb as u64 && in_turn < 4 * mb as u64, "{in_turn}");
}

#[test]
fn only_groth16_runs_the_prover_case_alone_and_measures_both_peaks() {
    let dir = tempfile::tempdir().unwrap();
    let args = Args::try_parse_from([
        "ramjet-bench".as_ref(),
        "--sizes".as_ref(),
        "smoke".as_ref(),
        "--only".as_ref(),
        "groth16".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ])
    .unwrap();
    let progress = ProgressBar::hidden();
    let (report, _) = ramjet_bench::run_and_write(&args, &progress).unwrap();
    assert_eq!(progress.position(), progress.length().unwrap());
    assert!(report.rows.is_empty());
    assert!(report.devices.is_empty());
    assert!(
        !report
            .notes
            .iter()
            .any(|n| n.starts_with("No device backend") || n.starts_with("Device backends"))
    );
    let [row] = &report.prover[..] else {
        panic!("{:?}", report.prover);
    };
    assert!(row.proofs_identical && row.verified);
    // A proof of a circuit of thousands of constraints allocates at least its domain's vectors.
    let floor = (row.domain_size * 32) as u64;
    let ramjet = row.ramjet_peak_bytes.expect("the allocator is installed");
    let ark = row.ark_peak_bytes.expect("the allocator is installed");
    assert!(ramjet > floor && ark > floor, "{ramjet} {ark}");
    assert_eq!(row.memory_reached, Some(ramjet <= ark));
    assert!(
        !report
            .notes
            .iter()
            .any(|n| n.contains("no counting allocator"))
    );
}

#[test]
fn only_inference_runs_the_inference_cases_alone_and_measures_their_peaks() {
    let dir = tempfile::tempdir().unwrap();
    let args = Args::try_parse_from([
        "ramjet-bench".as_ref(),
        "--sizes".as_ref(),
        "smoke".as_ref(),
        "--only".as_ref(),
        "inference".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ])
    .unwrap();
    let progress = ProgressBar::hidden();
    let (report, _) = ramjet_bench::run_and_write(&args, &progress).unwrap();
    assert_eq!(progress.position(), progress.length().unwrap());
    assert!(report.rows.is_empty() && report.prover.is_empty());
    assert_eq!(report.inference.len(), 2);
    for row in &report.inference {
        let prove = row.prove_peak_bytes.expect("the allocator is installed");
        let setup = row.setup_peak_bytes.expect("the allocator is installed");
        // A whole prove holds at least the model's weights and the proof.
        let floor = (row.parameters * 8 + row.proof_bytes) as u64;
        assert!(
            prove > floor && setup > floor,
            "{}: {prove} {setup}",
            row.case
        );
    }
}
