//! Proof of inference: ONNX loading (the demo model and small models built here with prost),
//! quantisation and its accuracy, native inference against the circuit, and Groth16 proofs of the
//! demo model that verify — and are rejected for another output, input or model.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use prost::Message;
use ramjet_accel::Accelerator;
use ramjet_prover::ProverError;
use ramjet_prover::groth16::Prover;
use ramjet_prover::inference::circuit::{circuit_outputs, count_constraints};
use ramjet_prover::inference::onnx::{
    AttributeProto, AttributeType, DataType, Dimension, GraphProto, ModelProto, NodeProto,
    TensorProto, TensorShapeProto, TensorTypeProto, TypeProto, ValueInfoProto,
};
use ramjet_prover::inference::{
    Dataset, InferenceCircuit, Layer, LoadedModel, ModelId, QuantParams, QuantisedModel, accuracy,
    onnx, public_inputs,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/digits")
}

pub(crate) fn demo_onnx() -> Vec<u8> {
    std::fs::read(demo_dir().join("digits.onnx")).unwrap()
}

pub(crate) fn demo_test_set() -> Dataset {
    Dataset::read(&demo_dir().join("test.json")).unwrap()
}

// --- small ONNX models built with prost ---

fn value_info(name: &str, dims: &[Dimension]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim: dims.to_vec() }),
            }),
        }),
    }
}

pub(crate) fn fixed(n: i64) -> Dimension {
    Dimension {
        dim_value: Some(n),
        dim_param: None,
    }
}

fn symbolic(name: &str) -> Dimension {
    Dimension {
        dim_value: None,
        dim_param: Some(name.into()),
    }
}

pub(crate) fn floats(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: values.to_vec(),
        ..Default::default()
    }
}

pub(crate) fn node(
    op: &str,
    inputs: &[&str],
    output: &str,
    attributes: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: format!("{op}_{output}"),
        op_type: op.into(),
        attribute: attributes,
        ..Default::default()
    }
}

pub(crate) fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i,
        r#type: AttributeType::Int as i32,
        ..Default::default()
    }
}

fn float_attr(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        f,
        r#type: AttributeType::Float as i32,
        ..Default::default()
    }
}

pub(crate) fn model_bytes(
    input: Vec<Dimension>,
    nodes: Vec<NodeProto>,
    initializer: Vec<TensorProto>,
    output: &str,
) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        producer_name: "ramjet tests".into(),
        graph: Some(GraphProto {
            node: nodes,
            name: "test".into(),
            initializer,
            input: vec![value_info("x", &input)],
            output: vec![value_info(output, &[])],
        }),
        opset_import: vec![],
    }
    .encode_to_vec()
}

// --- loading ---

#[test]
fn demo_model_loads_as_a_64_32_10_relu_network() {
    let model = onnx::load(&demo_onnx()).unwrap();
    assert_eq!(model.input_len, 64);
    assert_eq!(model.output_len(), 10);
    let shapes: Vec<String> = model
        .layers
        .iter()
        .map(|layer| match layer {
            Layer::Dense(d) => format!("dense {}x{}", d.inputs, d.outputs),
            Layer::Bias(_) => "bias".into(),
            Layer::Relu => "relu".into(),
        })
        .collect();
    // Flatten disappears; MatMul + Add become one dense layer.
    assert_eq!(shapes, ["dense 64x32", "relu", "dense 32x10"]);
    let Layer::Dense(second) = &model.layers[2] else {
        unreachable!()
    };
    assert!(
        second.bias.iter().any(|&b| b != 0.0),
        "the Add became the bias"
    );
}

