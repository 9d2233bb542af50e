//! The Poseidon sponge in rows of low degree: ramjet's own chip for `P128Pow5T3`.
//!
//! It computes exactly what `halo2_gadgets`' `Pow5Chip` computes (the same permutation, round
//! constants and MDS matrix, read from `P128Pow5T3`), with two differences that matter for
//! memory:
//!
//! - **degree 4, not 6**: the x⁵ S-box is two constraints, `x2 = a²` and `s = x2²·a`, each
//!   under a selector, so no gate is of degree above 4 and the circuit keeps halo2's extended
//!   domain at 4 times its rows (with the range lookup, itself of degree 4), not 8;
//! - **several rounds a row**: a row holds [`RowRounds::full`] full rounds or [`RowRounds::partial`]
//!   partial ones. Between S-boxes everything is linear, so every S-box input and every word of
//!   the row's output state is an affine form of the previous row's state and the S-box outputs
//!   before it in the row. The forms' coefficients (from the MDS matrix) are the same for every
//!   row of a kind and are in the gates; their constants (from the round constants) differ per
//!   row and are in fixed columns.
//!
//! The hash of `L` elements is the sponge of `halo2_gadgets`' `ConstantLength<L>` hash with
//! `P128Pow5T3` ([`sponge`]): the state starts as `[0, 0, L·2^64]`; the elements are absorbed
//! two at a time (`L` odd: the last with a 0), each pair added to the state's first two words
//! and followed by a permutation; the hash is the first word of the last state. It takes one
//! region of [`RowRounds::rows_per_call`] rows for each pair (a *call*), whose elements are copied into
//! the `input` columns of the call's first row; the hash is the last row's `state[0]`.
//!
//! Columns, in this order: advice `state[0..3]`, `input[0..2]` and `helper[0..2·S]` (`x2` and
//! `s` of each of the row's at most `S` S-boxes); fixed `out_constant[0..3]` and
//! `sbox_constant[0..S]`;
//! selectors `first` (the first call's first row: the state `[input[0], input[1], L·2^64]`, the
//! capacity word a constant of the row's forms, so in the fixed columns), `absorb` (a later
//! call's first row: the row above's state plus `[input[0], input[1], 0]`), `full` and
//! `partial`.

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

/// Elements absorbed by a permutation.
const RATE: usize = 2;

/// Full rounds of `P128Pow5T3`, half before the partial rounds and half after.
const FULL_ROUNDS: usize = 8;

/// Partial rounds of `P128Pow5T3`.
const PARTIAL_ROUNDS: usize = 56;

/// How many rounds a row of the chip holds: fewer rounds a row means fewer columns but more
/// rows, and halo2's prover memory grows with both (`docs/inference.md`, "Memory").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRounds {
    /// Full rounds in a full row (a divisor of 4).
    pub full: usize,
    /// Partial rounds in a partial row (a divisor of 56).
    pub partial: usize,
}

impl RowRounds {
    /// 1 full or 4 partial rounds a row: 22 rows a call, 13 advice and 7 fixed columns. The
    /// hashed input and output sections' chip, in columns of its own.
    pub const NARROW: Self = Self {
        full: 1,
        partial: 4,
    };

    /// 2 full or 8 partial rounds a row: 11 rows a call, 21 advice and 11 fixed columns. The
    /// hashed binding's chip, whose columns the linear rows share, so that the 784-56-10 MLP's
    /// sponge fits `2^13` rows.
    pub const WIDE: Self = Self {
        full: 2,
        partial: 8,
    };

    /// S-boxes in a row, at most.
    fn sboxes(self) -> usize {
        (WIDTH * self.full).max(self.partial)
    }

    /// Rows of one call: the full rounds, then the partial ones, then the full ones.
    pub fn rows_per_call(self) -> usize {
        FULL_ROUNDS / self.full + PARTIAL_ROUNDS / self.partial
    }

