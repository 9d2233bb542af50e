//! The rollup circuit proved with ramjet's Groth16 prover: proofs of different batches with one
//! key equal ark-groth16's byte for byte and verify against the native public inputs.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, r1cs_to_qap::LibsnarkReduction};
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use ramjet_accel::Accelerator;
use ramjet_prover::ProverError;
use ramjet_prover::groth16::Prover;
use ramjet_prover::rollup::{RollupCircuit, demo};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn bytes(proof: &ark_groth16::Proof<Bn254>) -> Vec<u8> {
    let mut out = Vec::new();
    proof.serialize_compressed(&mut out).unwrap();
    out
}

#[test]
fn batches_proved_with_one_key_verify_and_equal_arkworks_proofs() {
    let (depth, txs) = (4, 1);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(
        RollupCircuit::blank(depth, txs).unwrap(),
        &mut rng,
    )
    .unwrap();
    let pvk = ark_groth16::prepare_verifying_key(&vk);
    let prover = Prover::new(std::sync::Arc::new(Accelerator::cpu_only()));
    let key = prover.prepare(pk.clone()).unwrap();
    let mut previous_inputs = None;
    for seed in [1u64, 2, 3] {
        let (state, batch) = demo::random_batch(depth, txs, seed).unwrap();
        let applied = state.apply(&batch).unwrap();
        let inputs = applied.public_inputs.to_vec();
        let circuit = RollupCircuit::from_applied(&applied);
        let (r, s) = (Fr::from(seed * 7), Fr::from(seed * 11));
        let ours = prover
            .prove_with_randomness(&key, circuit.clone(), r, s)
            .unwrap();
        let theirs =
            Groth16::<Bn254, LibsnarkReduction>::create_proof_with_reduction(circuit, &pk, r, s)
                .unwrap();
        assert_eq!(bytes(&ours), bytes(&theirs), "batch {seed}");
        assert!(Groth16::<Bn254>::verify_with_processed_vk(&pvk, &inputs, &ours).unwrap());
        // Another batch's public inputs do not verify this proof.
        if let Some(previous) = previous_inputs.replace(inputs) {
            assert!(!Groth16::<Bn254>::verify_with_processed_vk(&pvk, &previous, &ours).unwrap());
        }
    }
    // Keys for one transfer do not prove two.
    let (state, batch) = demo::random_batch(depth, 2, 9).unwrap();
    let circuit = RollupCircuit::from_applied(&state.apply(&batch).unwrap());
    let refused = prover.prove_with_randomness(&key, circuit, Fr::from(1u64), Fr::from(2u64));
    assert!(
        matches!(refused, Err(ProverError::KeyMismatch { .. })),
        "{refused:?}"
    );
}
