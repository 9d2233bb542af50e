//! Packed Ed25519 batches and their verdicts.

use crate::{AccelError, Result};

/// A batch of Ed25519 signatures to verify: public keys, signatures and messages, packed into flat
/// buffers so that a device backend can upload the whole batch in a few copies.
///
/// Message `i` is `messages[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigBatch {
    keys: Vec<[u8; 32]>,
    signatures: Vec<[u8; 64]>,
    messages: Vec<u8>,
    offsets: Vec<usize>,
}

impl Default for SigBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl SigBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::with_capacity(0, 0)
    }

    /// An empty batch with room for `items` signatures over `message_bytes` bytes of messages.
    pub fn with_capacity(items: usize, message_bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(items + 1);
        offsets.push(0);
        Self {
            keys: Vec::with_capacity(items),
            signatures: Vec::with_capacity(items),
            messages: Vec::with_capacity(message_bytes),
            offsets,
        }
    }

    /// Builds a batch from already packed parts, checking that they fit together.
    pub fn from_parts(
        keys: Vec<[u8; 32]>,
        signatures: Vec<[u8; 64]>,
        messages: Vec<u8>,
        offsets: Vec<usize>,
    ) -> Result<Self> {
        if signatures.len() != keys.len() {
            return Err(AccelError::LengthMismatch {
                what: "ed25519 signatures vs keys",
                expected: keys.len(),
                actual: signatures.len(),
            });
        }
        if offsets.len() != keys.len() + 1 {
            return Err(AccelError::LengthMismatch {
                what: "ed25519 message offsets (items + 1)",
                expected: keys.len() + 1,
                actual: offsets.len(),
            });
        }
        check_offsets("ed25519 messages", &offsets, messages.len())?;
        Ok(Self {
            keys,
            signatures,
            messages,
            offsets,
        })
    }

    /// Appends one item.
    pub fn push(&mut self, key: [u8; 32], signature: [u8; 64], message: &[u8]) {
        self.keys.push(key);
        self.signatures.push(signature);
        self.messages.extend_from_slice(message);
        self.offsets.push(self.messages.len());
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if the batch holds no item.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Public key of item `i` (32 bytes as received: possibly non-canonical or invalid).
    pub fn key(&self, i: usize) -> &[u8; 32] {
        &self.keys[i]
    }

    /// Signature of item `i` (`R ‖ S`, 64 bytes as received).
    pub fn signature(&self, i: usize) -> &[u8; 64] {
        &self.signatures[i]
    }

    /// Message of item `i`.
    pub fn message(&self, i: usize) -> &[u8] {
        &self.messages[self.offsets[i]..self.offsets[i + 1]]
    }

    /// All public keys.
    pub fn keys(&self) -> &[[u8; 32]] {
        &self.keys
    }

    /// All signatures.
    pub fn signatures(&self) -> &[[u8; 64]] {
        &self.signatures
    }

    /// The packed message bytes.
    pub fn message_bytes(&self) -> &[u8] {
        &self.messages
    }

    /// Message offsets, `len() + 1` of them, starting at 0.
    pub fn message_offsets(&self) -> &[usize] {
        &self.offsets
    }
}

/// Checks that `offsets` starts at 0, never decreases and ends at `len`.
pub(crate) fn check_offsets(what: &'static str, offsets: &[usize], len: usize) -> Result<()> {
    let mut previous = 0;
    for (index, &offset) in offsets.iter().enumerate() {
        let first_not_zero = index == 0 && offset != 0;
        let last_not_len = index + 1 == offsets.len() && offset != len;
        if first_not_zero || offset < previous || offset > len || last_not_len {
            return Err(AccelError::BadOffsets {
                what,
                index,
                offset,
                len,
            });
        }
        previous = offset;
    }
    Ok(())
}

/// One verdict per item of a [`SigBatch`]: `true` where the signature is valid under ZIP-215.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdicts(pub Vec<bool>);

impl Verdicts {
    /// True if every item is valid (and vacuously for an empty batch).
    pub fn all_valid(&self) -> bool {
        self.0.iter().all(|&v| v)
    }

    /// Indices of the invalid items.
    pub fn invalid(&self) -> impl Iterator<Item = usize> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|(_, v)| !**v)
            .map(|(i, _)| i)
    }

    /// Number of verdicts.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
