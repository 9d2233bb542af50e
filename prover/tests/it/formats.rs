//! `ramjet_prover::formats`: arkworks bytes, snarkjs JSON and the Solidity verifier, on real
//! ark-groth16 proofs of two small circuits. The Node-based tests run real snarkjs, solc-js and an
//! EVM (installed by `prover/tests/js/install.sh`) and print `SKIPPED: ...` when they are absent.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use ramjet_prover::ProverError;
use ramjet_prover::formats::{self, SnarkjsProof, SnarkjsVerifyingKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

// ---------------------------------------------------------------------------------------------
// Test circuits and proofs

/// Knowledge of `x` with `x³ + x + 5 = y`; `y` public.
#[derive(Clone)]
struct Cubic {
    x: Option<Fr>,
    y: Option<Fr>,
}

impl ConstraintSynthesizer<Fr> for Cubic {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let y = FpVar::new_input(cs.clone(), || {
            self.y.ok_or(SynthesisError::AssignmentMissing)
        })?;
        let x = FpVar::new_witness(cs, || self.x.ok_or(SynthesisError::AssignmentMissing))?;
        let lhs = &x * &x * &x + &x + FpVar::constant(Fr::from(5u8));
        lhs.enforce_equal(&y)
    }
}

/// Four public inputs `(a, b, c, d)` and a witness `w` with `a·w = b`, `w² = c`, `a + b + w = d`.
#[derive(Clone)]
struct FourInputs {
    a: Option<Fr>,
    w: Option<Fr>,
}

impl ConstraintSynthesizer<Fr> for FourInputs {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let get = |v: Option<Fr>| v.ok_or(SynthesisError::AssignmentMissing);
        let (a, w) = (self.a, self.w);
        let b = a.zip(w).map(|(a, w)| a * w);
        let c = w.map(|w| w * w);
        let d = a.zip(b).zip(w).map(|((a, b), w)| a + b + w);
        let a_var = FpVar::new_input(cs.clone(), || get(a))?;
        let b_var = FpVar::new_input(cs.clone(), || get(b))?;
        let c_var = FpVar::new_input(cs.clone(), || get(c))?;
        let d_var = FpVar::new_input(cs.clone(), || get(d))?;
        let w_var = FpVar::new_witness(cs, || get(w))?;
        (&a_var * &w_var).enforce_equal(&b_var)?;
        (&w_var * &w_var).enforce_equal(&c_var)?;
        (&a_var + &b_var + &w_var).enforce_equal(&d_var)
    }
}

/// Keys, one valid proof and its public inputs.
struct Fixture {
    pk: ProvingKey<Bn254>,
    vk: VerifyingKey<Bn254>,
    proof: Proof<Bn254>,
    inputs: Vec<Fr>,
}

fn fixture<C: ConstraintSynthesizer<Fr> + Clone>(
    blank: C,
    filled: C,
    inputs: Vec<Fr>,
    seed: u64,
) -> Fixture {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(blank, &mut rng).unwrap();
    let proof = Groth16::<Bn254>::prove(&pk, filled, &mut rng).unwrap();
    assert!(Groth16::<Bn254>::verify(&vk, &inputs, &proof).unwrap());
    Fixture {
        pk,
        vk,
        proof,
        inputs,
    }
}

/// The cubic circuit with x = 3, y = 35.
fn cubic() -> &'static Fixture {
    static CELL: OnceLock<Fixture> = OnceLock::new();
    CELL.get_or_init(|| {
        let x = Fr::from(3u8);
        let y = x * x * x + x + Fr::from(5u8);
        fixture(
            Cubic { x: None, y: None },
            Cubic {
                x: Some(x),
                y: Some(y),
            },
            vec![y],
            1,
        )
    })
}

/// The four-input circuit with a = 7, w = 3: inputs (7, 21, 9, 31).
fn four_inputs() -> &'static Fixture {
    static CELL: OnceLock<Fixture> = OnceLock::new();
    CELL.get_or_init(|| {
        let inputs = [7u8, 21, 9, 31].map(Fr::from).to_vec();
        fixture(
            FourInputs { a: None, w: None },
            FourInputs {
                a: Some(Fr::from(7u8)),
                w: Some(Fr::from(3u8)),
            },
            inputs,
            2,
        )
    })
}

fn fixtures() -> [(&'static str, &'static Fixture); 2] {
    [("cubic", cubic()), ("four_inputs", four_inputs())]
}

fn verifies(vk: &VerifyingKey<Bn254>, inputs: &[Fr], proof: &Proof<Bn254>) -> bool {
    Groth16::<Bn254>::verify(vk, inputs, proof).unwrap()
}

