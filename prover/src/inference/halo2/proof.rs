//! Keys, proofs and verification: IPA over the Pasta curves (Vesta commitments, circuit over
//! its scalar field `Fp`), Blake2b transcripts.
//!
//! Nothing here is secret or random but the prover's blinding: [`Params::new`] derives the
//! commitment bases from `k` by hashing, and the keys are derived from the circuit, so anyone
//! holding the model derives the same verifying key ([`verifying_key`]) and its digest
//! ([`VerifyingKeyDigest`]), the fixed binding's model commitment.

use std::sync::Arc;

use halo2_proofs::dev::MockProver;
use halo2_proofs::pasta::{EqAffine, Fp};
use halo2_proofs::plonk::{
    Circuit, ProvingKey, SingleVerifier, VerifyingKey, create_proof, keygen_pk, keygen_vk,
    verify_proof,
};
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};
use sha2::{Digest, Sha256};

use super::circuit::{Halo2InferenceCircuit, circuit_k, instance};
use crate::inference::quantise::QuantisedModel;
use crate::{ProverError, Result};

/// SHA-256 of a verifying key's pinned description (halo2's own `Debug` of
/// [`VerifyingKey::pinned`]: the domain, the constraint system, the fixed columns' commitments
/// — the weights — and the permutation's). Two models have the same digest exactly when they
/// have the same circuit, so the digest is the model commitment a model's owner publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerifyingKeyDigest(pub [u8; 32]);

impl VerifyingKeyDigest {
    /// The digest of `vk`.
    pub fn of(vk: &VerifyingKey<EqAffine>) -> Self {
        let pinned = format!("{:?}", vk.pinned());
        let mut hasher = Sha256::new();
        hasher.update(b"ramjet/inference/halo2-vk/v1");
        hasher.update(pinned.as_bytes());
        Self(hasher.finalize().into())
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Display for VerifyingKeyDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The commitment parameters for `2^k` rows (deterministic: no trusted setup).
pub fn params(k: u32) -> Params<EqAffine> {
    Params::new(k)
}

/// The parameters sized for `model`'s circuit.
pub fn params_for(model: &QuantisedModel) -> Params<EqAffine> {
    params(circuit_k(model))
}

/// The verifying key of `model`'s circuit: what a verifier regenerates from the model.
pub fn verifying_key(
    params: &Params<EqAffine>,
    model: &Arc<QuantisedModel>,
) -> Result<VerifyingKey<EqAffine>> {
    Ok(keygen_vk(
        params,
        &Halo2InferenceCircuit::blank(Arc::clone(model)),
    )?)
}

/// The proving key of `model`'s circuit (it holds the verifying key).
pub fn proving_key(
    params: &Params<EqAffine>,
    model: &Arc<QuantisedModel>,
) -> Result<ProvingKey<EqAffine>> {
    let vk = verifying_key(params, model)?;
    Ok(keygen_pk(
        params,
        vk,
        &Halo2InferenceCircuit::blank(Arc::clone(model)),
    )?)
}

/// A proved inference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Halo2Proof {
    /// The quantised input.
    pub input: Vec<i64>,
    /// The output (at `2^s`), native inference's.
    pub output: Vec<i64>,
    /// The proof's bytes (the Blake2b transcript).
    pub bytes: Vec<u8>,
}

/// Proves `model`'s output on `input` (quantised) with `pk`. The output is native inference's
/// ([`QuantisedModel::infer`], which fails for a value out of bounds); the circuit computes it
/// again, and the proof exists only if the two agree.
pub fn prove(
    params: &Params<EqAffine>,
    pk: &ProvingKey<EqAffine>,
    model: &Arc<QuantisedModel>,
    input: Vec<i64>,
) -> Result<Halo2Proof> {
    let output = model.infer(&input)?;
    let public = instance(&input, &output);
    let circuit = Halo2InferenceCircuit::new(Arc::clone(model), input.clone());
    Ok(Halo2Proof {
        bytes: create_proof_bytes(params, pk, circuit, &public)?,
        input,
        output,
    })
}

/// A proof of `circuit` with the instance column `public`: the Blake2b transcript's bytes.
pub(super) fn create_proof_bytes<C: Circuit<Fp>>(
    params: &Params<EqAffine>,
    pk: &ProvingKey<EqAffine>,
    circuit: C,
    public: &[Fp],
) -> Result<Vec<u8>> {
    let mut transcript = Blake2bWrite::<_, EqAffine, Challenge255<_>>::init(vec![]);
    create_proof(
        params,
        pk,
        &[circuit],
        &[&[public]],
        rand::rngs::OsRng,
        &mut transcript,
    )?;
    Ok(transcript.finalize())
}

/// Checks `proof` against `vk` and the instance column `public`.
pub(super) fn check_proof(
    params: &Params<EqAffine>,
    vk: &VerifyingKey<EqAffine>,
    public: &[Fp],
    proof: &[u8],
) -> Result<()> {
    let mut transcript = Blake2bRead::<_, EqAffine, Challenge255<_>>::init(proof);
    verify_proof(
        params,
        vk,
        SingleVerifier::new(params),
        &[&[public]],
        &mut transcript,
    )
    .map_err(|e| ProverError::Halo2Rejected(e.to_string()))
}

/// Checks that `proof` proves `output` of the model of `vk` on `input`.
pub fn verify(
    params: &Params<EqAffine>,
    vk: &VerifyingKey<EqAffine>,
    input: &[i64],
    output: &[i64],
    proof: &[u8],
) -> Result<()> {
    check_proof(params, vk, &instance(input, output), proof)
}

/// Whether `model`'s circuit on `input` is satisfied with `output` claimed, by halo2's
/// `MockProver` (every gate, lookup and copy checked directly, no proof): the differential
/// check against native inference.
pub fn is_satisfied(model: &Arc<QuantisedModel>, input: &[i64], output: &[i64]) -> Result<bool> {
    let circuit = Halo2InferenceCircuit::new(Arc::clone(model), input.to_vec());
    let prover = MockProver::run(circuit_k(model), &circuit, vec![instance(input, output)])?;
    Ok(prover.verify().is_ok())
}
