//! Models for examples, tests and benchmarks: the demo model shipped in the repository
//! (`prover/models/digits/`), and seeded random multilayer perceptrons such as the 784-56-10
//! network people compare proof-of-inference systems on.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::model::{Dense, Layer, Model};
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
/// hidden layer of 56 with ReLU, 10 outputs), a ReLU after every dense layer but the last, and
/// weights and biases drawn uniformly from `±1/√inputs` with a ChaCha20 generator seeded by
/// `seed`: the same network on every machine. Fails with fewer than two widths or a zero width.
pub fn random_mlp(widths: &[usize], seed: u64) -> Result<Model> {
    if widths.len() < 2 || widths.contains(&0) {
        return Err(ProverError::OnnxModel(format!(
            "an MLP needs at least two nonzero widths, not {widths:?}"
        )));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut layers = Vec::new();
    for (i, pair) in widths.windows(2).enumerate() {
        let (inputs, outputs) = (pair[0], pair[1]);
        let bound = 1.0 / (inputs as f64).sqrt();
        let mut draw =
            |n: usize| -> Vec<f64> { (0..n).map(|_| rng.gen_range(-bound..bound)).collect() };
        let weights = draw(inputs * outputs);
        let bias = draw(outputs);
        layers.push(Layer::Dense(Dense {
            inputs,
            outputs,
            weights,
            bias,
        }));
        if i + 2 < widths.len() {
            layers.push(Layer::Relu);
        }
    }
    Ok(Model {
        input_name: "input".into(),
        output_name: "output".into(),
        input_len: widths[0],
        layers,
    })
}

/// `len` input values drawn uniformly from `[0, 1)` (pixel intensities) with a ChaCha20
/// generator seeded by `seed`.
pub fn random_input(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..len).map(|_| rng.gen_range(0.0..1.0)).collect()
}
