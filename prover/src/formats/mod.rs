//! Proofs and keys in the formats the ecosystem reads.
//!
//! Everything here is over BN254 (`ark_bn254::Bn254`) and in terms of ark-groth16's types:
//! [`ProvingKey`](ark_groth16::ProvingKey), [`VerifyingKey`](ark_groth16::VerifyingKey),
//! [`Proof`](ark_groth16::Proof) and public inputs as `[Fr]`.
//!
//! - [`canonical`]: arkworks' compressed `CanonicalSerialize` bytes, for Rust programs using
//!   arkworks (keys, proofs, public inputs; in memory or in files).
//! - [`snarkjs`]: snarkjs' `verification_key.json`, `proof.json` and `public.json`, written and
//!   read, so that `snarkjs groth16 verify` (and the tools that read snarkjs' files: rapidsnark
//!   users, circom tooling, web verifiers) accept ramjet's proofs, and ramjet reads theirs.
//! - [`solidity`]: a Groth16 verifier contract for one verifying key, using the EVM's BN254
//!   precompiles, and proofs as its calldata in snarkjs' `generatecall` format.
//!
//! Every reader validates what it reads (numbers below their modulus, points on the curve and in
//! the prime-order subgroup) and fails with [`ProverError::FormatDecode`] naming the file (or
//! `"bytes"` / `"JSON"` for in-memory input), what it should have held and what was wrong. File
//! system errors are [`ProverError::FormatIo`] with the path. Writers that can refuse their input
//! fail with [`ProverError::FormatEncode`].
//!
//! [`ProverError::FormatDecode`]: crate::ProverError::FormatDecode
//! [`ProverError::FormatIo`]: crate::ProverError::FormatIo
//! [`ProverError::FormatEncode`]: crate::ProverError::FormatEncode
//!
//! The functions are re-exported here; the submodules hold the detailed format descriptions.

pub mod canonical;
pub mod snarkjs;
pub mod solidity;

pub use canonical::{
    proof_from_bytes, proof_to_bytes, proving_key_from_bytes, proving_key_to_bytes,
    public_inputs_from_bytes, public_inputs_to_bytes, read_proof, read_proving_key,
    read_public_inputs, read_verifying_key, verifying_key_from_bytes, verifying_key_to_bytes,
    write_proof, write_proving_key, write_public_inputs, write_verifying_key,
};
pub use snarkjs::{
    SnarkjsProof, SnarkjsVerifyingKey, proof_from_json, proof_to_json, public_inputs_from_json,
    public_inputs_from_snarkjs, public_inputs_to_json, public_inputs_to_snarkjs, read_proof_json,
    read_public_inputs_json, read_verification_key_json, verification_key_from_json,
    verification_key_to_json, write_proof_json, write_public_inputs_json,
    write_verification_key_json,
};
pub use solidity::{
    DEFAULT_CONTRACT_NAME, solidity_calldata, solidity_verifier, write_solidity_verifier,
};
