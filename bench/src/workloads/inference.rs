//! The proof-of-inference cases: a model proved with ramjet's Groth16 prover or with halo2, with
//! fixed or hashed weights, on the demo model and on a 784-56-10 MLP.
//!
//! Per case, in order:
//! 1. untimed: the model is built and quantised at `2^7`, the input quantised;
//! 2. the setup, timed once, with its peak heap: Groth16 `circuit_specific_setup` (seeded) and
//!    ramjet's key preparation; halo2 `Params::new(k)`, `keygen_vk` and `keygen_pk` (with the
//!    hashed binding of the model's circuit: the same keys as its zero-weight model's);
//! 3. the proofs, `warmups + repeats` of them, each timed from the circuit with its witness to
//!    the proof (synthesis included; Groth16 with a fresh seeded `(r, s)` per case);
//! 4. the peak heap and the time of a **whole prove** as `ramjet infer prove` does it: Groth16
//!    reads the proving key (from bytes made before, so the bytes are not counted, as a file's
//!    would not be), prepares it and proves (the key's first proof, which synthesizes the
//!    circuit's matrices: the timed proofs of step 3 reuse them, as a prover proving input
//!    after input with one key does); halo2 regenerates its parameters and keys from the model
//!    and proves;
//! 5. the verifications, `warmups + repeats`, each timed alone (Groth16: ark-groth16 with the
//!    prepared verifying key, the public inputs' MSM included; halo2: `verify_proof`); every
//!    proof of the case must verify, or the run stops;
//! 6. with the hashed binding, the native Poseidon commitment to the weights, timed, and the
//!    circuit's size beyond the fixed binding's (Groth16 constraints, halo2 rows and `k`).

