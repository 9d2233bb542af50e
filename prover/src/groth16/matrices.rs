//! The R1CS matrices `A`, `B`, `C` in compressed rows, their coefficients interned.
//!
//! arkworks' `Matrix<Fr>` is a `Vec` per row of `(Fr, usize)` pairs: 40 bytes per term and a
//! heap block per row. A circuit's coefficients are few distinct values (one, minus one, powers
//! of two, a hash's constants), so here a term is a `u32` column and a `u32` index into one
//! table of coefficients shared by the three matrices: 8 bytes. The matrices are read row by row
//! straight from the finalized constraint system, never built the arkworks way.

use std::collections::HashMap;

use ark_bn254::Fr;
use ark_ff::{One, Zero};
use ark_relations::gr1cs::{ConstraintSystem, Matrix, R1CS_PREDICATE_LABEL, SynthesisError};
use rayon::prelude::*;

use crate::{ProverError, Result};

/// One matrix: row `i`'s terms are `columns[starts[i]..starts[i + 1]]` with the coefficients
/// `coefficients[..]` (indices into [`R1csMatrices`]' table) at the same positions.
#[derive(Debug, Clone, Default)]
struct Rows {
    starts: Vec<usize>,
    columns: Vec<u32>,
    coefficients: Vec<u32>,
}

impl Rows {
    fn new(rows: usize) -> Self {
        let mut starts = Vec::with_capacity(rows + 1);
        starts.push(0);
        Self {
            starts,
            columns: Vec::new(),
            coefficients: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn row(&self, i: usize) -> impl Iterator<Item = (u32, u32)> + '_ {
        let range = self.starts[i]..self.starts[i + 1];
        self.coefficients[range.clone()]
            .iter()
            .copied()
            .zip(self.columns[range].iter().copied())
    }

    fn shrink(&mut self) {
        self.starts.shrink_to_fit();
        self.columns.shrink_to_fit();
        self.coefficients.shrink_to_fit();
    }
}

/// `A`, `B` and `C`, one row per constraint, with their table of distinct coefficients.
#[derive(Debug, Clone)]
pub(super) struct R1csMatrices {
    rows: [Rows; 3],
    /// Distinct coefficients; index 0 is one (most terms), which evaluation skips multiplying by.
    table: Vec<Fr>,
}

/// Interns coefficients while the matrices are built.
struct Builder {
    rows: [Rows; 3],
    table: Vec<Fr>,
    index: HashMap<Fr, u32>,
}

impl Builder {
    fn new(constraints: usize) -> Self {
        Self {
            rows: std::array::from_fn(|_| Rows::new(constraints)),
            table: vec![Fr::one()],
            index: HashMap::from([(Fr::one(), 0)]),
        }
    }

    /// Appends one row to matrix `m`; zero coefficients are dropped, repeated columns are kept
    /// as they come (evaluation adds them up).
    fn push_row(
        &mut self,
        m: usize,
        terms: impl IntoIterator<Item = (Fr, usize)>,
        variables: usize,
    ) -> Result<()> {
        for (coefficient, column) in terms {
            if coefficient.is_zero() {
                continue;
            }
            let column = u32::try_from(column)
                .ok()
                .filter(|&c| (c as usize) < variables)
                .ok_or_else(|| {
                    ProverError::Malformed(format!(
                        "matrix {}, row {}: column {column} is outside the assignment of {variables}",
                        ["A", "B", "C"][m],
                        self.rows[m].len()
                    ))
                })?;
            let next = self.table.len();
            let index = *self.index.entry(coefficient).or_insert_with(|| {
                self.table.push(coefficient);
                next as u32
            });
            let rows = &mut self.rows[m];
            rows.columns.push(column);
            rows.coefficients.push(index);
        }
        let rows = &mut self.rows[m];
        rows.starts.push(rows.columns.len());
        Ok(())
    }

