//! JSON encodings shared by the rollup's files: field elements as canonical decimal strings, u64
//! quantities as decimal strings (numbers accepted on input).

use ark_ff::PrimeField;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serializer};

use crate::{ProverError, Result};

/// Parses a canonical decimal field element: digits only, no sign, no leading zero (except "0"),
/// less than the modulus.
pub(crate) fn parse_field<F: PrimeField>(s: &str) -> Result<F> {
    let bad =
        || ProverError::RollupInvalid(format!("not a canonical decimal field element: {s:?}"));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let value: F = s.parse().map_err(|_| bad())?;
    // `FromStr` reduces modulo the modulus and accepts leading zeros: the round trip rejects both.
    if value.to_string() != s {
        return Err(bad());
    }
    Ok(value)
}

/// `#[serde(with = "field")]`: a field element as a canonical decimal string.
pub(crate) mod field {
    use super::*;

    pub(crate) fn serialize<F: PrimeField, S: Serializer>(
        value: &F,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub(crate) fn deserialize<'de, F: PrimeField, D: Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<F, D::Error> {
        let s = String::deserialize(deserializer)?;
        parse_field(&s).map_err(de::Error::custom)
    }
}

/// `#[serde(with = "u64_dec")]`: a u64 written as a decimal string (JSON numbers lose precision
/// above 2^53 in many readers); a JSON integer is accepted on input too.
pub(crate) mod u64_dec {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &u64,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<u64, D::Error> {
        struct U64Visitor;
        impl Visitor<'_> for U64Visitor {
            type Value = u64;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a u64 as a decimal string or a non-negative integer")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<u64, E> {
                Ok(v)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<u64, E> {
                u64::try_from(v).map_err(|_| E::custom(format!("negative quantity {v}")))
            }

            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<u64, E> {
                let canonical = !s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && (s == "0" || !s.starts_with('0'));
                match s.parse::<u64>() {
                    Ok(v) if canonical => Ok(v),
                    _ => Err(E::custom(format!("not a canonical decimal u64: {s:?}"))),
                }
            }
        }
        deserializer.deserialize_any(U64Visitor)
    }
}
