//! Fast in-place NTT over the BN254 scalar field.
//!
//! Results are bit-identical to `ark_poly::Radix2EvaluationDomain::<Fr>`
//! (`fft_in_place` / `ifft_in_place`, optionally on `get_coset(g)`): we use the
//! same generator `ω = Fr::get_root_of_unity(n)` and field arithmetic is exact.
//!
//! Small sizes run a plain radix-2 decimation-in-frequency (DIF) transform in
//! cache followed by a bit-reversal. Large sizes use the four-step (Bailey)
//! decomposition `n = R·C` on the row-major `R × C` matrix view:
//!
//! 1. column stage: size-`R` DIF on every column (blocks of columns are gathered
//!    into a small buffer so they share twiddles and stay in L1/L2);
//! 2. row stage: multiply row `k1` by `(ω^k1)^j2`, then size-`C` DIF per row;
//! 3. one cache-blocked, parallel bit-reversal of the whole array.
//!
//! Both DIF stages leave their outputs bit-reversed, and the composition is
//! exactly the bit-reversed DFT, so a single global bit-reversal gives natural
//! order for any `R`, `C` (no non-square in-place transpose needed). Coset and
//! `1/n` scalings are folded into the twiddle steps wherever possible.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ark_bn254::Fr;
use ark_ff::{FftField, Field, One, Zero};
use rayon::prelude::*;

/// Sizes up to `2^SMALL_LOG` (128 KiB) use the single-threaded in-cache path.
const SMALL_LOG: u32 = 12;
/// Largest size whose full `n`-entry four-step twiddle matrix is cached (per
/// direction, 32 MiB each at 2^20); larger sizes use running powers instead.
const FULL_TWIDDLE_MAX_LOG: u32 = 20;
/// Columns transformed together in the column stage: they share twiddles, and
/// 16 × 32 bytes per row means whole cache lines (and fewer TLB misses) per
/// strided access. Tall matrices use narrower blocks, see [`column_stage`].
const COLUMN_BLOCK: usize = 16;
/// Size cap for the column stage's gather buffer (see [`column_stage`]).
const COLUMN_BUFFER_MAX_BYTES: usize = 512 << 10;
/// Upper bound on independent column groups handed to rayon.
const MAX_COLUMN_GROUPS: usize = 32;
/// log2 of the tile edge in the parallel bit-reversal (64 × 64 tiles = 128 KiB).
const BITREV_TILE_LOG: u32 = 6;

/// Branch-free modular add/sub on the Montgomery limbs of `Fr`.
///
/// ark's `Fr` add/sub reduce with an `if x >= p` branch that goes either way
/// about half the time on random data, so butterfly loops mispredict
/// constantly; replacing it with masks measured ~5% faster for the whole NTT
/// at 2^20. Inputs and outputs are canonical (`< p`), so results are
/// identical to ark's. (ark's multiplication is kept: its final reduction
/// branch is rarely taken for BN254 and predicts well.)
mod arith {
    use ark_bn254::{Fr, FrConfig};
    use ark_ff::{BigInt, MontConfig};

    const P: [u64; 4] = <FrConfig as MontConfig<4>>::MODULUS.0;

    /// `a + b mod p`; `a + b < 2p < 2^256`, so at most one subtraction of `p`.
    #[inline(always)]
    pub(super) fn add(a: &Fr, b: &Fr) -> Fr {
        let (a, b) = ((a.0).0, (b.0).0);
        let mut sum = [0u64; 4];
        let mut carry = 0u64;
        for i in 0..4 {
            let t = a[i] as u128 + b[i] as u128 + carry as u128;
            sum[i] = t as u64;
            carry = (t >> 64) as u64;
        }
        let mut diff = [0u64; 4];
        let mut borrow = 0u64;
        for i in 0..4 {
            let t = (sum[i] as u128).wrapping_sub(P[i] as u128 + borrow as u128);
            diff[i] = t as u64;
            borrow = (t >> 127) as u64;
        }
        // All ones when `sum < p` (subtracting `p` borrowed): keep `sum`.
        let keep = 0u64.wrapping_sub(borrow);
        let mut out = [0u64; 4];
        for i in 0..4 {
            out[i] = (sum[i] & keep) | (diff[i] & !keep);
        }
        Fr::new_unchecked(BigInt(out))
    }

