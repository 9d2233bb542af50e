//! snarkjs-compatible JSON: `verification_key.json`, `proof.json` and `public.json`.
//!
//! These are the files `snarkjs zkey export verificationkey` and `snarkjs groth16 prove` write
//! (snarkjs 0.7), and the ones `snarkjs groth16 verify verification_key.json public.json
//! proof.json` reads. The writers here produce them from arkworks types; the readers turn them
//! back into arkworks types, validating everything.
//!
//! # Encodings
//!
//! - **Field element** (`Fq` coordinate or `Fr` public input): a JSON string holding the
//!   canonical integer in decimal, no sign, no leading zeros (`"0"` for zero), e.g.
//!   `"21888242871839275222246405745257275088548364400416034343698204186575808495616"`.
//!   Readers accept ASCII digits only (leading zeros allowed) and require the value to be below
//!   the modulus (`q` for coordinates, `r` for public inputs); nothing is reduced silently.
//! - **G1 point**: `[x, y, z]`, three decimal strings. Affine points are written with `z = "1"`;
//!   the point at infinity as `["0", "1", "0"]` (what snarkjs' `G1.toObject` writes for zero).
//!   Readers accept `z = "1"` (affine; the point must be on the curve) or `z = "0"` (infinity);
//!   any other `z` is rejected.
//! - **G2 point**: `[[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]` where an `Fq2` element is
//!   `c0 + c1·u` (`u² = -1`): **real part first**, the same order as arkworks' `Fq2 { c0, c1 }`
//!   (and the opposite of the EVM precompile encoding, which puts `c1` first). Affine points have
//!   `z = ["1", "0"]`; infinity is `[["0", "0"], ["1", "0"], ["0", "0"]]`.
//! - **`Fq12` element** (`vk_alphabeta_12`): the tower `Fq12 = Fq6[w]/(w² - v)`,
//!   `Fq6 = Fq2[v]/(v³ - (9 + u))` as nested arrays `[[a00, a01, a02], [a10, a11, a12]]`, where
//!   the element is `(a00 + a01·v + a02·v²) + (a10 + a11·v + a12·v²)·w` and each `aij` is an
//!   `Fq2` pair `[c0, c1]`. This is exactly arkworks' `Fq12 { c0: Fq6 { c0, c1, c2 }, c1: .. }`
//!   in field order, and what snarkjs' `Gt.toObject` writes.
//!
//! # `verification_key.json`
//!
//! Numbers shortened to `…`, arrays shown on one line:
//!
//! ```json
//! {
//!  "protocol": "groth16",
//!  "curve": "bn128",
//!  "nPublic": 1,
//!  "vk_alpha_1": ["…", "…", "1"],
//!  "vk_beta_2": [["…", "…"], ["…", "…"], ["1", "0"]],
//!  "vk_gamma_2": [["…", "…"], ["…", "…"], ["1", "0"]],
//!  "vk_delta_2": [["…", "…"], ["…", "…"], ["1", "0"]],
//!  "vk_alphabeta_12": [[["…", "…"], ["…", "…"], ["…", "…"]], [["…", "…"], ["…", "…"], ["…", "…"]]],
//!  "IC": [["…", "…", "1"], ["…", "…", "1"]]
//! }
//! ```
//!
//! Fields, in the order written: `protocol` (always `"groth16"`), `curve` (always `"bn128"`,
//! snarkjs' name for BN254), `nPublic` (number of public inputs, a JSON number), `vk_alpha_1`
//! (G1), `vk_beta_2`, `vk_gamma_2`, `vk_delta_2` (G2), `vk_alphabeta_12` (the pairing
//! `e(alpha, beta)` as an `Fq12` element, for verifiers that precompute it; `snarkjs groth16
//! verify` does not read it) and `IC` (`nPublic + 1` G1 points: arkworks' `gamma_abc_g1`).
//! Readers also accept the curve names `"bn254"` and `"alt_bn128"` (any case, as snarkjs does),
//! require `IC.len() == nPublic + 1`, ignore unknown fields, and when `vk_alphabeta_12` is
//! present check that it equals `e(vk_alpha_1, vk_beta_2)`.
//!
//! # `proof.json`
//!
//! Numbers shortened to `…`, arrays shown on one line:
//!
//! ```json
//! {
//!  "pi_a": ["…", "…", "1"],
//!  "pi_b": [["…", "…"], ["…", "…"], ["1", "0"]],
//!  "pi_c": ["…", "…", "1"],
//!  "protocol": "groth16",
//!  "curve": "bn128"
//! }
//! ```
//!
//! `pi_a`, `pi_c` are arkworks' `Proof::a`, `Proof::c` (G1) and `pi_b` is `Proof::b` (G2).
//!
//! # `public.json`
//!
//! A JSON array of decimal strings, one per public input, in the circuit's order (the order
//! `Groth16::verify_proof` takes them; the constant `1` is not included):
//! `["33", "7"]`.
//!
//! Text is written as snarkjs writes its files: a one-space indent, one array element per line,
//! no final newline (for the same values, the files are identical byte for byte). Whitespace is
//! not significant to any reader.

