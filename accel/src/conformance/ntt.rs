//! Conformance of `ntt`.

use ark_bn254::Fr;
use ark_ff::{One, Zero};

use super::{Config, Report};
use crate::{Backend, NttDirection, Op, Result, inputs, reference};

pub(super) fn check(backend: &dyn Backend, config: &Config, report: &mut Report) {
    let offset = Fr::from(7u64);
    for log in 0..=config.large_ntt_log {
        let n = 1usize << log;
        let values = inputs::scalars(n, config.seed + n as u64);
        for direction in [NttDirection::Forward, NttDirection::Inverse] {
            for coset in [None, Some(offset)] {
                let case = format!("2^{log} random, {direction:?}, coset {}", coset.is_some());
                compare(backend, &case, &values, direction, coset, report);
            }
        }
        // Forward then inverse gives the input back.
        let mut round_trip = values.clone();
        let ok = backend
            .ntt(&mut round_trip, NttDirection::Forward, Some(offset))
            .is_ok()
            && backend
                .ntt(&mut round_trip, NttDirection::Inverse, Some(offset))
                .is_ok()
            && round_trip == values;
        report.check(Op::Ntt, format!("2^{log} coset round trip"), ok, || {
            "input not recovered".to_owned()
        });
    }

    let n = 64;
    let mut delta = vec![Fr::zero(); n];
    delta[1] = Fr::one();
    let special: Vec<(&str, Vec<Fr>)> = vec![
        ("zeros", vec![Fr::zero(); n]),
        ("ones", vec![Fr::one(); n]),
        ("p - 1 everywhere", vec![-Fr::one(); n]),
        ("a delta", delta),
    ];
    for (name, values) in special {
        for direction in [NttDirection::Forward, NttDirection::Inverse] {
            compare(
                backend,
                &format!("{name}, {direction:?}"),
                &values,
                direction,
                None,
                report,
            );
        }
    }
    let random_offset = inputs::scalars(1, config.seed)[0];
    let values = inputs::scalars(1024, config.seed + 5);
    compare(
        backend,
        "random coset offset",
        &values,
        NttDirection::Forward,
        Some(random_offset),
        report,
    );
    compare(
        backend,
        "coset offset p - 1",
        &values,
        NttDirection::Inverse,
        Some(-Fr::one()),
        report,
    );

    // Sizes the NTT cannot take, and a zero offset: the reference's typed error.
    for n in [0usize, 3, 5, 6, 12, 1000, 1025] {
        compare(
            backend,
            &format!("{n} elements"),
            &vec![Fr::one(); n],
            NttDirection::Forward,
            None,
            report,
        );
    }
    compare(
        backend,
        "zero coset offset",
        &[Fr::one(); 8],
        NttDirection::Forward,
        Some(Fr::zero()),
        report,
    );
}

fn compare(
    backend: &dyn Backend,
    case: &str,
    values: &[Fr],
    direction: NttDirection,
    coset: Option<Fr>,
    report: &mut Report,
) {
    let run = |f: &dyn Fn(&mut [Fr]) -> Result<()>| -> Result<Vec<Fr>> {
        let mut v = values.to_vec();
        f(&mut v).map(|()| v)
    };
    let want = run(&|v| reference::ntt(v, direction, coset));
    let got = run(&|v| backend.ntt(v, direction, coset));
    report.compare(Op::Ntt, case, &got, &want);
}
