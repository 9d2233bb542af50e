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
    // --- rollup ---
    /// A transfer of a rollup batch was rejected by [`State::apply`](crate::rollup::State::apply):
    /// `index` is its position in the batch (from 0), `reason` says which rule it broke.
    #[error("rollup transfer {index}: {reason}")]
    RollupTransfer {
        /// Position of the rejected transfer in its batch, from 0.
        index: usize,
        /// The rule the transfer broke.
        reason: crate::rollup::Rejection,
    },
    /// A rollup state, genesis file, key, signature, batch or circuit witness is malformed (a bad
    /// depth, a duplicate or out-of-range account, a point off the curve, a non-canonical number,
    /// a witness whose shape does not match its circuit).
    #[error("rollup: {0}")]
    RollupInvalid(String),
}

/// Results of this crate.
pub type Result<T, E = ProverError> = std::result::Result<T, E>;
