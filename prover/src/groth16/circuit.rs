//! A circuit after synthesis: its R1CS matrices and its full assignment.

use std::sync::Arc;

use ark_bn254::Fr;
use ark_ff::One;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, Matrix, OptimizationGoal,
    R1CS_PREDICATE_LABEL, SynthesisError, SynthesisMode,
};

use super::matrices::R1csMatrices;
use crate::{ProverError, Result};

/// An R1CS instance with its satisfying (or not) assignment, ready for the witness map.
///
/// Made by [`synthesize`](Self::synthesize) from any `ConstraintSynthesizer<Fr>`, or from matrices
/// and an assignment obtained elsewhere ([`from_matrices`](Self::from_matrices)), so that a
/// benchmark can synthesize once and prove many times.
#[derive(Debug, Clone)]
pub struct SynthesizedCircuit {
    /// `A`, `B`, `C`, shared with the [`PreparedKey`](super::PreparedKey) that reuses them.
    matrices: Arc<R1csMatrices>,
    num_instance_variables: usize,
    assignment: Vec<Fr>,
}

impl SynthesizedCircuit {
    /// Synthesizes `circuit` as ark-groth16's prover does: `OptimizationGoal::Constraints`,
    /// `SynthesisMode::Prove { construct_matrices: true, generate_lc_assignments: false }`, then
    /// `finalize` (which inlines the linear combinations). The matrices are then read from the
    /// constraint system row by row into a compact form (see `matrices`), and the constraint
    /// system is dropped. Satisfaction is checked later, by the witness map, which evaluates
    /// every constraint anyway.
    pub fn synthesize<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Self> {
        let cs = prove_mode(circuit, true)?;
        tracing::debug_span!("inline_lcs").in_scope(|| cs.finalize());

        if let Some((label, _)) = cs
            .get_all_predicates_num_constraints()
            .into_iter()
            .find(|(label, count)| label.as_str() != R1CS_PREDICATE_LABEL && *count > 0)
        {
            return Err(ProverError::UnsupportedPredicate(label));
        }
        let (num_instance_variables, assignment) = full_assignment(&cs)?;
        let matrices = tracing::debug_span!("matrices").in_scope(|| {
            let inner = cs.borrow().ok_or(SynthesisError::MissingCS)?;
            R1csMatrices::from_constraint_system(&inner, assignment.len())
        })?;
        drop(cs);
        Self::new(matrices, num_instance_variables, assignment)
    }

    /// Synthesizes `circuit` for its assignment only, reusing the matrices of `shape` (a
    /// circuit synthesized before for the same key): the constraints are not stored, which saves
    /// most of synthesis' time and memory. The assignment must have `shape`'s numbers of instance
    /// and witness variables; whether it satisfies the matrices is checked by the witness map.
    pub(super) fn synthesize_witness<C: ConstraintSynthesizer<Fr>>(
        circuit: C,
        shape: &CircuitShape,
    ) -> Result<Self> {
        let cs = prove_mode(circuit, false)?;
        let (num_instance_variables, assignment) = full_assignment(&cs)?;
        if num_instance_variables != shape.num_instance_variables
            || assignment.len() != shape.num_variables
        {
            return Err(ProverError::KeyMismatch {
                what: "variables (instance + witness)",
                key: shape.num_variables,
                circuit: assignment.len(),
            });
        }
        Ok(Self {
            matrices: Arc::clone(&shape.matrices),
            num_instance_variables,
            assignment,
        })
    }

    /// An instance from its matrices `[A, B, C]` (one row per constraint, each row a list of
    /// `(coefficient, column)`), the number of instance variables (the constant one included) and
    /// the full assignment `z = (1, public inputs, witness)`.
    ///
    /// Fails with [`ProverError::Malformed`] when the three matrices differ in row count, a column
    /// is outside the assignment, there is no instance variable or `z[0] ≠ 1`.
    pub fn from_matrices(
        matrices: [Matrix<Fr>; 3],
        num_instance_variables: usize,
        assignment: Vec<Fr>,
    ) -> Result<Self> {
        let matrices = R1csMatrices::from_arkworks(&matrices, assignment.len())?;
        Self::new(matrices, num_instance_variables, assignment)
    }

