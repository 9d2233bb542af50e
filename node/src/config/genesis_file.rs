//! [`GenesisFile`]: a [`Genesis`] as a JSON file, with hex for every hash.
//!
//! ```json
//! { "chain_id": 7,
//!   "outputs": [ { "key_hash": "<64 hex digits>", "asset": "<64 hex digits>", "amount": 1000 } ] }
//! ```
//!
//! An output may also carry `"data"` (hex, 1 to [`crate::tx::MAX_OUTPUT_DATA`] bytes) and
//! `"contract"` (64 hex digits); every output's address is on the file's `chain_id`.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ledger::Genesis;
use crate::tx::{Address, AssetId, ContractHash, KeyHash, Output};

/// Why a genesis file could not be read, parsed, written or built.
#[derive(Debug, thiserror::Error)]
pub enum GenesisFileError {
    /// Reading or writing the file failed.
    #[error("genesis file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a genesis JSON document (the message gives line and column).
    #[error("genesis file {}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A genesis output's address is on another chain than the genesis; the file format cannot
    /// say so (and the ledger would refuse such a genesis).
    #[error("genesis output {index} is on chain {chain_id}, the genesis on chain {expected}")]
    ForeignOutput {
        /// The output's index.
        index: usize,
        /// Its address's chain id.
        chain_id: u32,
        /// The genesis's chain id.
        expected: u32,
    },
}

/// A genesis in its JSON file form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisFile {
    /// The network's chain id; every output's address is on it.
    pub chain_id: u32,
    /// The outputs, in order (output `i` is spent as `Genesis::outpoint(i)`).
    pub outputs: Vec<GenesisOutput>,
}

/// One genesis output in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisOutput {
    /// The owner's key hash (64 hex digits).
    #[serde(with = "hex32")]
    pub key_hash: KeyHash,
    /// The asset id (64 hex digits).
    #[serde(with = "hex32")]
    pub asset: AssetId,
    /// The amount, never zero.
    pub amount: u64,
    /// Optional output data (hex).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex_bytes")]
    pub data: Option<Vec<u8>>,
    /// Optional contract hash (64 hex digits).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex32_opt")]
    pub contract: Option<ContractHash>,
}

impl GenesisFile {
    /// The [`Genesis`] the file describes: every output's address on [`GenesisFile::chain_id`].
    pub fn to_genesis(&self) -> Genesis {
        Genesis {
            chain_id: self.chain_id,
            outputs: self
                .outputs
                .iter()
                .map(|o| Output {
                    address: Address {
                        chain_id: self.chain_id,
                        key_hash: o.key_hash,
                    },
                    asset: o.asset,
                    amount: o.amount,
                    data: o.data.clone(),
                    contract: o.contract,
                })
                .collect(),
        }
    }

    /// The file form of `genesis`.
    ///
    /// # Errors
    /// [`GenesisFileError::ForeignOutput`] if an output's address is on another chain.
    pub fn from_genesis(genesis: &Genesis) -> Result<Self, GenesisFileError> {
        let outputs = genesis
            .outputs
            .iter()
            .enumerate()
            .map(|(index, o)| {
                if o.address.chain_id != genesis.chain_id {
                    return Err(GenesisFileError::ForeignOutput {
                        index,
                        chain_id: o.address.chain_id,
                        expected: genesis.chain_id,
                    });
                }
                Ok(GenesisOutput {
                    key_hash: o.address.key_hash,
                    asset: o.asset,
                    amount: o.amount,
                    data: o.data.clone(),
                    contract: o.contract,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            chain_id: genesis.chain_id,
            outputs,
        })
    }

    /// Reads and parses the file at `path`.
    ///
    /// # Errors
    /// [`GenesisFileError::Io`] or [`GenesisFileError::Json`], naming `path`.
    pub fn load(path: &Path) -> Result<Self, GenesisFileError> {
        let text = fs::read_to_string(path).map_err(|source| GenesisFileError::Io {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| GenesisFileError::Json {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes the file to `path` as pretty-printed JSON (replacing any file there).
    ///
    /// # Errors
    /// [`GenesisFileError::Io`] naming `path`.
    pub fn save(&self, path: &Path) -> Result<(), GenesisFileError> {
        let mut text = serde_json::to_string_pretty(self).expect("a genesis file serialises");
        text.push('\n');
        fs::write(path, text).map_err(|source| GenesisFileError::Io {
            path: path.to_owned(),
            source,
        })
    }
}

/// The 32-byte hash types written as 64 hex digits.
trait Hash32: Sized {
    fn from_bytes(bytes: [u8; 32]) -> Self;
    fn bytes(&self) -> &[u8; 32];
}

macro_rules! hash32 {
    ($($t:ty),*) => {$(
        impl Hash32 for $t {
            fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }
            fn bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }
    )*};
}
hash32!(KeyHash, AssetId, ContractHash);

fn parse_hex32<E: serde::de::Error>(s: &str) -> Result<[u8; 32], E> {
    let bytes = hex::decode(s).map_err(|e| E::custom(format!("{s:?} is not hex: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        E::custom(format!(
            "{s:?} is {} bytes, expected exactly 32 (64 hex digits)",
            bytes.len()
        ))
    })
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{Hash32, parse_hex32};

    pub(super) fn serialize<T: Hash32, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v.bytes()))
    }

    pub(super) fn deserialize<'de, T: Hash32, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let s = String::deserialize(d)?;
        parse_hex32(&s).map(T::from_bytes)
    }
}

mod hex32_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{Hash32, parse_hex32};

    pub(super) fn serialize<T: Hash32, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&hex::encode(v.bytes())),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T: Hash32, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| parse_hex32(&s).map(T::from_bytes))
            .transpose()
    }
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&hex::encode(v)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| {
                hex::decode(&s).map_err(|e| D::Error::custom(format!("{s:?} is not hex: {e}")))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_fields_must_be_exactly_32_bytes() {
        let short = format!(
            r#"{{"chain_id":1,"outputs":[{{"key_hash":"{}","asset":"{}","amount":5}}]}}"#,
            "ab".repeat(31),
            "cd".repeat(32)
        );
        let error = serde_json::from_str::<GenesisFile>(&short).unwrap_err();
        assert!(
            error.to_string().contains("31 bytes, expected exactly 32"),
            "{error}"
        );
        let not_hex = short.replace(&"ab".repeat(31), &"zz".repeat(32));
        let error = serde_json::from_str::<GenesisFile>(&not_hex).unwrap_err();
        assert!(error.to_string().contains("is not hex"), "{error}");
    }

    #[test]
    fn from_genesis_refuses_an_output_on_another_chain() {
        let mut genesis = GenesisFile {
            chain_id: 3,
            outputs: vec![GenesisOutput {
                key_hash: KeyHash([1; 32]),
                asset: AssetId([2; 32]),
                amount: 9,
                data: None,
                contract: None,
            }],
        }
        .to_genesis();
        genesis.outputs[0].address.chain_id = 4;
        match GenesisFile::from_genesis(&genesis) {
            Err(GenesisFileError::ForeignOutput {
                index: 0,
                chain_id: 4,
                expected: 3,
            }) => {}
            other => panic!("expected ForeignOutput, got {other:?}"),
        }
    }
}
