//! The operations of the accelerator contract.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One operation of the contract. Every backend either implements an operation with exactly the
/// meaning documented in `docs/accelerator.md`, or reports it unsupported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// ZIP-215 Ed25519 verification, one verdict per item.
    Ed25519Verify,
    /// RFC 6962 SHA-256 Merkle tree, every level.
    MerkleSha256,
    /// circomlib Poseidon (t = 3) Merkle tree over BN254 `Fr`, every level.
    MerklePoseidon,
    /// BN254 G1 multi-scalar multiplication.
    MsmG1,
    /// BN254 G2 multi-scalar multiplication.
    MsmG2,
    /// Radix-2 NTT over the BN254 scalar field, natural order.
    Ntt,
}

impl Op {
    /// Every operation, in a fixed order.
    pub const ALL: [Op; 6] = [
        Op::Ed25519Verify,
        Op::MerkleSha256,
        Op::MerklePoseidon,
        Op::MsmG1,
        Op::MsmG2,
        Op::Ntt,
    ];

    /// The operation's name as used in metrics, profiles and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Op::Ed25519Verify => "ed25519_verify",
            Op::MerkleSha256 => "merkle_sha256",
            Op::MerklePoseidon => "merkle_poseidon",
            Op::MsmG1 => "msm_g1",
            Op::MsmG2 => "msm_g2",
            Op::Ntt => "ntt",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Direction of an NTT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NttDirection {
    /// Coefficients to evaluations: `a_i -> sum_j a_j (g w^i)^j`.
    Forward,
    /// Evaluations to coefficients, including the `1/n` scaling.
    Inverse,
}
