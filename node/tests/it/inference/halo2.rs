//! `ramjet infer --system halo2` from the command line: the demo model with the fixed binding
//! (the verifying key regenerated from the model), the hashed binding (verified without the
//! model, the published commitment enforced), and hashed input and output with both bindings.

use super::{
    arg, check_hashed_sections, demo, edited_demo, hashed_proof_files, read_json, tiny_model,
    tiny_model_with_gain,
};
use crate::support::{ok, ramjet, refused};
use ramjet_prover::inference::{LoadedModel, QuantParams};

#[test]
fn halo2_setup_prove_verify_the_demo_model_and_refuse_forgeries() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (model, input) = (demo("digits.onnx"), demo("input.json"));
    let halo2 = ["--system", "halo2"];
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(halo2);
        ramjet(d, &all)
    };

    let text = ok(&run(&["infer", "setup", "--model", arg(&model)]));
    assert!(text.contains("64 inputs, 10 outputs, scale 2^7"), "{text}");
    assert!(text.contains("rows of 2^"), "{text}");
    assert!(text.contains("verifying key digest"), "{text}");
    let info: serde_json::Value = read_json(&d.join("infer-keys/model.json"));
    assert_eq!(info["system"], "halo2");
    let digest = info["halo2"]["vk_digest"].as_str().unwrap().to_owned();
    assert_eq!(digest.len(), 64);
    // The key directory is model.json alone: the keys are derived from the model.
    assert_eq!(std::fs::read_dir(d.join("infer-keys")).unwrap().count(), 1);

    let text = ok(&run(&[
        "infer",
        "prove",
        "--model",
        arg(&model),
        "--input",
        arg(&input),
    ]));
    for phase in ["keygen", "prove", "total"] {
        assert!(text.contains(phase), "{text}");
    }
    let loaded = LoadedModel::read(&model, QuantParams::default()).unwrap();
    let floats: serde_json::Value = read_json(&input);
    let floats: Vec<f64> = serde_json::from_value(floats["input"].clone()).unwrap();
    let native = loaded
        .quantised
        .infer(&loaded.quantised.quantise_input(&floats).unwrap())
        .unwrap();
    let output: serde_json::Value = read_json(&d.join("infer-proof/output.json"));
    let proved: Vec<i64> = serde_json::from_value(output["output"].clone()).unwrap();
    assert_eq!(proved, native);
    assert_eq!(output["vk_digest"], digest.as_str());
    let public: Vec<String> = read_json(&d.join("infer-proof/public.json"));
    assert_eq!(public.len(), 74);

    let verify_args = ["infer", "verify", "--model", arg(&model)];
    let text = ok(&run(&verify_args));
    assert!(text.starts_with("proof OK"), "{text}");
    assert!(text.contains(&format!("{native:?}")), "{text}");
    let mut with_input = verify_args.to_vec();
    with_input.extend(["--input", arg(&input)]);
    ok(&run(&with_input));
    // Without the model there is no verifying key.
    let err = refused(&run(&["infer", "verify"]));
    assert!(err.contains("pass --model"), "{err}");
    // Keys for halo2 are not Groth16 keys.
    let err = refused(&ramjet(d, &verify_args));
    assert!(err.contains("not Groth16"), "{err}");

    // A forged output (one logit up by one), a forged input (one pixel).
    for index in [70, 5] {
        let mut forged = public.clone();
        forged[index] = (forged[index].parse::<i64>().unwrap() + 1).to_string();
        std::fs::write(
            d.join("forged.json"),
            serde_json::to_string(&forged).unwrap(),
        )
        .unwrap();
        let mut args = verify_args.to_vec();
        args.extend(["--public", "forged.json"]);
        let err = refused(&run(&args));
        assert!(err.contains("proof rejected"), "{index}: {err}");
    }

    // Another model of the same shape (its first weight set to 1.0, so that it quantises to
    // another circuit) has another verifying key: it is not the published model, and the proof
    // does not verify against its key.
    let other = edited_demo(|graph| {
        graph.initializer[0].raw_data[..4].copy_from_slice(&1.0f32.to_le_bytes());
    });
    std::fs::write(d.join("other.onnx"), other).unwrap();
    let err = refused(&run(&["infer", "verify", "--model", "other.onnx"]));
    assert!(err.contains("but the key was made for model"), "{err}");
    let text = ok(&run(&[
        "infer",
        "setup",
        "--model",
        "other.onnx",
        "--out",
        "other-keys",
    ]));
    assert!(!text.contains(&digest), "{text}");
    let err = refused(&run(&[
        "infer",
        "verify",
        "--keys",
        "other-keys",
        "--model",
        "other.onnx",
    ]));
    assert!(err.contains("proof rejected"), "{err}");
}

