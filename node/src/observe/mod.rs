//! Observations: what this node saw happen to transactions, committed to in signed, chained
//! Merkle roots, and the offline checks of proofs built from them.
//!
//! The node appends an [`Observation`] (transaction hash, [`TxState`], time) to its
//! [`ObservationBuffer`] whenever a transaction changes state. Every interval the buffer is
//! flushed: the observations' leaf digests become an RFC 6962 Merkle tree built by the
//! accelerator's `merkle_sha256`, and a [`RootHeader`] over its root, chained to the previous
//! header by hash, is signed with the node's key ([`SignedRoot`]). Each epoch is written to the
//! node's store before its root is published, so a restarted node continues its chain
//! ([`ObservationBuffer::open`]); the buffer keeps the latest [`RECENT_EPOCHS`] epochs' trees in
//! memory and rebuilds older ones from the store to answer [`ObservationBuffer::inclusion`] with
//! an [`InclusionProof`].
//!
//! Anyone can then check, offline and with no state:
//! - an [`InclusionProof`] ([`InclusionProof::verify`]);
//! - a [`FinalityProof`]: the inclusion proofs of several peers for one transaction
//!   ([`verify_finality`]);
//! - a chain of headers from one node ([`verify_chain`]);
//! - [`Evidence`] that a node signed conflicting observations ([`verify_evidence`]).
//!
//! Every byte format and rule is specified in `docs/observations.md`.

mod buffer;
mod persist;
mod verify;

pub use buffer::{ObservationBuffer, RECENT_EPOCHS};
pub use verify::{
    Evidence, FinalityProof, FinalityVerdict, merkle_root_from_path, verify_chain, verify_evidence,
    verify_finality,
};

use ed25519_consensus::{Signature, VerificationKey};
use sha2::{Digest, Sha256};

use crate::identity::NodeId;
use crate::tx::TxHash;

/// Domain tag hashed before an observation's encoding to form its leaf digest.
pub const OBSERVATION_DOMAIN: &[u8] = b"ramjet/obs/v1";
/// Domain tag hashed before a header's encoding to form its hash (the next header's `previous`).
pub const HEADER_HASH_DOMAIN: &[u8] = b"ramjet/obs-header/v1";
/// Domain tag prefixed to a header's encoding to form the message its node signs.
pub const HEADER_SIGNING_DOMAIN: &[u8] = b"ramjet/obs-root-sig/v1";
/// Length of [`Observation::encode`]'s output.
pub const OBSERVATION_LEN: usize = 32 + 1 + 8;
/// Length of [`RootHeader::encode`]'s output.
pub const HEADER_LEN: usize = 32 + 8 + 32 + 32 + 4 + 8;
/// Length of [`SignedRoot::encode`]'s output: the header and the 64-byte signature.
pub const SIGNED_ROOT_LEN: usize = HEADER_LEN + 64;

/// A transaction's state as a node observed it, encoded as one byte.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[repr(u8)]
pub enum TxState {
    /// Seen and valid, waiting for its quiet period (code 0).
    Pending = 0,
    /// Accepted: final (code 1).
    Accepted = 1,
    /// Rejected: final (code 2).
    Rejected = 2,
    /// A conflicting spender was seen; awaiting resolution (code 3).
    Conflicted = 3,
}

impl TxState {
    /// The state's one-byte code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The state with code `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(TxState::Pending),
            1 => Some(TxState::Accepted),
            2 => Some(TxState::Rejected),
            3 => Some(TxState::Conflicted),
            _ => None,
        }
    }

    /// True for the final states, [`Accepted`](TxState::Accepted) and
    /// [`Rejected`](TxState::Rejected); a node may sign at most one of them for a transaction.
    pub fn is_final(self) -> bool {
        matches!(self, TxState::Accepted | TxState::Rejected)
    }
}

/// One entry of a node's observation buffer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Observation {
    /// The transaction observed.
    pub tx: TxHash,
    /// The state it was observed in.
    pub state: TxState,
    /// When, in milliseconds since the Unix epoch, by the observing node's clock.
    pub time_ms: u64,
}

impl Observation {
    /// Canonical encoding: `tx (32) ‖ state code (1) ‖ time_ms (u64 LE)`, 41 bytes.
    pub fn encode(&self) -> [u8; OBSERVATION_LEN] {
        let mut out = [0u8; OBSERVATION_LEN];
        out[..32].copy_from_slice(&self.tx.0);
        out[32] = self.state.code();
        out[33..].copy_from_slice(&self.time_ms.to_le_bytes());
        out
    }

    /// Decodes [`encode`](Self::encode)'s output.
    pub fn decode(bytes: &[u8]) -> Result<Self, ObsError> {
        if bytes.len() != OBSERVATION_LEN {
            return Err(ObsError::Encoding {
                what: "observation",
                expected: OBSERVATION_LEN,
                actual: bytes.len(),
            });
        }
        let state = TxState::from_code(bytes[32]).ok_or(ObsError::UnknownState(bytes[32]))?;
        Ok(Observation {
            tx: TxHash(bytes[..32].try_into().expect("32 bytes")),
            state,
            time_ms: u64::from_le_bytes(bytes[33..].try_into().expect("8 bytes")),
        })
    }

