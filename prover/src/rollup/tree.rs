//! The account tree: a sparse binary Merkle tree of fixed depth over circomlib `Poseidon(2)`.
//!
//! Depth D holds 2^D leaves; leaf i sits at position i of level 0, a node is
//! `Poseidon2(left, right)`, the root is the single node of level D. An empty slot's leaf is 0, so
//! the root equals the accelerator's `merkle_poseidon` over all 2^D leaves with zeros in the empty
//! slots (a full tree, where no odd node ever moves up).

use std::collections::HashMap;
use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::Zero;

use super::{MAX_DEPTH, poseidon};
use crate::{ProverError, Result};

/// `empty_node(level)`: the value of a node of `level` (0 = leaf) whose leaves are all empty:
/// 0 for a leaf, `Poseidon2(e, e)` of the level below otherwise.
///
/// # Panics
/// If `level > MAX_DEPTH`.
pub fn empty_node(level: usize) -> Fr {
    static EMPTY: OnceLock<Vec<Fr>> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut nodes = vec![Fr::zero()];
        for level in 0..MAX_DEPTH {
            nodes.push(poseidon::hash2(nodes[level], nodes[level]));
        }
        nodes
    })[level]
}

/// Checks `1 ≤ depth ≤ MAX_DEPTH`.
pub(crate) fn check_depth(depth: usize) -> Result<()> {
    if (1..=MAX_DEPTH).contains(&depth) {
        Ok(())
    } else {
        Err(ProverError::RollupInvalid(format!(
            "tree depth {depth} is outside 1..={MAX_DEPTH}"
        )))
    }
}

/// A Merkle path: the siblings of a leaf's ancestors, from the leaf's own sibling up to the child
/// of the root (`depth` of them). Bit `l` of the leaf's index says whether the node at level `l` is
/// a right child (1) or a left child (0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// Siblings from level 0 (the leaf's sibling) to level `depth - 1`.
    pub siblings: Vec<Fr>,
}

impl MerklePath {
    /// The root that `leaf` at `index` hashes up to along this path.
    pub fn root(&self, index: u64, leaf: Fr) -> Fr {
        let mut node = leaf;
        for (level, sibling) in self.siblings.iter().enumerate() {
            node = if (index >> level) & 1 == 0 {
                poseidon::hash2(node, *sibling)
            } else {
                poseidon::hash2(*sibling, node)
            };
        }
        node
    }
}

/// The sparse tree: only nodes above non-empty leaves are stored.
#[derive(Clone, Debug)]
pub struct AccountTree {
    depth: usize,
    /// `nodes[level]`: the stored nodes of that level by position (level 0 = leaves).
    nodes: Vec<HashMap<u64, Fr>>,
}

impl AccountTree {
    /// An empty tree of `depth` (1 to [`MAX_DEPTH`]).
    pub fn new(depth: usize) -> Result<Self> {
        check_depth(depth)?;
        Ok(Self {
            depth,
            nodes: vec![HashMap::new(); depth + 1],
        })
    }

    /// The depth D: the tree holds 2^D leaves and paths have D siblings.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaf positions, 2^depth.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    /// The root.
    pub fn root(&self) -> Fr {
        self.node(self.depth, 0)
    }

    /// Node `index` of `level` (0 = leaves, `depth` = root); empty subtrees give [`empty_node`].
    ///
    /// # Panics
    /// If `level > depth`.
    pub fn node(&self, level: usize, index: u64) -> Fr {
        self.nodes[level]
            .get(&index)
            .copied()
            .unwrap_or_else(|| empty_node(level))
    }

    /// Leaf `index` (0 if empty or out of range).
    pub fn leaf(&self, index: u64) -> Fr {
        self.node(0, index)
    }

    fn check_index(&self, index: u64) -> Result<()> {
        if index < self.capacity() {
            Ok(())
        } else {
            Err(ProverError::RollupInvalid(format!(
                "leaf index {index} is outside a tree of depth {} (capacity {})",
                self.depth,
                self.capacity()
            )))
        }
    }

    /// Sets leaf `index` and rehashes its ancestors.
    pub fn set_leaf(&mut self, index: u64, leaf: Fr) -> Result<()> {
        self.check_index(index)?;
        let mut position = index;
        let mut node = leaf;
        self.nodes[0].insert(position, node);
        for level in 0..self.depth {
            let sibling = self.node(level, position ^ 1);
            node = if position & 1 == 0 {
                poseidon::hash2(node, sibling)
            } else {
                poseidon::hash2(sibling, node)
            };
            position >>= 1;
            self.nodes[level + 1].insert(position, node);
        }
        Ok(())
    }

    /// The path of leaf `index`.
    pub fn path(&self, index: u64) -> Result<MerklePath> {
        self.check_index(index)?;
        let siblings = (0..self.depth)
            .map(|level| self.node(level, (index >> level) ^ 1))
            .collect();
        Ok(MerklePath { siblings })
    }
}
