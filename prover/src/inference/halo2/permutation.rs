//! The Poseidon chain in rows of low degree: ramjet's own chip for `P128Pow5T3`.
//!
//! It computes exactly what `halo2_gadgets`' `Pow5Chip` computes (the same permutation, round
//! constants and MDS matrix, read from `P128Pow5T3`), with two differences that matter for
//! memory:
//!
//! - **degree 4, not 6**: the x⁵ S-box is two constraints, `x2 = a²` and `s = x2²·a`, each
//!   under a selector, so no gate is of degree above 4 and the circuit keeps halo2's extended
//!   domain at 4 times its rows (with the range lookup, itself of degree 4), not 8;
//! - **several rounds a row**: a row holds [`FULL_PER_ROW`] full rounds or [`PARTIAL_PER_ROW`]
//!   partial ones. Between S-boxes everything is linear, so every S-box input and every word of
//!   the row's output state is an affine form of the previous row's state and the S-box outputs
//!   before it in the row. The forms' coefficients (from the MDS matrix) are the same for every
//!   row of a kind and are in the gates; their constants (from the round constants) differ per
//!   row and are in fixed columns.
//!
//! A chain `c₀`, then `c ← Poseidon(c, e)` (a `ConstantLength<2>` hash: the permutation of
//! `[c, e, 2·2^64]`, its first word) takes one region: a start row whose `state[0]` is `c₀`,
//! then [`ROWS_PER_CALL`] rows for each element `e`, which is copied into the `input` column of
//! the call's first row. The chain's value after a call is that call's last row's `state[0]`.
//!
//! Columns: advice `state[0..3]`, `helper[0..2·S]` (`x2` and `s` of each of the row's at most
//! `S` S-boxes) and `input`; fixed `sbox_constant[0..S]` and `out_constant[0..3]`; selectors
//! `first` (the first row of a call, which reads `c` from the row above and `e` from `input`),
//! `full` and `partial`.

use halo2_gadgets::poseidon::primitives::{P128Pow5T3, Spec};
use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{AssignedCell, Layouter, Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector, VirtualCells,
};
use halo2_proofs::poly::Rotation;

/// The permutation's width.
const WIDTH: usize = 3;

/// Full rounds in a row.
pub const FULL_PER_ROW: usize = 2;

/// Partial rounds in a row.
pub const PARTIAL_PER_ROW: usize = 7;

/// Full rounds of `P128Pow5T3`, half before the partial rounds and half after.
const FULL_ROUNDS: usize = 8;

/// Partial rounds of `P128Pow5T3`.
const PARTIAL_ROUNDS: usize = 56;

const _: () = assert!(
    (FULL_ROUNDS / 2).is_multiple_of(FULL_PER_ROW)
        && PARTIAL_ROUNDS.is_multiple_of(PARTIAL_PER_ROW)
);

/// S-boxes in a row, at most.
const SBOXES: usize = if WIDTH * FULL_PER_ROW > PARTIAL_PER_ROW {
    WIDTH * FULL_PER_ROW
} else {
    PARTIAL_PER_ROW
};

/// Rows of one call: the full rounds, then the partial ones, then the full ones.
pub const ROWS_PER_CALL: usize = FULL_ROUNDS / FULL_PER_ROW + PARTIAL_ROUNDS / PARTIAL_PER_ROW;

/// Rows of a chain over `elements` elements: the start row and the calls.
pub fn chain_rows(elements: usize) -> usize {
    1 + elements * ROWS_PER_CALL
}

/// The chip's columns and selectors.
#[derive(Debug, Clone)]
pub struct ChainConfig {
    state: [Column<Advice>; WIDTH],
    helper: [Column<Advice>; 2 * SBOXES],
    input: Column<Advice>,
    sbox_constant: [Column<Fixed>; SBOXES],
    out_constant: [Column<Fixed>; WIDTH],
    first: Selector,
    full: Selector,
    partial: Selector,
}

/// `Σ coefficient·variable + constant` over a row's variables: the previous row's state (or,
/// in a call's first row, `c` and `e`), then the row's S-box outputs in order.
#[derive(Debug, Clone)]
struct Affine {
    coefficients: Vec<Fp>,
    constant: Fp,
}

/// Variables before the S-box outputs.
const INPUTS: usize = WIDTH;

