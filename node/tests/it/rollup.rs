//! The rollup round trip as a user runs it: setup → prove → verify → export, with the example
//! batch committed in the repository, and the ways it must refuse.

use std::path::{Path, PathBuf};

use crate::support::{ok, ramjet, refused};

fn example_batch() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../prover/examples/batch-2tx-depth4.json")
}

#[test]
fn setup_prove_verify_export_round_trip_with_the_example_batch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = ok(&ramjet(
        d,
        &[
            "rollup",
            "setup",
            "--txs",
            "2",
            "--depth",
            "4",
            "--insecure-seed",
            "3",
        ],
    ));
    assert!(text.contains("keys for 2 transfers at depth 4"), "{text}");
    for f in ["proving_key.bin", "verifying_key.bin", "circuit.json"] {
        assert!(d.join("rollup-keys").join(f).is_file(), "{f}");
    }

    let batch = example_batch();
    let text = ok(&ramjet(
        d,
        &["rollup", "prove", "--batch", batch.to_str().unwrap()],
    ));
    for phase in ["synthesis", "witness_map", "msm_b_g2", "total"] {
        assert!(text.contains(phase), "{text}");
    }
    assert!(text.contains("wrote rollup-proof/proof.bin"), "{text}");
    // The state after the batch is a batch file's state, ready for the next batch.
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("rollup-proof/state.json")).unwrap())
            .unwrap();
    assert_eq!(state["depth"], 4);
    let public: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(d.join("rollup-proof/public.json")).unwrap())
            .unwrap();
    assert_eq!(public.len(), 3);
    assert_eq!(
        public[1],
        state["root"].as_str().unwrap(),
        "new root is public input 2"
    );

    let text = ok(&ramjet(d, &["rollup", "verify"]));
    assert!(text.starts_with("proof OK"), "{text}");

    let proof_args = [
        "--proof",
        "rollup-proof/proof.bin",
        "--public",
        "rollup-proof/public.json",
    ];
    let mut args = vec!["proof", "export", "--format", "snarkjs"];
    args.extend(proof_args);
    ok(&ramjet(d, &args));
    for f in ["verification_key.json", "proof.json", "public.json"] {
        assert!(d.join("export").join(f).is_file(), "{f}");
    }
    let vk: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("export/verification_key.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(vk["nPublic"], 3);
    let mut args = vec!["proof", "export", "--format", "solidity", "--out", "sol"];
    args.extend(proof_args);
    ok(&ramjet(d, &args));
    let contract = std::fs::read_to_string(d.join("sol/Groth16Verifier.sol")).unwrap();
    assert!(contract.contains("function verifyProof"), "{contract}");
    assert!(d.join("sol/calldata.txt").is_file());

    // Tampering: the proof, a public input, the key.
    let mut proof = std::fs::read(d.join("rollup-proof/proof.bin")).unwrap();
    let mut tampered = false;
    // Flip bits until the bytes still decode to points (some flips make an invalid encoding,
    // which is refused too, with another message).
    for i in 0..proof.len() {
        proof[i] ^= 1;
        std::fs::write(d.join("bad-proof.bin"), &proof).unwrap();
        let out = ramjet(d, &["rollup", "verify", "--proof", "bad-proof.bin"]);
        let err = refused(&out);
        proof[i] ^= 1;
        if err.contains("proof rejected") {
            tampered = true;
            break;
        }
        assert!(err.contains("bad-proof.bin"), "{err}");
    }
    assert!(
        tampered,
        "no single-bit change gave a decodable but invalid proof"
    );

    let mut wrong = public.clone();
    wrong[2] = "12345".to_owned();
    std::fs::write(
        d.join("wrong-public.json"),
        serde_json::to_string(&wrong).unwrap(),
    )
    .unwrap();
    let err = refused(&ramjet(
        d,
        &["rollup", "verify", "--public", "wrong-public.json"],
    ));
    assert!(err.contains("proof rejected"), "{err}");

    ok(&ramjet(
        d,
        &[
            "rollup",
            "setup",
            "--txs",
            "2",
            "--depth",
            "4",
            "--out",
            "other-keys",
        ],
    ));
    let err = refused(&ramjet(d, &["rollup", "verify", "--keys", "other-keys"]));
    assert!(err.contains("proof rejected"), "{err}");
}

#[test]
fn a_batch_that_does_not_apply_is_refused_before_proving() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&ramjet(
        d,
        &[
            "rollup",
            "setup",
            "--txs",
            "2",
            "--depth",
            "4",
            "--insecure-seed",
            "3",
        ],
    ));
    let mut batch: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example_batch()).unwrap()).unwrap();
    batch["transfers"][1]["nonce"] = "9".into();
    std::fs::write(d.join("bad.json"), batch.to_string()).unwrap();
    let err = refused(&ramjet(d, &["rollup", "prove", "--batch", "bad.json"]));
    assert!(err.contains("rollup transfer 1: wrong nonce"), "{err}");
    assert!(!d.join("rollup-proof").exists(), "nothing is written");

    let mut batch: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example_batch()).unwrap()).unwrap();
    batch["transfers"][0]["to"] = 999.into();
    std::fs::write(d.join("unknown.json"), batch.to_string()).unwrap();
    let err = refused(&ramjet(d, &["rollup", "prove", "--batch", "unknown.json"]));
    assert!(err.contains("rollup transfer 0"), "{err}");

    // Keys for another shape.
    ok(&ramjet(
        d,
        &[
            "rollup", "setup", "--txs", "1", "--depth", "4", "--out", "one-tx",
        ],
    ));
    let batch = example_batch();
    let err = refused(&ramjet(
        d,
        &[
            "rollup",
            "prove",
            "--batch",
            batch.to_str().unwrap(),
            "--keys",
            "one-tx",
        ],
    ));
    assert!(
        err.contains("the batch has 2 transfers at depth 4"),
        "{err}"
    );

    std::fs::write(d.join("broken.json"), "{\"state\": 3}").unwrap();
    let err = refused(&ramjet(d, &["rollup", "prove", "--batch", "broken.json"]));
    assert!(
        err.contains("broken.json: not a rollup batch file"),
        "{err}"
    );
}