    /// The Merkle leaf: SHA-256(`OBSERVATION_DOMAIN` ‖ [`encode`](Self::encode)).
    pub fn leaf_digest(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(OBSERVATION_DOMAIN)
            .chain_update(self.encode())
            .finalize()
            .into()
    }
}

/// What a node signs at each flush: its root over one epoch's observations, chained to its
/// previous header.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RootHeader {
    /// The signing node's Ed25519 public key (its [`NodeId`] is SHA-256 of it).
    pub public_key: [u8; 32],
    /// The flush's number, from 0, incremented by one per flush that produced a root.
    pub sequence: u64,
    /// [`hash`](Self::hash) of the header with sequence `sequence - 1`; zeros for sequence 0.
    pub previous: [u8; 32],
    /// RFC 6962 root over the epoch's observation leaf digests.
    pub root: [u8; 32],
    /// Number of observations (leaves) under `root`, at least 1.
    pub leaf_count: u32,
    /// Flush time, milliseconds since the Unix epoch.
    pub time_ms: u64,
}

impl RootHeader {
    /// Canonical encoding: `public_key (32) ‖ sequence (u64 LE) ‖ previous (32) ‖ root (32) ‖
    /// leaf_count (u32 LE) ‖ time_ms (u64 LE)`, 116 bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..32].copy_from_slice(&self.public_key);
        out[32..40].copy_from_slice(&self.sequence.to_le_bytes());
        out[40..72].copy_from_slice(&self.previous);
        out[72..104].copy_from_slice(&self.root);
        out[104..108].copy_from_slice(&self.leaf_count.to_le_bytes());
        out[108..].copy_from_slice(&self.time_ms.to_le_bytes());
        out
    }

    /// Decodes [`encode`](Self::encode)'s output.
    pub fn decode(bytes: &[u8]) -> Result<Self, ObsError> {
        if bytes.len() != HEADER_LEN {
            return Err(ObsError::Encoding {
                what: "root header",
                expected: HEADER_LEN,
                actual: bytes.len(),
            });
        }
        let arr = |from: usize| -> [u8; 32] { bytes[from..from + 32].try_into().expect("32") };
        Ok(RootHeader {
            public_key: arr(0),
            sequence: u64::from_le_bytes(bytes[32..40].try_into().expect("8 bytes")),
            previous: arr(40),
            root: arr(72),
            leaf_count: u32::from_le_bytes(bytes[104..108].try_into().expect("4 bytes")),
            time_ms: u64::from_le_bytes(bytes[108..].try_into().expect("8 bytes")),
        })
    }

    /// The header's hash: SHA-256(`HEADER_HASH_DOMAIN` ‖ [`encode`](Self::encode)).
    pub fn hash(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(HEADER_HASH_DOMAIN)
            .chain_update(self.encode())
            .finalize()
            .into()
    }

    /// The message signed: `HEADER_SIGNING_DOMAIN ‖ encode()`.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut msg = Vec::with_capacity(HEADER_SIGNING_DOMAIN.len() + HEADER_LEN);
        msg.extend_from_slice(HEADER_SIGNING_DOMAIN);
        msg.extend_from_slice(&self.encode());
        msg
    }

    /// The signing node's id.
    pub fn node_id(&self) -> NodeId {
        NodeId::from_public_key(&self.public_key)
    }
}

/// A [`RootHeader`] and its node's Ed25519 signature (`R ‖ S`) over
/// [`RootHeader::signing_message`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SignedRoot {
    /// The header.
    pub header: RootHeader,
    /// The signature.
    pub signature: [u8; 64],
}

impl SignedRoot {
    /// Encoding: `header encoding (116) ‖ signature (64)`, 180 bytes (as in gossip messages).
    pub fn encode(&self) -> [u8; SIGNED_ROOT_LEN] {
        let mut out = [0u8; SIGNED_ROOT_LEN];
        out[..HEADER_LEN].copy_from_slice(&self.header.encode());
        out[HEADER_LEN..].copy_from_slice(&self.signature);
        out
    }

    /// Decodes [`encode`](Self::encode)'s output (the signature is not checked).
    pub fn decode(bytes: &[u8]) -> Result<Self, ObsError> {
        if bytes.len() != SIGNED_ROOT_LEN {
            return Err(ObsError::Encoding {
                what: "signed root",
                expected: SIGNED_ROOT_LEN,
                actual: bytes.len(),
            });
        }
        Ok(SignedRoot {
            header: RootHeader::decode(&bytes[..HEADER_LEN])?,
            signature: bytes[HEADER_LEN..].try_into().expect("64 bytes"),
        })
    }

    /// Checks the signature against the header's own public key (ZIP-215 rules, as
    /// `ed25519-consensus` implements them).
    pub fn verify(&self) -> Result<(), ObsError> {
        let node = self.header.node_id();
        let key = VerificationKey::try_from(self.header.public_key)
            .map_err(|_| ObsError::BadPublicKey { node })?;
        key.verify(
            &Signature::from(self.signature),
            &self.header.signing_message(),
        )
        .map_err(|_| ObsError::BadSignature { node })
    }
}