    /// `a - b mod p`.
    #[inline(always)]
    pub(super) fn sub(a: &Fr, b: &Fr) -> Fr {
        let (a, b) = ((a.0).0, (b.0).0);
        let mut diff = [0u64; 4];
        let mut borrow = 0u64;
        for i in 0..4 {
            let t = (a[i] as u128).wrapping_sub(b[i] as u128 + borrow as u128);
            diff[i] = t as u64;
            borrow = (t >> 127) as u64;
        }
        // Add `p` back exactly when the subtraction wrapped.
        let wrap = 0u64.wrapping_sub(borrow);
        let mut out = [0u64; 4];
        let mut carry = 0u64;
        for i in 0..4 {
            let t = diff[i] as u128 + (P[i] & wrap) as u128 + carry as u128;
            out[i] = t as u64;
            carry = (t >> 64) as u64;
        }
        Fr::new_unchecked(BigInt(out))
    }
}

/// Twiddles for one direction (forward uses `ω`, inverse uses `ω^-1`).
struct DirectionTables {
    /// `layer[g + k] = ω_{2g}^k` for `k < g`, for every power-of-two gap `g` a
    /// sub-transform needs. The layout is independent of the transform size.
    layer: Vec<Fr>,
    /// `row_root[k1] = ω_n^k1` for `k1 < R` (four-step path only).
    row_root: Vec<Fr>,
    /// Full four-step twiddle matrix `scale·ω_n^{k1·j2}` (row `k1`, length
    /// `C`), built on first use and only for sizes up to
    /// `2^FULL_TWIDDLE_MAX_LOG`. A table lookup replaces the running-power
    /// multiplication, saving `n` field multiplications per call.
    step_table: OnceLock<Vec<Fr>>,
    /// `scale` above: 1 forward, `1/n` inverse (the inverse scaling is free).
    step_table_scale: Fr,
}

impl DirectionTables {
    fn step_table(&self, cols: usize) -> &[Fr] {
        // Built serially on purpose: other callers block on the `OnceLock`
        // meanwhile, and blocking rayon workers while waiting on rayon work
        // could deadlock the pool. It is a one-off `n` multiplications.
        self.step_table.get_or_init(|| {
            let mut table = vec![Fr::zero(); self.row_root.len() * cols];
            for (row, step) in table.chunks_exact_mut(cols).zip(&self.row_root) {
                let mut w = self.step_table_scale;
                for entry in row {
                    *entry = w;
                    w *= step;
                }
            }
            table
        })
    }
}

/// Size-specific precomputation, shared between calls and threads.
struct Twiddles {
    log_n: u32,
    /// log2 of the row count `R` of the four-step view (`R ≤ C`).
    log_rows: u32,
    size_inv: Fr,
    forward: DirectionTables,
    inverse: DirectionTables,
}

impl Twiddles {
    fn new(log_n: u32) -> Self {
        let n = 1usize << log_n;
        let omega = Fr::get_root_of_unity(n as u64).expect("BN254 Fr has 2-adicity 28");
        let omega_inv = omega.inverse().expect("roots of unity are non-zero");
        let (log_rows, max_sub_log) = if log_n <= SMALL_LOG {
            (0, log_n)
        } else {
            (log_n / 2, log_n - log_n / 2)
        };
        let rows = 1usize << log_rows;
        let size_inv = Fr::from(n as u64).inverse().expect("n < p");
        let tables = |root: Fr, step_table_scale: Fr| DirectionTables {
            layer: layer_table(root, log_n, max_sub_log),
            row_root: if log_n <= SMALL_LOG {
                Vec::new()
            } else {
                powers(Fr::one(), root, rows)
            },
            step_table: OnceLock::new(),
            step_table_scale,
        };
        Self {
            log_n,
            log_rows,
            size_inv,
            forward: tables(omega, Fr::one()),
            inverse: tables(omega_inv, size_inv),
        }
    }
}

/// Builds the per-gap DIF twiddles for sub-transforms of size up to
/// `2^max_sub_log`, from the size-`2^log_n` root (squaring down keeps every
/// twiddle a power of ark's generator).
fn layer_table(root: Fr, log_n: u32, max_sub_log: u32) -> Vec<Fr> {
    let max_gap = (1usize << max_sub_log) / 2;
    let mut table = vec![Fr::zero(); (2 * max_gap).max(2)];
    // `root_2g` is ω_{2g}; start at g = n/2 where ω_{2g} = ω_n.
    let mut root_2g = root;
    let mut gap = (1usize << log_n) / 2;
    while gap >= 1 {
        if gap <= max_gap {
            let mut w = Fr::one();
            for entry in &mut table[gap..2 * gap] {
                *entry = w;
                w *= root_2g;
            }
        }
        root_2g.square_in_place();
        gap /= 2;
    }
    table
}

