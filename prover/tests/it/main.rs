//! Integration tests of ramjet-prover.
