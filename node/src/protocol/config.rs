//! [`ProtocolConfig`]: the parameters of one node's protocol logic, and [`ProtocolError`].

use serde::{Deserialize, Serialize};

use crate::consensus::ConsensusConfig;
use crate::ledger::LedgerConfig;
use crate::trust::DirectTrustConfig;

/// Why a [`super::ProtocolNode`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// Parameters out of range; every violation listed.
    #[error("invalid protocol parameters: {}", violations.join("; "))]
    InvalidConfig {
        /// What is wrong.
        violations: Vec<String>,
    },
}

/// Parameters of a node's protocol logic: the existing configurations of its parts, and the
/// flush interval. Every field has a default (serde fills in what a file leaves out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProtocolConfig {
    /// The ledger's ([`LedgerConfig::default`]).
    pub ledger: LedgerConfig,
    /// Conflict resolution's ([`ConsensusConfig::default`]: window 800 ms, bands of 0.05).
    pub consensus: ConsensusConfig,
    /// Direct trust's ([`DirectTrustConfig::default`]).
    pub trust: DirectTrustConfig,
    /// How often the observation buffer is flushed and its root published, in ms (default 100).
    pub flush_interval_ms: u64,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        Self {
            ledger: LedgerConfig::default(),
            consensus: ConsensusConfig::default(),
            trust: DirectTrustConfig::default(),
            flush_interval_ms: 100,
        }
    }
}

impl ProtocolConfig {
    /// Checks every part ([`LedgerConfig::validate`], [`ConsensusConfig::validate`],
    /// [`DirectTrustConfig::validate`]) and the flush interval (positive), listing every
    /// violation at once in [`ProtocolError::InvalidConfig`].
    ///
    /// The timing constraints between these values and the network's delays are the
    /// deployment's to check (`docs/consensus.md`, "Timings"); the simulator checks them for its
    /// own network ([`crate::sim::SimConfig::validate`]).
    pub fn validate(&self) -> Result<(), ProtocolError> {
        let mut violations = Vec::new();
        if let Err(e) = self.ledger.validate() {
            violations.push(e.to_string());
        }
        if let Err(e) = self.consensus.validate() {
            violations.push(e.to_string());
        }
        if let Err(e) = self.trust.validate() {
            violations.push(e.to_string());
        }
        if self.flush_interval_ms == 0 {
            violations.push("flush_interval_ms must be positive".to_owned());
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ProtocolError::InvalidConfig { violations })
        }
    }
}
