//! Groth16 over BN254 with the heavy work on the accelerator.
//!
//! Keys and proofs are arkworks' own types (`ark_groth16::ProvingKey<Bn254>` in,
//! `ark_groth16::Proof<Bn254>` out), and for the same randomness `(r, s)` a proof is the very
//! proof `ark_groth16::Groth16::<Bn254>::create_proof_with_reduction` makes, byte for byte: the
//! arithmetic is arkworks' (libsnark's R1CS-to-QAP reduction), only the place it runs differs.
//!
//! # Pipeline
//!
//! 1. **Key preparation, once per key** ([`PreparedKey::new`]): the five bases vectors the prover
//!    multiplies — `a_query[1..]`, `b_g1_query[1..]`, `b_g2_query[1..]`, `l_query`, `h_query` — are
//!    handed to the accelerator as resident bases ([`ramjet_accel::SharedBases`]): validated once
//!    (every point on the curve), and uploaded to each device the first time that device runs an
//!    MSM over them. Every later proof reuses them.
//! 2. **Synthesis** ([`SynthesizedCircuit::synthesize`]): the circuit is synthesized as arkworks'
//!    prover does (`OptimizationGoal::Constraints`, prove mode with matrices, linear combinations
//!    inlined), giving the R1CS matrices `A`, `B`, `C` and the full assignment
//!    `z = (1, public inputs, witness)`. The matrices are read row by row from the finalized
//!    constraint system into compressed rows with interned coefficients (8 bytes a term, against
//!    40 and a heap block per row for arkworks' `Matrix`), and the constraint system is dropped
//!    before the witness map. The key keeps the matrices of the first circuit it
//!    proves; every later proof with that key synthesizes the assignment alone (no constraint is
//!    stored or inlined), which takes a fraction of the time and memory. The matrices of a
//!    Groth16 key's circuit never change — the key encodes them — and the witness map checks
//!    every constraint against the assignment, so a circuit that does not fit is refused.
//! 3. **Witness map** (`witness_map`): with `m` constraints, `ℓ` instance variables and `H` the
//!    smallest power-of-two domain with `|H| = n ≥ m + ℓ`, the rows `A·z`, `B·z`, `C·z` are
//!    evaluated (rayon) and checked (`(A·z)ᵢ(B·z)ᵢ = (C·z)ᵢ` for every constraint, else
//!    [`ProverError::Unsatisfied`](crate::ProverError::Unsatisfied)); rows `m..m+ℓ` of `A·z` hold
//!    the instance assignment, as libsnark does. The three vectors are interpolated over `H` and
//!    evaluated over the coset `gH` (`g = Fr::GENERATOR`) — six accelerator NTTs — where the
//!    vanishing polynomial `Z(x) = xⁿ − 1` is the non-zero constant `gⁿ − 1`; `(a·b − c)/Z` is
//!    computed pointwise (rayon) and interpolated back over `gH` (a seventh NTT), giving the
//!    coefficients of the quotient `h`.
//! 4. **Five MSMs** on the accelerator over the resident bases: `A` and `B` (in G1 and G2) over
//!    `z[1..]`, `L` over the witness, `H` over `h` truncated to `h_query`'s length (`n − 1`). The
//!    G1 `B` MSM is skipped when `r = 0`, as in arkworks, since it is only ever multiplied by `r`.
//! 5. **Assembly**: `A = α + a₀ + Σ + r·δ`, `B = β + b₀ + Σ + s·δ` (G2, and G1 when needed),
//!    `C = s·A + r·B₁ − r·s·δ + L + H`.
//!
//! Each phase is timed ([`ProofTimings`]), traced (a `tracing` span per phase inside a
//! `groth16_prove` span, and a closing event with every duration) and, when the [`Prover`] has
//! [`ProverMetrics`], recorded in Prometheus (`ramjet_prover_phase_seconds{phase}`,
//! `ramjet_prover_proofs_total`).

mod circuit;
mod key;
mod matrices;
mod metrics;
mod prove;
mod witness_map;

pub use circuit::SynthesizedCircuit;
pub use key::PreparedKey;
pub use metrics::{Phase, ProofTimings, ProverMetrics};
pub use prove::Prover;
