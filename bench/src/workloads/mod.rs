//! The contenders of each operation: ramjet's CPU backend first, then the baselines a user would
//! pick instead, all over the same inputs, generated before any timing starts.

pub(crate) mod curve;
pub(crate) mod merkle;
pub(crate) mod signatures;

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::Result;
use indicatif::ProgressBar;
use ramjet_accel::{Backend, CpuBackend, Op, inputs};

use crate::measure::{self, Contender};
use crate::plan::{self, Case};
use crate::report::{Row, Timing};

/// Label of ramjet's CPU backend in the results.
pub(crate) const RAMJET_CPU: &str = "ramjet cpu";

/// Seed of every input, so that runs measure the same data.
const SEED: u64 = 0x7a3d_2e1f;

/// How many implementations a case of `op` measures (ramjet included).
pub(crate) fn contender_count(op: Op) -> usize {
    match op {
        Op::Ed25519Verify => 3,
        _ => 2,
    }
}

/// Generates the inputs of `case`, measures every contender and returns one row per baseline.
pub(crate) fn measure_case(
    backend: &CpuBackend,
    case: &Case,
    warmups: usize,
    progress: &ProgressBar,
) -> Result<Vec<Row>> {
    let label = format!("{} {}", case.op, crate::output::format::size(case.size));
    progress.set_message(format!("{label}: generating inputs"));
    let n = case.size;
    let compare = |contenders: Vec<Contender<'_>>| compare(case, contenders, warmups, progress);
    let rows = match case.op {
        Op::Ed25519Verify => {
            let batch = inputs::sig_batch(n, SEED);
            progress.inc(1);
            compare(signatures::contenders(backend, &batch))?
        }
        Op::MerkleSha256 => {
            let leaves = inputs::digests(n, SEED);
            progress.inc(1);
            compare(merkle::sha256(backend, &leaves))?
        }
        Op::MerklePoseidon => {
            let leaves = inputs::scalars(n, SEED);
            progress.inc(1);
            compare(merkle::poseidon(backend, &leaves))?
        }
        Op::MsmG1 => {
            let (bases, scalars) = (inputs::g1_points(n, SEED), inputs::scalars(n, SEED + 1));
            progress.inc(1);
            let ramjet = || backend.msm_g1(ramjet_accel::MsmBases::Host(&bases), &scalars);
            compare(curve::msm(ramjet, &bases, &scalars))?
        }
        Op::MsmG2 => {
            let (bases, scalars) = (inputs::g2_points(n, SEED), inputs::scalars(n, SEED + 1));
            progress.inc(1);
            let ramjet = || backend.msm_g2(ramjet_accel::MsmBases::Host(&bases), &scalars);
            compare(curve::msm(ramjet, &bases, &scalars))?
        }
        Op::Ntt => {
            let values = inputs::scalars(n, SEED);
            progress.inc(1);
            compare(curve::ntt(backend, &values)?)?
        }
    };
    Ok(rows)
}

/// Runs the contenders in alternation and turns their measurements into rows, ramjet against
/// each baseline.
fn compare(
    case: &Case,
    mut contenders: Vec<Contender<'_>>,
    warmups: usize,
    progress: &ProgressBar,
) -> Result<Vec<Row>> {
    let label = format!("{} {}", case.op, crate::output::format::size(case.size));
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
        },
    )?;
    let (ramjet, baselines) = measurements
        .split_first()
        .expect("every case has ramjet and a baseline");
    let ramjet_timing = Timing::from_measurement(ramjet, case.size);
    Ok(baselines
        .iter()
        .map(|baseline| {
            Row::new(
                case.op,
                case.size,
                ramjet_timing.clone(),
                Timing::from_measurement(baseline, case.size),
                plan::target_ratio(case.op, &baseline.implementation),
                ramjet.fingerprint == baseline.fingerprint,
            )
        })
        .collect())
}

/// Runs `op`, timing it alone; the output is returned so that dropping it stays untimed.
pub(crate) fn timed<T>(op: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let output = black_box(op());
    (start.elapsed(), output)
}