/// The inputs with the first one increased by 1.
fn tampered(inputs: &[Fr]) -> Vec<Fr> {
    let mut inputs = inputs.to_vec();
    inputs[0] += Fr::from(1u8);
    inputs
}

/// The generator points of BN254, as published in EIP-197 (decimal, `Fq2 = c0 + c1·u`).
const G2_X_C0: &str =
    "10857046999023057135944570762232829481370756359578518086990519993285655852781";
const G2_X_C1: &str =
    "11559732032986387107991004021392285783925812861821192530917403151452391805634";
const G2_Y_C0: &str =
    "8495653923123431417604973247489272438418190587263600148770280649306958101930";
const G2_Y_C1: &str =
    "4082367875863433681332203403145435568316851327593401208105741076214120093531";

fn generator_proof() -> Proof<Bn254> {
    Proof {
        a: G1Affine::generator(),
        b: G2Affine::generator(),
        c: (G1Affine::generator() * Fr::from(2u8)).into_affine(),
    }
}

fn error_text<T: std::fmt::Debug>(result: ramjet_prover::Result<T>) -> String {
    result.unwrap_err().to_string()
}

// ---------------------------------------------------------------------------------------------
// arkworks canonical bytes

#[test]
fn canonical_bytes_round_trip_in_memory_and_in_files() {
    let dir = tempfile::tempdir().unwrap();
    for (name, f) in fixtures() {
        let pk = formats::proving_key_from_bytes(&formats::proving_key_to_bytes(&f.pk).unwrap())
            .unwrap();
        assert!(pk == f.pk, "{name}: proving key bytes round trip");
        let vk =
            formats::verifying_key_from_bytes(&formats::verifying_key_to_bytes(&f.vk).unwrap())
                .unwrap();
        assert_eq!(vk, f.vk, "{name}");
        let proof = formats::proof_from_bytes(&formats::proof_to_bytes(&f.proof).unwrap()).unwrap();
        assert_eq!(proof, f.proof, "{name}");
        let inputs =
            formats::public_inputs_from_bytes(&formats::public_inputs_to_bytes(&f.inputs).unwrap())
                .unwrap();
        assert_eq!(inputs, f.inputs, "{name}");

        let path = |file: &str| dir.path().join(format!("{name}.{file}"));
        formats::write_proving_key(path("pk.bin"), &f.pk).unwrap();
        formats::write_verifying_key(path("vk.bin"), &f.vk).unwrap();
        formats::write_proof(path("proof.bin"), &f.proof).unwrap();
        formats::write_public_inputs(path("public.bin"), &f.inputs).unwrap();
        let pk = formats::read_proving_key(path("pk.bin")).unwrap();
        let vk = formats::read_verifying_key(path("vk.bin")).unwrap();
        let proof = formats::read_proof(path("proof.bin")).unwrap();
        let inputs = formats::read_public_inputs(path("public.bin")).unwrap();
        assert!(pk == f.pk, "{name}: proving key file round trip");
        assert!(verifies(&vk, &inputs, &proof), "{name}");
        if name == "cubic" {
            // The proving key read back makes proofs the verifying key read back accepts.
            let circuit = Cubic {
                x: Some(Fr::from(3u8)),
                y: Some(Fr::from(35u8)),
            };
            let fresh =
                Groth16::<Bn254>::prove(&pk, circuit, &mut ChaCha20Rng::seed_from_u64(9)).unwrap();
            assert!(verifies(&vk, &inputs, &fresh));
        }
    }
}

#[test]
fn canonical_bytes_follow_the_documented_layout() {
    let f = four_inputs();
    // Proof: a (32) ‖ b (64) ‖ c (32).
    let bytes = formats::proof_to_bytes(&f.proof).unwrap();
    assert_eq!(bytes.len(), 128);
    let mut a_x = f.proof.a.x().unwrap().into_bigint().to_bytes_le();
    let a_y = f.proof.a.y().unwrap();
    if a_y > -a_y {
        a_x[31] |= 0x80;
    }
    assert_eq!(&bytes[..32], &a_x[..]);
    let b_x = f.proof.b.x().unwrap();
    assert_eq!(&bytes[32..64], &b_x.c0.into_bigint().to_bytes_le()[..]);
    assert_eq!(
        &bytes[64..95],
        &b_x.c1.into_bigint().to_bytes_le()[..31],
        "x.c1 follows x.c0; its last byte carries the flags"
    );

    // The G1 generator (1, 2): x = 1 little-endian, y = 2 is the smaller root, so no flag.
    let mut generator = Vec::new();
    G1Affine::generator()
        .serialize_compressed(&mut generator)
        .unwrap();
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(generator, one);
    // Negated, the flag bit 7 of the last byte is set.
    let mut negated = Vec::new();
    (-G1Affine::generator())
        .serialize_compressed(&mut negated)
        .unwrap();
    one[31] = 0x80;
    assert_eq!(negated, one);

    // Verifying key: 32 + 3·64 + 8 + 32·(n + 1).
    let vk = formats::verifying_key_to_bytes(&f.vk).unwrap();
    assert_eq!(vk.len(), 32 + 3 * 64 + 8 + 32 * 5);
    assert_eq!(&vk[224..232], &5u64.to_le_bytes(), "IC length prefix");

    // Public inputs: u64 LE count, then 32-byte little-endian integers.
    let inputs = formats::public_inputs_to_bytes(&f.inputs).unwrap();
    assert_eq!(inputs.len(), 8 + 4 * 32);
    assert_eq!(&inputs[..8], &4u64.to_le_bytes());
    assert_eq!(inputs[8], 7);
    assert!(inputs[9..40].iter().all(|&b| b == 0));
    assert_eq!(inputs[40], 21);
}