impl Affine {
    fn variable(index: usize) -> Self {
        let mut coefficients = vec![Fp::ZERO; INPUTS + SBOXES];
        coefficients[index] = Fp::ONE;
        Self {
            coefficients,
            constant: Fp::ZERO,
        }
    }

    fn constant(constant: Fp) -> Self {
        Self {
            coefficients: vec![Fp::ZERO; INPUTS + SBOXES],
            constant,
        }
    }

    fn evaluate(&self, variables: &[Value<Fp>]) -> Value<Fp> {
        self.coefficients
            .iter()
            .zip(variables)
            .filter(|(c, _)| !bool::from(c.is_zero()))
            .fold(Value::known(self.constant), |sum, (c, v)| {
                sum + v.map(|v| v * c)
            })
    }

    fn expression(&self, variables: &[Expression<Fp>], constant: Expression<Fp>) -> Expression<Fp> {
        self.coefficients
            .iter()
            .zip(variables)
            .filter(|(c, _)| !bool::from(c.is_zero()))
            .fold(constant, |sum, (c, v)| {
                if *c == Fp::ONE {
                    sum + v.clone()
                } else {
                    sum + v.clone() * Expression::Constant(*c)
                }
            })
    }
}

/// `mds · words`.
fn mix(mds: &[[Fp; WIDTH]; WIDTH], words: &[Affine; WIDTH]) -> [Affine; WIDTH] {
    std::array::from_fn(|i| {
        let mut sum = Affine::constant(Fp::ZERO);
        for (m, word) in mds[i].iter().zip(words) {
            for (s, w) in sum.coefficients.iter_mut().zip(&word.coefficients) {
                *s += *m * w;
            }
            sum.constant += *m * word.constant;
        }
        sum
    })
}

/// A wrong value put into one row of the witness, everything after it computed from it: what
/// a forger would try, and what the constraints must reject (tests only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Fault {
    /// `x2 ≠ a²` (and `s = x2²·a` from it).
    Square,
    /// The first S-box's output `s ≠ x2²·a`.
    Sbox,
    /// The output state's second word.
    State,
}

/// A row's output state, and its first word's cell.
type RowOutput = ([Value<Fp>; WIDTH], AssignedCell<Fp, Fp>);

/// A kind of row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A call's first row: full rounds from `[c, e, 2·2^64]`.
    First,
    Full,
    Partial,
}

/// What a row computes: its S-box inputs and its output state as affine forms.
struct RowForms {
    sbox_inputs: Vec<Affine>,
    output: [Affine; WIDTH],
}

/// The round constants and MDS matrix of `P128Pow5T3`.
struct Constants {
    rounds: Vec<[Fp; WIDTH]>,
    mds: [[Fp; WIDTH]; WIDTH],
}

impl Constants {
    fn new() -> Self {
        let (rounds, mds, _) = <P128Pow5T3 as Spec<Fp, WIDTH, 2>>::constants();
        Self { rounds, mds }
    }

    /// The forms of a row of `kind` running rounds `first_round..` (its kind's count).
    fn row(&self, kind: Kind, first_round: usize) -> RowForms {
        let mut words: [Affine; WIDTH] = match kind {
            Kind::First => [
                Affine::variable(0),
                Affine::variable(1),
                Affine::constant(Fp::from_raw([0, 2, 0, 0])),
            ],
            Kind::Full | Kind::Partial => std::array::from_fn(Affine::variable),
        };
        let (rounds, full) = match kind {
            Kind::First | Kind::Full => (FULL_PER_ROW, true),
            Kind::Partial => (PARTIAL_PER_ROW, false),
        };
        let mut sbox_inputs = Vec::new();
        for round in first_round..first_round + rounds {
            for (word, constant) in words.iter_mut().zip(&self.rounds[round]) {
                word.constant += constant;
            }
            let boxed = if full { WIDTH } else { 1 };
            for word in &mut words[..boxed] {
                sbox_inputs.push(word.clone());
                *word = Affine::variable(INPUTS + sbox_inputs.len() - 1);
            }
            words = mix(&self.mds, &words);
        }
        RowForms {
            sbox_inputs,
            output: words,
        }
    }

