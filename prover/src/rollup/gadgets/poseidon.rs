//! circomlib Poseidon as constraints, with the constants of
//! [`rollup::poseidon::parameters`](crate::rollup::poseidon::parameters).
//!
//! Each S-box `x ↦ x^5` costs 3 constraints (`x²`, `x⁴`, `x⁴·x`); round constants and the MDS
//! matrix are linear and free. The state starts as `[0, inputs…]`, so the first full round's S-box
//! on the constant first element is free too. Costs: `3·(8·t + partial rounds − 1)` constraints
//! for width t = inputs + 1, i.e. 240 for 2 inputs, 297 for 4, 321 for 5.
//!
//! Between S-boxes the state is kept as linear forms over the S-box outputs, like terms merged,
//! and each S-box input enters the constraint system as one linear combination: the constraints
//! are the same as with `FpVar` arithmetic, but arkworks has far fewer (and no nested) linear
//! combinations to inline when it finalizes the constraint system.

use ark_bn254::Fr;
use ark_ff::{One, Zero};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::fields::fp::{AllocatedFp, FpVar};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

use crate::rollup::poseidon::parameters;

/// A state element between S-boxes: `Σ cᵢ·vᵢ + constant` over circuit variables, kept out of
/// the constraint system until an S-box or the output needs it.
///
/// Round constants and MDS products are applied to these forms directly, with like terms merged,
/// so each S-box input becomes one linear combination of the S-box outputs before it. Built
/// with `FpVar` arithmetic instead, every `m·x` and every sum would be a linear combination of
/// linear combinations, and arkworks, which inlines each of them into its users when the
/// constraint system is finalized, would store every partial round's state many times over.
///
/// When the constraint system keeps no linear combination (a prover synthesizing the assignment
/// alone), the terms are not tracked: only the value, and whether the form is a constant.
#[derive(Clone)]
struct Linear {
    /// The terms, when tracked.
    terms: Vec<(Fr, Variable)>,
    constant: Fr,
    /// Whether the form depends on a variable (a constant form's S-box costs nothing).
    variable: bool,
    /// The form's value, when the assignment is known.
    value: Option<Fr>,
}

impl Linear {
    fn of(var: &FpVar<Fr>, track: bool) -> Self {
        match var {
            FpVar::Constant(c) => Self::constant(*c),
            FpVar::Var(v) => Self {
                terms: if track {
                    vec![(Fr::one(), v.variable)]
                } else {
                    Vec::new()
                },
                constant: Fr::zero(),
                variable: true,
                value: v.value().ok(),
            },
        }
    }

    fn constant(c: Fr) -> Self {
        Self {
            terms: Vec::new(),
            constant: c,
            variable: false,
            value: Some(c),
        }
    }

    /// `Σ coefficients[j]·forms[j]`, like terms merged (when tracked).
    fn combine(forms: &[Linear], coefficients: &[Fr], track: bool) -> Self {
        let mut terms = LinearCombination(Vec::new());
        if track {
            terms.0 = forms
                .iter()
                .zip(coefficients)
                .flat_map(|(form, &m)| form.terms.iter().map(move |&(c, v)| (m * c, v)))
                .collect();
            terms.compactify();
            terms.0.retain(|(c, _)| !c.is_zero());
        }
        let weighted = || forms.iter().zip(coefficients);
        Self {
            terms: terms.0,
            constant: weighted().map(|(form, m)| *m * form.constant).sum(),
            variable: forms.iter().any(|form| form.variable),
            value: weighted()
                .map(|(form, m)| form.value.map(|v| *m * v))
                .sum::<Option<Fr>>(),
        }
    }

    fn add_constant(&mut self, c: Fr) {
        self.constant += c;
        self.value = self.value.map(|v| v + c);
    }

    /// The form as a circuit value: a constant, a variable, or one new linear combination.
    fn to_fp(&self, cs: &ConstraintSystemRef<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        if !self.variable {
            return Ok(FpVar::Constant(self.constant));
        }
        if let [(c, v)] = self.terms.as_slice()
            && c.is_one()
            && self.constant.is_zero()
        {
            return Ok(FpVar::Var(AllocatedFp::new(self.value, *v, cs.clone())));
        }
        // Untracked terms only when the constraint system does not store this combination.
        let variable = cs.new_lc(|| {
            let mut lc = LinearCombination(self.terms.clone());
            if !self.constant.is_zero() {
                lc.0.push((self.constant, Variable::One));
            }
            lc
        })?;
        Ok(FpVar::Var(AllocatedFp::new(
            self.value,
            variable,
            cs.clone(),
        )))
    }
}

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
    let cs = inputs.cs();
    if cs.is_none() {
        // Every input is a constant: so is the hash.
        let values = inputs
            .iter()
            .map(|i| i.value())
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(FpVar::Constant(crate::rollup::poseidon::hash(&values)));
    }
    // Whether the constraint system stores linear combinations (setup, or a prover building
    // the matrices or the combinations' assignments): only then are the terms needed.
    let track = cs.borrow().is_some_and(|inner| {
        inner.should_construct_matrices() || inner.should_generate_lc_assignments()
    });
    let mut state: Vec<Linear> = std::iter::once(Linear::constant(Fr::zero()))
        .chain(inputs.iter().map(|input| Linear::of(input, track)))
        .collect();
    let half_full = params.full_rounds / 2;
    let rounds = params.full_rounds + params.partial_rounds;
    for round in 0..rounds {
        for (i, element) in state.iter_mut().enumerate() {
            element.add_constant(params.ark[round * width + i]);
        }
        let full = round < half_full || round >= half_full + params.partial_rounds;
        let sboxes = if full { width } else { 1 };
        for element in &mut state[..sboxes] {
            *element = Linear::of(&sbox(&element.to_fp(&cs)?)?, track);
        }
        // The last round only needs the first row of the MDS product: the output.
        let rows = if round + 1 == rounds { 1 } else { width };
        state = (0..rows)
            .map(|row| Linear::combine(&state, &params.mds[row], track))
            .collect();
    }
    state[0].to_fp(&cs)
}