#[test]
fn canonical_read_errors_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let f = cubic();
    let proof_path = dir.path().join("proof.bin");

    // Truncated.
    let bytes = formats::proof_to_bytes(&f.proof).unwrap();
    std::fs::write(&proof_path, &bytes[..100]).unwrap();
    let err = error_text(formats::read_proof(&proof_path));
    println!("truncated proof: {err}");
    assert_eq!(
        err,
        format!(
            "{}: not a BN254 Groth16 proof (arkworks compressed bytes): too short: the 100 bytes \
             end in the middle of a value",
            proof_path.display()
        )
    );

    // A valid proof followed by one more byte.
    let mut long = bytes.clone();
    long.push(0);
    std::fs::write(&proof_path, &long).unwrap();
    let err = error_text(formats::read_proof(&proof_path));
    assert!(
        err.contains("1 trailing bytes after the first 128 bytes"),
        "{err}"
    );

    // A point that is not on the curve: x = 0 has no y on BN254 G1 (0 + 3 is not a square).
    let mut off_curve = bytes.clone();
    off_curve[..32].fill(0);
    std::fs::write(&proof_path, &off_curve).unwrap();
    let err = error_text(formats::read_proof(&proof_path));
    println!("point off the curve: {err}");
    assert!(
        err.contains("not a BN254 Groth16 proof (arkworks compressed bytes): invalid data within the first 32 bytes"),
        "{err}"
    );

    // Public inputs at or above r are rejected.
    let mut inputs = formats::public_inputs_to_bytes(&[Fr::from(1u8)]).unwrap();
    inputs[8..].copy_from_slice(&Fr::MODULUS.to_bytes_le());
    let err = error_text(formats::public_inputs_from_bytes(&inputs));
    assert!(
        err.starts_with("bytes: not BN254 public inputs (arkworks compressed bytes, Vec<Fr>)"),
        "{err}"
    );

    // A missing file is an I/O error naming it.
    let missing = dir.path().join("missing-vk.bin");
    let err = formats::read_verifying_key(&missing).unwrap_err();
    assert!(matches!(err, ProverError::FormatIo { ref path, .. } if path == &missing));
    assert!(err.to_string().starts_with(&missing.display().to_string()));
}

// ---------------------------------------------------------------------------------------------
// snarkjs JSON

#[test]
fn snarkjs_json_round_trips_in_memory_and_in_files() {
    let dir = tempfile::tempdir().unwrap();
    for (name, f) in fixtures() {
        let vk =
            formats::verification_key_from_json(&formats::verification_key_to_json(&f.vk)).unwrap();
        let proof = formats::proof_from_json(&formats::proof_to_json(&f.proof)).unwrap();
        let inputs =
            formats::public_inputs_from_json(&formats::public_inputs_to_json(&f.inputs)).unwrap();
        assert_eq!(vk, f.vk, "{name}");
        assert_eq!(proof, f.proof, "{name}");
        assert_eq!(inputs, f.inputs, "{name}");

        let vk_path = dir.path().join(format!("{name}.verification_key.json"));
        let proof_path = dir.path().join(format!("{name}.proof.json"));
        let public_path = dir.path().join(format!("{name}.public.json"));
        formats::write_verification_key_json(&vk_path, &f.vk).unwrap();
        formats::write_proof_json(&proof_path, &f.proof).unwrap();
        formats::write_public_inputs_json(&public_path, &f.inputs).unwrap();
        let vk = formats::read_verification_key_json(&vk_path).unwrap();
        let proof = formats::read_proof_json(&proof_path).unwrap();
        let inputs = formats::read_public_inputs_json(&public_path).unwrap();
        assert!(verifies(&vk, &inputs, &proof), "{name}");
        assert!(!verifies(&vk, &tampered(&inputs), &proof), "{name}");
    }
}