#[test]
fn halo2_hashed_binding_verifies_without_the_model_and_enforces_the_published_commitment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.onnx"), tiny_model(0.0)).unwrap();
    std::fs::write(d.join("other.onnx"), tiny_model(1.0)).unwrap();
    std::fs::write(d.join("x.json"), r#"{"input": [0.5, -1.0, 0.25, 2.0]}"#).unwrap();
    let halo2 = ["--system", "halo2"];
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(halo2);
        ramjet(d, &all)
    };

    let text = ok(&run(&[
        "infer",
        "setup",
        "--binding",
        "hashed",
        "--model",
        "tiny.onnx",
    ]));
    assert!(text.contains("weights commitment (Poseidon)"), "{text}");
    assert!(text.contains("rows of 2^"), "{text}");
    let info: serde_json::Value = read_json(&d.join("infer-keys/model.json"));
    assert_eq!(info["system"], "halo2");
    assert_eq!(info["binding"], "hashed");
    assert_eq!(
        info["halo2"]["architecture"],
        serde_json::json!([{"dense": [4, 3]}, "relu", {"dense": [3, 2]}])
    );
    let commitment = info["commitment"].as_str().unwrap().to_owned();
    assert!(commitment.parse::<f64>().is_ok(), "{commitment}");
    // The key directory is model.json alone.
    assert_eq!(std::fs::read_dir(d.join("infer-keys")).unwrap().count(), 1);

    let prove = |model: &str, out: &str| {
        run(&[
            "infer", "prove", "--model", model, "--input", "x.json", "--out", out,
        ])
    };
    let text = ok(&prove("tiny.onnx", "infer-proof"));
    for phase in ["keygen", "prove", "total"] {
        assert!(text.contains(phase), "{text}");
    }
    let public: Vec<String> = read_json(&d.join("infer-proof/public.json"));
    assert_eq!(public.len(), 1 + 4 + 2);
    assert_eq!(public[0], commitment);
    let output: serde_json::Value = read_json(&d.join("infer-proof/output.json"));
    assert_eq!(output["commitment"], commitment.as_str());
    let loaded = LoadedModel::read(&d.join("tiny.onnx"), QuantParams::default()).unwrap();
    let native = loaded
        .quantised
        .infer(
            &loaded
                .quantised
                .quantise_input(&[0.5, -1.0, 0.25, 2.0])
                .unwrap(),
        )
        .unwrap();
    let proved: Vec<i64> = serde_json::from_value(output["output"].clone()).unwrap();
    assert_eq!(proved, native);

    // Verified without the model: the key is rebuilt from the architecture in model.json.
    let text = ok(&run(&["infer", "verify"]));
    assert!(text.starts_with("proof OK"), "{text}");
    assert!(text.contains(&format!("{native:?}")), "{text}");
    ok(&run(&[
        "infer",
        "verify",
        "--model",
        "tiny.onnx",
        "--input",
        "x.json",
    ]));

    // One key serves the architecture: another model proves with it, but its proof is about
    // another commitment than the published one.
    ok(&prove("other.onnx", "other-proof"));
    let other_public: Vec<String> = read_json(&d.join("other-proof/public.json"));
    assert_ne!(other_public[0], commitment);
    let verify_with =
        |public: &str, proof: &str| run(&["infer", "verify", "--proof", proof, "--public", public]);
    let err = refused(&verify_with(
        "other-proof/public.json",
        "other-proof/proof.bin",
    ));
    assert!(err.contains("not the published"), "{err}");
    let err = refused(&run(&["infer", "verify", "--model", "other.onnx"]));
    assert!(err.contains("the key was made for model"), "{err}");

    // Forgeries: the published commitment claimed for the other model's proof, a forged
    // commitment, a forged output.
    let forge = |from: &[String], index: usize, value: String| {
        let mut forged = from.to_vec();
        forged[index] = value;
        std::fs::write(
            d.join("forged.json"),
            serde_json::to_string(&forged).unwrap(),
        )
        .unwrap();
    };
    forge(&other_public, 0, commitment.clone());
    let err = refused(&verify_with("forged.json", "other-proof/proof.bin"));
    assert!(err.contains("proof rejected"), "{err}");
    forge(&public, 0, other_public[0].clone());
    let err = refused(&verify_with("forged.json", "infer-proof/proof.bin"));
    assert!(err.contains("not the published"), "{err}");
    forge(&public, 6, (native[1] + 1).to_string());
    let err = refused(&verify_with("forged.json", "infer-proof/proof.bin"));
    assert!(err.contains("proof rejected"), "{err}");

    // The majority check goes through the same verification: two honest proofs (halo2 proofs
    // are randomised, so not copies) and the other model's proof.
    ok(&prove("tiny.onnx", "second-proof"));
    let text = ok(&run(&[
        "infer",
        "compare",
        "infer-proof",
        "second-proof",
        "other-proof",
    ]));
    assert!(text.contains("2 of 3 proofs verify"), "{text}");
    assert!(text.contains("majority"), "{text}");

    // Wider widths than the model needs: the key also proves a model whose weights are eight
    // times larger, and the proof is about that model's commitment under those widths.
    std::fs::write(d.join("large.onnx"), tiny_model_with_gain(1.0, 8.0)).unwrap();
    let err = refused(&prove("large.onnx", "large-proof"));
    assert!(err.contains("do not fit the keys' widths"), "{err}");
    let widths = |info: &serde_json::Value| {
        [
            info["widths"]["weight_bits"].as_u64().unwrap() + 4,
            info["widths"]["bias_bits"].as_u64().unwrap() + 4,
        ]
        .map(|bits| bits.to_string())
    };
    let [weight_bits, bias_bits] = widths(&info);
    let wide_setup = |model: &str, out: &str| {
        run(&[
            "infer",
            "setup",
            "--binding",
            "hashed",
            "--model",
            model,
            "--weight-bits",
            &weight_bits,
            "--bias-bits",
            &bias_bits,
            "--out",
            out,
        ])
    };
    ok(&wide_setup("tiny.onnx", "wide-keys"));
    ok(&wide_setup("large.onnx", "large-keys"));
    let wide: serde_json::Value = read_json(&d.join("wide-keys/model.json"));
    assert_eq!(wide["widths"]["weight_bits"].to_string(), weight_bits);
    assert_eq!(
        wide["halo2"]["vk_digest"],
        read_json::<serde_json::Value>(&d.join("large-keys/model.json"))["halo2"]["vk_digest"]
    );
    ok(&run(&[
        "infer",
        "prove",
        "--model",
        "large.onnx",
        "--input",
        "x.json",
        "--keys",
        "wide-keys",
        "--out",
        "large-proof",
    ]));
    let large_public: Vec<String> = read_json(&d.join("large-proof/public.json"));
    let large: serde_json::Value = read_json(&d.join("large-keys/model.json"));
    assert_eq!(large_public[0], large["commitment"].as_str().unwrap());
    let text = ok(&run(&[
        "infer",
        "verify",
        "--keys",
        "large-keys",
        "--proof",
        "large-proof/proof.bin",
        "--public",
        "large-proof/public.json",
    ]));
    assert!(text.starts_with("proof OK"), "{text}");
}

