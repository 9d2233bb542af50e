//! [`LedgerConfig`]: the ledger's tunables.

use serde::{Deserialize, Serialize};

use super::LedgerError;

/// The ledger's tunables. Every time is in milliseconds of the caller's clock (the ledger never
/// reads one). Missing fields take their defaults when deserialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LedgerConfig {
    /// The network's chain id: every output address of a transaction must carry it.
    pub chain_id: u32,
    /// The batcher flushes when this many signatures are queued (default 512).
    pub batch_max_signatures: usize,
    /// ... or when the oldest queued transaction has waited this long (default 5 ms).
    pub batch_deadline_ms: u64,
    /// A PENDING transaction is ACCEPTED after this long without a conflict (default 400 ms).
    pub quiet_period_ms: u64,
    /// Most transactions held for unknown inputs at once (default 10 000).
    pub hold_limit: usize,
    /// A transaction held longer than this is rejected (default 5 000 ms).
    pub hold_timeout_ms: u64,
    /// Most rejected transaction hashes remembered for deduplication (default 100 000).
    pub seen_limit: usize,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            chain_id: 0,
            batch_max_signatures: 512,
            batch_deadline_ms: 5,
            quiet_period_ms: 400,
            hold_limit: 10_000,
            hold_timeout_ms: 5_000,
            seen_limit: 100_000,
        }
    }
}

impl LedgerConfig {
    /// Checks every rule at once; [`LedgerError::Config`] lists all violations.
    pub fn validate(&self) -> Result<(), LedgerError> {
        let mut problems = Vec::new();
        if self.batch_max_signatures == 0 {
            problems.push("batch_max_signatures must be at least 1".to_string());
        }
        if self.hold_limit == 0 {
            problems.push("hold_limit must be at least 1".to_string());
        }
        if self.seen_limit == 0 {
            problems.push("seen_limit must be at least 1".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(LedgerError::Config { problems })
        }
    }
}