use std::path::Path;
use std::str::FromStr;

use ark_bn254::{Bn254, Fq, Fq2, Fq6, Fq12, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ec::pairing::Pairing;
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ff::{BigInt, PrimeField};
use ark_groth16::{Proof, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::canonical::{read_file, write_file};
use crate::{ProverError, Result};

/// A G1 point as snarkjs writes it: `[x, y, z]` in decimal, `z = "1"` for affine points.
pub type G1Json = [String; 3];
/// A G2 point as snarkjs writes it: `[[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]` in decimal.
pub type G2Json = [[String; 2]; 3];
/// An `Fq12` element as snarkjs writes it: two `Fq6` halves of three `Fq2` pairs `[c0, c1]`.
pub type Fq12Json = [[[String; 2]; 3]; 2];

/// The protocol name snarkjs writes and expects for Groth16.
pub const PROTOCOL: &str = "groth16";
/// snarkjs' name for BN254 (also known as alt_bn128).
pub const CURVE: &str = "bn128";

/// What a `verification_key.json` should contain, as named in errors.
const VK_JSON: &str = "a BN254 Groth16 verification key (snarkjs verification_key.json)";
/// What a `proof.json` should contain, as named in errors.
const PROOF_JSON: &str = "a BN254 Groth16 proof (snarkjs proof.json)";
/// What a `public.json` should contain, as named in errors.
const PUBLIC_JSON: &str = "BN254 public inputs (snarkjs public.json)";
/// The origin named in errors for JSON given as a string or a value in memory.
const JSON: &str = "JSON";

/// snarkjs' `verification_key.json` for Groth16, field for field (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnarkjsVerifyingKey {
    /// Always `"groth16"`.
    pub protocol: String,
    /// `"bn128"` when written; readers also accept `"bn254"` and `"alt_bn128"`.
    pub curve: String,
    /// The number of public inputs (`IC.len() - 1`).
    #[serde(rename = "nPublic")]
    pub n_public: usize,
    /// `alpha` in G1.
    pub vk_alpha_1: G1Json,
    /// `beta` in G2.
    pub vk_beta_2: G2Json,
    /// `gamma` in G2.
    pub vk_gamma_2: G2Json,
    /// `delta` in G2.
    pub vk_delta_2: G2Json,
    /// `e(alpha, beta)` in `Fq12`; always written, optional when read (checked if present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vk_alphabeta_12: Option<Fq12Json>,
    /// The `nPublic + 1` G1 points arkworks calls `gamma_abc_g1`.
    #[serde(rename = "IC")]
    pub ic: Vec<G1Json>,
}

/// snarkjs' `proof.json` for Groth16, field for field (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnarkjsProof {
    /// `A` in G1.
    pub pi_a: G1Json,
    /// `B` in G2.
    pub pi_b: G2Json,
    /// `C` in G1.
    pub pi_c: G1Json,
    /// Always `"groth16"`.
    pub protocol: String,
    /// `"bn128"` when written; readers also accept `"bn254"` and `"alt_bn128"`.
    pub curve: String,
}

