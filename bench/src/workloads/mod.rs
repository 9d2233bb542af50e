//! The contenders of each operation: every ramjet backend that supports it (the CPU backend
//! first, then the devices), then the baselines a user would pick instead, all over the same
//! inputs, generated before any timing starts; and the Groth16 prover cases ([`groth16`]).

pub(crate) mod curve;
pub(crate) mod groth16;
pub(crate) mod inference;
pub(crate) mod merkle;
pub(crate) mod signatures;

use std::hint::black_box;
use std::time::{Duration, Instant};

use ark_bn254::{G1Projective, G2Projective};
use indicatif::ProgressBar;
use ramjet_accel::{Backend, MsmBases, Op, inputs};

use crate::Result;
use crate::backends::RamjetBackend;
use crate::measure::{self, Contender, Sample};
use crate::plan::{self, Case};
use crate::report::{Row, Timing};

/// Seed of every input, so that runs measure the same data.
const SEED: u64 = 0x7a3d_2e1f;

/// How many baselines a case of `op` measures.
fn baseline_count(op: Op) -> usize {
    match op {
        Op::Ed25519Verify => 2,
        _ => 1,
    }
}

/// The rows of one case, and warnings about device backends that failed in it.
#[derive(Debug, Default)]
pub(crate) struct CaseOutcome {
    /// One row per (ramjet backend that completed the case, baseline).
    pub(crate) rows: Vec<Row>,
    /// One `WARNING: ...` note per device backend retired during the case.
    pub(crate) warnings: Vec<String>,
}

/// Progress steps of `case`: input generation, then every run of every contender.
pub(crate) fn planned_steps(case: &Case, lineup: &[RamjetBackend], warmups: usize) -> usize {
    let ramjet_runs: usize = lineup
        .iter()
        .filter(|b| b.supports(case.op))
        .map(|b| warmups + case.repeats_of(b.info()))
        .sum();
    1 + ramjet_runs + baseline_count(case.op) * (warmups + case.repeats)
}

/// Generates the inputs of `case`, measures every ramjet backend of `lineup` that supports the
/// operation and every baseline, and returns one row per (ramjet backend, baseline).
pub(crate) fn measure_case(
    lineup: &[RamjetBackend],
    case: &Case,
    warmups: usize,
    progress: &ProgressBar,
) -> Result<CaseOutcome> {
    let label = format!("{} {}", case.op, crate::output::format::size(case.size));
    progress.set_message(format!("{label}: generating inputs"));
    let n = case.size;
    let ramjets: Vec<&RamjetBackend> = lineup.iter().filter(|b| b.supports(case.op)).collect();
    let compare = |ours, baselines| compare(case, &ramjets, ours, baselines, warmups, progress);
    match case.op {
        Op::Ed25519Verify => {
            let batch = inputs::sig_batch(n, SEED);
            progress.inc(1);
            let ours = ramjet_contenders(&ramjets, case, |backend| {
                signatures::ramjet_verify(backend, &batch)
            });
            compare(ours, signatures::baselines(&batch))
        }
        Op::MerkleSha256 => {
            let leaves = inputs::digests(n, SEED);
            progress.inc(1);
            let ours = ramjet_contenders(&ramjets, case, |backend| {
                merkle::ramjet_sha256(backend, &leaves)
            });
            compare(ours, vec![merkle::sha2_loop(&leaves)])
        }
        Op::MerklePoseidon => {
            let leaves = inputs::scalars(n, SEED);
            progress.inc(1);
            let ours = ramjet_contenders(&ramjets, case, |backend| {
                merkle::ramjet_poseidon(backend, &leaves)
            });
            compare(ours, vec![merkle::light_poseidon_loop(&leaves)])
        }
        Op::MsmG1 => {
            let (bases, scalars) = (inputs::g1_points(n, SEED), inputs::scalars(n, SEED + 1));
            progress.inc(1);
            let (b, s) = (&bases, &scalars);
            let ours = ramjet_contenders(&ramjets, case, |backend| {
                curve::ramjet_msm(move || backend.msm_g1(MsmBases::Host(b), s))
            });
            compare(ours, vec![curve::arkworks_msm::<G1Projective>(b, s)])
        }
        Op::MsmG2 => {
            let (bases, scalars) = (inputs::g2_points(n, SEED), inputs::scalars(n, SEED + 1));
            progress.inc(1);
            let (b, s) = (&bases, &scalars);
            let ours = ramjet_contenders(&ramjets, case, |backend| {
                curve::ramjet_msm(move || backend.msm_g2(MsmBases::Host(b), s))
            });
            compare(ours, vec![curve::arkworks_msm::<G2Projective>(b, s)])
        }
        Op::Ntt => {
            let values = inputs::scalars(n, SEED);
            progress.inc(1);
            let ours = ramjet_contenders(&ramjets, case, |backend| {
                curve::ramjet_ntt(backend, &values)
            });
            compare(ours, vec![curve::arkworks_fft(&values)?])
        }
    }
}

