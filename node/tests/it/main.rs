//! End-to-end tests of the `ramjet` binary.

mod devices;
mod rollup;
mod trust;
