//! circomlib Poseidon as constraints, with the constants of
//! [`rollup::poseidon::parameters`](crate::rollup::poseidon::parameters).
//!
//! Each S-box `x ↦ x^5` costs 3 constraints (`x²`, `x⁴`, `x⁴·x`); round constants and the MDS
//! matrix are linear and free. The state starts as `[0, inputs…]`, so the first full round's S-box
//! on the constant first element is free too. Costs: `3·(8·t + partial rounds − 1)` constraints
//! for width t = inputs + 1, i.e. 240 for 2 inputs, 297 for 4, 321 for 5.

use ark_bn254::Fr;
use ark_ff::Zero;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::SynthesisError;

use crate::rollup::poseidon::parameters;

fn sbox(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

/// circomlib `Poseidon(inputs.len())` of `inputs`, equal to
/// [`rollup::poseidon::hash`](crate::rollup::poseidon::hash) on the values.
///
/// # Panics
/// If `inputs` is empty or longer than [`MAX_INPUTS`](crate::rollup::poseidon::MAX_INPUTS).
pub fn poseidon_hash(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let params = parameters(inputs.len());
    let width = params.width;
    let mut state: Vec<FpVar<Fr>> = std::iter::once(FpVar::Constant(Fr::zero()))
        .chain(inputs.iter().cloned())
        .collect();
    let half_full = params.full_rounds / 2;
    let rounds = params.full_rounds + params.partial_rounds;
    for round in 0..rounds {
        for (i, element) in state.iter_mut().enumerate() {
            *element += params.ark[round * width + i];
        }
        let full = round < half_full || round >= half_full + params.partial_rounds;
        if full {
            for element in state.iter_mut() {
                *element = sbox(element)?;
            }
        } else {
            state[0] = sbox(&state[0])?;
        }
        // The last round only needs the first row of the MDS product: the output.
        let rows = if round + 1 == rounds { 1 } else { width };
        state = (0..rows)
            .map(|row| {
                state
                    .iter()
                    .zip(&params.mds[row])
                    .map(|(element, m)| element * *m)
                    .sum()
            })
            .collect();
    }
    Ok(state.swap_remove(0))
}