    /// Rows of the hash of `elements` elements: a call for each pair.
    pub fn sponge_rows(self, elements: usize) -> usize {
        elements.div_ceil(RATE) * self.rows_per_call()
    }

    /// Advice columns of the chip: `state`, `input`, then `helper` ([module docs](self)).
    pub fn advice_columns(self) -> usize {
        WIDTH + RATE + 2 * self.sboxes()
    }

    /// Fixed columns of the chip: `out_constant`, then `sbox_constant`.
    pub fn fixed_columns(self) -> usize {
        WIDTH + self.sboxes()
    }
}

/// The chip's columns and selectors.
#[derive(Debug, Clone)]
pub struct SpongeConfig {
    rounds: RowRounds,
    state: [Column<Advice>; WIDTH],
    helper: Vec<Column<Advice>>,
    input: [Column<Advice>; RATE],
    sbox_constant: Vec<Column<Fixed>>,
    out_constant: [Column<Fixed>; WIDTH],
    first: Selector,
    absorb: Selector,
    full: Selector,
    partial: Selector,
}

/// `Σ coefficient·variable + constant` over a row's variables: the state the row starts from
/// (the previous row's; in a call's first row, with the absorbed pair added), then the row's
/// S-box outputs in order.
#[derive(Debug, Clone)]
struct Affine {
    coefficients: Vec<Fp>,
    constant: Fp,
}

/// Variables before the S-box outputs.
const INPUTS: usize = WIDTH;

/// The most variables of a row: the inputs and the widest row's S-box outputs. A form's
/// coefficients past a row's own variables are 0.
const MAX_VARIABLES: usize = INPUTS + 8 * WIDTH;

impl Affine {
    fn variable(index: usize) -> Self {
        let mut coefficients = vec![Fp::ZERO; MAX_VARIABLES];
        coefficients[index] = Fp::ONE;
        Self {
            coefficients,
            constant: Fp::ZERO,
        }
    }

