//! The columns, gates and lookup of the halo2 inference circuit.
//!
//! Two groups of columns that never share a region, so the floor planner lays them side by side
//! (the circuits that hash add the Poseidon chip's, and the hashed binding the weight matrix's:
//! [`HashedConfig`]):
//!
//! - **linear rows**: advice `a[0..W]` and `out`, fixed `coeff[0..W]` and `constant`. Gate
//!   `linear`: `out = constant + Σ_j coeff[j]·a[j]`; gate `linear_chain`: the same plus the
//!   previous row's `out` (a dense layer's running sum over `W` inputs a row). Gate `relu` on
//!   `a[0..4] = (x, bit, y, t)`: `bit` is boolean, `y = bit·x`, `t = (2·bit − 1)·x + bit − 1`
//!   (`t = x` when `bit = 1`, `−x − 1` when `bit = 0`; a range check of `t` then pins the bit
//!   to the sign of `x`).
//! - **range rows**, in lanes side by side ([`Shape::range_lanes`]), each with advice `running` and
//!   `limb` and fixed `bits`. A value `v < 2^n` is decomposed into `c = ⌈n/L⌉` limbs of `L` bits
//!   over `c` rows of one lane, low limb first: `running[i] = limb[i] + 2^L·running[i+1]` (gate
//!   `range_step`), `running[c−1] = limb[c−1]` (gate `range_top`). One lookup a lane: the pair
//!   `(bits, limb)` is in the table `{(0, 0)} ∪ {(m, v) : 1 ≤ m ≤ L, 0 ≤ v < 2^m}`, with `bits = L`
//!   on a lower limb's row and `bits = m = n − L·(c−1)` (the bits left) on the top limb's, so
//!   every limb is bounded, the top one to `m` bits. Off the range rows `bits` and `limb` are 0,
//!   which the table's `(0, 0)` admits: the lookup needs no selector, and its degree stays at 4.
//!   A range check goes to the lane with the fewest rows so far ([`InferenceConfig::range_lane`]).

use std::cell::RefCell;
use std::rc::Rc;

use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Expression, Fixed, Instance, Selector, TableColumn,
};
use halo2_proofs::poly::Rotation;

use super::matrix::MatrixConfig;
use super::permutation::{RowRounds, SpongeConfig};

/// `L`: bits per limb of a range check.
pub const LIMB_BITS: usize = 8;

/// How many columns a circuit's groups have. The halo2 prover holds every column over all `2^k`
/// rows, several times, so a narrow group that sets `k` and a wide group that is mostly empty
/// both cost memory: each circuit has its own shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// `W`: inputs of a dense layer a linear row.
    pub linear_width: usize,
    /// Lanes of range rows, side by side: a range check takes the rows of one.
    pub range_lanes: usize,
}

impl Shape {
    /// The fixed binding's ([`Halo2InferenceCircuit`](super::Halo2InferenceCircuit)), whose
    /// linear rows set `k`: 8 inputs a linear row, one range lane.
    pub const FIXED: Self = Self {
        linear_width: 8,
        range_lanes: 1,
    };

    /// The fixed binding's with a hashed input or output ([`HashedConfig::configure_sections`]):
    /// 12 inputs a linear row and three range lanes.
    pub const SECTIONS: Self = Self {
        linear_width: 12,
        range_lanes: 3,
    };

    /// The hashed binding's ([`HashedConfig::configure_weights`]): 10 inputs a linear row, in
    /// columns shared with the Poseidon chip (its 11 fixed columns are `coeff` and `constant`),
    /// and one range lane (the weights are range-checked in the [`matrix`](super::matrix)). The
    /// width keeps the 784-56-10 MLP at `2^13` rows with both its sections hashed.
    pub const WEIGHTS: Self = Self {
        linear_width: 10,
        range_lanes: 1,
    };

    /// At most the rows of the busiest lane, for range checks of `total` rows in all, none
    /// longer than `longest`: each check goes to the least-loaded lane, so the busiest lane had,
    /// before its last check (of `n ≤ longest` rows), at most an even share of the other
    /// `total − n`. Exact with one lane.
    pub fn lane_rows(self, total: usize, longest: usize) -> usize {
        total.saturating_sub(longest).div_ceil(self.range_lanes) + longest.min(total)
    }
}

/// Rows of the range lookup's table: `(0, 0)`, then `2^m` rows for each `m` in `1..=L`.
pub const TABLE_ROWS: usize = (1 << (LIMB_BITS + 1)) - 1;

/// One lane of range rows: its columns and gates' selectors.
#[derive(Debug, Clone, Copy)]
pub struct RangeLane {
    pub(super) running: Column<Advice>,
    pub(super) limb: Column<Advice>,
    pub(super) bits: Column<Fixed>,
    pub(super) step: Selector,
    pub(super) top: Selector,
}

