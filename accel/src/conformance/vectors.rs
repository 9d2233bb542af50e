//! The public Ed25519 test vectors, embedded from `accel/vectors/` (copied unchanged from the
//! project's shared vectors; a test checks they still match).

use serde::Deserialize;

/// One signature case.
#[derive(Debug, Clone)]
pub struct SigCase {
    /// Where it comes from, for failure messages.
    pub name: String,
    /// Public key bytes.
    pub key: [u8; 32],
    /// Signature bytes.
    pub signature: [u8; 64],
    /// Message.
    pub message: Vec<u8>,
    /// The source's own expected result (Wycheproof: RFC 8032 strict; speccheck: the ZIP-215 row).
    pub expected: bool,
}

/// The speccheck file, as shipped.
pub const SPECCHECK_JSON: &str = include_str!("../../vectors/ed25519_speccheck_cases.json");
/// The Wycheproof file, as shipped.
pub const WYCHEPROOF_JSON: &str = include_str!("../../vectors/wycheproof_ed25519_test.json");

/// ZIP-215's verdicts on the 12 speccheck cases, from the vectors' README (V = accept).
pub const SPECCHECK_ZIP215: [bool; 12] = [
    true, true, true, true, true, true, false, false, false, true, true, true,
];

#[derive(Deserialize)]
struct SpecRaw {
    message: String,
    pub_key: String,
    signature: String,
}

/// The 12 "Taming the many EdDSAs" cases, with their ZIP-215 verdicts.
pub fn speccheck() -> Vec<SigCase> {
    let raw: Vec<SpecRaw> =
        serde_json::from_str(SPECCHECK_JSON).expect("embedded speccheck JSON parses");
    raw.into_iter()
        .enumerate()
        .map(|(i, c)| SigCase {
            name: format!("speccheck case {i}"),
            key: fixed(&c.pub_key),
            signature: fixed(&c.signature),
            message: hex::decode(&c.message).expect("hex message"),
            expected: SPECCHECK_ZIP215[i],
        })
        .collect()
}

#[derive(Deserialize)]
struct WycheRaw {
    #[serde(rename = "testGroups")]
    groups: Vec<WycheGroup>,
}

#[derive(Deserialize)]
struct WycheGroup {
    #[serde(rename = "publicKey")]
    public_key: WycheKey,
    tests: Vec<WycheTest>,
}

#[derive(Deserialize)]
struct WycheKey {
    pk: String,
}

#[derive(Deserialize)]
struct WycheTest {
    #[serde(rename = "tcId")]
    id: u32,
    comment: String,
    msg: String,
    sig: String,
    result: String,
}

/// Wycheproof's cases that fit the contract (32-byte key, 64-byte signature), and the number of
/// cases left out because their encodings have other lengths (all of them invalid).
pub fn wycheproof() -> (Vec<SigCase>, Vec<String>) {
    let raw: WycheRaw =
        serde_json::from_str(WYCHEPROOF_JSON).expect("embedded Wycheproof JSON parses");
    let mut cases = Vec::new();
    let mut other_lengths = Vec::new();
    for group in raw.groups {
        let key = hex::decode(&group.public_key.pk).expect("hex key");
        for t in group.tests {
            let sig = hex::decode(&t.sig).expect("hex signature");
            let name = format!("wycheproof tcId {} ({})", t.id, t.comment);
            match (
                <[u8; 32]>::try_from(key.as_slice()),
                <[u8; 64]>::try_from(sig.as_slice()),
            ) {
                (Ok(key), Ok(signature)) => cases.push(SigCase {
                    name,
                    key,
                    signature,
                    message: hex::decode(&t.msg).expect("hex message"),
                    expected: t.result == "valid",
                }),
                _ => {
                    assert_ne!(t.result, "valid", "{name}: a valid case with odd lengths");
                    other_lengths.push(name);
                }
            }
        }
    }
    (cases, other_lengths)
}

fn fixed<const N: usize>(hex_text: &str) -> [u8; N] {
    hex::decode(hex_text)
        .expect("hex")
        .try_into()
        .expect("length")
}
