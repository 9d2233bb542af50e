//! # The rollup: signed transfers over a Poseidon account tree
//!
//! (overview written at the end)

pub mod account;
pub mod circuit;
pub mod commitment;
pub mod demo;
pub mod eddsa;
pub mod gadgets;
pub mod poseidon;
mod serde_dec;
pub mod state;
pub mod tree;

pub use account::{Account, PointJson, PublicKey};
pub use circuit::{RollupCircuit, RollupWitness};
pub use eddsa::{Scalar, SecretKey, Signature};
pub use state::{AppliedBatch, Batch, PublicInputs, Rejection, State, Transfer, TransferWitness};
pub use tree::{AccountTree, MerklePath};

/// The deepest account tree supported (indices are below 2^32).
pub const MAX_DEPTH: usize = 32;

/// Width in bits of balances, amounts and nonces, natively (u64) and in the circuit's range checks.
pub const VALUE_BITS: usize = 64;
