//! Groth16 on the accelerator: proofs equal arkworks' byte for byte, verify, and reuse their
//! resident bases; phases are timed, traced and counted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ark_bn254::{Bn254, Fr, G1Affine};
use ark_ff::{AdditiveGroup, Field, One, UniformRand};
use ark_groth16::{Groth16, Proof, ProvingKey, r1cs_to_qap::LibsnarkReduction};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::predicate::PredicateConstraintSystem;
use ark_relations::gr1cs::predicate::polynomial_constraint::SR1CS_PREDICATE_LABEL;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystemRef, LinearCombination, SynthesisError, Variable,
};
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use prometheus::Registry;
use ramjet_accel::curve::{G1Projective, G2Affine, G2Projective};
use ramjet_accel::{
    AccelError, Accelerator, Backend, BackendKind, CpuBackend, DeviceInfo, MerkleLeaves,
    MerkleTree, MsmBases, NttDirection, Op, ResidentBases, SigBatch, Verdicts,
};
use ramjet_prover::ProverError;
use ramjet_prover::groth16::{Phase, PreparedKey, Prover, ProverMetrics, SynthesizedCircuit};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

// ---------------------------------------------------------------------------------------------
// Test circuits
// ---------------------------------------------------------------------------------------------

/// A MiMC-like chain written directly in R1CS: `x ← (x + kᵢ)³` for each round, two constraints
/// per round, then `x = output`. Public inputs: the start and the output.
#[derive(Clone)]
struct MimcChain {
    start: Fr,
    round_keys: Vec<Fr>,
    output: Fr,
}

impl MimcChain {
    fn new(start: Fr, rounds: usize) -> Self {
        let round_keys: Vec<Fr> = (0..rounds as u64).map(|i| Fr::from(i * i + 7)).collect();
        let output = round_keys
            .iter()
            .fold(start, |x, k| (x + k) * (x + k) * (x + k));
        Self {
            start,
            round_keys,
            output,
        }
    }

    /// Constraints: two per round and the final equality.
    fn num_constraints(&self) -> usize {
        2 * self.round_keys.len() + 1
    }

    fn public_inputs(&self) -> Vec<Fr> {
        vec![self.start, self.output]
    }
}

impl ConstraintSynthesizer<Fr> for MimcChain {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let start = cs.new_input_variable(|| Ok(self.start))?;
        let output = cs.new_input_variable(|| Ok(self.output))?;
        let (mut x, mut x_value) = (start, self.start);
        for key in &self.round_keys {
            let t_value = x_value + key;
            let square_value = t_value.square();
            let square = cs.new_witness_variable(|| Ok(square_value))?;
            let t = || LinearCombination::from(x) + (*key, Variable::One);
            cs.enforce_r1cs_constraint(t, t, || square.into())?;
            x_value = square_value * t_value;
            let cube = cs.new_witness_variable(|| Ok(x_value))?;
            cs.enforce_r1cs_constraint(|| square.into(), t, || cube.into())?;
            x = cube;
        }
        cs.enforce_r1cs_constraint(|| x.into(), || Variable::One.into(), || output.into())
    }
}

/// `x³ + x + 5` of each public input, multiplied together, squared `extra_squarings` times and
/// compared with a public output; written with `FpVar`, so that synthesis inlines symbolic
/// linear combinations. `3·inputs + extra_squarings` constraints.
#[derive(Clone)]
struct CubicProduct {
    inputs: Vec<Fr>,
    extra_squarings: usize,
    output: Fr,
}

impl CubicProduct {
    fn new(inputs: Vec<Fr>, extra_squarings: usize) -> Self {
        let product: Fr = inputs
            .iter()
            .map(|x| x * x * x + x + Fr::from(5u64))
            .product();
        let output = (0..extra_squarings).fold(product, |acc, _| acc.square());
        Self {
            inputs,
            extra_squarings,
            output,
        }
    }

    fn public_inputs(&self) -> Vec<Fr> {
        let mut all = self.inputs.clone();
        all.push(self.output);
        all
    }
}

