//! # ramjet-accel: the accelerator contract
//!
//! Every heavy piece of cryptography in ramjet — Ed25519 batch verification, Merkle hashing,
//! multi-scalar multiplication and NTTs over BN254 — goes through this crate. It defines:
//!
//! - the **operations** ([`Op`]) and their exact meanings, which every backend reproduces bit for
//!   bit (see `docs/accelerator.md`): [`SigBatch`] → [`Verdicts`] under ZIP-215,
//!   [`MerkleLeaves`] → [`MerkleTree`] under RFC 6962, Poseidon Merkle trees, MSMs, NTTs;
//! - the [`Backend`] trait that a device implements, with resident MSM bases
//!   ([`ResidentBases`]) so that a proving key is uploaded once;
//! - the [`CpuBackend`], always present and fast: rayon across cores, SHA-NI, Pippenger MSM with
//!   signed digits and batched affine additions, a cache-friendly parallel NTT;
//! - the [`Accelerator`] dispatcher, which routes each call to the cheapest backend by a
//!   calibrated cost model ([`CostModel`]), falls back to the CPU when a device fails, audits a
//!   sample of device results and records [`AccelMetrics`];
//! - the [`reference`] implementations (the libraries whose behaviour is the contract), and with
//!   the `conformance` feature, the conformance kit that checks any backend against them.
//!
//! Data flows one way: a caller builds inputs, hands them to an [`Accelerator`], which picks a
//! [`Backend`] and returns its result — or the CPU's, if the device failed.

mod backend;
pub mod calibrate;
mod cpu;
mod dispatch;
mod error;
pub mod inputs;
mod merkle;
mod op;
pub mod reference;
mod sig_batch;
pub mod validate;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use backend::{
    Backend, BackendKind, DeviceInfo, MsmBases, ResidentBases, TransferStats, unsupported,
};
pub use cpu::CpuBackend;
pub use dispatch::{
    AccelMetrics, Accelerator, AcceleratorBuilder, AuditPolicy, BackendStatus, CalibrationProfile,
    CostModel, OpCost, SharedBases, WarmUp, WarmUpOutcome,
};
pub use error::{AccelError, Result};
pub use merkle::{MerkleLeaves, MerkleTree, PackedLeaves};
pub use op::{NttDirection, Op};
pub use sig_batch::{SigBatch, Verdicts};

/// Re-exports of the curve types used in the contract, so that callers need not name arkworks
/// versions themselves.
pub mod curve {
    pub use ark_bn254::{Fq, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
}
