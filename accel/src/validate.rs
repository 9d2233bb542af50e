//! Input checks shared by every backend, so that all of them reject bad input the same way.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ff::{FftField, Zero};
use rayon::prelude::*;

use crate::{AccelError, MsmBases, Result};

/// Largest NTT: the two-adicity of the BN254 scalar field.
pub const NTT_MAX_LOG: u32 = <Fr as FftField>::TWO_ADICITY;

/// Checks an NTT's length and coset offset.
pub fn ntt_input(len: usize, coset: Option<Fr>) -> Result<()> {
    if !len.is_power_of_two() || len.trailing_zeros() > NTT_MAX_LOG {
        return Err(AccelError::NttSize {
            len,
            max_log: NTT_MAX_LOG,
        });
    }
    if coset.is_some_and(|c| c.is_zero()) {
        return Err(AccelError::ZeroCosetOffset);
    }
    Ok(())
}

/// Checks that every G1 base is on the curve (BN254 G1 has cofactor 1, so on the curve means in
/// the group).
pub fn g1_on_curve(bases: &[G1Affine]) -> Result<()> {
    match bases.par_iter().position_first(|p| !p.is_on_curve()) {
        Some(index) => Err(AccelError::PointNotOnCurve { group: "G1", index }),
        None => Ok(()),
    }
}

/// Checks that every G2 base is on the twist curve.
pub fn g2_on_curve(bases: &[G2Affine]) -> Result<()> {
    match bases.par_iter().position_first(|p| !p.is_on_curve()) {
        Some(index) => Err(AccelError::PointNotOnCurve { group: "G2", index }),
        None => Ok(()),
    }
}

/// Checks an MSM's lengths, and host bases' curve membership (resident bases were checked when
/// they were made).
pub fn msm_input<A>(
    what: &'static str,
    bases: &MsmBases<'_, A>,
    scalars: &[Fr],
    on_curve: impl Fn(&[A]) -> Result<()>,
) -> Result<()> {
    let host = bases.host();
    if host.len() != scalars.len() {
        return Err(AccelError::LengthMismatch {
            what,
            expected: host.len(),
            actual: scalars.len(),
        });
    }
    if let MsmBases::Host(b) = bases {
        on_curve(b)?;
    }
    Ok(())
}