/// `[start, start·base, start·base², …]` with `count` entries.
fn powers(start: Fr, base: Fr, count: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(count);
    let mut acc = start;
    for _ in 0..count {
        out.push(acc);
        acc *= base;
    }
    out
}

/// Reverses the low `bits` bits of `x`.
fn bitrev(x: usize, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        x.reverse_bits() >> (usize::BITS - bits)
    }
}

/// In-place radix-2 DIF over `data` viewed as `rows × LANES` (row-major): each
/// lane is transformed independently, natural order in, bit-reversed out.
/// Lanes share a twiddle, so it is loaded once per `LANES` butterflies.
fn dif<const LANES: usize>(data: &mut [Fr], layer: &[Fr]) {
    let first_gap = data.len() / LANES / 2;
    dif_from_gap::<LANES>(data, layer, first_gap);
}

/// The layers of [`dif`] with gap `first_gap` and below (callers that fused
/// the top layer into another pass start lower).
fn dif_from_gap<const LANES: usize>(data: &mut [Fr], layer: &[Fr], first_gap: usize) {
    let mut gap = first_gap;
    while gap > 2 {
        let span = gap * LANES;
        let twiddles = &layer[gap + 1..2 * gap];
        for block in data.chunks_exact_mut(2 * span) {
            let (lo, hi) = block.split_at_mut(span);
            let (lo_first, lo_rest) = lo.split_at_mut(LANES);
            let (hi_first, hi_rest) = hi.split_at_mut(LANES);
            // The first twiddle of every block is one: skip the multiplication.
            for (a, b) in lo_first.iter_mut().zip(hi_first.iter_mut()) {
                (*a, *b) = (arith::add(a, b), arith::sub(a, b));
            }
            for ((lo_row, hi_row), w) in lo_rest
                .chunks_exact_mut(LANES)
                .zip(hi_rest.chunks_exact_mut(LANES))
                .zip(twiddles)
            {
                for (a, b) in lo_row.iter_mut().zip(hi_row.iter_mut()) {
                    (*a, *b) = (arith::add(a, b), arith::sub(a, b) * w);
                }
            }
        }
        gap /= 2;
    }
    if gap == 2 {
        // Gaps 2 and 1 together as one radix-4 step: a single load/store per
        // element and no loop overhead on 2-element blocks.
        let omega_4 = layer[3];
        for chunk in data.chunks_exact_mut(4 * LANES) {
            let (r01, r23) = chunk.split_at_mut(2 * LANES);
            let (r0, r1) = r01.split_at_mut(LANES);
            let (r2, r3) = r23.split_at_mut(LANES);
            for lane in 0..LANES {
                let (x0, x1, x2, x3) = (r0[lane], r1[lane], r2[lane], r3[lane]);
                let (a0, a2) = (arith::add(&x0, &x2), arith::sub(&x0, &x2));
                let (a1, a3) = (arith::add(&x1, &x3), arith::sub(&x1, &x3) * omega_4);
                (r0[lane], r1[lane]) = (arith::add(&a0, &a1), arith::sub(&a0, &a1));
                (r2[lane], r3[lane]) = (arith::add(&a2, &a3), arith::sub(&a2, &a3));
            }
        }
    } else if gap == 1 {
        for chunk in data.chunks_exact_mut(2 * LANES) {
            let (lo, hi) = chunk.split_at_mut(LANES);
            for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                (*a, *b) = (arith::add(a, b), arith::sub(a, b));
            }
        }
    }
}

/// Multiplies `row` element-wise by `twiddles` and then runs [`dif`], with the
/// multiplication fused into the first layer to save a pass over the row.
fn twiddled_dif(row: &mut [Fr], twiddles: &[Fr], layer: &[Fr]) {
    let half = row.len() / 2;
    let (lo, hi) = row.split_at_mut(half);
    let (t_lo, t_hi) = twiddles.split_at(half);
    for ((((a, b), ta), tb), w) in lo
        .iter_mut()
        .zip(hi.iter_mut())
        .zip(t_lo)
        .zip(t_hi)
        .zip(&layer[half..2 * half])
    {
        let (x, y) = (*a * ta, *b * tb);
        *a = arith::add(&x, &y);
        *b = arith::sub(&x, &y) * w;
    }
    dif_from_gap::<1>(row, layer, half / 2);
}

