//! `msm_g1`, `msm_g2` and `ntt` over BN254: ramjet against arkworks.

use std::fmt::Display;

use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ramjet_accel::curve::Fr;
use ramjet_accel::{Backend, NttDirection};

use super::timed;
use crate::measure::{Contender, Sample};
use crate::{BenchError, Result};

/// arkworks' `VariableBaseMSM::msm`.
pub(crate) const ARKWORKS_MSM: &str = "arkworks msm";

/// arkworks' `Radix2EvaluationDomain::fft_in_place`.
pub(crate) const ARKWORKS_FFT: &str = "arkworks fft_in_place";

/// A ramjet backend's MSM in group `G`: `call` is the backend call over host bases (validated on
/// every call, as a caller without resident bases gets).
pub(crate) fn ramjet_msm<'a, G>(
    call: impl Fn() -> ramjet_accel::Result<G> + 'a,
) -> impl FnMut() -> Result<Sample> + 'a
where
    G: CurveGroup,
    G::Affine: Display,
{
    move || {
        let (elapsed, sum) = timed(&call);
        Ok(Sample {
            elapsed,
            fingerprint: sum?.into_affine().to_string(),
        })
    }
}

/// arkworks' MSM over the same `bases` and `scalars`.
pub(crate) fn arkworks_msm<'a, G>(bases: &'a [G::MulBase], scalars: &'a [Fr]) -> Contender<'a>
where
    G: VariableBaseMSM<ScalarField = Fr> + CurveGroup,
    G::Affine: Display,
{
    Contender::new(ARKWORKS_MSM, move || {
        let (elapsed, sum) = timed(|| G::msm(bases, scalars));
        let sum = sum.map_err(|len| BenchError::Baseline {
            implementation: ARKWORKS_MSM.to_owned(),
            reason: format!("{len} bases vs scalars"),
        })?;
        Ok(Sample {
            elapsed,
            fingerprint: sum.into_affine().to_string(),
        })
    })
}

/// A ramjet backend's forward NTT of `values`. Each run copies `values` into the contender's own
/// buffer first, untimed, so that every run transforms the same input.
pub(crate) fn ramjet_ntt<'a>(
    backend: &'a dyn Backend,
    values: &'a [Fr],
) -> impl FnMut() -> Result<Sample> + 'a {
    let mut buffer = values.to_vec();
    move || {
        buffer.copy_from_slice(values);
        let (elapsed, done) = timed(|| backend.ntt(&mut buffer, NttDirection::Forward, None));
        done?;
        Ok(Sample {
            elapsed,
            fingerprint: sampled(&buffer),
        })
    }
}

/// arkworks' radix-2 FFT of the same `values`, in its own buffer refilled before each run.
pub(crate) fn arkworks_fft(values: &[Fr]) -> Result<Contender<'_>> {
    let domain =
        Radix2EvaluationDomain::<Fr>::new(values.len()).ok_or_else(|| BenchError::Baseline {
            implementation: ARKWORKS_FFT.to_owned(),
            reason: format!("no radix-2 domain of size {}", values.len()),
        })?;
    let mut buffer = values.to_vec();
    Ok(Contender::new(ARKWORKS_FFT, move || {
        buffer.copy_from_slice(values);
        let (elapsed, ()) = timed(|| domain.fft_in_place(&mut buffer));
        Ok(Sample {
            elapsed,
            fingerprint: sampled(&buffer),
        })
    }))
}

/// Up to 16 evenly spaced elements and the last one: enough to tell two transforms apart.
fn sampled(values: &[Fr]) -> String {
    let stride = (values.len() / 16).max(1);
    values
        .iter()
        .step_by(stride)
        .chain(values.last())
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}
