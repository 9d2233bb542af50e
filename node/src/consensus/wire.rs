//! The gossip messages and their canonical encodings.
//!
//! Every message is one frame: a one-byte kind tag followed by its body. The bodies reuse the
//! canonical encodings of `tx`, `observe` ([`Observation::encode`], [`SignedRoot::encode`]); the
//! layout is specified byte by byte in `docs/consensus.md`.

use sha2::{Digest, Sha256};

use super::ConsensusError;
use crate::observe::{Evidence, InclusionProof, OBSERVATION_LEN, Observation, SignedRoot};
use crate::tx::{Transaction, TxHash};

/// Kind tag of [`Message::Tx`].
pub const KIND_TX: u8 = 0;
/// Kind tag of [`Message::Roots`].
pub const KIND_ROOTS: u8 = 1;
/// Kind tag of [`Message::Evidence`].
pub const KIND_EVIDENCE: u8 = 2;
/// Kind tag of a transaction batch on the transaction topic ([`encode_tx_batch`]).
pub const KIND_TX_BATCH: u8 = 3;
/// Fewest transactions in a batch frame: a single transaction travels as [`Message::Tx`].
pub const MIN_TX_BATCH: usize = 2;
/// Most transactions in a batch frame.
pub const MAX_TX_BATCH: usize = 1024;
/// Domain tag hashed before an evidence message's body to form its id.
pub const EVIDENCE_ID_DOMAIN: &[u8] = b"ramjet/evidence/v1";
/// Length of a signed root's encoding: header then signature (the observation buffer's).
pub use crate::observe::SIGNED_ROOT_LEN;

/// What nodes gossip to each other.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Message {
    /// A transaction to validate and, if it is new, valid and not a second spender, relay.
    Tx(Transaction),
    /// One flushed epoch of a node: its signed root and the observations under it, in leaf
    /// order. A receiver recomputes the root over the observations' leaf digests.
    Roots {
        /// The signed root.
        root: SignedRoot,
        /// The epoch's observations, `root.header.leaf_count` of them.
        observations: Vec<Observation>,
    },
    /// Proof that a node signed conflicting observations (boxed: two inclusion proofs are
    /// large next to the other variants).
    Evidence(Box<Evidence>),
}

/// A message's id, what relays deduplicate on: the transaction hash for [`Message::Tx`], the
/// header hash for [`Message::Roots`], and SHA-256(`EVIDENCE_ID_DOMAIN` ‖ body) for
/// [`Message::Evidence`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct MessageId(pub [u8; 32]);

impl Message {
    /// The message's id (see [`MessageId`]).
    pub fn id(&self) -> MessageId {
        match self {
            Message::Tx(tx) => MessageId(tx.hash().0),
            Message::Roots { root, .. } => MessageId(root.header.hash()),
            Message::Evidence(evidence) => {
                let mut body = Vec::new();
                encode_evidence(evidence, &mut body);
                MessageId(
                    Sha256::new()
                        .chain_update(EVIDENCE_ID_DOMAIN)
                        .chain_update(&body)
                        .finalize()
                        .into(),
                )
            }
        }
    }

    /// The transaction's hash, for a [`Message::Tx`].
    pub fn tx_hash(&self) -> Option<TxHash> {
        match self {
            Message::Tx(tx) => Some(tx.hash()),
            _ => None,
        }
    }

