//! # ramjet-prover: Groth16 on the accelerator, the rollup and inference circuits, proof formats
//!
//! - [`groth16`]: a Groth16 prover over arkworks types (`ark_groth16::ProvingKey<Bn254>` in,
//!   `ark_groth16::Proof<Bn254>` out) whose witness map runs on the accelerator's NTT and whose
//!   five MSMs run on its MSM, with the proving key's bases resident between proofs.
//! - [`rollup`]: a batch of signed transfers over a Poseidon account tree: the native state
//!   transition and the circuit that proves it.
//! - [`inference`]: proof of inference: ONNX models of feed-forward networks, fixed-point
//!   quantisation and native inference, and the circuit proving `y = model(x)`.
//! - [`formats`]: arkworks canonical bytes, snarkjs-compatible JSON and a Solidity verifier.
//!
//! Errors are [`ProverError`].

mod error;
pub mod formats;
pub mod groth16;
pub mod inference;
pub mod rollup;

pub use error::{ProverError, Result};
