//! A Solidity verifier for one Groth16 verifying key, and proofs as its calldata.
//!
//! # The contract
//!
//! [`solidity_verifier`] writes a self-contained contract (Solidity `>=0.8.13 <0.9.0`, no
//! imports, no storage) with the verifying key baked in as constants and one entry point:
//!
//! ```solidity
//! function verifyProof(
//!     uint256[2] calldata a,
//!     uint256[2][2] calldata b,
//!     uint256[2] calldata c,
//!     uint256[N] calldata input
//! ) external view returns (bool)
//! ```
//!
//! Its ABI selector is the same as snarkjs' generated verifiers' for the same `N`, and it takes
//! the same arguments in the same order, so `snarkjs zkey export soliditycalldata` output (and
//! [`solidity_calldata`]'s) can be passed to it unchanged:
//!
//! - `a = [A.x, A.y]`, `c = [C.x, C.y]`: affine coordinates of the proof's G1 points.
//! - `b = [[B.x.c1, B.x.c0], [B.y.c1, B.y.c0]]`: the G2 point with each `Fq2` coordinate
//!   `c0 + c1·u` written **imaginary part first**, the encoding of the EIP-197 pairing
//!   precompile (the reverse of snarkjs' JSON and arkworks, which put `c0` first).
//! - `input`: the `N` public inputs, in the circuit's order.
//!
//! It returns `true` exactly when all of these hold, and `false` otherwise (it does not revert
//! on bad proofs or inputs):
//!
//! 1. every `input[i] < r` (the BN254 scalar field modulus) — without this check, `input[i]`
//!    and `input[i] + r` would both verify;
//! 2. `a`'s coordinates are `< q` (needed to negate `A`); the precompiles reject any other
//!    coordinate that is not `< q` or any point that is not on its curve (or, for G2, not in
//!    the prime-order subgroup), which makes the function return `false`;
//! 3. `vk_x = IC[0] + Σ input[i]·IC[i+1]`, computed with the EIP-196 precompiles `0x07`
//!    (ecMul) and `0x06` (ecAdd);
//! 4. `e(-A, B) · e(alpha, beta) · e(vk_x, gamma) · e(C, delta) = 1`, checked with the EIP-197
//!    precompile `0x08` (ecPairing) on four pairs. `-A = (A.x, q - A.y)`, or `A` itself when
//!    `A` is the point at infinity `(0, 0)`.
//!
//! Points at infinity are `(0, 0)` in the EVM encoding (G2: four zeros).
//!
//! Cost, measured in `@ethereumjs/evm` (Cancun rules, solc 0.8.37 with the optimizer, 200 runs):
//! about 197k gas per valid proof with one public input and 217k with four (roughly 6.7k more
//! per input: one ecMul and one ecAdd); the deployed code is about 1.5–1.9 kB. A point the
//! precompiles reject (off the curve, or a coordinate not below `q`) makes the precompile call
//! fail, which consumes all the gas forwarded to it (all but 1/64 of what is left); the function
//! still returns `false`.
//!
//! # Calldata
//!
//! [`solidity_calldata`] writes the arguments the way `snarkjs zkey export soliditycalldata`
//! (alias `generatecall`) prints them: 32-byte values as `"0x"` and 64 lowercase hex digits,
//!
//! ```text
//! ["0x…a.x", "0x…a.y"],[["0x…b.x.c1", "0x…b.x.c0"],["0x…b.y.c1", "0x…b.y.c0"]],["0x…c.x", "0x…c.y"],["0x…input0","0x…input1"]
//! ```
//!
//! (a space after the comma inside `a`, `c` and each pair of `b`, none between the public
//! inputs). Wrapped in `[` `]` it is a JSON array of the four arguments. The one difference
//! from snarkjs: a proof point at infinity is written `(0, 0)` (the EVM encoding) where snarkjs
//! would write its JSON form `(0, 1)`; honest proofs never contain one.

use std::fmt::Write as _;
use std::path::Path;

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Proof, VerifyingKey};

use super::canonical::write_file;
use crate::{ProverError, Result};

/// The contract name [`solidity_verifier`] callers use unless they need several verifiers.
pub const DEFAULT_CONTRACT_NAME: &str = "Groth16Verifier";

/// What a Solidity verifier is called in errors.
const VERIFIER: &str = "a Solidity verifier";

