//! The conformance kit: one entry point, [`check_backend`], that checks any [`Backend`] against the
//! [reference](crate::reference) on every operation the backend supports.
//!
//! For each operation it runs random inputs, edge sizes (0, 1, 2, odd sizes, powers of two and
//! their neighbours, a large size), adversarial inputs (for Ed25519 every case of the public
//! vectors: small-order points, non-canonical encodings, `S ≥ ℓ`; for MSMs infinity, negated
//! and repeated bases, extreme scalars, G2 points outside the prime-order subgroup), and bad inputs,
//! which must give the same typed error as the reference. Every backend's tests call it:
//!
//! ```no_run
//! use ramjet_accel::{CpuBackend, conformance};
//! let report = conformance::check_backend(&CpuBackend::new(), &conformance::Config::default());
//! report.assert_passed();
//! ```

mod ed25519;
mod merkle;
mod msm;
mod ntt;
pub mod vectors;

use std::fmt;

use crate::{Backend, Op};

/// Sizes and seed of a conformance run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seed for every random input.
    pub seed: u64,
    /// The "large" size of each operation: signatures.
    pub large_sigs: usize,
    /// Leaves of the large Merkle trees (SHA-256).
    pub large_merkle: usize,
    /// Leaves of the large Poseidon tree.
    pub large_poseidon: usize,
    /// Points of the large G1 MSM.
    pub large_msm_g1: usize,
    /// Points of the large G2 MSM.
    pub large_msm_g2: usize,
    /// log2 of the largest NTT.
    pub large_ntt_log: u32,
}

impl Default for Config {
    /// Sizes that exercise the multi-threaded and multi-window paths and still run in seconds.
    fn default() -> Self {
        Self {
            seed: 0x7a3f_2e11,
            large_sigs: 1500,
            large_merkle: (1 << 14) + 3,
            large_poseidon: 1025,
            large_msm_g1: (1 << 13) + 1,
            large_msm_g2: 513,
            large_ntt_log: 16,
        }
    }
}

/// One way in which a backend differed from the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The operation.
    pub op: Op,
    /// The case, e.g. "random batch of 17 with mutations".
    pub case: String,
    /// What differed.
    pub detail: String,
}

/// The outcome of [`check_backend`].
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The backend checked.
    pub backend: String,
    /// Cases compared.
    pub cases: usize,
    /// Cases where the backend differed.
    pub failures: Vec<Failure>,
    /// Operations not checked because the backend does not support them, with the reason.
    pub skipped: Vec<(Op, String)>,
}

impl Report {
    /// True if no case failed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Operations with at least one failure.
    pub fn failed_ops(&self) -> Vec<Op> {
        let mut ops: Vec<Op> = self.failures.iter().map(|f| f.op).collect();
        ops.sort();
        ops.dedup();
        ops
    }

    /// Panics with the list of failures if there is any; prints skipped operations.
    pub fn assert_passed(&self) {
        for (op, why) in &self.skipped {
            eprintln!("conformance: {}: {op} skipped: {why}", self.backend);
        }
        assert!(self.passed(), "{self}");
    }

    pub(crate) fn check(
        &mut self,
        op: Op,
        case: impl Into<String>,
        ok: bool,
        detail: impl FnOnce() -> String,
    ) {
        self.cases += 1;
        if !ok {
            self.failures.push(Failure {
                op,
                case: case.into(),
                detail: detail(),
            });
        }
    }

