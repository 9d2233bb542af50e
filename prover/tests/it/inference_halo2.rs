//! Proof of inference with halo2: the circuit computes exactly what native fixed-point
//! inference does (halo2's `MockProver`, every gate, lookup and copy checked), and real proofs
//! of the demo model verify — and are rejected for another output, input or model.

use std::sync::Arc;

use ramjet_prover::ProverError;
use ramjet_prover::inference::halo2::{
    VerifyingKeyDigest, circuit_k, is_satisfied, params_for, prove, proving_key, rows, verify,
    verifying_key,
};
use ramjet_prover::inference::{
    Layer, LoadedModel, QuantParams, QuantisedLayer, QuantisedModel, onnx,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::inference::{demo_onnx, demo_test_set, fixed, floats, int_attr, model_bytes, node};

/// The circuit is satisfied with native inference's output claimed, and with no other: each
/// output changed by one, up or down, is refused.
fn assert_circuit_agrees(model: &Arc<QuantisedModel>, input: &[i64]) -> Vec<i64> {
    let native = model.infer(input).unwrap();
    assert!(is_satisfied(model, input, &native).unwrap(), "{input:?}");
    for index in [0, native.len() - 1] {
        for delta in [-1, 1] {
            let mut other = native.clone();
            other[index] += delta;
            assert!(!is_satisfied(model, input, &other).unwrap(), "{other:?}");
        }
    }
    native
}

#[test]
fn halo2_circuit_outputs_equal_native_inference_exactly() {
    let loaded = LoadedModel::from_onnx(&demo_onnx(), QuantParams::default()).unwrap();
    let model = &loaded.quantised;
    let data = demo_test_set();
    let mut inputs: Vec<Vec<i64>> = data.features[..3]
        .iter()
        .map(|x| model.quantise_input(x).unwrap())
        .collect();
    // Inputs the data set never has, so that hidden values are negative and rescaling floors
    // negative accumulators.
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    for _ in 0..2 {
        inputs.push((0..64).map(|_| rng.gen_range(-400..400)).collect());
    }
    let mut negative_outputs = 0;
    for input in &inputs {
        let native = assert_circuit_agrees(model, input);
        negative_outputs += native.iter().filter(|&&v| v < 0).count();
    }
    assert!(negative_outputs > 0, "the inputs exercise negative values");
    println!(
        "digits model, halo2: {} rows, k = {}",
        rows(model),
        circuit_k(model)
    );
}

/// 2 → 2 dense at scale 2^2 with 8-bit values, a ReLU, then a bias layer: every kind of layer,
/// with small widths (shared by the hashed-weights and hashed-sections tests).
pub(super) fn small_model() -> Arc<QuantisedModel> {
    let bytes = model_bytes(
        vec![fixed(1), fixed(2)],
        vec![
            node("Gemm", &["x", "w", "b"], "h", vec![int_attr("transB", 1)]),
            node("Relu", &["h"], "r", vec![]),
            node("Add", &["r", "c"], "y", vec![]),
        ],
        vec![
            floats("w", &[2, 2], &[0.5, -0.25, 1.0, 1.0]),
            floats("b", &[2], &[0.1, 0.0]),
            floats("c", &[2], &[-0.5, 0.25]),
        ],
        "y",
    );
    let params = QuantParams {
        scale: 2,
        value_bits: 8,
    };
    Arc::new(QuantisedModel::new(&onnx::load(&bytes).unwrap(), params).unwrap())
}

#[test]
fn halo2_circuit_floors_bounds_and_relus_like_native_inference_on_a_small_model() {
    // W = [[0.5, -0.25], [1, 1]], b = [0.1, 0]; the ReLU's and the bias's range checks have
    // partial top limbs.
    let model = small_model();
    assert!(matches!(model.layers[2], QuantisedLayer::Bias(_)));
    // x = [-1, 1]: acc0 = -2 - 1 + 2 = -1, floor(-1/4) = -1 (not 0), ReLU 0, bias -2.
    assert_eq!(assert_circuit_agrees(&model, &[-1, 1]), [-2, 1]);
    for input in [[-3, 5], [127, -128], [-128, 100], [0, 0]] {
        assert_circuit_agrees(&model, &input);
    }
    // [127, 127] gives 254 in the first layer, out of 8 bits: native inference refuses, and the
    // circuit has no output for it, neither the out-of-range value's nor a clamped one.
    assert!(matches!(
        model.infer(&[127, 127]),
        Err(ProverError::ValueOutOfRange { value: 254, .. })
    ));
    for claimed in [[30, 255], [30, 127], [30, -128]] {
        assert!(!is_satisfied(&model, &[127, 127], &claimed).unwrap());
    }
}

#[test]
fn halo2_demo_model_proof_verifies_and_is_rejected_for_another_output_input_or_model() {
    let params = QuantParams::default();
    let loaded = LoadedModel::from_onnx(&demo_onnx(), params).unwrap();
    let model = Arc::clone(&loaded.quantised);
    let commitment_params = params_for(&model);
    let pk = proving_key(&commitment_params, &model).unwrap();
    // The verifying key is regenerated from the model alone, identically.
    let vk = verifying_key(&commitment_params, &model).unwrap();
    let digest = VerifyingKeyDigest::of(&vk);
    assert_eq!(digest, VerifyingKeyDigest::of(pk.get_vk()));

    let data = demo_test_set();
    let input = model.quantise_input(&data.features[0]).unwrap();
    let proof = prove(&commitment_params, &pk, &model, input.clone()).unwrap();
    assert_eq!(proof.output, model.infer(&input).unwrap());
    println!("digits model, halo2: proof of {} bytes", proof.bytes.len());
    verify(&commitment_params, &vk, &input, &proof.output, &proof.bytes).unwrap();

    let rejected = |input: &[i64], output: &[i64], vk| {
        let result = verify(&commitment_params, vk, input, output, &proof.bytes);
        assert!(
            matches!(result, Err(ProverError::Halo2Rejected(_))),
            "{result:?}"
        );
    };
    // Another output: one logit off by one.
    let mut other_output = proof.output.clone();
    other_output[3] += 1;
    rejected(&input, &other_output, &vk);
    // Another input: one pixel changed, same output.
    let mut other_input = input.clone();
    other_input[10] += 1;
    rejected(&other_input, &proof.output, &vk);
    // A corrupted proof.
    let mut corrupted = proof.bytes.clone();
    corrupted[40] ^= 1;
    assert!(verify(&commitment_params, &vk, &input, &proof.output, &corrupted).is_err());

    // Another model of the same shape, one weight of the first layer changed: another
    // verifying key, another digest, and the demo model's proof does not verify against it.
    let mut other_float = loaded.float.clone();
    let Layer::Dense(first) = &mut other_float.layers[0] else {
        unreachable!()
    };
    first.weights[0] += 0.5;
    let other = Arc::new(QuantisedModel::new(&other_float, params).unwrap());
    assert_eq!(circuit_k(&other), circuit_k(&model));
    let other_vk = verifying_key(&commitment_params, &other).unwrap();
    assert_ne!(VerifyingKeyDigest::of(&other_vk), digest);
    rejected(&input, &proof.output, &other_vk);
}
