//! Multi-scalar multiplication for short Weierstrass curves (BN254 G1/G2).
//!
//! Pippenger's bucket method with:
//! - signed-digit windows: digits in `[-2^(c-1), 2^(c-1)]`, so a window needs only `2^(c-1)`
//!   buckets and a negative digit adds the negated base (negation is free in affine form);
//! - batched affine bucket accumulation: the points of every bucket are sorted next to each other
//!   and summed pairwise in rounds; all pair additions of a round share one field inversion
//!   (Montgomery's trick), so one affine addition costs about 6 field multiplications instead of
//!   the ~10 of a mixed addition into an extended-Jacobian bucket;
//! - several windows are processed as one "group" when `n` is small, so that the inversion is
//!   shared across windows too;
//! - bucket reduction by running sums, themselves batched in affine form across segments of
//!   buckets (see `weighted_bucket_sums`), windows combined by doubling;
//! - scalars recoded exactly as arkworks' `msm_signed` does (see `recode_like_arkworks`).
//!
//! Only the plain group law is used (no GLV endomorphism), so bases outside the prime-order
//! subgroup (e.g. points on the G2 twist) give the same result as arkworks' generic MSM.

use ark_ec::AffineRepr;
use ark_ec::short_weierstrass::{Affine, Bucket, Projective, SWCurveConfig};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;

/// Entries are stored as `u32` point indices with the sign in the top bit, so one call handles at
/// most this many points; larger inputs are split into chunks of this size.
const MAX_POINTS_PER_CALL: usize = 1 << 30;

/// Marks an entry whose base is added negated (negative digit).
const NEGATE_FLAG: u32 = 1 << 31;

/// Upper bound on the (point, window) entries of one group of windows: small inputs share sorts
/// and inversions across windows, large ones get one window per group (parallel across groups).
const MAX_GROUP_ENTRIES: usize = 1 << 16;

