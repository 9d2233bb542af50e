//! Baby Jubjub arithmetic as constraints, in two coordinate systems.
//!
//! - Twisted Edwards (ark-ed-on-bn254's form, a = 1): `x² + y² = 1 + d·x²·y²`. The addition law is
//!   complete on this curve (a is a square, d is not), so [`add`] and [`double`] have no
//!   exceptional inputs among curve points. `add` costs 6 constraints, `double` 5.
//! - Montgomery: `B·v² = u³ + A·u² + u` with A = 168698, B = 168700, the curve's birational
//!   Montgomery form: `u = (1 + y)/(1 − y)`, `v = u/x` ([`to_montgomery`], [`from_montgomery`], 2
//!   constraints each). Its chord-and-tangent formulas are cheaper but incomplete;
//!   [`montgomery_double_and_add`] (`2Q ± P` in 6 constraints) is only used where the caller proves
//!   that no exceptional case can occur (see [`super::eddsa`]).

use ark_bn254::Fr;
use ark_ec::twisted_edwards::TECurveConfig;
use ark_ed_on_bn254::{EdwardsAffine, EdwardsConfig};
use ark_ff::{AdditiveGroup, Field, One, Zero};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// Edwards `d`.
pub fn coeff_d() -> Fr {
    EdwardsConfig::COEFF_D
}

/// Montgomery `A` = 2(a + d)/(a − d) = 168698.
pub fn mont_a() -> Fr {
    Fr::from(168698u64)
}

/// Montgomery `B` = 4/(a − d) = 168700.
pub fn mont_b() -> Fr {
    Fr::from(168700u64)
}

/// `a / b`, or 0 when `b = 0` (a witness value the constraints then reject).
fn div(a: Fr, b: Fr) -> Fr {
    a * b.inverse().unwrap_or(Fr::zero())
}

/// A point in twisted Edwards affine coordinates.
#[derive(Clone, Debug)]
pub struct PointVar {
    /// Affine x.
    pub x: FpVar<Fr>,
    /// Affine y.
    pub y: FpVar<Fr>,
}

impl PointVar {
    /// Allocates a witness point; no check that it lies on the curve.
    pub fn new_witness(
        cs: &ConstraintSystemRef<Fr>,
        point: Option<(Fr, Fr)>,
    ) -> Result<Self, SynthesisError> {
        let missing = SynthesisError::AssignmentMissing;
        Ok(Self {
            x: FpVar::new_witness(cs.clone(), || point.map(|p| p.0).ok_or(missing))?,
            y: FpVar::new_witness(cs.clone(), || point.map(|p| p.1).ok_or(missing))?,
        })
    }

    /// A constant point.
    pub fn constant(point: EdwardsAffine) -> Self {
        Self {
            x: FpVar::Constant(point.x),
            y: FpVar::Constant(point.y),
        }
    }

    /// The assigned coordinates.
    pub fn value(&self) -> Result<(Fr, Fr), SynthesisError> {
        Ok((self.x.value()?, self.y.value()?))
    }

    /// Enforces equality with `other` (2 constraints).
    pub fn enforce_equal(&self, other: &Self) -> Result<(), SynthesisError> {
        use ark_r1cs_std::eq::EqGadget;
        self.x.enforce_equal(&other.x)?;
        self.y.enforce_equal(&other.y)
    }
}

/// Edwards sum of two point values (complete formulas; 0 where a denominator vanishes off the
/// curve).
pub fn add_values((x1, y1): (Fr, Fr), (x2, y2): (Fr, Fr)) -> (Fr, Fr) {
    let t = coeff_d() * x1 * x2 * y1 * y2;
    (
        div(x1 * y2 + y1 * x2, Fr::one() + t),
        div(y1 * y2 - x1 * x2, Fr::one() - t),
    )
}