#[test]
fn snarkjs_json_uses_snarkjs_names_order_and_encodings() {
    let f = four_inputs();
    let text = formats::verification_key_to_json(&f.vk);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    let mut expected = [
        "protocol",
        "curve",
        "nPublic",
        "vk_alpha_1",
        "vk_beta_2",
        "vk_gamma_2",
        "vk_delta_2",
        "vk_alphabeta_12",
        "IC",
    ];
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    // Written in snarkjs' order (serde_json's map here is sorted, so check positions in the text).
    let positions: Vec<usize> = [
        "\"protocol\"",
        "\"curve\"",
        "\"nPublic\"",
        "\"vk_alpha_1\"",
        "\"vk_beta_2\"",
        "\"vk_gamma_2\"",
        "\"vk_delta_2\"",
        "\"vk_alphabeta_12\"",
        "\"IC\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(positions.is_sorted(), "{text}");
    assert_eq!(value["protocol"], "groth16");
    assert_eq!(value["curve"], "bn128");
    assert_eq!(value["nPublic"], 4, "a JSON number");
    assert_eq!(value["IC"].as_array().unwrap().len(), 5);
    assert_eq!(value["vk_alpha_1"][2], "1");
    assert_eq!(value["vk_beta_2"][2], serde_json::json!(["1", "0"]));
    let alpha_x = f.vk.alpha_g1.x().unwrap().into_bigint().to_string();
    assert_eq!(value["vk_alpha_1"][0], alpha_x.as_str());
    // vk_alphabeta_12 nests [2][3][2] decimal strings.
    let ab = &value["vk_alphabeta_12"];
    assert_eq!(ab.as_array().unwrap().len(), 2);
    assert_eq!(ab[1].as_array().unwrap().len(), 3);
    assert_eq!(ab[1][2].as_array().unwrap().len(), 2);
    let pairing = <Bn254 as ark_ec::pairing::Pairing>::pairing(f.vk.alpha_g1, f.vk.beta_g2).0;
    assert_eq!(
        ab[1][2][1],
        pairing.c1.c2.c1.into_bigint().to_string().as_str()
    );
    assert_eq!(
        ab[0][1][0],
        pairing.c0.c1.c0.into_bigint().to_string().as_str()
    );

    // proof.json: the generators, whose coordinates EIP-197 publishes; Fq2 as [c0, c1].
    let proof: serde_json::Value =
        serde_json::from_str(&formats::proof_to_json(&generator_proof())).unwrap();
    assert_eq!(
        proof,
        serde_json::json!({
            "pi_a": ["1", "2", "1"],
            "pi_b": [[G2_X_C0, G2_X_C1], [G2_Y_C0, G2_Y_C1], ["1", "0"]],
            "pi_c": [
                "1368015179489954701390400359078579693043519447331113978918064868415326638035",
                "9918110051302171585080402603319702774565515993150576347155970296011118125764",
                "1"
            ],
            "protocol": "groth16",
            "curve": "bn128"
        })
    );
    let text = formats::proof_to_json(&generator_proof());
    assert!(text.find("\"pi_a\"") < text.find("\"pi_b\""));
    assert!(text.find("\"pi_c\"") < text.find("\"protocol\""));
    assert!(
        text.starts_with("{\n \"pi_a\": [\n  \"1\","),
        "one-space indent: {text}"
    );

    // Infinity, as snarkjs' toObject writes it.
    let infinity = Proof::<Bn254> {
        a: G1Affine::identity(),
        b: G2Affine::identity(),
        c: G1Affine::identity(),
    };
    let json = SnarkjsProof::from_arkworks(&infinity);
    assert_eq!(json.pi_a, ["0", "1", "0"].map(String::from));
    assert_eq!(
        json.pi_b,
        [["0", "0"], ["1", "0"], ["0", "0"]].map(|p| p.map(String::from))
    );
    assert_eq!(json.to_arkworks().unwrap(), infinity);

    // public.json: decimal strings.
    let max = -Fr::from(1u8);
    assert_eq!(
        formats::public_inputs_to_snarkjs(&[Fr::from(0u8), Fr::from(33u8), max]),
        [
            "0",
            "33",
            "21888242871839275222246405745257275088548364400416034343698204186575808495616"
        ]
    );
}

#[test]
fn snarkjs_json_readers_reject_malformed_input_and_say_where() {
    let f = cubic();
    let vk = SnarkjsVerifyingKey::from_arkworks(&f.vk);
    let proof = SnarkjsProof::from_arkworks(&f.proof);
    let q = Fq::MODULUS.to_string();
    let r = Fr::MODULUS.to_string();

    let vk_error = |edit: &dyn Fn(&mut SnarkjsVerifyingKey)| {
        let mut bad = vk.clone();
        edit(&mut bad);
        error_text(bad.to_arkworks())
    };
    let proof_error = |edit: &dyn Fn(&mut SnarkjsProof)| {
        let mut bad = proof.clone();
        edit(&mut bad);
        error_text(bad.to_arkworks())
    };
    let cases = [
        (
            vk_error(&|v| v.protocol = "plonk".into()),
            "protocol is \"plonk\"",
        ),
        (
            vk_error(&|v| v.curve = "bls12381".into()),
            "curve is \"bls12381\"",
        ),
        (
            vk_error(&|v| v.n_public = 2),
            "IC has 2 points, nPublic = 2 needs 3",
        ),
        (
            vk_error(&|v| v.vk_beta_2[1][0] = "12a".into()),
            "vk_beta_2[1][0]: \"12a\" is not a decimal integer",
        ),
        (
            vk_error(&|v| v.vk_beta_2[0][1] = q.clone()),
            "vk_beta_2[0][1]: ",
        ),
        (
            vk_error(&|v| v.vk_gamma_2[0][0] = "5".into()),
            "vk_gamma_2: point is not on the curve",
        ),
        (
            vk_error(&|v| v.ic[1][2] = "2".into()),
            "IC[1]: z is \"2\", expected \"1\" (affine) or \"0\" (infinity)",
        ),
        (
            vk_error(&|v| v.vk_alphabeta_12.as_mut().unwrap()[1][2][1] = "7".into()),
            "vk_alphabeta_12 is not e(vk_alpha_1, vk_beta_2)",
        ),
        (
            proof_error(&|p| p.pi_a[1] = "1".into()),
            "pi_a: point is not on the curve",
        ),
        (
            proof_error(&|p| p.pi_c[0] = String::new()),
            "pi_c[0]: \"\" is not a decimal",
        ),
        (
            proof_error(&|p| p.pi_b[0][0] = "-1".into()),
            "pi_b[0][0]: \"-1\"",
        ),
        (
            proof_error(&|p| p.pi_b = g2_outside_subgroup()),
            "pi_b: point is not in the prime-order subgroup",
        ),
        (
            error_text(formats::public_inputs_from_snarkjs(&[
                "1".into(),
                r.clone(),
            ])),
            &*format!("[1]: \"{r}\" is not below r"),
        ),
    ];
    for (err, expected) in &cases {
        assert!(
            err.contains(expected),
            "{err:?} should contain {expected:?}"
        );
    }
    assert!(cases[0].0.starts_with(
        "JSON: not a BN254 Groth16 verification key (snarkjs verification_key.json): "
    ));
    assert!(cases[4].0.ends_with(&format!("\"{q}\" is not below q")));

    // Files: the path, then what was expected and why.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("public.json");
    std::fs::write(&path, "[\"1\", 2]").unwrap();
    let err = error_text(formats::read_public_inputs_json(&path));
    assert!(
        err.starts_with(&format!(
            "{}: not BN254 public inputs (snarkjs public.json): invalid type: integer `2`",
            path.display()
        )),
        "{err}"
    );
    let path = dir.path().join("proof.json");
    std::fs::write(&path, "{\"pi_a\": []}").unwrap();
    let err = error_text(formats::read_proof_json(&path));
    assert!(err.starts_with(&format!("{}: not a BN254 Groth16 proof", path.display())));

    // Curve aliases snarkjs accepts are accepted; vk_alphabeta_12 may be absent.
    let mut alias = vk.clone();
    alias.curve = "alt_bn128".into();
    alias.vk_alphabeta_12 = None;
    assert_eq!(alias.to_arkworks().unwrap(), f.vk);
}

/// A point on BN254's G2 curve (the twist) outside the prime-order subgroup, in snarkjs JSON.
fn g2_outside_subgroup() -> [[String; 2]; 3] {
    let mut x = Fq2::new(Fq::from(1u8), Fq::from(1u8));
    loop {
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            assert!(p.is_on_curve());
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                let d = |v: Fq| v.into_bigint().to_string();
                return [
                    [d(p.x.c0), d(p.x.c1)],
                    [d(p.y.c0), d(p.y.c1)],
                    ["1".into(), "0".into()],
                ];
            }
        }
        x.c0 += Fq::from(1u8);
    }
}

