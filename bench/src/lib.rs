//! # ramjet-bench: ramjet's backends against what a user would pick instead
//!
//! The `ramjet-bench` runner measures, in one run, each operation of ramjet's accelerator
//! contract on ramjet's backends and on its baselines: ed25519-consensus's batch verifier and an
//! ed25519-dalek `verify_strict` loop, the reference `sha2` and `light-poseidon` Merkle loops,
//! arkworks' MSM and FFT. ramjet's backends are [`ramjet_accel::CpuBackend`] and every device
//! backend [`ramjet_kernels::detect_all`] finds (one per wgpu adapter), each in the cases of the
//! operations it supports; `--no-devices` leaves the devices out, and finding none is no error.
//!
//! Inputs are generated before any timing; in each case the implementations (the CPU backend, the
//! devices, the baselines) run in alternation on the same input, after a warm-up, several times,
//! and the median and minimum are kept. Each row is one ramjet backend against one baseline; its
//! ratio is baseline median / ramjet median. Rows of the CPU backend are compared with ramjet's
//! target where there is one (reported, never asserted); device rows have no target. A
//! CPU-emulated device (Mesa's lavapipe) is labelled `[CPU-emulated]` everywhere: its rows check
//! the GPU kernels' results, and their timings say nothing about a real GPU.
//!
//! The Groth16 prover cases (`--only groth16` selects them alone, `--no-prover` skips them)
//! measure ramjet's prover, on a CPU-only accelerator, against ark-groth16's on the rollup
//! circuit (depth 20 with 2 and 10 transfers: domains of 2^16 and 2^18), with the same keys and
//! the same randomness, in alternation; every proof is checked byte-identical to ark-groth16's
//! and one of each verified. Each row also has both provers' phases (synthesis, witness map,
//! MSMs and assembly), their key setup and preparation times, and the peak heap memory of one
//! proof of each ([`memory`]). The larger case is held to ramjet's target of 1.5× and, for
//! memory, to at most ark-groth16's peak.
//!
//! The proof-of-inference cases (`--only inference`; `--no-prover` skips them too) prove and
//! verify the demo model (64-32-10) and a 784-56-10 MLP with random weights, with ramjet's
//! Groth16 prover and with halo2, each with the weights fixed or hashed: setup, proving and
//! verification time, proof size, the peak heap of a whole prove, and with hashed weights the
//! commitment's cost. The 784-56-10 cases are held to issue 7's targets (reported, never
//! asserted). With `--ezkl PYTHON` (a Python with the `ezkl` package) EZKL, the product people
//! compare with, proves the same model files on the same inputs in the same run
//! (`bench/ezkl/prove.py`), and the notes give ramjet's ratios against it.
//!
//! The library holds the pieces so that tests can drive them:
//! - [`plan`]: size presets (`full`, `--quick`, a hidden `smoke`), cases and targets;
//! - [`backends`]: the ramjet backends of a run and their labels;
//! - [`measure`]: alternating timing, median and minimum;
//! - [`memory`]: peak heap bytes, by a counting allocator the binary installs;
//! - [`report`]: the result rows (operations and prover), ratios and notes;
//! - [`machine`]: CPU, memory, OS, git commit and timestamp;
//! - [`output`]: `results.json`, `results.md`, `ratios.svg` and the stdout summary;
//! - [`run`], [`run_on`] and [`run_and_write`]: a whole run.
//!
//! The `ops` criterion bench (`cargo bench -p ramjet-bench`) measures the CPU backend against the
//! same baselines at modest sizes, for day-to-day regression tracking.

pub mod backends;
pub mod cli;
mod error;
pub mod machine;
pub mod measure;
pub mod memory;
pub mod output;
pub mod plan;
pub mod report;
mod workloads;

use std::time::{Duration, Instant};

pub use error::{BenchError, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ramjet_kernels::Detection;

use crate::cli::Args;
use crate::machine::{Commit, Machine};
use crate::output::OutputPaths;
use crate::plan::{Preset, Subject};
use crate::report::Report;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Sizes and repeat counts.
    pub preset: Preset,
    /// Only these operations and/or the prover cases, if given.
    pub only: Option<Vec<Subject>>,
    /// Measured runs per implementation, instead of the preset's.
    pub repeats: Option<usize>,
    /// Whether to detect and measure device backends besides the CPU backend.
    pub devices: bool,
    /// Whether to run the Groth16 prover cases (when `only` selects them or is `None`).
    pub prover: bool,
    /// A Python interpreter with the `ezkl` package: EZKL is then run on the proof-of-inference
    /// models as their baseline.
    pub ezkl: Option<std::path::PathBuf>,
}

impl RunConfig {
    /// The operation cases this run measures.
    pub fn cases(&self) -> Vec<plan::Case> {
        plan::cases(self.preset, self.only.as_deref(), self.repeats)
    }

    /// The prover cases this run measures: none when `prover` is off.
    pub fn prover_cases(&self) -> Vec<plan::ProverCase> {
        if !self.prover {
            return Vec::new();
        }
        plan::prover_cases(self.preset, self.only.as_deref(), self.repeats)
    }