/// Serial in-place bit-reversal permutation, for arrays that fit in cache.
fn bit_reverse_small(values: &mut [Fr]) {
    let log_n = values.len().trailing_zeros();
    for i in 0..values.len() {
        let j = bitrev(i, log_n);
        if i < j {
            values.swap(i, j);
        }
    }
}

/// Parallel, cache-blocked in-place bit-reversal for `2^log_n` elements.
///
/// An index splits as `(a, m, b)` with `a`, `b` of `t` bits each; it maps to
/// `(rev b, rev m, rev a)`. So the "tile" `{(a, m, ·)}` (T contiguous runs of T
/// elements) is exchanged with tile `rev m` as a whole, touching memory in
/// runs of `T × 32` bytes instead of single elements.
fn bit_reverse_large(values: &mut [Fr], log_n: u32) {
    let tile_log = BITREV_TILE_LOG.min(log_n / 2);
    let tile = 1usize << tile_log;
    let mid_log = log_n - 2 * tile_log;
    let mids = 1usize << mid_log;

    let mut tiles: Vec<Option<Vec<&mut [Fr]>>> =
        (0..mids).map(|_| Some(Vec::with_capacity(tile))).collect();
    for (run_index, run) in values.chunks_exact_mut(tile).enumerate() {
        if let Some(runs) = &mut tiles[run_index & (mids - 1)] {
            runs.push(run);
        }
    }
    let mut tasks = Vec::with_capacity(mids / 2 + 1);
    for m in 0..mids {
        let partner = bitrev(m, mid_log);
        if m < partner {
            let (first, second) = (tiles[m].take(), tiles[partner].take());
            tasks.push((first.expect("taken once"), second));
        } else if m == partner {
            tasks.push((tiles[m].take().expect("taken once"), None));
        }
    }

    let rev: Vec<usize> = (0..tile).map(|i| bitrev(i, tile_log)).collect();
    tasks
        .into_par_iter()
        .for_each(|(mut first, second)| match second {
            Some(mut second) => {
                for (a, run) in first.iter_mut().enumerate() {
                    for (b, x) in run.iter_mut().enumerate() {
                        std::mem::swap(x, &mut second[rev[b]][rev[a]]);
                    }
                }
            }
            None => {
                // A self-paired tile: permute through a copy (rare, √ of the tiles).
                let copy: Vec<Fr> = first.iter().flat_map(|run| run.iter().copied()).collect();
                for (a, run) in first.iter_mut().enumerate() {
                    for (b, x) in run.iter_mut().enumerate() {
                        *x = copy[rev[b] * tile + rev[a]];
                    }
                }
            }
        });
}

/// Per-call scalars derived from the coset offset and direction.
struct Scalings<'a> {
    /// Row stage: precomputed twiddle matrix (already includes `1/n` for the
    /// inverse); when present the running-power fields below are unused.
    step_table: Option<&'a [Fr]>,
    /// Column stage: input row `j1` is multiplied by this (forward coset: `g^{C·j1}`).
    column_scale: Option<Vec<Fr>>,
    /// Row stage: row `k1` is multiplied by `row_start[k1]` before its DFT
    /// (inverse: `g^-k1 / n`); the DFT is linear so this is folded into the
    /// running twiddle for free.
    row_start: Option<Vec<Fr>>,
    /// Row stage: the per-row twiddle step `ω^k1` is multiplied by this
    /// (forward coset: `g`, which accounts for the `g^j2` part of `g^i`).
    step_factor: Option<Fr>,
    /// Row stage: output at row position `σ` is multiplied by this
    /// (inverse coset: `g^{-R·rev(σ)}`).
    post_scale: Option<Vec<Fr>>,
}