    /// The rows of one call: `(kind, first round)` in order.
    fn call_rows() -> Vec<(Kind, usize)> {
        let half = FULL_ROUNDS / 2;
        let mut rows = vec![(Kind::First, 0)];
        rows.extend(
            (FULL_PER_ROW..half)
                .step_by(FULL_PER_ROW)
                .map(|r| (Kind::Full, r)),
        );
        rows.extend(
            (half..half + PARTIAL_ROUNDS)
                .step_by(PARTIAL_PER_ROW)
                .map(|r| (Kind::Partial, r)),
        );
        rows.extend(
            (half + PARTIAL_ROUNDS..FULL_ROUNDS + PARTIAL_ROUNDS)
                .step_by(FULL_PER_ROW)
                .map(|r| (Kind::Full, r)),
        );
        rows
    }
}

impl ChainConfig {
    /// Declares the chip's columns and gates.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        let config = Self {
            state: std::array::from_fn(|_| meta.advice_column()),
            helper: std::array::from_fn(|_| meta.advice_column()),
            input: meta.advice_column(),
            sbox_constant: std::array::from_fn(|_| meta.fixed_column()),
            out_constant: std::array::from_fn(|_| meta.fixed_column()),
            first: meta.selector(),
            full: meta.selector(),
            partial: meta.selector(),
        };
        meta.enable_equality(config.state[0]);
        meta.enable_equality(config.input);
        let constants = Constants::new();
        let half = FULL_ROUNDS / 2;
        for (kind, selector, round, name) in [
            (Kind::First, config.first, 0, "poseidon first row"),
            (Kind::Full, config.full, 0, "poseidon full rounds"),
            (
                Kind::Partial,
                config.partial,
                half,
                "poseidon partial rounds",
            ),
        ] {
            let forms = constants.row(kind, round);
            meta.create_gate(name, |meta| {
                config.constraints(meta, kind, selector, &forms)
            });
        }
        config
    }

    /// The constraints of a row of `kind`: every S-box's two, and the output state's.
    fn constraints(
        &self,
        meta: &mut VirtualCells<'_, Fp>,
        kind: Kind,
        selector: Selector,
        forms: &RowForms,
    ) -> Vec<Expression<Fp>> {
        let q = meta.query_selector(selector);
        let mut variables: Vec<Expression<Fp>> = match kind {
            Kind::First => vec![
                meta.query_advice(self.state[0], Rotation::prev()),
                meta.query_advice(self.input, Rotation::cur()),
                Expression::Constant(Fp::ZERO),
            ],
            Kind::Full | Kind::Partial => self
                .state
                .iter()
                .map(|&column| meta.query_advice(column, Rotation::prev()))
                .collect(),
        };
        variables.extend(
            (0..SBOXES).map(|t| meta.query_advice(self.helper[2 * t + 1], Rotation::cur())),
        );
        let mut constraints = Vec::new();
        for (t, form) in forms.sbox_inputs.iter().enumerate() {
            let a = form.expression(&variables, meta.query_fixed(self.sbox_constant[t]));
            let x2 = meta.query_advice(self.helper[2 * t], Rotation::cur());
            let s = variables[INPUTS + t].clone();
            constraints.push(q.clone() * (x2.clone() - a.clone() * a.clone()));
            constraints.push(q.clone() * (s - x2.clone() * x2 * a));
        }
        for (w, form) in forms.output.iter().enumerate() {
            let word = form.expression(&variables, meta.query_fixed(self.out_constant[w]));
            let cell = meta.query_advice(self.state[w], Rotation::cur());
            constraints.push(q.clone() * (cell - word));
        }
        constraints
    }

    /// The chain over the cells `elements` from the cell `start`; returns the last value's cell
    /// (`start`'s own when there are no elements).
    pub fn chain(
        &self,
        layouter: &mut impl Layouter<Fp>,
        start: AssignedCell<Fp, Fp>,
        elements: &[AssignedCell<Fp, Fp>],
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        self.chain_with_fault(layouter, start, elements, None)
    }

    /// [`Self::chain`], with `fault` put into the witness at its row (the tests' forgeries).
    fn chain_with_fault(
        &self,
        layouter: &mut impl Layouter<Fp>,
        start: AssignedCell<Fp, Fp>,
        elements: &[AssignedCell<Fp, Fp>],
        fault: Option<(usize, Fault)>,
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        // The same forms for every call: computed once, not for each row of each call.
        let constants = Constants::new();
        let call: Vec<(Kind, RowForms)> = Constants::call_rows()
            .into_iter()
            .map(|(kind, round)| (kind, constants.row(kind, round)))
            .collect();
        layouter.assign_region(
            || "poseidon chain",
            |mut region| {
                let mut chain = start.copy_advice(|| "c0", &mut region, self.state[0], 0)?;
                let mut state = [chain.value().copied(), Value::unknown(), Value::unknown()];
                let mut offset = 1;
                for element in elements {
                    for (kind, forms) in &call {
                        let inputs = match kind {
                            Kind::First => {
                                let e =
                                    element.copy_advice(|| "e", &mut region, self.input, offset)?;
                                [state[0], e.value().copied(), Value::known(Fp::ZERO)]
                            }
                            Kind::Full | Kind::Partial => state,
                        };
                        let fault = fault.filter(|&(row, _)| row == offset).map(|(_, f)| f);
                        let (out, first_word) =
                            self.assign_row(&mut region, (*kind, forms, offset), inputs, fault)?;
                        state = out;
                        chain = first_word;
                        offset += 1;
                    }
                }
                Ok(chain)
            },
        )
    }

    /// Assigns one row (of `kind`, computing `forms`, at `offset`) from `inputs` (the row's
    /// input variables), with `fault` in it if any; returns the output state and its first
    /// word's cell.
    fn assign_row(
        &self,
        region: &mut Region<'_, Fp>,
        (kind, forms, offset): (Kind, &RowForms, usize),
        inputs: [Value<Fp>; WIDTH],
        fault: Option<Fault>,
    ) -> Result<RowOutput, Error> {
        let off_by_one = |value: Value<Fp>, when: Fault| {
            if fault == Some(when) {
                value + Value::known(Fp::ONE)
            } else {
                value
            }
        };
        let selector = match kind {
            Kind::First => self.first,
            Kind::Full => self.full,
            Kind::Partial => self.partial,
        };
        selector.enable(region, offset)?;
        let mut variables: Vec<Value<Fp>> = inputs.to_vec();
        variables.resize(INPUTS + SBOXES, Value::known(Fp::ZERO));
        for t in 0..SBOXES {
            let (constant, a) = match forms.sbox_inputs.get(t) {
                Some(form) => (form.constant, form.evaluate(&variables)),
                None => (Fp::ZERO, Value::known(Fp::ZERO)),
            };
            let x2 = off_by_one(a.map(|a| a.square()), Fault::Square);
            let s = a.zip(x2).map(|(a, x2)| x2.square() * a);
            let s = if t == 0 {
                off_by_one(s, Fault::Sbox)
            } else {
                s
            };
            region.assign_fixed(
                || "sbox constant",
                self.sbox_constant[t],
                offset,
                || Value::known(constant),
            )?;
            region.assign_advice(|| "x2", self.helper[2 * t], offset, || x2)?;
            region.assign_advice(|| "s", self.helper[2 * t + 1], offset, || s)?;
            variables[INPUTS + t] = s;
        }
        let mut output: [Value<Fp>; WIDTH] =
            std::array::from_fn(|w| forms.output[w].evaluate(&variables));
        output[1] = off_by_one(output[1], Fault::State);
        let mut first_word = None;
        for (w, (form, value)) in forms.output.iter().zip(output).enumerate() {
            region.assign_fixed(
                || "out constant",
                self.out_constant[w],
                offset,
                || Value::known(form.constant),
            )?;
            let cell = region.assign_advice(|| "state", self.state[w], offset, || value)?;
            if w == 0 {
                first_word = Some(cell);
            }
        }
        Ok((output, first_word.expect("the state has a first word")))
    }
}

