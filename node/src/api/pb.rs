//! The code generated from `proto/ramjet/v1/node.proto` (messages, the `Node` and `Admin`
//! servers and clients) and the encoded file descriptor set that reflection serves.

#![allow(missing_docs, unreachable_pub, clippy::all)]

tonic::include_proto!("ramjet.v1");

/// The encoded `FileDescriptorSet` of the API, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("ramjet_v1_descriptor");
