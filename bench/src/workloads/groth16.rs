//! The Groth16 prover cases: ramjet's prover (on a CPU-only accelerator) against ark-groth16's on
//! the rollup circuit, with the same keys and the same randomness `(r, s)`, in alternation.
//!
//! Per case, untimed: the seeded batch is built and applied, ark-groth16 sets up the keys, ramjet
//! prepares its copy of the proving key. Then the timed proofs alternate, each from a fresh
//! clone of the circuit (made untimed) to the proof, synthesis included. ramjet's key keeps the
//! matrices of its first proof (the warm-up), so its timed proofs synthesize the assignment
//! alone, as they would in a prover that proves batch after batch with one key; its first proof
//! with a fresh key is timed apart. After them, untimed or
//! apart: one instrumented ark-groth16 proof for its phases, a verification of each prover's
//! proof, and one proof of each under [`memory::peak_during`].

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_groth16::{Groth16, Proof, ProvingKey, prepare_verifying_key};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, R1CS_PREDICATE_LABEL,
    SynthesisError, SynthesisMode,
};
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use indicatif::ProgressBar;
use ramjet_accel::Accelerator;
use ramjet_prover::groth16::{Phase, ProofTimings, Prover};
use ramjet_prover::rollup::{RollupCircuit, demo};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::timed;
use crate::measure::{self, Contender, Sample};
use crate::memory;
use crate::plan::ProverCase;
use crate::report::{PhaseBreakdown, PhaseTime, ProverRow, Timing, phase};
use crate::{BenchError, Result};

/// ramjet's prover on a CPU-only accelerator.
pub(crate) const RAMJET: &str = "ramjet groth16 (cpu)";

/// ark-groth16's prover with libsnark's reduction (its default).
pub(crate) const ARK: &str = "ark-groth16";

/// ark-groth16 as `Groth16::<Bn254>` is: libsnark's R1CS-to-QAP reduction.
type ArkGroth16 = Groth16<Bn254, LibsnarkReduction>;

/// Progress steps of a case: the batch, the setup, the preparation, every proof of the
/// alternation, the instrumented ark-groth16 proof, the verification and the two memory proofs.
pub(crate) fn planned_steps(case: &ProverCase, warmups: usize) -> usize {
    3 + 2 * (warmups + case.repeats) + 1 + 1 + 2
}