    fn constant(constant: Fp) -> Self {
        Self {
            coefficients: vec![Fp::ZERO; MAX_VARIABLES],
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
    /// The first call's first row: full rounds from `[e₀, e₁, L·2^64]`.
    First,
    /// A later call's first row: full rounds from the row above's state plus `[e, e', 0]`.
    Absorb,
    Full,
    Partial,
}

/// What a row computes: its S-box inputs and its output state as affine forms.
struct RowForms {
    sbox_inputs: Vec<Affine>,
    output: [Affine; WIDTH],
}

/// The round constants and MDS matrix of `P128Pow5T3`, and the rounds a row.
struct Constants {
    rounds: Vec<[Fp; WIDTH]>,
    mds: [[Fp; WIDTH]; WIDTH],
    per_row: RowRounds,
}

impl Constants {
    fn new(per_row: RowRounds) -> Self {
        assert!(
            (1..=FULL_ROUNDS / 2).contains(&per_row.full)
                && (FULL_ROUNDS / 2).is_multiple_of(per_row.full)
                && (1..=PARTIAL_ROUNDS).contains(&per_row.partial)
                && PARTIAL_ROUNDS.is_multiple_of(per_row.partial)
                && per_row.sboxes() <= MAX_VARIABLES - INPUTS,
            "{per_row:?}: rounds a row must divide 4 full and 56 partial rounds"
        );
        let (rounds, mds, _) = <P128Pow5T3 as Spec<Fp, WIDTH, 2>>::constants();
        Self {
            rounds,
            mds,
            per_row,
        }
    }

    /// The forms of a row of `kind` running rounds `first_round..` (its kind's count); a
    /// [`Kind::First`] row's capacity word is the constant `capacity`.
    fn row(&self, kind: Kind, first_round: usize, capacity: Fp) -> RowForms {
        let mut words: [Affine; WIDTH] = match kind {
            Kind::First => [
                Affine::variable(0),
                Affine::variable(1),
                Affine::constant(capacity),
            ],
            Kind::Absorb | Kind::Full | Kind::Partial => std::array::from_fn(Affine::variable),
        };
        let (rounds, full) = match kind {
            Kind::First | Kind::Absorb | Kind::Full => (self.per_row.full, true),
            Kind::Partial => (self.per_row.partial, false),
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

    /// The rows of a call (the first if `first`): `(kind, first round)` in order.
    fn call_rows(&self, first: bool) -> Vec<(Kind, usize)> {
        let half = FULL_ROUNDS / 2;
        let RowRounds { full, partial } = self.per_row;
        let mut rows = vec![(if first { Kind::First } else { Kind::Absorb }, 0)];
        rows.extend((full..half).step_by(full).map(|r| (Kind::Full, r)));
        rows.extend(
            (half..half + PARTIAL_ROUNDS)
                .step_by(partial)
                .map(|r| (Kind::Partial, r)),
        );
        rows.extend(
            (half + PARTIAL_ROUNDS..FULL_ROUNDS + PARTIAL_ROUNDS)
                .step_by(full)
                .map(|r| (Kind::Full, r)),
        );
        rows
    }

    /// The permutation of `state`, computed natively round by round.
    fn permute(&self, state: &mut [Fp; WIDTH]) {
        let half = FULL_ROUNDS / 2;
        for (round, constants) in self.rounds.iter().enumerate() {
            for (word, constant) in state.iter_mut().zip(constants) {
                *word += constant;
            }
            let full = round < half || round >= half + PARTIAL_ROUNDS;
            let boxed = if full { WIDTH } else { 1 };
            for word in &mut state[..boxed] {
                *word = word.pow_vartime([5]);
            }
            *state = std::array::from_fn(|i| {
                self.mds[i]
                    .iter()
                    .zip(state.iter())
                    .fold(Fp::ZERO, |sum, (m, w)| sum + *m * w)
            });
        }
    }
}

/// The capacity word a hash of `elements` elements starts from: `L·2^64`.
fn capacity(elements: usize) -> Fp {
    Fp::from_raw([0, elements as u64, 0, 0])
}

/// The hash of `elements` ([module docs](self)), computed natively: `halo2_gadgets`'
/// `Hash<_, P128Pow5T3, ConstantLength<L>, 3, 2>` for `L` elements; 0 when there are none.
pub fn sponge(elements: &[Fp]) -> Fp {
    if elements.is_empty() {
        return Fp::ZERO;
    }
    // Any rounds a row: the permutation is computed round by round.
    let constants = Constants::new(RowRounds::NARROW);
    let mut state = [Fp::ZERO, Fp::ZERO, capacity(elements.len())];
    for pair in elements.chunks(RATE) {
        for (word, e) in state.iter_mut().zip(pair) {
            *word += e;
        }
        constants.permute(&mut state);
    }
    state[0]
}

impl SpongeConfig {
    /// Declares the chip's columns and gates, `rounds` a row.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, rounds: RowRounds) -> Self {
        let advice: Vec<_> = (0..rounds.advice_columns())
            .map(|_| meta.advice_column())
            .collect();
        let fixed: Vec<_> = (0..rounds.fixed_columns())
            .map(|_| meta.fixed_column())
            .collect();
        Self::configure_in(meta, rounds, &advice, &fixed)
    }

    /// Declares the chip's gates over columns given (at least [`RowRounds::advice_columns`] and
    /// [`RowRounds::fixed_columns`], taken in the order of the [module docs](self)), which other
    /// regions may share: the chip's regions only take rows of their own.
    pub fn configure_in(
        meta: &mut ConstraintSystem<Fp>,
        rounds: RowRounds,
        advice: &[Column<Advice>],
        fixed: &[Column<Fixed>],
    ) -> Self {
        let constants = Constants::new(rounds);
        let sboxes = rounds.sboxes();
        assert!(
            advice.len() >= rounds.advice_columns() && fixed.len() >= rounds.fixed_columns(),
            "too few columns for the Poseidon chip"
        );
        let config = Self {
            rounds,
            state: std::array::from_fn(|w| advice[w]),
            input: std::array::from_fn(|i| advice[WIDTH + i]),
            helper: advice[WIDTH + RATE..WIDTH + RATE + 2 * sboxes].to_vec(),
            out_constant: std::array::from_fn(|w| fixed[w]),
            sbox_constant: fixed[WIDTH..WIDTH + sboxes].to_vec(),
            first: meta.selector(),
            absorb: meta.selector(),
            full: meta.selector(),
            partial: meta.selector(),
        };
        meta.enable_equality(config.state[0]);
        for column in config.input {
            meta.enable_equality(column);
        }
        let half = FULL_ROUNDS / 2;
        for (kind, selector, round, name) in [
            (Kind::First, config.first, 0, "poseidon first row"),
            (Kind::Absorb, config.absorb, 0, "poseidon absorbing row"),
            (Kind::Full, config.full, 0, "poseidon full rounds"),
            (
                Kind::Partial,
                config.partial,
                half,
                "poseidon partial rounds",
            ),
        ] {
            // The gates hold the forms' coefficients only: the capacity does not change them.
            let forms = constants.row(kind, round, Fp::ZERO);
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
                meta.query_advice(self.input[0], Rotation::cur()),
                meta.query_advice(self.input[1], Rotation::cur()),
                Expression::Constant(Fp::ZERO),
            ],
            Kind::Absorb => (0..WIDTH)
                .map(|w| {
                    let word = meta.query_advice(self.state[w], Rotation::prev());
                    match self.input.get(w) {
                        Some(&input) => word + meta.query_advice(input, Rotation::cur()),
                        None => word,
                    }
                })
                .collect(),
            Kind::Full | Kind::Partial => self
                .state
                .iter()
                .map(|&column| meta.query_advice(column, Rotation::prev()))
                .collect(),
        };
        variables.extend(
            (0..self.rounds.sboxes())
                .map(|t| meta.query_advice(self.helper[2 * t + 1], Rotation::cur())),
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

    /// The hash of the cells `elements` ([module docs](self)); `zero` (a cell holding 0) pads an
    /// odd count, and is the result when there are no elements.
    pub fn hash(
        &self,
        layouter: &mut impl Layouter<Fp>,
        zero: AssignedCell<Fp, Fp>,
        elements: &[AssignedCell<Fp, Fp>],
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        self.hash_with_fault(layouter, zero, elements, None)
    }

    /// [`Self::hash`], with `fault` put into the witness at its row (the tests' forgeries).
    fn hash_with_fault(
        &self,
        layouter: &mut impl Layouter<Fp>,
        zero: AssignedCell<Fp, Fp>,
        elements: &[AssignedCell<Fp, Fp>],
        fault: Option<(usize, Fault)>,
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        if elements.is_empty() {
            return Ok(zero);
        }
        // The same forms for every call after the first: computed once, not for each row.
        let constants = Constants::new(self.rounds);
        let forms = |first: bool| -> Vec<(Kind, RowForms)> {
            constants
                .call_rows(first)
                .into_iter()
                .map(|(kind, round)| (kind, constants.row(kind, round, capacity(elements.len()))))
                .collect()
        };
        let (first_call, later_call) = (forms(true), forms(false));
        layouter.assign_region(
            || "poseidon sponge",
            |mut region| {
                let mut state = [Value::known(Fp::ZERO); WIDTH];
                let mut hash = None;
                let mut offset = 0;
                for (call, pair) in elements.chunks(RATE).enumerate() {
                    let rows = if call == 0 { &first_call } else { &later_call };
                    for (kind, forms) in rows {
                        // The row's starting state: the row above's, or in a call's first
                        // row the pair added to it (to zeros in the first call's).
                        let mut inputs = match kind {
                            Kind::First => [Value::known(Fp::ZERO); WIDTH],
                            Kind::Absorb | Kind::Full | Kind::Partial => state,
                        };
                        if matches!(kind, Kind::First | Kind::Absorb) {
                            for (i, column) in self.input.into_iter().enumerate() {
                                let e = pair.get(i).unwrap_or(&zero);
                                let cell = e.copy_advice(|| "e", &mut region, column, offset)?;
                                inputs[i] = inputs[i] + cell.value().copied();
                            }
                        }
                        let fault = fault.filter(|&(row, _)| row == offset).map(|(_, f)| f);
                        let (out, first_word) =
                            self.assign_row(&mut region, (*kind, forms, offset), inputs, fault)?;
                        state = out;
                        hash = Some(first_word);
                        offset += 1;
                    }
                }
                Ok(hash.expect("at least one call"))
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
            Kind::Absorb => self.absorb,
            Kind::Full => self.full,
            Kind::Partial => self.partial,
        };
        selector.enable(region, offset)?;
        let sboxes = self.rounds.sboxes();
        let mut variables: Vec<Value<Fp>> = inputs.to_vec();
        variables.resize(INPUTS + sboxes, Value::known(Fp::ZERO));
        for t in 0..sboxes {
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

    /// The library's hash of `L` elements.
    fn library_hash<const L: usize>(elements: [Fp; L]) -> Fp {
        primitives::Hash::<_, P128Pow5T3, ConstantLength<L>, 3, 2>::init().hash(elements)
    }

    /// The hash of three elements (two calls, the second padded), constrained to the instance,
    /// with `fault`.
    #[derive(Clone)]
    struct TwoCalls<const WIDE: bool> {
        elements: [Fp; 3],
        fault: Option<(usize, Fault)>,
    }

    const fn rounds(wide: bool) -> RowRounds {
        if wide {
            RowRounds::WIDE
        } else {
            RowRounds::NARROW
        }
    }

    impl<const WIDE: bool> Circuit<Fp> for TwoCalls<WIDE> {
        type Config = (SpongeConfig, Column<Advice>, Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            self.clone()
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let values = meta.advice_column();
            meta.enable_equality(values);
            let public = meta.instance_column();
            meta.enable_equality(public);
            (SpongeConfig::configure(meta, rounds(WIDE)), values, public)
        }

        fn synthesize(
            &self,
            (sponge, values, public): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let cells = layouter.assign_region(
                || "values",
                |mut region| {
                    std::iter::once(Fp::ZERO)
                        .chain(self.elements)
                        .enumerate()
                        .map(|(row, v)| {
                            region.assign_advice(|| "value", values, row, || Value::known(v))
                        })
                        .collect::<Result<Vec<_>, Error>>()
                },
            )?;
            let out =
                sponge.hash_with_fault(&mut layouter, cells[0].clone(), &cells[1..], self.fault)?;
            layouter.constrain_instance(out.cell(), public, 0)
        }
    }

    const K: u32 = 6;

    /// The chip's hash equals the library's, and the instance binds it.
    #[test]
    fn the_hash_in_the_circuit_is_the_library_hash() {
        fn check<const WIDE: bool>() {
            let elements = [Fp::from(5), Fp::from(11), -Fp::from(2)];
            let circuit = TwoCalls::<WIDE> {
                elements,
                fault: None,
            };
            let expected = library_hash(elements);
            let prover = MockProver::run(K, &circuit, vec![vec![expected]]).unwrap();
            assert_eq!(prover.verify(), Ok(()), "{:?}", rounds(WIDE));
            let prover = MockProver::run(K, &circuit, vec![vec![expected + Fp::ONE]]).unwrap();
            assert!(prover.verify().is_err(), "another hash was accepted");
        }
        check::<false>();
        check::<true>();
    }

    /// A wrong square, S-box output or state word, with every later row computed from it, is
    /// caught by the gate of its own row, in every kind of row.
    #[test]
    fn a_forged_row_is_caught_by_its_gate() {
        forged_rows_are_caught::<false>();
        forged_rows_are_caught::<true>();
    }

    fn forged_rows_are_caught<const WIDE: bool>() {
        let constants = Constants::new(rounds(WIDE));
        let rows_per_call = rounds(WIDE).rows_per_call();
        let rows: Vec<Kind> = [true, false]
            .into_iter()
            .flat_map(|first| constants.call_rows(first))
            .map(|(kind, _)| kind)
            .collect();
        for kind in [Kind::First, Kind::Absorb, Kind::Full, Kind::Partial] {
            // In the first call and in the second (Full and Partial rows are in both).
            let forged: Vec<usize> = [0, rows_per_call]
                .into_iter()
                .filter_map(|call| {
                    let row = rows[call..].iter().position(|&k| k == kind)?;
                    Some(call + row).filter(|&row| row < call + rows_per_call)
                })
                .collect();
            assert!(!forged.is_empty(), "no {kind:?} row");
            for row in forged {
                for fault in [Fault::Square, Fault::Sbox, Fault::State] {
                    let circuit = TwoCalls::<WIDE> {
                        elements: [Fp::from(5), Fp::from(11), Fp::from(12)],
                        fault: Some((row, fault)),
                    };
                    // The forged hash is not the instance's 0, so the copy to it fails too:
                    // only the gates' failures count.
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

    /// The rows' forms, evaluated natively over a call, are the permutation.
    #[test]
    fn rows_compute_the_permutation() {
        for per_row in [RowRounds::NARROW, RowRounds::WIDE] {
            rows_compute_the_permutation_with(per_row);
        }
    }

    fn rows_compute_the_permutation_with(per_row: RowRounds) {
        let constants = Constants::new(per_row);
        for start in [
            [Fp::ZERO, Fp::ZERO, Fp::ZERO],
            [Fp::from(7), Fp::from(u64::MAX), capacity(2)],
            [-Fp::ONE, Fp::from(3), Fp::from(9)],
        ] {
            for first in [true, false] {
                let mut state = start.map(Value::known);
                let mut sboxes = 0;
                for (kind, round) in constants.call_rows(first) {
                    let forms = constants.row(kind, round, start[2]);
                    let mut variables = state.to_vec();
                    variables.resize(INPUTS + per_row.sboxes(), Value::known(Fp::ZERO));
                    for (t, form) in forms.sbox_inputs.iter().enumerate() {
                        variables[INPUTS + t] =
                            form.evaluate(&variables).map(|a| a.pow_vartime([5]));
                        sboxes += 1;
                    }
                    state = std::array::from_fn(|w| forms.output[w].evaluate(&variables));
                }
                let mut expected = start;
                constants.permute(&mut expected);
                let mut got = [Fp::ZERO; WIDTH];
                for (g, s) in got.iter_mut().zip(state) {
                    s.map(|v| *g = v);
                }
                assert_eq!(got, expected, "the permutation of {start:?}");
                assert_eq!(sboxes, WIDTH * FULL_ROUNDS + PARTIAL_ROUNDS);
            }
        }
        assert_eq!(constants.call_rows(true).len(), per_row.rows_per_call());
    }

    /// The native sponge is the library's `ConstantLength<L>` hash, for odd and even `L`.
    #[test]
    fn the_sponge_is_the_library_hash() {
        let e: Vec<Fp> = (1..=5u64)
            .map(|i| Fp::from(i * 1_000_003) - Fp::from(7))
            .collect();
        assert_eq!(sponge(&e[..1]), library_hash([e[0]]));
        assert_eq!(sponge(&e[..2]), library_hash([e[0], e[1]]));
        assert_eq!(sponge(&e[..3]), library_hash([e[0], e[1], e[2]]));
        assert_eq!(sponge(&e[..4]), library_hash([e[0], e[1], e[2], e[3]]));
        assert_eq!(sponge(&e), library_hash([e[0], e[1], e[2], e[3], e[4]]));
        assert_eq!(sponge(&[]), Fp::ZERO);
    }
}
