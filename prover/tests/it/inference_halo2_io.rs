//! halo2 with hashed input and output: the hash is the documented packing and sponge, every
//! combination of binding and visibility is satisfied by the true hashes and by no other, the
//! public-only designs are the circuits they were before, and real proofs verify against their
//! instance and are rejected with a forged hash.

use halo2_gadgets::poseidon::primitives::{self as poseidon, ConstantLength, P128Pow5T3};
use halo2_proofs::arithmetic::Field;
use ramjet_prover::ProverError;
use ramjet_prover::inference::halo2::config::Shape;
use ramjet_prover::inference::halo2::hashed::{self, weights_commitment};
use ramjet_prover::inference::halo2::io::{SectionRows, io_instance, section_rows, values_hash};
use ramjet_prover::inference::halo2::permutation::RowRounds;
use ramjet_prover::inference::halo2::{
    Design, Fp, VerifyingKeyDigest, params, verify_instance, verifying_key,
};
use ramjet_prover::inference::hashed::WeightWidths;
use ramjet_prover::inference::{IoVisibility, QuantisedModel, Visibility};

use super::inference_halo2::small_model;

const VISIBILITIES: [IoVisibility; 4] = [
    IoVisibility::PUBLIC,
    IoVisibility {
        input: Visibility::Hashed,
        output: Visibility::Public,
    },
    IoVisibility {
        input: Visibility::Public,
        output: Visibility::Hashed,
    },
    IoVisibility {
        input: Visibility::Hashed,
        output: Visibility::Hashed,
    },
];

fn pow2(n: u64) -> Fp {
    Fp::from(2).pow_vartime([n])
}

#[test]
fn halo2_values_hash_packs_and_hashes_as_documented_and_refuses_values_out_of_bounds() {
    // 40 values of 8 bits: 31 fill the first 248-bit element, 9 the second.
    let values: Vec<i64> = (0..40).map(|i| (i * 37 % 256) - 128).collect();
    let element = |values: &[i64]| {
        values.iter().enumerate().fold(Fp::ZERO, |e, (i, &v)| {
            e + Fp::from((v + 128) as u64) * pow2(8 * i as u64)
        })
    };
    // Two elements: the library's hash of two, one permutation of [e₀, e₁, 2·2^64].
    let by_hand = poseidon::Hash::<_, P128Pow5T3, ConstantLength<2>, 3, 2>::init()
        .hash([element(&values[..31]), element(&values[31..])]);
    assert_eq!(values_hash(&values, 8).unwrap(), by_hand);
    // One value more or less, or one value changed, is another hash.
    assert_ne!(values_hash(&values[..39], 8).unwrap(), by_hand);
    let mut changed = values.clone();
    changed[35] += 1;
    assert_ne!(values_hash(&changed, 8).unwrap(), by_hand);
    // Values outside the width are refused, not wrapped.
    for bad in [128, -129] {
        assert!(matches!(
            values_hash(&[0, bad], 8),
            Err(ProverError::Quantisation(_))
        ));
    }
}

/// The designs of `model`: both bindings with every visibility.
fn designs(model: &QuantisedModel) -> Vec<Design> {
    let widths = WeightWidths::fitting(model);
    VISIBILITIES
        .iter()
        .flat_map(|&v| [Design::fixed(v), Design::hashed(widths, v)])
        .collect()
}

