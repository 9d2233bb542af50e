//! Transactions: UTXO inputs with ownership signatures, outputs with chain-id-prefixed addresses,
//! an explicit fee, and one canonical binary encoding for hashing, signing and the wire.
//!
//! - [`Transaction`] holds [`Input`]s (each names an [`OutPoint`] and carries the spender's
//!   public key and signature), [`Output`]s and a [`Fee`];
//! - [`Transaction::encode`] / [`Transaction::decode`] are the canonical encoding (module
//!   [`encoding`], specified byte by byte in `docs/protocol.md`); decoding accepts exactly the
//!   bytes encoding produces, so equal transactions have equal bytes and equal hashes;
//! - [`Transaction::hash`] identifies a transaction (over the whole encoding, signatures
//!   included); [`Transaction::signing_hash`] is what each input signs (the encoding without
//!   signatures), under a different domain tag;
//! - [`Transaction::check_stateless`] runs the checks that need no UTXO set;
//!   [`Transaction::sig_batch`] packs every input's signature into one [`SigBatch`] for the
//!   accelerator.

pub mod encoding;

pub use encoding::DecodeError;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ed25519_consensus::SigningKey;
use ramjet_accel::SigBatch;
use sha2::{Digest, Sha256};

/// Domain-separation tag of the transaction hash.
pub const TX_HASH_DOMAIN: &[u8] = b"ramjet/tx/v1";
/// Domain-separation tag of the signing hash.
pub const TX_SIGNING_DOMAIN: &[u8] = b"ramjet/tx-sign/v1";
/// The encoding version this code writes and reads (the first byte of an encoding).
pub const TX_VERSION: u8 = 1;
/// Most inputs a transaction may have.
pub const MAX_INPUTS: usize = 256;
/// Most outputs a transaction may have.
pub const MAX_OUTPUTS: usize = 256;
/// Longest data an output may carry, in bytes.
pub const MAX_OUTPUT_DATA: usize = 1024;

macro_rules! hash_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The 32 bytes as 64 lowercase hex digits.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            /// 64 hex digits.
            fn from_str(s: &str) -> Result<Self, String> {
                let bytes = hex::decode(s.trim()).map_err(|e| format!("not hex: {e}"))?;
                let bytes: [u8; 32] = bytes
                    .try_into()
                    .map_err(|b: Vec<u8>| format!("{} bytes, expected 32", b.len()))?;
                Ok(Self(bytes))
            }
        }
    };
}

hash_type!(
    /// A transaction's hash: SHA-256(`TX_HASH_DOMAIN` ‖ encoding).
    TxHash
);
hash_type!(
    /// What each input of a transaction signs: SHA-256(`TX_SIGNING_DOMAIN` ‖ encoding without
    /// signatures).
    SigningHash
);
hash_type!(
    /// An asset's id (how ids are assigned is the ledger's business; here they are 32 bytes).
    AssetId
);
hash_type!(
    /// SHA-256 of an owner's Ed25519 public key.
    KeyHash
);
hash_type!(
    /// The hash of a WASM contract module that decides whether an output may be spent.
    ContractHash
);

impl KeyHash {
    /// The key hash of `public_key`: SHA-256 of its 32 bytes.
    pub fn of_public_key(public_key: &[u8; 32]) -> Self {
        KeyHash(Sha256::digest(public_key).into())
    }
}

/// Where an output can be spent: the network's chain id and the owner's key hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Address {
    /// The network the address belongs to.
    pub chain_id: u32,
    /// SHA-256 of the owner's Ed25519 public key.
    pub key_hash: KeyHash,
}

impl Address {
    /// The address of the owner of `public_key` on chain `chain_id`.
    pub fn of_public_key(chain_id: u32, public_key: &[u8; 32]) -> Self {
        Self {
            chain_id,
            key_hash: KeyHash::of_public_key(public_key),
        }
    }
}

/// An output being spent: the hash of the transaction that created it and its index there.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct OutPoint {
    /// The transaction that created the output.
    pub tx: TxHash,
    /// The output's index in that transaction's outputs.
    pub index: u32,
}

