//! `ramjet rollup verify` and `ramjet proof export`: checking a proof, and writing it in the
//! formats other tools read.
//!
//! A key directory (written by `ramjet rollup setup`) holds `proving_key.bin` and
//! `verifying_key.bin` (arkworks compressed bytes, see `ramjet_prover::formats`) and
//! `circuit.json` (what the keys were made for). A proof is `proof.bin` (arkworks compressed)
//! with its public inputs in `public.json` (snarkjs's format: an array of decimal strings).

use std::path::{Path, PathBuf};

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof, VerifyingKey};
use ramjet_prover::formats;

use crate::{NodeError, Result};

/// File names inside a key directory.
pub const PROVING_KEY: &str = "proving_key.bin";
/// The verifying key, arkworks compressed.
pub const VERIFYING_KEY: &str = "verifying_key.bin";

/// The formats `ramjet proof export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// snarkjs's `verification_key.json`, `proof.json` and `public.json`.
    Snarkjs,
    /// A Solidity verifier contract for the key (`Groth16Verifier.sol`), and with a proof its
    /// calldata (`calldata.txt`, snarkjs's `generatecall` format).
    Solidity,
}

/// Reads `dir/verifying_key.bin`.
pub fn read_verifying_key(dir: &Path) -> Result<VerifyingKey<Bn254>> {
    Ok(formats::read_verifying_key(dir.join(VERIFYING_KEY))?)
}

/// Checks `proof` against the key in `keys` and the public inputs in `public` (a snarkjs
/// `public.json`). Ok when the proof verifies; [`NodeError::ProofRejected`] when it does not.
pub fn verify(keys: &Path, proof: &Path, public: &Path) -> Result<()> {
    let vk = read_verifying_key(keys)?;
    let proof = formats::read_proof(proof)?;
    let inputs = formats::read_public_inputs_json(public)?;
    check(&vk, &proof, &inputs)
}

/// Checks a proof already in memory.
pub fn check(vk: &VerifyingKey<Bn254>, proof: &Proof<Bn254>, inputs: &[Fr]) -> Result<()> {
    let expected = vk.gamma_abc_g1.len().saturating_sub(1);
    if inputs.len() != expected {
        return Err(NodeError::ProofRejected(format!(
            "the key takes {expected} public inputs, {} were given",
            inputs.len()
        )));
    }
    let pvk = ark_groth16::prepare_verifying_key(vk);
    match Groth16::<Bn254>::verify_proof(&pvk, proof, inputs) {
        Ok(true) => Ok(()),
        Ok(false) => Err(NodeError::ProofRejected(
            "the pairing check fails: the proof, the public inputs or the key is not the one it \
             was made with"
                .to_owned(),
        )),
        Err(e) => Err(NodeError::ProofRejected(e.to_string())),
    }
}

/// Writes the key (and, when given, the proof and its public inputs) in `format` into `out`;
/// returns the files written.
pub fn export(
    format: ExportFormat,
    keys: &Path,
    proof: Option<(&Path, &Path)>,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let vk = read_verifying_key(keys)?;
    let proof = match proof {
        Some((proof, public)) => Some((
            formats::read_proof(proof)?,
            formats::read_public_inputs_json(public)?,
        )),
        None => None,
    };
    std::fs::create_dir_all(out).map_err(|e| NodeError::File {
        path: out.to_owned(),
        reason: e.to_string(),
    })?;
    let mut written = Vec::new();
    match format {
        ExportFormat::Snarkjs => {
            let path = out.join("verification_key.json");
            formats::write_verification_key_json(&path, &vk)?;
            written.push(path);
            if let Some((proof, inputs)) = &proof {
                let path = out.join("proof.json");
                formats::write_proof_json(&path, proof)?;
                written.push(path);
                let path = out.join("public.json");
                formats::write_public_inputs_json(&path, inputs)?;
                written.push(path);
            }
        }
        ExportFormat::Solidity => {
            let path = out.join(format!("{}.sol", formats::DEFAULT_CONTRACT_NAME));
            formats::write_solidity_verifier(&path, &vk, formats::DEFAULT_CONTRACT_NAME)?;
            written.push(path);
            if let Some((proof, inputs)) = &proof {
                let path = out.join("calldata.txt");
                std::fs::write(&path, formats::solidity_calldata(proof, inputs)).map_err(|e| {
                    NodeError::File {
                        path: path.clone(),
                        reason: e.to_string(),
                    }
                })?;
                written.push(path);
            }
        }
    }
    Ok(written)
}
