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
            signed_digits(bigint.as_ref(), &vec![c; windows], &mut digits);
            let half = 1i32 << (c - 1);
            assert!(digits.iter().all(|d| (-half..=half).contains(d)));
            assert_eq!(rebuild(&digits, &vec![c; windows]), s);
        }
    }
}

/// `Σ digits[i] · 2^(widths[0] + … + widths[i-1])`: the scalar the signed digits stand for.
fn rebuild(digits: &[i32], widths: &[usize]) -> Fr {
    let mut acc = Fr::zero();
    for (&d, &w) in digits.iter().zip(widths).rev() {
        acc *= Fr::from(1u64 << w);
        let magnitude = Fr::from(d.unsigned_abs() as u64);
        acc += if d < 0 { -magnitude } else { magnitude };
    }
    acc
}

#[test]
fn uneven_window_widths_reconstruct_scalar() {
    let mut rng = StdRng::seed_from_u64(8);
    for c in 3..=16 {
        for k in 0..50 {
            // Random scalars, r - 1, and short ones.
            let s = match k {
                0 => -Fr::from(1u64),
                1..=9 => Fr::from(rng.gen_range(1..1u64 << (5 * k))),
                _ => Fr::rand(&mut rng),
            };
            let bigint = s.into_bigint();
            let bits = bigint.num_bits() as usize;
            let widths = window_widths(bits, (bits + 1).div_ceil(c));
            let (narrowest, widest) = (widths.iter().min().unwrap(), widths.iter().max().unwrap());
            assert!(*widest <= c && widest - narrowest <= 1);
            let mut digits = vec![0; widths.len()];
            signed_digits(bigint.as_ref(), &widths, &mut digits);
            for (&d, &w) in digits.iter().zip(&widths) {
                assert!(d.unsigned_abs() <= 1 << (w - 1));
            }
            assert_eq!(rebuild(&digits, &widths), s);
        }
    }
}

#[test]
fn g1_large_input_one_window_per_group() {
    // From 2^16 points on, the window count comes from the cost model and each window is its
    // own group; equal scalars send every point to one bucket (the overflow path).
    let mut rng = StdRng::seed_from_u64(9);
    let n = 1 << 16;
    let random = g1_points(&mut rng, n);
    let scalars: Vec<_> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    check(&random, &scalars);
    check(&random, &vec![Fr::rand(&mut rng); n]);
    let with_inf: Vec<_> = random
        .iter()
        .enumerate()
        .map(|(i, p)| if i % 5 == 2 { Affine::identity() } else { *p })
        .collect();
    let sprinkled: Vec<_> = (0..n)
        .map(|i| match i % 3 {
            0 => -Fr::from(1u64),
            1 => Fr::from(1u64 << 40),
            _ => Fr::rand(&mut rng),
        })
        .collect();
    check(&with_inf, &sprinkled);
}

#[test]
fn window_count_balances_threads_for_large_inputs() {
    // 255 digit bits on two threads: 20 windows at 2^16 and an even count at 2^18.
    assert_eq!(num_windows::<g1::Config>(1 << 16, 254, 2), 20);
    assert_eq!(num_windows::<g1::Config>(1 << 18, 254, 2) % 2, 0);
    for log_n in 0..22 {
        for max_bits in [1, 64, 200, 254] {
            let w = num_windows::<g2::Config>(1 << log_n, max_bits, 2);
            assert!((1..=max_bits + 1).contains(&w));
        }
    }
}
