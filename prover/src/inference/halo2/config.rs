//! The columns, gates and lookup of the halo2 inference circuit.
//!
//! Two groups of columns that never share a region, so the floor planner lays them side by side:
//!
//! - **linear rows**: advice `a[0..W]` and `out`, fixed `coeff[0..W]` and `constant`. Gate
//!   `linear`: `out = constant + Σ_j coeff[j]·a[j]`; gate `linear_chain`: the same plus the
//!   previous row's `out` (a dense layer's running sum over `W` inputs a row). Gate `relu` on
//!   `a[0..4] = (x, bit, y, t)`: `bit` is boolean, `y = bit·x`, `t = (2·bit − 1)·x + bit − 1`
//!   (`t = x` when `bit = 1`, `−x − 1` when `bit = 0`; a range check of `t` then pins the bit
//!   to the sign of `x`).
//! - **range rows**: advice `running` and `limb`, fixed `top_shift`. A value `v < 2^n` is
//!   decomposed into `c = ⌈n/L⌉` limbs of `L` bits over `c` rows, low limb first:
//!   `running[i] = limb[i] + 2^L·running[i+1]` (gate `range_step`), `running[c−1] = limb[c−1]`
//!   (gate `range_top`). Every limb is looked up in the table `{0, …, 2^L − 1}`, and
//!   `limb·top_shift` too, with `top_shift = 2^(L−m)` on the top row (`m = n − L·(c−1)` bits
//!   left for the top limb), which bounds the top limb to `m` bits; 0 elsewhere.

use halo2_gadgets::poseidon::primitives::P128Pow5T3;
use halo2_gadgets::poseidon::{Pow5Chip, Pow5Config};
use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Expression, Fixed, Instance, Selector, TableColumn,
};
use halo2_proofs::poly::Rotation;

/// `W`: inputs of a dense layer consumed per linear row.
pub const LINEAR_WIDTH: usize = 8;

/// `L`: bits per limb of a range check; the lookup table has `2^L` rows.
pub const LIMB_BITS: usize = 8;

/// The circuit's columns and selectors.
#[derive(Debug, Clone)]
pub struct InferenceConfig {
    pub(super) a: [Column<Advice>; LINEAR_WIDTH],
    pub(super) out: Column<Advice>,
    pub(super) coeff: [Column<Fixed>; LINEAR_WIDTH],
    pub(super) constant: Column<Fixed>,
    pub(super) linear: Selector,
    pub(super) linear_chain: Selector,
    pub(super) relu: Selector,
    pub(super) running: Column<Advice>,
    pub(super) limb: Column<Advice>,
    pub(super) top_shift: Column<Fixed>,
    pub(super) range_step: Selector,
    pub(super) range_top: Selector,
    pub(super) range_lookup: Selector,
    pub(super) table: TableColumn,
    pub(super) public: Column<Instance>,
}

impl InferenceConfig {
    /// Declares the columns, gates and lookups.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        let a = std::array::from_fn(|_| meta.advice_column());
        let coeff = std::array::from_fn(|_| meta.fixed_column());
        let out = meta.advice_column();
        let constant = meta.fixed_column();
        let running = meta.advice_column();
        let limb = meta.advice_column();
        let top_shift = meta.fixed_column();
        let public = meta.instance_column();
        for column in a {
            meta.enable_equality(column);
        }
        meta.enable_equality(out);
        meta.enable_equality(running);
        meta.enable_equality(public);
        let config = Self {
            a,
            out,
            coeff,
            constant,
            linear: meta.selector(),
            linear_chain: meta.selector(),
            relu: meta.selector(),
            running,
            limb,
            top_shift,
            range_step: meta.selector(),
            range_top: meta.selector(),
            range_lookup: meta.complex_selector(),
            table: meta.lookup_table_column(),
            public,
        };

