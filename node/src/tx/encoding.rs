//! The canonical binary encoding of a [`Transaction`] (specified in `docs/protocol.md`,
//! "Transactions and their canonical encoding").
//!
//! All integers are little-endian. Decoding accepts exactly the bytes that encoding produces:
//! anything else (a short or long input, an unknown version, a count or length out of bounds,
//! an option tag other than 0 or 1, inputs out of order or repeated, a zero amount, empty data)
//! is a [`DecodeError`] naming the field and the byte offset where it starts.

use super::{
    Address, AssetId, ContractHash, Fee, Input, KeyHash, MAX_INPUTS, MAX_OUTPUT_DATA, MAX_OUTPUTS,
    OutPoint, Output, TX_VERSION, Transaction, TxHash,
};

/// Why bytes are not the canonical encoding of a transaction. `offset` is the position in the
/// input where the offending field starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ends inside a field.
    #[error("{field} at offset {offset}: needs {needed} bytes, only {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// Bytes follow the end of the transaction.
    #[error("{extra} trailing bytes at offset {offset}")]
    TrailingBytes {
        /// Where the transaction ended.
        offset: usize,
        /// How many bytes follow it.
        extra: usize,
    },
    /// The version byte is not [`TX_VERSION`].
    #[error("version at offset {offset}: {version} is not supported (expected {TX_VERSION})")]
    UnsupportedVersion {
        /// Where it is (0).
        offset: usize,
        /// The version found.
        version: u8,
    },
    /// A count or length is above its maximum.
    #[error("{field} at offset {offset}: {count} is above the maximum {max}")]
    TooMany {
        /// The count or length field.
        field: &'static str,
        /// Where it is.
        offset: usize,
        /// The value found.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// An option tag is neither 0 (absent) nor 1 (present).
    #[error("{field} at offset {offset}: option tag {tag} is neither 0 nor 1")]
    BadOptionTag {
        /// The optional field.
        field: &'static str,
        /// Where its tag is.
        offset: usize,
        /// The tag found.
        tag: u8,
    },
    /// An input's outpoint is not strictly after the previous input's (out of order or a
    /// duplicate).
    #[error("input {index} at offset {offset}: outpoint not strictly after the previous input's")]
    InputsNotCanonical {
        /// The input's index.
        index: usize,
        /// Where its outpoint starts.
        offset: usize,
    },
    /// An amount that must not be zero is zero.
    #[error("{field} at offset {offset}: amount is zero")]
    ZeroAmount {
        /// The field.
        field: &'static str,
        /// Where it is.
        offset: usize,
    },
    /// Present data of length zero (absent data must be encoded with tag 0).
    #[error("{field} at offset {offset}: present but empty")]
    EmptyData {
        /// The field.
        field: &'static str,
        /// Where its length is.
        offset: usize,
    },
}

impl Transaction {
    /// The canonical encoding, signatures included (what [`Transaction::hash`] hashes and what
    /// goes on the wire).
    ///
    /// A transaction whose fields break the bounds [`Transaction::decode`] enforces (too many
    /// inputs, data over [`MAX_OUTPUT_DATA`], ...) is still encoded, but its bytes do not decode;
    /// [`Transaction::check_stateless`] rejects it.
    pub fn encode(&self) -> Vec<u8> {
        self.encode_with(true)
    }

    /// The encoding without signatures: each input's signature tag and signature are left out
    /// (what [`Transaction::signing_hash`] hashes).
    pub fn encode_unsigned(&self) -> Vec<u8> {
        self.encode_with(false)
    }

    fn encode_with(&self, signatures: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.inputs.len() * 133 + self.outputs.len() * 112);
        out.push(TX_VERSION);
        out.extend_from_slice(&(self.inputs.len() as u16).to_le_bytes());
        for input in &self.inputs {
            out.extend_from_slice(&input.outpoint.tx.0);
            out.extend_from_slice(&input.outpoint.index.to_le_bytes());
            out.extend_from_slice(&input.public_key);
            if signatures {
                match &input.signature {
                    None => out.push(0),
                    Some(signature) => {
                        out.push(1);
                        out.extend_from_slice(signature);
                    }
                }
            }
        }
        out.extend_from_slice(&(self.outputs.len() as u16).to_le_bytes());
        for output in &self.outputs {
            output.encode_into(&mut out);
        }
        out.extend_from_slice(&self.fee.asset.0);
        out.extend_from_slice(&self.fee.amount.to_le_bytes());
        out
    }

    /// Decodes a canonical encoding; any other bytes are a [`DecodeError`].
    pub fn decode(bytes: &[u8]) -> Result<Transaction, DecodeError> {
        let mut reader = Reader { bytes, offset: 0 };
        let version_offset = reader.offset;
        let version = reader.u8("version")?;
        if version != TX_VERSION {
            return Err(DecodeError::UnsupportedVersion {
                offset: version_offset,
                version,
            });
        }
        let input_count = reader.count("input count", MAX_INPUTS)?;
        let mut inputs: Vec<Input> = Vec::with_capacity(input_count);
        for index in 0..input_count {
            let outpoint_offset = reader.offset;
            let outpoint = OutPoint {
                tx: TxHash(reader.array("input outpoint tx hash")?),
                index: reader.u32("input outpoint index")?,
            };
            if let Some(previous) = inputs.last()
                && previous.outpoint >= outpoint
            {
                return Err(DecodeError::InputsNotCanonical {
                    index,
                    offset: outpoint_offset,
                });
            }
            let public_key = reader.array("input public key")?;
            let signature = if reader.option_tag("input signature")? {
                Some(reader.array("input signature")?)
            } else {
                None
            };
            inputs.push(Input {
                outpoint,
                public_key,
                signature,
            });
        }
        let output_count = reader.count("output count", MAX_OUTPUTS)?;
        let mut outputs = Vec::with_capacity(output_count);
        for _ in 0..output_count {
            outputs.push(reader.output()?);
        }
        let fee = Fee {
            asset: AssetId(reader.array("fee asset id")?),
            amount: reader.u64("fee amount")?,
        };
        if reader.offset != bytes.len() {
            return Err(DecodeError::TrailingBytes {
                offset: reader.offset,
                extra: bytes.len() - reader.offset,
            });
        }
        Ok(Transaction {
            inputs,
            outputs,
            fee,
        })
    }
}