/// Measures `case`: see the module documentation.
pub(crate) fn measure_case(
    case: &ProverCase,
    warmups: usize,
    progress: &ProgressBar,
) -> Result<ProverRow> {
    let label = case.label();
    let message = |what: &str| progress.set_message(format!("groth16 {label}: {what}"));

    message("building and applying the batch");
    let (state, batch) = demo::random_batch(case.depth, case.transfers, case.seed())?;
    let applied = state.apply(&batch)?;
    let circuit = RollupCircuit::from_applied(&applied);
    let public_inputs = applied.public_inputs.to_vec();
    drop((state, batch, applied));
    progress.inc(1);

    message("ark-groth16 key setup");
    let mut rng = ChaCha20Rng::seed_from_u64(case.seed());
    let blank = RollupCircuit::blank(case.depth, case.transfers)?;
    let start = Instant::now();
    let (pk, vk) = ArkGroth16::circuit_specific_setup(blank, &mut rng).map_err(ark_error)?;
    let setup_s = start.elapsed().as_secs_f64();
    let domain_size = pk.h_query.len() + 1;
    progress.inc(1);

    message("ramjet key preparation");
    let prover = Prover::new(Arc::new(Accelerator::cpu_only()));
    let ramjet_pk = pk.clone();
    let start = Instant::now();
    let key = prover.prepare(ramjet_pk)?;
    let prepare_s = start.elapsed().as_secs_f64();
    progress.inc(1);

    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));

    // The timed proofs. ramjet's call is `prove_timed`, which `prove_with_randomness` wraps, so
    // that each run's phases are kept; both closures keep their last proof for verification.
    let ramjet_runs: RefCell<Vec<ProofTimings>> = RefCell::new(Vec::new());
    let ramjet_proof: RefCell<Option<Proof<Bn254>>> = RefCell::new(None);
    let ark_proof: RefCell<Option<Proof<Bn254>>> = RefCell::new(None);
    let mut contenders = [
        Contender::new(RAMJET, || {
            let circuit = circuit.clone();
            let (elapsed, proved) = timed(|| prover.prove_timed(&key, circuit, r, s));
            let (proof, timings) = proved?;
            ramjet_runs.borrow_mut().push(timings);
            let fingerprint = fingerprint(&proof);
            *ramjet_proof.borrow_mut() = Some(proof);
            Ok(Sample {
                elapsed,
                fingerprint,
            })
        }),
        Contender::new(ARK, || {
            let circuit = circuit.clone();
            let (elapsed, proved) =
                timed(|| ArkGroth16::create_proof_with_reduction(circuit, &pk, r, s));
            let proof = proved.map_err(ark_error)?;
            let fingerprint = fingerprint(&proof);
            *ark_proof.borrow_mut() = Some(proof);
            Ok(Sample {
                elapsed,
                fingerprint,
            })
        }),
    ];
    let measurements = measure::alternate(&mut contenders, warmups, case.repeats, |who, round| {
        let round = match round {
            None => "warm-up".to_owned(),
            Some(r) => format!("run {}/{}", r + 1, case.repeats),
        };
        message(&format!("{who} ({round})"));
        progress.inc(1);
    })?;
    drop(contenders);
    let [ramjet, ark] = &measurements[..] else {
        unreachable!("two contenders give two measurements");
    };
    let ramjet_runs = ramjet_runs.into_inner();
    let ramjet_phases = ramjet_breakdown(&ramjet_runs[warmups..], &ramjet.samples);
    let mut proofs_identical = ramjet.fingerprint == ark.fingerprint;

    message("ark-groth16 proof in phases");
    let (ark_phases, constraints, broken_down) = ark_breakdown(circuit.clone(), &pk, r, s)?;
    proofs_identical &= fingerprint(&broken_down) == ark.fingerprint;
    progress.inc(1);

    message("verifying");
    let pvk = prepare_verifying_key(&vk);
    for (implementation, proof) in [(RAMJET, ramjet_proof), (ARK, ark_proof)] {
        let proof = proof
            .into_inner()
            .expect("every contender ran at least once");
        let valid = ArkGroth16::verify_proof(&pvk, &proof, &public_inputs).map_err(ark_error)?;
        if !valid {
            return Err(BenchError::ProofRejected {
                case: format!("Groth16 {label}"),
                implementation: implementation.to_owned(),
            });
        }
    }
    progress.inc(1);

    // ramjet's key keeps the matrices of its first proof, and later proofs synthesize the
    // assignment alone. Its memory figure is the worse of (a) the first proof with a fresh key
    // and (b) a later proof plus what the key kept; its first proof is timed here too.
    message("peak memory of ramjet proofs (a fresh key: first proof, then a later one)");
    let fresh_key = prover.prepare(pk.clone())?;
    let before_first = memory::live_bytes();
    let fresh = circuit.clone();
    let started = Instant::now();
    let (proof, first_peak) =
        memory::peak_during(|| prover.prove_with_randomness(&fresh_key, fresh, r, s));
    let ramjet_first_proof_s = started.elapsed().as_secs_f64();
    proofs_identical &= fingerprint(&proof?) == ark.fingerprint;
    let ramjet_kept_bytes = before_first
        .zip(memory::live_bytes())
        .map(|(before, after)| after.saturating_sub(before));
    let fresh = circuit.clone();
    let (proof, later_peak) =
        memory::peak_during(|| prover.prove_with_randomness(&fresh_key, fresh, r, s));
    proofs_identical &= fingerprint(&proof?) == ark.fingerprint;
    drop(fresh_key);
    let ramjet_peak_bytes = first_peak
        .zip(later_peak)
        .zip(ramjet_kept_bytes)
        .map(|((first, later), kept)| first.max(kept + later));
    progress.inc(1);
    message("peak memory of an ark-groth16 proof");
    let fresh = circuit.clone();
    let (proof, ark_peak_bytes) =
        memory::peak_during(|| ArkGroth16::create_proof_with_reduction(fresh, &pk, r, s));
    proofs_identical &= fingerprint(&proof.map_err(ark_error)?) == ark.fingerprint;
    progress.inc(1);

    let ramjet = Timing::from_measurement(ramjet, 1);
    let ark = Timing::from_measurement(ark, 1);
    let ratio = ark.median_s / ramjet.median_s;
    Ok(ProverRow {
        case: label,
        depth: case.depth,
        transfers: case.transfers,
        constraints,
        domain_size,
        setup_s,
        prepare_s,
        ramjet,
        ark,
        ratio,
        target: case.target,
        reached: case.target.map(|t| ratio >= t),
        proofs_identical,
        verified: true,
        ramjet_phases,
        ark_phases,
        ramjet_first_proof_s,
        ramjet_kept_bytes,
        ramjet_peak_bytes,
        ark_peak_bytes,
        memory_reached: ramjet_peak_bytes
            .zip(ark_peak_bytes)
            .map(|(ours, ark)| ours <= ark),
    })
}