/// The circuit's columns and selectors.
#[derive(Debug, Clone)]
pub struct InferenceConfig {
    pub(super) shape: Shape,
    pub(super) a: Vec<Column<Advice>>,
    pub(super) out: Column<Advice>,
    pub(super) coeff: Vec<Column<Fixed>>,
    pub(super) constant: Column<Fixed>,
    pub(super) linear: Selector,
    pub(super) linear_chain: Selector,
    pub(super) relu: Selector,
    pub(super) lanes: Vec<RangeLane>,
    /// Rows taken in each lane so far in this synthesis (set to 0 by [`Self::load_table`]).
    lane_rows: Rc<RefCell<Vec<usize>>>,
    pub(super) table_bits: TableColumn,
    pub(super) table_value: TableColumn,
    pub(super) public: Column<Instance>,
}

/// The columns of the linear rows: `W` advice `a` and the advice `out`, `W` fixed `coeff` and the
/// fixed `constant`.
#[derive(Debug, Clone)]
pub struct LinearColumns {
    pub(super) a: Vec<Column<Advice>>,
    pub(super) out: Column<Advice>,
    pub(super) coeff: Vec<Column<Fixed>>,
    pub(super) constant: Column<Fixed>,
}

impl LinearColumns {
    /// The linear columns of `shape` from the front of `advice` and `fixed` (which must be long
    /// enough): `a` then `out`, `coeff` then `constant`.
    pub fn take(shape: Shape, advice: &[Column<Advice>], fixed: &[Column<Fixed>]) -> Self {
        let w = shape.linear_width;
        Self {
            a: advice[..w].to_vec(),
            out: advice[w],
            coeff: fixed[..w].to_vec(),
            constant: fixed[w],
        }
    }
}

impl InferenceConfig {
    /// Declares the columns, gates and lookups of a circuit of `shape`.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, shape: Shape) -> Self {
        let advice: Vec<_> = (0..=shape.linear_width)
            .map(|_| meta.advice_column())
            .collect();
        let fixed: Vec<_> = (0..=shape.linear_width)
            .map(|_| meta.fixed_column())
            .collect();
        Self::configure_in(meta, shape, LinearColumns::take(shape, &advice, &fixed))
    }

    /// [`Self::configure`] with the linear rows in `linear` (columns other regions may share:
    /// linear rows only take rows of their own).
    pub fn configure_in(
        meta: &mut ConstraintSystem<Fp>,
        shape: Shape,
        linear: LinearColumns,
    ) -> Self {
        let LinearColumns {
            a,
            out,
            coeff,
            constant,
        } = linear;
        let lanes: Vec<_> = (0..shape.range_lanes)
            .map(|_| RangeLane {
                running: meta.advice_column(),
                limb: meta.advice_column(),
                bits: meta.fixed_column(),
                step: meta.selector(),
                top: meta.selector(),
            })
            .collect();
        let public = meta.instance_column();
        for &column in &a {
            meta.enable_equality(column);
        }
        meta.enable_equality(out);
        for lane in &lanes {
            meta.enable_equality(lane.running);
        }
        meta.enable_equality(public);
        let config = Self {
            shape,
            a,
            out,
            coeff,
            constant,
            linear: meta.selector(),
            linear_chain: meta.selector(),
            relu: meta.selector(),
            lanes,
            lane_rows: Rc::new(RefCell::new(vec![0; shape.range_lanes])),
            table_bits: meta.lookup_table_column(),
            table_value: meta.lookup_table_column(),
            public,
        };

        let weighted = |meta: &mut halo2_proofs::plonk::VirtualCells<'_, Fp>| {
            let mut sum = meta.query_fixed(config.constant);
            for j in 0..config.shape.linear_width {
                sum = sum
                    + meta.query_fixed(config.coeff[j])
                        * meta.query_advice(config.a[j], Rotation::cur());
            }
            sum
        };
        meta.create_gate("linear", |meta| {
            let q = meta.query_selector(config.linear);
            let out = meta.query_advice(config.out, Rotation::cur());
            vec![q * (weighted(meta) - out)]
        });
        meta.create_gate("linear_chain", |meta| {
            let q = meta.query_selector(config.linear_chain);
            let previous = meta.query_advice(config.out, Rotation::prev());
            let out = meta.query_advice(config.out, Rotation::cur());
            vec![q * (previous + weighted(meta) - out)]
        });
        meta.create_gate("relu", |meta| {
            let q = meta.query_selector(config.relu);
            let x = meta.query_advice(config.a[0], Rotation::cur());
            let bit = meta.query_advice(config.a[1], Rotation::cur());
            let y = meta.query_advice(config.a[2], Rotation::cur());
            let t = meta.query_advice(config.a[3], Rotation::cur());
            let one = Expression::Constant(Fp::one());
            vec![
                q.clone() * bit.clone() * (one.clone() - bit.clone()),
                q.clone() * (y - bit.clone() * x.clone()),
                q * (t - (bit.clone() * Expression::Constant(Fp::from(2)) - one.clone()) * x - bit
                    + one),
            ]
        });
        for &lane in &config.lanes {
            meta.create_gate("range_step", |meta| {
                let q = meta.query_selector(lane.step);
                let running = meta.query_advice(lane.running, Rotation::cur());
                let next = meta.query_advice(lane.running, Rotation::next());
                let limb = meta.query_advice(lane.limb, Rotation::cur());
                let radix = Expression::Constant(Fp::from(1u64 << LIMB_BITS));
                vec![q * (running - limb - radix * next)]
            });
            meta.create_gate("range_top", |meta| {
                let q = meta.query_selector(lane.top);
                let running = meta.query_advice(lane.running, Rotation::cur());
                let limb = meta.query_advice(lane.limb, Rotation::cur());
                vec![q * (running - limb)]
            });
            meta.lookup(|meta| {
                let bits = meta.query_fixed(lane.bits);
                let limb = meta.query_advice(lane.limb, Rotation::cur());
                vec![(bits, config.table_bits), (limb, config.table_value)]
            });
        }
        config
    }

    /// The lane for a range check of `limbs` rows: the one with the fewest rows so far, which
    /// then counts them. Called outside `assign_region` (whose closure runs more than once).
    pub(super) fn range_lane(&self, limbs: usize) -> RangeLane {
        let mut rows = self.lane_rows.borrow_mut();
        let lane = (0..rows.len())
            .min_by_key(|&l| rows[l])
            .expect("at least one lane");
        rows[lane] += limbs;
        self.lanes[lane]
    }

    /// Fills the lookup table: `(0, 0)`, then `(m, v)` for `m` in `1..=L` and `v < 2^m`. Every
    /// synthesis starts with it, so it also sets the lanes' row counts to 0: one configuration
    /// may be synthesised more than once (`create_proof` clones it for each circuit), and each
    /// synthesis must choose the lanes key generation chose.
    pub fn load_table(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
        self.lane_rows.borrow_mut().fill(0);
        layouter.assign_table(
            || "limb table",
            |mut table| {
                let mut row = 0;
                let mut put = |bits: u64, value: u64| -> Result<(), Error> {
                    table.assign_cell(
                        || "bits",
                        self.table_bits,
                        row,
                        || Value::known(Fp::from(bits)),
                    )?;
                    table.assign_cell(
                        || "limb",
                        self.table_value,
                        row,
                        || Value::known(Fp::from(value)),
                    )?;
                    row += 1;
                    Ok(())
                };
                put(0, 0)?;
                for bits in 1..=LIMB_BITS as u64 {
                    for value in 0..1u64 << bits {
                        put(bits, value)?;
                    }
                }
                Ok(())
            },
        )
    }
}

