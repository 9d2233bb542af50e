//! PLACEHOLDER until the NTT module lands: arkworks' FFT.

use ark_bn254::Fr;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};

pub(crate) struct NttEngine;

impl NttEngine {
    pub(crate) fn new() -> Self {
        Self
    }

    pub(crate) fn run(&self, values: &mut [Fr], inverse: bool, coset: Option<Fr>) {
        let mut domain = Radix2EvaluationDomain::<Fr>::new(values.len()).expect("valid size");
        if let Some(g) = coset {
            domain = domain.get_coset(g).expect("non-zero offset");
        }
        let mut v = values.to_vec();
        if inverse {
            domain.ifft_in_place(&mut v)
        } else {
            domain.fft_in_place(&mut v)
        }
        values.copy_from_slice(&v);
    }
}
