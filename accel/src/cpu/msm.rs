//! Multi-scalar multiplication for short Weierstrass curves (BN254 G1/G2).
//!
//! Pippenger's bucket method with:
//! - signed-digit windows: digits in `[-2^(c-1), 2^(c-1)]`, so a window needs only `2^(c-1)`
//!   buckets and a negative digit adds the negated base (negation is free in affine form);
//! - streaming batched-affine bucket accumulation: the points are walked in their original order
//!   and each `bucket += ±P` is queued into a batch of pending affine additions whose inversions
//!   are shared (Montgomery's trick), so one addition costs about 6 field multiplications instead
//!   of the ~10 of a mixed addition into an extended-Jacobian bucket. A bucket already in the
//!   batch defers its point to a small conflict queue (see `BucketAccumulator`). The buckets stay
//!   in cache while the points stream sequentially, so no sorting or random gathers are needed;
//! - several windows are processed as one "group" when `n` is small, so that a batch fills up
//!   across windows too;
//! - bucket reduction by running sums, themselves batched in affine form across segments of
//!   buckets (see `weighted_bucket_sums`), windows combined by doubling;
//! - scalars recoded exactly as arkworks' `msm_signed` does (see `recode_like_arkworks`).
//!
//! Only the plain group law is used (no GLV endomorphism), so bases outside the prime-order
//! subgroup (e.g. points on the G2 twist) give the same result as arkworks' generic MSM.