    /// The canonical frame: kind tag ‖ body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Message::Tx(tx) => {
                out.push(KIND_TX);
                out.extend_from_slice(&tx.encode());
            }
            Message::Roots { root, observations } => {
                out.push(KIND_ROOTS);
                encode_signed_root(root, &mut out);
                out.extend_from_slice(&(observations.len() as u32).to_le_bytes());
                for obs in observations {
                    out.extend_from_slice(&obs.encode());
                }
            }
            Message::Evidence(evidence) => {
                out.push(KIND_EVIDENCE);
                encode_evidence(evidence, &mut out);
            }
        }
        out
    }

    /// Decodes [`encode`](Self::encode)'s output; any other bytes are rejected (trailing bytes
    /// included), so a message has exactly one encoding.
    pub fn decode(bytes: &[u8]) -> Result<Self, ConsensusError> {
        let (&kind, body) = bytes
            .split_first()
            .ok_or(ConsensusError::Malformed("empty frame"))?;
        let mut r = Reader { bytes: body };
        let msg = match kind {
            KIND_TX => {
                let tx = Transaction::decode(body)?;
                r.bytes = &[];
                Message::Tx(tx)
            }
            KIND_ROOTS => {
                let root = r.signed_root()?;
                let count = u32::from_le_bytes(r.array::<4>()?) as usize;
                if count != root.header.leaf_count as usize {
                    return Err(ConsensusError::Malformed(
                        "observation count differs from the header's leaf count",
                    ));
                }
                if r.bytes.len() != count.saturating_mul(OBSERVATION_LEN) {
                    return Err(ConsensusError::Malformed(
                        "observations do not fill the frame",
                    ));
                }
                let mut observations = Vec::with_capacity(count);
                for _ in 0..count {
                    observations.push(Observation::decode(r.take(OBSERVATION_LEN)?)?);
                }
                Message::Roots { root, observations }
            }
            KIND_EVIDENCE => Message::Evidence(Box::new(match r.byte()? {
                0 => Evidence::SameSequence {
                    a: r.signed_root()?,
                    b: r.signed_root()?,
                },
                1 => Evidence::ConflictingStates {
                    a: r.inclusion_proof()?,
                    b: r.inclusion_proof()?,
                },
                _ => return Err(ConsensusError::Malformed("unknown evidence kind")),
            })),
            _ => return Err(ConsensusError::Malformed("unknown message kind")),
        };
        if !r.bytes.is_empty() {
            return Err(ConsensusError::Malformed("trailing bytes"));
        }
        Ok(msg)
    }
}

/// Encodes a list of inclusion proofs (a fetch answer, the entries of a finality proof):
/// a `u16` LE count, then each proof as in [`Message::Evidence`]'s conflicting-states body.
///
/// # Panics
/// With more than 65,535 proofs.
pub fn encode_inclusion_proofs(proofs: &[InclusionProof]) -> Vec<u8> {
    let count = u16::try_from(proofs.len()).expect("at most 65,535 inclusion proofs");
    let mut out = count.to_le_bytes().to_vec();
    for proof in proofs {
        encode_proof(proof, &mut out);
    }
    out
}

/// Decodes [`encode_inclusion_proofs`]'s output; any other bytes, trailing bytes included, are
/// rejected. The proofs are decoded, not verified.
pub fn decode_inclusion_proofs(bytes: &[u8]) -> Result<Vec<InclusionProof>, ConsensusError> {
    let mut r = Reader { bytes };
    let count = u16::from_le_bytes(r.array::<2>()?);
    let mut proofs = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        proofs.push(r.inclusion_proof()?);
    }
    if !r.bytes.is_empty() {
        return Err(ConsensusError::Malformed("trailing bytes"));
    }
    Ok(proofs)
}

/// Encodes transactions gossiped together, each already in its canonical encoding
/// ([`Transaction::encode`]): `KIND_TX_BATCH` ‖ `count: u16` LE ‖ `count` times
/// (`length: u32` LE ‖ the encoding). A node publishes the transactions that turn Pending in
/// one step as one such frame instead of one [`Message::Tx`] each (`docs/consensus.md`,
/// "Messages").
///
/// # Panics
/// With fewer than [`MIN_TX_BATCH`] or more than [`MAX_TX_BATCH`] transactions.
pub fn encode_tx_batch(encoded: &[Vec<u8>]) -> Vec<u8> {
    assert!(
        (MIN_TX_BATCH..=MAX_TX_BATCH).contains(&encoded.len()),
        "a transaction batch holds {MIN_TX_BATCH} to {MAX_TX_BATCH} transactions"
    );
    let body: usize = encoded.iter().map(|tx| 4 + tx.len()).sum();
    let mut out = Vec::with_capacity(3 + body);
    out.push(KIND_TX_BATCH);
    out.extend_from_slice(&(encoded.len() as u16).to_le_bytes());
    for tx in encoded {
        out.extend_from_slice(&(tx.len() as u32).to_le_bytes());
        out.extend_from_slice(tx);
    }
    out
}

