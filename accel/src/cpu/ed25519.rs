//! ZIP-215 Ed25519 verification in batches, split across cores.
//!
//! ZIP-215 rules: `A` and `R` may be non-canonical encodings (y ≥ p is reduced) but must
//! decompress; `S` must be canonical (`S < ℓ`); the check is cofactored:
//! `[8]([S]B − R − [k]A) = 0` with `k = SHA-512(R ‖ A ‖ M)` over the bytes as received.
//!
//! A batch is checked with one random linear combination per chunk of items:
//! `[8](−(Σ zᵢsᵢ)B + Σ zᵢRᵢ + Σ (zᵢkᵢ)Aᵢ) = 0` with independent 128-bit `zᵢ`. When a chunk's
//! equation fails, it is bisected until the failing items are found, and small pieces are verified
//! one by one — so the verdict is per item and equals single verification.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand::RngCore;
use rayon::prelude::*;
use sha2::{Digest, Sha512};

use crate::{SigBatch, Verdicts};

/// Below this many items, a failed batch is verified item by item rather than bisected further.
const SINGLE_CHECK_BELOW: usize = 4;
/// Items per batch equation: large enough for Pippenger to pay off, small enough to spread over
/// cores and to keep bisection cheap.
const CHUNK: usize = 1024;
/// A batch is not cut into chunks smaller than this to spread it over cores: one batch equation
/// over a few items costs about half their single checks, and a node's batches are often that
/// small (5 ms of transactions), so a batch of 6 split over two cores in chunks of 3 would be
/// checked one signature at a time.
const MIN_PARALLEL_CHUNK: usize = 64;

/// An item whose encodings were decoded: ready for the batch equation.
struct Decoded {
    index: usize,
    minus_a: EdwardsPoint,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

/// Verifies every item of `batch`.
pub(crate) fn verify(batch: &SigBatch) -> Verdicts {
    let n = batch.len();
    let mut verdicts = vec![false; n];
    if n == 0 {
        return Verdicts(verdicts);
    }
    let chunk = CHUNK
        .min(n.div_ceil(rayon::current_num_threads()))
        .max(MIN_PARALLEL_CHUNK.min(n));
    let valid: Vec<Vec<usize>> = (0..n)
        .into_par_iter()
        .chunks(chunk)
        .map(|indices| {
            let decoded: Vec<Decoded> = indices.iter().filter_map(|&i| decode(batch, i)).collect();
            let mut valid = Vec::with_capacity(decoded.len());
            verify_group(&decoded, &mut valid);
            valid
        })
        .collect();
    for index in valid.into_iter().flatten() {
        verdicts[index] = true;
    }
    Verdicts(verdicts)
}

/// Decodes item `i`; `None` if an encoding is invalid under ZIP-215 (the item is then invalid).
fn decode(batch: &SigBatch, i: usize) -> Option<Decoded> {
    let key = batch.key(i);
    let sig = batch.signature(i);
    let a = CompressedEdwardsY(*key).decompress()?;
    let r_bytes: [u8; 32] = sig[..32].try_into().expect("32 bytes");
    let s_bytes: [u8; 32] = sig[32..].try_into().expect("32 bytes");
    let r = CompressedEdwardsY(r_bytes).decompress()?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    let digest = Sha512::new()
        .chain_update(r_bytes)
        .chain_update(key)
        .chain_update(batch.message(i))
        .finalize();
    let k = Scalar::from_bytes_mod_order_wide(&digest.into());
    Some(Decoded {
        index: i,
        minus_a: -a,
        r,
        s,
        k,
    })
}

/// Single ZIP-215 check: `[8]([S]B − [k]A − R) = 0`.
fn verify_one(item: &Decoded) -> bool {
    let sb_minus_ka =
        EdwardsPoint::vartime_double_scalar_mul_basepoint(&item.k, &item.minus_a, &item.s);
    (sb_minus_ka - item.r).mul_by_cofactor().is_identity()
}

/// Pushes the indices of the valid items of `items` onto `valid`.
fn verify_group(items: &[Decoded], valid: &mut Vec<usize>) {
    if items.is_empty() {
        return;
    }
    if items.len() < SINGLE_CHECK_BELOW {
        valid.extend(items.iter().filter(|it| verify_one(it)).map(|it| it.index));
        return;
    }
    if batch_equation_holds(items) {
        valid.extend(items.iter().map(|it| it.index));
        return;
    }
    let (left, right) = items.split_at(items.len() / 2);
    verify_group(left, valid);
    verify_group(right, valid);
}

/// The random linear combination of the items' equations.
fn batch_equation_holds(items: &[Decoded]) -> bool {
    let mut rng = rand::thread_rng();
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(2 * items.len() + 1);
    let mut points = Vec::with_capacity(2 * items.len() + 1);
    for item in items {
        let mut z_bytes = [0u8; 32];
        rng.fill_bytes(&mut z_bytes[..16]);
        let z = Scalar::from_bytes_mod_order(z_bytes);
        b_coefficient += z * item.s;
        scalars.push(z);
        points.push(item.r);
        scalars.push(-(z * item.k));
        points.push(item.minus_a);
    }
    // Σ zR + Σ zkA − (Σ zs)B must be a small-order point (−zk times −A is zkA).
    scalars.push(-b_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Valid signatures satisfy the batch equation itself: a wrong equation would still give the
    /// right verdicts (every batch bisected down to single checks), only far slower.
    #[test]
    fn the_batch_equation_holds_for_valid_signatures_and_fails_for_a_bad_one() {
        let batch = crate::inputs::sig_batch(40, 11);
        let decoded: Vec<Decoded> = (0..batch.len()).filter_map(|i| decode(&batch, i)).collect();
        assert_eq!(decoded.len(), 40);
        assert!(batch_equation_holds(&decoded));
        let mut broken = decoded;
        broken[17].s += Scalar::ONE;
        assert!(!batch_equation_holds(&broken));
        let mut valid = Vec::new();
        verify_group(&broken, &mut valid);
        assert_eq!(valid, (0..40).filter(|&i| i != 17).collect::<Vec<_>>());
    }
}
