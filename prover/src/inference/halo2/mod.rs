//! # Proof of inference with halo2: the fixed-weights and the hashed-weights circuits
//!
//! The same quantised model and the same arithmetic as [`QuantisedModel::infer`] and the
//! Groth16 [`circuit`](super::circuit), proved with `halo2_proofs` (zcash's PLONKish halo2, IPA
//! commitments over the Pasta curves): no trusted setup.
//!
//! - [`config`]: the columns, gates and the range-check lookup, and each circuit's [`Shape`](config::Shape);
//! - [`layout`]: the forward pass laid out in them (dense layers as linear rows with the weights
//!   in fixed columns, rescaling and ReLU through range checks);
//! - [`circuit`]: the [`Halo2InferenceCircuit`], its instance (input then output) and `k`;
//! - [`proof`]: parameters, keys, proving, verifying;
//! - [`hashed`]: the *hashed* binding — the weights private advice under a Poseidon commitment
//!   (`halo2_gadgets`' `P128Pow5T3`), the first instance value; one verifying key per
//!   architecture. Its layout of the committed weights is in `committed` and [`matrix`];
//! - [`permutation`]: ramjet's Poseidon chip, the same hash as `halo2_gadgets`' in gates of
//!   degree 4 and several rounds a row;
//! - [`io`]: hashed input and output (a section's values private, their Poseidon hash in the
//!   instance), with either binding; the Poseidon sponge and packing are in `poseidon`;
//! - [`design`]: one entry point for every combination of binding and visibility ([`Design`]).
//!
//! # The model commitment
//!
//! The weights are fixed-column values, so they are in the verifying key (as the fixed columns'
//! commitments). Keys are derived from the circuit alone ([`Params::new`](halo2_proofs::poly::commitment::Params::new)
//! hashes its bases from `k`): whoever holds the model regenerates the verifying key with
//! [`verifying_key`] and compares its [`VerifyingKeyDigest`] with the published one. The digest is
//! the model commitment; a proof made for another model does not verify against it.
//!
//! [`QuantisedModel::infer`]: super::QuantisedModel::infer

pub mod circuit;
mod committed;
pub mod config;
pub mod design;
pub mod hashed;
pub mod io;
pub mod layout;
pub mod matrix;
pub mod permutation;
mod poseidon;
pub mod proof;

pub use circuit::{Halo2HashedIoCircuit, Halo2InferenceCircuit, circuit_k, instance};
pub use design::{Design, DesignProof, verify_instance};
/// The field of the halo2 circuits (Vesta's scalar field, Pallas' base field).
pub use halo2_proofs::pasta::Fp;
pub use layout::rows;
pub use proof::{
    Halo2Proof, VerifyingKeyDigest, is_satisfied, params, params_for, prove, proving_key, verify,
    verifying_key,
};