/// A spend of one output: which one, the spender's public key (whose key hash must equal the
/// spent output's address, checked against the UTXO set), and the spender's signature over the
/// transaction's [`SigningHash`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Input {
    /// The output spent.
    pub outpoint: OutPoint,
    /// The spender's Ed25519 public key.
    pub public_key: [u8; 32],
    /// Ed25519 signature (`R ‖ S`) over the signing hash; `None` before signing.
    pub signature: Option<[u8; 64]>,
}

impl Input {
    /// The key hash the spent output's address must carry.
    pub fn owner_key_hash(&self) -> KeyHash {
        KeyHash::of_public_key(&self.public_key)
    }
}

/// A new unspent output.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Output {
    /// Who can spend it.
    pub address: Address,
    /// Which asset.
    pub asset: AssetId,
    /// How much, never zero.
    pub amount: u64,
    /// Optional data, 1 to [`MAX_OUTPUT_DATA`] bytes (empty data is `None`).
    pub data: Option<Vec<u8>>,
    /// Optional contract deciding whether this output may be spent.
    pub contract: Option<ContractHash>,
}

/// The fee a transaction pays: an amount of one asset, taken from its inputs and not given to
/// any output. A zero amount means no fee.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Fee {
    /// The asset the fee is paid in.
    pub asset: AssetId,
    /// How much.
    pub amount: u64,
}

/// A transaction.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Transaction {
    /// The outputs spent, in canonical order: strictly ascending by [`OutPoint`] (transaction
    /// hash bytes, then index).
    pub inputs: Vec<Input>,
    /// The outputs created; output `i` is later named `OutPoint { tx: self.hash(), index: i }`.
    pub outputs: Vec<Output>,
    /// The fee.
    pub fee: Fee,
}

/// Why a transaction fails its stateless checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The transaction spends nothing.
    #[error("transaction has no input")]
    NoInputs,
    /// The transaction creates nothing.
    #[error("transaction has no output")]
    NoOutputs,
    /// More inputs or outputs than allowed.
    #[error("{field}: {count} items, at most {max} allowed")]
    TooMany {
        /// `"inputs"` or `"outputs"`.
        field: &'static str,
        /// How many there are.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The same output is spent twice.
    #[error("input {index} spends {outpoint:?} a second time")]
    DuplicateInput {
        /// The second input spending it.
        index: usize,
        /// The output spent twice.
        outpoint: OutPoint,
    },
    /// Inputs are not in canonical (ascending) order.
    #[error("input {index} is not after input {} in canonical order", index - 1)]
    InputsNotSorted {
        /// The first input out of order.
        index: usize,
    },
    /// An input has no signature.
    #[error("input {index} is not signed")]
    MissingSignature {
        /// The input.
        index: usize,
    },
    /// An output has amount zero.
    #[error("output {index} has amount zero")]
    ZeroAmount {
        /// The output.
        index: usize,
    },
    /// An output's data is empty (it must be `None` instead) or too long.
    #[error("output {index}: data of {len} bytes, must be 1 to {MAX_OUTPUT_DATA}")]
    BadDataLength {
        /// The output.
        index: usize,
        /// Its data length.
        len: usize,
    },
    /// The outputs (and fee) of one asset sum to more than `u64::MAX`.
    #[error("outputs of asset {asset} sum to more than 2^64 - 1")]
    AmountOverflow {
        /// The asset.
        asset: AssetId,
    },
}

impl Transaction {
    /// The transaction's hash: SHA-256(`TX_HASH_DOMAIN` ‖ [`encode`](Self::encode)).
    pub fn hash(&self) -> TxHash {
        TxHash(
            Sha256::new()
                .chain_update(TX_HASH_DOMAIN)
                .chain_update(self.encode())
                .finalize()
                .into(),
        )
    }

    /// What every input signs: SHA-256(`TX_SIGNING_DOMAIN` ‖ the encoding without signatures).
    pub fn signing_hash(&self) -> SigningHash {
        SigningHash(
            Sha256::new()
                .chain_update(TX_SIGNING_DOMAIN)
                .chain_update(self.encode_unsigned())
                .finalize()
                .into(),
        )
    }