impl SnarkjsVerifyingKey {
    /// The snarkjs form of an arkworks verifying key. Computes `vk_alphabeta_12` (one pairing).
    pub fn from_arkworks(vk: &VerifyingKey<Bn254>) -> Self {
        let alphabeta = Bn254::pairing(vk.alpha_g1, vk.beta_g2).0;
        Self {
            protocol: PROTOCOL.to_owned(),
            curve: CURVE.to_owned(),
            n_public: vk.gamma_abc_g1.len().saturating_sub(1),
            vk_alpha_1: g1_to_json(&vk.alpha_g1),
            vk_beta_2: g2_to_json(&vk.beta_g2),
            vk_gamma_2: g2_to_json(&vk.gamma_g2),
            vk_delta_2: g2_to_json(&vk.delta_g2),
            vk_alphabeta_12: Some(fq12_to_json(&alphabeta)),
            ic: vk.gamma_abc_g1.iter().map(g1_to_json).collect(),
        }
    }

    /// The arkworks verifying key this JSON describes, after checking the protocol and curve,
    /// every number (decimal, below `q`), every point (on the curve, in the prime-order
    /// subgroup), `IC.len() == nPublic + 1` and, if present, `vk_alphabeta_12 = e(alpha, beta)`.
    /// Errors are [`ProverError::FormatDecode`] with origin `"JSON"`.
    pub fn to_arkworks(&self) -> Result<VerifyingKey<Bn254>> {
        self.decode()
            .map_err(|reason| decode_error(JSON, VK_JSON, reason))
    }

    /// [`to_arkworks`](Self::to_arkworks) with the reason as a plain string.
    fn decode(&self) -> Result<VerifyingKey<Bn254>, String> {
        check_protocol(&self.protocol, &self.curve)?;
        if self.ic.len() != self.n_public + 1 {
            return Err(format!(
                "IC has {} points, nPublic = {} needs {}",
                self.ic.len(),
                self.n_public,
                self.n_public + 1
            ));
        }
        let vk = VerifyingKey {
            alpha_g1: g1_from_json(&self.vk_alpha_1, "vk_alpha_1")?,
            beta_g2: g2_from_json(&self.vk_beta_2, "vk_beta_2")?,
            gamma_g2: g2_from_json(&self.vk_gamma_2, "vk_gamma_2")?,
            delta_g2: g2_from_json(&self.vk_delta_2, "vk_delta_2")?,
            gamma_abc_g1: self
                .ic
                .iter()
                .enumerate()
                .map(|(i, p)| g1_from_json(p, &format!("IC[{i}]")))
                .collect::<Result<_, _>>()?,
        };
        if let Some(alphabeta) = &self.vk_alphabeta_12 {
            let claimed = fq12_from_json(alphabeta, "vk_alphabeta_12")?;
            if claimed != Bn254::pairing(vk.alpha_g1, vk.beta_g2).0 {
                return Err("vk_alphabeta_12 is not e(vk_alpha_1, vk_beta_2)".to_owned());
            }
        }
        Ok(vk)
    }
}

impl SnarkjsProof {
    /// The snarkjs form of an arkworks proof.
    pub fn from_arkworks(proof: &Proof<Bn254>) -> Self {
        Self {
            pi_a: g1_to_json(&proof.a),
            pi_b: g2_to_json(&proof.b),
            pi_c: g1_to_json(&proof.c),
            protocol: PROTOCOL.to_owned(),
            curve: CURVE.to_owned(),
        }
    }

    /// The arkworks proof this JSON describes, after checking the protocol, curve, numbers and
    /// points (on the curve, in the prime-order subgroup). Errors are
    /// [`ProverError::FormatDecode`] with origin `"JSON"`.
    pub fn to_arkworks(&self) -> Result<Proof<Bn254>> {
        self.decode()
            .map_err(|reason| decode_error(JSON, PROOF_JSON, reason))
    }