#[cfg(test)]
mod tests {
    use halo2_gadgets::poseidon::primitives::{self as primitives, ConstantLength};
    use halo2_proofs::circuit::SimpleFloorPlanner;
    use halo2_proofs::dev::{MockProver, VerifyFailure};
    use halo2_proofs::plonk::{Circuit, Instance};

    use super::*;

    fn library_hash(c: Fp, e: Fp) -> Fp {
        primitives::Hash::<_, P128Pow5T3, ConstantLength<2>, 3, 2>::init().hash([c, e])
    }

    /// A chain of two calls from `c0`, its value constrained to the instance, with `fault`.
    #[derive(Clone)]
    struct TwoCalls {
        c0: Fp,
        elements: [Fp; 2],
        fault: Option<(usize, Fault)>,
    }

    impl Circuit<Fp> for TwoCalls {
        type Config = (ChainConfig, Column<Advice>, Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            self.clone()
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let values = meta.advice_column();
            meta.enable_equality(values);
            let public = meta.instance_column();
            meta.enable_equality(public);
            (ChainConfig::configure(meta), values, public)
        }

        fn synthesize(
            &self,
            (chain, values, public): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let cells = layouter.assign_region(
                || "values",
                |mut region| {
                    [self.c0, self.elements[0], self.elements[1]]
                        .iter()
                        .enumerate()
                        .map(|(row, &v)| {
                            region.assign_advice(|| "value", values, row, || Value::known(v))
                        })
                        .collect::<Result<Vec<_>, Error>>()
                },
            )?;
            let out =
                chain.chain_with_fault(&mut layouter, cells[0].clone(), &cells[1..], self.fault)?;
            layouter.constrain_instance(out.cell(), public, 0)
        }
    }

