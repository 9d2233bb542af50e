//! Conformance of `msm_g1` and `msm_g2`.

use std::fmt::Debug;
use std::sync::Arc;

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, Field, One, PrimeField, Zero};

use super::{Config, Report, edge_sizes};
use crate::{AccelError, Backend, MsmBases, Op, ResidentBases, Result, inputs, reference};

/// What differs between the G1 and G2 checks.
trait Group {
    type Affine: AffineRepr<ScalarField = Fr, Group = Self::Projective> + Debug;
    type Projective: CurveGroup<Affine = Self::Affine> + Debug;
    const OP: Op;
    fn msm(
        b: &dyn Backend,
        bases: MsmBases<'_, Self::Affine>,
        s: &[Fr],
    ) -> Result<Self::Projective>;
    fn reference(bases: &[Self::Affine], s: &[Fr]) -> Result<Self::Projective>;
    fn resident(b: &dyn Backend, bases: Arc<[Self::Affine]>)
    -> Result<ResidentBases<Self::Affine>>;
    fn points(n: usize, seed: u64) -> Vec<Self::Affine>;
    fn off_curve() -> Self::Affine;
    /// On-curve points outside the prime-order subgroup, where the group has any.
    fn outside_subgroup() -> Vec<Self::Affine>;
}

struct G1;
struct G2;

impl Group for G1 {
    type Affine = G1Affine;
    type Projective = G1Projective;
    const OP: Op = Op::MsmG1;
    fn msm(b: &dyn Backend, bases: MsmBases<'_, G1Affine>, s: &[Fr]) -> Result<G1Projective> {
        b.msm_g1(bases, s)
    }
    fn reference(bases: &[G1Affine], s: &[Fr]) -> Result<G1Projective> {
        reference::msm_g1(bases, s)
    }
    fn resident(b: &dyn Backend, bases: Arc<[G1Affine]>) -> Result<ResidentBases<G1Affine>> {
        b.make_resident_g1(bases)
    }
    fn points(n: usize, seed: u64) -> Vec<G1Affine> {
        inputs::g1_points(n, seed)
    }
    fn off_curve() -> G1Affine {
        G1Affine::new_unchecked(Fq::one(), Fq::one())
    }
    fn outside_subgroup() -> Vec<G1Affine> {
        Vec::new() // BN254 G1 has cofactor 1.
    }
}

impl Group for G2 {
    type Affine = G2Affine;
    type Projective = G2Projective;
    const OP: Op = Op::MsmG2;
    fn msm(b: &dyn Backend, bases: MsmBases<'_, G2Affine>, s: &[Fr]) -> Result<G2Projective> {
        b.msm_g2(bases, s)
    }
    fn reference(bases: &[G2Affine], s: &[Fr]) -> Result<G2Projective> {
        reference::msm_g2(bases, s)
    }
    fn resident(b: &dyn Backend, bases: Arc<[G2Affine]>) -> Result<ResidentBases<G2Affine>> {
        b.make_resident_g2(bases)
    }
    fn points(n: usize, seed: u64) -> Vec<G2Affine> {
        inputs::g2_points(n, seed)
    }
    fn off_curve() -> G2Affine {
        G2Affine::new_unchecked(Fq2::one(), Fq2::one())
    }
    fn outside_subgroup() -> Vec<G2Affine> {
        (1u64..)
            .filter_map(|x| {
                G2Affine::get_point_from_x_unchecked(Fq2::new(Fq::from(x), Fq::one()), x % 2 == 0)
            })
            .filter(|p| !p.is_in_correct_subgroup_assuming_on_curve())
            .take(5)
            .collect()
    }
}

pub(super) fn check_g1(backend: &dyn Backend, config: &Config, report: &mut Report) {
    check::<G1>(backend, config.large_msm_g1, config.seed, report);
}

pub(super) fn check_g2(backend: &dyn Backend, config: &Config, report: &mut Report) {
    check::<G2>(backend, config.large_msm_g2, config.seed, report);
}