impl ConstraintSynthesizer<Fr> for CubicProduct {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let inputs = self
            .inputs
            .iter()
            .map(|x| FpVar::new_input(cs.clone(), || Ok(*x)))
            .collect::<Result<Vec<_>, _>>()?;
        let output = FpVar::new_input(cs.clone(), || Ok(self.output))?;
        let mut product: Option<FpVar<Fr>> = None;
        for x in &inputs {
            let y = x.square()? * x + x + FpVar::constant(Fr::from(5u64));
            product = Some(match product {
                None => y,
                Some(p) => p * y,
            });
        }
        let mut acc = product.unwrap_or_else(|| FpVar::constant(Fr::one()));
        for _ in 0..self.extra_squarings {
            acc = acc.square()?;
        }
        acc.enforce_equal(&output)
    }
}

/// 150 rounds: 301 constraints + 3 instance variables = 304, a domain of 512.
fn mimc() -> MimcChain {
    MimcChain::new(Fr::from(3u64), 150)
}

/// 63 inputs and 2 squarings: 191 constraints + 65 instance variables = 256 exactly.
fn cubic() -> CubicProduct {
    let inputs = (1..=63u64).map(|i| Fr::from(i * 1_000_003)).collect();
    CubicProduct::new(inputs, 2)
}

fn setup<C: ConstraintSynthesizer<Fr>>(circuit: C, seed: u64) -> ProvingKey<Bn254> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    Groth16::<Bn254>::circuit_specific_setup(circuit, &mut rng)
        .expect("setup")
        .0
}

fn cpu_prover() -> Prover {
    Prover::new(Arc::new(Accelerator::cpu_only()))
}

fn arkworks_proof<C: ConstraintSynthesizer<Fr>>(
    pk: &ProvingKey<Bn254>,
    circuit: C,
    r: Fr,
    s: Fr,
) -> Proof<Bn254> {
    Groth16::<Bn254, LibsnarkReduction>::create_proof_with_reduction(circuit, pk, r, s)
        .expect("arkworks proves")
}

/// The proof's canonical bytes, compressed and uncompressed.
fn encodings(proof: &Proof<Bn254>) -> (Vec<u8>, Vec<u8>) {
    let mut compressed = Vec::new();
    proof.serialize_compressed(&mut compressed).unwrap();
    let mut uncompressed = Vec::new();
    proof.serialize_uncompressed(&mut uncompressed).unwrap();
    (compressed, uncompressed)
}

fn randomness_cases(seed: u64) -> Vec<(&'static str, Fr, Fr)> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    vec![
        ("random r and s", r, s),
        ("r = s = 0", Fr::ZERO, Fr::ZERO),
        ("r = 0", Fr::ZERO, s),
        ("s = 0", r, Fr::ZERO),
    ]
}

fn verifies(pk: &ProvingKey<Bn254>, public_inputs: &[Fr], proof: &Proof<Bn254>) -> bool {
    Groth16::<Bn254>::verify(&pk.vk, public_inputs, proof).expect("verifier runs")
}

// ---------------------------------------------------------------------------------------------
// Byte-for-byte agreement with arkworks, and verification
// ---------------------------------------------------------------------------------------------

fn assert_matches_arkworks<C>(circuit: C, pk: &ProvingKey<Bn254>, public_inputs: &[Fr])
where
    C: ConstraintSynthesizer<Fr> + Clone,
{
    let prover = cpu_prover();
    let key = prover.prepare(pk.clone()).unwrap();
    for (case, r, s) in randomness_cases(11) {
        let ours = prover
            .prove_with_randomness(&key, circuit.clone(), r, s)
            .unwrap();
        let theirs = arkworks_proof(pk, circuit.clone(), r, s);
        let (ours_c, ours_u) = encodings(&ours);
        let (theirs_c, theirs_u) = encodings(&theirs);
        assert_eq!(ours_c, theirs_c, "{case}: compressed bytes differ");
        assert_eq!(ours_u, theirs_u, "{case}: uncompressed bytes differ");
        assert!(
            verifies(pk, public_inputs, &ours),
            "{case}: does not verify"
        );
    }
}

