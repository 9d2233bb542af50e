//! Criterion benches of every operation: ramjet's CPU backend against the baselines of the
//! `ramjet-bench` runner, at modest sizes so that `cargo bench -p ramjet-bench` takes minutes.
//!
//! Inputs are generated once per group, outside the measured routines.

use std::hint::black_box;
use std::time::Duration;

use ark_bn254::{G1Projective, G2Projective};
use ark_ec::VariableBaseMSM;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use ed25519_consensus::{VerificationKeyBytes, batch};
use ramjet_accel::{Backend, CpuBackend, MerkleLeaves, MsmBases, NttDirection, inputs, reference};

const SEED: u64 = 0x7a3d_2e1f;
const RAMJET: &str = "ramjet cpu";

fn group<'a>(c: &'a mut Criterion, name: &str, items: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(items as u64));
    group
}

fn ed25519_verify(c: &mut Criterion) {
    let n = 256;
    let backend = CpuBackend::new();
    let sigs = inputs::sig_batch(n, SEED);
    let mut group = group(c, "ed25519_verify", n);
    group.bench_function(BenchmarkId::new(RAMJET, n), |b| {
        b.iter(|| backend.ed25519_verify(black_box(&sigs)).unwrap())
    });
    group.bench_function(BenchmarkId::new("ed25519-consensus batch", n), |b| {
        b.iter(|| {
            let mut verifier = batch::Verifier::new();
            for i in 0..sigs.len() {
                verifier.queue((
                    VerificationKeyBytes::from(*sigs.key(i)),
                    ed25519_consensus::Signature::from(*sigs.signature(i)),
                    sigs.message(i),
                ));
            }
            verifier.verify(rand::thread_rng()).is_ok()
        })
    });
    group.bench_function(
        BenchmarkId::new("ed25519-dalek verify_strict loop", n),
        |b| {
            b.iter(|| {
                (0..sigs.len())
                    .filter(|&i| {
                        let signature = ed25519_dalek::Signature::from_bytes(sigs.signature(i));
                        ed25519_dalek::VerifyingKey::from_bytes(sigs.key(i))
                            .is_ok_and(|key| key.verify_strict(sigs.message(i), &signature).is_ok())
                    })
                    .count()
            })
        },
    );
    group.finish();
}

fn merkle_sha256(c: &mut Criterion) {
    let n = 1 << 16;
    let backend = CpuBackend::new();
    let leaves = inputs::digests(n, SEED);
    let mut group = group(c, "merkle_sha256", n);
    group.bench_function(BenchmarkId::new(RAMJET, n), |b| {
        b.iter(|| {
            backend
                .merkle_sha256(MerkleLeaves::Digests(&leaves))
                .unwrap()
        })
    });
    group.bench_function(BenchmarkId::new("sha2 loop (1 thread)", n), |b| {
        b.iter(|| reference::merkle_sha256(MerkleLeaves::Digests(&leaves)))
    });
    group.finish();
}

fn merkle_poseidon(c: &mut Criterion) {
    let n = 1 << 10;
    let backend = CpuBackend::new();
    let leaves = inputs::scalars(n, SEED);
    let mut group = group(c, "merkle_poseidon", n);
    group.bench_function(BenchmarkId::new(RAMJET, n), |b| {
        b.iter(|| backend.merkle_poseidon(&leaves).unwrap())
    });
    group.bench_function(BenchmarkId::new("light-poseidon loop (1 thread)", n), |b| {
        b.iter(|| reference::merkle_poseidon(&leaves))
    });
    group.finish();
}

fn msm_g1(c: &mut Criterion) {
    let n = 1 << 14;
    let backend = CpuBackend::new();
    let (bases, scalars) = (inputs::g1_points(n, SEED), inputs::scalars(n, SEED + 1));
    let mut group = group(c, "msm_g1", n);
    group.bench_function(BenchmarkId::new(RAMJET, n), |b| {
        b.iter(|| backend.msm_g1(MsmBases::Host(&bases), &scalars).unwrap())
    });
    group.bench_function(BenchmarkId::new("arkworks msm", n), |b| {
        b.iter(|| G1Projective::msm(&bases, &scalars).unwrap())
    });
    group.finish();
}

fn msm_g2(c: &mut Criterion) {
    let n = 1 << 10;
    let backend = CpuBackend::new();
    let (bases, scalars) = (inputs::g2_points(n, SEED), inputs::scalars(n, SEED + 1));
    let mut group = group(c, "msm_g2", n);
    group.bench_function(BenchmarkId::new(RAMJET, n), |b| {
        b.iter(|| backend.msm_g2(MsmBases::Host(&bases), &scalars).unwrap())
    });
    group.bench_function(BenchmarkId::new("arkworks msm", n), |b| {
        b.iter(|| G2Projective::msm(&bases, &scalars).unwrap())
    });
    group.finish();
}

fn ntt(c: &mut Criterion) {
    let n = 1 << 16;
    let backend = CpuBackend::new();
    let values = inputs::scalars(n, SEED);
    let domain = Radix2EvaluationDomain::<ark_bn254::Fr>::new(n).expect("power of two");
    let mut group = group(c, "ntt", n);
    // Each iteration transforms a fresh copy of the same input; the copy is not measured.
    group.bench_function(BenchmarkId::new(RAMJET, n), |b| {
        b.iter_batched_ref(
            || values.clone(),
            |v| backend.ntt(v, NttDirection::Forward, None).unwrap(),
            BatchSize::LargeInput,
        )
    });
    group.bench_function(BenchmarkId::new("arkworks fft_in_place", n), |b| {
        b.iter_batched_ref(
            || values.clone(),
            |v| domain.fft_in_place(v),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion::criterion_group!(
    benches,
    ed25519_verify,
    merkle_sha256,
    merkle_poseidon,
    msm_g1,
    msm_g2,
    ntt
);
criterion::criterion_main!(benches);
