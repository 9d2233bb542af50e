//! The trust module's error type.

/// What can go wrong computing trust.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrustError {
    /// EigenTrust's iteration did not settle within its iteration limit.
    #[error("EigenTrust did not converge: L1 change {residual:e} after {iterations} iterations")]
    DidNotConverge {
        /// Iterations run (the configured limit).
        iterations: u32,
        /// L1 distance between the last two trust vectors.
        residual: f64,
    },
    /// EigenTrust was given no pre-trusted peer, so it has no seed distribution.
    #[error("EigenTrust needs at least one pre-trusted peer")]
    NoPreTrustedPeers,
    /// DATT explored more path steps than its limit allows.
    #[error("transitive trust explored more than {limit} path steps")]
    PathLimitExceeded {
        /// The configured limit on path steps.
        limit: usize,
    },
    /// A score was NaN or infinite.
    #[error("trust score is not a finite number: {score}")]
    NonFiniteScore {
        /// The score given.
        score: f64,
    },
    /// Configuration parameters out of range; every violation is listed.
    #[error("invalid trust parameters: {}", violations.join("; "))]
    InvalidParameters {
        /// One sentence per violated constraint.
        violations: Vec<String>,
    },
}