mod ezkl;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::{Groth16, Proof, ProvingKey, prepare_verifying_key};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, SynthesisError, SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use indicatif::ProgressBar;
use ramjet_accel::Accelerator;
use ramjet_prover::groth16::Prover;
use ramjet_prover::inference::circuit::count_constraints;
use ramjet_prover::inference::halo2::{self as h2, Design};
use ramjet_prover::inference::hashed::{HashedInferenceCircuit, WeightWidths, weights_commitment};
use ramjet_prover::inference::{
    InferenceCircuit, IoVisibility, LoadedModel, QuantParams, QuantisedLayer, QuantisedModel, demo,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::timed;
use crate::measure::{self, Contender, Sample};
use crate::memory;
use crate::plan::{InferenceBinding, InferenceCase, InferenceModel, InferenceSystem};
use crate::report::{CommitmentCost, InferenceRow, Timing};
use crate::{BenchError, Result};

/// Progress steps of a case: the model, the setup, every proof, the memory proof, every
/// verification, the commitment.
pub(crate) fn planned_steps(case: &InferenceCase, warmups: usize) -> usize {
    2 + 2 * (warmups + case.repeats) + 2
}

/// The ONNX file of `model` and its float input: the same for every system of a run.
pub(super) fn onnx_and_input(model: InferenceModel) -> Result<(Vec<u8>, Vec<f64>)> {
    Ok(match model {
        InferenceModel::Digits => (demo::DIGITS_ONNX.to_vec(), demo::digits_input()?),
        InferenceModel::Mlp784 => (
            demo::random_mlp_onnx(&[784, 56, 10], MLP_SEED)?,
            demo::random_input(784, MLP_SEED + 1),
        ),
    })
}

/// The seed of the 784-56-10 MLP's weights and input.
const MLP_SEED: u64 = 0x6d6c_7037_3834;

/// The quantised model of `case` and its quantised input.
fn model_and_input(case: &InferenceCase) -> Result<(Arc<QuantisedModel>, Vec<i64>)> {
    let (onnx, input) = onnx_and_input(case.model)?;
    let loaded = LoadedModel::from_onnx(&onnx, QuantParams::default())?;
    let input = loaded.quantised.quantise_input(&input)?;
    Ok((loaded.quantised, input))
}

/// Measures `case`: see the module documentation.
pub(crate) fn measure_case(
    case: &InferenceCase,
    warmups: usize,
    ezkl_python: Option<&Path>,
    progress: &ProgressBar,
) -> Result<InferenceRow> {
    let label = case.label();
    let message = |what: &str| progress.set_message(format!("inference {label}: {what}"));
    message("building and quantising the model");
    let (model, input) = model_and_input(case)?;
    progress.inc(1);
    let measured = match case.system {
        InferenceSystem::Groth16 => groth16(case, &model, &input, warmups, &message, progress)?,
        InferenceSystem::Halo2 => halo2(case, &model, &input, warmups, &message, progress)?,
        InferenceSystem::Ezkl => {
            let python = ezkl_python.expect("EZKL cases are planned only with a Python");
            let measured = ezkl::measure(case, python, &message)?;
            progress.inc((planned_steps(case, warmups) - 2) as u64);
            measured
        }
    };
    let commitment = if case.binding == InferenceBinding::Hashed {
        message("the commitment's cost");
        Some(commitment_cost(case, &model, &measured)?)
    } else {
        None
    };
    let mut row = InferenceRow {
        case: label.clone(),
        model: case.model.label().to_owned(),
        system: case.system,
        binding: case.binding,
        inputs: model.input_len,
        outputs: model.output_len(),
        parameters: parameters(&model),
        constraints: measured.constraints,
        halo2_rows: measured.halo2_rows,
        halo2_k: measured.halo2_k,
        setup_s: measured.setup_s,
        setup_peak_bytes: measured.setup_peak_bytes,
        prove: measured.prove,
        verify: measured.verify,
        proof_bytes: measured.proof_bytes,
        prove_peak_bytes: measured.prove_peak_bytes,
        whole_prove_s: measured.whole_prove_s,
        commitment,
        proof_file_bytes: measured.proof_file_bytes,
        peak_is_rss: case.system == InferenceSystem::Ezkl,
        targets: case.targets(),
        reached: Vec::new(),
    };
    progress.inc(1);
    row.reached = crate::report::inference_outcomes(&row);
    Ok(row)
}

/// What the hashed binding's commitment costs `model` with `case`'s system: the circuit's size
/// against the fixed binding's, and the native commitment's time.
fn commitment_cost(
    case: &InferenceCase,
    model: &Arc<QuantisedModel>,
    measured: &Measured,
) -> Result<CommitmentCost> {
    let widths = WeightWidths::fitting(model);
    Ok(match case.system {
        InferenceSystem::Halo2 => {
            let (elapsed, commitment) = timed(|| h2::hashed::weights_commitment(model, widths));
            commitment?;
            let fixed = Design::fixed(IoVisibility::PUBLIC);
            CommitmentCost::Halo2 {
                rows: measured.halo2_rows.unwrap_or_default(),
                k: measured.halo2_k.unwrap_or_default(),
                fixed_rows: fixed.rows(model)?,
                fixed_k: fixed.k(model)?,
                native_s: elapsed.as_secs_f64(),
            }
        }
        _ => {
            let (elapsed, commitment) = timed(|| weights_commitment(model, widths));
            commitment?;
            let fixed = count_constraints(model)?;
            let products = products(model);
            let total = measured.constraints.unwrap_or_default();
            CommitmentCost::Groth16 {
                constraints: total.saturating_sub(fixed + products),
                products,
                fixed_circuit_constraints: fixed,
                native_s: elapsed.as_secs_f64(),
            }
        }
    })
}

/// What one system's measurement gives.
pub(super) struct Measured {
    constraints: Option<usize>,
    halo2_rows: Option<usize>,
    halo2_k: Option<u32>,
    setup_s: f64,
    setup_peak_bytes: Option<u64>,
    prove: Timing,
    verify: Timing,
    proof_bytes: usize,
    prove_peak_bytes: Option<u64>,
    whole_prove_s: f64,
    proof_file_bytes: Option<usize>,
}

/// The circuit of a Groth16 case: fixed or hashed weights.
#[derive(Clone)]
enum Circuit {
    Fixed(InferenceCircuit),
    Hashed(HashedInferenceCircuit),
}

impl Circuit {
    fn blank(case: &InferenceCase, model: &Arc<QuantisedModel>) -> Result<Self> {
        Ok(match case.binding {
            InferenceBinding::Fixed => Circuit::Fixed(InferenceCircuit::blank(Arc::clone(model))),
            InferenceBinding::Hashed => Circuit::Hashed(HashedInferenceCircuit::blank(
                Arc::clone(model),
                WeightWidths::fitting(model),
            )?),
        })
    }

    fn with_input(
        case: &InferenceCase,
        model: &Arc<QuantisedModel>,
        input: &[i64],
    ) -> Result<Self> {
        Ok(match case.binding {
            InferenceBinding::Fixed => {
                Circuit::Fixed(InferenceCircuit::new(Arc::clone(model), input.to_vec())?)
            }
            InferenceBinding::Hashed => Circuit::Hashed(HashedInferenceCircuit::new(
                Arc::clone(model),
                WeightWidths::fitting(model),
                input.to_vec(),
            )?),
        })
    }

    fn public_inputs(&self) -> Result<Vec<Fr>> {
        let public = match self {
            Circuit::Fixed(c) => c.public_inputs()?,
            Circuit::Hashed(c) => c.public_inputs()?,
        };
        Ok(public.expect("a circuit with its input has public inputs"))
    }
}

impl ConstraintSynthesizer<Fr> for Circuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        match self {
            Circuit::Fixed(c) => c.generate_constraints(cs),
            Circuit::Hashed(c) => c.generate_constraints(cs),
        }
    }
}