#[test]
fn halo2_hashed_input_and_output_bind_the_values_behind_their_hashes() {
    let model = small_model();
    let bits = model.params.value_bits;
    let widths = WeightWidths::fitting(&model);
    let input = [-3, 5];
    let output = model.infer(&input).unwrap();
    let other_input = [-2, 5];
    let mut other_output = output.clone();
    other_output[1] += 1;
    for design in designs(&model) {
        let v = design.visibility;
        let instance = design.instance(&model, &input, &output).unwrap();
        let sections = io_instance(v, &input, &output, bits).unwrap();
        assert_eq!(
            instance.len(),
            usize::from(design.widths.is_some()) + v.public_len(2, 2),
            "{design:?}"
        );
        assert!(instance.ends_with(&sections), "{design:?}");
        if v.input == Visibility::Hashed {
            assert_eq!(sections[0], values_hash(&input, bits).unwrap());
        }
        assert!(
            design.is_satisfied(&model, &input, instance).unwrap(),
            "{design:?}"
        );
        // Claims about another input or output, hashed or not, are not satisfied by this
        // witness.
        for (claimed_input, claimed_output) in
            [(&other_input[..], &output[..]), (&input, &other_output)]
        {
            let forged = design
                .instance(&model, claimed_input, claimed_output)
                .unwrap();
            assert!(
                !design.is_satisfied(&model, &input, forged).unwrap(),
                "{design:?} accepted {claimed_input:?} → {claimed_output:?}"
            );
        }
    }
    // The designs with both sections public are the circuits they were: the same rows and the
    // same verifying keys as the fixed and hashed circuits' own functions.
    let fixed = Design::fixed(IoVisibility::PUBLIC);
    assert_eq!(
        fixed.rows(&model).unwrap(),
        ramjet_prover::inference::halo2::rows(&model)
    );
    let committed = Design::hashed(widths, IoVisibility::PUBLIC);
    assert_eq!(
        committed.rows(&model).unwrap(),
        hashed::rows(&model, widths).unwrap().total()
    );
    let p = params(fixed.k(&model).unwrap());
    assert_eq!(
        VerifyingKeyDigest::of(&fixed.verifying_key(&p, &model).unwrap()),
        VerifyingKeyDigest::of(&verifying_key(&p, &model).unwrap())
    );
    let p = params(committed.k(&model).unwrap());
    assert_eq!(
        VerifyingKeyDigest::of(&committed.verifying_key(&p, &model).unwrap()),
        VerifyingKeyDigest::of(&hashed::verifying_key(&p, &model, widths).unwrap())
    );
    // A hashed section of the small model (two 8-bit values: one packed element) costs the
    // sponge's padding 0 and a packing row, one Poseidon call (its chip's rows a call), and one
    // constant, in the fixed binding's columns and in the hashed binding's; the circuit takes
    // the largest group of columns.
    for design in designs(&model) {
        let v = design.visibility;
        let hashed_sections = usize::from(v.input == Visibility::Hashed)
            + usize::from(v.output == Visibility::Hashed);
        for (shape, rounds) in [
            (Shape::SECTIONS, RowRounds::NARROW),
            (Shape::WEIGHTS, RowRounds::WIDE),
        ] {
            assert_eq!(
                section_rows(&model, v, shape, rounds),
                SectionRows {
                    linear: 2 * hashed_sections,
                    poseidon: rounds.rows_per_call() * hashed_sections,
                    constants: hashed_sections,
                }
            );
        }
        let public = Design {
            visibility: IoVisibility::PUBLIC,
            ..design
        };
        assert!(design.rows(&model).unwrap() >= public.rows(&model).unwrap());
    }
}

#[test]
fn halo2_proofs_with_hashed_sections_verify_and_are_rejected_with_a_forged_hash() {
    let model = small_model();
    let widths = WeightWidths::fitting(&model);
    let both = VISIBILITIES[3];
    for design in [Design::fixed(both), Design::hashed(widths, VISIBILITIES[1])] {
        let p = params(design.k(&model).unwrap());
        let pk = design.proving_key(&p, &model).unwrap();
        let proof = design.prove(&p, &pk, &model, vec![7, -9]).unwrap();
        assert_eq!(proof.output, model.infer(&[7, -9]).unwrap());
        assert_eq!(
            proof.instance,
            design
                .instance(&model, &proof.input, &proof.output)
                .unwrap()
        );
        assert_eq!(
            proof.commitment,
            design
                .widths
                .map(|w| weights_commitment(&model, w).unwrap())
        );
        verify_instance(&p, pk.get_vk(), &proof.instance, &proof.bytes).unwrap();
        // The input's hash (the first section) of another input: rejected.
        let mut forged = proof.instance.clone();
        let at = usize::from(design.widths.is_some());
        forged[at] = values_hash(&[7, -8], model.params.value_bits).unwrap();
        assert!(matches!(
            verify_instance(&p, pk.get_vk(), &forged, &proof.bytes),
            Err(ProverError::Halo2Rejected(_))
        ));
    }
}
