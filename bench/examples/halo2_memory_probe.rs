//! The peak heap of one whole halo2 prove (`Params::new`, `keygen_vk`, `keygen_pk`,
//! `create_proof`, as `ramjet-bench` measures the inference cases) for a circuit of a given
//! *shape*: how many advice, fixed and selector columns, how many advice columns with equality,
//! how many lookups, at `2^k` rows. halo2_proofs 0.3's prover memory depends on the shape and
//! `k`, not on what the gates compute, so this measures a layout's memory before it is written.
//!
//! ```text
//! cargo run -p ramjet-bench --example halo2_memory_probe -- K ADVICE FIXED EQUALITY LOOKUPS SELECTORS
//! ```
//!
//! The probe circuit fills every advice and fixed cell of the usable rows, enables every
//! selector on every third row (so halo2 cannot merge any two), gives each selector a degree-4
//! gate over the columns in turn (every column is queried), and looks up `(fixed[i], advice[i])`
//! for `i < LOOKUPS` in a two-column table of 512 rows. It has no instance column and no fixed
//! column with equality. Against the 784-56-10 MLP's hashed halo2 circuit as `ramjet-bench`
//! measures it, its shape gives 308 MiB for the 306 measured (`13 42 16 21 7 11`, the matrix
//! layout), and gave 546 for 563 MiB (`14 32 24 21 3 8`, the layout before it).

use std::process::ExitCode;
use std::sync::OnceLock;

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::pasta::{EqAffine, Fp};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Error, Fixed, Selector, TableColumn, create_proof,
    keygen_pk, keygen_vk,
};
use halo2_proofs::poly::Rotation;
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::transcript::{Blake2bWrite, Challenge255};
use ramjet_bench::memory::{self, CountingAllocator};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Rows left free at the end of the `2^k` for halo2's blinding rows.
const UNUSABLE_ROWS: usize = 16;

/// Rows of the lookup table.
const TABLE_ROWS: usize = 512;

/// The circuit's shape, from the command line.
#[derive(Debug, Clone, Copy)]
struct Shape {
    k: u32,
    advice: usize,
    fixed: usize,
    equality: usize,
    lookups: usize,
    selectors: usize,
}

impl Shape {
    fn parse(args: &[String]) -> Result<Self, String> {
        let [k, advice, fixed, equality, lookups, selectors] = args else {
            return Err("six numbers: K ADVICE FIXED EQUALITY LOOKUPS SELECTORS".into());
        };
        let number = |name: &str, s: &str| {
            s.parse::<usize>()
                .map_err(|_| format!("{name} must be a whole number, not {s:?}"))
        };
        let shape = Self {
            k: u32::try_from(number("K", k)?).map_err(|_| "K is too large".to_string())?,
            advice: number("ADVICE", advice)?,
            fixed: number("FIXED", fixed)?,
            equality: number("EQUALITY", equality)?,
            lookups: number("LOOKUPS", lookups)?,
            selectors: number("SELECTORS", selectors)?,
        };
        if !(10..=20).contains(&shape.k) {
            return Err(format!("K must be in 10..=20, not {}", shape.k));
        }
        if shape.advice < 3 || shape.fixed == 0 || shape.selectors == 0 {
            return Err("at least 3 advice columns, 1 fixed column and 1 selector".into());
        }
        if shape.equality > shape.advice || shape.lookups > shape.advice.min(shape.fixed) {
            return Err("EQUALITY must be at most ADVICE, LOOKUPS at most ADVICE and FIXED".into());
        }
        // Each selector's gate takes the columns in turn: it needs at least one.
        if shape.selectors > shape.advice.max(shape.fixed) {
            return Err("SELECTORS must be at most the larger of ADVICE and FIXED".into());
        }
        Ok(shape)
    }
}

/// Set once, before key generation: `Circuit::configure` takes no arguments.
static SHAPE: OnceLock<Shape> = OnceLock::new();

#[derive(Debug, Clone)]
struct ProbeConfig {
    advice: Vec<Column<Advice>>,
    fixed: Vec<Column<Fixed>>,
    selectors: Vec<Selector>,
    table: [TableColumn; 2],
}

/// The probe circuit (see the module docs).
#[derive(Debug, Clone, Copy)]
struct Probe(Shape);