impl<'a> Scalings<'a> {
    fn new(tw: &'a Twiddles, inverse: bool, coset: Option<Fr>, allow_table: bool) -> Self {
        let rows = 1usize << tw.log_rows;
        let log_cols = tw.log_n - tw.log_rows;
        let cols = 1usize << log_cols;
        let dir = if inverse { &tw.inverse } else { &tw.forward };
        let step_table = (allow_table && tw.log_n <= FULL_TWIDDLE_MAX_LOG && coset.is_none())
            .then(|| dir.step_table(cols));
        match (inverse, coset) {
            (false, None) => Self {
                step_table,
                column_scale: None,
                row_start: None,
                step_factor: None,
                post_scale: None,
            },
            (false, Some(g)) => Self {
                step_table,
                column_scale: Some(powers(Fr::one(), g.pow([cols as u64]), rows)),
                row_start: None,
                step_factor: Some(g),
                post_scale: None,
            },
            (true, None) => Self {
                step_table,
                column_scale: None,
                row_start: Some(vec![tw.size_inv; rows]),
                step_factor: None,
                post_scale: None,
            },
            (true, Some(g)) => {
                let g_inv = g.inverse().expect("coset offset is non-zero");
                let by_k2 = powers(Fr::one(), g_inv.pow([rows as u64]), cols);
                Self {
                    step_table,
                    column_scale: None,
                    row_start: Some(powers(tw.size_inv, g_inv, rows)),
                    step_factor: None,
                    post_scale: Some((0..cols).map(|s| by_k2[bitrev(s, log_cols)]).collect()),
                }
            }
        }
    }
}

/// Four-step stage 1: size-`R` DIF down every column, a few columns at a time
/// through a contiguous buffer. Columns are split into groups so that each
/// rayon task owns a disjoint set of row pieces (no `unsafe` needed).
fn column_stage(values: &mut [Fr], rows: usize, cols: usize, layer: &[Fr], scale: Option<&[Fr]>) {
    // Keep the gathered block within a quarter of L2: halve the block width
    // for taller matrices (n > 2^20), down to one cache line per row.
    let fits = |block: usize| rows * block * std::mem::size_of::<Fr>() <= COLUMN_BUFFER_MAX_BYTES;
    if fits(COLUMN_BLOCK) {
        column_stage_blocked::<COLUMN_BLOCK>(values, rows, cols, layer, scale);
    } else if fits(COLUMN_BLOCK / 2) {
        column_stage_blocked::<{ COLUMN_BLOCK / 2 }>(values, rows, cols, layer, scale);
    } else if fits(COLUMN_BLOCK / 4) {
        column_stage_blocked::<{ COLUMN_BLOCK / 4 }>(values, rows, cols, layer, scale);
    } else {
        column_stage_blocked::<{ COLUMN_BLOCK / 8 }>(values, rows, cols, layer, scale);
    }
}

fn column_stage_blocked<const BLOCK: usize>(
    values: &mut [Fr],
    rows: usize,
    cols: usize,
    layer: &[Fr],
    scale: Option<&[Fr]>,
) {
    let groups = (cols / BLOCK).min(MAX_COLUMN_GROUPS);
    let width = cols / groups;
    let mut pieces: Vec<Vec<&mut [Fr]>> = (0..groups).map(|_| Vec::with_capacity(rows)).collect();
    for row in values.chunks_exact_mut(cols) {
        for (group, piece) in pieces.iter_mut().zip(row.chunks_exact_mut(width)) {
            group.push(piece);
        }
    }
    pieces.into_par_iter().for_each(|mut group| {
        let mut buf = vec![Fr::zero(); rows * BLOCK];
        for start in (0..width).step_by(BLOCK) {
            let range = start..start + BLOCK;
            for (j1, (dst, piece)) in buf.chunks_exact_mut(BLOCK).zip(&group).enumerate() {
                dst.copy_from_slice(&piece[range.clone()]);
                if let Some(scale) = scale {
                    dst.iter_mut().for_each(|x| *x *= scale[j1]);
                }
            }
            dif::<BLOCK>(&mut buf, layer);
            for (src, piece) in buf.chunks_exact(BLOCK).zip(group.iter_mut()) {
                piece[range.clone()].copy_from_slice(src);
            }
        }
    });
}