#[test]
fn mimc_proofs_equal_arkworks_bytes_when_domain_is_padded() {
    let circuit = mimc();
    let synthesized = SynthesizedCircuit::synthesize(circuit.clone()).unwrap();
    assert_eq!(synthesized.num_constraints(), circuit.num_constraints());
    assert_eq!(synthesized.num_instance_variables(), 3);
    assert!(!(synthesized.num_constraints() + 3).is_power_of_two());
    let pk = setup(circuit.clone(), 1);
    assert_matches_arkworks(circuit.clone(), &pk, &circuit.public_inputs());
}

#[test]
fn cubic_proofs_equal_arkworks_bytes_when_domain_is_exactly_full() {
    let circuit = cubic();
    let synthesized = SynthesizedCircuit::synthesize(circuit.clone()).unwrap();
    let filled = synthesized.num_constraints() + synthesized.num_instance_variables();
    assert_eq!(
        filled, 256,
        "the circuit is meant to fill its domain exactly"
    );
    assert_eq!(synthesized.public_inputs(), circuit.public_inputs());
    let pk = setup(circuit.clone(), 2);
    assert_matches_arkworks(circuit.clone(), &pk, &circuit.public_inputs());
}

#[test]
fn prove_with_rng_gives_arkworks_proof_for_the_same_seed() {
    let circuit = mimc();
    let pk = setup(circuit.clone(), 3);
    let prover = cpu_prover();
    let key = prover.prepare(pk.clone()).unwrap();
    let ours = prover
        .prove(&key, circuit.clone(), &mut ChaCha20Rng::seed_from_u64(99))
        .unwrap();
    let theirs =
        Groth16::<Bn254>::prove(&pk, circuit.clone(), &mut ChaCha20Rng::seed_from_u64(99)).unwrap();
    assert_eq!(encodings(&ours), encodings(&theirs));
    // Another seed, another proof of the same statement.
    let other = prover
        .prove(&key, circuit.clone(), &mut ChaCha20Rng::seed_from_u64(100))
        .unwrap();
    assert_ne!(encodings(&ours), encodings(&other));
    assert!(verifies(&pk, &circuit.public_inputs(), &other));
}

#[test]
fn verifier_rejects_ramjet_proofs_against_wrong_public_inputs() {
    let circuit = cubic();
    let pk = setup(circuit.clone(), 4);
    let prover = cpu_prover();
    let key = prover.prepare(pk.clone()).unwrap();
    let proof = prover
        .prove(&key, circuit.clone(), &mut ChaCha20Rng::seed_from_u64(5))
        .unwrap();
    let inputs = circuit.public_inputs();
    assert!(verifies(&pk, &inputs, &proof));
    for i in [0, inputs.len() - 1] {
        let mut wrong = inputs.clone();
        wrong[i] += Fr::one();
        assert!(!verifies(&pk, &wrong, &proof), "input {i} changed");
    }
    // The prepared key hands out the same verifying key.
    assert_eq!(key.verifying_key(), &pk.vk);
}

#[test]
fn prove_synthesized_reuses_one_synthesis() {
    let circuit = mimc();
    let pk = setup(circuit.clone(), 6);
    let prover = cpu_prover();
    let key = prover.prepare(pk.clone()).unwrap();
    let synthesized = SynthesizedCircuit::synthesize(circuit.clone()).unwrap();
    for (case, r, s) in randomness_cases(7) {
        let (ours, timings) = prover.prove_synthesized(&key, &synthesized, r, s).unwrap();
        assert_eq!(timings.synthesis, None, "{case}");
        let theirs = arkworks_proof(&pk, circuit.clone(), r, s);
        assert_eq!(encodings(&ours), encodings(&theirs), "{case}");
    }
}

