//! Integration tests of ramjet-prover.

mod groth16;