#[test]
fn an_unsupported_operator_is_refused_by_name() {
    let bytes = model_bytes(
        vec![fixed(1), fixed(4)],
        vec![
            node("Flatten", &["x"], "flat", vec![]),
            node("Sigmoid", &["flat"], "y", vec![]),
        ],
        vec![],
        "y",
    );
    let error = onnx::load(&bytes).unwrap_err();
    assert!(
        matches!(&error, ProverError::UnsupportedOperator { op, node } if op == "Sigmoid" && node == "Sigmoid_y"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "ONNX: unsupported operator `Sigmoid` (node `Sigmoid_y`)"
    );
}

#[test]
fn gemm_alpha_beta_and_trans_b_are_applied_and_reshape_resolves_minus_one() {
    // x: [batch, 2, 2] → Reshape [0, -1] → [1, 4] → Gemm(alpha 2, beta 0.5, transB) → [1, 2].
    let b = [1.0f32, 2.0, 3.0, 4.0, -1.0, 0.5, 0.0, 2.0]; // [2, 4]: row o = weights of output o
    let c = [10.0f32, -4.0];
    let shape = TensorProto {
        name: "shape".into(),
        dims: vec![2],
        data_type: DataType::Int64 as i32,
        int64_data: vec![0, -1],
        ..Default::default()
    };
    let bytes = model_bytes(
        vec![symbolic("batch"), fixed(2), fixed(2)],
        vec![
            node("Reshape", &["x", "shape"], "flat", vec![]),
            node(
                "Gemm",
                &["flat", "b", "c"],
                "y",
                vec![
                    float_attr("alpha", 2.0),
                    float_attr("beta", 0.5),
                    int_attr("transB", 1),
                ],
            ),
        ],
        vec![shape, floats("b", &[2, 4], &b), floats("c", &[2], &c)],
        "y",
    );
    let model = onnx::load(&bytes).unwrap();
    let x = [1.0, -2.0, 0.5, 3.0];
    let y = model.infer(&x).unwrap();
    let expected: Vec<f64> = (0..2)
        .map(|o| {
            let dot: f64 = (0..4).map(|i| f64::from(b[o * 4 + i]) * x[i]).sum();
            2.0 * dot + 0.5 * f64::from(c[o])
        })
        .collect();
    assert_eq!(y, expected);
}

#[test]
fn gemm_with_trans_a_and_dynamic_feature_dimensions_are_refused_clearly() {
    let gemm = model_bytes(
        vec![fixed(1), fixed(2)],
        vec![node("Gemm", &["x", "w"], "y", vec![int_attr("transA", 1)])],
        vec![floats("w", &[2, 2], &[1.0, 0.0, 0.0, 1.0])],
        "y",
    );
    let error = onnx::load(&gemm).unwrap_err().to_string();
    assert!(error.contains("transA = 1 is not supported"), "{error}");

    let dynamic = model_bytes(
        vec![fixed(1), symbolic("features")],
        vec![node("Relu", &["x"], "y", vec![])],
        vec![],
        "y",
    );
    let error = onnx::load(&dynamic).unwrap_err().to_string();
    assert!(
        error.contains("dimension 1 is symbolic (`features`)"),
        "{error}"
    );

    let not_onnx = onnx::load(b"\xff\xff\xff not protobuf").unwrap_err();
    assert!(matches!(not_onnx, ProverError::OnnxDecode(_)), "{not_onnx}");
}

// --- quantisation ---

#[test]
fn fixed_point_inference_floors_and_bounds_as_documented() {
    // One dense layer 2 → 2 at scale 2^2: W = [[0.5, -0.25], [1, 1]], b = [0.1, 0].
    let bytes = model_bytes(
        vec![fixed(1), fixed(2)],
        vec![node(
            "Gemm",
            &["x", "w", "b"],
            "y",
            vec![int_attr("transB", 1)],
        )],
        vec![
            floats("w", &[2, 2], &[0.5, -0.25, 1.0, 1.0]),
            floats("b", &[2], &[0.1, 0.0]),
        ],
        "y",
    );
    let params = QuantParams {
        scale: 2,
        value_bits: 8,
    };
    let model = QuantisedModel::new(&onnx::load(&bytes).unwrap(), params).unwrap();
    // W at 2^2: [[2, -1], [4, 4]]; b at 2^4: round(1.6) = 2.
    // x = [-3, 5] (at 2^2): acc0 = -6 - 5 + 2 = -9, floor(-9/4) = -3; acc1 = 8, 8/4 = 2.
    assert_eq!(model.infer(&[-3, 5]).unwrap(), [-3, 2]);
    // x = [-1, 1]: acc0 = -2 - 1 + 2 = -1 → floor(-1/4) = -1 (not 0: floor, not truncation).
    assert_eq!(model.infer(&[-1, 1]).unwrap(), [-1, 0]);
    // 8-bit values: 127 is the largest input; [127, 127] gives acc1 = 1016, 1016/4 = 254 > 127.
    let error = model.infer(&[127, 127]).unwrap_err();
    assert!(
        matches!(
            error,
            ProverError::ValueOutOfRange {
                layer: Some(0),
                index: 1,
                value: 254,
                bits: 8
            }
        ),
        "{error:?}"
    );
    assert!(matches!(
        model.infer(&[128, 0]),
        Err(ProverError::ValueOutOfRange { layer: None, .. })
    ));
    // Inputs round half away from zero: 0.375·4 = 1.5 → 2, −0.375·4 → −2.
    assert_eq!(model.quantise_input(&[0.375, -0.375]).unwrap(), [2, -2]);
}

#[test]
fn quantised_demo_model_is_within_one_point_of_the_float_model() {
    let loaded = LoadedModel::from_onnx(&demo_onnx(), QuantParams::default()).unwrap();
    let data = demo_test_set();
    let result = accuracy(&loaded.float, &loaded.quantised, &data).unwrap();
    println!(
        "digits test set ({} samples): float {:.2} %, quantised (scale 2^{}) {:.2} %, agreeing on \
         {}",
        result.samples,
        result.float_percent(),
        loaded.quantised.params.scale,
        result.quantised_percent(),
        result.agreeing
    );
    assert_eq!(result.samples, 360);
    assert!(result.float_percent() > 90.0, "{result:?}");
    assert!(
        result.quantised_percent() >= result.float_percent() - 1.0,
        "{result:?}"
    );
}

// --- the circuit against native inference ---

#[test]
fn native_inference_equals_the_circuit_outputs_exactly() {
    let loaded = LoadedModel::from_onnx(&demo_onnx(), QuantParams::default()).unwrap();
    let model = &loaded.quantised;
    let data = demo_test_set();
    let mut inputs: Vec<Vec<i64>> = data.features[..4]
        .iter()
        .map(|x| model.quantise_input(x).unwrap())
        .collect();
    // Inputs the data set never has — negative and large — so that hidden values are negative
    // and rescaling floors negative accumulators.
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    for _ in 0..3 {
        inputs.push((0..64).map(|_| rng.gen_range(-400..400)).collect());
    }
    let mut negative_outputs = 0;
    for input in &inputs {
        let native = model.infer(input).unwrap();
        let (in_circuit, satisfied) = circuit_outputs(model, input).unwrap();
        assert!(satisfied);
        assert_eq!(in_circuit, native);
        negative_outputs += native.iter().filter(|&&v| v < 0).count();
    }
    assert!(negative_outputs > 0, "the inputs exercise negative values");
}

// --- Groth16 proofs ---

#[test]
fn demo_model_proofs_verify_and_are_rejected_for_another_output_input_or_model() {
    let params = QuantParams::default();
    let loaded = LoadedModel::from_onnx(&demo_onnx(), params).unwrap();
    let model = Arc::clone(&loaded.quantised);
    let constraints = count_constraints(&model).unwrap();
    println!("digits model circuit: {constraints} constraints");
    // The breakdown docs/inference.md gives: inputs bounded (B + 1 each), per dense output one
    // decomposition of B + s bits and its sum, 1 per ReLU, 1 per output equality.
    let (b, s) = (params.value_bits as usize, params.scale as usize);
    assert_eq!(
        constraints,
        64 * (b + 1) + 32 * (b + s + 1) + 32 + 10 * (b + s + 1) + 10
    );

    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(
        InferenceCircuit::blank(Arc::clone(&model)),
        &mut rng,
    )
    .unwrap();
    let pvk = ark_groth16::prepare_verifying_key(&vk);
    let prover = Prover::new(Arc::new(Accelerator::cpu_only()));
    let key = prover.prepare(pk).unwrap();

    let data = demo_test_set();
    let mut proofs = Vec::new();
    for x in &data.features[..2] {
        let input = model.quantise_input(x).unwrap();
        let circuit = InferenceCircuit::new(Arc::clone(&model), input.clone()).unwrap();
        let public = circuit.public_inputs().unwrap().unwrap();
        assert_eq!(public.len(), 64 + 10);
        let output = circuit.output().unwrap().to_vec();
        let proof = prover.prove(&key, circuit, &mut rng).unwrap();
        assert!(Groth16::<Bn254>::verify_with_processed_vk(&pvk, &public, &proof).unwrap());

        // Another output: one logit off by one.
        let mut other_output = output.clone();
        other_output[3] += 1;
        let forged = public_inputs(&input, &other_output);
        assert!(!Groth16::<Bn254>::verify_with_processed_vk(&pvk, &forged, &proof).unwrap());
        // Another input: one pixel changed, same output.
        let mut other_input = input.clone();
        other_input[10] += 1;
        let forged = public_inputs(&other_input, &output);
        assert!(!Groth16::<Bn254>::verify_with_processed_vk(&pvk, &forged, &proof).unwrap());
        // The prover refuses to prove an output the model does not give.
        let lie = InferenceCircuit::claiming(Arc::clone(&model), input.clone(), other_output);
        let refused = prover.prove(&key, lie, &mut rng);
        assert!(
            matches!(refused, Err(ProverError::Unsatisfied { .. })),
            "{refused:?}"
        );
        proofs.push((public, proof));
    }

    // Another model of the same shape (one weight of the first layer changed): its key rejects
    // the demo model's proofs.
    let mut other_float = loaded.float.clone();
    let Layer::Dense(first) = &mut other_float.layers[0] else {
        unreachable!()
    };
    first.weights[0] += 0.5;
    let other = Arc::new(QuantisedModel::new(&other_float, params).unwrap());
    let (_, other_vk) =
        Groth16::<Bn254>::circuit_specific_setup(InferenceCircuit::blank(other), &mut rng).unwrap();
    let other_pvk = ark_groth16::prepare_verifying_key(&other_vk);
    for (public, proof) in &proofs {
        assert!(!Groth16::<Bn254>::verify_with_processed_vk(&other_pvk, public, proof).unwrap());
    }
    assert_ne!(
        ModelId::new(&demo_onnx(), params),
        ModelId::new(&demo_onnx(), QuantParams { scale: 8, ..params })
    );
}

// --- hashed weights ---

#[test]
fn hashed_weights_commitment_binds_the_model_and_one_key_serves_the_architecture() {
    use ramjet_prover::inference::hashed::{
        HashedInferenceCircuit, WeightWidths, weights_commitment,
    };

    let params = QuantParams::default();
    let loaded = LoadedModel::from_onnx(&demo_onnx(), params).unwrap();
    let model = Arc::clone(&loaded.quantised);
    let widths = WeightWidths::fitting(&model);
    println!("demo model widths: {widths:?}");

    // Another model of the same architecture: one weight changed (still within the widths).
    let mut other_float = loaded.float.clone();
    let Layer::Dense(first) = &mut other_float.layers[0] else {
        unreachable!()
    };
    first.weights[5] = -first.weights[5] + 0.25;
    let other = Arc::new(QuantisedModel::new(&other_float, params).unwrap());
    let commitment = weights_commitment(&model, widths).unwrap();
    let other_commitment = weights_commitment(&other, widths).unwrap();
    assert_ne!(commitment, other_commitment);

    let blank = HashedInferenceCircuit::blank(Arc::clone(&model), widths).unwrap();
    let cs = ark_relations::gr1cs::ConstraintSystem::<ark_bn254::Fr>::new_ref();
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    ark_relations::gr1cs::ConstraintSynthesizer::generate_constraints(blank.clone(), cs.clone())
        .unwrap();
    println!(
        "hashed-weights circuit of the demo model: {} constraints (fixed: {})",
        cs.num_constraints(),
        count_constraints(&model).unwrap()
    );

    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(blank, &mut rng).unwrap();
    let pvk = ark_groth16::prepare_verifying_key(&vk);
    let prover = Prover::new(Arc::new(Accelerator::cpu_only()));
    let key = prover.prepare(pk).unwrap();
    let data = demo_test_set();
    let input = model.quantise_input(&data.features[1]).unwrap();

    for (m, c, wrong) in [
        (&model, commitment, other_commitment),
        (&other, other_commitment, commitment),
    ] {
        let circuit = HashedInferenceCircuit::new(Arc::clone(m), widths, input.clone()).unwrap();
        let public = circuit.public_inputs().unwrap().unwrap();
        assert_eq!(public[0], c);
        assert_eq!(&public[1..65], &public_inputs(&input, &[])[..]);
        assert_eq!(circuit.output().unwrap(), &m.infer(&input).unwrap()[..]);
        let proof = prover.prove(&key, circuit, &mut rng).unwrap();
        assert!(Groth16::<Bn254>::verify_with_processed_vk(&pvk, &public, &proof).unwrap());
        // The same proof against the other model's commitment.
        let mut forged = public.clone();
        forged[0] = wrong;
        assert!(!Groth16::<Bn254>::verify_with_processed_vk(&pvk, &forged, &proof).unwrap());
    }

    // A weight outside the widths is refused.
    let narrow = WeightWidths {
        weight_bits: widths.weight_bits - 1,
        ..widths
    };
    let refused = HashedInferenceCircuit::new(Arc::clone(&model), narrow, input);
    assert!(
        matches!(refused, Err(ProverError::Quantisation(_))),
        "{refused:?}"
    );
}

#[test]
fn asked_widths_are_used_when_wide_enough_and_refused_otherwise() {
    use ramjet_prover::inference::hashed::{WeightWidths, WidthChoice};

    let loaded = LoadedModel::from_onnx(&demo_onnx(), QuantParams::default()).unwrap();
    let model = &loaded.quantised;
    let fitting = WeightWidths::fitting(model);
    assert_eq!(WidthChoice::default().resolve(model).unwrap(), fitting);
    let wider = WidthChoice {
        weight_bits: Some(fitting.weight_bits + 3),
        bias_bits: None,
    };
    assert_eq!(
        wider.resolve(model).unwrap(),
        WeightWidths {
            weight_bits: fitting.weight_bits + 3,
            bias_bits: fitting.bias_bits,
        }
    );
    let refused = |choice: WidthChoice| match choice.resolve(model) {
        Err(ProverError::Quantisation(message)) => message,
        other => panic!("{choice:?} gave {other:?}"),
    };
    let narrow = refused(WidthChoice {
        weight_bits: None,
        bias_bits: Some(fitting.bias_bits - 1),
    });
    assert_eq!(
        narrow,
        format!(
            "a bias width of {} bits is too narrow: the model's biases need {} bits",
            fitting.bias_bits - 1,
            fitting.bias_bits
        )
    );
    let zero = refused(WidthChoice {
        weight_bits: Some(0),
        bias_bits: None,
    });
    assert_eq!(zero, "a weight width of 0 bits is not between 1 and 64");
    let huge = refused(WidthChoice {
        weight_bits: None,
        bias_bits: Some(65),
    });
    assert_eq!(huge, "a bias width of 65 bits is not between 1 and 64");
}

// --- hashed input and output ---

/// The hash of a section by hand: values `v + 2^(B−1)` packed least significant first, at most
/// 248 bits an element, then the Poseidon chain from 0.
#[test]
fn values_hash_packs_and_chains_as_documented_and_refuses_values_out_of_bounds() {
    use ark_bn254::Fr;
    use ark_ff::Field;
    use ramjet_prover::inference::io::values_hash;
    use ramjet_prover::rollup::poseidon;

    let shift = |n: u64| Fr::from(2u64).pow([n]);
    // Three 8-bit values in one element.
    let element = Fr::from(127u64) + Fr::from(128u64) * shift(8) + Fr::from(133u64) * shift(16);
    assert_eq!(
        values_hash(&[-1, 0, 5], 8).unwrap(),
        poseidon::hash(&[Fr::from(0u64), element])
    );
    // Eight 32-bit values: seven fill 224 bits of the first element, the eighth starts a second.
    let values: Vec<i64> = (0..8).map(|i| i * 1000 - 3000).collect();
    let unsigned = |v: i64| Fr::from((v + (1 << 31)) as u64);
    let first = (0..7).fold(Fr::from(0u64), |acc, i| {
        acc + unsigned(values[i]) * shift(32 * i as u64)
    });
    assert_eq!(
        values_hash(&values, 32).unwrap(),
        poseidon::hash(&[Fr::from(0u64), first, unsigned(values[7])])
    );
    // Nine elements: a second Poseidon call chains the first's result.
    let many: Vec<i64> = (0..63).collect();
    let elements: Vec<Fr> = many
        .chunks(7)
        .map(|chunk| {
            chunk
                .iter()
                .enumerate()
                .fold(Fr::from(0u64), |acc, (i, &v)| {
                    acc + unsigned(v) * shift(32 * i as u64)
                })
        })
        .collect();
    let zero = Fr::from(0u64);
    let e = &elements;
    let first_call = poseidon::hash(&[zero, e[0], e[1], e[2], e[3]]);
    let second_call = poseidon::hash(&[first_call, e[4], e[5], e[6], e[7]]);
    let chained = poseidon::hash(&[second_call, e[8]]);
    assert_eq!(values_hash(&many, 32).unwrap(), chained);

    assert!(values_hash(&[128], 8).is_err());
    assert!(values_hash(&[-129], 8).is_err());
    assert!(values_hash(&[127, -128], 8).is_ok());
}

#[test]
fn hashed_input_and_output_bind_the_values_behind_their_hashes() {
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
    use ramjet_prover::inference::hashed::{HashedInferenceCircuit, WeightWidths};
    use ramjet_prover::inference::io::values_hash;
    use ramjet_prover::inference::{IoVisibility, Visibility};

    let params = QuantParams::default();
    let loaded = LoadedModel::from_onnx(&demo_onnx(), params).unwrap();
    let model = Arc::clone(&loaded.quantised);
    let bits = params.value_bits;
    let data = demo_test_set();
    let input = model.quantise_input(&data.features[0]).unwrap();
    let output = model.infer(&input).unwrap();
    let hashed = IoVisibility {
        input: Visibility::Hashed,
        output: Visibility::Hashed,
    };
    let satisfied = |circuit: &dyn Fn() -> InferenceCircuit| {
        let cs = ConstraintSystem::<ark_bn254::Fr>::new_ref();
        circuit().generate_constraints(cs.clone()).unwrap();
        cs.is_satisfied().unwrap()
    };

    // Every combination: the public values are the sections in order, and the circuit is
    // satisfied by the model's output and by no other.
    let mut other_output = output.clone();
    other_output[7] -= 1;
    for (input_visibility, output_visibility) in [
        (Visibility::Public, Visibility::Hashed),
        (Visibility::Hashed, Visibility::Public),
        (Visibility::Hashed, Visibility::Hashed),
    ] {
        let visibility = IoVisibility {
            input: input_visibility,
            output: output_visibility,
        };
        let constraints = {
            let cs = ConstraintSystem::<ark_bn254::Fr>::new_ref();
            cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
            InferenceCircuit::blank(Arc::clone(&model))
                .with_visibility(visibility)
                .generate_constraints(cs.clone())
                .unwrap();
            cs.num_constraints()
        };
        println!(
            "demo model, input {input_visibility}, output {output_visibility}: {constraints} \
             constraints (both public: {})",
            count_constraints(&model).unwrap()
        );
        let circuit = InferenceCircuit::new(Arc::clone(&model), input.clone())
            .unwrap()
            .with_visibility(visibility);
        let public = circuit.public_inputs().unwrap().unwrap();
        let mut expected = match input_visibility {
            Visibility::Public => public_inputs(&input, &[]),
            Visibility::Hashed => vec![values_hash(&input, bits).unwrap()],
        };
        expected.extend(match output_visibility {
            Visibility::Public => public_inputs(&[], &output),
            Visibility::Hashed => vec![values_hash(&output, bits).unwrap()],
        });
        assert_eq!(public, expected);
        assert_eq!(public.len(), visibility.public_len(64, 10));
        assert!(satisfied(&|| circuit.clone()));
        assert!(!satisfied(&|| {
            InferenceCircuit::claiming(Arc::clone(&model), input.clone(), other_output.clone())
                .with_visibility(visibility)
        }));
    }

    // A real proof with both sections hashed: two public values. It verifies, and is rejected
    // against the hash of another input or of another output.
    let mut rng = ChaCha20Rng::seed_from_u64(31);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(
        InferenceCircuit::blank(Arc::clone(&model)).with_visibility(hashed),
        &mut rng,
    )
    .unwrap();
    let pvk = ark_groth16::prepare_verifying_key(&vk);
    let prover = Prover::new(Arc::new(Accelerator::cpu_only()));
    let key = prover.prepare(pk).unwrap();
    let circuit = InferenceCircuit::new(Arc::clone(&model), input.clone())
        .unwrap()
        .with_visibility(hashed);
    let public = circuit.public_inputs().unwrap().unwrap();
    assert_eq!(public.len(), 2);
    let proof = prover.prove(&key, circuit, &mut rng).unwrap();
    assert!(Groth16::<Bn254>::verify_with_processed_vk(&pvk, &public, &proof).unwrap());
    let mut other_input = input.clone();
    other_input[20] += 1;
    let forged = [values_hash(&other_input, bits).unwrap(), public[1]];
    assert!(!Groth16::<Bn254>::verify_with_processed_vk(&pvk, &forged, &proof).unwrap());
    let forged = [public[0], values_hash(&other_output, bits).unwrap()];
    assert!(!Groth16::<Bn254>::verify_with_processed_vk(&pvk, &forged, &proof).unwrap());
    let lie = InferenceCircuit::claiming(Arc::clone(&model), input.clone(), other_output)
        .with_visibility(hashed);
    let refused = prover.prove(&key, lie, &mut rng);
    assert!(
        matches!(refused, Err(ProverError::Unsatisfied { .. })),
        "{refused:?}"
    );

    // With the hashed weights binding too: the commitment, then the two hashes.
    let widths = WeightWidths::fitting(&model);
    let circuit = HashedInferenceCircuit::new(Arc::clone(&model), widths, input.clone())
        .unwrap()
        .with_visibility(hashed);
    let public = circuit.public_inputs().unwrap().unwrap();
    assert_eq!(public.len(), 3);
    assert_eq!(public[1], values_hash(&input, bits).unwrap());
    assert_eq!(public[2], values_hash(&output, bits).unwrap());
    let cs = ConstraintSystem::<ark_bn254::Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).unwrap();
    assert!(cs.is_satisfied().unwrap());
}