#[test]
fn synthesized_circuit_from_matrices_checks_its_shape() {
    let synthesized = SynthesizedCircuit::synthesize(mimc()).unwrap();
    let [a, b, c] = synthesized.matrices();
    let z = synthesized.assignment().to_vec();
    let instance = synthesized.num_instance_variables();

    let rebuilt =
        SynthesizedCircuit::from_matrices([a.clone(), b.clone(), c.clone()], instance, z.clone())
            .unwrap();
    assert_eq!(rebuilt.assignment(), synthesized.assignment());
    assert_eq!(rebuilt.matrices(), [a.clone(), b.clone(), c.clone()]);

    let mut short_c = c.clone();
    short_c.pop();
    let short =
        SynthesizedCircuit::from_matrices([a.clone(), b.clone(), short_c], instance, z.clone());
    assert!(matches!(short, Err(ProverError::Malformed(_))), "{short:?}");

    let mut wide_a = a.clone();
    wide_a[0].push((Fr::one(), z.len()));
    let wide =
        SynthesizedCircuit::from_matrices([wide_a, b.clone(), c.clone()], instance, z.clone());
    assert!(matches!(wide, Err(ProverError::Malformed(_))), "{wide:?}");

    let mut no_one = z.clone();
    no_one[0] = Fr::from(2u64);
    let no_one = SynthesizedCircuit::from_matrices([a, b, c], instance, no_one);
    assert!(
        matches!(no_one, Err(ProverError::Malformed(_))),
        "{no_one:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn unsatisfied_circuit_is_an_error_naming_the_first_violated_constraint() {
    let honest = mimc();
    let pk = setup(honest.clone(), 8);
    let prover = cpu_prover();
    let key = prover.prepare(pk).unwrap();

    let mut wrong_output = honest.clone();
    wrong_output.output += Fr::one();
    match prover.prove_with_randomness(&key, wrong_output, Fr::one(), Fr::one()) {
        Err(ProverError::Unsatisfied { index, constraints }) => {
            assert_eq!(constraints, honest.num_constraints());
            assert_eq!(index, honest.num_constraints() - 1, "the final equality");
        }
        other => panic!("expected Unsatisfied, got {other:?}"),
    }
}

#[test]
fn later_proofs_with_a_key_reuse_its_matrices_and_still_check_every_constraint() {
    let honest = mimc();
    let pk = setup(honest.clone(), 9);
    let prover = cpu_prover();
    let key = prover.prepare(pk.clone()).unwrap();
    let (r, s) = (Fr::from(11u64), Fr::from(13u64));
    // First proof: full synthesis; the key keeps the matrices.
    let (first, timings) = prover.prove_timed(&key, honest.clone(), r, s).unwrap();
    assert!(timings.synthesis.is_some());
    assert_eq!(
        encodings(&first),
        encodings(&arkworks_proof(&pk, honest.clone(), r, s))
    );
    // Later proofs synthesize the assignment alone, and still equal arkworks' bytes.
    for seed in [1u64, 2] {
        let (r, s) = (Fr::from(seed + 100), Fr::from(seed + 200));
        let again = prover
            .prove_with_randomness(&key, honest.clone(), r, s)
            .unwrap();
        assert_eq!(
            encodings(&again),
            encodings(&arkworks_proof(&pk, honest.clone(), r, s))
        );
    }
    // A wrong witness is still caught, against the kept matrices.
    let mut wrong_output = honest.clone();
    wrong_output.output += Fr::one();
    let refused = prover.prove_with_randomness(&key, wrong_output, r, s);
    assert!(
        matches!(refused, Err(ProverError::Unsatisfied { .. })),
        "{refused:?}"
    );
    // A circuit of another shape is refused before any proving work.
    let other = prover.prove_with_randomness(&key, cubic(), r, s);
    assert!(
        matches!(other, Err(ProverError::KeyMismatch { .. })),
        "{other:?}"
    );
}

/// One R1CS constraint and one SquareR1CS constraint (`a² = b`).
struct WithSquarePredicate;

impl ConstraintSynthesizer<Fr> for WithSquarePredicate {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let a = cs.new_input_variable(|| Ok(Fr::from(3u64)))?;
        let b = cs.new_witness_variable(|| Ok(Fr::from(9u64)))?;
        cs.enforce_r1cs_constraint(|| a.into(), || a.into(), || b.into())?;
        cs.register_predicate(
            SR1CS_PREDICATE_LABEL,
            PredicateConstraintSystem::new_sr1cs_predicate()?,
        )?;
        cs.enforce_sr1cs_constraint(|| a.into(), || b.into())
    }
}

#[test]
fn constraints_beyond_r1cs_are_refused() {
    let result = SynthesizedCircuit::synthesize(WithSquarePredicate);
    assert!(
        matches!(&result, Err(ProverError::UnsupportedPredicate(label)) if label == "SR1CS"),
        "{result:?}"
    );
}