    /// [`to_arkworks`](Self::to_arkworks) with the reason as a plain string.
    fn decode(&self) -> Result<Proof<Bn254>, String> {
        check_protocol(&self.protocol, &self.curve)?;
        Ok(Proof {
            a: g1_from_json(&self.pi_a, "pi_a")?,
            b: g2_from_json(&self.pi_b, "pi_b")?,
            c: g1_from_json(&self.pi_c, "pi_c")?,
        })
    }
}

/// Public inputs as `public.json`'s array of decimal strings.
pub fn public_inputs_to_snarkjs(inputs: &[Fr]) -> Vec<String> {
    inputs.iter().map(Fr::to_string).collect()
}

/// Public inputs from `public.json`'s array of decimal strings; each must be below `r`.
/// Errors are [`ProverError::FormatDecode`] with origin `"JSON"`.
pub fn public_inputs_from_snarkjs(inputs: &[String]) -> Result<Vec<Fr>> {
    decode_public(inputs).map_err(|reason| decode_error(JSON, PUBLIC_JSON, reason))
}

/// [`public_inputs_from_snarkjs`] with the reason as a plain string.
fn decode_public(inputs: &[String]) -> Result<Vec<Fr>, String> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, s)| parse_field::<Fr>(s, &format!("[{i}]"), "r"))
        .collect()
}

/// `verification_key.json` text for `vk` (one-space indent, as snarkjs writes it).
pub fn verification_key_to_json(vk: &VerifyingKey<Bn254>) -> String {
    to_json_text(&SnarkjsVerifyingKey::from_arkworks(vk))
}

/// A verifying key from `verification_key.json` text (see [`SnarkjsVerifyingKey::to_arkworks`]).
pub fn verification_key_from_json(text: &str) -> Result<VerifyingKey<Bn254>> {
    verification_key_from(text, JSON)
}

/// `proof.json` text for `proof`.
pub fn proof_to_json(proof: &Proof<Bn254>) -> String {
    to_json_text(&SnarkjsProof::from_arkworks(proof))
}

/// A proof from `proof.json` text (see [`SnarkjsProof::to_arkworks`]).
pub fn proof_from_json(text: &str) -> Result<Proof<Bn254>> {
    proof_from(text, JSON)
}

/// `public.json` text for `inputs`.
pub fn public_inputs_to_json(inputs: &[Fr]) -> String {
    to_json_text(&public_inputs_to_snarkjs(inputs))
}

/// Public inputs from `public.json` text (see [`public_inputs_from_snarkjs`]).
pub fn public_inputs_from_json(text: &str) -> Result<Vec<Fr>> {
    public_inputs_from(text, JSON)
}

/// Writes `verification_key.json` for `vk` to `path`.
pub fn write_verification_key_json(path: impl AsRef<Path>, vk: &VerifyingKey<Bn254>) -> Result<()> {
    write_file(path.as_ref(), verification_key_to_json(vk).as_bytes())
}

/// Reads a verifying key from a `verification_key.json` file. Errors name the file, e.g.
/// `vk.json: not a BN254 Groth16 verification key (snarkjs verification_key.json):
/// vk_beta_2: point is not on the curve`.
pub fn read_verification_key_json(path: impl AsRef<Path>) -> Result<VerifyingKey<Bn254>> {
    let (text, origin) = read_text(path.as_ref(), VK_JSON)?;
    verification_key_from(&text, &origin)
}

/// Writes `proof.json` for `proof` to `path`.
pub fn write_proof_json(path: impl AsRef<Path>, proof: &Proof<Bn254>) -> Result<()> {
    write_file(path.as_ref(), proof_to_json(proof).as_bytes())
}

/// Reads a proof from a `proof.json` file. Errors name the file.
pub fn read_proof_json(path: impl AsRef<Path>) -> Result<Proof<Bn254>> {
    let (text, origin) = read_text(path.as_ref(), PROOF_JSON)?;
    proof_from(&text, &origin)
}

