//! # The rollup: signed transfers over a Poseidon account tree
//!
//! A [`State`] is a set of [`Account`]s (index, Baby Jubjub public key, u64 balance, u64 nonce)
//! in an [`AccountTree`]: a sparse binary Merkle tree of fixed depth D (1 to [`MAX_DEPTH`]) whose
//! leaf `i` is account `i`'s [`account_leaf`](account::account_leaf) =
//! `Poseidon4(pk.x, pk.y, balance, nonce)`, 0 for an empty slot, and whose nodes are
//! `Poseidon2(left, right)`: the accelerator's `merkle_poseidon` hash (circomlib Poseidon,
//! [`poseidon`]), so the root of a tree equals `merkle_poseidon` over its 2^D leaves.
//!
//! A [`Batch`] of [`Transfer`]s (`from`, `to`, `amount`, `nonce`, EdDSA-Poseidon
//! [`Signature`] on `Poseidon4(from, to, amount, nonce)`; scheme in [`eddsa`]) moves the state
//! forward with [`State::apply`], which checks every rule ([`Rejection`]), returns the new state,
//! one [`TransferWitness`] per transfer and the [`PublicInputs`]; a rejected transfer fails the
//! batch with [`ProverError::RollupTransfer`](crate::ProverError::RollupTransfer) naming its
//! position.
//!
//! The [`RollupCircuit`] proves the same transition: its public inputs are, in order, the old
//! root, the new root and the batch commitment ([`commitment`]); what it checks is listed in
//! [`circuit`]. [`RollupCircuit::blank`] gives the same circuit without a witness, for key setup;
//! [`demo`] builds random valid genesis states and batches.
//!
//! ## Size
//!
//! Per transfer at depth 20: **24,814 constraints** (the test `constraints_per_transfer_at_depth_20`
//! recomputes this breakdown gadget by gadget and checks that it adds up):
//!
//! | part | constraints |
//! | --- | ---: |
//! | 4 Merkle paths (sender and receiver, before and after): 80 `Poseidon2` of 240, 80 orderings | 19,280 |
//! | 5 `Poseidon4` of 297: 4 account leaves, the transfer message | 1,485 |
//! | commitment chain, 1 `Poseidon2` | 240 |
//! | signature: challenge `Poseidon5` (321), h's 254 bits below p (407), `e·A8` (1,560), `S·B8` (748), S's 251 bits below l (424), curve checks and cofactor doublings (37), final addition and equality (8) | 3,505 |
//! | 64-bit quantities: amount bits (64), sender balance, sender nonce, receiver balance (3 × 65) | 259 |
//! | index bits of `from` and `to` (2 × 20) | 40 |
//! | `from ≠ to`, `amount ≠ 0`, nonce equality, 2 root equalities | 5 |
//!
//! ## JSON
//!
//! Field elements are canonical decimal strings; balances, amounts and nonces are u64 as decimal
//! strings (JSON integers accepted on input); account indices are JSON numbers.
//!
//! - State or genesis file ([`State`]): `{"depth": 20, "root": "<decimal>", "accounts":
//!   [{"index": 5, "public_key": {"x": "<decimal>", "y": "<decimal>"}, "balance": "1000",
//!   "nonce": "0"}, …]}` (`root` optional on input, checked if present).
//! - Batch ([`Batch`]): `{"transfers": [{"from": 0, "to": 3, "amount": "250", "nonce": "7",
//!   "signature": {"r": {"x": "<decimal>", "y": "<decimal>"}, "s": "<decimal>"}}, …]}`.
//! - Public inputs ([`PublicInputs`]): `{"old_root": "<decimal>", "new_root": "<decimal>",
//!   "commitment": "<decimal>"}`.

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
