//! EdDSA-Poseidon on Baby Jubjub (ark-ed-on-bn254), the signature scheme of rollup transfers.
//!
//! # The scheme, exactly
//!
//! - Curve: Baby Jubjub in ark-ed-on-bn254's coordinates, x² + y² = 1 + d·x²·y² with
//!   d = 168696/168700 over BN254's scalar field `Fr`. The group has order 8·l, l prime
//!   (l = 2736030358979909402780800718157159386076813972158567259200215660948447373041);
//!   [`Scalar`] is the field of order l.
//! - Base point B: ark-ed-on-bn254's generator, which generates the subgroup of order l
//!   ([`generator`]).
//! - Keys: a secret scalar `a ≠ 0` and a nonce key `z ∈ Fr`, both drawn from a ChaCha20 stream
//!   seeded with 32 bytes ([`SecretKey::from_seed`]); the public key is `A = a·B`. Accepted public
//!   keys lie in the order-l subgroup and are not the identity ([`PublicKey`]).
//! - Message: one `Fr` element (for transfers,
//!   [`transfer_message`](super::commitment::transfer_message)).
//! - Signing `m`: the nonce is `r = Poseidon2(z, m)` read as an integer and reduced mod l; then
//!   `R = r·B`, `e = challenge(R, A, m)` and `S = r + e·a mod l`. The signature is `(R, S)`.
//! - Challenge: `h = Poseidon5(R.x, R.y, A.x, A.y, m)`, read as an integer `0 ≤ h < p`, and
//!   `e = 2·h + 2^254 + 1 mod l`. The affine map is what the circuit's signed-digit scalar
//!   multiplication computes from the 254 bits of `h` (see
//!   [`gadgets::eddsa`](super::gadgets::eddsa)); as `h` is a random-oracle output, so is `e`.
//! - Verification of `(R, S)` on `m` under `A`: `R` must be on the curve (any point of it, small
//!   order components included), `S < l` (by type: a [`Scalar`] is reduced, and the JSON parser
//!   rejects a non-canonical decimal), and the cofactored equation
//!   `[8]·(S·B) = [8]·R + [8]·(e·A)` must hold. Multiplying by the cofactor 8 makes the check
//!   independent of R's small-order component, which is exactly what the circuit checks
//!   (`S·B8 = 8R + e·A8` with `B8 = 8B`, `A8 = 8A`).

use std::fmt;

use ark_bn254::Fr;
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective};
use ark_ff::{BigInteger, Field, PrimeField, UniformRand, Zero};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use super::account::{PointJson, PublicKey, point_on_curve};
use super::poseidon;
use super::serde_dec::field;
use crate::ProverError;

/// Baby Jubjub's scalar field: integers mod the prime subgroup order l.
pub type Scalar = ark_ed_on_bn254::Fr;

/// The base point B: ark-ed-on-bn254's generator, of prime order l.
pub fn generator() -> EdwardsAffine {
    EdwardsAffine::generator()
}

/// A secret key: the scalar `a` and the nonce key `z` (see the [module docs](self)).
#[derive(Clone)]
pub struct SecretKey {
    scalar: Scalar,
    nonce_key: Fr,
    public_key: PublicKey,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// Derives a key from a 32-byte seed: `a` then `z` drawn from `ChaCha20Rng::from_seed(seed)`
    /// (`a` redrawn while 0).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let scalar = loop {
            let a = Scalar::rand(&mut rng);
            if !a.is_zero() {
                break a;
            }
        };
        let nonce_key = Fr::rand(&mut rng);
        let public_key = PublicKey::from_point((generator() * scalar).into_affine())
            .expect("a nonzero multiple of the generator is a valid key");
        Self {
            scalar,
            nonce_key,
            public_key,
        }
    }

    /// The public key `A = a·B`.
    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// Signs `msg` (deterministic: the nonce is derived from `z` and `msg`).
    pub fn sign(&self, msg: Fr) -> Signature {
        let r = fr_to_scalar(poseidon::hash2(self.nonce_key, msg));
        let big_r = (generator() * r).into_affine();
        let e = challenge(&big_r, &self.public_key.point(), msg);
        Signature {
            r: big_r,
            s: r + e * self.scalar,
        }
    }
}

/// A signature `(R, S)`.
///
/// JSON: `{"r": {"x": "<decimal>", "y": "<decimal>"}, "s": "<decimal>"}`: R's affine coordinates
/// (R must be on the curve) and S as a canonical decimal below l.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SignatureJson", into = "SignatureJson")]
pub struct Signature {
    /// The commitment point R (verification rejects a point off the curve).
    pub r: EdwardsAffine,
    /// The response S, below l by type.
    pub s: Scalar,
}

#[derive(Serialize, Deserialize)]
struct SignatureJson {
    r: PointJson,
    #[serde(with = "field")]
    s: Scalar,
}