/// Four-step stage 2: row at position `ρ` holds `Y[k1 = rev(ρ), ·]`; multiply
/// entry `j2` by `start·(step·ω^k1)^j2`, then size-`C` DIF in place.
fn row_stage(
    values: &mut [Fr],
    log_rows: u32,
    cols: usize,
    dir: &DirectionTables,
    s: &Scalings<'_>,
) {
    if let Some(table) = s.step_table {
        values
            .par_chunks_exact_mut(cols)
            .enumerate()
            .for_each(|(position, row)| {
                let k1 = bitrev(position, log_rows);
                twiddled_dif(row, &table[k1 * cols..(k1 + 1) * cols], &dir.layer);
            });
        return;
    }
    values
        .par_chunks_exact_mut(cols)
        .enumerate()
        .for_each(|(position, row)| {
            let k1 = bitrev(position, log_rows);
            let mut step = dir.row_root[k1];
            if let Some(factor) = s.step_factor {
                step *= factor;
            }
            let mut twiddle = match &s.row_start {
                Some(start) => start[k1],
                None => Fr::one(),
            };
            if twiddle.is_one() && step.is_one() {
                // Row 0 of a plain forward transform: nothing to scale.
            } else {
                for x in row.iter_mut() {
                    *x *= twiddle;
                    twiddle *= step;
                }
            }
            dif::<1>(row, &dir.layer);
            if let Some(post) = &s.post_scale {
                row.iter_mut().zip(post).for_each(|(x, p)| *x *= p);
            }
        });
}

/// Small-size path: everything is in cache, so run the straightforward
/// sequence of scaling, DIF and bit-reversal on one thread.
fn run_small(values: &mut [Fr], tw: &Twiddles, inverse: bool, coset: Option<Fr>) {
    if let (false, Some(g)) = (inverse, coset) {
        let mut pow = Fr::one();
        for x in values.iter_mut() {
            *x *= pow;
            pow *= g;
        }
    }
    let dir = if inverse { &tw.inverse } else { &tw.forward };
    dif::<1>(values, &dir.layer);
    bit_reverse_small(values);
    if inverse {
        match coset {
            None => values.iter_mut().for_each(|x| *x *= tw.size_inv),
            Some(g) => {
                let g_inv = g.inverse().expect("coset offset is non-zero");
                let mut factor = tw.size_inv;
                for x in values.iter_mut() {
                    *x *= factor;
                    factor *= g_inv;
                }
            }
        }
    }
}

/// Caches twiddle tables per size across calls; shared by threads.
pub(crate) struct NttEngine {
    cache: Mutex<HashMap<u32, Arc<Twiddles>>>,
}

