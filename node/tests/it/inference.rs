//! `ramjet infer` as a user runs it on the demo model: setup → prove → verify (with the
//! verifying key alone), the accuracy report, and the ways it must refuse: another output,
//! another input, another model's key, an unsupported operator; the hashed binding (one key per
//! architecture, the published commitment enforced), hashed input and output, and the majority
//! check. The same with halo2 is in [`halo2`].

use std::path::{Path, PathBuf};

use crate::support::{ok, ramjet, refused};

mod halo2;

use prost::Message;
use ramjet_prover::inference::{LoadedModel, QuantParams, argmax, onnx};

pub(super) fn demo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../prover/models/digits")
        .join(file)
}

pub(super) fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The demo model with its graph changed by `edit`, re-encoded.
pub(super) fn edited_demo(edit: impl FnOnce(&mut onnx::GraphProto)) -> Vec<u8> {
    let mut proto = onnx::decode(&std::fs::read(demo("digits.onnx")).unwrap()).unwrap();
    edit(proto.graph.as_mut().unwrap());
    proto.encode_to_vec()
}

pub(super) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn setup_prove_verify_the_demo_model_and_refuse_forgeries() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (demo("digits.onnx"), demo("input.json"));

    let text = ok(&ramjet(
        d,
        &[
            "infer",
            "setup",
            "--model",
            arg(&model),
            "--insecure-seed",
            "3",
        ],
    ));
    assert!(text.contains("keys for model"), "{text}");
    assert!(text.contains("64 inputs, 10 outputs, scale 2^7"), "{text}");
    let info: serde_json::Value = read_json(&d.join("infer-keys/model.json"));
    let id = LoadedModel::read(&model, QuantParams::default())
        .unwrap()
        .id;
    assert_eq!(info["model_id"], id.to_hex());
    assert_eq!(info["binding"], "fixed");

    let text = ok(&ramjet(
        d,
        &[
            "infer",
            "prove",
            "--model",
            arg(&model),
            "--input",
            arg(&input),
        ],
    ));
    for phase in ["synthesis", "msm_h", "total"] {
        assert!(text.contains(phase), "{text}");
    }
    assert!(text.contains("wrote infer-proof/proof.bin"), "{text}");
    // The proved output is the native fixed-point inference's.
    let loaded = LoadedModel::read(&model, QuantParams::default()).unwrap();
    let floats: serde_json::Value = read_json(&input);
    let floats: Vec<f64> = serde_json::from_value(floats["input"].clone()).unwrap();
    let native_input = loaded.quantised.quantise_input(&floats).unwrap();
    let native = loaded.quantised.infer(&native_input).unwrap();
    let output: serde_json::Value = read_json(&d.join("infer-proof/output.json"));
    let proved: Vec<i64> = serde_json::from_value(output["output"].clone()).unwrap();
    assert_eq!(proved, native);
    assert_eq!(output["class"], argmax(&native).unwrap());
    let public: Vec<String> = read_json(&d.join("infer-proof/public.json"));
    assert_eq!(public.len(), 74);

    // Verification needs the verifying key and model.json, not the proving key.
    std::fs::remove_file(d.join("infer-keys/proving_key.bin")).unwrap();
    let text = ok(&ramjet(d, &["infer", "verify"]));
    assert!(text.starts_with("proof OK"), "{text}");
    assert!(text.contains(&format!("{native:?}")), "{text}");
    ok(&ramjet(
        d,
        &[
            "infer",
            "verify",
            "--model",
            arg(&model),
            "--input",
            arg(&input),
        ],
    ));

    // Another output, another input.
    for index in [70, 5] {
        let mut forged = public.clone();
        // Another small value (negative values are written p − |v|, too large to parse).
        forged[index] = if forged[index] == "7" { "8" } else { "7" }.to_owned();
        std::fs::write(
            d.join("forged.json"),
            serde_json::to_string(&forged).unwrap(),
        )
        .unwrap();
        let err = refused(&ramjet(d, &["infer", "verify", "--public", "forged.json"]));
        assert!(err.contains("proof rejected"), "{index}: {err}");
    }
    let mut other_input = floats.clone();
    other_input[20] += 0.5;
    std::fs::write(
        d.join("other-input.json"),
        serde_json::json!({ "input": other_input }).to_string(),
    )
    .unwrap();
    let err = refused(&ramjet(
        d,
        &["infer", "verify", "--input", "other-input.json"],
    ));
    assert!(err.contains("another input"), "{err}");

    // Another model of the same shape: one weight changed.
    let other = edited_demo(|graph| graph.initializer[0].raw_data[1] ^= 0x40);
    std::fs::write(d.join("other.onnx"), other).unwrap();
    ok(&ramjet(
        d,
        &[
            "infer",
            "setup",
            "--model",
            "other.onnx",
            "--out",
            "other-keys",
        ],
    ));
    let err = refused(&ramjet(d, &["infer", "verify", "--keys", "other-keys"]));
    assert!(err.contains("proof rejected"), "{err}");
    let err = refused(&ramjet(d, &["infer", "verify", "--model", "other.onnx"]));
    assert!(err.contains("the key was made for model"), "{err}");
    let err = refused(&ramjet(
        d,
        &[
            "infer",
            "prove",
            "--model",
            "other.onnx",
            "--input",
            arg(&input),
            "--keys",
            "infer-keys",
        ],
    ));
    assert!(err.contains("were made for model"), "{err}");
}

