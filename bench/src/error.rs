//! The crate's one error type.

use std::path::PathBuf;

/// Result alias for the bench crate.
pub type Result<T, E = BenchError> = std::result::Result<T, E>;

/// What can stop a benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// ramjet's backend refused or failed an operation.
    #[error("ramjet: {0}")]
    Accel(#[from] ramjet_accel::AccelError),
    /// ramjet's prover failed (key preparation, synthesis, an unsatisfied circuit...).
    #[error("ramjet prover: {0}")]
    Prover(#[from] ramjet_prover::ProverError),
    /// A proof of a Groth16 case did not verify: the case is wrong, so the run stops.
    #[error("{case}: the proof of {implementation} does not verify")]
    ProofRejected {
        /// The prover case.
        case: String,
        /// The prover whose proof was rejected.
        implementation: String,
    },
    /// A baseline library refused its input.
    #[error("{implementation}: {reason}")]
    Baseline {
        /// The baseline's label.
        implementation: String,
        /// What it said.
        reason: String,
    },
    /// An implementation gave different results on the same input in two runs.
    #[error("{implementation} gave `{now}` after `{before}` on the same input")]
    Unstable {
        /// The implementation's label.
        implementation: String,
        /// Result of this run.
        now: String,
        /// Result of the run before.
        before: String,
    },
    /// A result file could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The results could not be serialised.
    #[error("serialising the results: {0}")]
    Json(#[from] serde_json::Error),
}