        let weighted = |meta: &mut halo2_proofs::plonk::VirtualCells<'_, Fp>| {
            let mut sum = meta.query_fixed(config.constant);
            for j in 0..LINEAR_WIDTH {
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
        meta.create_gate("range_step", |meta| {
            let q = meta.query_selector(config.range_step);
            let running = meta.query_advice(config.running, Rotation::cur());
            let next = meta.query_advice(config.running, Rotation::next());
            let limb = meta.query_advice(config.limb, Rotation::cur());
            let radix = Expression::Constant(Fp::from(1u64 << LIMB_BITS));
            vec![q * (running - limb - radix * next)]
        });
        meta.create_gate("range_top", |meta| {
            let q = meta.query_selector(config.range_top);
            let running = meta.query_advice(config.running, Rotation::cur());
            let limb = meta.query_advice(config.limb, Rotation::cur());
            vec![q * (running - limb)]
        });
        meta.lookup(|meta| {
            let q = meta.query_selector(config.range_lookup);
            let limb = meta.query_advice(config.limb, Rotation::cur());
            vec![(q * limb, config.table)]
        });
        meta.lookup(|meta| {
            let q = meta.query_selector(config.range_lookup);
            let limb = meta.query_advice(config.limb, Rotation::cur());
            let shift = meta.query_fixed(config.top_shift);
            vec![(q * limb * shift, config.table)]
        });
        config
    }

    /// Fills the lookup table with `0, …, 2^L − 1`.
    pub fn load_table(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
        layouter.assign_table(
            || "limb table",
            |mut table| {
                for v in 0..1u64 << LIMB_BITS {
                    table.assign_cell(
                        || "limb",
                        self.table,
                        v as usize,
                        || Value::known(Fp::from(v)),
                    )?;
                }
                Ok(())
            },
        )
    }
}

/// Products `w·x` per multiply-accumulate row: the `a` columns taken in pairs.
pub const MAC_PAIRS: usize = LINEAR_WIDTH / 2;

/// The hashed binding's columns: the fixed circuit's ([`InferenceConfig`]), the
/// multiply-accumulate gates over them, and the Poseidon chip's.
///
/// - Gate `mac`: `out = Σ_{j<P} (a[2j] − coeff[2j])·a[2j+1]`; gate `mac_chain`: the same plus
///   the previous row's `out`. `a[2j]` holds a committed weight's unsigned form `u = w + 2^(Ww−1)`
///   and `coeff[2j]` the offset `2^(Ww−1)`, so each term is `w·x`. Every `a[2j+1]` is a copy (of
///   an input, or of the constant 1 for a bias term, or of the constant 0 in an unused slot),
///   so no term is free.
/// - Poseidon (`halo2_gadgets`' `Pow5Chip` for `P128Pow5T3`): three state columns and one for
///   the partial S-box (advice), six fixed columns of round constants.
/// - `constants`: a fixed column for the constants copied into advice cells (0, 1, and the
///   sponge's initial state).
#[derive(Debug, Clone)]
pub struct HashedConfig {
    pub(super) base: InferenceConfig,
    pub(super) mac: Selector,
    pub(super) mac_chain: Selector,
    pub(super) poseidon: Pow5Config<Fp, 3, 2>,
}

impl HashedConfig {
    /// Declares the fixed circuit's columns, gates and lookups, then the hashed binding's.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        let base = InferenceConfig::configure(meta);
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let state = std::array::from_fn(|_| meta.advice_column());
        let partial_sbox = meta.advice_column();
        let rc_a = std::array::from_fn(|_| meta.fixed_column());
        let rc_b = std::array::from_fn(|_| meta.fixed_column());
        let poseidon = Pow5Chip::configure::<P128Pow5T3>(meta, state, partial_sbox, rc_a, rc_b);
        let config = Self {
            base,
            mac: meta.selector(),
            mac_chain: meta.selector(),
            poseidon,
        };
        let products = |meta: &mut halo2_proofs::plonk::VirtualCells<'_, Fp>| {
            let base = &config.base;
            let mut sum = Expression::Constant(Fp::ZERO);
            for j in 0..MAC_PAIRS {
                let u = meta.query_advice(base.a[2 * j], Rotation::cur());
                let offset = meta.query_fixed(base.coeff[2 * j]);
                let x = meta.query_advice(base.a[2 * j + 1], Rotation::cur());
                sum = sum + (u - offset) * x;
            }
            sum
        };
        meta.create_gate("mac", |meta| {
            let q = meta.query_selector(config.mac);
            let out = meta.query_advice(config.base.out, Rotation::cur());
            vec![q * (products(meta) - out)]
        });
        meta.create_gate("mac_chain", |meta| {
            let q = meta.query_selector(config.mac_chain);
            let previous = meta.query_advice(config.base.out, Rotation::prev());
            let out = meta.query_advice(config.base.out, Rotation::cur());
            vec![q * (previous + products(meta) - out)]
        });
        config
    }
}