fn groth16(
    case: &InferenceCase,
    model: &Arc<QuantisedModel>,
    input: &[i64],
    warmups: usize,
    message: &dyn Fn(&str),
    progress: &ProgressBar,
) -> Result<Measured> {
    let label = case.label();
    let blank = Circuit::blank(case, model)?;
    let constraints = count(blank.clone())?;
    message(&format!("Groth16 setup ({constraints} constraints)"));
    let mut rng = ChaCha20Rng::seed_from_u64(case.seed());
    let prover = Prover::new(Arc::new(Accelerator::cpu_only()));
    let started = Instant::now();
    let (setup, setup_peak_bytes) = memory::peak_during(|| -> Result<_> {
        let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(blank, &mut rng)
            .map_err(|e| prover_error(&label, e))?;
        let key = prover.prepare(pk.clone())?;
        Ok((pk, vk, key))
    });
    let (pk, vk, key) = setup?;
    let setup_s = started.elapsed().as_secs_f64();
    progress.inc(1);

    let circuit = Circuit::with_input(case, model, input)?;
    let public = circuit.public_inputs()?;
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let mut last: Option<Proof<Bn254>> = None;
    let prove = {
        let mut contenders = [Contender::new("ramjet groth16 (cpu)", || {
            let circuit = circuit.clone();
            let (elapsed, proof) = timed(|| prover.prove_with_randomness(&key, circuit, r, s));
            let proof = proof?;
            let fingerprint = fingerprint(&proof);
            last = Some(proof);
            Ok(Sample {
                elapsed,
                fingerprint,
            })
        })];
        one(
            &mut contenders,
            warmups,
            case.repeats,
            "proving",
            message,
            progress,
        )?
    };
    let proof = last.expect("at least one proof was made");

    message("peak heap of a whole prove (key read and prepared, proof made)");
    let mut key_bytes = Vec::new();
    pk.serialize_uncompressed(&mut key_bytes)
        .expect("a key serializes into a Vec");
    drop((pk, key));
    let fresh = circuit.clone();
    let started = Instant::now();
    let (whole, prove_peak_bytes) = memory::peak_during(|| -> Result<Proof<Bn254>> {
        let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(&key_bytes[..])
            .map_err(|e| prover_error(&label, e))?;
        let key = prover.prepare(pk)?;
        Ok(prover.prove_with_randomness(&key, fresh, r, s)?)
    });
    let whole_prove_s = started.elapsed().as_secs_f64();
    if fingerprint(&whole?) != fingerprint(&proof) {
        return Err(BenchError::Unstable {
            implementation: format!("{label}: ramjet groth16"),
            now: "a different proof".into(),
            before: "the timed runs' proof, with the same key and (r, s)".into(),
        });
    }
    drop(key_bytes);
    progress.inc(1);

    let pvk = prepare_verifying_key(&vk);
    let verify = {
        let mut contenders = [Contender::new("ark-groth16 verify", || {
            let (elapsed, valid) =
                timed(|| Groth16::<Bn254>::verify_with_processed_vk(&pvk, &public, &proof));
            match valid {
                Ok(true) => Ok(Sample {
                    elapsed,
                    fingerprint: "valid".into(),
                }),
                _ => Err(rejected(&label, "ramjet groth16")),
            }
        })];
        one(
            &mut contenders,
            warmups,
            case.repeats,
            "verifying",
            message,
            progress,
        )?
    };
    let mut proof_bytes = Vec::new();
    proof
        .serialize_compressed(&mut proof_bytes)
        .expect("a proof serializes into a Vec");
    Ok(Measured {
        constraints: Some(constraints),
        halo2_rows: None,
        halo2_k: None,
        setup_s,
        setup_peak_bytes,
        prove,
        verify,
        proof_bytes: proof_bytes.len(),
        prove_peak_bytes,
        whole_prove_s,
        proof_file_bytes: None,
    })
}