/// The columns of the circuits that hash: the fixed circuit's ([`InferenceConfig`]), ramjet's
/// Poseidon chip's ([`SpongeConfig`]), a fixed column for the constants copied into advice
/// cells (the sponge's padding 0), and with the hashed binding the weight
/// [`matrix`](super::matrix).
#[derive(Debug, Clone)]
pub struct HashedConfig {
    pub(super) base: InferenceConfig,
    pub(super) poseidon: SpongeConfig,
    pub(super) matrix: Option<MatrixConfig>,
}

impl HashedConfig {
    /// The fixed binding with a hashed input or output: [`Shape::SECTIONS`], and the chip
    /// ([`RowRounds::NARROW`]) in columns of its own.
    pub fn configure_sections(meta: &mut ConstraintSystem<Fp>) -> Self {
        let base = InferenceConfig::configure(meta, Shape::SECTIONS);
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let poseidon = SpongeConfig::configure(meta, RowRounds::NARROW);
        Self {
            base,
            poseidon,
            matrix: None,
        }
    }

    /// The hashed binding: [`Shape::WEIGHTS`], its linear rows in the first columns of the chip
    /// ([`RowRounds::WIDE`]), and the weight matrix. The 784-56-10 MLP fits `2^13` rows: its
    /// matrix takes 7,952, its sponge and linear rows 7,423 in the shared columns (8,166 with both
    /// sections hashed).
    pub fn configure_weights(meta: &mut ConstraintSystem<Fp>) -> Self {
        let rounds = RowRounds::WIDE;
        let shape = Shape::WEIGHTS;
        let advice: Vec<_> = (0..rounds.advice_columns().max(shape.linear_width + 1))
            .map(|_| meta.advice_column())
            .collect();
        let fixed: Vec<_> = (0..rounds.fixed_columns().max(shape.linear_width + 1))
            .map(|_| meta.fixed_column())
            .collect();
        let base =
            InferenceConfig::configure_in(meta, shape, LinearColumns::take(shape, &advice, &fixed));
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let poseidon = SpongeConfig::configure_in(meta, rounds, &advice, &fixed);
        let matrix = MatrixConfig::configure(meta, base.table_bits, base.table_value);
        Self {
            base,
            poseidon,
            matrix: Some(matrix),
        }
    }
}