/// The prover reads the R1CS matrices row by row from the finalized constraint system into a
/// compact form of its own; on the hashed circuit (bit packing, Poseidon, witness products:
/// linear combinations of linear combinations) they must be arkworks' own, row for row.
#[test]
fn prover_matrices_of_the_hashed_circuit_are_arkworks_matrices() {
    use ark_relations::gr1cs::{
        ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, R1CS_PREDICATE_LABEL,
        SynthesisMode,
    };
    use ramjet_prover::groth16::SynthesizedCircuit;
    use ramjet_prover::inference::hashed::{HashedInferenceCircuit, WeightWidths};

    let loaded = LoadedModel::from_onnx(&demo_onnx(), QuantParams::default()).unwrap();
    let model = Arc::clone(&loaded.quantised);
    let widths = WeightWidths::fitting(&model);
    let input = model.quantise_input(&demo_test_set().features[0]).unwrap();
    let circuit = HashedInferenceCircuit::new(Arc::clone(&model), widths, input).unwrap();

    let cs = ConstraintSystem::<ark_bn254::Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: false,
    });
    circuit.clone().generate_constraints(cs.clone()).unwrap();
    cs.finalize();
    let arkworks = cs
        .to_matrices()
        .unwrap()
        .remove(R1CS_PREDICATE_LABEL)
        .unwrap();

    let ours = SynthesizedCircuit::synthesize(circuit).unwrap();
    assert_eq!(ours.num_constraints(), cs.num_constraints());
    for (name, (ours, theirs)) in ["A", "B", "C"]
        .iter()
        .zip(ours.matrices().iter().zip(&arkworks))
    {
        assert_eq!(ours.len(), theirs.len(), "rows of {name}");
        if let Some(row) = (0..ours.len()).find(|&i| ours[i] != theirs[i]) {
            panic!(
                "matrix {name}, row {row}: {:?} against arkworks' {:?}",
                ours[row], theirs[row]
            );
        }
    }
}