fn check<G: Group>(backend: &dyn Backend, large: usize, seed: u64, report: &mut Report) {
    for n in edge_sizes(large) {
        let bases = G::points(n, seed + n as u64);
        let scalars = inputs::scalars(n, seed + 7 * n as u64);
        compare::<G>(
            backend,
            &format!("{n} random points"),
            &bases,
            &scalars,
            report,
        );
    }

    let bases = G::points(40, seed);
    let minus_one = -Fr::one();
    let cases: Vec<(&str, Vec<Fr>)> = vec![
        ("zero scalars", vec![Fr::zero(); 40]),
        ("scalars r - 1", vec![minus_one; 40]),
        ("scalars 0..40", (0..40u64).map(Fr::from).collect()),
        (
            "scalars 2^k",
            (0..40).map(|k| Fr::from(2u64).pow([k * 6])).collect(),
        ),
        (
            "scalars with every bit set below r",
            (0..40).map(|_| all_ones_below_r()).collect(),
        ),
        (
            "scalars (r - 1) / 2 and its neighbours",
            (0..40)
                .map(|i| half_order() + Fr::from(i as u64 % 3))
                .collect(),
        ),
    ];
    for (name, scalars) in cases {
        compare::<G>(backend, name, &bases, &scalars, report);
    }

    let scalars = inputs::scalars(40, seed + 1);
    let repeated = vec![bases[0]; 40];
    compare::<G>(backend, "one base repeated", &repeated, &scalars, report);
    let negated: Vec<G::Affine> = bases
        .iter()
        .take(20)
        .flat_map(|&p| [p, (-p.into_group()).into_affine()])
        .collect();
    compare::<G>(
        backend,
        "bases and their negations, same scalars",
        &negated,
        &pair_scalars(&scalars),
        report,
    );
    let doubled: Vec<G::Affine> = bases.iter().take(20).flat_map(|&p| [p, p]).collect();
    compare::<G>(
        backend,
        "each (base, scalar) twice",
        &doubled,
        &pair_scalars(&scalars),
        report,
    );
    let with_zero: Vec<G::Affine> = bases
        .iter()
        .enumerate()
        .map(|(i, &p)| if i % 3 == 0 { G::Affine::zero() } else { p })
        .collect();
    compare::<G>(
        backend,
        "points at infinity among the bases",
        &with_zero,
        &scalars,
        report,
    );
    compare::<G>(
        backend,
        "only points at infinity",
        &[G::Affine::zero(); 9],
        &scalars[..9],
        report,
    );

    let outside = G::outside_subgroup();
    if !outside.is_empty() {
        let mut mixed = bases[..10].to_vec();
        mixed.extend(&outside);
        let s = inputs::scalars(mixed.len(), seed + 2);
        compare::<G>(
            backend,
            "on-curve points outside the prime-order subgroup",
            &mixed,
            &s,
            report,
        );
        // Scalars just below r: arkworks computes −(r − s)·P when r − s fits in 64 bits, which
        // differs from s·P outside the subgroup; the contract follows the reference.
        let near_r: Vec<Fr> = (0..outside.len() as u64)
            .map(|i| -Fr::from(1 + i * 0x1_0000_0001))
            .chain([
                Fr::from(u64::MAX),
                -Fr::from(u64::MAX),
                Fr::from(2u64).pow([64]),
                -Fr::from(2u64).pow([64]),
            ])
            .collect();
        let points: Vec<G::Affine> = outside.iter().cycle().take(near_r.len()).copied().collect();
        compare::<G>(
            backend,
            "points outside the subgroup with scalars near r and 2^64",
            &points,
            &near_r,
            report,
        );
    }

    // Resident bases: validated once, reused with different scalars.
    let resident_bases: Arc<[G::Affine]> = G::points(300, seed + 3).into();
    match G::resident(backend, resident_bases.clone()) {
        Ok(resident) => {
            for round in 0..2 {
                let s = inputs::scalars(300, seed + 10 + round);
                let want = G::reference(&resident_bases, &s);
                let got = G::msm(backend, MsmBases::Resident(&resident), &s);
                report.compare(
                    G::OP,
                    format!("resident bases, round {round}"),
                    &affine::<G>(got),
                    &affine::<G>(want),
                );
            }
        }
        Err(e) => report.check(G::OP, "making resident bases", false, || {
            format!("error {e}")
        }),
    }

    // Bad input: the same typed error as the reference.
    let scalars = inputs::scalars(10, seed);
    compare::<G>(
        backend,
        "more bases than scalars",
        &bases[..11],
        &scalars,
        report,
    );
    compare::<G>(
        backend,
        "fewer bases than scalars",
        &bases[..9],
        &scalars,
        report,
    );
    let mut bad = bases[..10].to_vec();
    bad[7] = G::off_curve();
    compare::<G>(backend, "a base off the curve", &bad, &scalars, report);
    let resident = G::resident(backend, bad.into()).map(drop);
    let want: Result<()> = Err(AccelError::PointNotOnCurve {
        group: group_name(G::OP),
        index: 7,
    });
    report.compare(
        G::OP,
        "resident bases with a point off the curve",
        &resident,
        &want,
    );
}

fn compare<G: Group>(
    backend: &dyn Backend,
    case: &str,
    bases: &[G::Affine],
    scalars: &[Fr],
    report: &mut Report,
) {
    let want = G::reference(bases, scalars);
    let got = G::msm(backend, MsmBases::Host(bases), scalars);
    report.compare(G::OP, case, &affine::<G>(got), &affine::<G>(want));
}

/// Results compared as affine points, so that different projective representations of one point
/// are equal.
fn affine<G: Group>(r: Result<G::Projective>) -> Result<G::Affine> {
    r.map(|p| p.into_affine())
}

fn pair_scalars(scalars: &[Fr]) -> Vec<Fr> {
    scalars.iter().take(20).flat_map(|&s| [s, s]).collect()
}

fn all_ones_below_r() -> Fr {
    let bits = Fr::MODULUS.num_bits() - 1;
    (0..bits).fold(Fr::zero(), |acc, _| acc + acc + Fr::one())
}

fn half_order() -> Fr {
    Fr::from_bigint(Fr::MODULUS_MINUS_ONE_DIV_TWO).expect("below the modulus")
}

fn group_name(op: Op) -> &'static str {
    if op == Op::MsmG1 { "G1" } else { "G2" }
}