/// The phases of the measured run of median time (the lower middle one for an even count):
/// `runs[i]` are the timings of the run that took `samples[i]`.
fn ramjet_breakdown(runs: &[ProofTimings], samples: &[Duration]) -> PhaseBreakdown {
    let mut order: Vec<usize> = (0..samples.len()).collect();
    order.sort_by_key(|&i| samples[i]);
    let median = order[(order.len() - 1) / 2];
    let timings = &runs[median];
    let part = |p: Phase, of: &str| PhaseTime {
        phase: p.name().to_owned(),
        seconds: timings.of(p).unwrap_or_default().as_secs_f64(),
        part_of: Some(of.to_owned()),
    };
    let msms_and_assembly = timings.msm_total() + timings.assembly;
    let mut phases = vec![
        top(phase::SYNTHESIS, timings.synthesis.unwrap_or_default()),
        top(phase::WITNESS_MAP, timings.witness_map),
        part(Phase::Ntt, phase::WITNESS_MAP),
        top(phase::MSMS_AND_ASSEMBLY, msms_and_assembly),
    ];
    phases.extend(
        [
            Phase::MsmA,
            Phase::MsmBG1,
            Phase::MsmBG2,
            Phase::MsmL,
            Phase::MsmH,
        ]
        .into_iter()
        .filter(|&p| timings.of(p).is_some())
        .map(|p| part(p, phase::MSMS_AND_ASSEMBLY)),
    );
    phases.push(part(Phase::Assembly, phase::MSMS_AND_ASSEMBLY));
    PhaseBreakdown {
        source: format!(
            "prove_timed's own timings of the measured run of median time (run {} of {})",
            median + 1,
            samples.len()
        ),
        total_s: timings.total.as_secs_f64(),
        phases,
    }
}

/// One ark-groth16 proof of `circuit` made of ark-groth16's public pieces, each timed:
/// synthesis as `create_proof_with_reduction` does it, with the matrices and the full assignment
/// taken out; `LibsnarkReduction::witness_map_from_matrices` alone; then
/// `create_proof_with_reduction_and_matrices`, which repeats the witness map before the MSMs and
/// the assembly. Returns the phases, the number of constraints and the proof.
fn ark_breakdown(
    circuit: RollupCircuit,
    pk: &ProvingKey<Bn254>,
    r: Fr,
    s: Fr,
) -> Result<(PhaseBreakdown, usize, Proof<Bn254>)> {
    let start = Instant::now();
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: false,
    });
    circuit
        .generate_constraints(cs.clone())
        .map_err(ark_error)?;
    cs.finalize();
    let matrices = cs
        .to_matrices()
        .map_err(ark_error)?
        .remove(R1CS_PREDICATE_LABEL)
        .ok_or_else(|| ark_error(SynthesisError::PredicateNotFound))?;
    let num_inputs = cs.num_instance_variables();
    let num_constraints = cs.num_constraints();
    let assignment = [
        cs.instance_assignment().map_err(ark_error)?,
        cs.witness_assignment().map_err(ark_error)?,
    ]
    .concat();
    let synthesis = start.elapsed();

    let start = Instant::now();
    let h = LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
        &matrices,
        num_inputs,
        num_constraints,
        &assignment,
    )
    .map_err(ark_error)?;
    let witness_map = start.elapsed();
    drop(h);

    let start = Instant::now();
    let proof = ArkGroth16::create_proof_with_reduction_and_matrices(
        pk,
        r,
        s,
        &matrices,
        num_inputs,
        num_constraints,
        &assignment,
    )
    .map_err(ark_error)?;
    let rest = start.elapsed();
    drop(cs);

    // The witness map measured alone can only exceed the call that repeats it by noise; capped,
    // so that the phases still add up to the total.
    let witness_map = witness_map.min(rest);
    let breakdown = PhaseBreakdown {
        source: "one instrumented proof after the timed runs: synthesis (with to_matrices and \
                 the assignment), witness_map_from_matrices alone, and \
                 create_proof_with_reduction_and_matrices minus that witness map"
            .to_owned(),
        total_s: (synthesis + rest).as_secs_f64(),
        phases: vec![
            top(phase::SYNTHESIS, synthesis),
            top(phase::WITNESS_MAP, witness_map),
            top(phase::MSMS_AND_ASSEMBLY, rest - witness_map),
        ],
    };
    Ok((breakdown, num_constraints, proof))
}

/// A top-level phase.
fn top(name: &str, duration: Duration) -> PhaseTime {
    PhaseTime {
        phase: name.to_owned(),
        seconds: duration.as_secs_f64(),
        part_of: None,
    }
}

/// The proof's compressed canonical bytes, in hex: equal strings are byte-identical proofs.
fn fingerprint(proof: &Proof<Bn254>) -> String {
    let mut bytes = Vec::new();
    proof
        .serialize_compressed(&mut bytes)
        .expect("a proof serializes into a Vec");
    hex::encode(bytes)
}

/// An error of ark-groth16 (or of its constraint system) as the run's error.
fn ark_error(error: SynthesisError) -> BenchError {
    BenchError::Baseline {
        implementation: ARK.to_owned(),
        reason: error.to_string(),
    }
}