/// Decodes [`encode_tx_batch`]'s output into its transactions, in order. Rejected: another
/// kind, a count outside [`MIN_TX_BATCH`]..=[`MAX_TX_BATCH`], a length past the frame's end,
/// a transaction that does not decode (its length must be exactly its encoding's) and trailing
/// bytes. The transactions are decoded, not validated, and a transaction repeated within the
/// batch is returned twice (a duplicate like any other).
pub fn decode_tx_batch(bytes: &[u8]) -> Result<Vec<Transaction>, ConsensusError> {
    let mut r = Reader { bytes };
    if r.byte()? != KIND_TX_BATCH {
        return Err(ConsensusError::Malformed("not a transaction batch"));
    }
    let count = usize::from(u16::from_le_bytes(r.array::<2>()?));
    if !(MIN_TX_BATCH..=MAX_TX_BATCH).contains(&count) {
        return Err(ConsensusError::Malformed(
            "transaction batch count out of range",
        ));
    }
    let mut txs = Vec::with_capacity(count);
    for _ in 0..count {
        let length = u32::from_le_bytes(r.array::<4>()?) as usize;
        txs.push(Transaction::decode(r.take(length)?)?);
    }
    if !r.bytes.is_empty() {
        return Err(ConsensusError::Malformed("trailing bytes"));
    }
    Ok(txs)
}

fn encode_signed_root(root: &SignedRoot, out: &mut Vec<u8>) {
    out.extend_from_slice(&root.encode());
}

fn encode_proof(proof: &InclusionProof, out: &mut Vec<u8>) {
    encode_signed_root(&proof.header, out);
    out.extend_from_slice(&proof.observation.encode());
    out.extend_from_slice(&proof.index.to_le_bytes());
    out.push(proof.path.len() as u8);
    for entry in &proof.path {
        match entry {
            None => out.push(0),
            Some(sibling) => {
                out.push(1);
                out.extend_from_slice(sibling);
            }
        }
    }
}

fn encode_evidence(evidence: &Evidence, out: &mut Vec<u8>) {
    match evidence {
        Evidence::SameSequence { a, b } => {
            out.push(0);
            encode_signed_root(a, out);
            encode_signed_root(b, out);
        }
        Evidence::ConflictingStates { a, b } => {
            out.push(1);
            encode_proof(a, out);
            encode_proof(b, out);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ConsensusError> {
        if self.bytes.len() < n {
            return Err(ConsensusError::Malformed("frame too short"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ConsensusError> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    fn byte(&mut self) -> Result<u8, ConsensusError> {
        Ok(self.take(1)?[0])
    }

    fn signed_root(&mut self) -> Result<SignedRoot, ConsensusError> {
        Ok(SignedRoot::decode(self.take(SIGNED_ROOT_LEN)?)?)
    }

    fn inclusion_proof(&mut self) -> Result<InclusionProof, ConsensusError> {
        let header = self.signed_root()?;
        let observation = Observation::decode(self.take(OBSERVATION_LEN)?)?;
        let index = u32::from_le_bytes(self.array::<4>()?);
        let levels = self.byte()?;
        let mut path = Vec::with_capacity(usize::from(levels));
        for _ in 0..levels {
            path.push(match self.byte()? {
                0 => None,
                1 => Some(self.array::<32>()?),
                _ => return Err(ConsensusError::Malformed("path entry flag is not 0 or 1")),
            });
        }
        Ok(InclusionProof {
            header,
            observation,
            index,
            path,
        })
    }
}
