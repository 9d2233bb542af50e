//! Merkle inputs and outputs shared by `merkle_sha256` and `merkle_poseidon`.

use crate::Result;
use crate::sig_batch::check_offsets;

/// Leaves of a SHA-256 Merkle tree.
#[derive(Debug, Clone, Copy)]
pub enum MerkleLeaves<'a> {
    /// 32-byte leaves (transaction hashes, observation entries): the common, fast case.
    Digests(&'a [[u8; 32]]),
    /// Byte strings of any length, packed.
    Bytes(&'a PackedLeaves),
}

impl MerkleLeaves<'_> {
    /// Number of leaves.
    pub fn len(&self) -> usize {
        match self {
            MerkleLeaves::Digests(d) => d.len(),
            MerkleLeaves::Bytes(p) => p.len(),
        }
    }

    /// True if there are no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Leaf `i` as bytes.
    pub fn leaf(&self, i: usize) -> &[u8] {
        match self {
            MerkleLeaves::Digests(d) => &d[i],
            MerkleLeaves::Bytes(p) => p.leaf(i),
        }
    }
}

/// Byte-string leaves packed in one buffer: leaf `i` is `data[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedLeaves {
    data: Vec<u8>,
    offsets: Vec<usize>,
}

impl Default for PackedLeaves {
    fn default() -> Self {
        Self::new()
    }
}

impl PackedLeaves {
    /// No leaves yet.
    pub fn new() -> Self {
        Self {
            data: Vec::new(),
            offsets: vec![0],
        }
    }

    /// Builds from packed parts, checking the offsets (`leaves + 1` of them, from 0 to `data.len()`).
    pub fn from_parts(data: Vec<u8>, offsets: Vec<usize>) -> Result<Self> {
        if offsets.is_empty() {
            return Err(crate::AccelError::LengthMismatch {
                what: "merkle leaf offsets (leaves + 1)",
                expected: 1,
                actual: 0,
            });
        }
        check_offsets("merkle leaves", &offsets, data.len())?;
        Ok(Self { data, offsets })
    }

    /// Appends a leaf.
    pub fn push(&mut self, leaf: &[u8]) {
        self.data.extend_from_slice(leaf);
        self.offsets.push(self.data.len());
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True if there are no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Leaf `i`.
    pub fn leaf(&self, i: usize) -> &[u8] {
        &self.data[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The packed bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The offsets, `len() + 1` of them.
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }
}

/// Every level of a Merkle tree: `levels[0]` holds the leaf nodes, the last level holds the root
/// alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree<T> {
    /// Levels from the leaves up; never empty, the last one has exactly one node.
    pub levels: Vec<Vec<T>>,
}

impl<T: Copy> MerkleTree<T> {
    /// The root.
    pub fn root(&self) -> T {
        self.levels.last().expect("a tree has at least one level")[0]
    }

    /// Number of leaves (nodes at level 0).
    pub fn leaf_count(&self) -> usize {
        self.levels[0].len()
    }

    /// The sibling path of leaf `index`, bottom-up; `None` where the node had no sibling and moved
    /// up unchanged.
    pub fn path(&self, mut index: usize) -> Vec<Option<T>> {
        let mut path = Vec::with_capacity(self.levels.len());
        for level in &self.levels[..self.levels.len() - 1] {
            path.push(level.get(index ^ 1).copied());
            index /= 2;
        }
        path
    }
}