/// `p + q`, complete Edwards addition (6 constraints):
/// `α = x1·x2`, `β = y1·y2`, `γ = (d·α)·β`, `δ = (x1 + y1)·(x2 + y2)`,
/// `x3·(1 + γ) = δ − α − β`, `y3·(1 − γ) = β − α`.
pub fn add(
    cs: &ConstraintSystemRef<Fr>,
    p: &PointVar,
    q: &PointVar,
) -> Result<PointVar, SynthesisError> {
    let alpha = &p.x * &q.x;
    let beta = &p.y * &q.y;
    let gamma = (&alpha * coeff_d()) * &beta;
    let delta = (&p.x + &p.y) * (&q.x + &q.y);
    let sum = PointVar::new_witness(
        cs,
        p.value().and_then(|p| Ok(add_values(p, q.value()?))).ok(),
    )?;
    sum.x
        .mul_equals(&(&gamma + Fr::one()), &(&delta - &alpha - &beta))?;
    sum.y
        .mul_equals(&(FpVar::one() - &gamma), &(&beta - &alpha))?;
    Ok(sum)
}

/// `2p` and the squares `x²`, `y²` it computed (5 constraints):
/// `x3·(x² + y²) = 2xy`, `y3·(2 − x² − y²) = y² − x²`. Valid for points on the curve, where
/// `x² + y² = 1 + d·x²·y²`; pass the squares to [`enforce_on_curve`] to check that for free but
/// one constraint.
pub fn double(
    cs: &ConstraintSystemRef<Fr>,
    p: &PointVar,
) -> Result<(PointVar, FpVar<Fr>, FpVar<Fr>), SynthesisError> {
    let xy = &p.x * &p.y;
    let xx = p.x.square()?;
    let yy = p.y.square()?;
    let doubled = PointVar::new_witness(
        cs,
        p.value()
            .map(|(x, y)| {
                let (xx, yy) = (x.square(), y.square());
                (
                    div((x * y).double(), xx + yy),
                    div(yy - xx, Fr::from(2u64) - xx - yy),
                )
            })
            .ok(),
    )?;
    doubled.x.mul_equals(&(&xx + &yy), &xy.double()?)?;
    doubled
        .y
        .mul_equals(&(FpVar::Constant(Fr::from(2u64)) - &xx - &yy), &(&yy - &xx))?;
    Ok((doubled, xx, yy))
}

/// Enforces that the point whose coordinates have squares `xx`, `yy` is on the curve:
/// `(d·x²)·y² = x² + y² − 1` (1 constraint).
pub fn enforce_on_curve(xx: &FpVar<Fr>, yy: &FpVar<Fr>) -> Result<(), SynthesisError> {
    (xx * coeff_d()).mul_equals(yy, &(xx + yy - Fr::one()))
}

/// `p` if `bit` is 1, `−p = (−x, y)` if 0 (1 constraint).
pub fn negate_unless(p: &PointVar, bit: &Boolean<Fr>) -> Result<PointVar, SynthesisError> {
    let bx = FpVar::from(bit.clone()) * &p.x;
    Ok(PointVar {
        x: bx.double()? - &p.x,
        y: p.y.clone(),
    })
}

/// A point in Montgomery affine coordinates `(u, v)`.
#[derive(Clone, Debug)]
pub struct MontPointVar {
    /// Affine u.
    pub u: FpVar<Fr>,
    /// Affine v.
    pub v: FpVar<Fr>,
}

impl MontPointVar {
    fn value(&self) -> Result<(Fr, Fr), SynthesisError> {
        Ok((self.u.value()?, self.v.value()?))
    }

    fn new_witness(
        cs: &ConstraintSystemRef<Fr>,
        point: Option<(Fr, Fr)>,
    ) -> Result<Self, SynthesisError> {
        let p = PointVar::new_witness(cs, point)?;
        Ok(Self { u: p.x, v: p.y })
    }
}

/// The Montgomery form of an Edwards point (2 constraints: `u·(1 − y) = 1 + y`, `v·x = u`).
/// Unsatisfiable for the identity (y = 1); the order-2 point (0, −1) must not be passed (its `v`
/// would be free).
pub fn to_montgomery(
    cs: &ConstraintSystemRef<Fr>,
    p: &PointVar,
) -> Result<MontPointVar, SynthesisError> {
    let value = p.value().ok().map(|(x, y)| {
        let u = div(Fr::one() + y, Fr::one() - y);
        (u, div(u, x))
    });
    let m = MontPointVar::new_witness(cs, value)?;
    m.u.mul_equals(&(FpVar::one() - &p.y), &(&p.y + Fr::one()))?;
    m.v.mul_equals(&p.x, &m.u)?;
    Ok(m)
}