#[test]
fn unsupported_operators_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = edited_demo(|graph| graph.node[2].op_type = "Sigmoid".into());
    std::fs::write(d.join("bad.onnx"), bad).unwrap();
    let err = refused(&ramjet(d, &["infer", "setup", "--model", "bad.onnx"]));
    assert!(err.contains("unsupported operator `Sigmoid`"), "{err}");
}

#[test]
fn accuracy_reports_float_and_quantised_accuracy_on_the_test_set() {
    let dir = tempfile::tempdir().unwrap();
    let text = ok(&ramjet(
        dir.path(),
        &[
            "infer",
            "accuracy",
            "--model",
            arg(&demo("digits.onnx")),
            "--data",
            arg(&demo("test.json")),
        ],
    ));
    assert!(text.starts_with("360 samples: float "), "{text}");
    assert!(text.contains("quantised at 2^7"), "{text}");
}

/// A 4-3-2 ReLU network (Gemm, Relu, Gemm) whose weights come from `seed`.
pub(super) fn tiny_model(seed: f32) -> Vec<u8> {
    tiny_model_with_gain(seed, 1.0)
}

/// [`tiny_model`] with every weight and bias multiplied by `gain`.
pub(super) fn tiny_model_with_gain(seed: f32, gain: f32) -> Vec<u8> {
    use onnx::{
        Dimension, GraphProto, ModelProto, NodeProto, TensorProto, TensorShapeProto,
        TensorTypeProto, TypeProto, ValueInfoProto,
    };
    let info = |name: &str, dims: Vec<Dimension>| ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: 1,
                shape: Some(TensorShapeProto { dim: dims }),
            }),
        }),
    };
    let fixed = |n| Dimension {
        dim_value: Some(n),
        dim_param: None,
    };
    let tensor = |name: &str, dims: Vec<i64>| {
        let n: i64 = dims.iter().product();
        TensorProto {
            name: name.into(),
            dims,
            data_type: 1,
            float_data: (0..n)
                .map(|i| gain * ((i as f32 + seed) * 0.37).sin())
                .collect(),
            ..Default::default()
        }
    };
    let gemm = |inputs: [&str; 3], output: &str| NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        op_type: "Gemm".into(),
        ..Default::default()
    };
    ModelProto {
        ir_version: 8,
        graph: Some(GraphProto {
            node: vec![
                gemm(["x", "w1", "b1"], "h"),
                NodeProto {
                    input: vec!["h".into()],
                    output: vec!["r".into()],
                    op_type: "Relu".into(),
                    ..Default::default()
                },
                gemm(["r", "w2", "b2"], "y"),
            ],
            initializer: vec![
                tensor("w1", vec![4, 3]),
                tensor("b1", vec![3]),
                tensor("w2", vec![3, 2]),
                tensor("b2", vec![2]),
            ],
            input: vec![info("x", vec![fixed(1), fixed(4)])],
            output: vec![info("y", vec![fixed(1), fixed(2)])],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn hashed_binding_round_trip_and_the_published_commitment_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.onnx"), tiny_model(0.0)).unwrap();
    std::fs::write(d.join("other.onnx"), tiny_model(1.0)).unwrap();
    std::fs::write(d.join("x.json"), r#"{"input": [0.5, -1.0, 0.25, 2.0]}"#).unwrap();
    let model = ["--model", "tiny.onnx"];
    let mut setup = vec![
        "infer",
        "setup",
        "--binding",
        "hashed",
        "--insecure-seed",
        "5",
    ];
    setup.extend(model);
    let text = ok(&ramjet(d, &setup));
    assert!(text.contains("weights commitment (Poseidon)"), "{text}");
    let info: serde_json::Value = read_json(&d.join("infer-keys/model.json"));
    assert_eq!(info["binding"], "hashed");

    let prove = |model: &str, out: &str| {
        ramjet(
            d,
            &[
                "infer", "prove", "--model", model, "--input", "x.json", "--out", out,
            ],
        )
    };
    ok(&prove("tiny.onnx", "infer-proof"));
    let public: Vec<String> = read_json(&d.join("infer-proof/public.json"));
    assert_eq!(public.len(), 1 + 4 + 2);
    assert_eq!(public[0], info["commitment"].as_str().unwrap());
    let text = ok(&ramjet(d, &["infer", "verify"]));
    assert!(text.starts_with("proof OK"), "{text}");
    ok(&ramjet(
        d,
        &[
            "infer",
            "verify",
            "--model",
            "tiny.onnx",
            "--input",
            "x.json",
        ],
    ));

    // One key serves the architecture: another model proves with it, but its proof is about
    // another commitment than the published one.
    ok(&prove("other.onnx", "other-proof"));
    let err = refused(&ramjet(
        d,
        &[
            "infer",
            "verify",
            "--proof",
            "other-proof/proof.bin",
            "--public",
            "other-proof/public.json",
        ],
    ));
    assert!(err.contains("not the published"), "{err}");
    let err = refused(&ramjet(d, &["infer", "verify", "--model", "other.onnx"]));
    assert!(err.contains("the key was made for model"), "{err}");
    // Claiming the published commitment for the other model's proof breaks the pairing check.
    let mut forged: Vec<String> = read_json(&d.join("other-proof/public.json"));
    forged[0] = public[0].clone();
    std::fs::write(
        d.join("forged.json"),
        serde_json::to_string(&forged).unwrap(),
    )
    .unwrap();
    let err = refused(&ramjet(
        d,
        &[
            "infer",
            "verify",
            "--proof",
            "other-proof/proof.bin",
            "--public",
            "forged.json",
        ],
    ));
    assert!(
        err.contains("proof rejected: the pairing check fails"),
        "{err}"
    );
}

#[test]
fn wider_widths_make_keys_that_prove_a_model_with_larger_weights() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.onnx"), tiny_model(0.0)).unwrap();
    // The same architecture with weights eight times larger: 3 more bits each.
    std::fs::write(d.join("large.onnx"), tiny_model_with_gain(1.0, 8.0)).unwrap();
    std::fs::write(d.join("x.json"), r#"{"input": [0.5, -1.0, 0.25, 2.0]}"#).unwrap();
    let setup = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "infer",
            "setup",
            "--model",
            "tiny.onnx",
            "--binding",
            "hashed",
            "--insecure-seed",
            "5",
            "--out",
            out,
        ];
        args.extend(extra);
        ramjet(d, &args)
    };
    let prove = |keys: &str, out: &str| {
        ramjet(
            d,
            &[
                "infer",
                "prove",
                "--model",
                "large.onnx",
                "--input",
                "x.json",
                "--keys",
                keys,
                "--out",
                out,
            ],
        )
    };

    // The smallest widths that fit tiny.onnx do not hold large.onnx's weights.
    ok(&setup("fitting-keys", &[]));
    let fitting: serde_json::Value = read_json(&d.join("fitting-keys/model.json"));
    let (weight_bits, bias_bits) = (
        fitting["widths"]["weight_bits"].as_u64().unwrap(),
        fitting["widths"]["bias_bits"].as_u64().unwrap(),
    );
    let err = refused(&prove("fitting-keys", "fitting-proof"));
    assert!(err.contains("does not fit"), "{err}");

    // Keys with wider widths prove it; its proof checks out against its own commitment, which
    // is not the one published with the keys.
    let (wide_weights, wide_biases) = ((weight_bits + 4).to_string(), (bias_bits + 4).to_string());
    ok(&setup(
        "wide-keys",
        &["--weight-bits", &wide_weights, "--bias-bits", &wide_biases],
    ));
    let wide: serde_json::Value = read_json(&d.join("wide-keys/model.json"));
    assert_eq!(wide["widths"]["weight_bits"], weight_bits + 4);
    assert_eq!(wide["widths"]["bias_bits"], bias_bits + 4);
    assert_ne!(wide["commitment"], fitting["commitment"]);
    ok(&prove("wide-keys", "wide-proof"));
    let public: Vec<String> = read_json(&d.join("wide-proof/public.json"));
    let mut own_setup = vec![
        "infer",
        "setup",
        "--model",
        "large.onnx",
        "--binding",
        "hashed",
    ];
    own_setup.extend(["--weight-bits", &wide_weights, "--bias-bits", &wide_biases]);
    own_setup.extend(["--insecure-seed", "6", "--out", "large-keys"]);
    ok(&ramjet(d, &own_setup));
    let large: serde_json::Value = read_json(&d.join("large-keys/model.json"));
    assert_eq!(public[0], large["commitment"].as_str().unwrap());
    let err = refused(&ramjet(
        d,
        &[
            "infer",
            "verify",
            "--keys",
            "wide-keys",
            "--proof",
            "wide-proof/proof.bin",
            "--public",
            "wide-proof/public.json",
        ],
    ));
    assert!(err.contains("not the published"), "{err}");

    // Too narrow a width, and widths with the fixed binding, are refused before any key is made.
    let err = refused(&setup("narrow-keys", &["--weight-bits", "2"]));
    assert!(
        err.contains(&format!(
            "a weight width of 2 bits is too narrow: the model's weights need {weight_bits} bits"
        )),
        "{err}"
    );
    let err = refused(&ramjet(
        d,
        &[
            "infer",
            "setup",
            "--model",
            "tiny.onnx",
            "--bias-bits",
            "20",
            "--out",
            "fixed-keys",
        ],
    ));
    assert!(err.contains("need --binding hashed"), "{err}");
    assert!(!d.join("narrow-keys").exists() && !d.join("fixed-keys").exists());
}

/// Hashed input and output from the command line: the public values are two hashes, the values
/// stay in private.json, and verify checks an input file or revealed values against the hashes.
#[test]
fn hashed_input_and_output_round_trip_and_revealed_values_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.onnx"), tiny_model(0.0)).unwrap();
    std::fs::write(d.join("x.json"), r#"{"input": [0.5, -1.0, 0.25, 2.0]}"#).unwrap();
    std::fs::write(d.join("y.json"), r#"{"input": [0.5, -1.0, 0.25, 2.5]}"#).unwrap();
    let setup = |extra: &[&str]| {
        let mut args = vec![
            "infer",
            "setup",
            "--model",
            "tiny.onnx",
            "--insecure-seed",
            "9",
        ];
        args.extend(extra);
        ramjet(d, &args)
    };
    let err = refused(&setup(&["--input-visibility", "secret"]));
    assert!(err.contains("`secret` is not public or hashed"), "{err}");
    ok(&setup(&[
        "--input-visibility",
        "hashed",
        "--output-visibility",
        "hashed",
    ]));
    let info: serde_json::Value = read_json(&d.join("infer-keys/model.json"));
    assert_eq!(info["visibility"]["input"], "hashed");
    assert_eq!(info["visibility"]["output"], "hashed");

    let prove = |out: &str| {
        ramjet(
            d,
            &[
                "infer",
                "prove",
                "--model",
                "tiny.onnx",
                "--input",
                "x.json",
                "--out",
                out,
            ],
        )
    };
    let text = ok(&prove("infer-proof"));
    assert!(text.contains("output hash (public"), "{text}");
    let (public, private) = hashed_proof_files(d);
    let revealed: Vec<i64> = serde_json::from_value(private["output"].clone()).unwrap();
    assert_eq!(revealed.len(), 2);

    check_hashed_sections(
        d,
        &|extra| {
            let mut args = vec!["infer", "verify"];
            args.extend(extra);
            ramjet(d, &args)
        },
        &public,
        &private,
    );

    // The majority check groups proofs by the output's hash.
    ok(&prove("second-proof"));
    let text = ok(&ramjet(
        d,
        &["infer", "compare", "infer-proof", "second-proof"],
    ));
    assert!(
        text.contains(&format!(
            "majority: class - hashed ({}) (2 of 2)",
            public[1]
        )),
        "{text}"
    );

    // Proving again with public sections removes the earlier private.json.
    ok(&setup(&["--out", "public-keys"]));
    ok(&ramjet(
        d,
        &[
            "infer",
            "prove",
            "--model",
            "tiny.onnx",
            "--input",
            "x.json",
            "--keys",
            "public-keys",
            "--out",
            "infer-proof",
        ],
    ));
    assert!(!d.join("infer-proof/private.json").exists());
    let public: Vec<String> = read_json(&d.join("infer-proof/public.json"));
    assert_eq!(public.len(), 4 + 2);
}

/// The public values and `private.json` of the proof directory `infer-proof`, whose input and
/// output are both hashed: two public values, the hashes; `output.json` has the hashes and not
/// the values; `private.json` has the values.
pub(super) fn hashed_proof_files(d: &Path) -> (Vec<String>, serde_json::Value) {
    let public: Vec<String> = read_json(&d.join("infer-proof/public.json"));
    assert_eq!(public.len(), 2, "{public:?}");
    let output: serde_json::Value = read_json(&d.join("infer-proof/output.json"));
    assert_eq!(output["input_hash"], public[0].as_str());
    assert_eq!(output["output_hash"], public[1].as_str());
    assert!(
        output.get("input").is_none() && output.get("output").is_none(),
        "{output}"
    );
    let private: serde_json::Value = read_json(&d.join("infer-proof/private.json"));
    assert_eq!(
        private["input"].as_array().map(Vec::len),
        Some(4),
        "{private}"
    );
    (public, private)
}

/// The checks of a proof directory `infer-proof` whose input and output are both hashed, with
/// `verify` running `ramjet infer verify` (of the right system and keys) with extra arguments:
/// the proof alone verifies and shows the hashes; `--input x.json` is the proved input and
/// `--input y.json` is not; `--reveal` shows the revealed output and refuses one off by one;
/// the two hashes swapped are rejected.
pub(super) fn check_hashed_sections(
    d: &Path,
    verify: &dyn Fn(&[&str]) -> std::process::Output,
    public: &[String],
    private: &serde_json::Value,
) {
    let revealed: Vec<i64> = serde_json::from_value(private["output"].clone()).unwrap();
    let text = ok(&verify(&[]));
    assert!(text.starts_with("proof OK"), "{text}");
    assert!(
        text.contains(&format!("output hashed ({})", public[1])),
        "{text}"
    );
    assert!(
        text.contains(&format!("the input with hash {}", public[0])),
        "{text}"
    );
    let text = ok(&verify(&["--input", "x.json"]));
    assert!(text.contains("on the proved input"), "{text}");
    let err = refused(&verify(&["--input", "y.json"]));
    assert!(err.contains("another input than y.json"), "{err}");
    let text = ok(&verify(&["--reveal", "infer-proof/private.json"]));
    assert!(text.contains(&format!("output {revealed:?}")), "{text}");
    let mut lie = private.clone();
    lie["output"][0] = serde_json::json!(revealed[0] + 1);
    std::fs::write(d.join("lie.json"), lie.to_string()).unwrap();
    let err = refused(&verify(&["--reveal", "lie.json"]));
    assert!(
        err.contains("another output than the one revealed"),
        "{err}"
    );
    std::fs::write(
        d.join("swapped.json"),
        serde_json::to_string(&[&public[1], &public[0]]).unwrap(),
    )
    .unwrap();
    let err = refused(&verify(&["--public", "swapped.json"]));
    assert!(err.contains("proof rejected"), "{err}");
}

/// Copies the files of proof directory `from` into a new directory `to`.
fn copy_proof(d: &Path, from: &str, to: &str) {
    std::fs::create_dir_all(d.join(to)).unwrap();
    for file in ["proof.bin", "public.json", "output.json"] {
        std::fs::copy(d.join(from).join(file), d.join(to).join(file)).unwrap();
    }
}

#[test]
fn compare_finds_the_majority_and_names_forged_copied_and_off_input_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.onnx"), tiny_model(0.0)).unwrap();
    std::fs::write(d.join("x.json"), r#"{"input": [0.5, -1.0, 0.25, 2.0]}"#).unwrap();
    std::fs::write(d.join("y.json"), r#"{"input": [-2.0, 1.5, 0.75, 0.0]}"#).unwrap();
    ok(&ramjet(
        d,
        &[
            "infer",
            "setup",
            "--model",
            "tiny.onnx",
            "--insecure-seed",
            "9",
        ],
    ));
    let prove = |input: &str, out: &str| {
        ok(&ramjet(
            d,
            &[
                "infer",
                "prove",
                "--model",
                "tiny.onnx",
                "--input",
                input,
                "--out",
                out,
            ],
        ));
    };
    // Three honest provers on x (their proofs differ: fresh randomness), one on y.
    for out in ["a", "b", "c"] {
        prove("x.json", out);
    }
    prove("y.json", "on-y");
    let output_of = |out: &str| -> Vec<i64> {
        let output: serde_json::Value = read_json(&d.join(out).join("output.json"));
        serde_json::from_value(output["output"].clone()).unwrap()
    };
    let honest = output_of("a");
    assert_ne!(
        output_of("on-y"),
        honest,
        "the two inputs must give two outputs"
    );
    // A forger publishes a's proof with another output; a copier republishes b's proof.
    copy_proof(d, "a", "forged");
    let mut public: Vec<String> = read_json(&d.join("forged/public.json"));
    let last = public.last_mut().unwrap();
    *last = (last.parse::<i64>().unwrap() + 1).to_string();
    std::fs::write(
        d.join("forged/public.json"),
        serde_json::to_string(&public).unwrap(),
    )
    .unwrap();
    copy_proof(d, "b", "copy");

    let compare = |dirs: &[&str], extra: &[&str]| {
        let mut args = vec!["infer", "compare"];
        args.extend(dirs);
        args.extend(extra);
        ramjet(d, &args)
    };

    // All honest: a majority of 3 of 3, written as JSON too.
    let text = ok(&compare(&["a", "b", "c"], &["--json", "result.json"]));
    assert!(text.contains("3 of 3 proofs verify; 3 agree"), "{text}");
    assert!(text.contains("majority: class"), "{text}");
    let result: serde_json::Value = read_json(&d.join("result.json"));
    assert_eq!(result["majority"], serde_json::json!(honest));
    assert_eq!(result["agreeing"], 3);

    // Two honest proofs and a forgery: the forgery is rejected, two of three still agree.
    let text = ok(&compare(&["a", "forged", "b"], &[]));
    assert!(text.contains("forged: REJECTED"), "{text}");
    assert!(text.contains("2 of 3 proofs verify; 2 agree"), "{text}");

    // Everything: three honest proofs out of six is no majority (exit status 1), and each of
    // the others is named for what it is.
    let out = compare(
        &["a", "b", "c", "on-y", "forged", "copy"],
        &["--json", "all.json"],
    );
    let stderr = refused(&out);
    assert!(stderr.contains("no majority"), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("on-y: verifies, but about another input"),
        "{text}"
    );
    assert!(text.contains("forged: REJECTED"), "{text}");
    assert!(
        text.contains("copy: verifies, but is a copy of b"),
        "{text}"
    );
    let result: serde_json::Value = read_json(&d.join("all.json"));
    let statuses: Vec<&str> = result["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "counted",
            "counted",
            "counted",
            "other_input",
            "rejected",
            "duplicate"
        ]
    );
    assert_eq!(result["majority"], serde_json::Value::Null);
    assert_eq!(result["verified"], 5);

    // Compared on y's input, a proof about x does not verify, and one proof of two is no
    // majority.
    let out = compare(&["on-y", "a"], &["--input", "y.json"]);
    assert!(refused(&out).contains("no majority"));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("on-y: verifies, class"), "{text}");
    assert!(
        text.contains("a: REJECTED") && text.contains("another input"),
        "{text}"
    );
}
