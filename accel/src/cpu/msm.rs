//! PLACEHOLDER until the Pippenger module lands: arkworks' MSM.

use ark_ec::VariableBaseMSM;
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};

pub(crate) fn msm<P: SWCurveConfig>(
    bases: &[Affine<P>],
    scalars: &[P::ScalarField],
) -> Projective<P> {
    Projective::<P>::msm_unchecked(bases, scalars)
}
