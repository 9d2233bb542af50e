//! # ramjet-node: the ramjet node and the `ramjet` binary
//!
//! This crate will hold the node of ramjet's peer-to-peer UTXO network (identity, ledger,
//! observations, trust, network, storage, contracts, API). Today it holds the operator commands
//! that work on the accelerator:
//!
//! - [`devices`]: `ramjet devices` lists the backends found on this machine, and with
//!   `--calibrate` measures each operation on each backend and writes the calibration profile that
//!   the dispatcher ([`ramjet_accel::Accelerator`]) reads.
//!
//! The binary (`src/main.rs`) parses the command line and calls into these modules; errors are
//! [`NodeError`], turned into messages at the binary's edge.

pub mod devices;
mod error;

pub use error::{NodeError, Result};

use std::sync::Arc;

use ramjet_accel::Backend;

/// Every backend usable on this machine, the CPU first. Device backends (GPU, FPGA) are added
/// here as their crates land.
pub fn detect_backends() -> Vec<Arc<dyn Backend>> {
    vec![ramjet_accel::CpuBackend::shared()]
}
