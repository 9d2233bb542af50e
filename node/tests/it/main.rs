//! End-to-end tests of the `ramjet` binary, and integration tests of the node's modules.

mod api;
mod cluster;
mod config;
mod contract;
mod devices;
mod devnet;
mod identity;
mod inference;
mod ledger;
mod metrics;
mod net;
mod observe;
mod protocol;
mod rollup;
mod sim;
mod storage;
mod support;
mod trust;
mod tx;
