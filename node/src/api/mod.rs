//! The node's gRPC API (`docs/api.md`, `proto/ramjet/v1/node.proto`).

pub mod pb;
