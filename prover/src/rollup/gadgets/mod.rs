//! The circuit's gadgets over BN254's scalar field: Poseidon, Merkle paths, bit decompositions and
//! range checks, Baby Jubjub arithmetic and EdDSA verification.
//!
//! Every gadget allocates the same variables and constraints whether or not witness values are
//! present, so a circuit synthesized without a witness (key setup) has the shape of one with.

pub mod bits;
pub mod curve;
pub mod eddsa;
pub mod merkle;
pub mod poseidon;
