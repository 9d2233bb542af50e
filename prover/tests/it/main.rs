//! Integration tests of ramjet-prover.
mod rollup;
