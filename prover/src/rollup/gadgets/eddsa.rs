//! EdDSA-Poseidon verification as constraints: the in-circuit form of
//! [`rollup::eddsa::verify`](crate::rollup::eddsa::verify).
//!
//! With `A8 = 8A`, `R8 = 8R`, `B8 = 8B`, the circuit checks `S·B8 = R8 + e·A8`, i.e. the
//! cofactored equation `[8](S·B) = [8]R + [8](e·A)` of the native verifier:
//!
//! 1. `A` and `R` are on the curve (1 constraint each, reusing the squares of their first
//!    doubling); `A8`, `R8` by three doublings each, `2·A8` by a fourth.
//! 2. `h = Poseidon5(R.x, R.y, A.x, A.y, msg)` and its unique 254-bit decomposition
//!    ([`to_bits_strict`]).
//! 3. `e·A8` with `e = 2h + 2^254 + 1` ([`signed_digit_mul`]): for every bit of `h` from the top,
//!    `acc ← 2·acc + (±A8)` (+ for a 1, − for a 0), starting from `acc = 2·A8`. After k steps
//!    `acc = m_k·A8` with `m_0 = 2`, `m_{k+1} = 2m_k ± 1`, so `2^k + 1 ≤ m_k ≤ 3·2^k − 1`, and
//!    after all 254 steps `m = 2^255 + Σ(2b_i − 1)·2^i = 2h + 2^254 + 1`.
//!    The first [`MONTGOMERY_STEPS`] = 249 steps use the incomplete Montgomery double-and-add
//!    (6 constraints). A step from `Q = m·A8` adding `±A8` needs `Q ≠ ±A8` and
//!    `Q ± A8 ≠ −Q`, i.e. `m ≢ ±1` and `m_{k+1} ≢ 0 (mod l)`; A8 has prime order l (A is on the
//!    curve, 8A clears its torsion, and A8 ≠ 0 because the Montgomery map of the identity is
//!    unsatisfiable). Since `2 ≤ m_k` and `m_{k+1} ≤ 3·2^{k+1} − 1 < l` for every k < 249, no
//!    step is exceptional. The last 5 steps, where m passes l, use complete Edwards formulas
//!    (12 constraints each).
//! 4. `S·B8` by a fixed-base windowed multiplication ([`fixed_base_mul`]) over the 251 bits of `S`,
//!    which [`SignatureVar::new_witness`] checks to be below l.
//! 5. `R8 + e·A8` (6) and the equality with `S·B8` (2).

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective};
use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::bits::{alloc_bits_le, enforce_le_constant, to_bits_strict};
use super::curve::{
    PointVar, add, double, enforce_on_curve, from_montgomery, montgomery_double_and_add,
    negate_unless, to_montgomery,
};
use super::poseidon::poseidon_hash;
use crate::rollup::eddsa::{Scalar, Signature, generator, times_eight};

/// Steps of [`signed_digit_mul`] done with incomplete Montgomery formulas: the largest k with
/// `3·2^k − 1 < l` (see the [module docs](self)).
pub const MONTGOMERY_STEPS: usize = 249;

/// Bits of S: l < 2^251.
pub const SCALAR_BITS: usize = Scalar::MODULUS_BIT_SIZE as usize;

/// A signature as circuit variables: R's coordinates and S's bits (little-endian).
#[derive(Clone, Debug)]
pub struct SignatureVar {
    /// The commitment point R (checked to be on the curve by [`verify_signature`]).
    pub r: PointVar,
    /// S's 251 bits, little-endian, constrained to be below l.
    pub s_bits: Vec<Boolean<Fr>>,
}

impl SignatureVar {
    /// Allocates a signature: R's coordinates and S's 251 bits, with `S ≤ l − 1` enforced
    /// (251 booleanity constraints plus the comparison).
    pub fn new_witness(
        cs: &ConstraintSystemRef<Fr>,
        signature: Option<&Signature>,
    ) -> Result<Self, SynthesisError> {
        Self::new_witness_from_parts(
            cs,
            signature.map(|s| (s.r.x, s.r.y)),
            signature.map(|s| s.s.into_bigint()),
        )
    }