impl NttEngine {
    pub(crate) fn new() -> Self {
        Self {
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn twiddles(&self, log_n: u32) -> Arc<Twiddles> {
        // Tables are at most O(n) for n ≤ 2^SMALL_LOG and O(√n) above, so
        // building them under the lock is cheap.
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(log_n)
            .or_insert_with(|| Arc::new(Twiddles::new(log_n)))
            .clone()
    }

    /// In-place transform, natural order in and out.
    pub(crate) fn run(&self, values: &mut [Fr], inverse: bool, coset: Option<Fr>) {
        self.run_with(values, inverse, coset, true);
    }

    /// [`Self::run`]; `allow_table = false` forces the running-power twiddles
    /// that sizes above `2^FULL_TWIDDLE_MAX_LOG` use (so tests can reach them).
    fn run_with(&self, values: &mut [Fr], inverse: bool, coset: Option<Fr>, allow_table: bool) {
        let n = values.len();
        assert!(n.is_power_of_two(), "NTT size must be a power of two");
        if n == 1 {
            // ω = 1, 1/n = 1 and g^0 = 1: every variant is the identity.
            return;
        }
        // Treat a trivial coset as none (same result, less work).
        let coset = coset.filter(|g| !g.is_one());
        let log_n = n.trailing_zeros();
        let tw = self.twiddles(log_n);
        if log_n <= SMALL_LOG {
            run_small(values, &tw, inverse, coset);
            return;
        }
        let rows = 1usize << tw.log_rows;
        let cols = n / rows;
        let dir = if inverse { &tw.inverse } else { &tw.forward };
        let scalings = Scalings::new(&tw, inverse, coset, allow_table);
        column_stage(
            values,
            rows,
            cols,
            &dir.layer,
            scalings.column_scale.as_deref(),
        );
        row_stage(values, tw.log_rows, cols, dir, &scalings);
        bit_reverse_large(values, log_n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
    use ark_std::UniformRand;
    use rand::{SeedableRng, rngs::StdRng};

    fn random_values(rng: &mut StdRng, n: usize) -> Vec<Fr> {
        (0..n).map(|_| Fr::rand(rng)).collect()
    }

    fn reference(values: &[Fr], inverse: bool, coset: Option<Fr>) -> Vec<Fr> {
        let mut domain = Radix2EvaluationDomain::<Fr>::new(values.len()).unwrap();
        if let Some(g) = coset {
            domain = domain.get_coset(g).unwrap();
        }
        let mut out = values.to_vec();
        if inverse {
            domain.ifft_in_place(&mut out);
        } else {
            domain.fft_in_place(&mut out);
        }
        out
    }

    fn check_size(engine: &NttEngine, rng: &mut StdRng, log_n: u32) {
        let n = 1usize << log_n;
        let input = random_values(rng, n);
        let offset = Fr::rand(rng);
        for coset in [None, Some(offset)] {
            for inverse in [false, true] {
                let mut ours = input.clone();
                engine.run(&mut ours, inverse, coset);
                assert!(
                    ours == reference(&input, inverse, coset),
                    "mismatch: n = 2^{log_n}, inverse = {inverse}, coset = {}",
                    coset.is_some()
                );
            }
            let mut round_trip = input.clone();
            engine.run(&mut round_trip, false, coset);
            engine.run(&mut round_trip, true, coset);
            assert!(round_trip == input, "round trip failed at n = 2^{log_n}");
        }
    }

    #[test]
    fn matches_ark_small_and_medium_sizes() {
        let engine = NttEngine::new();
        let mut rng = StdRng::seed_from_u64(0x5eed);
        for log_n in 0..=16 {
            check_size(&engine, &mut rng, log_n);
        }
        // Second pass exercises the cached tables.
        check_size(&engine, &mut rng, 13);
    }

    #[test]
    fn matches_ark_with_running_power_twiddles() {
        let engine = NttEngine::new();
        let mut rng = StdRng::seed_from_u64(13);
        for log_n in [13, 16] {
            let input = random_values(&mut rng, 1 << log_n);
            for inverse in [false, true] {
                let mut ours = input.clone();
                engine.run_with(&mut ours, inverse, None, false);
                assert!(
                    ours == reference(&input, inverse, None),
                    "2^{log_n} {inverse}"
                );
            }
        }
    }

    #[test]
    fn matches_ark_at_2_pow_21_without_cached_matrix() {
        let engine = NttEngine::new();
        let mut rng = StdRng::seed_from_u64(21);
        let input = random_values(&mut rng, 1 << 21);
        for inverse in [false, true] {
            let mut ours = input.clone();
            engine.run(&mut ours, inverse, None);
            assert!(
                ours == reference(&input, inverse, None),
                "inverse = {inverse}"
            );
        }
    }

    #[test]
    fn narrow_column_blocks_match_default() {
        // Narrower column blocks are only chosen on their own for n > 2^20.
        let mut rng = StdRng::seed_from_u64(26);
        let (rows, cols) = (1usize << 7, 1usize << 8);
        let tw = Twiddles::new(15);
        let scale = powers(Fr::one(), Fr::rand(&mut rng), rows);
        let input = random_values(&mut rng, rows * cols);
        let (mut wide, mut narrow) = (input.clone(), input);
        column_stage_blocked::<COLUMN_BLOCK>(
            &mut wide,
            rows,
            cols,
            &tw.forward.layer,
            Some(&scale),
        );
        column_stage_blocked::<{ COLUMN_BLOCK / 8 }>(
            &mut narrow,
            rows,
            cols,
            &tw.forward.layer,
            Some(&scale),
        );
        assert!(wide == narrow);
    }

    #[test]
    fn matches_ark_at_2_pow_20() {
        let engine = NttEngine::new();
        let mut rng = StdRng::seed_from_u64(20);
        check_size(&engine, &mut rng, 20);
    }

    #[test]
    fn engine_is_shareable_across_threads() {
        let engine = NttEngine::new();
        let mut rng = StdRng::seed_from_u64(7);
        let inputs: Vec<Vec<Fr>> = (0..4)
            .map(|i| random_values(&mut rng, 1 << (10 + 2 * i)))
            .collect();
        std::thread::scope(|scope| {
            for input in &inputs {
                let engine = &engine;
                scope.spawn(move || {
                    let mut ours = input.clone();
                    engine.run(&mut ours, false, None);
                    assert!(ours == reference(input, false, None));
                });
            }
        });
    }
}
