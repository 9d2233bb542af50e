//! arkworks canonical bytes: `CanonicalSerialize` / `CanonicalDeserialize` in compressed mode.
//!
//! These are the bytes `ark-serialize` 0.6 writes with `serialize_compressed` and reads with
//! `deserialize_compressed` (which is `Compress::Yes, Validate::Yes`): any Rust program that uses
//! `ark-groth16` 0.4–0.6 over `ark-bn254` reads them directly. Reading always validates (every
//! point is checked to be on the curve and in the prime-order subgroup, every field element to be
//! below its modulus) and rejects trailing bytes.
//!
//! # Byte layout (BN254, compressed)
//!
//! - **Scalar `Fr`** (public inputs): 32 bytes, the canonical integer (`< r`, not Montgomery
//!   form) in little-endian byte order.
//! - **Base field `Fq`**: 32 bytes, the canonical integer (`< q`) in little-endian byte order.
//!   Since `q < 2^254`, the two most significant bits of the last byte (byte 31) are free and hold
//!   the point flags below.
//! - **G1 point** (`G1Affine`): 32 bytes, the affine `x` as an `Fq` with flags in byte 31:
//!   bit 7 (`0x80`) is set when `y > (q - 1) / 2` (arkworks' "y is negative": `y` is the larger
//!   of `y` and `q - y` as integers), bit 6 (`0x40`) marks the point at infinity (then `x` is 0).
//!   The reader recomputes `y` from `x` and the flag.
//! - **G2 point** (`G2Affine`): 64 bytes, the affine `x = x.c0 + x.c1·u` as `x.c0` (32 bytes LE)
//!   then `x.c1` (32 bytes LE), flags in the last byte (byte 63, the top of `x.c1`): bit 6 is
//!   infinity, bit 7 is set when `y > -y` in arkworks' lexicographic order on `Fq2` (compare
//!   `c1` first, then `c0`, each as an integer).
//! - **`Vec<T>`**: the length as a `u64` little-endian (8 bytes), then each element.
//!
//! Composite values are their fields in declaration order, with no padding or tags:
//!
//! - **[`Proof<Bn254>`]**: `a` (G1, 32) ‖ `b` (G2, 64) ‖ `c` (G1, 32): always 128 bytes.
//! - **[`VerifyingKey<Bn254>`]**: `alpha_g1` (G1) ‖ `beta_g2` (G2) ‖ `gamma_g2` (G2) ‖
//!   `delta_g2` (G2) ‖ `gamma_abc_g1` (`Vec<G1>`, `n + 1` points for `n` public inputs):
//!   `32 + 3·64 + 8 + 32·(n + 1)` bytes.
//! - **[`ProvingKey<Bn254>`]**: `vk` (as above) ‖ `beta_g1` (G1) ‖ `delta_g1` (G1) ‖ `a_query`
//!   (`Vec<G1>`) ‖ `b_g1_query` (`Vec<G1>`) ‖ `b_g2_query` (`Vec<G2>`) ‖ `h_query` (`Vec<G1>`) ‖
//!   `l_query` (`Vec<G1>`).
//! - **Public inputs** (`Vec<Fr>`): 8-byte little-endian count, then 32 bytes per input, in the
//!   order the circuit allocated them (the order `Groth16::verify_proof` takes them).
//!
//! The reference for all of this is arkworks' own code: `ark-serialize` (`Vec`, integers),
//! `ark-ff` (`Fp::serialize_with_flags`, `QuadExtField::serialize_with_flags`) and `ark-ec`
//! (`SWCurveConfig::serialize_with_mode`, `SWFlags`).

use std::path::Path;

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};

use crate::{ProverError, Result};

/// What a proving key file should contain, as named in errors.
const PROVING_KEY: &str = "a BN254 Groth16 proving key (arkworks compressed bytes)";
/// What a verifying key file should contain, as named in errors.
const VERIFYING_KEY: &str = "a BN254 Groth16 verifying key (arkworks compressed bytes)";
/// What a proof file should contain, as named in errors.
const PROOF: &str = "a BN254 Groth16 proof (arkworks compressed bytes)";
/// What a public-inputs file should contain, as named in errors.
const PUBLIC_INPUTS: &str = "BN254 public inputs (arkworks compressed bytes, Vec<Fr>)";

/// The origin named in errors for values decoded from memory rather than a file.
const BYTES: &str = "bytes";

/// Serializes `value` compressed. Serializing into a `Vec` cannot fail for these types (they have
/// no invalid states to report), but the error is still propagated rather than unwrapped.
fn to_bytes<T: CanonicalSerialize>(value: &T, target: &'static str) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(value.compressed_size());
    value
        .serialize_compressed(&mut bytes)
        .map_err(|e| ProverError::FormatEncode {
            target,
            reason: e.to_string(),
        })?;
    Ok(bytes)
}

/// Deserializes compressed, validated bytes and requires that they are all consumed.
fn from_bytes<T: CanonicalDeserialize>(
    bytes: &[u8],
    origin: &str,
    expected: &'static str,
) -> Result<T> {
    let mut reader = bytes;
    let value = T::deserialize_compressed(&mut reader).map_err(|e| ProverError::FormatDecode {
        origin: origin.to_owned(),
        expected,
        reason: explain(&e, bytes.len(), bytes.len() - reader.len()),
    })?;
    if !reader.is_empty() {
        return Err(ProverError::FormatDecode {
            origin: origin.to_owned(),
            expected,
            reason: format!(
                "{} trailing bytes after the first {} bytes",
                reader.len(),
                bytes.len() - reader.len()
            ),
        });
    }
    Ok(value)
}