    const K: u32 = 6;

    /// The chip's chain equals the library's, and the instance binds it.
    #[test]
    fn the_chain_in_the_circuit_is_the_library_hash() {
        let circuit = TwoCalls {
            c0: Fp::from(5),
            elements: [Fp::from(11), -Fp::from(2)],
            fault: None,
        };
        let expected = library_hash(library_hash(Fp::from(5), Fp::from(11)), -Fp::from(2));
        let prover = MockProver::run(K, &circuit, vec![vec![expected]]).unwrap();
        assert_eq!(prover.verify(), Ok(()));
        let prover = MockProver::run(K, &circuit, vec![vec![expected + Fp::ONE]]).unwrap();
        assert!(prover.verify().is_err(), "another hash was accepted");
    }

    /// A wrong square, S-box output or state word, with every later row computed from it, is
    /// caught by the gate of its own row, in every kind of row.
    #[test]
    fn a_forged_row_is_caught_by_its_gate() {
        let rows = Constants::call_rows();
        let kinds = [Kind::First, Kind::Full, Kind::Partial];
        for kind in kinds {
            let row = 1 + rows.iter().position(|&(k, _)| k == kind).unwrap();
            for fault in [Fault::Square, Fault::Sbox, Fault::State] {
                // The first and second calls: the chain passes from one to the next.
                for row in [row, row + ROWS_PER_CALL] {
                    let circuit = TwoCalls {
                        c0: Fp::from(5),
                        elements: [Fp::from(11), Fp::from(12)],
                        fault: Some((row, fault)),
                    };
                    // The forged chain's value is not the instance's 0, so the copy to it fails
                    // too: only the gates' failures count.
                    let claimed = MockProver::run(K, &circuit, vec![vec![Fp::ZERO]])
                        .unwrap()
                        .verify()
                        .err()
                        .unwrap_or_default();
                    let failures: Vec<_> = claimed
                        .iter()
                        .filter(|f| matches!(f, VerifyFailure::ConstraintNotSatisfied { .. }))
                        .collect();
                    assert!(
                        !failures.is_empty(),
                        "{fault:?} in a {kind:?} row ({row}) passed the gates"
                    );
                }
            }
        }
    }

    /// The rows' forms, evaluated natively over a call, give the library's hash.
    #[test]
    fn rows_compute_the_library_hash() {
        let constants = Constants::new();
        for (c, e) in [
            (Fp::ZERO, Fp::ZERO),
            (Fp::from(7), Fp::from(u64::MAX)),
            (-Fp::ONE, Fp::from(3)),
        ] {
            let mut state = [Value::known(c), Value::known(e), Value::known(Fp::ZERO)];
            let mut sboxes = 0;
            for (kind, round) in Constants::call_rows() {
                let forms = constants.row(kind, round);
                let mut variables = state.to_vec();
                variables.resize(INPUTS + SBOXES, Value::known(Fp::ZERO));
                for (t, form) in forms.sbox_inputs.iter().enumerate() {
                    variables[INPUTS + t] = form.evaluate(&variables).map(|a| a.pow_vartime([5]));
                    sboxes += 1;
                }
                state = std::array::from_fn(|w| forms.output[w].evaluate(&variables));
            }
            let expected =
                primitives::Hash::<_, P128Pow5T3, ConstantLength<2>, 3, 2>::init().hash([c, e]);
            let mut got = None;
            state[0].map(|v| got = Some(v));
            assert_eq!(got, Some(expected), "Poseidon({c:?}, {e:?})");
            assert_eq!(sboxes, WIDTH * FULL_ROUNDS + PARTIAL_ROUNDS);
        }
        assert_eq!(Constants::call_rows().len(), ROWS_PER_CALL);
    }
}