/// Writes `public.json` for `inputs` to `path`.
pub fn write_public_inputs_json(path: impl AsRef<Path>, inputs: &[Fr]) -> Result<()> {
    write_file(path.as_ref(), public_inputs_to_json(inputs).as_bytes())
}

/// Reads public inputs from a `public.json` file. Errors name the file.
pub fn read_public_inputs_json(path: impl AsRef<Path>) -> Result<Vec<Fr>> {
    let (text, origin) = read_text(path.as_ref(), PUBLIC_JSON)?;
    public_inputs_from(&text, &origin)
}

fn verification_key_from(text: &str, origin: &str) -> Result<VerifyingKey<Bn254>> {
    let json: SnarkjsVerifyingKey = parse_json(text, origin, VK_JSON)?;
    json.decode()
        .map_err(|reason| decode_error(origin, VK_JSON, reason))
}

fn proof_from(text: &str, origin: &str) -> Result<Proof<Bn254>> {
    let json: SnarkjsProof = parse_json(text, origin, PROOF_JSON)?;
    json.decode()
        .map_err(|reason| decode_error(origin, PROOF_JSON, reason))
}

fn public_inputs_from(text: &str, origin: &str) -> Result<Vec<Fr>> {
    let json: Vec<String> = parse_json(text, origin, PUBLIC_JSON)?;
    decode_public(&json).map_err(|reason| decode_error(origin, PUBLIC_JSON, reason))
}

fn decode_error(origin: &str, expected: &'static str, reason: String) -> ProverError {
    ProverError::FormatDecode {
        origin: origin.to_owned(),
        expected,
        reason,
    }
}

/// Reads a file as UTF-8, returning its text and its path as an error origin.
fn read_text(path: &Path, expected: &'static str) -> Result<(String, String)> {
    let origin = path.display().to_string();
    let text = String::from_utf8(read_file(path)?)
        .map_err(|e| decode_error(&origin, expected, format!("not UTF-8 text: {e}")))?;
    Ok((text, origin))
}

fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
    expected: &'static str,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| decode_error(origin, expected, e.to_string()))
}

/// JSON text with a one-space indent and no final newline, as snarkjs writes its files.
fn to_json_text<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .expect("strings, numbers and arrays always serialize to JSON");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Accepts snarkjs' protocol and curve names for Groth16 over BN254.
fn check_protocol(protocol: &str, curve: &str) -> Result<(), String> {
    if protocol != PROTOCOL {
        return Err(format!("protocol is {protocol:?}, expected \"groth16\""));
    }
    // snarkjs' getCurveFromName upper-cases the name and accepts these three for BN254.
    let upper = curve.to_ascii_uppercase();
    if !matches!(upper.as_str(), "BN128" | "BN254" | "ALT_BN128") {
        return Err(format!(
            "curve is {curve:?}, expected \"bn128\" (or \"bn254\", \"alt_bn128\")"
        ));
    }
    Ok(())
}

/// A field element as a decimal string (no leading zeros, `"0"` for zero).
fn decimal<F: PrimeField>(x: &F) -> String {
    x.into_bigint().to_string()
}

/// Parses a decimal string into a field element below its modulus (named `modulus` in errors).
/// `at` names the value in errors, e.g. `vk_beta_2[0][1]`.
fn parse_field<F: PrimeField<BigInt = BigInt<4>>>(
    s: &str,
    at: &str,
    modulus: &str,
) -> Result<F, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{at}: {} is not a decimal integer", shorten(s)));
    }
    BigInt::<4>::from_str(s)
        .ok()
        .and_then(F::from_bigint)
        .ok_or_else(|| format!("{at}: {} is not below {modulus}", shorten(s)))
}

/// A value for an error message: quoted, and cut short if it is long.
fn shorten(s: &str) -> String {
    const MAX: usize = 90;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}… ({} characters)", s.chars().count())
    }
}

fn fq2_to_json(x: &Fq2) -> [String; 2] {
    [decimal(&x.c0), decimal(&x.c1)]
}