#[test]
fn key_for_another_circuit_is_rejected() {
    let prover = cpu_prover();
    let key = prover.prepare(setup(mimc(), 9)).unwrap();
    let shorter = MimcChain::new(Fr::from(3u64), 100);
    match prover.prove_with_randomness(&key, shorter, Fr::one(), Fr::one()) {
        Err(ProverError::KeyMismatch { what, key, circuit }) => {
            assert_eq!(what, "witness variables");
            assert_eq!((key, circuit), (300, 200));
        }
        other => panic!("expected KeyMismatch, got {other:?}"),
    }
    let cubic_key = prover.prepare(setup(cubic(), 10)).unwrap();
    let result = prover.prove_with_randomness(&cubic_key, mimc(), Fr::one(), Fr::one());
    assert!(
        matches!(
            result,
            Err(ProverError::KeyMismatch {
                what: "instance variables",
                key: 65,
                circuit: 3
            })
        ),
        "{result:?}"
    );
}

#[test]
fn prepared_key_only_works_on_its_own_accelerator() {
    let pk = setup(mimc(), 12);
    let key = cpu_prover().prepare(pk).unwrap();
    let result = cpu_prover().prove_with_randomness(&key, mimc(), Fr::one(), Fr::one());
    assert!(
        matches!(
            result,
            Err(ProverError::Accel(AccelError::ForeignResidentBases { .. }))
        ),
        "{result:?}"
    );
}