impl Circuit<Fp> for Probe {
    type Config = ProbeConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        *self
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> ProbeConfig {
        let shape = *SHAPE.get().expect("the shape is set before key generation");
        let advice: Vec<_> = (0..shape.advice).map(|_| meta.advice_column()).collect();
        let fixed: Vec<_> = (0..shape.fixed).map(|_| meta.fixed_column()).collect();
        let selectors: Vec<_> = (0..shape.selectors).map(|_| meta.selector()).collect();
        let table = [meta.lookup_table_column(), meta.lookup_table_column()];
        for &column in &advice[..shape.equality] {
            meta.enable_equality(column);
        }
        for (&tag, &value) in fixed.iter().zip(&advice).take(shape.lookups) {
            meta.lookup(|meta| {
                vec![
                    (meta.query_fixed(tag), table[0]),
                    (meta.query_advice(value, Rotation::cur()), table[1]),
                ]
            });
        }
        // Selector g's gate: q·(a·b·c − f) for every column index j ≡ g (mod selectors).
        let columns = advice.len().max(fixed.len());
        for (g, &selector) in selectors.iter().enumerate() {
            let (advice, fixed) = (advice.clone(), fixed.clone());
            meta.create_gate("probe", move |meta| {
                let q = meta.query_selector(selector);
                (g..columns)
                    .step_by(shape.selectors)
                    .map(|j| {
                        let at = |i: usize| advice[i % advice.len()];
                        let a = meta.query_advice(at(j), Rotation::cur());
                        let b = meta.query_advice(at(j + 1), Rotation::next());
                        let c = meta.query_advice(at(j + 2), Rotation::prev());
                        let f = meta.query_fixed(fixed[j % fixed.len()]);
                        q.clone() * (a * b * c - f)
                    })
                    .collect::<Vec<_>>()
            });
        }
        ProbeConfig {
            advice,
            fixed,
            selectors,
            table,
        }
    }

    fn synthesize(
        &self,
        config: ProbeConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let shape = self.0;
        layouter.assign_table(
            || "table",
            |mut table| {
                for row in 0..TABLE_ROWS {
                    for column in config.table {
                        table.assign_cell(|| "zero", column, row, || Value::known(Fp::zero()))?;
                    }
                }
                Ok(())
            },
        )?;
        layouter.assign_region(
            || "every cell",
            |mut region| {
                for row in 0..(1usize << shape.k) - UNUSABLE_ROWS {
                    // Looked-up cells hold (0, 0), which the table has; the rest any value.
                    let value = |i: usize| {
                        let v = if i < shape.lookups { 0 } else { row * 31 + i };
                        Value::known(Fp::from(v as u64))
                    };
                    for (i, &column) in config.advice.iter().enumerate() {
                        region.assign_advice(|| "advice", column, row, || value(i))?;
                    }
                    for (i, &column) in config.fixed.iter().enumerate() {
                        region.assign_fixed(|| "fixed", column, row, || value(i))?;
                    }
                    if row % 3 == 0 {
                        for selector in &config.selectors {
                            selector.enable(&mut region, row)?;
                        }
                    }
                }
                Ok(())
            },
        )
    }
}

fn prove(shape: Shape) -> Result<(), Error> {
    let params: Params<EqAffine> = Params::new(shape.k);
    let vk = keygen_vk(&params, &Probe(shape))?;
    let pk = keygen_pk(&params, vk, &Probe(shape))?;
    let mut transcript = Blake2bWrite::<_, EqAffine, Challenge255<_>>::init(Vec::new());
    create_proof(
        &params,
        &pk,
        &[Probe(shape)],
        &[&[]],
        ChaCha20Rng::seed_from_u64(7),
        &mut transcript,
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shape = match Shape::parse(&args) {
        Ok(shape) => shape,
        Err(message) => {
            eprintln!("halo2_memory_probe: {message}");
            return ExitCode::FAILURE;
        }
    };
    SHAPE.set(shape).expect("set once");
    let started = std::time::Instant::now();
    let (proved, peak) = memory::peak_during(|| prove(shape));
    if let Err(error) = proved {
        eprintln!("halo2_memory_probe: the prove failed: {error}");
        return ExitCode::FAILURE;
    }
    let peak = peak.expect("the counting allocator is installed");
    println!(
        "{shape:?}: whole prove {:.1} s, peak heap {:.1} MiB ({:.0} MB)",
        started.elapsed().as_secs_f64(),
        peak as f64 / (1 << 20) as f64,
        peak as f64 / 1e6
    );
    ExitCode::SUCCESS
}
