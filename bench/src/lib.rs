//! # ramjet-bench: ramjet's CPU backend against what a user would pick instead
//!
//! The `ramjet-bench` runner measures, in one run, each operation of ramjet's accelerator
//! contract on [`ramjet_accel::CpuBackend`] and on its baselines: ed25519-consensus's batch
//! verifier and an ed25519-dalek `verify_strict` loop, the reference `sha2` and `light-poseidon`
//! Merkle loops, arkworks' MSM and FFT. Inputs are generated before any timing; in each case the
//! implementations run in alternation on the same input, after a warm-up, several times, and
//! the median and minimum are kept. The ratio of a row is baseline median / ramjet median, and
//! is compared with ramjet's target where there is one (reported, never asserted).
//!
//! The library holds the pieces so that tests can drive them:
//! - [`plan`]: size presets (`full`, `--quick`, a hidden `smoke`), cases and targets;
//! - [`measure`]: alternating timing, median and minimum;
//! - [`report`]: the result rows, ratios and notes;
//! - [`machine`]: CPU, memory, OS, git commit and timestamp;
//! - [`output`]: `results.json`, `results.md`, `ratios.svg` and the stdout summary;
//! - [`run`] and [`run_and_write`]: a whole run.
//!
//! The `ops` criterion bench (`cargo bench -p ramjet-bench`) measures the same pairs at modest
//! sizes, for day-to-day regression tracking.

pub mod cli;
mod error;
pub mod machine;
pub mod measure;
pub mod output;
pub mod plan;
pub mod report;
mod workloads;

use std::time::{Duration, Instant};

pub use error::{BenchError, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ramjet_accel::{Backend, CpuBackend, Op};

use crate::cli::Args;
use crate::machine::{Commit, Machine};
use crate::output::OutputPaths;
use crate::plan::Preset;
use crate::report::Report;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Sizes and repeat counts.
    pub preset: Preset,
    /// Only these operations, if given.
    pub only: Option<Vec<Op>>,
    /// Measured runs per implementation, instead of the preset's.
    pub repeats: Option<usize>,
}

impl From<&Args> for RunConfig {
    fn from(args: &Args) -> Self {
        Self {
            preset: args.preset(),
            only: args.only.clone(),
            repeats: args.repeats.map(|r| r as usize),
        }
    }
}

/// Runs every case of `config`, reporting progress on `progress`.
pub fn run(config: &RunConfig, progress: &ProgressBar) -> Result<Report> {
    let started = Instant::now();
    let load_average_at_start = machine::load_average();
    let backend = CpuBackend::new();
    let warmups = config.preset.warmups();
    let cases = plan::cases(config.preset, config.only.as_deref(), config.repeats);
    let steps: usize = cases
        .iter()
        .map(|c| 1 + workloads::contender_count(c.op) * (warmups + c.repeats))
        .sum();
    progress.set_length(steps as u64);
    let mut rows = Vec::new();
    for case in &cases {
        rows.extend(workloads::measure_case(&backend, case, warmups, progress)?);
    }
    let machine = Machine::detect(backend.info());
    let mut notes = report::notes(&rows, machine.rayon_threads);
    if let Some(load) = load_average_at_start.filter(|&l| l > 0.5) {
        notes.push(format!(
            "WARNING: the 1-minute load average was {load:.2} when the run started: other \
             processes shared the {} threads, so the timings are noisier than on an idle host.",
            machine.threads
        ));
    }
    Ok(Report {
        mode: config.preset.name().to_owned(),
        timestamp_utc: machine::utc_now(),
        elapsed_s: started.elapsed().as_secs_f64(),
        machine,
        commit: Commit::detect(),
        load_average_at_start,
        rows,
        notes,
    })
}

/// Runs what `args` asks and writes the outputs into `args.out`.
pub fn run_and_write(args: &Args, progress: &ProgressBar) -> Result<(Report, OutputPaths)> {
    let report = run(&RunConfig::from(args), progress)?;
    let paths = output::write_all(&report, &args.out)?;
    Ok((report, paths))
}

/// A progress bar on stderr, showing the case and implementation being run.
pub fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{elapsed_precise:.dim} [{bar:30.cyan/blue}] {pos}/{len} {wide_msg}",
    )
    .expect("valid template")
    .progress_chars("=> ");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
