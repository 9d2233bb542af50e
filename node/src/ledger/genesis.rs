//! [`Genesis`]: the outputs that exist before any transaction.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::tx::{AssetId, MAX_OUTPUT_DATA, OutPoint, Output, TxHash};

use super::LedgerError;
use super::codec::encode_output;

/// Domain-separation tag of the genesis hash.
pub const GENESIS_DOMAIN: &[u8] = b"ramjet/genesis/v1";

/// The outputs that exist before any transaction. Output `i` is spent as
/// [`Genesis::outpoint`]`(i)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    /// The network's chain id (must equal the ledger's and every output's).
    pub chain_id: u32,
    /// The initial outputs.
    pub outputs: Vec<Output>,
}

impl Genesis {
    /// SHA-256(`GENESIS_DOMAIN` ‖ chain id (`u32` LE) ‖ each output's canonical bytes, in
    /// order); it plays the role of a transaction hash for the genesis outputs.
    pub fn hash(&self) -> TxHash {
        let mut bytes = Vec::with_capacity(4 + self.outputs.len() * 80);
        bytes.extend_from_slice(&self.chain_id.to_le_bytes());
        for output in &self.outputs {
            encode_output(output, &mut bytes);
        }
        TxHash(
            Sha256::new()
                .chain_update(GENESIS_DOMAIN)
                .chain_update(&bytes)
                .finalize()
                .into(),
        )
    }

    /// The outpoint of output `index`: `OutPoint { tx: self.hash(), index }`. It hashes every
    /// output: for many outpoints, take [`Genesis::hash`] once.
    pub fn outpoint(&self, index: u32) -> OutPoint {
        OutPoint {
            tx: self.hash(),
            index,
        }
    }

    /// The total amount of each asset.
    pub fn supply(&self) -> BTreeMap<AssetId, u128> {
        let mut supply = BTreeMap::new();
        for output in &self.outputs {
            *supply.entry(output.asset).or_insert(0) += u128::from(output.amount);
        }
        supply
    }

    /// Every output on `chain_id`, with a non-zero amount and data of valid length.
    pub(crate) fn validate(&self, chain_id: u32) -> Result<(), LedgerError> {
        let invalid = |reason: String| Err(LedgerError::InvalidGenesis { reason });
        if self.chain_id != chain_id {
            return invalid(format!(
                "genesis chain id {} differs from the ledger's {chain_id}",
                self.chain_id
            ));
        }
        if self.outputs.len() > u32::MAX as usize {
            return invalid("more than 2^32 outputs".to_string());
        }
        for (index, output) in self.outputs.iter().enumerate() {
            if output.address.chain_id != chain_id {
                return invalid(format!(
                    "output {index} has chain id {}, expected {chain_id}",
                    output.address.chain_id
                ));
            }
            if output.amount == 0 {
                return invalid(format!("output {index} has amount zero"));
            }
            if let Some(data) = &output.data
                && (data.is_empty() || data.len() > MAX_OUTPUT_DATA)
            {
                return invalid(format!("output {index} has {} bytes of data", data.len()));
            }
        }
        Ok(())
    }
}
