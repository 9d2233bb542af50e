//! halo2 with the hashed binding: the circuit's commitment is the native one, it binds every
//! weight, the output is native inference's and no other, a weight outside its width is
//! refused, and one verifying key — rebuilt from the architecture alone — serves every model
//! of the architecture while each proof verifies only against its own model's commitment.

use std::sync::Arc;

use ramjet_prover::ProverError;
use ramjet_prover::inference::halo2::hashed::{
    Halo2HashedCircuit, circuit_k, from_decimal, is_satisfied, prove, proving_key, rows,
    to_decimal, verify, verifying_key, weights_commitment,
};
use ramjet_prover::inference::halo2::{self as fixed_halo2, VerifyingKeyDigest, params};
use ramjet_prover::inference::hashed::WeightWidths;
use ramjet_prover::inference::shape::{LayerShape, shape, zero_weights};
use ramjet_prover::inference::{LoadedModel, QuantParams, QuantisedLayer, QuantisedModel, demo};

use super::inference::{demo_onnx, demo_test_set};
use super::inference_halo2::small_model;

/// `model` with the first weight of its first dense layer moved by one towards zero (so it
/// keeps fitting the same widths).
fn one_weight_changed(model: &QuantisedModel) -> QuantisedModel {
    let mut other = model.clone();
    let dense = other
        .layers
        .iter_mut()
        .find_map(|l| match l {
            QuantisedLayer::Dense { weights, .. } => Some(weights),
            _ => None,
        })
        .unwrap();
    dense[0] += if dense[0] > 0 { -1 } else { 1 };
    other
}

/// The commitment of the small model recomputed from its documented definition: each output's
/// weights in an element of their own, then the dense layer's biases, then the bias layer's;
/// each value as `v + 2^(width−1)`, packed least significant first; the four elements hashed
/// with `halo2_gadgets`' Poseidon as a `ConstantLength<4>` hash.
#[test]
fn halo2_hashed_commitment_is_the_documented_packing_and_sponge() {
    use halo2_gadgets::poseidon::primitives::{ConstantLength, Hash, P128Pow5T3};
    use halo2_proofs::pasta::Fp;

    let model = small_model();
    let widths = WeightWidths::fitting(&model);
    let (QuantisedLayer::Dense { weights, bias, .. }, QuantisedLayer::Bias(added)) =
        (&model.layers[0], &model.layers[2])
    else {
        panic!("the small model is dense, ReLU, bias");
    };
    let unsigned = |v: i64, bits: u32| Fp::from((v + (1 << (bits - 1))) as u64);
    let pair = |low: i64, high: i64, bits: u32| {
        unsigned(low, bits) + unsigned(high, bits) * Fp::from(1u64 << bits)
    };
    let (w, b) = (widths.weight_bits, widths.bias_bits);
    let elements = [
        pair(weights[0], weights[1], w),
        pair(weights[2], weights[3], w),
        pair(bias[0], bias[1], b),
        pair(added[0], added[1], b),
    ];
    let expected = Hash::<_, P128Pow5T3, ConstantLength<4>, 3, 2>::init().hash(elements);
    assert_eq!(weights_commitment(&model, widths).unwrap(), expected);
    assert_eq!(rows(&model, widths).unwrap().elements, 4);
}

#[test]
fn halo2_hashed_circuit_computes_the_native_commitment_and_binds_weights_and_output() {
    let model = small_model();
    assert_eq!(
        shape(&model),
        [
            LayerShape::Dense([2, 2]),
            LayerShape::Relu,
            LayerShape::Bias(2)
        ]
    );
    let widths = WeightWidths::fitting(&model);
    let commitment = weights_commitment(&model, widths).unwrap();
    // The decimal form used in model.json and public.json round-trips.
    assert_eq!(from_decimal(&to_decimal(commitment)), Some(commitment));
    assert_eq!(from_decimal("01"), None);

    for input in [[-1, 1], [-3, 5], [127, -128], [0, 0]] {
        let native = model.infer(&input).unwrap();
        // The circuit constrains the commitment it computes to instance row 0: it is satisfied
        // with the natively computed commitment, and with no other.
        assert!(is_satisfied(&model, widths, commitment, &input, &native).unwrap());
        for index in [0, 1] {
            for delta in [-1, 1] {
                let mut other = native.clone();
                other[index] += delta;
                assert!(
                    !is_satisfied(&model, widths, commitment, &input, &other).unwrap(),
                    "{input:?} → {other:?}"
                );
            }
        }
    }
    let (input, native) = ([-1, 1], model.infer(&[-1, 1]).unwrap());
    assert!(
        !is_satisfied(
            &model,
            widths,
            commitment + halo2_proofs::pasta::Fp::one(),
            &input,
            &native
        )
        .unwrap()
    );
    // A model differing in one weight has another commitment, which this model's witness does
    // not satisfy.
    let other = one_weight_changed(&model);
    let other_commitment = weights_commitment(&other, widths).unwrap();
    assert_ne!(other_commitment, commitment);
    assert!(!is_satisfied(&model, widths, other_commitment, &input, &native).unwrap());

    // A weight outside its width is refused, by the circuit and by the native commitment.
    let mut wide = (*model).clone();
    let QuantisedLayer::Dense { weights, .. } = &mut wide.layers[0] else {
        unreachable!()
    };
    weights[1] = 1 << (widths.weight_bits - 1);
    let wide = Arc::new(wide);
    assert!(matches!(
        Halo2HashedCircuit::new(Arc::clone(&wide), widths, input.to_vec()),
        Err(ProverError::Quantisation(_))
    ));
    assert!(matches!(
        weights_commitment(&wide, widths),
        Err(ProverError::Quantisation(_))
    ));
}