/// Hashed input and output with halo2, from the command line: with the fixed binding (both
/// sections hashed) and with the hashed binding (the output hashed, verified without the
/// model). The public values are the hashes, the values stay in private.json, and verify
/// checks an input file or revealed values against the hashes.
#[test]
fn halo2_hashed_input_and_output_round_trip_with_both_bindings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("tiny.onnx"), tiny_model(0.0)).unwrap();
    std::fs::write(d.join("x.json"), r#"{"input": [0.5, -1.0, 0.25, 2.0]}"#).unwrap();
    std::fs::write(d.join("y.json"), r#"{"input": [0.5, -1.0, 0.25, 2.5]}"#).unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--system", "halo2"]);
        ramjet(d, &all)
    };
    let both_hashed = [
        "--input-visibility",
        "hashed",
        "--output-visibility",
        "hashed",
    ];
    let mut setup = vec!["infer", "setup", "--model", "tiny.onnx"];
    setup.extend(both_hashed);
    ok(&run(&setup));
    let info: serde_json::Value = read_json(&d.join("infer-keys/model.json"));
    assert_eq!(info["visibility"]["input"], "hashed");
    assert_eq!(info["visibility"]["output"], "hashed");
    let prove = |keys: &str, out: &str| {
        run(&[
            "infer",
            "prove",
            "--model",
            "tiny.onnx",
            "--input",
            "x.json",
            "--keys",
            keys,
            "--out",
            out,
        ])
    };
    ok(&prove("infer-keys", "infer-proof"));
    let (public, private) = hashed_proof_files(d);
    let revealed: Vec<i64> = serde_json::from_value(private["output"].clone()).unwrap();
    let loaded = LoadedModel::read(&d.join("tiny.onnx"), QuantParams::default()).unwrap();
    let quantised = &loaded.quantised;
    let input = quantised.quantise_input(&[0.5, -1.0, 0.25, 2.0]).unwrap();
    assert_eq!(revealed, quantised.infer(&input).unwrap());
    assert_eq!(
        serde_json::from_value::<Vec<i64>>(private["input"].clone()).unwrap(),
        input
    );

    // The fixed binding regenerates the key from the model; the proof says only the hashes.
    let verify = |extra: &[&str]| {
        let mut args = vec!["infer", "verify", "--model", "tiny.onnx"];
        args.extend(extra);
        run(&args)
    };
    check_hashed_sections(d, &verify, &public, &private);
    std::fs::write(d.join("bad.json"), r#"["12x", "3"]"#).unwrap();
    let err = refused(&verify(&["--public", "bad.json"]));
    assert!(err.contains("not a field element"), "{err}");

    // The majority check groups the proofs by the output's hash.
    ok(&prove("infer-keys", "second-proof"));
    let text = ok(&run(&[
        "infer",
        "compare",
        "--model",
        "tiny.onnx",
        "infer-proof",
        "second-proof",
    ]));
    assert!(
        text.contains(&format!("hashed ({}) (2 of 2)", public[1])),
        "{text}"
    );

    // The hashed binding with the output hashed: the commitment, the input values, the
    // output's hash; verified without the model.
    ok(&run(&[
        "infer",
        "setup",
        "--model",
        "tiny.onnx",
        "--binding",
        "hashed",
        "--output-visibility",
        "hashed",
        "--out",
        "hashed-keys",
    ]));
    ok(&prove("hashed-keys", "hashed-proof"));
    let hashed_public: Vec<String> = read_json(&d.join("hashed-proof/public.json"));
    assert_eq!(hashed_public.len(), 1 + 4 + 1, "{hashed_public:?}");
    assert_eq!(
        hashed_public[1..5],
        input.iter().map(i64::to_string).collect::<Vec<_>>()
    );
    // The output's hash is the fixed proof's: the same values, the same hash.
    assert_eq!(hashed_public[5], public[1]);
    let hashed_verify = |extra: &[&str]| {
        let mut args = vec![
            "infer",
            "verify",
            "--keys",
            "hashed-keys",
            "--proof",
            "hashed-proof/proof.bin",
            "--public",
            "hashed-proof/public.json",
        ];
        args.extend(extra);
        run(&args)
    };
    let text = ok(&hashed_verify(&["--reveal", "hashed-proof/private.json"]));
    assert!(text.contains(&format!("output {revealed:?}")), "{text}");
    let err = refused(&hashed_verify(&["--reveal", "lie.json"]));
    assert!(
        err.contains("another output than the one revealed"),
        "{err}"
    );
}