use ark_ec::short_weierstrass::{Affine, Bucket, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;

/// Entries are stored as `u32` point indices with the sign in the top bit, so one call handles at
/// most this many points; larger inputs are split into chunks of this size.
const MAX_POINTS_PER_CALL: usize = 1 << 30;

/// Marks an entry whose base is added negated (negative digit).
const NEGATE_FLAG: u32 = 1 << 31;

/// Marks a pending addition that is a doubling (bucket == point), in the bucket index's top bit.
const DOUBLING_FLAG: u32 = 1 << 31;

/// Upper bound on the (point, window) entries of one group of windows: small inputs share batches
/// across windows, large ones (from this many points on) get one window per group.
const MAX_GROUP_ENTRIES: usize = 1 << 16;

/// Scalars per digit chunk (digits are window-major within a chunk: read sequentially).
const DIGIT_CHUNK: usize = 1 << 12;

/// Computes `sum_i scalars[i] * bases[i]`, equal as a group element to arkworks'
/// `VariableBaseMSM::msm` for every input (including bases outside the prime-order subgroup).
pub(crate) fn msm<P: SWCurveConfig>(
    bases: &[Affine<P>],
    scalars: &[P::ScalarField],
) -> Projective<P> {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    if n > MAX_POINTS_PER_CALL {
        return bases
            .chunks(MAX_POINTS_PER_CALL)
            .zip(scalars.chunks(MAX_POINTS_PER_CALL))
            .map(|(b, s)| msm(b, s))
            .sum();
    }

    let recoded: Vec<(<P::ScalarField as PrimeField>::BigInt, bool)> =
        scalars.par_iter().map(recode_like_arkworks).collect();
    // Fewer windows when every scalar is short (e.g. small or all-zero scalars).
    let max_bits = recoded
        .par_iter()
        .map(|(s, _)| s.num_bits() as usize)
        .max()
        .unwrap_or(0);
    if max_bits == 0 {
        return Projective::zero();
    }

    let widths = window_widths(
        max_bits,
        num_windows::<P>(n, max_bits, rayon::current_num_threads()),
    );
    let num_windows = widths.len();

    // Chunk `k` holds the digits of scalars `k * DIGIT_CHUNK..`, window-major: window `w` of
    // scalar `k * DIGIT_CHUNK + j` is at `w * chunk_len + j`. Bases at infinity contribute
    // nothing, so their digits stay zero and the accumulation never sees them.
    let digit_chunks: Vec<Vec<i32>> = recoded
        .par_chunks(DIGIT_CHUNK)
        .zip(bases.par_chunks(DIGIT_CHUNK))
        .map(|(chunk, chunk_bases)| {
            let mut out = vec![0i32; chunk.len() * num_windows];
            let mut row = vec![0i32; num_windows];
            for (j, ((magnitude, negate), base)) in chunk.iter().zip(chunk_bases).enumerate() {
                if base.is_zero() {
                    continue;
                }
                signed_digits(magnitude.as_ref(), &widths, &mut row);
                for (w, &d) in row.iter().enumerate() {
                    out[w * chunk.len() + j] = if *negate { -d } else { d };
                }
            }
            out
        })
        .collect();
    drop(recoded);

    let windows_per_group = windows_per_group(n, num_windows);
    let group_starts: Vec<usize> = (0..num_windows).step_by(windows_per_group).collect();
    let group_sums = |accumulator: &mut BucketAccumulator<P>, &first: &usize| {
        let count = windows_per_group.min(num_windows - first);
        let widths = &widths[first..first + count];
        window_group_sums(bases, &digit_chunks, first, widths, accumulator)
    };
    let window_sums: Vec<Projective<P>> = if group_starts.len() == 1 {
        // One group: stay on this thread, rayon's dispatch would only add latency.
        group_sums(&mut BucketAccumulator::new(), &0)
    } else {
        // One accumulator per rayon job, reused across its groups: fresh bucket arrays for every
        // window would cost page faults (measured ~1.5% at 2^16).
        let per_group: Vec<Vec<Projective<P>>> = group_starts
            .par_iter()
            .map_init(BucketAccumulator::new, group_sums)
            .collect();
        per_group.into_iter().flatten().collect()
    };

    // Horner: sum_j 2^(offset of window j) * W_j, from the top window down.
    let mut total = Projective::zero();
    for (sum, &width) in window_sums.iter().zip(&widths).rev() {
        for _ in 0..width {
            total.double_in_place();
        }
        total += sum;
    }
    total
}

/// The scalar as `(magnitude, negate)` such that the MSM uses `±magnitude` as an integer,
/// following arkworks' `msm_signed`: a scalar of more than 64 bits whose `r - s` fits in 64 bits
/// is applied as `-(r - s)`. On the prime-order subgroup this is the same point; on bases outside
/// it (G2 twist points) it is not, and the contract is to agree with arkworks exactly.
fn recode_like_arkworks<F: PrimeField>(scalar: &F) -> (F::BigInt, bool) {
    let value = scalar.into_bigint();
    if value.num_bits() > 64 {
        let mut complement = F::MODULUS;
        complement.sub_with_borrow(&value);
        if complement.num_bits() <= 64 {
            return (complement, true);
        }
    }
    (value, false)
}

/// Window width in bits, tuned by measurement on BN254 G1 (see `main.rs`).
fn window_bits(n: usize) -> usize {
    match n.max(1).ilog2() {
        0..=3 => 3,
        4..=5 => 4,
        6 => 5,
        7 => 6,
        8..=9 => 7,
        10 => 8,
        11 => 9,
        12 => 10,
        13 => 11,
        14..=15 => 12,
        16..=17 => 13,
        18 => 14,
        _ => 15,
    }
}

/// Number of windows for `n` scalars of `max_bits` bits.
///
/// Small inputs follow the measured `window_bits` table. Large ones (one window per group, spread
/// over `threads`) minimise the busiest thread's estimated work: `ceil(W / threads)` windows of
/// `n` bucket additions plus ~`2^width` reduction additions each. E.g. at 2^18 on two threads it
/// picks 18 windows rather than 19, which gave one thread a window more (measured ~9% faster).
/// Widths whose buckets outgrow a core's L2 cache (~1 MiB) are not considered.
fn num_windows<P: SWCurveConfig>(n: usize, max_bits: usize, threads: usize) -> usize {
    let total = max_bits + 1;
    let table = total.div_ceil(window_bits(n));
    if n < MAX_GROUP_ENTRIES {
        return table;
    }
    let bucket_bytes = std::mem::size_of::<Affine<P>>().max(1);
    let max_width = ((1usize << 20) / bucket_bytes).ilog2() as usize + 1;
    let threads = threads.max(1);
    let cost = |num_windows: usize| {
        let reduction: usize = window_widths(max_bits, num_windows)
            .iter()
            .map(|&w| 1usize << w)
            .sum();
        num_windows.div_ceil(threads) * (n + reduction / num_windows)
    };
    // At least one bit per window.
    let fewest = total.div_ceil(max_width).max(1);
    (fewest..=(table.max(fewest) + 2).min(total))
        .min_by_key(|&w| cost(w))
        .unwrap_or(table)
}

/// Widths of `num_windows` windows covering scalars of `max_bits` bits: `c` or `c - 1` bits each.
/// The widths add up to `max_bits + 1`, which keeps the top digit within `2^(width - 1)`
/// including the last carry. Spreading the bits evenly (rather than leaving a narrow top window)
/// matters because a window with few buckets would make most additions of a batch conflict. The
/// wider windows (more reduction work) are spread out too, so that rayon's halves of the window
/// range get similar work.
fn window_widths(max_bits: usize, num_windows: usize) -> Vec<usize> {
    let total = max_bits + 1;
    let narrow = total / num_windows;
    let num_wide = total % num_windows;
    // Window `w` is wide when the count of wide windows up to it, rounded down, steps up.
    let wide_before = |w: usize| w * num_wide / num_windows;
    (0..num_windows)
        .map(|w| narrow + wide_before(w + 1) - wide_before(w))
        .collect()
}

/// How many windows share one group (one bucket accumulator). Large inputs use one window per
/// group so the groups spread over the threads; small inputs put several windows into a group to
/// fill the batches, but keep at least two groups when there is enough work for two threads.
fn windows_per_group(n: usize, num_windows: usize) -> usize {
    let by_memory = (MAX_GROUP_ENTRIES / n).max(1);
    let threads = rayon::current_num_threads().max(1);
    let by_threads = if n * num_windows >= 1 << 12 {
        num_windows.div_ceil(threads)
    } else {
        num_windows
    };
    by_memory.min(by_threads).clamp(1, num_windows)
}

/// Writes the signed digits of the little-endian `limbs` for windows of the given `widths` into
/// `out`, lowest first. A digit of width `c` is in `[-2^(c-1), 2^(c-1)]`; a digit above
/// `2^(c-1)` borrows `2^c` from the next window by a carry.
fn signed_digits(limbs: &[u64], widths: &[usize], out: &mut [i32]) {
    let mut carry = 0i64;
    let mut offset = 0;
    for (&c, digit) in widths.iter().zip(out) {
        let radix = 1i64 << c;
        let half = radix >> 1;
        let raw = bits_at(limbs, offset, c) as i64 + carry;
        offset += c;
        if raw > half {
            *digit = (raw - radix) as i32;
            carry = 1;
        } else {
            *digit = raw as i32;
            carry = 0;
        }
    }
}

/// The `width` (< 64) bits of `limbs` starting at bit `offset`; bits past the end read as zero.
fn bits_at(limbs: &[u64], offset: usize, width: usize) -> u64 {
    let limb = offset / 64;
    let shift = offset % 64;
    let Some(&low) = limbs.get(limb) else {
        return 0;
    };
    let mut value = low >> shift;
    if shift + width > 64
        && let Some(&high) = limbs.get(limb + 1)
    {
        value |= high << (64 - shift);
    }
    value & ((1u64 << width) - 1)
}

/// Pending additions per batch, capped so that the batch's bookkeeping stays in L1 and conflicts
/// (a bucket already in the batch) stay rare.
const MAX_BATCH: usize = 1024;

/// Deferred (conflicting) additions kept before further ones go to the overflow buckets.
const MAX_QUEUE: usize = 1024;

/// Pending additions per batch for a group of `num_buckets` buckets: large enough to amortise the
/// inversion, small enough relative to the bucket count that few additions conflict.
fn batch_size(num_buckets: usize) -> usize {
    (num_buckets / 4).clamp(1, MAX_BATCH)
}

/// Sums of the windows `first..first + count`, each as `sum_k k * (bucket k)`.
/// Zero digits (including those of bases at infinity, zeroed when recoding) are skipped.
fn window_group_sums<P: SWCurveConfig>(
    bases: &[Affine<P>],
    digit_chunks: &[Vec<i32>],
    first: usize,
    widths: &[usize],
    accumulator: &mut BucketAccumulator<P>,
) -> Vec<Projective<P>> {
    let count = widths.len();
    // The group's windows share one bucket layout, sized for the widest.
    let buckets_per_window = 1usize << (widths.iter().max().copied().unwrap_or(1) - 1);
    accumulator.reset(buckets_per_window * count);
    for (chunk_index, digits) in digit_chunks.iter().enumerate() {
        let start = chunk_index * DIGIT_CHUNK;
        let len = DIGIT_CHUNK.min(bases.len() - start);
        let group_digits = &digits[first * len..(first + count) * len];
        // Point-major, so that consecutive additions spread over all windows' buckets and rarely
        // conflict within a batch.
        for j in 0..len {
            for w in 0..count {
                let d = group_digits[w * len + j];
                if d != 0 {
                    let sign = if d < 0 { NEGATE_FLAG } else { 0 };
                    let bucket = w * buckets_per_window + d.unsigned_abs() as usize - 1;
                    accumulator.add(bases, bucket, (start + j) as u32 | sign);
                }
            }
        }
    }
    weighted_bucket_sums(accumulator.finish(bases), count, buckets_per_window)
}

/// The base of a point entry, negated if the entry says so. The base is never at infinity.
#[inline(always)]
fn signed_base<P: SWCurveConfig>(bases: &[Affine<P>], entry: u32) -> Affine<P> {
    let p = &bases[(entry & !NEGATE_FLAG) as usize];
    if entry & NEGATE_FLAG != 0 {
        Affine::new_unchecked(p.x, -p.y)
    } else {
        *p
    }
}

/// One pending addition `p + q` (p the bucket), ready for its inverted denominator.
struct AdditionParts<P: SWCurveConfig> {
    bucket: usize,
    p: Affine<P>,
    q_x: P::BaseField,
    numerator: P::BaseField,
    denominator: P::BaseField,
}

/// Affine buckets fed one `bucket += ±P` at a time, applied in batches that share one inversion.
///
/// A batch holds at most one addition per bucket (its result is only known after the batch), so a
/// point whose bucket is already in the batch waits in a queue that is retried after each batch.
/// When the queue is full (inputs concentrated on few buckets, e.g. all scalars equal), further
/// conflicting points go into extended-Jacobian overflow buckets instead, merged in at the end.
struct BucketAccumulator<P: SWCurveConfig> {
    /// Affine bucket sums, the identity while empty.
    buckets: Vec<Affine<P>>,
    in_batch: Vec<bool>,
    /// `(bucket | DOUBLING_FLAG if a doubling, point entry)` of each pending addition.
    pending: Vec<(u32, u32)>,
    /// `prefix[k]` = product of the denominators of pending additions `0..k`.
    prefix: Vec<P::BaseField>,
    product: P::BaseField, // of all pending denominators
    batch_size: usize,
    /// Deferred `(bucket, point entry)` additions.
    queue: Vec<(u32, u32)>,
    overflow: Vec<Bucket<P>>, // allocated on first use only
}

impl<P: SWCurveConfig> BucketAccumulator<P> {
    /// An accumulator without buckets; `reset` before use.
    fn new() -> Self {
        Self {
            buckets: Vec::new(),
            in_batch: Vec::new(),
            pending: Vec::with_capacity(MAX_BATCH),
            prefix: Vec::with_capacity(MAX_BATCH),
            product: P::BaseField::ONE,
            batch_size: 1,
            queue: Vec::with_capacity(MAX_QUEUE),
            overflow: Vec::new(),
        }
    }

    /// Starts over with `num_buckets` empty buckets, keeping the allocations.
    fn reset(&mut self, num_buckets: usize) {
        self.buckets.clear();
        self.buckets.resize(num_buckets, Affine::identity());
        self.in_batch.clear();
        self.in_batch.resize(num_buckets, false);
        self.overflow.clear();
        self.batch_size = batch_size(num_buckets);
    }

    /// `buckets[bucket] += signed_base(entry)`, now or in a later batch.
    #[inline(always)]
    fn add(&mut self, bases: &[Affine<P>], bucket: usize, entry: u32) {
        self.insert(bases, bucket, entry);
        if self.pending.len() == self.batch_size {
            self.flush(bases);
            self.retry_queue(bases);
        }
    }

    /// Adds to the batch, or applies at once when no inversion is needed, or defers on conflict.
    #[inline(always)]
    fn insert(&mut self, bases: &[Affine<P>], bucket: usize, entry: u32) {
        if self.in_batch[bucket] {
            self.defer(bases, bucket, entry);
            return;
        }
        let base_x = &bases[(entry & !NEGATE_FLAG) as usize].x;
        let sum = &mut self.buckets[bucket];
        if sum.is_zero() {
            *sum = signed_base(bases, entry);
            return;
        }
        let mut tagged = bucket as u32;
        let denominator = if sum.x != *base_x {
            *base_x - sum.x
        } else if sum.y == signed_base(bases, entry).y && !sum.y.is_zero() {
            tagged |= DOUBLING_FLAG;
            sum.y.double()
        } else {
            // The point is -sum (or sum has y = 0 and is doubled).
            *sum = Affine::identity();
            return;
        };
        self.in_batch[bucket] = true;
        self.pending.push((tagged, entry));
        self.prefix.push(self.product);
        self.product *= denominator;
    }

    #[cold]
    fn defer(&mut self, bases: &[Affine<P>], bucket: usize, entry: u32) {
        if self.queue.len() < MAX_QUEUE {
            self.queue.push((bucket as u32, entry));
        } else {
            self.add_to_overflow(bases, bucket, entry);
        }
    }

    fn add_to_overflow(&mut self, bases: &[Affine<P>], bucket: usize, entry: u32) {
        if self.overflow.is_empty() {
            self.overflow = vec![Bucket::ZERO; self.buckets.len()];
        }
        self.overflow[bucket] += signed_base(bases, entry);
    }

    /// Re-inserts the deferred additions; those that conflict again stay deferred.
    fn retry_queue(&mut self, bases: &[Affine<P>]) {
        let queued = std::mem::take(&mut self.queue);
        for &(bucket, entry) in &queued {
            self.insert(bases, bucket as usize, entry);
            if self.pending.len() == self.batch_size {
                self.flush(bases);
            }
        }
        // Reuse the allocation if nothing was deferred meanwhile.
        if self.queue.is_empty() {
            self.queue = queued;
            self.queue.clear();
        }
    }

    /// Applies all pending additions with one shared inversion. Two independent additions per
    /// step, their multiplications interleaved, let the CPU overlap them (measured ~1.5%).
    fn flush(&mut self, bases: &[Affine<P>]) {
        if self.pending.is_empty() {
            return;
        }
        // Each denominator is nonzero (distinct x's, or 2y with y != 0), so is their product.
        // `inverse` holds 1 / (product of the denominators not applied yet) throughout.
        let mut inverse = self
            .product
            .inverse()
            .expect("product of nonzero denominators is invertible");
        let mut k = self.pending.len();
        while k >= 2 {
            let a = self.addition_parts(bases, k - 1);
            let b = self.addition_parts(bases, k - 2);
            let inverse_a = inverse * self.prefix[k - 1];
            inverse *= a.denominator;
            let inverse_b = inverse * self.prefix[k - 2];
            inverse *= b.denominator;
            let lambda_a = a.numerator * inverse_a;
            let lambda_b = b.numerator * inverse_b;
            let lambda_a_squared = lambda_a.square();
            let lambda_b_squared = lambda_b.square();
            let x_a = lambda_a_squared - a.p.x - a.q_x;
            let x_b = lambda_b_squared - b.p.x - b.q_x;
            let y_a = lambda_a * (a.p.x - x_a) - a.p.y;
            let y_b = lambda_b * (b.p.x - x_b) - b.p.y;
            self.store(a.bucket, x_a, y_a);
            self.store(b.bucket, x_b, y_b);
            k -= 2;
        }
        if k == 1 {
            let a = self.addition_parts(bases, 0);
            let lambda = a.numerator * (inverse * self.prefix[0]);
            let x = lambda.square() - a.p.x - a.q_x;
            let y = lambda * (a.p.x - x) - a.p.y;
            self.store(a.bucket, x, y);
        }
        self.pending.clear();
        self.prefix.clear();
        self.product = P::BaseField::ONE;
    }

    /// The inputs of pending addition `k`: `p + q` has slope `numerator / denominator`.
    #[inline(always)]
    fn addition_parts(&self, bases: &[Affine<P>], k: usize) -> AdditionParts<P> {
        let (tagged, entry) = self.pending[k];
        let bucket = (tagged & !DOUBLING_FLAG) as usize;
        let p = self.buckets[bucket];
        if tagged & DOUBLING_FLAG == 0 {
            // q = ±base.
            let base = &bases[(entry & !NEGATE_FLAG) as usize];
            let numerator = if entry & NEGATE_FLAG == 0 {
                base.y - p.y
            } else {
                -(base.y + p.y)
            };
            AdditionParts {
                bucket,
                p,
                q_x: base.x,
                numerator,
                denominator: base.x - p.x,
            }
        } else {
            // q = p.
            AdditionParts {
                bucket,
                p,
                q_x: p.x,
                numerator: tangent_numerator(&p),
                denominator: p.y.double(),
            }
        }
    }

    #[inline(always)]
    fn store(&mut self, bucket: usize, x: P::BaseField, y: P::BaseField) {
        self.buckets[bucket] = Affine::new_unchecked(x, y);
        self.in_batch[bucket] = false;
    }

    /// Applies everything still pending or deferred and returns the bucket sums.
    fn finish(&mut self, bases: &[Affine<P>]) -> &[Affine<P>] {
        self.flush(bases);
        self.retry_queue(bases);
        self.flush(bases);
        // What conflicts even now goes to the overflow buckets rather than into more tiny batches.
        for (bucket, entry) in std::mem::take(&mut self.queue) {
            self.add_to_overflow(bases, bucket as usize, entry);
        }
        let overflowed: Vec<usize> = (0..self.overflow.len())
            .filter(|&b| !self.overflow[b].is_zero())
            .collect();
        let merged: Vec<Projective<P>> = overflowed
            .iter()
            .map(|&b| {
                let mut sum = self.overflow[b];
                sum += &self.buckets[b];
                Projective::from(sum)
            })
            .collect();
        for (&b, sum) in overflowed.iter().zip(Projective::normalize_batch(&merged)) {
            self.buckets[b] = sum;
        }
        &self.buckets
    }
}

/// Number of independent running-sum chains a group's bucket reduction aims for, so that each
/// batched inversion is shared by this many additions.
const TARGET_SEGMENTS: usize = 256;

/// For each of the `count` windows whose buckets are `bucket_sums[w * B..(w + 1) * B]`
/// (bucket `k` holding the points with digit magnitude `k + 1`), returns `sum_k (k + 1) * B_k`.
///
/// The buckets are cut into segments of `L` consecutive buckets; each segment keeps an affine
/// running sum `R_s` and a running sum of running sums `T_s`, advanced for all segments at once
/// with one shared inversion per step. For segment `s` of a window,
/// `T_s = sum_j j * B_{sL+j}` and `R_s = sum_j B_{sL+j}` (`j = 1..=L`), so the window sum is
/// `sum_s T_s + L * sum_s s * R_s`, the latter a short running sum over segments.
fn weighted_bucket_sums<P: SWCurveConfig>(
    bucket_sums: &[Affine<P>],
    count: usize,
    buckets_per_window: usize,
) -> Vec<Projective<P>> {
    let num_buckets = bucket_sums.len();
    // Power of two, so multiplying by it is a few doublings.
    let segment_len = (num_buckets / TARGET_SEGMENTS)
        .next_power_of_two()
        .clamp(1, buckets_per_window);
    let num_segments = num_buckets / segment_len;
    let segments_per_window = buckets_per_window / segment_len;

    // `sums` = [R_0.., T_0..]. Each step adds the previous R_s into T_s and the next bucket into
    // R_s in one batch (one inversion instead of two); T_s then lags one step behind, so the
    // final R_s is added once more at the end.
    let mut sums = vec![Affine::<P>::identity(); 2 * num_segments];
    let mut previous_running = Vec::with_capacity(num_segments);
    let mut prefix = Vec::with_capacity(2 * num_segments);
    for j in (0..segment_len).rev() {
        previous_running.clear();
        previous_running.extend_from_slice(&sums[..num_segments]);
        batch_add_assign(
            &mut sums,
            |i| match i.checked_sub(num_segments) {
                None => bucket_sums[i * segment_len + j],
                Some(s) => previous_running[s],
            },
            &mut prefix,
        );
    }
    let (running, running_of_running) = sums.split_at_mut(num_segments);
    batch_add_assign(running_of_running, |s| running[s], &mut prefix);

    (0..count)
        .map(|w| {
            let segments = w * segments_per_window..(w + 1) * segments_per_window;
            // sum_s s * R_s by a running sum over the segments, highest first.
            let mut chain = Bucket::<P>::ZERO;
            let mut weighted = Bucket::<P>::ZERO;
            for g in segments.clone().skip(1).rev() {
                chain += &running[g];
                weighted += &chain;
            }
            let mut total = Projective::from(weighted);
            for _ in 0..segment_len.trailing_zeros() {
                total.double_in_place();
            }
            for g in segments {
                total += &running_of_running[g];
            }
            total
        })
        .collect()
}

/// `targets[i] += addend(i)` for every `i`, in affine coordinates with one shared inversion.
/// `prefix` is scratch space, reused across calls to avoid reallocating.
fn batch_add_assign<P: SWCurveConfig>(
    targets: &mut [Affine<P>],
    addend: impl Fn(usize) -> Affine<P>,
    prefix: &mut Vec<P::BaseField>,
) {
    prefix.clear();
    let mut product = P::BaseField::ONE;
    for (i, target) in targets.iter().enumerate() {
        prefix.push(product);
        product *= denominator(target, &addend(i));
    }
    let mut inverse = product
        .inverse()
        .expect("product of nonzero denominators is invertible");
    for (i, target) in targets.iter_mut().enumerate().rev() {
        let q = addend(i);
        let den = denominator(target, &q);
        let den_inverse = inverse * prefix[i];
        inverse *= den;
        *target = add_with_inverse(target, &q, &den_inverse);
    }
}

/// The field element `add_with_inverse` needs the inverse of: `x_q - x_p` for a general
/// addition, `2 y` for a doubling, and one when no inversion is needed (an infinity input or a
/// result at infinity).
#[inline(always)]
fn denominator<P: SWCurveConfig>(p: &Affine<P>, q: &Affine<P>) -> P::BaseField {
    if p.is_zero() || q.is_zero() {
        P::BaseField::ONE
    } else if p.x != q.x {
        q.x - p.x
    } else if p.y == q.y && !p.y.is_zero() {
        p.y.double()
    } else {
        P::BaseField::ONE
    }
}

/// `p + q` in affine coordinates, given `inverse = 1 / denominator(p, q)`.
#[inline(always)]
fn add_with_inverse<P: SWCurveConfig>(
    p: &Affine<P>,
    q: &Affine<P>,
    inverse: &P::BaseField,
) -> Affine<P> {
    if p.is_zero() {
        return *q;
    }
    if q.is_zero() {
        return *p;
    }
    let lambda = if p.x != q.x {
        (q.y - p.y) * inverse
    } else if p.y == q.y && !p.y.is_zero() {
        tangent_numerator(p) * inverse
    } else {
        // q = -p (including a doubling of a point with y = 0).
        return Affine::identity();
    };
    let x = lambda.square() - p.x - q.x;
    let y = lambda * (p.x - x) - p.y;
    Affine::new_unchecked(x, y)
}

/// `3x^2 + a`, the numerator of the tangent slope `(3x^2 + a) / 2y` at `p` (for doublings).
fn tangent_numerator<P: SWCurveConfig>(p: &Affine<P>) -> P::BaseField {
    let x_squared = p.x.square();
    let numerator = x_squared.double() + x_squared;
    if P::COEFF_A.is_zero() {
        numerator
    } else {
        numerator + P::COEFF_A
    }
}

#[cfg(test)]
#[path = "msm_tests.rs"]
mod tests;