// ---------------------------------------------------------------------------------------------
// Solidity verifier and calldata (without Node)

#[test]
fn solidity_calldata_matches_the_generatecall_format() {
    let calldata =
        formats::solidity_calldata(&generator_proof(), &[Fr::from(1u8), Fr::from(255u8)]);
    let word = |dec: &str| {
        let v: Fq = dec.parse().unwrap();
        format!("\"0x{}\"", hex::encode(v.into_bigint().to_bytes_be()))
    };
    let c = (G1Affine::generator() * Fr::from(2u8)).into_affine();
    let expected = format!(
        "[{}, {}],[[{}, {}],[{}, {}]],[{}, {}],[{},{}]",
        word("1"),
        word("2"),
        word(G2_X_C1),
        word(G2_X_C0),
        word(G2_Y_C1),
        word(G2_Y_C0),
        word(&c.x.to_string()),
        word(&c.y.to_string()),
        word("1"),
        word("255"),
    );
    assert_eq!(calldata, expected);
    assert!(calldata.starts_with(
        "[\"0x0000000000000000000000000000000000000000000000000000000000000001\", \"0x00"
    ));
    assert!(calldata.ends_with(
        "\"0x0000000000000000000000000000000000000000000000000000000000000001\",\"0x00000000000000000000000000000000000000000000000000000000000000ff\"]"
    ));
}

