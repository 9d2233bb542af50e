//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong while proving, building a rollup batch or converting formats.
#[derive(Debug, Error)]
pub enum ProverError {
    /// The accelerator failed (an input error, or a device fault the CPU fallback could not cover).
    #[error("accelerator: {0}")]
    Accel(#[from] ramjet_accel::AccelError),
    /// The circuit could not be synthesized, or its constraints are not satisfied.
    #[error("constraint system: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// The circuit's assignment violates one of its R1CS constraints, so no valid proof exists.
    /// (arkworks only debug-asserts this, and in release would return a proof that fails
    /// verification.)
    #[error("R1CS constraint {index} of {constraints} is not satisfied by the assignment")]
    Unsatisfied {
        /// Index of the first violated constraint.
        index: usize,
        /// Number of constraints in the circuit.
        constraints: usize,
    },
    /// The proving key was made for another circuit: one of its dimensions differs from the
    /// circuit's.
    #[error(
        "proving key does not match the circuit: {what} is {key} in the key, {circuit} in the circuit"
    )]
    KeyMismatch {
        /// Which dimension differs.
        what: &'static str,
        /// Its value according to the key.
        key: usize,
        /// Its value according to the circuit.
        circuit: usize,
    },
    /// A proving key or a pre-synthesized circuit is inconsistent in itself.
    #[error("malformed input: {0}")]
    Malformed(String),
    /// The constraint system has constraints under a predicate other than R1CS, which Groth16
    /// cannot prove.
    #[error("Groth16 proves R1CS only; the circuit has constraints under predicate `{0}`")]
    UnsupportedPredicate(String),
    /// Prover metrics could not be registered (e.g. registered twice on one registry).
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// A file of one of the [`formats`](crate::formats) could not be read or written.
    #[error("{}: {source}", path.display())]
    FormatIo {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system reported.
        #[source]
        source: std::io::Error,
    },
    /// Bytes, JSON or text given to one of the [`formats`](crate::formats) do not decode to what
    /// was asked for. Displays as `"{origin}: not {expected}: {reason}"`, e.g.
    /// `proof.bin: not a BN254 Groth16 proof (arkworks compressed bytes): invalid data`.
    #[error("{origin}: not {expected}: {reason}")]
    FormatDecode {
        /// Where the input came from: the file's path, or a label such as `"bytes"` or `"JSON"`.
        origin: String,
        /// What the input should have been, e.g. `"a BN254 Groth16 proof (snarkjs proof.json)"`.
        expected: &'static str,
        /// What was wrong, as precisely as known (the field and the value, or arkworks' error).
        reason: String,
    },
    /// A value cannot be written in the requested format (e.g. a Solidity verifier for a key with
    /// no public inputs, or a contract name that is not a Solidity identifier).
    #[error("cannot write {target}: {reason}")]
    FormatEncode {
        /// What was being written, e.g. `"a Solidity verifier"`.
        target: &'static str,
        /// Why it cannot be written.
        reason: String,
    },
    // --- rollup ---
    /// A transfer of a rollup batch was rejected by [`State::apply`](crate::rollup::State::apply):
    /// `index` is its position in the batch (from 0), `reason` says which rule it broke.
    #[error("rollup transfer {index}: {reason}")]
    RollupTransfer {
        /// Position of the rejected transfer in its batch, from 0.
        index: usize,
        /// The rule the transfer broke.
        reason: crate::rollup::Rejection,
    },
    /// A rollup state, genesis file, key, signature, batch or circuit witness is malformed (a bad
    /// depth, a duplicate or out-of-range account, a point off the curve, a non-canonical number,
    /// a witness whose shape does not match its circuit).
    #[error("rollup: {0}")]
    RollupInvalid(String),
    // --- inference ---
    /// Bytes given as an ONNX model are not a protobuf `ModelProto` with a graph.
    #[error("ONNX: not a model: {0}")]
    OnnxDecode(String),
    /// The ONNX model uses an operator ramjet does not support (the supported ones are listed
    /// in [`inference::model`](crate::inference::model)).
    #[error("ONNX: unsupported operator `{op}`{}", if node.is_empty() { String::new() } else { format!(" (node `{node}`)") })]
    UnsupportedOperator {
        /// The operator, with its domain when it is not the standard one (`domain::op`).
        op: String,
        /// The node's name (may be empty).
        node: String,
    },
    /// The ONNX model is well formed but has a structure or an operand ramjet cannot handle (a
    /// dynamic dimension, a graph that is not a chain, an unsupported attribute value or data
    /// type), or is inconsistent; the message names the node or tensor.
    #[error("ONNX: {0}")]
    OnnxModel(String),
    /// Quantisation parameters are invalid, or a model cannot be quantised with them.
    #[error("quantisation: {0}")]
    Quantisation(String),
    /// A value of a fixed-point inference leaves `[−2^(bits−1), 2^(bits−1))`: an input
    /// (`layer` is `None`) or the output `index` of layer `layer` (from 0).
    #[error("value {value} of {} {index} does not fit {bits} signed bits", match layer { Some(l) => format!("layer {l}, output"), None => "input".to_owned() })]
    ValueOutOfRange {
        /// The layer, or `None` for the model's input.
        layer: Option<usize>,
        /// The value's position in the layer's output (or in the input).
        index: usize,
        /// The value.
        value: i128,
        /// The width it must fit.
        bits: u32,
    },
    /// halo2 failed to build keys or a proof (`halo2_proofs`' error: the circuit does not fit
    /// its rows, a constraint is not satisfied, an I/O error of the transcript).
    #[error("halo2: {0}")]
    Halo2(#[from] halo2_proofs::plonk::Error),
    /// A halo2 proof does not verify against the verifying key and the public values.
    #[error("halo2 proof rejected: {0}")]
    Halo2Rejected(String),
    /// An inference input does not fit the model (wrong number of values, not finite).
    #[error("inference input: {0}")]
    InferenceInput(String),
}

/// Results of this crate.
pub type Result<T, E = ProverError> = std::result::Result<T, E>;