/// The Solidity source of a contract named `contract_name` that verifies Groth16 proofs for
/// `vk` (see the [module docs](self) for its interface and checks).
///
/// Fails with [`ProverError::FormatEncode`] if `vk` has no public inputs (Solidity has no
/// `uint256[0]`), or if `contract_name` is not a Solidity identifier (ASCII letters, digits,
/// `_` and `$`, not starting with a digit). Reserved words are not checked; `solc` rejects them.
pub fn solidity_verifier(vk: &VerifyingKey<Bn254>, contract_name: &str) -> Result<String> {
    let n_public = vk.gamma_abc_g1.len().saturating_sub(1);
    if n_public == 0 {
        return Err(ProverError::FormatEncode {
            target: VERIFIER,
            reason: "the verifying key has no public inputs (Solidity has no uint256[0])"
                .to_owned(),
        });
    }
    if !is_identifier(contract_name) {
        return Err(ProverError::FormatEncode {
            target: VERIFIER,
            reason: format!("{contract_name:?} is not a Solidity identifier"),
        });
    }
    Ok(render(vk, n_public, contract_name))
}

/// Writes [`solidity_verifier`]`(vk, contract_name)` to `path`.
pub fn write_solidity_verifier(
    path: impl AsRef<Path>,
    vk: &VerifyingKey<Bn254>,
    contract_name: &str,
) -> Result<()> {
    write_file(
        path.as_ref(),
        solidity_verifier(vk, contract_name)?.as_bytes(),
    )
}

/// The arguments of `verifyProof` for `proof` and `inputs`, formatted as
/// `snarkjs zkey export soliditycalldata` prints them (see the [module docs](self)).
pub fn solidity_calldata(proof: &Proof<Bn254>, inputs: &[Fr]) -> String {
    let [ax, ay] = g1_words(&proof.a);
    let [bx1, bx0, by1, by0] = g2_words(&proof.b);
    let [cx, cy] = g1_words(&proof.c);
    let inputs: Vec<String> = inputs.iter().map(quoted_hex).collect();
    format!(
        "[{}, {}],[[{}, {}],[{}, {}]],[{}, {}],[{}]",
        quoted_hex(&ax),
        quoted_hex(&ay),
        quoted_hex(&bx1),
        quoted_hex(&bx0),
        quoted_hex(&by1),
        quoted_hex(&by0),
        quoted_hex(&cx),
        quoted_hex(&cy),
        inputs.join(",")
    )
}

/// `"0x"` and 64 lowercase hex digits, in double quotes.
fn quoted_hex<F: PrimeField>(x: &F) -> String {
    format!("\"0x{}\"", hex::encode(x.into_bigint().to_bytes_be()))
}

/// A G1 point as the EVM's two words `[x, y]`; infinity is `[0, 0]`.
fn g1_words(p: &G1Affine) -> [Fq; 2] {
    p.xy().map_or([Fq::from(0u8); 2], |(x, y)| [x, y])
}

