//! `msm_g1`, `msm_g2` and `ntt` over BN254: ramjet against arkworks.

use std::fmt::Display;

use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ramjet_accel::curve::Fr;
use ramjet_accel::{Backend, CpuBackend, NttDirection};

use super::{RAMJET_CPU, timed};
use crate::measure::{Contender, Sample};
use crate::{BenchError, Result};

/// arkworks' `VariableBaseMSM::msm`.
pub(crate) const ARKWORKS_MSM: &str = "arkworks msm";

/// arkworks' `Radix2EvaluationDomain::fft_in_place`.
pub(crate) const ARKWORKS_FFT: &str = "arkworks fft_in_place";

/// An MSM in group `G`: `ramjet` is the backend call over `bases` and `scalars` (host bases,
/// validated on every call, as a caller without resident bases gets).
pub(crate) fn msm<'a, G>(
    ramjet: impl Fn() -> ramjet_accel::Result<G> + 'a,
    bases: &'a [G::MulBase],
    scalars: &'a [Fr],
) -> Vec<Contender<'a>>
where
    G: VariableBaseMSM<ScalarField = Fr> + CurveGroup,
    G::Affine: Display,
{
    vec![
        Contender::new(RAMJET_CPU, move || {
            let (elapsed, sum) = timed(&ramjet);
            Ok(Sample {
                elapsed,
                fingerprint: sum?.into_affine().to_string(),
            })
        }),
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
        }),
    ]
}

/// A forward NTT of `values`. Each run copies `values` into its own buffer first, untimed, so
/// that every run transforms the same input.
pub(crate) fn ntt<'a>(backend: &'a CpuBackend, values: &'a [Fr]) -> Result<Vec<Contender<'a>>> {
    let domain =
        Radix2EvaluationDomain::<Fr>::new(values.len()).ok_or_else(|| BenchError::Baseline {
            implementation: ARKWORKS_FFT.to_owned(),
            reason: format!("no radix-2 domain of size {}", values.len()),
        })?;
    let mut ramjet_buffer = values.to_vec();
    let mut arkworks_buffer = values.to_vec();
    Ok(vec![
        Contender::new(RAMJET_CPU, move || {
            ramjet_buffer.copy_from_slice(values);
            let (elapsed, done) =
                timed(|| backend.ntt(&mut ramjet_buffer, NttDirection::Forward, None));
            done?;
            Ok(Sample {
                elapsed,
                fingerprint: sampled(&ramjet_buffer),
            })
        }),
        Contender::new(ARKWORKS_FFT, move || {
            arkworks_buffer.copy_from_slice(values);
            let (elapsed, ()) = timed(|| domain.fft_in_place(&mut arkworks_buffer));
            Ok(Sample {
                elapsed,
                fingerprint: sampled(&arkworks_buffer),
            })
        }),
    ])
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