    /// [`SignatureVar::new_witness`] from R's coordinates and S as an integer, which may be out of
    /// range (for tests of the range check: then the constraints are unsatisfiable).
    pub fn new_witness_from_parts(
        cs: &ConstraintSystemRef<Fr>,
        r: Option<(Fr, Fr)>,
        s: Option<<Scalar as PrimeField>::BigInt>,
    ) -> Result<Self, SynthesisError> {
        let r = PointVar::new_witness(cs, r)?;
        let bit = s.map(|s| move |i: usize| s.get_bit(i));
        let s_bits = alloc_bits_le(
            cs,
            SCALAR_BITS,
            bit.as_ref().map(|b| b as &dyn Fn(usize) -> bool),
        )?;
        let mut l_minus_one = Scalar::MODULUS;
        l_minus_one.sub_with_borrow(&<Scalar as PrimeField>::BigInt::from(1u64));
        enforce_le_constant(&s_bits, &l_minus_one)?;
        Ok(Self { r, s_bits })
    }
}

/// Precomputed windows for [`fixed_base_mul`]: window `i` holds `k·8^i·base` for `k = 0..8`.
#[derive(Clone, Debug)]
pub struct FixedBaseTable {
    windows: Vec<[(Fr, Fr); 8]>,
}

impl FixedBaseTable {
    /// Tables for scalars of up to `bits` bits.
    pub fn new(base: EdwardsAffine, bits: usize) -> Self {
        let mut window_base = base.into_group();
        let windows = (0..bits.div_ceil(3))
            .map(|_| {
                let mut multiples = [EdwardsProjective::default(); 8];
                for k in 1..8 {
                    multiples[k] = multiples[k - 1] + window_base;
                }
                window_base = multiples[7] + window_base;
                let affine = EdwardsProjective::normalize_batch(&multiples);
                // The identity's affine form is (0, 1).
                std::array::from_fn(|k| (affine[k].x, affine[k].y))
            })
            .collect();
        Self { windows }
    }

    /// The table of `B8 = 8·B` for 251-bit scalars, built once.
    pub fn base8() -> &'static Self {
        static TABLE: OnceLock<FixedBaseTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            let b8 = times_eight(generator().into_group()).into_affine();
            FixedBaseTable::new(b8, SCALAR_BITS)
        })
    }
}

/// `Σ_k [value = k]·table[k]` for the window value `b0 + 2·b1 + 4·b2`, as a linear combination of
/// `b0`, `b1`, `b01 = b0·b1` (and one product with `b2` when the window has 3 bits).
fn lookup_coordinate(
    table: [Fr; 8],
    b0: &FpVar<Fr>,
    b1: Option<&FpVar<Fr>>,
    b01: Option<&FpVar<Fr>>,
    b2: Option<&FpVar<Fr>>,
) -> FpVar<Fr> {
    let quarter = |t: &[Fr]| -> FpVar<Fr> {
        let mut f = FpVar::Constant(t[0]) + b0 * (t[1] - t[0]);
        if let (Some(b1), Some(b01)) = (b1, b01) {
            f += b1 * (t[2] - t[0]);
            f += b01 * (t[3] - t[2] - t[1] + t[0]);
        }
        f
    };
    let low = quarter(&table[..4]);
    match b2 {
        None => low,
        Some(b2) => {
            let high = quarter(&table[4..]);
            let step = b2 * (high - &low);
            step + low
        }
    }
}

/// `S·base` for `S = Σ bits[i]·2^i`, with 3-bit windows over a precomputed table: per window one
/// constraint for `b0·b1` and one per coordinate for the third bit (3), then a complete Edwards
/// addition (6) into the accumulator; the first window needs no addition.
///
/// # Panics
/// If `table` has fewer windows than `bits` needs, or `bits` is empty.
pub fn fixed_base_mul(
    cs: &ConstraintSystemRef<Fr>,
    table: &FixedBaseTable,
    bits: &[Boolean<Fr>],
) -> Result<PointVar, SynthesisError> {
    assert!(!bits.is_empty(), "a scalar has bits");
    assert!(
        table.windows.len() >= bits.len().div_ceil(3),
        "table too short"
    );
    let mut acc: Option<PointVar> = None;
    for (window, chunk) in table.windows.iter().zip(bits.chunks(3)) {
        let b: Vec<FpVar<Fr>> = chunk.iter().map(|b| FpVar::from(b.clone())).collect();
        let b01 = if b.len() >= 2 {
            Some(&b[0] * &b[1])
        } else {
            None
        };
        let point = PointVar {
            x: lookup_coordinate(window.map(|p| p.0), &b[0], b.get(1), b01.as_ref(), b.get(2)),
            y: lookup_coordinate(window.map(|p| p.1), &b[0], b.get(1), b01.as_ref(), b.get(2)),
        };
        acc = Some(match acc {
            None => point,
            Some(acc) => add(cs, &acc, &point)?,
        });
    }
    Ok(acc.expect("at least one window"))
}