fn fq2_from_json(x: &[String; 2], at: &str) -> Result<Fq2, String> {
    Ok(Fq2::new(
        parse_field(&x[0], &format!("{at}[0]"), "q")?,
        parse_field(&x[1], &format!("{at}[1]"), "q")?,
    ))
}

/// A G1 point as `[x, y, "1"]`, or `["0", "1", "0"]` for infinity.
fn g1_to_json(p: &G1Affine) -> G1Json {
    match p.xy() {
        Some((x, y)) => [decimal(&x), decimal(&y), "1".to_owned()],
        None => ["0".to_owned(), "1".to_owned(), "0".to_owned()],
    }
}

/// A G2 point as `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`, or snarkjs' form of infinity.
fn g2_to_json(p: &G2Affine) -> G2Json {
    let zero = || "0".to_owned();
    let one = || "1".to_owned();
    match p.xy() {
        Some((x, y)) => [fq2_to_json(&x), fq2_to_json(&y), [one(), zero()]],
        None => [[zero(), zero()], [one(), zero()], [zero(), zero()]],
    }
}

fn fq6_to_json(x: &Fq6) -> [[String; 2]; 3] {
    [fq2_to_json(&x.c0), fq2_to_json(&x.c1), fq2_to_json(&x.c2)]
}

fn fq12_to_json(x: &Fq12) -> Fq12Json {
    [fq6_to_json(&x.c0), fq6_to_json(&x.c1)]
}

fn fq6_from_json(x: &[[String; 2]; 3], at: &str) -> Result<Fq6, String> {
    Ok(Fq6::new(
        fq2_from_json(&x[0], &format!("{at}[0]"))?,
        fq2_from_json(&x[1], &format!("{at}[1]"))?,
        fq2_from_json(&x[2], &format!("{at}[2]"))?,
    ))
}

fn fq12_from_json(x: &Fq12Json, at: &str) -> Result<Fq12, String> {
    Ok(Fq12::new(
        fq6_from_json(&x[0], &format!("{at}[0]"))?,
        fq6_from_json(&x[1], &format!("{at}[1]"))?,
    ))
}

/// Checks that an affine point is on the curve and in the prime-order subgroup.
fn checked<C: SWCurveConfig>(p: Affine<C>, at: &str) -> Result<Affine<C>, String> {
    if !p.is_on_curve() {
        return Err(format!("{at}: point is not on the curve"));
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(format!("{at}: point is not in the prime-order subgroup"));
    }
    Ok(p)
}

fn g1_from_json(p: &G1Json, at: &str) -> Result<G1Affine, String> {
    let z: Fq = parse_field(&p[2], &format!("{at}[2]"), "q")?;
    let x: Fq = parse_field(&p[0], &format!("{at}[0]"), "q")?;
    let y: Fq = parse_field(&p[1], &format!("{at}[1]"), "q")?;
    if z == Fq::from(0u8) {
        return Ok(G1Affine::identity());
    }
    if z != Fq::from(1u8) {
        return Err(format!(
            "{at}: z is {}, expected \"1\" (affine) or \"0\" (infinity)",
            shorten(&p[2])
        ));
    }
    checked(G1Affine::new_unchecked(x, y), at)
}

fn g2_from_json(p: &G2Json, at: &str) -> Result<G2Affine, String> {
    let z = fq2_from_json(&p[2], &format!("{at}[2]"))?;
    let x = fq2_from_json(&p[0], &format!("{at}[0]"))?;
    let y = fq2_from_json(&p[1], &format!("{at}[1]"))?;
    if z == Fq2::from(0u8) {
        return Ok(G2Affine::identity());
    }
    if z != Fq2::from(1u8) {
        return Err(format!(
            "{at}: z is [{}, {}], expected [\"1\", \"0\"] (affine) or [\"0\", \"0\"] (infinity)",
            shorten(&p[2][0]),
            shorten(&p[2][1])
        ));
    }
    checked(G2Affine::new_unchecked(x, y), at)
}