#[test]
fn solidity_verifier_embeds_the_key_and_refuses_what_it_cannot_write() {
    let f = four_inputs();
    let source = formats::solidity_verifier(&f.vk, "FourInputsVerifier").unwrap();
    assert!(source.contains("contract FourInputsVerifier {"));
    assert!(source.contains("uint256[4] calldata input"));
    let beta_x = f.vk.beta_g2.x().unwrap();
    assert!(source.contains(&format!("BETA_X1 = {};", beta_x.c1)));
    assert!(source.contains(&format!("BETA_X0 = {};", beta_x.c0)));
    assert!(source.contains(&format!("IC4_Y = {};", f.vk.gamma_abc_g1[4].y().unwrap())));
    assert!(source.contains("input[3])) return false;"));
    assert!(!source.contains("IC5_X"));

    let no_inputs = VerifyingKey::<Bn254> {
        gamma_abc_g1: vec![f.vk.gamma_abc_g1[0]],
        ..f.vk.clone()
    };
    let err = error_text(formats::solidity_verifier(&no_inputs, "V"));
    assert!(err.contains("no public inputs"), "{err}");
    for bad in ["", "1Verifier", "My Verifier", "Verifier;"] {
        let err = error_text(formats::solidity_verifier(&f.vk, bad));
        assert!(
            err.starts_with("cannot write a Solidity verifier: "),
            "{err}"
        );
    }
    assert!(formats::solidity_verifier(&f.vk, "_$Verifier2").is_ok());
}

// ---------------------------------------------------------------------------------------------
// Real snarkjs, solc-js and EVM (Node)

/// `prover/tests/js`, where `install.sh` puts snarkjs, solc and @ethereumjs/evm.
fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// True if `node` runs and the packages are installed; otherwise prints `SKIPPED: ...`.
fn node_tools_available(test: &str) -> bool {
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            ramjet_accel::conformance::skip(
                test,
                &format!(
                    "`node --version` failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ),
            );
            return false;
        }
        Err(e) => {
            ramjet_accel::conformance::skip(test, &format!("node is not installed ({e})"));
            return false;
        }
    }
    let modules = js_dir().join("node_modules");
    for package in ["snarkjs", "solc", "@ethereumjs/evm"] {
        if !modules.join(package).join("package.json").is_file() {
            ramjet_accel::conformance::skip(
                test,
                &format!(
                    "{package} is not installed in {}: run prover/tests/js/install.sh",
                    modules.display()
                ),
            );
            return false;
        }
    }
    true
}

