//! Integration tests of ramjet-prover.

mod formats;