/// A G2 point as the EVM's four words `[x.c1, x.c0, y.c1, y.c0]`; infinity is four zeros.
fn g2_words(p: &G2Affine) -> [Fq; 4] {
    let (x, y) = p.xy().unwrap_or((Fq2::from(0u8), Fq2::from(0u8)));
    [x.c1, x.c0, y.c1, y.c0]
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Declares `uint256 internal constant {name} = {value};` for each pair.
fn constants(out: &mut String, comment: &str, names_values: &[(String, Fq)]) {
    let _ = writeln!(out, "    // {comment}");
    for (name, value) in names_values {
        let _ = writeln!(
            out,
            "    uint256 internal constant {name} = {};",
            value.into_bigint()
        );
    }
}

fn g1_constants(prefix: &str, p: &G1Affine) -> Vec<(String, Fq)> {
    let [x, y] = g1_words(p);
    vec![(format!("{prefix}_X"), x), (format!("{prefix}_Y"), y)]
}

fn g2_constants(prefix: &str, p: &G2Affine) -> Vec<(String, Fq)> {
    let [x1, x0, y1, y0] = g2_words(p);
    vec![
        (format!("{prefix}_X1"), x1),
        (format!("{prefix}_X0"), x0),
        (format!("{prefix}_Y1"), y1),
        (format!("{prefix}_Y0"), y0),
    ]
}

fn render(vk: &VerifyingKey<Bn254>, n_public: usize, name: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "\
// SPDX-License-Identifier: Apache-2.0
// Generated by ramjet-prover (ramjet_prover::formats::solidity) for one BN254 Groth16 verifying key.
pragma solidity >=0.8.13 <0.9.0;

/// @title Groth16 verifier over BN254 for one verifying key, {n_public} public input(s).
/// @notice verifyProof returns true exactly when every input is below r and
///         e(-A, B) * e(alpha, beta) * e(vk_x, gamma) * e(C, delta) == 1,
///         where vk_x = IC[0] + sum(input[i] * IC[i + 1]).
///         G2 points use the EIP-197 encoding: [x.c1, x.c0], [y.c1, y.c0].
contract {name} {{
    // The BN254 scalar field modulus: every public input must be below it.
    uint256 internal constant R = {r};
    // The BN254 base field modulus.
    uint256 internal constant Q = {q};

",
        r = Fr::MODULUS,
        q = Fq::MODULUS,
    );
    constants(
        &mut s,
        "alpha (G1): x, y",
        &g1_constants("ALPHA", &vk.alpha_g1),
    );
    constants(
        &mut s,
        "beta (G2): x.c1, x.c0, y.c1, y.c0",
        &g2_constants("BETA", &vk.beta_g2),
    );
    constants(
        &mut s,
        "gamma (G2): x.c1, x.c0, y.c1, y.c0",
        &g2_constants("GAMMA", &vk.gamma_g2),
    );
    constants(
        &mut s,
        "delta (G2): x.c1, x.c0, y.c1, y.c0",
        &g2_constants("DELTA", &vk.delta_g2),
    );
    let ic: Vec<(String, Fq)> = vk
        .gamma_abc_g1
        .iter()
        .enumerate()
        .flat_map(|(i, p)| g1_constants(&format!("IC{i}"), p))
        .collect();
    constants(
        &mut s,
        "IC[i] (G1): x, y; vk_x = IC0 + sum(input[i] * IC[i + 1])",
        &ic,
    );

    let _ = write!(
        s,
        "
    /// @notice Verifies a Groth16 proof (a, b, c) for the public inputs `input`.
    /// @param a The proof's A: [x, y].
    /// @param b The proof's B: [[x.c1, x.c0], [y.c1, y.c0]].
    /// @param c The proof's C: [x, y].
    /// @param input The public inputs, each below r.
    /// @return True if the proof is valid for these inputs; false otherwise (never reverts
    ///         on bad proofs or inputs).
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[{n_public}] calldata input
    ) external view returns (bool) {{
        if (a[0] >= Q || a[1] >= Q) return false;

        uint256[2] memory vkX = [IC0_X, IC0_Y];
"
    );
    for i in 0..n_public {
        let _ = writeln!(
            s,
            "        if (!addScaled(vkX, IC{j}_X, IC{j}_Y, input[{i}])) return false;",
            j = i + 1
        );
    }
    let _ = write!(
        s,
        "
        uint256[24] memory pairs;
        // e(-A, B)
        pairs[0] = a[0];
        pairs[1] = a[1] == 0 ? 0 : Q - a[1];
        pairs[2] = b[0][0];
        pairs[3] = b[0][1];
        pairs[4] = b[1][0];
        pairs[5] = b[1][1];
        // e(alpha, beta)
        pairs[6] = ALPHA_X;
        pairs[7] = ALPHA_Y;
        pairs[8] = BETA_X1;
        pairs[9] = BETA_X0;
        pairs[10] = BETA_Y1;
        pairs[11] = BETA_Y0;
        // e(vk_x, gamma)
        pairs[12] = vkX[0];
        pairs[13] = vkX[1];
        pairs[14] = GAMMA_X1;
        pairs[15] = GAMMA_X0;
        pairs[16] = GAMMA_Y1;
        pairs[17] = GAMMA_Y0;
        // e(C, delta)
        pairs[18] = c[0];
        pairs[19] = c[1];
        pairs[20] = DELTA_X1;
        pairs[21] = DELTA_X0;
        pairs[22] = DELTA_Y1;
        pairs[23] = DELTA_Y0;
        return pairingIsOne(pairs);
    }}

    /// @dev acc += s * (px, py) with the ecMul (0x07) and ecAdd (0x06) precompiles.
    ///      False if s >= R or a precompile rejects its input.
    function addScaled(uint256[2] memory acc, uint256 px, uint256 py, uint256 s)
        private
        view
        returns (bool ok)
    {{
        if (s >= R) return false;
        uint256[4] memory buf;
        buf[0] = px;
        buf[1] = py;
        buf[2] = s;
        assembly (\"memory-safe\") {{
            ok := staticcall(gas(), 0x07, buf, 0x60, buf, 0x40)
        }}
        if (!ok) return false;
        buf[2] = acc[0];
        buf[3] = acc[1];
        assembly (\"memory-safe\") {{
            ok := staticcall(gas(), 0x06, buf, 0x80, acc, 0x40)
        }}
    }}

    /// @dev True if the product of the four pairings is one, by the ecPairing (0x08)
    ///      precompile; false if it is not or if the precompile rejects a point.
    function pairingIsOne(uint256[24] memory pairs) private view returns (bool) {{
        uint256[1] memory out;
        bool ok;
        assembly (\"memory-safe\") {{
            ok := staticcall(gas(), 0x08, pairs, 0x300, out, 0x20)
        }}
        return ok && out[0] == 1;
    }}
}}
"
    );
    s
}