impl Output {
    /// Appends the output's canonical bytes, exactly as they appear inside a transaction's
    /// encoding: chain id (`u32` LE) ‖ key hash (32) ‖ asset id (32) ‖ amount (`u64` LE) ‖ data
    /// option (0, or 1 ‖ length `u16` LE ‖ bytes) ‖ contract option (0, or 1 ‖ hash (32)).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.address.chain_id.to_le_bytes());
        out.extend_from_slice(&self.address.key_hash.0);
        out.extend_from_slice(&self.asset.0);
        out.extend_from_slice(&self.amount.to_le_bytes());
        match &self.data {
            None => out.push(0),
            Some(data) => {
                out.push(1);
                out.extend_from_slice(&(data.len() as u16).to_le_bytes());
                out.extend_from_slice(data);
            }
        }
        match &self.contract {
            None => out.push(0),
            Some(contract) => {
                out.push(1);
                out.extend_from_slice(&contract.0);
            }
        }
    }

    /// The output's canonical bytes ([`Self::encode_into`]) in a new vector.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(80);
        self.encode_into(&mut out);
        out
    }

    /// Decodes exactly one [`Self::encode`] value; the same rules as inside a transaction
    /// (amount not zero, data 1 to [`MAX_OUTPUT_DATA`] bytes, tags 0 or 1, no trailing bytes).
    pub fn decode(bytes: &[u8]) -> Result<Output, DecodeError> {
        let mut reader = Reader { bytes, offset: 0 };
        let output = reader.output()?;
        if reader.offset != bytes.len() {
            return Err(DecodeError::TrailingBytes {
                offset: reader.offset,
                extra: bytes.len() - reader.offset,
            });
        }
        Ok(output)
    }
}

/// A cursor over the bytes being decoded.
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// One output, in [`Output::encode_into`]'s layout.
    fn output(&mut self) -> Result<Output, DecodeError> {
        let address = Address {
            chain_id: self.u32("output chain id")?,
            key_hash: KeyHash(self.array("output key hash")?),
        };
        let asset = AssetId(self.array("output asset id")?);
        let amount_offset = self.offset;
        let amount = self.u64("output amount")?;
        if amount == 0 {
            return Err(DecodeError::ZeroAmount {
                field: "output amount",
                offset: amount_offset,
            });
        }
        let data = if self.option_tag("output data")? {
            let length_offset = self.offset;
            let length = self.count("output data length", MAX_OUTPUT_DATA)?;
            if length == 0 {
                return Err(DecodeError::EmptyData {
                    field: "output data length",
                    offset: length_offset,
                });
            }
            Some(self.take("output data", length)?.to_vec())
        } else {
            None
        };
        let contract = if self.option_tag("output contract")? {
            Some(ContractHash(self.array("output contract hash")?))
        } else {
            None
        };
        Ok(Output {
            address,
            asset,
            amount,
            data,
            contract,
        })
    }

    fn take(&mut self, field: &'static str, needed: usize) -> Result<&'a [u8], DecodeError> {
        let available = self.bytes.len() - self.offset;
        if needed > available {
            return Err(DecodeError::Truncated {
                field,
                offset: self.offset,
                needed,
                available,
            });
        }
        let slice = &self.bytes[self.offset..self.offset + needed];
        self.offset += needed;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        Ok(self.take(field, N)?.try_into().expect("took N bytes"))
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// A u16 count or length, at most `max`.
    fn count(&mut self, field: &'static str, max: usize) -> Result<usize, DecodeError> {
        let offset = self.offset;
        let count = usize::from(u16::from_le_bytes(self.array(field)?));
        if count > max {
            return Err(DecodeError::TooMany {
                field,
                offset,
                count,
                max,
            });
        }
        Ok(count)
    }

    /// An option tag: `false` for 0, `true` for 1.
    fn option_tag(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        let offset = self.offset;
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(DecodeError::BadOptionTag { field, offset, tag }),
        }
    }
}
