//! In-process simulation of N nodes (work in progress).

pub mod net;

/// Why a simulation could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// Parameters out of range; every violation listed.
    #[error("invalid simulation parameters: {}", violations.join("; "))]
    InvalidParameters {
        /// What is wrong.
        violations: Vec<String>,
    },
}
