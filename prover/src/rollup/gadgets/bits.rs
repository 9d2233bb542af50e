//! Bit decompositions, range checks and comparisons with constants.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, BigInteger, One, PrimeField, Zero};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::fields::fp::{AllocatedFp, FpVar};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

/// Allocates `n` witness bits, little-endian, bit `i` given by `bit(i)` when a value is known.
/// `n` constraints (booleanity).
pub fn alloc_bits_le(
    cs: &ConstraintSystemRef<Fr>,
    n: usize,
    bit: Option<&dyn Fn(usize) -> bool>,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    (0..n)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                bit.map(|b| b(i)).ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect()
}

/// `Σ bits[i]·2^i` as a linear combination (no constraint; wraps modulo p past 253 bits).
///
/// The sum is one linear combination of the bits, not a chain of partial sums: arkworks inlines
/// every linear combination into the ones that use it, so a chain of `n` partial sums would cost
/// `n²/2` terms when the constraint system is finalized.
pub fn le_bits_to_fp(bits: &[Boolean<Fr>]) -> FpVar<Fr> {
    let mut power = Fr::one();
    let mut constant = Fr::zero();
    let mut terms = Vec::with_capacity(bits.len() + 1);
    let mut value = Some(Fr::zero());
    let mut cs = ConstraintSystemRef::None;
    for bit in bits {
        match bit {
            Boolean::Constant(set) => {
                if *set {
                    constant += power;
                }
            }
            Boolean::Var(allocated) => {
                terms.push((power, allocated.variable()));
                value = value
                    .zip(allocated.value().ok())
                    .map(|(sum, set)| if set { sum + power } else { sum });
                cs = cs.or(bit.cs());
            }
        }
        power.double_in_place();
    }
    if terms.is_empty() {
        return FpVar::Constant(constant);
    }
    if !constant.is_zero() {
        terms.push((constant, Variable::One));
    }
    let value = value.map(|sum| sum + constant);
    let variable = cs
        .new_lc(|| LinearCombination(terms))
        .expect("a bit variable belongs to a constraint system");
    FpVar::Var(AllocatedFp::new(value, variable, cs))
}

/// Allocates an `n`-bit unsigned integer (`n < 254`): its bits (little-endian) and its value as a
/// field element, which is thereby below 2^n. `n` constraints.
pub fn alloc_uint(
    cs: &ConstraintSystemRef<Fr>,
    value: Option<u64>,
    n: usize,
) -> Result<(Vec<Boolean<Fr>>, FpVar<Fr>), SynthesisError> {
    assert!(n <= 64, "u64 values have at most 64 bits");
    let bit = value.map(|v| move |i: usize| (v >> i) & 1 == 1);
    let bits = alloc_bits_le(cs, n, bit.as_ref().map(|b| b as &dyn Fn(usize) -> bool))?;
    let value = le_bits_to_fp(&bits);
    Ok((bits, value))
}

/// Bits of `v`'s value, little-endian (`None` without a value).
fn value_bits(v: &FpVar<Fr>) -> Option<<Fr as PrimeField>::BigInt> {
    v.value().ok().map(|x| x.into_bigint())
}

/// Enforces `0 ≤ v < 2^n` (`n < 254`) and returns v's `n` bits, little-endian. `n + 1`
/// constraints. With a value of `v` outside the range no assignment satisfies them.
pub fn range_check(
    cs: &ConstraintSystemRef<Fr>,
    v: &FpVar<Fr>,
    n: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    assert!(n < Fr::MODULUS_BIT_SIZE as usize, "range below the modulus");
    let big = value_bits(v);
    let bit = big.map(|b| move |i: usize| b.get_bit(i));
    let bits = alloc_bits_le(cs, n, bit.as_ref().map(|b| b as &dyn Fn(usize) -> bool))?;
    le_bits_to_fp(&bits).enforce_equal(v)?;
    Ok(bits)
}

/// The unique 254-bit little-endian decomposition of `v` (the integer `0 ≤ v < p`): 254 booleanity
/// constraints, 1 for the sum, and [`enforce_le_constant`] against p − 1 to rule out the alias
/// `v + p`.
pub fn to_bits_strict(
    cs: &ConstraintSystemRef<Fr>,
    v: &FpVar<Fr>,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let n = Fr::MODULUS_BIT_SIZE as usize;
    let big = value_bits(v);
    let bit = big.map(|b| move |i: usize| b.get_bit(i));
    let bits = alloc_bits_le(cs, n, bit.as_ref().map(|b| b as &dyn Fn(usize) -> bool))?;
    le_bits_to_fp(&bits).enforce_equal(v)?;
    let mut p_minus_one = Fr::MODULUS;
    p_minus_one.sub_with_borrow(&<Fr as PrimeField>::BigInt::from(1u64));
    enforce_le_constant(&bits, &p_minus_one)?;
    Ok(bits)
}

/// Enforces `Σ bits[i]·2^i ≤ c` for booleans `bits` (little-endian) and a constant `c`.
///
/// Scanning from the top bit, `eq` is 1 while the bits above agree with `c` wherever `c` has a 1
/// (a product, 1 constraint per 1-bit of `c` once `eq` is a variable); on each run of 0-bits of `c`
/// the bits must all be 0 while `eq` is 1, one constraint `eq · Σ run = 0` per run. The number is
/// larger than `c` exactly when some bit is 1 where `c` has a 0 and everything above agrees, which
/// that run's constraint forbids. Cost: about (1-bits of c) + (0-runs of c) constraints.
pub fn enforce_le_constant<B: BigInteger>(
    bits: &[Boolean<Fr>],
    c: &B,
) -> Result<(), SynthesisError> {
    let n = bits.len();
    if (n..B::NUM_LIMBS * 64).any(|i| c.get_bit(i)) {
        return Ok(()); // c ≥ 2^n: every n-bit number is below it.
    }
    let mut eq = FpVar::Constant(Fr::one());
    let mut i = n;
    while i > 0 {
        if c.get_bit(i - 1) {
            eq *= FpVar::from(bits[i - 1].clone());
            i -= 1;
        } else {
            let mut run = FpVar::Constant(Fr::zero());
            while i > 0 && !c.get_bit(i - 1) {
                run += FpVar::from(bits[i - 1].clone());
                i -= 1;
            }
            eq.mul_equals(&run, &FpVar::Constant(Fr::zero()))?;
        }
    }
    Ok(())
}

/// Enforces `v ≠ 0` (1 constraint: `v · v⁻¹ = 1`).
pub fn enforce_nonzero(v: &FpVar<Fr>) -> Result<(), SynthesisError> {
    v.inverse().map(drop)
}
