//! # ramjet-node: the ramjet node and the `ramjet` binary
//!
//! The node of ramjet's peer-to-peer UTXO network, as a library with an in-process simulator
//! (putting it on a real network comes next), and the operator commands for the accelerator
//! and the prover.
//!
//! The node core, in the order a transaction meets it:
//!
//! - [`identity`]: the node's Ed25519 key file (mode 0600), its node id and the proof of work
//!   on the id;
//! - [`tx`]: UTXO transactions and their canonical encoding (`docs/protocol.md`);
//! - [`ledger`]: the transaction pipeline: deduplication, stateless checks, batched signature
//!   verification on the accelerator, resolution against the committed UTXO set, conflicts,
//!   PENDING → ACCEPTED after a quiet period, atomic commits to the [`storage`]
//!   (`docs/ledger.md`);
//! - [`contract`]: spending contracts, WebAssembly modules run by wasmtime (fuel-metered,
//!   memory-limited, NaN-canonicalised, importing only a small host API) that decide whether
//!   an output may be spent; the engine is the ledger's spend validator (`docs/contracts.md`);
//! - [`observe`]: the observation buffer flushed into signed, chained Merkle roots on the
//!   accelerator; inclusion and finality proofs and equivocation evidence, checkable offline
//!   (`docs/observations.md`);
//! - [`consensus`]: conflict resolution: the gossip messages and their encodings, peers' votes
//!   from their signed observation roots ([`consensus::VoteBook`]), trust weights in bands,
//!   the decision rule (greatest weighted support, ties to the smallest hash), equivocation
//!   evidence and convictions (`docs/consensus.md`);
//! - [`trust`]: direct trust from behaviour, DATT transitive trust and EigenTrust;
//! - [`storage`]: the [`storage::Store`] trait with RocksDB and in-memory implementations
//!   (`docs/storage.md`);
//! - [`net`]: the libp2p transport layer: TCP (noise, yamux) and QUIC, gossipsub topics with
//!   strict validation and peer scoring, Kademlia and identify, request-response fetches by
//!   hash, peer management (min/max peers, eviction, bans) (`docs/network.md`);
//! - [`metrics`]: the node's Prometheus metrics ([`metrics::NodeMetrics`], on the accelerator's
//!   registry so one scrape shows both) and their HTTP endpoint ([`metrics::serve`])
//!   (`docs/metrics.md`);
//! - [`protocol`]: the node's whole protocol logic (the above, driven by submissions, gossip
//!   messages and timers) as one I/O-free state machine, [`protocol::ProtocolNode`];
//! - [`sim`]: an in-process, seeded, virtual-time simulator of N nodes (a lossy, reordering
//!   message layer, Byzantine roles, the standard workload) that checks all of the above
//!   together;
//! - [`config`]: the `ramjet node` configuration file (`[node]`, `[network]`, `[api]`,
//!   `[metrics]`, `[protocol]`, `[accel]`), command-line overrides, every problem reported at
//!   once, and genesis files (`docs/node-config.md`).
//!
//! The operator commands:
//!
//! - [`devnet`]: `ramjet devnet` starts N nodes on this machine, puts them under a load of
//!   signed transfers and double-spend attempts, and reports finality latency, throughput and
//!   memory, checking that every double spend resolved the same way everywhere and that every
//!   node ends with the same UTXO set (`docs/devnet.md`);
//! - [`devices`]: `ramjet devices` lists the backends found on this machine (the CPU, and each
//!   GPU adapter `ramjet-kernels` can open, lavapipe marked emulated), and with
//!   `--calibrate` measures each operation on each backend and writes the calibration profile that
//!   the dispatcher ([`ramjet_accel::Accelerator`]) reads;
//! - [`rollup`]: `ramjet rollup setup | prove | verify | example`: Groth16 keys for the rollup
//!   circuit, proofs of batches of transfers on the accelerator, their verification;
//! - [`inference`]: `ramjet infer setup | prove | verify | accuracy`: proof of inference for an
//!   ONNX model (per-model Groth16 keys, proofs of a model's output on an input, verification
//!   with the verifying key alone);
//! - [`proofs`]: `ramjet proof export`: a proof and its key as snarkjs JSON or a Solidity
//!   verifier;
//! - [`daemon`]: `ramjet node`: a node from its config file, with its gRPC API ([`api`],
//!   `docs/api.md`) and metrics, until SIGINT or SIGTERM; [`service`] is the networked node it
//!   runs (the driver of [`protocol::ProtocolNode`] on [`net`]);
//! - [`wallet`]: `ramjet tx` (keys, balances, transfers) and `ramjet status`, over the API.
//!
//! The binary (`src/main.rs`) parses the command line and calls into these modules; errors are
//! [`NodeError`], turned into messages at the binary's edge.

pub mod api;
pub mod config;
pub mod consensus;
pub mod contract;
pub mod daemon;
pub mod devices;
pub mod devnet;
mod error;
pub mod identity;
pub mod inference;
pub mod ledger;
pub mod metrics;
pub mod net;
pub mod observe;
pub mod proofs;
pub mod protocol;
pub mod rollup;
pub mod service;
pub mod sim;
pub mod storage;
pub mod trust;
pub mod tx;
pub mod wallet;

pub use error::{NodeError, Result};

use std::sync::Arc;

use ramjet_accel::Backend;

/// The backends found on this machine, and why some devices gave none.
pub struct Detected {
    /// Every usable backend, the CPU first.
    pub backends: Vec<Arc<dyn Backend>>,
    /// Devices skipped, or why none were found, in words (e.g. "no wgpu adapter found").
    pub notes: Vec<String>,
}

/// Every backend usable on this machine, the CPU first, then the GPU backends of
/// `ramjet-kernels` (one per usable adapter, lavapipe included and marked emulated).
pub fn detect() -> Detected {
    let gpus = ramjet_kernels::detect_all();
    let mut backends = vec![ramjet_accel::CpuBackend::shared()];
    backends.extend(gpus.backends);
    Detected {
        backends,
        notes: gpus.notes,
    }
}

/// [`detect`]'s backends; its notes are logged.
pub fn detect_backends() -> Vec<Arc<dyn Backend>> {
    let found = detect();
    for note in &found.notes {
        tracing::info!("{note}");
    }
    found.backends
}