/// One contender per backend of `ramjets`, timing what `run` makes for it. A device backend runs
/// at most the case's `device_repeats` times, and may fail without stopping the case.
fn ramjet_contenders<'a, R>(
    ramjets: &[&'a RamjetBackend],
    case: &Case,
    run: impl Fn(&'a dyn Backend) -> R,
) -> Vec<Contender<'a>>
where
    R: FnMut() -> Result<Sample> + 'a,
{
    ramjets
        .iter()
        .map(|ramjet| {
            let contender = Contender::new(ramjet.label(), run(ramjet.backend()))
                .at_most(case.repeats_of(ramjet.info()));
            if ramjet.is_device() {
                contender.may_fail()
            } else {
                contender
            }
        })
        .collect()
}

/// Runs the contenders in alternation, `ours` (one per backend of `ramjets`, in order) then
/// `baselines`, and turns their measurements into rows: each ramjet backend against each
/// baseline. A retired device backend gives a warning instead of rows.
fn compare(
    case: &Case,
    ramjets: &[&RamjetBackend],
    ours: Vec<Contender<'_>>,
    baselines: Vec<Contender<'_>>,
    warmups: usize,
    progress: &ProgressBar,
) -> Result<CaseOutcome> {
    let label = format!("{} {}", case.op, crate::output::format::size(case.size));
    let mut contenders: Vec<Contender<'_>> = ours.into_iter().chain(baselines).collect();
    let planned: usize = contenders
        .iter()
        .map(|c| warmups + c.repeats(case.repeats))
        .sum();
    let mut done = 0;
    let measurements = measure::alternate(
        &mut contenders,
        warmups,
        case.repeats,
        |implementation, round| {
            let round = match round {
                None => "warm-up".to_owned(),
                Some(r) => format!("run {}/{}", r + 1, case.repeats),
            };
            progress.set_message(format!("{label}: {implementation} ({round})"));
            progress.inc(1);
            done += 1;
        },
    )?;
    // Runs a retired contender did not make still count as steps.
    progress.inc(planned.saturating_sub(done) as u64);
    let (ours, baselines) = measurements.split_at(ramjets.len());
    let mut outcome = CaseOutcome::default();
    for (ramjet, measurement) in ramjets.iter().zip(ours) {
        if let Some(failure) = &measurement.failure {
            outcome.warnings.push(format!(
                "WARNING: {} at {} items: {} was dropped from the case, so it has no row: \
                 {failure}",
                case.op,
                case.size,
                ramjet.label()
            ));
            continue;
        }
        let timing = Timing::from_measurement(measurement, case.size);
        for baseline in baselines {
            outcome.rows.push(Row::new(
                case.op,
                case.size,
                ramjet.info(),
                timing.clone(),
                Timing::from_measurement(baseline, case.size),
                plan::row_target(ramjet.info(), case.op, &baseline.implementation),
                measurement.fingerprint == baseline.fingerprint,
            ));
        }
    }
    Ok(outcome)
}

/// Runs `op`, timing it alone; the output is returned so that dropping it stays untimed.
pub(crate) fn timed<T>(op: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let output = black_box(op());
    (start.elapsed(), output)
}
