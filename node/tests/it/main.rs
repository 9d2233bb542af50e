//! End-to-end tests of the `ramjet` binary, and integration tests of the node's modules.

mod api;
mod cluster;
mod contract;
mod devices;
mod devnet;
mod identity;
mod ledger;
mod net;
mod observe;
mod protocol;
mod rollup;
mod sim;
mod storage;
mod trust;
mod tx;