    /// The checks that need no UTXO set: at least one input and one output, counts and data
    /// lengths within bounds, inputs in canonical order without duplicates, every input signed,
    /// no zero amount, and for each asset the outputs plus the fee summing to at most
    /// `u64::MAX`. Signatures themselves are verified in batches ([`Self::sig_batch`]).
    pub fn check_stateless(&self) -> Result<(), TxError> {
        if self.inputs.is_empty() {
            return Err(TxError::NoInputs);
        }
        if self.outputs.is_empty() {
            return Err(TxError::NoOutputs);
        }
        for (field, count, max) in [
            ("inputs", self.inputs.len(), MAX_INPUTS),
            ("outputs", self.outputs.len(), MAX_OUTPUTS),
        ] {
            if count > max {
                return Err(TxError::TooMany { field, count, max });
            }
        }
        let mut seen = BTreeSet::new();
        for (index, input) in self.inputs.iter().enumerate() {
            if !seen.insert(input.outpoint) {
                return Err(TxError::DuplicateInput {
                    index,
                    outpoint: input.outpoint,
                });
            }
            if index > 0 && self.inputs[index - 1].outpoint > input.outpoint {
                return Err(TxError::InputsNotSorted { index });
            }
            if input.signature.is_none() {
                return Err(TxError::MissingSignature { index });
            }
        }
        let mut totals: BTreeMap<AssetId, u64> = BTreeMap::new();
        let mut add = |asset: AssetId, amount: u64| {
            let total = totals.entry(asset).or_insert(0);
            *total = total
                .checked_add(amount)
                .ok_or(TxError::AmountOverflow { asset })?;
            Ok(())
        };
        for (index, output) in self.outputs.iter().enumerate() {
            if output.amount == 0 {
                return Err(TxError::ZeroAmount { index });
            }
            if let Some(data) = &output.data
                && (data.is_empty() || data.len() > MAX_OUTPUT_DATA)
            {
                return Err(TxError::BadDataLength {
                    index,
                    len: data.len(),
                });
            }
            add(output.asset, output.amount)?;
        }
        add(self.fee.asset, self.fee.amount)
    }

    /// One [`SigBatch`] item per input: (public key, signature, signing hash). An unsigned
    /// input contributes an all-zero signature, which never verifies.
    pub fn sig_batch(&self) -> SigBatch {
        let message = self.signing_hash();
        let mut batch = SigBatch::with_capacity(self.inputs.len(), self.inputs.len() * 32);
        self.push_signatures(&mut batch, &message);
        batch
    }

    /// Appends this transaction's items to `batch` (to verify many transactions in one batch);
    /// item `batch.len()` before the call is this transaction's input 0.
    pub fn append_to_sig_batch(&self, batch: &mut SigBatch) {
        self.push_signatures(batch, &self.signing_hash());
    }

    fn push_signatures(&self, batch: &mut SigBatch, message: &SigningHash) {
        for input in &self.inputs {
            batch.push(
                input.public_key,
                input.signature.unwrap_or([0; 64]),
                &message.0,
            );
        }
    }

    /// Verifies every input's signature on the CPU under ZIP-215 (ed25519-consensus): `true`
    /// only if all inputs are signed and all signatures valid. The ledger uses [`Self::sig_batch`]
    /// on the accelerator instead; this is for tools and tests.
    pub fn verify_signatures(&self) -> bool {
        let message = self.signing_hash();
        self.inputs.iter().all(|input| {
            let Some(signature) = input.signature else {
                return false;
            };
            ed25519_consensus::VerificationKey::try_from(input.public_key)
                .and_then(|key| {
                    key.verify(&ed25519_consensus::Signature::from(signature), &message.0)
                })
                .is_ok()
        })
    }

    /// Builds a signed transaction: each `(outpoint, key)` spends `outpoint` with `key`. Inputs
    /// are put in canonical order and every input signs the signing hash.
    pub fn build_signed(
        spends: &[(OutPoint, &SigningKey)],
        outputs: Vec<Output>,
        fee: Fee,
    ) -> Transaction {
        let mut spends: Vec<(OutPoint, &SigningKey)> = spends.to_vec();
        spends.sort_by_key(|(outpoint, _)| *outpoint);
        let mut transaction = Transaction {
            inputs: spends
                .iter()
                .map(|(outpoint, key)| Input {
                    outpoint: *outpoint,
                    public_key: key.verification_key().to_bytes(),
                    signature: None,
                })
                .collect(),
            outputs,
            fee,
        };
        let message = transaction.signing_hash();
        for (input, (_, key)) in transaction.inputs.iter_mut().zip(&spends) {
            input.signature = Some(key.sign(&message.0).to_bytes());
        }
        transaction
    }
}
