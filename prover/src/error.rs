//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong while proving, building a rollup batch or converting formats.
#[derive(Debug, Error)]
pub enum ProverError {
    /// The accelerator failed (an input error, or a device fault the CPU fallback could not cover).
    #[error("accelerator: {0}")]
    Accel(#[from] ramjet_accel::AccelError),
    /// The circuit could not be synthesized, or its constraints are not satisfied.
    #[error("constraint system: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    // Groth16 (`crate::groth16`).
    /// The circuit's assignment violates one of its R1CS constraints, so no valid proof exists.
    /// (arkworks only debug-asserts this, and in release would return a proof that fails
    /// verification.)
    #[error("R1CS constraint {index} of {constraints} is not satisfied by the assignment")]
    Unsatisfied {
        /// Index of the first violated constraint.
        index: usize,
        /// Number of constraints in the circuit.
        constraints: usize,
    },
    /// The proving key was made for another circuit: one of its dimensions differs from the
    /// circuit's.
    #[error(
        "proving key does not match the circuit: {what} is {key} in the key, {circuit} in the circuit"
    )]
    KeyMismatch {
        /// Which dimension differs.
        what: &'static str,
        /// Its value according to the key.
        key: usize,
        /// Its value according to the circuit.
        circuit: usize,
    },
    /// A proving key or a pre-synthesized circuit is inconsistent in itself.
    #[error("malformed input: {0}")]
    Malformed(String),
    /// The constraint system has constraints under a predicate other than R1CS, which Groth16
    /// cannot prove.
    #[error("Groth16 proves R1CS only; the circuit has constraints under predicate `{0}`")]
    UnsupportedPredicate(String),
    /// Prover metrics could not be registered (e.g. registered twice on one registry).
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// Results of this crate.
pub type Result<T, E = ProverError> = std::result::Result<T, E>;