#[test]
fn malformed_proving_keys_are_rejected_when_prepared() {
    let pk = setup(mimc(), 13);
    let accel = Accelerator::cpu_only();

    let mut short_l = pk.clone();
    short_l.l_query.pop();
    let result = PreparedKey::new(&accel, short_l);
    assert!(
        matches!(result, Err(ProverError::Malformed(_))),
        "{result:?}"
    );

    let mut odd_h = pk.clone();
    odd_h.h_query.pop();
    let result = PreparedKey::new(&accel, odd_h);
    assert!(
        matches!(result, Err(ProverError::Malformed(_))),
        "{result:?}"
    );

    // A base off the curve, deep inside h_query: the accelerator's validation finds it.
    let mut off_curve = pk.clone();
    let p = off_curve.h_query[100];
    off_curve.h_query[100] = G1Affine::new_unchecked(p.x, p.y + ark_bn254::Fq::one());
    let result = PreparedKey::new(&accel, off_curve);
    assert!(
        matches!(
            result,
            Err(ProverError::Accel(AccelError::PointNotOnCurve {
                group: "G1",
                index: 100
            }))
        ),
        "{result:?}"
    );

    // A single point the assembly adds (never seen by an MSM) is checked too.
    let mut bad_delta = pk;
    let d = bad_delta.delta_g1;
    bad_delta.delta_g1 = G1Affine::new_unchecked(d.x, d.y + ark_bn254::Fq::one());
    let result = PreparedKey::new(&accel, bad_delta);
    assert!(
        matches!(result, Err(ProverError::Malformed(_))),
        "{result:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Resident bases: validated once, uploaded once per device
// ---------------------------------------------------------------------------------------------

/// What a [`CountingBackend`] saw.
#[derive(Default)]
struct Counts {
    resident_g1: AtomicUsize,
    resident_g2: AtomicUsize,
    msm_g1: AtomicUsize,
    msm_g2: AtomicUsize,
    ntt: AtomicUsize,
}

impl Counts {
    fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

/// The CPU backend, counting calls. As a "device" (an FPGA stand-in) its resident bases carry a
/// device-side marker, and its MSMs insist on getting resident bases it made itself.
struct CountingBackend {
    cpu: CpuBackend,
    info: DeviceInfo,
    device: bool,
    counts: Counts,
}

/// The device part of a [`CountingBackend`]'s resident bases.
struct DeviceCopy;

impl CountingBackend {
    fn host() -> Self {
        let cpu = CpuBackend::new();
        let info = cpu.info().clone();
        Self {
            cpu,
            info,
            device: false,
            counts: Counts::default(),
        }
    }

    fn device() -> Self {
        let cpu = CpuBackend::new();
        let info = DeviceInfo {
            kind: BackendKind::Fpga,
            device: "counting test double".to_owned(),
            memory_bytes: None,
            compute_units: 1,
            emulated: false,
            features: Vec::new(),
        };
        Self {
            cpu,
            info,
            device: true,
            counts: Counts::default(),
        }
    }

    fn resident<A>(&self, made: ResidentBases<A>) -> ResidentBases<A> {
        if self.device {
            let host = made.host_arc().clone();
            ResidentBases::new(host, self.info.id(), Some(Arc::new(DeviceCopy)))
        } else {
            made
        }
    }

    fn check_bases<A>(&self, bases: &MsmBases<'_, A>) -> ramjet_accel::Result<()> {
        match bases {
            MsmBases::Resident(r) if self.device => {
                r.device::<DeviceCopy>(&self.info.id()).map(drop)
            }
            _ => Ok(()),
        }
    }
}

impl Backend for CountingBackend {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn supports(&self, op: Op) -> bool {
        !self.device || matches!(op, Op::MsmG1 | Op::MsmG2 | Op::Ntt)
    }

    fn ed25519_verify(&self, batch: &SigBatch) -> ramjet_accel::Result<Verdicts> {
        self.cpu.ed25519_verify(batch)
    }

    fn merkle_sha256(
        &self,
        leaves: MerkleLeaves<'_>,
    ) -> ramjet_accel::Result<MerkleTree<[u8; 32]>> {
        self.cpu.merkle_sha256(leaves)
    }

    fn merkle_poseidon(&self, leaves: &[Fr]) -> ramjet_accel::Result<MerkleTree<Fr>> {
        self.cpu.merkle_poseidon(leaves)
    }

    fn msm_g1(
        &self,
        bases: MsmBases<'_, G1Affine>,
        scalars: &[Fr],
    ) -> ramjet_accel::Result<G1Projective> {
        self.counts.msm_g1.fetch_add(1, Ordering::SeqCst);
        self.check_bases(&bases)?;
        self.cpu.msm_g1(bases, scalars)
    }

    fn msm_g2(
        &self,
        bases: MsmBases<'_, G2Affine>,
        scalars: &[Fr],
    ) -> ramjet_accel::Result<G2Projective> {
        self.counts.msm_g2.fetch_add(1, Ordering::SeqCst);
        self.check_bases(&bases)?;
        self.cpu.msm_g2(bases, scalars)
    }

    fn ntt(
        &self,
        values: &mut [Fr],
        direction: NttDirection,
        coset: Option<Fr>,
    ) -> ramjet_accel::Result<()> {
        self.counts.ntt.fetch_add(1, Ordering::SeqCst);
        self.cpu.ntt(values, direction, coset)
    }

    fn make_resident_g1(
        &self,
        bases: Arc<[G1Affine]>,
    ) -> ramjet_accel::Result<ResidentBases<G1Affine>> {
        self.counts.resident_g1.fetch_add(1, Ordering::SeqCst);
        Ok(self.resident(self.cpu.make_resident_g1(bases)?))
    }

    fn make_resident_g2(
        &self,
        bases: Arc<[G2Affine]>,
    ) -> ramjet_accel::Result<ResidentBases<G2Affine>> {
        self.counts.resident_g2.fetch_add(1, Ordering::SeqCst);
        Ok(self.resident(self.cpu.make_resident_g2(bases)?))
    }
}

#[test]
fn resident_bases_are_validated_once_and_uploaded_once_per_device() {
    let host = Arc::new(CountingBackend::host());
    let device = Arc::new(CountingBackend::device());
    let accel = Accelerator::builder()
        .cpu(host.clone())
        .device(device.clone())
        .force("fpga")
        .build()
        .unwrap();
    let prover = Prover::new(Arc::new(accel));
    let circuit = mimc();
    let pk = setup(circuit.clone(), 14);

    let key = prover.prepare(pk.clone()).unwrap();
    // Validated on the host once per bases vector: a, b_g1, l, h in G1; b_g2 in G2.
    assert_eq!(Counts::get(&host.counts.resident_g1), 4);
    assert_eq!(Counts::get(&host.counts.resident_g2), 1);
    // Nothing on the device until it is routed an MSM.
    assert_eq!(Counts::get(&device.counts.resident_g1), 0);
    assert_eq!(Counts::get(&device.counts.resident_g2), 0);

    let mut rng = ChaCha20Rng::seed_from_u64(15);
    for proof_number in 1..=2 {
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let ours = prover
            .prove_with_randomness(&key, circuit.clone(), r, s)
            .unwrap();
        let theirs = arkworks_proof(&pk, circuit.clone(), r, s);
        assert_eq!(encodings(&ours), encodings(&theirs), "proof {proof_number}");

        // The device did the work: four G1 MSMs, one G2 MSM and seven NTTs per proof...
        assert_eq!(Counts::get(&device.counts.msm_g1), 4 * proof_number);
        assert_eq!(Counts::get(&device.counts.msm_g2), proof_number);
        assert_eq!(Counts::get(&device.counts.ntt), 7 * proof_number);
        assert_eq!(Counts::get(&host.counts.msm_g1), 0, "no CPU fallback");
        // ...over bases uploaded on the first proof only, and validated on the host only once.
        assert_eq!(
            Counts::get(&device.counts.resident_g1),
            4,
            "proof {proof_number}"
        );
        assert_eq!(
            Counts::get(&device.counts.resident_g2),
            1,
            "proof {proof_number}"
        );
        assert_eq!(
            Counts::get(&host.counts.resident_g1),
            4,
            "proof {proof_number}"
        );
        assert_eq!(
            Counts::get(&host.counts.resident_g2),
            1,
            "proof {proof_number}"
        );
    }
    let device_id = device.info().id();
    let metrics = prover.accelerator().metrics();
    assert_eq!(metrics.calls_of(&device_id, Op::MsmG1), 8);
    assert_eq!(metrics.fallbacks_of(&device_id, Op::MsmG1), 0);
}

// ---------------------------------------------------------------------------------------------
// Timings, metrics, tracing
// ---------------------------------------------------------------------------------------------

#[test]
fn timings_cover_every_phase_and_add_up() {
    let circuit = mimc();
    let prover = cpu_prover();
    let key = prover.prepare(setup(circuit.clone(), 16)).unwrap();

    let (_, timings) = prover
        .prove_timed(&key, circuit.clone(), Fr::from(2u64), Fr::from(3u64))
        .unwrap();
    assert!(timings.synthesis.is_some());
    assert!(timings.msm_b_g1.is_some());
    assert!(timings.ntt <= timings.witness_map);
    let phases: Vec<Phase> = timings.phases().map(|(phase, _)| phase).collect();
    assert_eq!(phases, Phase::ALL.to_vec());
    // The phases run one after another inside the total.
    let parts =
        timings.synthesis.unwrap() + timings.witness_map + timings.msm_total() + timings.assembly;
    assert!(parts <= timings.total, "{timings:?}");

    let (_, without_r) = prover
        .prove_timed(&key, circuit, Fr::ZERO, Fr::from(3u64))
        .unwrap();
    assert_eq!(without_r.msm_b_g1, None, "r = 0 skips the G1 B MSM");
    assert!(!without_r.phases().any(|(phase, _)| phase == Phase::MsmBG1));
}

#[test]
fn metrics_count_proofs_and_observe_each_phase() {
    let registry = Registry::new();
    let metrics = ProverMetrics::register(&registry).unwrap();
    assert!(matches!(
        ProverMetrics::register(&registry),
        Err(ProverError::Metrics(_))
    ));
    let prover = cpu_prover().with_metrics(metrics.clone());
    let circuit = cubic();
    let key = prover.prepare(setup(circuit.clone(), 17)).unwrap();
    assert_eq!(metrics.proofs(), 0);

    prover
        .prove(&key, circuit.clone(), &mut ChaCha20Rng::seed_from_u64(18))
        .unwrap();
    prover
        .prove_with_randomness(&key, circuit.clone(), Fr::ZERO, Fr::ZERO)
        .unwrap();
    let synthesized = SynthesizedCircuit::synthesize(circuit.clone()).unwrap();
    prover
        .prove_synthesized(&key, &synthesized, Fr::one(), Fr::one())
        .unwrap();
    // A failed proof is not counted.
    let mut wrong = circuit;
    wrong.output += Fr::one();
    assert!(
        prover
            .prove(&key, wrong, &mut ChaCha20Rng::seed_from_u64(19))
            .is_err()
    );

    assert_eq!(metrics.proofs(), 3);
    assert_eq!(metrics.phase_count(Phase::Synthesis), 2);
    assert_eq!(metrics.phase_count(Phase::MsmBG1), 2, "skipped when r = 0");
    for phase in [
        Phase::WitnessMap,
        Phase::Ntt,
        Phase::MsmA,
        Phase::MsmBG2,
        Phase::MsmL,
    ]
    .into_iter()
    .chain([Phase::MsmH, Phase::Assembly, Phase::Total])
    {
        assert_eq!(metrics.phase_count(phase), 3, "{phase}");
    }
    assert!(metrics.phase_seconds(Phase::Total) > 0.0);

    // The same numbers as the registry exports them.
    let families = registry.gather();
    let proofs = families
        .iter()
        .find(|f| f.name() == "ramjet_prover_proofs_total")
        .expect("proofs counter exported");
    assert_eq!(proofs.get_metric()[0].get_counter().get_value(), 3.0);
    let phases = families
        .iter()
        .find(|f| f.name() == "ramjet_prover_phase_seconds")
        .expect("phase histogram exported");
    let msm_h = phases
        .get_metric()
        .iter()
        .find(|m| {
            m.get_label()
                .iter()
                .any(|l| l.name() == "phase" && l.value() == "msm_h")
        })
        .expect("msm_h series");
    assert_eq!(msm_h.get_histogram().get_sample_count(), 3);
}

/// A `tracing` subscriber that records span names (with their `name` field, for the MSMs) and
/// event messages.
#[derive(Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<String>>>,
    events: Arc<Mutex<Vec<String>>>,
    next_id: AtomicUsize,
}

struct NameVisitor<'a>(&'a mut String, &'static str);

impl tracing::field::Visit for NameVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == self.1 {
            *self.0 = value.to_owned();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == self.1 {
            *self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut name = String::new();
        span.record(&mut NameVisitor(&mut name, "name"));
        let label = if name.is_empty() {
            span.metadata().name().to_owned()
        } else {
            format!("{}:{name}", span.metadata().name())
        };
        self.spans.lock().unwrap().push(label);
        tracing::span::Id::from_u64(self.next_id.fetch_add(1, Ordering::SeqCst) as u64 + 1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut message = String::new();
        event.record(&mut NameVisitor(&mut message, "message"));
        self.events.lock().unwrap().push(message);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn every_phase_has_a_tracing_span() {
    let circuit = mimc();
    let prover = cpu_prover();
    let key = prover.prepare(setup(circuit.clone(), 20)).unwrap();
    // tracing-core caches each callsite's interest when the callsite is first hit. While exactly
    // one dispatcher is registered, it asks the *registering thread's* default instead of the
    // registered dispatchers, so a test on another thread (no subscriber) hitting a prover
    // callsite first would cache "never" and hide it from the recorder. A second registered
    // dispatcher, alive for the whole test, makes it consult every registered dispatcher.
    let _second_dispatcher = tracing::Dispatch::new(Recorder::default());
    let recorder = Recorder::default();
    let (spans, events) = (recorder.spans.clone(), recorder.events.clone());
    tracing::subscriber::with_default(recorder, || {
        prover
            .prove_with_randomness(&key, circuit, Fr::one(), Fr::one())
            .unwrap();
    });
    let spans = spans.lock().unwrap().clone();
    for expected in [
        "groth16_prove",
        "synthesis",
        "witness_map",
        "msm:msm_a",
        "msm:msm_b_g1",
        "msm:msm_b_g2",
        "msm:msm_l",
        "msm:msm_h",
        "assembly",
    ] {
        assert!(
            spans.iter().any(|s| s == expected),
            "no span {expected} in {spans:?}"
        );
    }
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| e == "groth16 proof"), "{events:?}");
}
