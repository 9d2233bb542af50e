//! Conformance of `ed25519_verify`.

use rand::{Rng, seq::SliceRandom};

use super::vectors::{self, SigCase};
use super::{Config, Report, edge_sizes};
use crate::{Backend, Op, SigBatch, Verdicts, inputs, reference};

/// The group order ℓ, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

pub(super) fn check(backend: &dyn Backend, config: &Config, report: &mut Report) {
    let mut rng = inputs::rng(config.seed);
    for n in edge_sizes(config.large_sigs) {
        let batch = inputs::sig_batch(n, config.seed + n as u64);
        compare(backend, &format!("valid batch of {n}"), &batch, report);
        if n > 0 {
            let mutated = mutate(&batch, 1.0 / 3.0, &mut rng);
            compare(
                backend,
                &format!("batch of {n} with random mutations"),
                &mutated,
                report,
            );
        }
    }
    let all_bad = mutate(&inputs::sig_batch(33, config.seed), 1.0, &mut rng);
    compare(backend, "batch of 33, every item mutated", &all_bad, report);

    let spec = vectors::speccheck();
    check_vectors(backend, "speccheck", &spec, true, &mut rng, report);
    let (wycheproof, _other_lengths) = vectors::wycheproof();
    check_vectors(backend, "wycheproof", &wycheproof, false, &mut rng, report);
}

/// Runs `cases` one by one, all together, and scattered through a batch of valid signatures.
/// With `exact`, the verdicts must equal the cases' own expectations (the ZIP-215 row of the
/// speccheck table); otherwise every case its source calls valid must be valid (ZIP-215 accepts a
/// superset of RFC 8032 strict), and every verdict must equal the reference.
fn check_vectors(
    backend: &dyn Backend,
    source: &str,
    cases: &[SigCase],
    exact: bool,
    rng: &mut impl Rng,
    report: &mut Report,
) {
    for case in cases {
        let batch = batch_of(std::slice::from_ref(case));
        if let Some(got) = compare(backend, &case.name, &batch, report) {
            let ok = if exact {
                got.0[0] == case.expected
            } else {
                got.0[0] || !case.expected
            };
            report.check(
                Op::Ed25519Verify,
                format!("{} vs its expected result", case.name),
                ok,
                || format!("verdict {} but the vector says {}", got.0[0], case.expected),
            );
        }
    }
    compare(
        backend,
        &format!("all {source} cases in one batch"),
        &batch_of(cases),
        report,
    );

    // Scatter the cases through valid signatures, so that a batch equation fails somewhere in the
    // middle of a large batch and the backend must find exactly the failing items.
    let valid = inputs::sig_batch(4 * cases.len().max(16), 99);
    let mut items: Vec<SigCase> = (0..valid.len())
        .map(|i| SigCase {
            name: String::new(),
            key: *valid.key(i),
            signature: *valid.signature(i),
            message: valid.message(i).to_vec(),
            expected: true,
        })
        .collect();
    items.extend(cases.iter().cloned());
    items.shuffle(rng);
    compare(
        backend,
        &format!("{source} cases scattered through valid signatures"),
        &batch_of(&items),
        report,
    );
}

fn batch_of(cases: &[SigCase]) -> SigBatch {
    let mut batch = SigBatch::new();
    for c in cases {
        batch.push(c.key, c.signature, &c.message);
    }
    batch
}

/// Compares the backend's verdicts with the reference's; returns the backend's if it answered.
fn compare(
    backend: &dyn Backend,
    case: &str,
    batch: &SigBatch,
    report: &mut Report,
) -> Option<Verdicts> {
    let want = reference::ed25519_verify(batch);
    match backend.ed25519_verify(batch) {
        Ok(got) => {
            report.check(Op::Ed25519Verify, case, got == want, || {
                let differing: Vec<usize> = (0..want.len().min(got.len()))
                    .filter(|&i| got.0[i] != want.0[i])
                    .take(10)
                    .collect();
                format!(
                    "{} verdicts for {} items; items differing from the reference: {differing:?}",
                    got.len(),
                    want.len()
                )
            });
            Some(got)
        }
        Err(e) => {
            report.check(Op::Ed25519Verify, case, false, || format!("error {e}"));
            None
        }
    }
}

/// A copy of `batch` where each item is broken, in one of several ways, with probability `share`.
fn mutate(batch: &SigBatch, share: f64, rng: &mut impl Rng) -> SigBatch {
    let mut out = SigBatch::new();
    for i in 0..batch.len() {
        let (mut key, mut sig, mut msg) = (
            *batch.key(i),
            *batch.signature(i),
            batch.message(i).to_vec(),
        );
        if rng.gen_bool(share) {
            break_item(&mut key, &mut sig, &mut msg, batch, rng);
        }
        out.push(key, sig, &msg);
    }
    out
}

fn break_item(
    key: &mut [u8; 32],
    sig: &mut [u8; 64],
    msg: &mut Vec<u8>,
    batch: &SigBatch,
    rng: &mut impl Rng,
) {
    match rng.gen_range(0..7) {
        // A flipped bit of R, S, the message or the key.
        0 => sig[rng.gen_range(0..32)] ^= 1 << rng.gen_range(0..8),
        1 => sig[32 + rng.gen_range(0..31)] ^= 1 << rng.gen_range(0..8),
        2 => {
            if msg.is_empty() {
                msg.push(0);
            } else {
                let j = rng.gen_range(0..msg.len());
                msg[j] ^= 1 << rng.gen_range(0..8);
            }
        }
        3 => key[rng.gen_range(0..32)] ^= 1 << rng.gen_range(0..8),
        // Another item's key.
        4 => *key = *batch.key(rng.gen_range(0..batch.len())),
        // S + ℓ: the same scalar, non-canonically encoded (must be rejected).
        5 => {
            let mut carry = 0u16;
            for (s, l) in sig[32..].iter_mut().zip(ELL) {
                let sum = u16::from(*s) + u16::from(l) + carry;
                *s = sum as u8;
                carry = sum >> 8;
            }
        }
        // R replaced by the identity (a small-order point).
        _ => {
            sig[..32].fill(0);
            sig[0] = 1;
        }
    }
}