#[test]
fn random_mlp_onnx_is_a_seeded_gemm_relu_chain_that_loads() {
    use ramjet_prover::inference::demo::{random_input, random_mlp, random_mlp_onnx};
    use ramjet_prover::inference::{Layer, QuantParams, QuantisedModel};

    let bytes = random_mlp_onnx(&[784, 56, 10], 7).unwrap();
    assert_eq!(bytes, random_mlp_onnx(&[784, 56, 10], 7).unwrap());
    assert_ne!(bytes, random_mlp_onnx(&[784, 56, 10], 8).unwrap());
    let model = random_mlp(&[784, 56, 10], 7).unwrap();
    assert_eq!((model.input_len, model.output_len()), (784, 10));
    let shapes: Vec<String> = model
        .layers
        .iter()
        .map(|layer| match layer {
            Layer::Dense(d) => {
                let bound = 1.0 / (d.inputs as f64).sqrt();
                assert!(d.weights.iter().chain(&d.bias).all(|w| w.abs() <= bound));
                format!("dense {}x{}", d.inputs, d.outputs)
            }
            Layer::Relu => "relu".into(),
            Layer::Bias(_) => "bias".into(),
        })
        .collect();
    // A Gemm's bias is folded into its dense layer.
    assert_eq!(shapes, ["dense 784x56", "relu", "dense 56x10"]);
    // It quantises and runs at the default scale; the float and fixed-point outputs agree to
    // within the rounding of two layers.
    let quantised = QuantisedModel::new(&model, QuantParams::default()).unwrap();
    let input = random_input(784, 1);
    let float = model.infer(&input).unwrap();
    let fixed = quantised
        .infer(&quantised.quantise_input(&input).unwrap())
        .unwrap();
    for (f, q) in float.iter().zip(&fixed) {
        assert!((f - *q as f64 / 128.0).abs() < 0.5, "{f} vs {q}");
    }
    assert!(random_mlp_onnx(&[784], 1).is_err() && random_mlp_onnx(&[4, 0, 2], 1).is_err());
}