/// Proof that a node committed to an observation: its signed root, the observation, the leaf's
/// index under the root and the sibling path (bottom-up; `None` where the node had no sibling
/// and moved up unchanged).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InclusionProof {
    /// The signed root the observation is under.
    pub header: SignedRoot,
    /// The observation.
    pub observation: Observation,
    /// The leaf's index, `< header.header.leaf_count`.
    pub index: u32,
    /// The sibling path, one entry per level below the root.
    pub path: Vec<Option<[u8; 32]>>,
}

impl InclusionProof {
    /// Checks the header's signature and that the path leads from the observation's leaf to the
    /// signed root. Returns the signer.
    pub fn verify(&self) -> Result<NodeId, ObsError> {
        self.header.verify()?;
        let h = &self.header.header;
        let root = merkle_root_from_path(
            self.observation.leaf_digest(),
            self.index,
            h.leaf_count,
            &self.path,
        )?;
        if root != h.root {
            return Err(ObsError::RootMismatch { node: h.node_id() });
        }
        Ok(h.node_id())
    }
}

/// Why an observation, header, proof, chain or piece of evidence was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObsError {
    /// Bytes of the wrong length for a fixed-length encoding.
    #[error("{what} encoding: expected {expected} bytes, got {actual}")]
    Encoding {
        /// What was being decoded.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A state code that is not one of [`TxState`]'s.
    #[error("unknown transaction state code {0}")]
    UnknownState(u8),
    /// The header's public key is not a valid Ed25519 point encoding.
    #[error("node {node}: public key is not a valid Ed25519 key")]
    BadPublicKey {
        /// The node named by the key.
        node: NodeId,
    },
    /// The header's signature does not verify.
    #[error("node {node}: root header signature does not verify")]
    BadSignature {
        /// The claimed signer.
        node: NodeId,
    },
    /// The leaf index is not below the leaf count (always the case for a count of zero).
    #[error("leaf index {index} is not below the leaf count {leaf_count}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u32,
        /// The header's leaf count.
        leaf_count: u32,
    },
    /// The path has the wrong number of levels for the leaf count.
    #[error("inclusion path has {actual} levels, {expected} expected for the leaf count")]
    PathLength {
        /// Levels the leaf count implies.
        expected: usize,
        /// Levels given.
        actual: usize,
    },
    /// A path entry is a sibling where none exists, or missing where one exists.
    #[error(
        "inclusion path level {level}: a sibling exists there: {expected_sibling}, path disagrees"
    )]
    PathShape {
        /// The level, 0 for the leaves.
        level: usize,
        /// Whether a sibling exists at that level.
        expected_sibling: bool,
    },
    /// The path does not lead to the signed root.
    #[error("node {node}: inclusion path does not lead to the signed root")]
    RootMismatch {
        /// The signer.
        node: NodeId,
    },
    /// A proof entry is about a different transaction.
    #[error("node {node}: observation is of transaction {found}, not {expected}")]
    WrongTransaction {
        /// The signer.
        node: NodeId,
        /// The transaction the proof is for.
        expected: TxHash,
        /// The transaction observed.
        found: TxHash,
    },
    /// A proof entry attests a state other than the one required.
    #[error("node {node}: observed state {found:?}, {required:?} required")]
    WrongState {
        /// The signer.
        node: NodeId,
        /// The state observed.
        found: TxState,
        /// The state required.
        required: TxState,
    },
    /// Fewer distinct nodes attest than required.
    #[error("{found} distinct nodes attest, {required} required")]
    NotEnoughNodes {
        /// Distinct attesting nodes.
        found: usize,
        /// Required.
        required: usize,
    },
    /// A chain of headers is broken at `position` (signer, sequence or `previous` hash).
    #[error("header chain broken at position {position}: {reason}")]
    ChainBroken {
        /// Index into the headers given.
        position: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The two halves of the evidence are signed by different nodes.
    #[error("evidence signed by two different nodes")]
    DifferentSigners,
    /// The two halves of the evidence do not conflict.
    #[error("evidence does not show a conflict: {0}")]
    NotConflicting(&'static str),
    /// The buffer was flushed with a different identity than its earlier roots.
    #[error("observation buffer flushed with a different identity than its chain's")]
    WrongIdentity,
    /// More observations than a header's `u32` leaf count can hold.
    #[error("{0} observations buffered, more than a root can hold")]
    TooManyObservations(usize),
    /// The store holds the observation chain of another node than the one opening it.
    #[error(
        "the store holds the observation chain of node {stored}, but this node is {node}: \
         start it with that node's key file, or on another data directory"
    )]
    ForeignChain {
        /// The node whose chain the store holds.
        stored: NodeId,
        /// The node opening the store.
        node: NodeId,
    },
    /// A record of the node's own chain in the store is missing or cannot be decoded.
    #[error("the store's observation chain is damaged: {record}: {reason}")]
    CorruptChain {
        /// The record (its sequence, or the index entry of which transaction).
        record: String,
        /// What is wrong with it.
        reason: String,
    },
}