/// `(2h + 2^n + 1)·P` for `h = Σ bits[i]·2^i` (n = `bits.len()`), given `P` and `P2 = 2P` in
/// Edwards form. `P` must have prime order l (the [module docs](self) give the argument; the first
/// [`MONTGOMERY_STEPS`] steps rely on it). Cost: 4 + 6·min(n, 249) + 2 + 12·(n − 249 if positive).
pub fn signed_digit_mul(
    cs: &ConstraintSystemRef<Fr>,
    p: &PointVar,
    p2: &PointVar,
    bits: &[Boolean<Fr>],
) -> Result<PointVar, SynthesisError> {
    let n = bits.len();
    let montgomery_steps = n.min(MONTGOMERY_STEPS);
    let p_mont = to_montgomery(cs, p)?;
    let mut acc = to_montgomery(cs, p2)?;
    for bit in bits[n - montgomery_steps..].iter().rev() {
        acc = montgomery_double_and_add(cs, &acc, &p_mont, bit)?;
    }
    let mut acc = from_montgomery(cs, &acc)?;
    for bit in bits[..n - montgomery_steps].iter().rev() {
        let (doubled, _, _) = double(cs, &acc)?;
        acc = add(cs, &doubled, &negate_unless(p, bit)?)?;
    }
    Ok(acc)
}

/// `8P` through three doublings (15 constraints), enforcing first that `P` is on the curve (1).
fn on_curve_times_eight(
    cs: &ConstraintSystemRef<Fr>,
    p: &PointVar,
) -> Result<PointVar, SynthesisError> {
    let (p2, xx, yy) = double(cs, p)?;
    enforce_on_curve(&xx, &yy)?;
    let (p4, _, _) = double(cs, &p2)?;
    let (p8, _, _) = double(cs, &p4)?;
    Ok(p8)
}

/// Enforces that `signature` verifies on `msg` under `public_key` (the scheme of
/// [`rollup::eddsa`](crate::rollup::eddsa), steps in the [module docs](self)).
pub fn verify_signature(
    cs: &ConstraintSystemRef<Fr>,
    public_key: &PointVar,
    msg: &FpVar<Fr>,
    signature: &SignatureVar,
) -> Result<(), SynthesisError> {
    let a8 = on_curve_times_eight(cs, public_key)?;
    let (a16, _, _) = double(cs, &a8)?;
    let r8 = on_curve_times_eight(cs, &signature.r)?;

    let h = poseidon_hash(&[
        signature.r.x.clone(),
        signature.r.y.clone(),
        public_key.x.clone(),
        public_key.y.clone(),
        msg.clone(),
    ])?;
    let h_bits = to_bits_strict(cs, &h)?;
    let e_a8 = signed_digit_mul(cs, &a8, &a16, &h_bits)?;
    let right = add(cs, &r8, &e_a8)?;

    let left = fixed_base_mul(cs, FixedBaseTable::base8(), &signature.s_bits)?;
    left.enforce_equal(&right)
}

/// The value of a point variable as an affine point (no curve check), for tests.
pub fn point_value(p: &PointVar) -> Result<EdwardsAffine, SynthesisError> {
    let (x, y) = p.value()?;
    Ok(EdwardsAffine::new_unchecked(x, y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::BigInt;

    #[test]
    fn montgomery_steps_bound_is_tight() {
        // 3·2^k − 1 < l exactly for k ≤ MONTGOMERY_STEPS.
        let three_times_two_to = |k: u32| {
            let mut v = BigInt::<4>::from(3u64);
            v <<= k;
            v
        };
        let l = Scalar::MODULUS;
        assert!(three_times_two_to(MONTGOMERY_STEPS as u32) <= l);
        assert!(three_times_two_to(MONTGOMERY_STEPS as u32 + 1) > l);
    }
}
