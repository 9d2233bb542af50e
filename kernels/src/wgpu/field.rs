//! BN254 field elements (scalars `Fr`, coordinates `Fq`) between arkworks and the device.
//!
//! On the device an element is eight little-endian 32-bit limbs in Montgomery form with
//! R = 2^256 (`wgsl/limbs.wgsl`). arkworks keeps both fields as four little-endian 64-bit limbs
//! in Montgomery form with the same R, so the bytes are the same: no conversion either way.

use ark_ff::{BigInt, Fp256, MontBackend, MontConfig};

/// Bytes of one element on the device.
pub(super) const FR_BYTES: usize = 32;

/// The device bytes of `values`.
pub(super) fn to_device<T: MontConfig<4>>(values: &[Fp256<MontBackend<T, 4>>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * FR_BYTES);
    for v in values {
        for limb in v.0.0 {
            out.extend_from_slice(&limb.to_le_bytes());
        }
    }
    out
}

/// Elements from device bytes, or `None` if one is not below the modulus (a kernel bug: every
/// kernel keeps its results fully reduced).
pub(super) fn from_device<T: MontConfig<4>>(bytes: &[u8]) -> Option<Vec<Fp256<MontBackend<T, 4>>>> {
    bytes
        .chunks_exact(FR_BYTES)
        .map(|chunk| {
            let mut limbs = [0u64; 4];
            for (limb, b) in limbs.iter_mut().zip(chunk.chunks_exact(8)) {
                *limb = u64::from_le_bytes(b.try_into().expect("8-byte chunk"));
            }
            let value = BigInt(limbs);
            (value < T::MODULUS).then(|| Fp256::new_unchecked(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq, Fr};
    use ark_ff::{One, Zero};

    #[test]
    fn device_bytes_round_trip_and_are_montgomery_form() {
        let values = [Fr::zero(), Fr::one(), -Fr::one(), Fr::from(123_456_789u64)];
        let bytes = to_device(&values);
        assert_eq!(from_device(&bytes), Some(values.to_vec()));
        // One in Montgomery form is 2^256 mod p; its low 32-bit limb is 0x4ffffffb.
        assert_eq!(&bytes[32..36], &0x4fff_fffbu32.to_le_bytes());

        let coordinates = [Fq::zero(), Fq::one(), -Fq::one(), Fq::from(3u64)];
        let bytes = to_device(&coordinates);
        assert_eq!(from_device(&bytes), Some(coordinates.to_vec()));
        // 2^256 mod q: `FQ_ONE` in fq.wgsl.
        assert_eq!(&bytes[32..36], &0xc58f_0d9du32.to_le_bytes());
    }

    #[test]
    fn unreduced_device_values_are_rejected() {
        let mut bytes = vec![0xffu8; FR_BYTES];
        let scalars: Option<Vec<Fr>> = from_device(&bytes);
        let coordinates: Option<Vec<Fq>> = from_device(&bytes);
        assert_eq!((scalars, coordinates), (None, None));
        bytes.fill(0);
        assert_eq!(from_device(&bytes), Some(vec![Fr::zero()]));
    }
}