#[test]
fn halo2_hashed_demo_model_proofs_verify_against_their_commitment_with_one_key() {
    let quant = QuantParams::default();
    let loaded = LoadedModel::from_onnx(&demo_onnx(), quant).unwrap();
    let model = Arc::clone(&loaded.quantised);
    let widths = WeightWidths::fitting(&model);
    let counted = rows(&model, widths).unwrap();
    let k = circuit_k(&model, widths).unwrap();
    eprintln!(
        "digits model, halo2 hashed ({} weight bits, {} bias bits): {} rows, k = {k}; \
         {counted:?}; the fixed circuit: {} rows, k = {}",
        widths.weight_bits,
        widths.bias_bits,
        counted.total(),
        fixed_halo2::rows(&model),
        fixed_halo2::circuit_k(&model)
    );

    // The 784-56-10 MLP of the bench (random weights): its size, from the architecture alone.
    let mlp = QuantisedModel::new(&demo::random_mlp(&[784, 56, 10], 1).unwrap(), quant).unwrap();
    let mlp_widths = WeightWidths::fitting(&mlp);
    let mlp_blank = zero_weights(quant, 784, &shape(&mlp)).unwrap();
    let mlp_k = circuit_k(&mlp, mlp_widths).unwrap();
    assert_eq!(circuit_k(&mlp_blank, mlp_widths).unwrap(), mlp_k);
    // 2^13 rows is what keeps its prover's memory under 400 MB (docs/benchmarks.md).
    assert_eq!(mlp_k, 13, "{:?}", rows(&mlp, mlp_widths).unwrap());
    eprintln!(
        "784-56-10 MLP, halo2 hashed ({} weight bits, {} bias bits): {} rows, k = {mlp_k}; \
         {:?}; the fixed circuit: {} rows, k = {}",
        mlp_widths.weight_bits,
        mlp_widths.bias_bits,
        rows(&mlp, mlp_widths).unwrap().total(),
        rows(&mlp, mlp_widths).unwrap(),
        fixed_halo2::rows(&mlp),
        fixed_halo2::circuit_k(&mlp)
    );

    // The keys come from the architecture: a zero-weight model of the shape, the demo model
    // and a model differing in one weight all give the same verifying key.
    let blank = Arc::new(zero_weights(quant, model.input_len, &shape(&model)).unwrap());
    assert_eq!(circuit_k(&blank, widths).unwrap(), k);
    let commitment_params = params(k);
    let started = std::time::Instant::now();
    let pk = proving_key(&commitment_params, &blank, widths).unwrap();
    let keygen = started.elapsed();
    let digest = VerifyingKeyDigest::of(pk.get_vk());
    let other = Arc::new(one_weight_changed(&model));
    for m in [&model, &other] {
        let vk = verifying_key(&commitment_params, m, widths).unwrap();
        assert_eq!(VerifyingKeyDigest::of(&vk), digest);
    }

    let input = model.quantise_input(&demo_test_set().features[0]).unwrap();
    let started = std::time::Instant::now();
    let proof = prove(&commitment_params, &pk, &model, widths, input.clone()).unwrap();
    let proving = started.elapsed();
    eprintln!(
        "digits model, halo2 hashed: keygen {:.2} s, proof {:.2} s, {} bytes",
        keygen.as_secs_f64(),
        proving.as_secs_f64(),
        proof.bytes.len()
    );
    let commitment = weights_commitment(&model, widths).unwrap();
    assert_eq!(proof.commitment, commitment);
    assert_eq!(proof.output, model.infer(&input).unwrap());
    let vk = pk.get_vk();
    verify(
        &commitment_params,
        vk,
        commitment,
        &input,
        &proof.output,
        &proof.bytes,
    )
    .unwrap();

    let rejected = |commitment, output: &[i64], bytes: &[u8]| {
        let result = verify(&commitment_params, vk, commitment, &input, output, bytes);
        assert!(
            matches!(result, Err(ProverError::Halo2Rejected(_))),
            "{result:?}"
        );
    };
    // Against the commitment of the model that differs in one weight.
    let other_commitment = weights_commitment(&other, widths).unwrap();
    assert_ne!(other_commitment, commitment);
    rejected(other_commitment, &proof.output, &proof.bytes);
    // Another output.
    let mut other_output = proof.output.clone();
    other_output[3] += 1;
    rejected(commitment, &other_output, &proof.bytes);

    // The same key proves the other model; its proof verifies against its own commitment only.
    let other_proof = prove(&commitment_params, &pk, &other, widths, input.clone()).unwrap();
    assert_eq!(other_proof.commitment, other_commitment);
    verify(
        &commitment_params,
        vk,
        other_commitment,
        &input,
        &other_proof.output,
        &other_proof.bytes,
    )
    .unwrap();
    rejected(commitment, &other_proof.output, &other_proof.bytes);
}
