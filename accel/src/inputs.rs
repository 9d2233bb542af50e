//! Random inputs of every operation, for calibration, benchmarks and the conformance kit.

use std::time::{Duration, Instant};

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::UniformRand;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

use crate::{
    Backend, MerkleLeaves, MerkleTree, MsmBases, NttDirection, Op, Result, SigBatch, Verdicts,
};

/// A deterministic RNG for reproducible inputs.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// `n` valid signatures by distinct keys over random 32-byte messages (transaction hashes).
pub fn sig_batch(n: usize, seed: u64) -> SigBatch {
    let items: Vec<([u8; 32], [u8; 64], [u8; 32])> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = rng(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let key = ed25519_consensus::SigningKey::new(&mut rng);
            let mut message = [0u8; 32];
            rng.fill_bytes(&mut message);
            let signature = key.sign(&message);
            (
                key.verification_key().to_bytes(),
                signature.to_bytes(),
                message,
            )
        })
        .collect();
    let mut batch = SigBatch::with_capacity(n, 32 * n);
    for (key, sig, msg) in items {
        batch.push(key, sig, &msg);
    }
    batch
}

/// `n` random 32-byte digests.
pub fn digests(n: usize, seed: u64) -> Vec<[u8; 32]> {
    let mut rng = rng(seed);
    (0..n).map(|_| rng.r#gen()).collect()
}

/// `n` uniformly random scalars.
pub fn scalars(n: usize, seed: u64) -> Vec<Fr> {
    (0..n)
        .into_par_iter()
        .chunks(4096)
        .enumerate()
        .flat_map_iter(|(c, chunk)| {
            let mut rng = rng(seed ^ ((c as u64) << 32));
            chunk
                .into_iter()
                .map(move |_| Fr::rand(&mut rng))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `n` G1 points. Each run of 1024 starts at a uniformly random point and steps by random
/// points, so that making 2^20 of them costs additions, not scalar multiplications.
pub fn g1_points(n: usize, seed: u64) -> Vec<G1Affine> {
    walk_points::<G1Projective>(n, seed)
}

/// `n` G2 points, made as [`g1_points`].
pub fn g2_points(n: usize, seed: u64) -> Vec<G2Affine> {
    walk_points::<G2Projective>(n, seed)
}

fn walk_points<G: CurveGroup + PrimeGroup>(n: usize, seed: u64) -> Vec<G::Affine> {
    let mut steps_rng = rng(seed);
    let steps: Vec<G> = (0..16).map(|_| G::rand(&mut steps_rng)).collect();
    let projective: Vec<G> = (0..n)
        .into_par_iter()
        .chunks(1024)
        .enumerate()
        .flat_map_iter(|(c, chunk)| {
            let mut rng = rng(seed ^ ((c as u64 + 1) << 20));
            let mut p = G::rand(&mut rng);
            chunk
                .into_iter()
                .map(|_| {
                    p += steps[rng.gen_range(0..steps.len())];
                    p
                })
                .collect::<Vec<_>>()
        })
        .collect();
    G::normalize_batch(&projective)
}

/// The inputs of one call of an operation, for calibration and warm-up.
pub(crate) enum Sample {
    Sigs(SigBatch),
    Digests(Vec<[u8; 32]>),
    Poseidon(Vec<Fr>),
    Ntt(Vec<Fr>),
    G1(Vec<G1Affine>, Vec<Fr>),
    G2(Vec<G2Affine>, Vec<Fr>),
}

/// What a call of a [`Sample`] returned, to compare backends.
#[derive(Debug, PartialEq)]
pub(crate) enum Answer {
    Verdicts(Verdicts),
    Sha256(MerkleTree<[u8; 32]>),
    Poseidon(MerkleTree<Fr>),
    Ntt(Vec<Fr>),
    G1(G1Projective),
    G2(G2Projective),
}

impl Sample {
    /// `n` items of `op`'s inputs (valid signatures, random digests, scalars and points), the
    /// same for every call with the same `n`.
    pub(crate) fn of(op: Op, n: usize) -> Self {
        let seed = n as u64;
        match op {
            Op::Ed25519Verify => Sample::Sigs(sig_batch(n, seed)),
            Op::MerkleSha256 => Sample::Digests(digests(n, seed)),
            Op::MerklePoseidon => Sample::Poseidon(scalars(n, seed)),
            Op::Ntt => Sample::Ntt(scalars(n, seed)),
            Op::MsmG1 => Sample::G1(g1_points(n, seed), scalars(n, seed + 1)),
            Op::MsmG2 => Sample::G2(g2_points(n, seed), scalars(n, seed + 1)),
        }
    }

    /// Runs the call on `backend`: its answer, and how long the operation took (for the NTT,
    /// without copying the input it transforms in place).
    pub(crate) fn run(&self, backend: &dyn Backend) -> Result<(Answer, Duration)> {
        let start = Instant::now();
        let answer = match self {
            Sample::Sigs(batch) => Answer::Verdicts(backend.ed25519_verify(batch)?),
            Sample::Digests(d) => Answer::Sha256(backend.merkle_sha256(MerkleLeaves::Digests(d))?),
            Sample::Poseidon(v) => Answer::Poseidon(backend.merkle_poseidon(v)?),
            Sample::Ntt(v) => {
                let mut v = v.clone();
                let start = Instant::now();
                backend.ntt(&mut v, NttDirection::Forward, None)?;
                return Ok((Answer::Ntt(v), start.elapsed()));
            }
            Sample::G1(b, s) => Answer::G1(backend.msm_g1(MsmBases::Host(b), s)?),
            Sample::G2(b, s) => Answer::G2(backend.msm_g2(MsmBases::Host(b), s)?),
        };
        Ok((answer, start.elapsed()))
    }
}