/// An arkworks deserialization error in words: what went wrong and where.
fn explain(error: &SerializationError, len: usize, read: usize) -> String {
    match error {
        SerializationError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("too short: the {len} bytes end in the middle of a value")
        }
        SerializationError::InvalidData => format!(
            "invalid data within the first {read} bytes (a point off the curve or outside the \
             prime-order subgroup, a number not below its modulus, or invalid flag bits)"
        ),
        SerializationError::UnexpectedFlags => {
            format!("invalid flag bits within the first {read} bytes")
        }
        other => format!("{other} (after reading {read} of {len} bytes)"),
    }
}

/// Writes `bytes` to `path`, naming the file in the error.
pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| ProverError::FormatIo {
        path: path.to_owned(),
        source,
    })
}

/// Reads all of `path`, naming the file in the error.
pub(super) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| ProverError::FormatIo {
        path: path.to_owned(),
        source,
    })
}

/// A proving key as compressed canonical bytes (layout in the [module docs](self)).
pub fn proving_key_to_bytes(pk: &ProvingKey<Bn254>) -> Result<Vec<u8>> {
    to_bytes(pk, "a proving key as arkworks bytes")
}

/// Reads a proving key from compressed canonical bytes, validating every point. Errors are
/// [`ProverError::FormatDecode`] with origin `"bytes"`.
pub fn proving_key_from_bytes(bytes: &[u8]) -> Result<ProvingKey<Bn254>> {
    from_bytes(bytes, BYTES, PROVING_KEY)
}

/// Writes a proving key to `path` as compressed canonical bytes.
pub fn write_proving_key(path: impl AsRef<Path>, pk: &ProvingKey<Bn254>) -> Result<()> {
    write_file(path.as_ref(), &proving_key_to_bytes(pk)?)
}

/// Reads a proving key written by [`write_proving_key`] (or by any arkworks program with
/// `serialize_compressed`). Errors name the file.
pub fn read_proving_key(path: impl AsRef<Path>) -> Result<ProvingKey<Bn254>> {
    let path = path.as_ref();
    from_bytes(&read_file(path)?, &path.display().to_string(), PROVING_KEY)
}

/// A verifying key as compressed canonical bytes (layout in the [module docs](self)).
pub fn verifying_key_to_bytes(vk: &VerifyingKey<Bn254>) -> Result<Vec<u8>> {
    to_bytes(vk, "a verifying key as arkworks bytes")
}

/// Reads a verifying key from compressed canonical bytes, validating every point.
pub fn verifying_key_from_bytes(bytes: &[u8]) -> Result<VerifyingKey<Bn254>> {
    from_bytes(bytes, BYTES, VERIFYING_KEY)
}

/// Writes a verifying key to `path` as compressed canonical bytes.
pub fn write_verifying_key(path: impl AsRef<Path>, vk: &VerifyingKey<Bn254>) -> Result<()> {
    write_file(path.as_ref(), &verifying_key_to_bytes(vk)?)
}

/// Reads a verifying key written by [`write_verifying_key`]. Errors name the file.
pub fn read_verifying_key(path: impl AsRef<Path>) -> Result<VerifyingKey<Bn254>> {
    let path = path.as_ref();
    from_bytes(
        &read_file(path)?,
        &path.display().to_string(),
        VERIFYING_KEY,
    )
}

/// A proof as compressed canonical bytes: always 128 bytes (`a` ‖ `b` ‖ `c`).
pub fn proof_to_bytes(proof: &Proof<Bn254>) -> Result<Vec<u8>> {
    to_bytes(proof, "a proof as arkworks bytes")
}

/// Reads a proof from compressed canonical bytes, validating its three points.
pub fn proof_from_bytes(bytes: &[u8]) -> Result<Proof<Bn254>> {
    from_bytes(bytes, BYTES, PROOF)
}

/// Writes a proof to `path` as compressed canonical bytes.
pub fn write_proof(path: impl AsRef<Path>, proof: &Proof<Bn254>) -> Result<()> {
    write_file(path.as_ref(), &proof_to_bytes(proof)?)
}

/// Reads a proof written by [`write_proof`]. Errors name the file, e.g.
/// `proof.bin: not a BN254 Groth16 proof (arkworks compressed bytes): ...`.
pub fn read_proof(path: impl AsRef<Path>) -> Result<Proof<Bn254>> {
    let path = path.as_ref();
    from_bytes(&read_file(path)?, &path.display().to_string(), PROOF)
}

/// Public inputs as compressed canonical bytes: an 8-byte little-endian count, then 32
/// little-endian bytes per input.
pub fn public_inputs_to_bytes(inputs: &[Fr]) -> Result<Vec<u8>> {
    // `[Fr]` and `Vec<Fr>` serialize identically (length prefix, then the elements).
    to_bytes(&inputs, "public inputs as arkworks bytes")
}

/// Reads public inputs from compressed canonical bytes; each must be below `r`.
pub fn public_inputs_from_bytes(bytes: &[u8]) -> Result<Vec<Fr>> {
    from_bytes(bytes, BYTES, PUBLIC_INPUTS)
}

/// Writes public inputs to `path` as compressed canonical bytes.
pub fn write_public_inputs(path: impl AsRef<Path>, inputs: &[Fr]) -> Result<()> {
    write_file(path.as_ref(), &public_inputs_to_bytes(inputs)?)
}

/// Reads public inputs written by [`write_public_inputs`]. Errors name the file.
pub fn read_public_inputs(path: impl AsRef<Path>) -> Result<Vec<Fr>> {
    let path = path.as_ref();
    from_bytes(
        &read_file(path)?,
        &path.display().to_string(),
        PUBLIC_INPUTS,
    )
}
