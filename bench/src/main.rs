//! `ramjet-bench`: measures ramjet's CPU backend and every device backend found (wgpu adapters;
//! lavapipe marked CPU-emulated) against the libraries a user would pick instead, and ramjet's
//! Groth16 prover against ark-groth16's on the rollup circuit; prints a summary table and writes
//! `results.json`, `results.md` and `ratios.svg`.
//!
//! ```text
//! ramjet-bench [--quick] [--out DIR] [--only OP[,OP]] [--repeats N] [--no-devices] [--no-prover]
//! ```
//!
//! `OP` is an operation (`ed25519_verify`, `merkle_sha256`, `merkle_poseidon`, `msm_g1`,
//! `msm_g2`, `ntt`) or `groth16` (the prover cases).

use std::time::Instant;

use anyhow::Result;
use clap::Parser;
use ramjet_bench::cli::Args;
use ramjet_bench::output::{format, summary};

/// Counts heap bytes so that the prover cases can report peak memory.
#[global_allocator]
static ALLOCATOR: ramjet_bench::memory::CountingAllocator = ramjet_bench::memory::CountingAllocator;

fn main() -> Result<()> {
    let started = Instant::now();
    let args = Args::parse();
    let progress = ramjet_bench::progress_bar();
    let outcome = ramjet_bench::run_and_write(&args, &progress);
    progress.finish_and_clear();
    let (report, paths) = outcome?;

    print!("{}", summary::table(&report));
    let with_target = report.target_outcomes();
    println!(
        "\ntargets reached: {} of {}",
        with_target.iter().filter(|&&r| r).count(),
        with_target.len()
    );
    for note in report.notes.iter().filter(|n| n.starts_with("WARNING")) {
        println!("{note}");
    }
    println!(
        "results: {}, {}, {}",
        paths.json.display(),
        paths.markdown.display(),
        paths.ratio_chart.display()
    );
    println!(
        "elapsed: {}",
        format::seconds(started.elapsed().as_secs_f64())
    );
    Ok(())
}
