//! # Proof of inference: a neural network's output, proved
//!
//! A node that ran a model proves that the published output is what the committed model gives on
//! the given input. The pipeline:
//!
//! 1. **Load** ([`onnx`], [`model`]): an ONNX file's protobuf is decoded with `prost` (only the
//!    messages and fields needed are declared) and its graph turned into a float [`Model`]: a
//!    chain of dense layers, bias additions and ReLUs (`Gemm`, `MatMul`, `Add`, `Relu`,
//!    `Flatten`, `Reshape`); any other operator is refused by name
//!    ([`ProverError::UnsupportedOperator`](crate::ProverError::UnsupportedOperator)).
//! 2. **Quantise** ([`quantise`]): weights and inputs become integers at scale `2^s` (EZKL's
//!    `scale`), each layer's output is rescaled to `2^s` by floor division, every value is
//!    bounded to `B` signed bits. [`QuantisedModel::infer`] is the native fixed-point forward
//!    pass; [`dataset::accuracy`] compares it with the float model on a labelled data set.
//! 3. **Prove** ([`circuit`]): [`InferenceCircuit`] proves `y = model(x)` with the weights as
//!    constants of the circuit (the *fixed* binding: a dense layer is linear combinations, nearly
//!    free; rescaling, bounds and ReLU cost bit decompositions). Input and output are each
//!    public or hashed ([`io`]: one public Poseidon hash of private values).
//!    The circuit computes exactly what [`QuantisedModel::infer`] does, bit for bit. It is
//!    proved with ramjet's Groth16 prover ([`crate::groth16`]) and verified with ark-groth16.
//!    [`hashed`] is the other binding: the weights are private witnesses under a Poseidon
//!    commitment that is a public input, and one key serves every model of an architecture.
//!    [`halo2`] proves the same arithmetic with `halo2_proofs` (IPA over the Pasta curves, no
//!    trusted setup), with the weights fixed (the verifying key's digest is the model
//!    commitment) or hashed ([`halo2::hashed`]: one verifying key per architecture, rebuilt
//!    from the layers' [`shape`] alone).
//!
//! # The model's identity
//!
//! With Groth16 the setup is per model: the verifying key is only meaningful together with the
//! model it was made for, so it is published with the model's [`ModelId`], the SHA-256 of the
//! ONNX bytes and the quantisation parameters. Whoever holds the ONNX file recomputes the id and
//! checks it against the one published with the key; a proof made with another model's key does
//! not verify.

pub mod circuit;
pub mod commit;
pub mod dataset;
pub mod demo;
pub mod halo2;
pub mod hashed;
pub mod io;
pub mod model;
pub mod onnx;
pub mod quantise;
pub mod shape;

use sha2::{Digest, Sha256};

pub use circuit::{InferenceCircuit, public_inputs};
pub use dataset::{Accuracy, Dataset, accuracy, argmax};
pub use io::{IoVisibility, Visibility};
pub use model::{Dense, Layer, Model};
pub use quantise::{QuantParams, QuantisedLayer, QuantisedModel};

use crate::Result;

/// The identity of a quantised model: SHA-256 over the domain tag `ramjet/inference/model/v1`,
/// the scale and the value width (one byte each) and the ONNX file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelId(pub [u8; 32]);

impl ModelId {
    /// The id of the model in `onnx` quantised with `params`.
    pub fn new(onnx: &[u8], params: QuantParams) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"ramjet/inference/model/v1");
        // Both fit a byte: validate() bounds them (scale ≤ 24, value_bits ≤ 64).
        hasher.update([params.scale as u8, params.value_bits as u8]);
        hasher.update(onnx);
        Self(hasher.finalize().into())
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Display for ModelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A model as loaded from an ONNX file: its float version, its quantised version and its id.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    /// The id of the ONNX bytes with the parameters.
    pub id: ModelId,
    /// The float model.
    pub float: Model,
    /// The fixed-point model.
    pub quantised: std::sync::Arc<QuantisedModel>,
}

impl LoadedModel {
    /// Loads the ONNX bytes and quantises the model with `params`.
    pub fn from_onnx(onnx: &[u8], params: QuantParams) -> Result<Self> {
        params.validate()?;
        let float = onnx::load(onnx)?;
        let quantised = QuantisedModel::new(&float, params)?;
        Ok(Self {
            id: ModelId::new(onnx, params),
            float,
            quantised: std::sync::Arc::new(quantised),
        })
    }

    /// Reads and loads an ONNX file.
    pub fn read(path: &std::path::Path, params: QuantParams) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| crate::ProverError::FormatIo {
            path: path.to_owned(),
            source,
        })?;
        Self::from_onnx(&bytes, params)
    }
}
