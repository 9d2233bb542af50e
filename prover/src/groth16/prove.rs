//! The prover: synthesis, witness map, five MSMs and assembly, each phase timed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::{UniformRand, Zero};
use ark_groth16::{Proof, ProvingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ramjet_accel::Accelerator;
use rand::{CryptoRng, RngCore};

use super::{PreparedKey, ProofTimings, ProverMetrics, SynthesizedCircuit, witness_map};
use crate::Result;

/// A Groth16/BN254 prover whose NTTs and MSMs run on an [`Accelerator`].
///
/// Cheap to share: it holds the accelerator behind an `Arc` and, optionally, the metrics; every
/// method takes `&self`. Keys are prepared once ([`prepare`](Self::prepare)) and reused.
#[derive(Clone)]
pub struct Prover {
    accel: Arc<Accelerator>,
    metrics: Option<ProverMetrics>,
}

impl std::fmt::Debug for Prover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prover")
            .field("metrics", &self.metrics.is_some())
            .finish_non_exhaustive()
    }
}

impl Prover {
    /// A prover on `accel`, without metrics.
    pub fn new(accel: Arc<Accelerator>) -> Self {
        Self {
            accel,
            metrics: None,
        }
    }

    /// Records every proof in `metrics` (see [`ProverMetrics::register`]).
    pub fn with_metrics(mut self, metrics: ProverMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The accelerator.
    pub fn accelerator(&self) -> &Arc<Accelerator> {
        &self.accel
    }

    /// Prepares `pk` on this prover's accelerator ([`PreparedKey::new`]).
    pub fn prepare(&self, pk: ProvingKey<Bn254>) -> Result<PreparedKey> {
        PreparedKey::new(&self.accel, pk)
    }

    /// A zero-knowledge proof: samples `r` then `s` from `rng` (the order arkworks uses, so the
    /// same RNG state gives arkworks' proof) and proves with them.
    pub fn prove<C, R>(&self, key: &PreparedKey, circuit: C, rng: &mut R) -> Result<Proof<Bn254>>
    where
        C: ConstraintSynthesizer<Fr>,
        R: RngCore + CryptoRng + ?Sized,
    {
        let r = Fr::rand(rng);
        let s = Fr::rand(rng);
        self.prove_with_randomness(key, circuit, r, s)
    }

    /// A proof with the given randomness (`r = s = 0` gives a proof that is not
    /// zero-knowledge), equal to `Groth16::<Bn254>::create_proof_with_reduction(circuit, pk, r, s)`.
    pub fn prove_with_randomness<C: ConstraintSynthesizer<Fr>>(
        &self,
        key: &PreparedKey,
        circuit: C,
        r: Fr,
        s: Fr,
    ) -> Result<Proof<Bn254>> {
        self.prove_timed(key, circuit, r, s).map(|(proof, _)| proof)
    }

    /// As [`prove_with_randomness`](Self::prove_with_randomness), with the time of every phase.
    pub fn prove_timed<C: ConstraintSynthesizer<Fr>>(
        &self,
        key: &PreparedKey,
        circuit: C,
        r: Fr,
        s: Fr,
    ) -> Result<(Proof<Bn254>, ProofTimings)> {
        let span = tracing::info_span!("groth16_prove");
        let _entered = span.enter();
        let start = Instant::now();
        // The first proof with a key synthesizes the matrices and the key keeps them; later
        // proofs synthesize the assignment alone. The witness map checks every constraint of the
        // kept matrices, so a circuit that does not fit them is refused, not proved.
        let circuit = tracing::debug_span!("synthesis").in_scope(|| match key.shape.get() {
            Some(shape) => SynthesizedCircuit::synthesize_witness(circuit, shape),
            None => SynthesizedCircuit::synthesize(circuit),
        })?;
        let synthesis = start.elapsed();
        let outcome = self.prove_from(key, &circuit, r, s, start, Some(synthesis));
        if outcome.is_ok() && key.shape.get().is_none() {
            // Kept only once a proof went through: the circuit fits the key.
            let _ = key.shape.set(circuit.shape());
        }
        outcome
    }

    /// A proof of an already-synthesized circuit (synthesize once, prove many times, e.g. in
    /// benchmarks); the timings have no synthesis phase.
    pub fn prove_synthesized(
        &self,
        key: &PreparedKey,
        circuit: &SynthesizedCircuit,
        r: Fr,
        s: Fr,
    ) -> Result<(Proof<Bn254>, ProofTimings)> {
        let span = tracing::info_span!("groth16_prove");
        let _entered = span.enter();
        self.prove_from(key, circuit, r, s, Instant::now(), None)
    }

    fn prove_from(
        &self,
        key: &PreparedKey,
        circuit: &SynthesizedCircuit,
        r: Fr,
        s: Fr,
        start: Instant,
        synthesis: Option<Duration>,
    ) -> Result<(Proof<Bn254>, ProofTimings)> {
        let domain_size = witness_map::domain_size(circuit)?;
        key.check_matches(circuit, domain_size)?;

        let witness_map_start = Instant::now();
        let quotient = tracing::debug_span!("witness_map", domain_size)
            .in_scope(|| witness_map::quotient(&self.accel, circuit, domain_size))?;
        let witness_map = witness_map_start.elapsed();

        let z = circuit.assignment();
        let after_one = &z[1..];
        let witness = circuit.witness();
        let h = &quotient.coefficients[..key.h_query.len()];
        let accel = &*self.accel;

        let (msm_a, msm_a_time) =
            timed("msm_a", || accel.msm_g1_resident(&key.a_query, after_one))?;
        let msm_b_g1 = if r.is_zero() {
            None
        } else {
            Some(timed("msm_b_g1", || {
                accel.msm_g1_resident(&key.b_g1_query, after_one)
            })?)
        };
        let (msm_b_g2, msm_b_g2_time) = timed("msm_b_g2", || {
            accel.msm_g2_resident(&key.b_g2_query, after_one)
        })?;
        let (msm_l, msm_l_time) = timed("msm_l", || accel.msm_g1_resident(&key.l_query, witness))?;
        let (msm_h, msm_h_time) = timed("msm_h", || accel.msm_g1_resident(&key.h_query, h))?;

        let assembly_start = Instant::now();
        let proof = tracing::debug_span!("assembly").in_scope(|| {
            let sums = MsmResults {
                a: msm_a,
                b_g1: msm_b_g1.map(|(sum, _)| sum),
                b_g2: msm_b_g2,
                l: msm_l,
                h: msm_h,
            };
            assemble(key, &sums, r, s)
        });
        let assembly = assembly_start.elapsed();

        let timings = ProofTimings {
            synthesis,
            witness_map,
            ntt: quotient.ntt,
            msm_a: msm_a_time,
            msm_b_g1: msm_b_g1.map(|(_, time)| time),
            msm_b_g2: msm_b_g2_time,
            msm_l: msm_l_time,
            msm_h: msm_h_time,
            assembly,
            total: start.elapsed(),
        };
        if let Some(metrics) = &self.metrics {
            metrics.record(&timings);
        }
        tracing::info!(
            constraints = circuit.num_constraints(),
            domain_size,
            synthesis_ms = timings.synthesis.map(millis),
            witness_map_ms = millis(timings.witness_map),
            ntt_ms = millis(timings.ntt),
            msm_a_ms = millis(timings.msm_a),
            msm_b_g1_ms = timings.msm_b_g1.map(millis),
            msm_b_g2_ms = millis(timings.msm_b_g2),
            msm_l_ms = millis(timings.msm_l),
            msm_h_ms = millis(timings.msm_h),
            assembly_ms = millis(timings.assembly),
            total_ms = millis(timings.total),
            "groth16 proof"
        );
        Ok((proof, timings))
    }
}

/// The five MSMs' sums (the G1 `B` one only when `r ≠ 0`).
struct MsmResults {
    a: G1Projective,
    b_g1: Option<G1Projective>,
    b_g2: G2Projective,
    l: G1Projective,
    h: G1Projective,
}

/// Groth16's final assembly, as arkworks does it:
/// `A = α + a₀ + Σa + r·δ`, `B = β + b₀ + Σb + s·δ` (G2; in G1 only when `r ≠ 0`, as it is
/// multiplied by `r`), `C = s·A + r·B₁ − r·s·δ + L + H`.
fn assemble(key: &PreparedKey, sums: &MsmResults, r: Fr, s: Fr) -> Proof<Bn254> {
    let a = sums.a + key.vk.alpha_g1 + key.a_query_one + key.delta_g1 * r;
    let b_g2 = sums.b_g2 + key.vk.beta_g2 + key.b_g2_query_one + key.vk.delta_g2 * s;
    let b_g1 = sums.b_g1.map_or_else(G1Projective::zero, |sum| {
        sum + key.beta_g1 + key.b_g1_query_one + key.delta_g1 * s
    });
    let c = a * s + b_g1 * r - key.delta_g1 * (r * s) + sums.l + sums.h;
    Proof {
        a: a.into_affine(),
        b: b_g2.into_affine(),
        c: c.into_affine(),
    }
}

/// Runs one MSM inside a span named after it, returning its result and duration.
fn timed<T>(
    name: &'static str,
    msm: impl FnOnce() -> ramjet_accel::Result<T>,
) -> Result<(T, Duration)> {
    let _entered = tracing::debug_span!("msm", name).entered();
    let start = Instant::now();
    let result = msm()?;
    Ok((result, start.elapsed()))
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
