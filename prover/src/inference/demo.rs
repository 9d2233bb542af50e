//! Models for examples, tests and benchmarks: the demo model shipped in the repository
//! (`prover/models/digits/`), and seeded random multilayer perceptrons such as the 784-56-10
//! network people compare proof-of-inference systems on.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use prost::Message;

use super::model::Model;
use super::onnx::{
    AttributeProto, AttributeType, DataType, Dimension, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, TensorProto, TensorShapeProto, TensorTypeProto, TypeProto, ValueInfoProto,
};
use crate::{ProverError, Result};

/// The demo model's ONNX file: a 64-32-10 ReLU MLP trained on scikit-learn's digits
/// (`prover/models/digits/train.py`).
pub const DIGITS_ONNX: &[u8] = include_bytes!("../../models/digits/digits.onnx");

/// The demo model's sample input file (`{"input": [...]}`): the first held-out test image.
pub const DIGITS_INPUT_JSON: &str = include_str!("../../models/digits/input.json");

/// The demo model's sample input, as floats.
pub fn digits_input() -> Result<Vec<f64>> {
    #[derive(serde::Deserialize)]
    struct InputFile {
        input: Vec<f64>,
    }
    let file: InputFile = serde_json::from_str(DIGITS_INPUT_JSON)
        .map_err(|e| ProverError::InferenceInput(format!("the demo input file: {e}")))?;
    Ok(file.input)
}

/// A multilayer perceptron with the layer widths `widths` (`[784, 56, 10]`: 784 inputs, a
/// hidden layer of 56 with ReLU, 10 outputs), as an ONNX file's bytes: `Gemm` (`transB = 1`)
/// layers with a `Relu` after every one but the last, input `input` of shape `[1, widths[0]]`,
/// output `output`. Weights and biases are drawn uniformly from `±1/√inputs` (float32) with a
/// ChaCha20 generator seeded by `seed`: the same file on every machine, loadable by ramjet
/// ([`super::onnx::load`]) and by other ONNX tools (the EZKL baseline of `ramjet-bench`). Fails
/// with fewer than two widths or a zero width.
pub fn random_mlp_onnx(widths: &[usize], seed: u64) -> Result<Vec<u8>> {
    if widths.len() < 2 || widths.contains(&0) {
        return Err(ProverError::OnnxModel(format!(
            "an MLP needs at least two nonzero widths, not {widths:?}"
        )));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut nodes = Vec::new();
    let mut initializer = Vec::new();
    let mut previous = "input".to_owned();
    let layers = widths.len() - 1;
    for (i, pair) in widths.windows(2).enumerate() {
        let (inputs, outputs) = (pair[0], pair[1]);
        let bound = 1.0 / (inputs as f32).sqrt();
        let mut tensor = |name: String, dims: Vec<usize>| {
            let n = dims.iter().product();
            TensorProto {
                name,
                dims: dims.iter().map(|&d| d as i64).collect(),
                data_type: DataType::Float as i32,
                float_data: (0..n).map(|_| rng.gen_range(-bound..bound)).collect(),
                ..Default::default()
            }
        };
        let (w, b) = (format!("w{i}"), format!("b{i}"));
        initializer.push(tensor(w.clone(), vec![outputs, inputs]));
        initializer.push(tensor(b.clone(), vec![outputs]));
        let last = i + 1 == layers;
        let dense = if last {
            "output".to_owned()
        } else {
            format!("dense{i}")
        };
        nodes.push(NodeProto {
            input: vec![previous.clone(), w, b],
            output: vec![dense.clone()],
            name: format!("gemm{i}"),
            op_type: "Gemm".into(),
            attribute: vec![AttributeProto {
                name: "transB".into(),
                i: 1,
                r#type: AttributeType::Int as i32,
                ..Default::default()
            }],
            ..Default::default()
        });
        previous = dense;
        if !last {
            let relu = format!("relu{i}");
            nodes.push(NodeProto {
                input: vec![previous.clone()],
                output: vec![relu.clone()],
                name: relu.clone(),
                op_type: "Relu".into(),
                ..Default::default()
            });
            previous = relu;
        }
    }
    let info = |name: &str, width: usize| ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto {
                    dim: [1, width]
                        .iter()
                        .map(|&d| Dimension {
                            dim_value: Some(d as i64),
                            dim_param: None,
                        })
                        .collect(),
                }),
            }),
        }),
    };
    let model = ModelProto {
        ir_version: 8,
        producer_name: "ramjet".into(),
        graph: Some(GraphProto {
            node: nodes,
            name: format!("mlp {widths:?}"),
            initializer,
            input: vec![info("input", widths[0])],
            output: vec![info("output", widths[layers])],
        }),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
    };
    Ok(model.encode_to_vec())
}

/// The model of [`random_mlp_onnx`], loaded.
pub fn random_mlp(widths: &[usize], seed: u64) -> Result<Model> {
    super::onnx::load(&random_mlp_onnx(widths, seed)?)
}

/// `len` input values drawn uniformly from `[0, 1)` (pixel intensities) with a ChaCha20
/// generator seeded by `seed`.
pub fn random_input(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    // float32 values, as an ONNX runtime would be handed them.
    (0..len)
        .map(|_| f64::from(rng.gen_range(0.0f32..1.0)))
        .collect()
}