fn halo2(
    case: &InferenceCase,
    model: &Arc<QuantisedModel>,
    input: &[i64],
    warmups: usize,
    message: &dyn Fn(&str),
    progress: &ProgressBar,
) -> Result<Measured> {
    let label = case.label();
    let design = match case.binding {
        InferenceBinding::Fixed => Design::fixed(IoVisibility::PUBLIC),
        InferenceBinding::Hashed => {
            Design::hashed(WeightWidths::fitting(model), IoVisibility::PUBLIC)
        }
    };
    let (k, rows) = (design.k(model)?, design.rows(model)?);
    message(&format!("halo2 parameters and keys ({rows} rows, k = {k})"));
    let started = Instant::now();
    let (setup, setup_peak_bytes) = memory::peak_during(|| -> Result<_> {
        let params = h2::params(k);
        let pk = design.proving_key(&params, model)?;
        Ok((params, pk))
    });
    let (params, pk) = setup?;
    let setup_s = started.elapsed().as_secs_f64();
    progress.inc(1);

    let mut last = None;
    let prove = {
        let mut contenders = [Contender::new("halo2_proofs (IPA, Pasta)", || {
            let (elapsed, proof) = timed(|| design.prove(&params, &pk, model, input.to_vec()));
            let proof = proof?;
            // The proofs are randomised: what must not change is the proved output.
            let fingerprint = format!("{:?}", proof.output);
            last = Some(proof);
            Ok(Sample {
                elapsed,
                fingerprint,
            })
        })];
        one(
            &mut contenders,
            warmups,
            case.repeats,
            "proving",
            message,
            progress,
        )?
    };
    let proof = last.expect("at least one proof was made");

    message("peak heap of a whole prove (parameters and keys regenerated, proof made)");
    let started = Instant::now();
    let (whole, prove_peak_bytes) = memory::peak_during(|| -> Result<_> {
        let params = h2::params(k);
        let pk = design.proving_key(&params, model)?;
        Ok(design.prove(&params, &pk, model, input.to_vec())?)
    });
    let whole_prove_s = started.elapsed().as_secs_f64();
    whole?;
    progress.inc(1);

    let vk = pk.get_vk();
    let verify = {
        let mut contenders = [Contender::new("halo2_proofs verify", || {
            let (elapsed, verdict) =
                timed(|| h2::verify_instance(&params, vk, &proof.instance, &proof.bytes));
            verdict.map_err(|_| rejected(&label, "halo2"))?;
            Ok(Sample {
                elapsed,
                fingerprint: "valid".into(),
            })
        })];
        one(
            &mut contenders,
            warmups,
            case.repeats,
            "verifying",
            message,
            progress,
        )?
    };
    Ok(Measured {
        constraints: None,
        halo2_rows: Some(rows),
        halo2_k: Some(k),
        setup_s,
        setup_peak_bytes,
        prove,
        verify,
        proof_bytes: proof.bytes.len(),
        prove_peak_bytes,
        whole_prove_s,
        proof_file_bytes: None,
    })
}

/// Runs one contender `warmups + repeats` times and summarises its samples.
fn one(
    contenders: &mut [Contender<'_>; 1],
    warmups: usize,
    repeats: usize,
    what: &str,
    message: &dyn Fn(&str),
    progress: &ProgressBar,
) -> Result<Timing> {
    let measurements = measure::alternate(contenders, warmups, repeats, |_, round| {
        match round {
            None => message(&format!("{what} (warm-up)")),
            Some(r) => message(&format!("{what} ({}/{repeats})", r + 1)),
        }
        progress.inc(1);
    })?;
    Ok(Timing::from_measurement(&measurements[0], 1))
}

/// Number of R1CS constraints of `circuit`.
fn count(circuit: Circuit) -> Result<usize> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    circuit
        .generate_constraints(cs.clone())
        .map_err(ramjet_prover::ProverError::from)?;
    Ok(cs.num_constraints())
}

/// Weights and biases of the model.
fn parameters(model: &QuantisedModel) -> usize {
    model
        .layers
        .iter()
        .map(|layer| match layer {
            QuantisedLayer::Dense { weights, bias, .. } => weights.len() + bias.len(),
            QuantisedLayer::Bias(bias) => bias.len(),
            QuantisedLayer::Relu => 0,
        })
        .sum()
}

/// Products `w·x` of the dense layers: one constraint each when the weights are witnesses.
fn products(model: &QuantisedModel) -> usize {
    model
        .layers
        .iter()
        .map(|layer| match layer {
            QuantisedLayer::Dense { weights, .. } => weights.len(),
            _ => 0,
        })
        .sum()
}

/// The proof's compressed bytes in hex: the same key, circuit and `(r, s)` give the same proof.
fn fingerprint(proof: &Proof<Bn254>) -> String {
    let mut bytes = Vec::new();
    proof
        .serialize_compressed(&mut bytes)
        .expect("a proof serializes into a Vec");
    hex::encode(bytes)
}

fn prover_error(case: &str, error: impl std::fmt::Display) -> BenchError {
    BenchError::Baseline {
        implementation: format!("ark-groth16 ({case})"),
        reason: error.to_string(),
    }
}

fn rejected(case: &str, implementation: &str) -> BenchError {
    BenchError::ProofRejected {
        case: format!("inference {case}"),
        implementation: implementation.to_owned(),
    }
}
