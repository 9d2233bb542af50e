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
}

/// Results of this crate.
pub type Result<T, E = ProverError> = std::result::Result<T, E>;
