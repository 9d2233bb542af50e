//! Accounts and their leaves in the account tree.

use ark_bn254::Fr;
use ark_ec::AffineRepr;
use ark_ed_on_bn254::EdwardsAffine;
use serde::{Deserialize, Serialize};

use super::poseidon;
use super::serde_dec::{field, u64_dec};
use crate::{ProverError, Result};

/// A point as JSON: `{"x": "<decimal>", "y": "<decimal>"}`, affine coordinates in BN254's scalar
/// field, in ark-ed-on-bn254's form of Baby Jubjub (x² + y² = 1 + d·x²·y², d = 168696/168700).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointJson {
    /// Affine x, canonical decimal.
    #[serde(with = "field")]
    pub x: Fr,
    /// Affine y, canonical decimal.
    #[serde(with = "field")]
    pub y: Fr,
}

/// Checks that `(x, y)` is on Baby Jubjub; any point of the curve (torsion included) passes.
pub(crate) fn point_on_curve(x: Fr, y: Fr, what: &str) -> Result<EdwardsAffine> {
    let point = EdwardsAffine::new_unchecked(x, y);
    if point.is_on_curve() {
        Ok(point)
    } else {
        Err(ProverError::RollupInvalid(format!(
            "{what} ({x}, {y}) is not on Baby Jubjub"
        )))
    }
}

/// An account's public key: a point of Baby Jubjub's prime-order subgroup other than the identity
/// (checked whenever one is built or parsed).
///
/// JSON: a [`PointJson`], `{"x": "<decimal>", "y": "<decimal>"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PointJson", into = "PointJson")]
pub struct PublicKey(EdwardsAffine);

impl PublicKey {
    /// Checks `point`: on the curve, in the prime-order subgroup, not the identity.
    pub fn from_point(point: EdwardsAffine) -> Result<Self> {
        let point = point_on_curve(point.x, point.y, "public key")?;
        if point.is_zero() || !point.is_in_correct_subgroup_assuming_on_curve() {
            return Err(ProverError::RollupInvalid(format!(
                "public key ({}, {}) is the identity or outside the prime-order subgroup",
                point.x, point.y
            )));
        }
        Ok(Self(point))
    }

    /// Builds from affine coordinates, with the checks of [`PublicKey::from_point`].
    pub fn from_coordinates(x: Fr, y: Fr) -> Result<Self> {
        Self::from_point(EdwardsAffine::new_unchecked(x, y))
    }

    /// The point.
    pub fn point(&self) -> EdwardsAffine {
        self.0
    }

    /// Affine x.
    pub fn x(&self) -> Fr {
        self.0.x
    }

    /// Affine y.
    pub fn y(&self) -> Fr {
        self.0.y
    }
}

impl TryFrom<PointJson> for PublicKey {
    type Error = ProverError;

    fn try_from(p: PointJson) -> Result<Self> {
        Self::from_coordinates(p.x, p.y)
    }
}

impl From<PublicKey> for PointJson {
    fn from(pk: PublicKey) -> Self {
        PointJson {
            x: pk.x(),
            y: pk.y(),
        }
    }
}

/// An account: its place in the tree, its key, its balance and the nonce its next transfer must
/// carry.
///
/// JSON: `{"index": 5, "public_key": {"x": "<decimal>", "y": "<decimal>"}, "balance": "1000",
/// "nonce": "0"}`. `index` is a JSON number (below 2^depth ≤ 2^32); `balance` and `nonce` are u64
/// written as decimal strings (plain JSON integers are accepted on input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Position of the account's leaf in the tree, `0 ≤ index < 2^depth`.
    pub index: u64,
    /// The key that signs the account's transfers.
    pub public_key: PublicKey,
    /// Balance; the rules keep it within u64.
    #[serde(with = "u64_dec")]
    pub balance: u64,
    /// Number of transfers the account has sent: the nonce its next transfer must carry.
    #[serde(with = "u64_dec")]
    pub nonce: u64,
}

impl Account {
    /// A new account with nonce 0.
    pub fn new(index: u64, public_key: PublicKey, balance: u64) -> Self {
        Self {
            index,
            public_key,
            balance,
            nonce: 0,
        }
    }

    /// The account's leaf: [`account_leaf`]`(pk.x, pk.y, balance, nonce)`.
    pub fn leaf(&self) -> Fr {
        account_leaf(
            self.public_key.x(),
            self.public_key.y(),
            Fr::from(self.balance),
            Fr::from(self.nonce),
        )
    }
}

/// An account leaf: circomlib `Poseidon(4)` of `(pk.x, pk.y, balance, nonce)`, in that order. The
/// index is not hashed: the leaf's position in the tree is the index. An empty slot's leaf is 0.
pub fn account_leaf(pk_x: Fr, pk_y: Fr, balance: Fr, nonce: Fr) -> Fr {
    poseidon::hash(&[pk_x, pk_y, balance, nonce])
}
