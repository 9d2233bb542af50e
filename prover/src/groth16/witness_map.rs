//! The R1CS-to-QAP witness map — libsnark's reduction, as ark-groth16's `LibsnarkReduction` —
//! with every NTT on the accelerator.
//!
//! For `m` constraints, `ℓ` instance variables and the domain `H = ⟨ω⟩` of size `n ≥ m + ℓ`:
//!
//! 1. `a = A·z`, `b = B·z`, `c = C·z` over the `m` constraint rows (zero beyond), with rows
//!    `m..m+ℓ` of `a` set to the instance assignment `z[..ℓ]` (libsnark's extra rows, which make
//!    the instance polynomials linearly independent); every constraint is checked on the way;
//! 2. each vector is interpolated over `H` (inverse NTT) and evaluated over the coset `gH`,
//!    `g = Fr::GENERATOR` (forward coset NTT);
//! 3. on `gH` the vanishing polynomial `xⁿ − 1` is the constant `gⁿ − 1`, so the quotient's
//!    evaluations are `(a·b − c) / (gⁿ − 1)`, pointwise;
//! 4. an inverse coset NTT gives the quotient's `n` coefficients.

use std::time::{Duration, Instant};

use ark_bn254::Fr;
use ark_ff::{FftField, Field, One, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_relations::gr1cs::SynthesisError;
use ramjet_accel::{Accelerator, NttDirection};
use rayon::prelude::*;

use super::SynthesizedCircuit;
use crate::{ProverError, Result};

/// The witness map's result.
pub(super) struct Quotient {
    /// Coefficients of the quotient polynomial `h`, `n` of them (the last is zero for a
    /// satisfied circuit; the key's `h_query` has `n − 1` bases).
    pub(super) coefficients: Vec<Fr>,
    /// Time spent in the accelerator's NTTs.
    pub(super) ntt: Duration,
}

/// The evaluation domain's size for a circuit, as arkworks chooses it: the smallest power of
/// two at least `constraints + instance variables`, up to the field's two-adicity.
pub(super) fn domain_size(circuit: &SynthesizedCircuit) -> Result<usize> {
    let needed = circuit.num_constraints() + circuit.num_instance_variables();
    Radix2EvaluationDomain::<Fr>::compute_size_of_domain(needed).ok_or(ProverError::Synthesis(
        SynthesisError::PolynomialDegreeTooLarge,
    ))
}

/// Computes the quotient polynomial's coefficients; fails with [`ProverError::Unsatisfied`] if
/// the assignment violates a constraint.
pub(super) fn quotient(
    accel: &Accelerator,
    circuit: &SynthesizedCircuit,
    domain_size: usize,
) -> Result<Quotient> {
    let constraints = circuit.num_constraints();
    let instance = circuit.num_instance_variables();
    let z = circuit.assignment();
    let matrices = circuit.compact_matrices();

    let mut a = vec![Fr::zero(); domain_size];
    let mut b = vec![Fr::zero(); domain_size];
    let mut c = vec![Fr::zero(); domain_size];
    matrices.evaluate(0, z, &mut a[..constraints]);
    matrices.evaluate(1, z, &mut b[..constraints]);
    matrices.evaluate(2, z, &mut c[..constraints]);
    if let Some(index) = (0..constraints)
        .into_par_iter()
        .position_first(|i| a[i] * b[i] != c[i])
    {
        return Err(ProverError::Unsatisfied { index, constraints });
    }
    a[constraints..constraints + instance].copy_from_slice(&z[..instance]);

    let offset = Fr::GENERATOR;
    let mut ntt_time = Duration::ZERO;
    let mut ntt = |values: &mut [Fr], direction: NttDirection, coset: Option<Fr>| -> Result<()> {
        let start = Instant::now();
        accel.ntt(values, direction, coset)?;
        ntt_time += start.elapsed();
        Ok(())
    };
    for values in [&mut a, &mut b, &mut c] {
        ntt(values, NttDirection::Inverse, None)?;
        ntt(values, NttDirection::Forward, Some(offset))?;
    }

    let vanishing_inverse = (offset.pow([domain_size as u64]) - Fr::one())
        .inverse()
        .expect("the multiplicative generator lies outside every power-of-two subgroup");
    a.par_iter_mut()
        .zip(b.par_iter())
        .zip(c.par_iter())
        .for_each(|((a_i, b_i), c_i)| {
            *a_i = (*a_i * b_i - c_i) * vanishing_inverse;
        });
    drop(b);
    drop(c);
    ntt(&mut a, NttDirection::Inverse, Some(offset))?;

    Ok(Quotient {
        coefficients: a,
        ntt: ntt_time,
    })
}