    /// The proof-of-inference cases this run measures: none when `prover` is off.
    pub fn inference_cases(&self) -> Vec<plan::InferenceCase> {
        if !self.prover {
            return Vec::new();
        }
        plan::inference_cases(
            self.preset,
            self.only.as_deref(),
            self.repeats,
            self.ezkl.is_some(),
        )
    }
}

impl From<&Args> for RunConfig {
    fn from(args: &Args) -> Self {
        Self {
            preset: args.preset(),
            only: args.only.clone(),
            repeats: args.repeats.map(|r| r as usize),
            devices: !args.no_devices,
            prover: !args.no_prover,
            ezkl: args.ezkl.clone(),
        }
    }
}

/// Runs every case of `config` on the CPU backend and, unless `config.devices` is off, on every
/// device backend [`backends::detect_devices`] finds, then the prover cases, reporting progress
/// on `progress`. Detection notes (why an adapter was skipped, or why there is none) are printed
/// once to stderr. Devices are not looked for when no operation case is to run.
pub fn run(config: &RunConfig, progress: &ProgressBar) -> Result<Report> {
    let detection = if config.devices && !config.cases().is_empty() {
        progress.set_message("looking for device backends");
        backends::detect_devices()
    } else {
        Detection::default()
    };
    if !detection.notes.is_empty() {
        progress.suspend(|| {
            for note in &detection.notes {
                eprintln!("ramjet-bench: devices: {note}");
            }
        });
    }
    run_on(config, detection, progress)
}

/// Runs every case of `config` on the CPU backend and on the device backends of `detection`
/// (ignored when `config.devices` is off), then the prover cases: [`run`] with the detection
/// done by the caller.
pub fn run_on(config: &RunConfig, detection: Detection, progress: &ProgressBar) -> Result<Report> {
    let started = Instant::now();
    let load_average_at_start = machine::load_average();
    let devices = if config.devices {
        detection.backends
    } else {
        Vec::new()
    };
    let lineup = backends::lineup(backends::cpu(), devices);
    let warmups = config.preset.warmups();
    let cases = config.cases();
    let prover_cases = config.prover_cases();
    let inference_cases = config.inference_cases();
    let steps: usize = cases
        .iter()
        .map(|case| workloads::planned_steps(case, &lineup, warmups))
        .chain(
            prover_cases
                .iter()
                .map(|case| workloads::groth16::planned_steps(case, warmups)),
        )
        .chain(
            inference_cases
                .iter()
                .map(|case| workloads::inference::planned_steps(case, warmups)),
        )
        .sum();
    progress.set_length(steps as u64);
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for case in &cases {
        let outcome = workloads::measure_case(&lineup, case, warmups, progress)?;
        rows.extend(outcome.rows);
        warnings.extend(outcome.warnings);
    }
    let mut prover = Vec::new();
    for case in &prover_cases {
        prover.push(workloads::groth16::measure_case(case, warmups, progress)?);
    }
    let mut inference = Vec::new();
    for case in &inference_cases {
        inference.push(workloads::inference::measure_case(
            case,
            warmups,
            config.ezkl.as_deref(),
            progress,
        )?);
    }
    let machine = Machine::detect(lineup[0].info());
    let mut notes = Vec::new();
    if !cases.is_empty() {
        notes.extend(report::notes(&rows, machine.rayon_threads));
    }
    notes.extend(report::prover_notes(&prover, machine.rayon_threads));
    notes.extend(report::inference_notes(&inference));
    if config.ezkl.is_none() && !inference.is_empty() {
        notes.push(
            "inference: EZKL was not run (pass --ezkl PYTHON, a Python with `pip install \
             ezkl==23.0.5 onnx`). Issue 7 quotes it for the 784-56-10 MLP on this 2-core \
             machine: about 4.9 s to prove, 358 MB peak, 0.03 s to verify, a 139 KB proof; \
             those are quoted figures, not measured in this run."
                .to_owned(),
        );
    }
    if !config.prover && Subject::Groth16.selected_by(config.only.as_deref()) {
        notes.push("The Groth16 prover cases were not measured (--no-prover).".to_owned());
    }
    if !config.prover && Subject::Inference.selected_by(config.only.as_deref()) {
        notes.push("The proof-of-inference cases were not measured (--no-prover).".to_owned());
    }
    if cases.is_empty() {
        // No operation case: devices were not looked for, and there is nothing to say of them.
    } else if !config.devices {
        notes.push("Device backends were not measured (--no-devices).".to_owned());
    } else if lineup.len() == 1 {
        let why = if detection.notes.is_empty() {
            "none found".to_owned()
        } else {
            detection.notes.join("; ")
        };
        notes.push(format!("No device backend was measured: {why}."));
    }
    notes.extend(warnings);
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
        devices: lineup
            .iter()
            .filter(|b| b.is_device())
            .map(|b| b.info().clone())
            .collect(),
        rows,
        prover,
        inference,
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