    fn new(
        matrices: R1csMatrices,
        num_instance_variables: usize,
        assignment: Vec<Fr>,
    ) -> Result<Self> {
        if num_instance_variables == 0 || num_instance_variables > assignment.len() {
            return Err(ProverError::Malformed(format!(
                "{num_instance_variables} instance variables in an assignment of {}",
                assignment.len()
            )));
        }
        if !assignment[0].is_one() {
            return Err(ProverError::Malformed(
                "the first variable of the assignment must be the constant one".to_owned(),
            ));
        }
        Ok(Self {
            matrices: Arc::new(matrices),
            num_instance_variables,
            assignment,
        })
    }

    /// The matrices and variable counts, without the assignment.
    pub(super) fn shape(&self) -> CircuitShape {
        CircuitShape {
            matrices: Arc::clone(&self.matrices),
            num_instance_variables: self.num_instance_variables,
            num_variables: self.assignment.len(),
        }
    }

    /// Number of R1CS constraints.
    pub fn num_constraints(&self) -> usize {
        self.matrices.num_constraints()
    }

    /// Number of instance variables, the constant one included.
    pub fn num_instance_variables(&self) -> usize {
        self.num_instance_variables
    }

    /// Number of witness variables.
    pub fn num_witness_variables(&self) -> usize {
        self.assignment.len() - self.num_instance_variables
    }

    /// The public inputs, as a verifier takes them (the constant one excluded).
    pub fn public_inputs(&self) -> &[Fr] {
        &self.assignment[1..self.num_instance_variables]
    }

    /// The full assignment `z = (1, public inputs, witness)`.
    pub fn assignment(&self) -> &[Fr] {
        &self.assignment
    }

    /// The witness part of the assignment.
    pub fn witness(&self) -> &[Fr] {
        &self.assignment[self.num_instance_variables..]
    }

    /// The matrices `A`, `B`, `C` in arkworks' form (built on each call: the circuit keeps
    /// them in a compact form of its own).
    pub fn matrices(&self) -> [Matrix<Fr>; 3] {
        self.matrices.to_arkworks()
    }

    /// The matrices as the witness map reads them.
    pub(super) fn compact_matrices(&self) -> &R1csMatrices {
        &self.matrices
    }
}

/// `circuit`'s constraints generated in prove mode with arkworks' prover's settings, the
/// matrices kept or not.
fn prove_mode<C: ConstraintSynthesizer<Fr>>(
    circuit: C,
    construct_matrices: bool,
) -> Result<ConstraintSystemRef<Fr>> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices,
        generate_lc_assignments: false,
    });
    tracing::debug_span!("generate_constraints")
        .in_scope(|| circuit.generate_constraints(cs.clone()))?;
    Ok(cs)
}

/// The number of instance variables and `z = (1, public inputs, witness)`.
fn full_assignment(cs: &ConstraintSystemRef<Fr>) -> Result<(usize, Vec<Fr>)> {
    let inner = cs.borrow().ok_or(SynthesisError::MissingCS)?;
    let mut z = inner.instance_assignment()?.to_vec();
    z.extend_from_slice(inner.witness_assignment()?);
    Ok((cs.num_instance_variables(), z))
}

/// What every circuit proved with one key shares: the R1CS matrices and the numbers of
/// variables. A [`PreparedKey`](super::PreparedKey) keeps the first one it proves.
#[derive(Debug, Clone)]
pub(super) struct CircuitShape {
    matrices: Arc<R1csMatrices>,
    num_instance_variables: usize,
    num_variables: usize,
}
