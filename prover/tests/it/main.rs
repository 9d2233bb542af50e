//! Integration tests of ramjet-prover.

mod formats;
mod groth16;
mod inference;
mod inference_halo2;
mod inference_halo2_hashed;
mod inference_halo2_io;
mod rollup;
mod rollup_proofs;