/// The Edwards form of a Montgomery point (2 constraints: `x·v = u`, `y·(u + 1) = u − 1`), for
/// points other than the 2-torsion ones.
pub fn from_montgomery(
    cs: &ConstraintSystemRef<Fr>,
    m: &MontPointVar,
) -> Result<PointVar, SynthesisError> {
    let value = m
        .value()
        .ok()
        .map(|(u, v)| (div(u, v), div(u - Fr::one(), u + Fr::one())));
    let p = PointVar::new_witness(cs, value)?;
    p.x.mul_equals(&m.v, &m.u)?;
    p.y.mul_equals(&(&m.u + Fr::one()), &(&m.u - Fr::one()))?;
    Ok(p)
}

/// `2Q + P'` on the Montgomery curve, where `P' = P` if `bit` is 1 and `−P` if 0, without computing
/// `Q + P'`'s v (6 constraints):
///
/// - `t = bit·v_P`, `v_P' = 2t − v_P`;
/// - `λ1·(u_P − u_Q) = v_P' − v_Q`, `(B·λ1)·λ1 = u_R + A + u_Q + u_P` (R = Q + P');
/// - `(λ1 + λ2)·(u_Q − u_R) = 2·v_Q`, `(B·λ2)·λ2 = u_S + A + u_R + u_Q`,
///   `λ2·(u_Q − u_S) = v_S + v_Q` (S = R + Q).
///
/// Sound only when `Q ≠ ±P'` and `R ≠ ±Q` (the chords are defined): the caller's duty.
pub fn montgomery_double_and_add(
    cs: &ConstraintSystemRef<Fr>,
    q: &MontPointVar,
    p: &MontPointVar,
    bit: &Boolean<Fr>,
) -> Result<MontPointVar, SynthesisError> {
    let t = FpVar::from(bit.clone()) * &p.v;
    let vp_signed = t.double()? - &p.v;
    let (a, b) = (mont_a(), mont_b());
    let values = (|| -> Result<_, SynthesisError> {
        let (uq, vq) = q.value()?;
        let up = p.u.value()?;
        let vp = vp_signed.value()?;
        let lambda1 = div(vp - vq, up - uq);
        let ur = b * lambda1.square() - a - uq - up;
        let lambda2 = div(vq.double(), uq - ur) - lambda1;
        let us = b * lambda2.square() - a - ur - uq;
        let vs = lambda2 * (uq - us) - vq;
        Ok((lambda1, ur, lambda2, us, vs))
    })()
    .ok();
    let missing = SynthesisError::AssignmentMissing;
    let lambda1 = FpVar::new_witness(cs.clone(), || values.map(|v| v.0).ok_or(missing))?;
    let ur = FpVar::new_witness(cs.clone(), || values.map(|v| v.1).ok_or(missing))?;
    let lambda2 = FpVar::new_witness(cs.clone(), || values.map(|v| v.2).ok_or(missing))?;
    let us = FpVar::new_witness(cs.clone(), || values.map(|v| v.3).ok_or(missing))?;
    let vs = FpVar::new_witness(cs.clone(), || values.map(|v| v.4).ok_or(missing))?;

    lambda1.mul_equals(&(&p.u - &q.u), &(&vp_signed - &q.v))?;
    (&lambda1 * b).mul_equals(&lambda1, &(&ur + a + &q.u + &p.u))?;
    (&lambda1 + &lambda2).mul_equals(&(&q.u - &ur), &q.v.double()?)?;
    (&lambda2 * b).mul_equals(&lambda2, &(&us + a + &ur + &q.u))?;
    lambda2.mul_equals(&(&q.u - &us), &(&vs + &q.v))?;
    Ok(MontPointVar { u: us, v: vs })
}
