//! Integration tests of ramjet-prover.

mod formats;
mod groth16;
mod inference;
mod rollup;
mod rollup_proofs;