    fn finish(mut self) -> Result<R1csMatrices> {
        if u32::try_from(self.table.len()).is_err() {
            return Err(ProverError::Malformed(
                "more than 2^32 distinct coefficients in the R1CS matrices".to_owned(),
            ));
        }
        self.rows.iter_mut().for_each(Rows::shrink);
        self.table.shrink_to_fit();
        Ok(R1csMatrices {
            rows: self.rows,
            table: self.table,
        })
    }
}

impl R1csMatrices {
    /// The matrices of a finalized constraint system (linear combinations inlined), read one
    /// row at a time. `variables` is the assignment's length; a column beyond it is refused.
    pub(super) fn from_constraint_system(
        cs: &ConstraintSystem<Fr>,
        variables: usize,
    ) -> Result<Self> {
        // `predicate_constraint_systems` is public (if undocumented) in ark-relations 0.6; it
        // spares building arkworks' own matrices, five times the size of these, only to convert
        // them.
        let predicate = cs
            .predicate_constraint_systems
            .get(R1CS_PREDICATE_LABEL)
            .ok_or(SynthesisError::PredicateNotFound)?;
        let arguments = predicate.get_constraints();
        if arguments.len() != 3 {
            return Err(SynthesisError::ArityMismatch.into());
        }
        let constraints = predicate.num_constraints();
        let instance = cs.num_instance_variables();
        let mut builder = Builder::new(constraints);
        for (m, argument) in arguments.iter().enumerate() {
            for &lc in argument {
                let terms = cs
                    .get_lc(lc)
                    .0
                    .into_iter()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(c, v)| {
                        v.get_variable_index(instance)
                            .map(|column| (c, column))
                            .ok_or_else(|| {
                                ProverError::Malformed(
                                    "a linear combination was left symbolic: the constraint \
                                     system is not finalized"
                                        .to_owned(),
                                )
                            })
                    })
                    .collect::<Result<Vec<_>>>()?;
                builder.push_row(m, terms, variables)?;
            }
        }
        builder.finish()
    }

    /// The matrices from arkworks' form (one row per constraint, each row a list of
    /// `(coefficient, column)`), checked: equal row counts, every column below `variables`.
    pub(super) fn from_arkworks(matrices: &[Matrix<Fr>; 3], variables: usize) -> Result<Self> {
        let [a, b, c] = matrices;
        if a.len() != b.len() || a.len() != c.len() {
            return Err(ProverError::Malformed(format!(
                "R1CS matrices have {}, {} and {} rows",
                a.len(),
                b.len(),
                c.len()
            )));
        }
        let mut builder = Builder::new(a.len());
        for (m, matrix) in matrices.iter().enumerate() {
            for row in matrix {
                builder.push_row(m, row.iter().copied(), variables)?;
            }
        }
        builder.finish()
    }

    /// The matrices in arkworks' form.
    pub(super) fn to_arkworks(&self) -> [Matrix<Fr>; 3] {
        std::array::from_fn(|m| {
            let rows = &self.rows[m];
            (0..rows.len())
                .map(|i| {
                    rows.row(i)
                        .map(|(k, column)| (self.table[k as usize], column as usize))
                        .collect()
                })
                .collect()
        })
    }

    /// Number of rows (constraints).
    pub(super) fn num_constraints(&self) -> usize {
        self.rows[0].len()
    }

    /// `out[i] = ⟨M[i], z⟩` for every row of matrix `m` (0, 1, 2 for `A`, `B`, `C`).
    pub(super) fn evaluate(&self, m: usize, z: &[Fr], out: &mut [Fr]) {
        let rows = &self.rows[m];
        out.par_iter_mut()
            .enumerate()
            .with_min_len(256)
            .for_each(|(i, out)| {
                *out = rows
                    .row(i)
                    .map(|(k, column)| {
                        let value = z[column as usize];
                        if k == 0 {
                            value
                        } else {
                            value * self.table[k as usize]
                        }
                    })
                    .sum();
            });
    }
}