/// Runs `node <args>` in `prover/tests/js`.
fn node(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut command = Command::new("node");
    command.current_dir(js_dir());
    for arg in args {
        command.arg(arg);
    }
    command.output().expect("node ran a moment ago")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn snarkjs_cli() -> PathBuf {
    js_dir().join("node_modules/snarkjs/build/cli.cjs")
}

/// `snarkjs groth16 verify`: (exit status success, output).
fn snarkjs_verify(vk: &Path, public: &Path, proof: &Path) -> (bool, String) {
    let out = node(&[&snarkjs_cli(), &"groth16", &"verify", &vk, &public, &proof]);
    (out.status.success(), text(&out))
}

#[test]
fn snarkjs_verifies_our_proofs_and_computes_the_same_alphabeta() {
    let test = "formats::snarkjs_verifies_our_proofs_and_computes_the_same_alphabeta";
    if !node_tools_available(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, f) in fixtures() {
        let file = |suffix: &str| dir.path().join(format!("{name}_{suffix}"));
        let (vk, proof, public, bad_public) = (
            file("verification_key.json"),
            file("proof.json"),
            file("public.json"),
            file("tampered_public.json"),
        );
        formats::write_verification_key_json(&vk, &f.vk).unwrap();
        formats::write_proof_json(&proof, &f.proof).unwrap();
        formats::write_public_inputs_json(&public, &f.inputs).unwrap();
        formats::write_public_inputs_json(&bad_public, &tampered(&f.inputs)).unwrap();

        let (ok, output) = snarkjs_verify(&vk, &public, &proof);
        assert!(
            ok && output.contains("OK"),
            "{name}: snarkjs said: {output}"
        );
        let (ok, output) = snarkjs_verify(&vk, &bad_public, &proof);
        assert!(
            !ok && output.contains("Invalid proof"),
            "{name}: snarkjs accepted a tampered input: {output}"
        );

        // vk_alphabeta_12 as snarkjs computes and writes it, from our vk_alpha_1 and vk_beta_2.
        let out = node(&[&"alphabeta.cjs", &vk]);
        assert!(out.status.success(), "{}", text(&out));
        let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ours: serde_json::Value =
            serde_json::from_str(&formats::verification_key_to_json(&f.vk)).unwrap();
        assert_eq!(theirs, ours["vk_alphabeta_12"], "{name}");

        // snarkjs' own calldata export for our files is ours, character for character.
        let out = node(&[
            &snarkjs_cli(),
            &"zkey",
            &"export",
            &"soliditycalldata",
            &public,
            &proof,
        ]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            formats::solidity_calldata(&f.proof, &f.inputs),
            "{name}"
        );
    }
}

/// `calldata` with its last public input replaced by the 32-byte word `value` (64 hex digits).
fn with_last_input(calldata: &str, value: &str) -> String {
    // The inputs are the last array; each word is `"0x` + 64 hex digits + `"`.
    let word_len = 2 + 64 + 2;
    assert!(calldata.ends_with("\"]"));
    let start = calldata.len() - 1 - word_len;
    format!("{}\"0x{value}\"]", &calldata[..start])
}

#[test]
fn solidity_verifier_compiles_and_verifies_in_an_evm() {
    let test = "formats::solidity_verifier_compiles_and_verifies_in_an_evm";
    if !node_tools_available(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, f) in fixtures() {
        let sol = dir.path().join(format!("{name}.sol"));
        formats::write_solidity_verifier(&sol, &f.vk, "Groth16Verifier").unwrap();

        let valid = formats::solidity_calldata(&f.proof, &f.inputs);
        let last = f.inputs.len() - 1;
        // input + r is the same residue, so only the contract's range check rejects it.
        let mut plus_r = f.inputs[last].into_bigint();
        assert!(!plus_r.add_with_carry(&Fr::MODULUS));
        let other_proof = Proof::<Bn254> {
            a: (f.proof.a + G1Affine::generator()).into_affine(),
            ..f.proof.clone()
        };
        // B with each Fq2 coordinate in snarkjs JSON order ([c0, c1]) instead of the EVM's.
        let b = f.proof.b;
        let swapped_b = {
            let word = |x: Fq| format!("\"0x{}\"", hex::encode(x.into_bigint().to_bytes_be()));
            let evm = format!(
                "[[{}, {}],[{}, {}]]",
                word(b.x.c1),
                word(b.x.c0),
                word(b.y.c1),
                word(b.y.c0)
            );
            let json = format!(
                "[[{}, {}],[{}, {}]]",
                word(b.x.c0),
                word(b.x.c1),
                word(b.y.c0),
                word(b.y.c1)
            );
            assert!(valid.contains(&evm));
            valid.replace(&evm, &json)
        };
        let calls: [(&str, String, &str); 6] = [
            ("valid", valid.clone(), "true"),
            (
                "tampered_input",
                formats::solidity_calldata(&f.proof, &tampered(&f.inputs)),
                "false",
            ),
            (
                "input_plus_r",
                with_last_input(&valid, &hex::encode(plus_r.to_bytes_be())),
                "false",
            ),
            (
                "other_a",
                formats::solidity_calldata(&other_proof, &f.inputs),
                "false",
            ),
            ("b_in_json_order", swapped_b, "false"),
            (
                "a_not_below_q",
                valid.replacen(
                    &format!(
                        "\"0x{}\"",
                        hex::encode(f.proof.a.x.into_bigint().to_bytes_be())
                    ),
                    &format!(
                        "\"0x{}\"",
                        hex::encode({
                            let mut x = f.proof.a.x.into_bigint();
                            x.add_with_carry(&Fq::MODULUS);
                            x.to_bytes_be()
                        })
                    ),
                    1,
                ),
                "false",
            ),
        ];
        let calls: Vec<(String, String, &str)> = calls
            .into_iter()
            .map(|(call, calldata, expected)| (format!("{name}_{call}"), calldata, expected))
            .collect();
        let verdicts = evm_verdicts(dir.path(), &sol, &calls);
        for ((call, _, expected), verdict) in calls.iter().zip(&verdicts) {
            assert_eq!(verdict, expected, "{call}");
        }
    }
}

/// Compiles `sol` (contract `Groth16Verifier`), deploys it in an EVM and calls `verifyProof` with
/// each `(name, calldata, _)`; returns each call's verdict (`true`, `false` or `error`). Requires
/// a clean compile (no warnings).
fn evm_verdicts(dir: &Path, sol: &Path, calls: &[(String, String, &str)]) -> Vec<String> {
    let mut command = Command::new("node");
    command
        .current_dir(js_dir())
        .arg("evm_verify.mjs")
        .arg(sol)
        .arg("Groth16Verifier");
    for (call, calldata, _) in calls {
        let path = dir.join(format!("{call}.txt"));
        std::fs::write(&path, calldata).unwrap();
        command.arg(path);
    }
    let out = command.output().unwrap();
    let output = text(&out);
    println!("{}: {output}", sol.display());
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains("compiled: solc 0.8.37") && output.contains(" 0 warning(s)"),
        "{output}"
    );
    calls
        .iter()
        .map(|(call, _, _)| {
            let line = output
                .lines()
                .find(|l| l.starts_with(&format!("{call}.txt: ")))
                .unwrap_or_else(|| panic!("no result for {call}: {output}"));
            line.split(": ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn snarkjs_made_proofs_import_into_arkworks_and_export_back_byte_for_byte() {
    let test = "formats::snarkjs_made_proofs_import_into_arkworks_and_export_back_byte_for_byte";
    if !node_tools_available(test) {
        return;
    }
    // A circom circuit with its Groth16 key and witness generator, shipped in the tests of
    // circom_runtime (a dependency of snarkjs): 1000 constraints, public inputs a, b, c and an
    // output d.
    let circuit = js_dir().join("node_modules/circom_runtime/test/circuit");
    let (zkey, wasm, input) = (
        circuit.join("circuit.zkey"),
        circuit.join("circuit_js/circuit.wasm"),
        circuit.join("input.json"),
    );
    if ![&zkey, &wasm, &input].iter().all(|p| p.is_file()) {
        ramjet_accel::conformance::skip(
            test,
            &format!(
                "circom_runtime's test circuit is not in {}",
                circuit.display()
            ),
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (vk_path, proof_path, public_path) = (
        dir.path().join("verification_key.json"),
        dir.path().join("proof.json"),
        dir.path().join("public.json"),
    );
    let out = node(&[
        &snarkjs_cli(),
        &"groth16",
        &"fullprove",
        &input,
        &wasm,
        &zkey,
        &proof_path,
        &public_path,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = node(&[
        &snarkjs_cli(),
        &"zkey",
        &"export",
        &"verificationkey",
        &zkey,
        &vk_path,
    ]);
    assert!(out.status.success(), "{}", text(&out));

    // Reading the key checks its vk_alphabeta_12 against arkworks' pairing.
    let vk = formats::read_verification_key_json(&vk_path).unwrap();
    let proof = formats::read_proof_json(&proof_path).unwrap();
    let inputs = formats::read_public_inputs_json(&public_path).unwrap();
    assert_eq!(inputs.len(), 4);
    assert!(
        verifies(&vk, &inputs, &proof),
        "ark-groth16 rejects snarkjs' proof"
    );
    assert!(!verifies(&vk, &tampered(&inputs), &proof));

    // Written back, the files are snarkjs' own, byte for byte.
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    assert_eq!(formats::verification_key_to_json(&vk), read(&vk_path));
    assert_eq!(formats::proof_to_json(&proof), read(&proof_path));
    assert_eq!(formats::public_inputs_to_json(&inputs), read(&public_path));

    // Our Solidity verifier for snarkjs' key accepts snarkjs' calldata for snarkjs' proof.
    let out = node(&[
        &snarkjs_cli(),
        &"zkey",
        &"export",
        &"soliditycalldata",
        &public_path,
        &proof_path,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let calldata = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(calldata, formats::solidity_calldata(&proof, &inputs));
    let sol = dir.path().join("circom.sol");
    formats::write_solidity_verifier(&sol, &vk, "Groth16Verifier").unwrap();
    let calls = [
        ("circom_valid".to_owned(), calldata, "true"),
        (
            "circom_tampered_input".to_owned(),
            formats::solidity_calldata(&proof, &tampered(&inputs)),
            "false",
        ),
    ];
    let verdicts = evm_verdicts(dir.path(), &sol, &calls);
    assert_eq!(verdicts, ["true", "false"]);
}
