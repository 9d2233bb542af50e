//! Reference implementations: the plain, obviously-correct definitions of each operation, built on
//! the libraries whose behaviour is the contract. The conformance kit compares backends with these;
//! `ramjet-bench` uses some of them as the baselines a user would otherwise pick.

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::VariableBaseMSM;
use ark_ff::Zero;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use light_poseidon::{Poseidon, PoseidonHasher};
use sha2::{Digest, Sha256};

use crate::{MerkleLeaves, MerkleTree, NttDirection, Result, SigBatch, Verdicts, validate};

/// ZIP-215 verdicts from `ed25519-consensus`, one item at a time.
pub fn ed25519_verify(batch: &SigBatch) -> Verdicts {
    Verdicts(
        (0..batch.len())
            .map(|i| ed25519_verify_one(batch.key(i), batch.signature(i), batch.message(i)))
            .collect(),
    )
}

/// One ZIP-215 verification with `ed25519-consensus`.
pub fn ed25519_verify_one(key: &[u8; 32], signature: &[u8; 64], message: &[u8]) -> bool {
    let Ok(vk) = ed25519_consensus::VerificationKey::try_from(*key) else {
        return false;
    };
    vk.verify(&ed25519_consensus::Signature::from(*signature), message)
        .is_ok()
}

/// `SHA-256(0x00 ‖ leaf)`.
pub fn sha256_leaf(leaf: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn sha256_node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Every level of the SHA-256 tree, with a plain single-threaded `sha2` loop.
pub fn merkle_sha256(leaves: MerkleLeaves<'_>) -> MerkleTree<[u8; 32]> {
    if leaves.is_empty() {
        return MerkleTree {
            levels: vec![vec![Sha256::digest([]).into()]],
        };
    }
    let first = (0..leaves.len())
        .map(|i| sha256_leaf(leaves.leaf(i)))
        .collect();
    build_levels(first, sha256_node)
}

/// RFC 6962's Merkle Tree Hash, by its recursive definition (split at the largest power of two
/// smaller than n). Used to check that the level-by-level tree with odd nodes moving up gives
/// the same root.
pub fn rfc6962_root(leaves: MerkleLeaves<'_>) -> [u8; 32] {
    fn mth(leaves: &MerkleLeaves<'_>, from: usize, to: usize) -> [u8; 32] {
        let n = to - from;
        match n {
            0 => Sha256::digest([]).into(),
            1 => sha256_leaf(leaves.leaf(from)),
            _ => {
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                sha256_node(&mth(leaves, from, from + k), &mth(leaves, from + k, to))
            }
        }
    }
    mth(&leaves, 0, leaves.len())
}

/// Every level of the Poseidon tree, hashing with `light-poseidon`'s circomlib parameters.
pub fn merkle_poseidon(leaves: &[Fr]) -> MerkleTree<Fr> {
    if leaves.is_empty() {
        return MerkleTree {
            levels: vec![vec![Fr::zero()]],
        };
    }
    let mut hasher = Poseidon::<Fr>::new_circom(2).expect("circomlib t = 3 parameters");
    build_levels(leaves.to_vec(), |l, r| {
        hasher.hash(&[*l, *r]).expect("two inputs")
    })
}

fn build_levels<T: Copy>(first: Vec<T>, mut node: impl FnMut(&T, &T) -> T) -> MerkleTree<T> {
    let mut levels = vec![first];
    while levels.last().expect("non-empty").len() > 1 {
        let below = levels.last().expect("non-empty");
        let level = below
            .chunks(2)
            .map(|pair| {
                if pair.len() == 2 {
                    node(&pair[0], &pair[1])
                } else {
                    pair[0]
                }
            })
            .collect();
        levels.push(level);
    }
    MerkleTree { levels }
}

/// arkworks' G1 MSM. Lengths must match.
pub fn msm_g1(bases: &[G1Affine], scalars: &[Fr]) -> Result<G1Projective> {
    check_lengths("msm_g1 scalars vs bases", bases.len(), scalars.len())?;
    validate::g1_on_curve(bases)?;
    Ok(G1Projective::msm_unchecked(bases, scalars))
}

/// arkworks' G2 MSM. Lengths must match.
pub fn msm_g2(bases: &[G2Affine], scalars: &[Fr]) -> Result<G2Projective> {
    check_lengths("msm_g2 scalars vs bases", bases.len(), scalars.len())?;
    validate::g2_on_curve(bases)?;
    Ok(G2Projective::msm_unchecked(bases, scalars))
}

fn check_lengths(what: &'static str, bases: usize, scalars: usize) -> Result<()> {
    if bases == scalars {
        Ok(())
    } else {
        Err(crate::AccelError::LengthMismatch {
            what,
            expected: bases,
            actual: scalars,
        })
    }
}

/// `ark_poly::Radix2EvaluationDomain`'s FFT / IFFT, over a coset if an offset is given.
pub fn ntt(values: &mut [Fr], direction: NttDirection, coset: Option<Fr>) -> Result<()> {
    validate::ntt_input(values.len(), coset)?;
    let mut domain = Radix2EvaluationDomain::<Fr>::new(values.len()).expect("size checked");
    if let Some(offset) = coset {
        domain = domain.get_coset(offset).expect("offset checked non-zero");
    }
    // arkworks takes a `Vec` (it would pad a short input; ours is exactly the domain's size).
    let mut v = values.to_vec();
    match direction {
        NttDirection::Forward => domain.fft_in_place(&mut v),
        NttDirection::Inverse => domain.ifft_in_place(&mut v),
    }
    values.copy_from_slice(&v);
    Ok(())
}