impl TryFrom<SignatureJson> for Signature {
    type Error = ProverError;

    fn try_from(j: SignatureJson) -> crate::Result<Self> {
        Ok(Signature {
            r: point_on_curve(j.r.x, j.r.y, "signature point R")?,
            s: j.s,
        })
    }
}

impl From<Signature> for SignatureJson {
    fn from(sig: Signature) -> Self {
        SignatureJson {
            r: PointJson {
                x: sig.r.x,
                y: sig.r.y,
            },
            s: sig.s,
        }
    }
}

/// A BN254 scalar read as an integer and reduced mod l.
pub(crate) fn fr_to_scalar(x: Fr) -> Scalar {
    Scalar::from_le_bytes_mod_order(&x.into_bigint().to_bytes_le())
}

/// `h = Poseidon5(R.x, R.y, A.x, A.y, m)`: the hash the challenge is made from.
pub fn challenge_hash(r: &EdwardsAffine, a: &EdwardsAffine, msg: Fr) -> Fr {
    poseidon::hash(&[r.x, r.y, a.x, a.y, msg])
}

/// The challenge `e = 2·h + 2^254 + 1 mod l`, `h` = [`challenge_hash`] as an integer.
pub fn challenge(r: &EdwardsAffine, a: &EdwardsAffine, msg: Fr) -> Scalar {
    let h = fr_to_scalar(challenge_hash(r, a, msg));
    h.double() + Scalar::from(2u64).pow([254]) + Scalar::ONE
}

/// Verifies `sig` on `msg` under `public_key`: R on the curve and
/// `[8]·(S·B) = [8]·R + [8]·(e·A)` (S < l holds by type).
pub fn verify(public_key: &PublicKey, msg: Fr, sig: &Signature) -> bool {
    if !sig.r.is_on_curve() {
        return false;
    }
    let a = public_key.point();
    let e = challenge(&sig.r, &a, msg);
    let difference: EdwardsProjective = generator() * sig.s - sig.r.into_group() - a * e;
    times_eight(difference).is_zero()
}

/// `8·P` (used to check the cofactor-cleared forms natively).
pub(crate) fn times_eight(p: EdwardsProjective) -> EdwardsProjective {
    p.double().double().double()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::twisted_edwards::TECurveConfig;
    use ark_ed_on_bn254::EdwardsConfig;

    #[test]
    fn generator_has_prime_order() {
        let b = generator();
        assert!(b.is_on_curve());
        assert!(!b.is_zero());
        // l·B = 0: B lies in the order-l subgroup.
        assert!(b.mul_bigint(Scalar::MODULUS).is_zero());
        assert_eq!(EdwardsConfig::COEFF_A, Fr::ONE);
    }

    /// A signer may add a small-order point to R: the cofactored equation accepts the signature,
    /// natively and in the circuit alike (and a cofactorless check would not).
    #[test]
    fn torsion_in_r_is_ignored_natively_and_in_circuit() {
        use crate::rollup::gadgets::curve::PointVar;
        use crate::rollup::gadgets::eddsa::{SignatureVar, verify_signature};
        use ark_r1cs_std::alloc::AllocVar;
        use ark_r1cs_std::fields::fp::FpVar;
        use ark_relations::gr1cs::ConstraintSystem;

        let key = SecretKey::from_seed([9; 32]);
        let a = key.public_key().point();
        let msg = Fr::from(77u64);
        let torsion = EdwardsAffine::new_unchecked(Fr::ZERO, -Fr::ONE); // order 2
        let r = Scalar::from(123_456_789u64);
        let big_r = (generator() * r + torsion).into_affine();
        let e = challenge(&big_r, &a, msg);
        let sig = Signature {
            r: big_r,
            s: r + e * key.scalar,
        };
        assert!(verify(&key.public_key(), msg, &sig));
        assert_ne!(generator() * sig.s, big_r.into_group() + a * e);

        let cs = ConstraintSystem::<Fr>::new_ref();
        let pk = PointVar::new_witness(&cs, Some((a.x, a.y))).unwrap();
        let msg = FpVar::new_witness(cs.clone(), || Ok(msg)).unwrap();
        let sig = SignatureVar::new_witness(&cs, Some(&sig)).unwrap();
        verify_signature(&cs, &pk, &msg, &sig).unwrap();
        assert!(cs.is_satisfied().unwrap());
    }

    #[test]
    fn times_eight_clears_torsion() {
        // A point of order 2, (0, -1), vanishes under 8·.
        let t = EdwardsAffine::new_unchecked(Fr::ZERO, -Fr::ONE);
        assert!(t.is_on_curve());
        assert!(times_eight(t.into_group()).is_zero());
        assert!(!times_eight(generator().into_group()).is_zero());
    }
}