    pub(crate) fn compare<T: PartialEq + fmt::Debug>(
        &mut self,
        op: Op,
        case: impl Into<String>,
        got: &T,
        want: &T,
    ) {
        self.check(op, case, got == want, || {
            format!("got {}, want {}", short(got), short(want))
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "conformance of {}: {} cases, {} failures, {} operations skipped",
            self.backend,
            self.cases,
            self.failures.len(),
            self.skipped.len()
        )?;
        for failure in self.failures.iter().take(50) {
            writeln!(
                f,
                "  FAIL {} / {}: {}",
                failure.op, failure.case, failure.detail
            )?;
        }
        if self.failures.len() > 50 {
            writeln!(f, "  ... and {} more", self.failures.len() - 50)?;
        }
        Ok(())
    }
}

/// Debug output cut to a readable length.
fn short<T: fmt::Debug>(value: &T) -> String {
    let text = format!("{value:?}");
    if text.len() > 300 {
        format!("{}…", &text[..text.floor_char_boundary(300)])
    } else {
        text
    }
}

/// Checks every operation `backend` supports against the reference.
pub fn check_backend(backend: &dyn Backend, config: &Config) -> Report {
    let mut report = Report {
        backend: backend.info().id(),
        ..Report::default()
    };
    for op in Op::ALL {
        if !backend.supports(op) {
            report
                .skipped
                .push((op, "not supported by this backend".to_owned()));
            check_unsupported(backend, op, &mut report);
            continue;
        }
        match op {
            Op::Ed25519Verify => ed25519::check(backend, config, &mut report),
            Op::MerkleSha256 => merkle::check_sha256(backend, config, &mut report),
            Op::MerklePoseidon => merkle::check_poseidon(backend, config, &mut report),
            Op::MsmG1 => msm::check_g1(backend, config, &mut report),
            Op::MsmG2 => msm::check_g2(backend, config, &mut report),
            Op::Ntt => ntt::check(backend, config, &mut report),
        }
    }
    report
}

/// An unsupported operation must say so with [`crate::AccelError::Unsupported`], not panic or
/// answer.
fn check_unsupported(backend: &dyn Backend, op: Op, report: &mut Report) {
    use crate::{AccelError, MerkleLeaves, MsmBases, NttDirection};
    let one = [ark_bn254::Fr::from(1u64)];
    let outcome: Result<(), AccelError> = match op {
        Op::Ed25519Verify => backend.ed25519_verify(&crate::SigBatch::new()).map(drop),
        Op::MerkleSha256 => backend
            .merkle_sha256(MerkleLeaves::Digests(&[[0; 32]]))
            .map(drop),
        Op::MerklePoseidon => backend.merkle_poseidon(&one).map(drop),
        Op::MsmG1 => backend.msm_g1(MsmBases::Host(&[]), &[]).map(drop),
        Op::MsmG2 => backend.msm_g2(MsmBases::Host(&[]), &[]).map(drop),
        Op::Ntt => backend.ntt(&mut one.clone(), NttDirection::Forward, None),
    };
    report.check(
        op,
        "unsupported operation",
        matches!(outcome, Err(AccelError::Unsupported { .. })),
        || format!("expected Unsupported, got {outcome:?}"),
    );
}

/// Edge sizes up to `large`: 0, 1, 2, 3, powers of two and their neighbours up to 2^6, then
/// `large`.
pub(crate) fn edge_sizes(large: usize) -> Vec<usize> {
    let mut sizes = vec![0, 1, 2, 3, 5, 7];
    for k in 2..=6 {
        sizes.extend([(1 << k) - 1, 1 << k, (1 << k) + 1]);
    }
    sizes.push(large);
    sizes.sort();
    sizes.dedup();
    sizes
}

/// Environment variable naming a file where [`skip`] also records skipped tests (`scripts/test`
/// sets it and counts them as skipped, not passed).
pub const SKIP_LOG_ENV: &str = "RAMJET_SKIP_LOG";

/// Records that a test cannot run on this machine (no GPU adapter, no FPGA card): prints
/// `SKIPPED: <test>: <reason>` on stderr and, when [`SKIP_LOG_ENV`] names a file, appends the
/// same line to it. The test then returns without asserting anything about the device.
pub fn skip(test: &str, reason: &str) {
    use std::io::Write as _;
    let line = format!("SKIPPED: {test}: {reason}");
    eprintln!("{line}");
    if let Some(path) = std::env::var_os(SKIP_LOG_ENV) {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = appended {
            eprintln!(
                "could not record the skip in {}: {e}",
                path.to_string_lossy()
            );
        }
    }
}