/// Points gathered and reduced at a time: 2^12 G1 points are 256 KiB, about a core's L2.
const BLOCK_POINTS: usize = 1 << 12;

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

    let c = window_bits(n);
    // `c * num_windows > max_bits` keeps the top digit within `2^(c-1)` including the last
    // carry, so no extra carry window is ever needed beyond this one.
    let num_windows = max_bits / c + 1;

    // Scalar-major digits: row `i` holds the signed digits of scalar `i`, lowest window first.
    let mut digits = vec![0i32; n * num_windows];
    digits
        .par_chunks_mut(num_windows)
        .zip(recoded.par_iter())
        .for_each(|(row, (magnitude, negate))| {
            signed_digits(magnitude.as_ref(), c, row);
            if *negate {
                row.iter_mut().for_each(|d| *d = -*d);
            }
        });
    drop(recoded);

    let windows_per_group = windows_per_group(n, num_windows);
    let group_starts: Vec<usize> = (0..num_windows).step_by(windows_per_group).collect();
    let window_sums: Vec<Projective<P>> = if group_starts.len() == 1 {
        // One group: stay on this thread, rayon's dispatch would only add latency.
        window_group_sums(bases, &digits, num_windows, 0, num_windows, c)
    } else {
        group_starts
            .par_iter()
            .flat_map_iter(|&first| {
                let count = windows_per_group.min(num_windows - first);
                window_group_sums(bases, &digits, num_windows, first, count, c)
            })
            .collect()
    };

    // Horner: sum_j 2^(c*j) * W_j, from the top window down.
    let mut total = Projective::zero();
    for sum in window_sums.iter().rev() {
        for _ in 0..c {
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

/// How many windows share one group (one sort, one inversion per round). Large inputs use one
/// window per group so the groups spread over the threads; small inputs put several windows into
/// a group to amortise the inversions, but keep at least two groups when there is enough work
/// for two threads.
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

/// Writes the signed base-`2^c` digits of the little-endian `limbs` into `out`, lowest first.
/// Each digit is in `[-2^(c-1), 2^(c-1)]`; a digit above `2^(c-1)` borrows `2^c` from the next
/// window by a carry.
fn signed_digits(limbs: &[u64], c: usize, out: &mut [i32]) {
    let radix = 1i64 << c;
    let half = radix >> 1;
    let mut carry = 0i64;
    for (window, digit) in out.iter_mut().enumerate() {
        let raw = bits_at(limbs, window * c, c) as i64 + carry;
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

/// Sums of the windows `first..first + count`, each as `sum_k k * (bucket k)`.
/// Bases at infinity and zero digits are skipped when sorting.
fn window_group_sums<P: SWCurveConfig>(
    bases: &[Affine<P>],
    digits: &[i32],
    num_windows: usize,
    first: usize,
    count: usize,
    c: usize,
) -> Vec<Projective<P>> {
    let buckets_per_window = 1usize << (c - 1);
    let num_buckets = buckets_per_window * count;
    let group_digits = |i: usize| {
        let row = i * num_windows + first;
        &digits[row..row + count]
    };

    // Counting sort of (point, window) entries by bucket; bucket key = window * B + |digit| - 1.
    let mut offsets = vec![0u32; num_buckets + 1];
    for (i, base) in bases.iter().enumerate() {
        if base.is_zero() {
            continue;
        }
        for (w, &d) in group_digits(i).iter().enumerate() {
            if d != 0 {
                offsets[w * buckets_per_window + d.unsigned_abs() as usize] += 1;
            }
        }
    }
    // Shifted by one above, so this prefix sum leaves offsets[b] = start of bucket b.
    for b in 0..num_buckets {
        offsets[b + 1] += offsets[b];
    }
    let num_entries = offsets[num_buckets] as usize;
    let mut entries = vec![0u32; num_entries];
    let mut cursor = offsets.clone();
    for (i, base) in bases.iter().enumerate() {
        if base.is_zero() {
            continue;
        }
        for (w, &d) in group_digits(i).iter().enumerate() {
            if d != 0 {
                let key = w * buckets_per_window + d.unsigned_abs() as usize - 1;
                let sign = if d < 0 { NEGATE_FLAG } else { 0 };
                entries[cursor[key] as usize] = i as u32 | sign;
                cursor[key] += 1;
            }
        }
    }
    drop(cursor);

    // Sum each bucket in blocks of consecutive buckets small enough to stay in cache during the
    // pairwise rounds: gather the block's signed points in bucket order, then reduce them.
    let mut bucket_sums = vec![Affine::<P>::identity(); num_buckets];
    let mut block_points: Vec<Affine<P>> = Vec::with_capacity(BLOCK_POINTS);
    let mut prefix = Vec::new();
    let mut first_bucket = 0;
    while first_bucket < num_buckets {
        let block_start = offsets[first_bucket];
        let mut end_bucket = first_bucket + 1;
        while end_bucket < num_buckets
            && (offsets[end_bucket + 1] - block_start) as usize <= BLOCK_POINTS
        {
            end_bucket += 1;
        }
        let block_entries = &entries[block_start as usize..offsets[end_bucket] as usize];
        block_points.clear();
        block_points.extend(block_entries.iter().map(|&e| {
            let p = bases[(e & !NEGATE_FLAG) as usize];
            if e & NEGATE_FLAG != 0 { -p } else { p }
        }));
        sum_buckets(
            &mut block_points,
            &offsets[first_bucket..=end_bucket],
            &mut bucket_sums[first_bucket..end_bucket],
            &mut prefix,
        );
        first_bucket = end_bucket;
    }
    drop(entries);
    weighted_bucket_sums(&bucket_sums, count, buckets_per_window)
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

    let mut running = vec![Affine::<P>::identity(); num_segments];
    let mut running_of_running = vec![Affine::<P>::identity(); num_segments];
    let mut prefix = Vec::with_capacity(num_segments);
    for j in (0..segment_len).rev() {
        batch_add_assign(
            &mut running,
            |s| bucket_sums[s * segment_len + j],
            &mut prefix,
        );
        batch_add_assign(&mut running_of_running, |s| running[s], &mut prefix);
    }

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

/// Adds up each bucket's points: bucket `b` holds `points[offsets[b] - offsets[0]..]` up to the
/// next offset, and its sum goes to `sums[b]` (left untouched for an empty bucket).
///
/// Round `r` pairs the elements `2k` and `2k+1` (at stride `2^r`) of every bucket and writes the
/// sum over element `2k`, so the survivors of the next round are exactly the elements at stride
/// `2^(r+1)`; an odd last element stays where it is. All pairs of a round share one inversion.
/// `prefix` is scratch space reused across calls.
fn sum_buckets<P: SWCurveConfig>(
    points: &mut [Affine<P>],
    offsets: &[u32],
    sums: &mut [Affine<P>],
    prefix: &mut Vec<P::BaseField>,
) {
    let base = offsets[0];
    let starts: Vec<usize> = offsets.iter().map(|&o| (o - base) as usize).collect();
    let mut lens: Vec<u32> = offsets.windows(2).map(|w| w[1] - w[0]).collect();
    let mut active: Vec<u32> = (0..lens.len() as u32)
        .filter(|&b| lens[b as usize] >= 2)
        .collect();
    let mut stride = 1usize;
    // dens[i] = denominator of pair i of this round, kept to avoid recomputing it.
    let mut dens: Vec<P::BaseField> = Vec::new();
    while !active.is_empty() {
        prefix.clear();
        dens.clear();
        let mut product = P::BaseField::ONE;
        for &b in &active {
            let start = starts[b as usize];
            for k in 0..(lens[b as usize] / 2) as usize {
                let p = &points[start + 2 * k * stride];
                let q = &points[start + (2 * k + 1) * stride];
                let den = denominator(p, q);
                prefix.push(product);
                dens.push(den);
                product *= den;
            }
        }
        // Every denominator is a nonzero field element (a difference of distinct x's, 2y with
        // y != 0, or one), so the product is invertible.
        let mut inverse = product
            .inverse()
            .expect("product of nonzero denominators is invertible");
        let mut pair = prefix.len();
        for &b in active.iter().rev() {
            let start = starts[b as usize];
            for k in (0..(lens[b as usize] / 2) as usize).rev() {
                pair -= 1;
                let (lo, hi) = (start + 2 * k * stride, start + (2 * k + 1) * stride);
                // inverse currently holds 1 / (den_0 * ... * den_pair).
                let den_inverse = inverse * prefix[pair];
                inverse *= dens[pair];
                points[lo] = add_with_inverse(&points[lo], &points[hi], &den_inverse);
            }
        }
        for &b in &active {
            lens[b as usize] = lens[b as usize].div_ceil(2);
        }
        active.retain(|&b| lens[b as usize] >= 2);
        stride *= 2;
    }
    for (b, sum) in sums.iter_mut().enumerate() {
        if lens[b] != 0 {
            *sum = points[starts[b]];
        }
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
        // Tangent slope (3x^2 + a) / 2y.
        let x_squared = p.x.square();
        let mut numerator = x_squared.double() + x_squared;
        if !P::COEFF_A.is_zero() {
            numerator += P::COEFF_A;
        }
        numerator * inverse
    } else {
        // q = -p (including a doubling of a point with y = 0).
        return Affine::identity();
    };
    let x = lambda.square() - p.x - q.x;
    let y = lambda * (p.x - x) - p.y;
    Affine::new_unchecked(x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, g1, g2};
    use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
    use ark_ff::UniformRand;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn check<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField]) {
        let expected = <Projective<P> as VariableBaseMSM>::msm(bases, scalars).unwrap();
        assert_eq!(msm(bases, scalars), expected, "n = {}", bases.len());
    }

    /// G1 points (all in the subgroup, cofactor 1).
    fn g1_points(rng: &mut StdRng, n: usize) -> Vec<Affine<g1::Config>> {
        (0..n).map(|_| Affine::rand(rng)).collect()
    }

    /// Points on the G2 twist curve that are (almost surely) not in the prime-order subgroup.
    fn g2_twist_points(rng: &mut StdRng, n: usize) -> Vec<Affine<g2::Config>> {
        let mut points = Vec::with_capacity(n);
        while points.len() < n {
            let x = ark_bn254::Fq2::rand(rng);
            if let Some(p) = Affine::<g2::Config>::get_point_from_x_unchecked(x, rng.r#gen()) {
                assert!(p.is_on_curve());
                points.push(p);
            }
        }
        points
    }

    /// A mix of edge-case bases and scalars for a given size.
    fn edge_case_inputs<P: SWCurveConfig<ScalarField = Fr>>(
        rng: &mut StdRng,
        random: &[Affine<P>],
    ) -> Vec<(Vec<Affine<P>>, Vec<Fr>)> {
        let n = random.len();
        let rand_scalars = |rng: &mut StdRng| (0..n).map(|_| Fr::rand(rng)).collect::<Vec<_>>();
        let minus_one = -Fr::from(1u64);
        let mut cases = vec![
            (random.to_vec(), rand_scalars(rng)),
            (random.to_vec(), vec![Fr::zero(); n]),
            (random.to_vec(), vec![minus_one; n]),
            (random.to_vec(), vec![Fr::from(1u64); n]),
            (random.to_vec(), vec![Fr::rand(rng); n]),
            (random.to_vec(), vec![Fr::from(1u64 << 40); n]),
        ];
        if n > 0 {
            // Duplicates: every base equal, random and equal scalars (forces doublings).
            let same = vec![random[0]; n];
            cases.push((same.clone(), rand_scalars(rng)));
            cases.push((same, vec![Fr::rand(rng); n]));
            // Bases paired with their negations and equal scalars (forces infinity sums).
            let mixed: Vec<_> = (0..n)
                .map(|i| {
                    if i % 2 == 0 {
                        random[i / 2]
                    } else {
                        -random[i / 2]
                    }
                })
                .collect();
            cases.push((mixed.clone(), vec![Fr::rand(rng); n]));
            cases.push((mixed, rand_scalars(rng)));
            // Infinity bases mixed in, plus scalar zero / one / r-1 sprinkled in.
            let with_inf: Vec<_> = random
                .iter()
                .enumerate()
                .map(|(i, p)| if i % 3 == 1 { Affine::identity() } else { *p })
                .collect();
            let sprinkled: Vec<_> = (0..n)
                .map(|i| match i % 4 {
                    0 => Fr::zero(),
                    1 => minus_one,
                    2 => Fr::from(1u64),
                    _ => Fr::rand(rng),
                })
                .collect();
            cases.push((with_inf.clone(), rand_scalars(rng)));
            cases.push((with_inf, sprinkled.clone()));
            cases.push((random.to_vec(), sprinkled));
            cases.push((vec![Affine::identity(); n], rand_scalars(rng)));
        }
        cases
    }

    #[test]
    fn g1_small_sizes_and_edge_cases() {
        let mut rng = StdRng::seed_from_u64(1);
        for n in 0..=40 {
            let random = g1_points(&mut rng, n);
            for (bases, scalars) in edge_case_inputs(&mut rng, &random) {
                check(&bases, &scalars);
            }
        }
    }

    #[test]
    fn g2_small_sizes_and_edge_cases_off_subgroup() {
        let mut rng = StdRng::seed_from_u64(2);
        for n in 0..=40 {
            let random = g2_twist_points(&mut rng, n);
            for (bases, scalars) in edge_case_inputs(&mut rng, &random) {
                check(&bases, &scalars);
            }
        }
    }

    #[test]
    fn g2_subgroup_points() {
        let mut rng = StdRng::seed_from_u64(3);
        for n in [1, 7, 64, 300] {
            let bases: Vec<_> = (0..n)
                .map(|_| Projective::<g2::Config>::rand(&mut rng).into_affine())
                .collect();
            let scalars: Vec<_> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            check(&bases, &scalars);
        }
    }

    #[test]
    fn g1_larger_random_sizes() {
        let mut rng = StdRng::seed_from_u64(4);
        for n in [100, 1000, 4097, 5000, 20_000] {
            let random = g1_points(&mut rng, n);
            for (bases, scalars) in edge_case_inputs(&mut rng, &random) {
                check(&bases, &scalars);
            }
        }
    }

    #[test]
    fn g2_larger_random_sizes() {
        let mut rng = StdRng::seed_from_u64(5);
        for n in [1000, 5000] {
            let random = g2_twist_points(&mut rng, n);
            let scalars: Vec<_> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            check(&random, &scalars);
            let sprinkled: Vec<_> = (0..n)
                .map(|i| {
                    if i % 5 == 0 {
                        Fr::zero()
                    } else {
                        Fr::rand(&mut rng)
                    }
                })
                .collect();
            check(&random, &sprinkled);
        }
    }

    #[test]
    fn g1_generator_multiples_hit_every_special_case() {
        // Small multiples of one generator make equal and opposite points meet in the same bucket
        // across rounds, including sums that become infinity mid-reduction.
        let g = Affine::<g1::Config>::generator();
        let mut rng = StdRng::seed_from_u64(6);
        for n in [2, 3, 9, 33, 257] {
            let bases: Vec<_> = (0..n)
                .map(|i| {
                    (g * Fr::from((i % 4) as u64 + 1)
                        * if i % 3 == 0 {
                            -Fr::from(1u64)
                        } else {
                            Fr::from(1u64)
                        })
                    .into_affine()
                })
                .collect();
            let scalars: Vec<_> = (0..n)
                .map(|i| Fr::from(rng.gen_range(0..3u64)) + Fr::from((i % 2) as u64))
                .collect();
            check(&bases, &scalars);
            check(&bases, &vec![Fr::rand(&mut rng); n]);
        }
    }

    #[test]
    fn signed_digits_reconstruct_scalar() {
        let mut rng = StdRng::seed_from_u64(7);
        for c in 2..=16 {
            for _ in 0..50 {
                let s = Fr::rand(&mut rng);
                let bigint = s.into_bigint();
                let windows = bigint.num_bits() as usize / c + 1;
                let mut digits = vec![0; windows];
                signed_digits(bigint.as_ref(), c, &mut digits);
                let half = 1i32 << (c - 1);
                assert!(digits.iter().all(|d| (-half..=half).contains(d)));
                let mut acc = Fr::zero();
                for &d in digits.iter().rev() {
                    acc *= Fr::from(1u64 << c);
                    acc += if d < 0 {
                        -Fr::from(d.unsigned_abs() as u64)
                    } else {
                        Fr::from(d as u64)
                    };
                }
                assert_eq!(acc, s);
            }
        }
    }
}
