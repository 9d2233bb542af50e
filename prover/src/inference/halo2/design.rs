//! Every halo2 inference circuit behind one entry point: a [`Design`] is the binding (fixed or
//! hashed weights) and the visibility of the input and the output, and gives the circuit's
//! size, its keys, its instance column, proofs and the mock check.
//!
//! | binding | input and output | circuit |
//! |---|---|---|
//! | fixed | both public | [`Halo2InferenceCircuit`] |
//! | fixed | one or both hashed | [`Halo2HashedIoCircuit`] |
//! | hashed | any | [`Halo2HashedCircuit`] |
//!
//! The instance column: with the hashed binding the weights commitment first, then the input
//! section (the values, or their hash), then the output section.

use std::sync::Arc;

use halo2_proofs::dev::MockProver;
use halo2_proofs::pasta::{EqAffine, Fp};
use halo2_proofs::plonk::{ProvingKey, VerifyingKey, keygen_pk, keygen_vk};
use halo2_proofs::poly::commitment::Params;

use super::circuit::{Halo2HashedIoCircuit, Halo2InferenceCircuit, hashed_io_rows, k_for_rows};
use super::hashed::{self, Halo2HashedCircuit, weights_commitment};
use super::io::io_instance;
use super::layout::rows as fixed_rows;
use super::proof::{check_proof, create_proof_bytes};
use crate::Result;
use crate::inference::IoVisibility;
use crate::inference::hashed::WeightWidths;
use crate::inference::quantise::QuantisedModel;

/// Which halo2 circuit: how the model is bound, and which sections are hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Design {
    /// `None`: the fixed binding (weights as constants); `Some`: the hashed binding with these
    /// widths of the committed weights and biases.
    pub widths: Option<WeightWidths>,
    /// Whether the input and the output are public or hashed.
    pub visibility: IoVisibility,
}

/// One of the circuits, for the calls generic over the circuit type.
enum AnyCircuit {
    Fixed(Halo2InferenceCircuit),
    FixedHashedIo(Halo2HashedIoCircuit),
    Hashed(Halo2HashedCircuit),
}

/// `$body` with `$circuit` bound to the circuit inside `$any`, whatever its type.
macro_rules! with_circuit {
    ($any:expr, $circuit:ident => $body:expr) => {
        match $any {
            AnyCircuit::Fixed($circuit) => $body,
            AnyCircuit::FixedHashedIo($circuit) => $body,
            AnyCircuit::Hashed($circuit) => $body,
        }
    };
}

/// A proved inference, with the instance column it was proved against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignProof {
    /// Hashed binding: the commitment to the proved model's weights.
    pub commitment: Option<Fp>,
    /// The quantised input.
    pub input: Vec<i64>,
    /// The output (at `2^s`), native inference's.
    pub output: Vec<i64>,
    /// The instance column.
    pub instance: Vec<Fp>,
    /// The proof's bytes.
    pub bytes: Vec<u8>,
}

impl Design {
    /// The fixed binding with `visibility`.
    pub fn fixed(visibility: IoVisibility) -> Self {
        Self {
            widths: None,
            visibility,
        }
    }

    /// The hashed binding with `widths` and `visibility`.
    pub fn hashed(widths: WeightWidths, visibility: IoVisibility) -> Self {
        Self {
            widths: Some(widths),
            visibility,
        }
    }

    /// The circuit of `model` (of its architecture, with the hashed binding) on `input`, or
    /// without a witness when `input` is `None`.
    fn circuit(&self, model: &Arc<QuantisedModel>, input: Option<Vec<i64>>) -> Result<AnyCircuit> {
        let model = Arc::clone(model);
        Ok(
            match (self.widths, self.visibility == IoVisibility::PUBLIC) {
                (None, true) => AnyCircuit::Fixed(match input {
                    Some(input) => Halo2InferenceCircuit::new(model, input),
                    None => Halo2InferenceCircuit::blank(model),
                }),
                (None, false) => AnyCircuit::FixedHashedIo(match input {
                    Some(input) => Halo2HashedIoCircuit::new(model, self.visibility, input),
                    None => Halo2HashedIoCircuit::blank(model, self.visibility),
                }),
                (Some(widths), _) => AnyCircuit::Hashed(
                    match input {
                        Some(input) => Halo2HashedCircuit::new(model, widths, input)?,
                        None => Halo2HashedCircuit::blank(model, widths)?,
                    }
                    .with_visibility(self.visibility),
                ),
            },
        )
    }

    /// Rows the circuit of `model` uses.
    pub fn rows(&self, model: &QuantisedModel) -> Result<usize> {
        Ok(match self.widths {
            None if self.visibility == IoVisibility::PUBLIC => fixed_rows(model),
            None => hashed_io_rows(model, self.visibility),
            Some(widths) => hashed::rows_with_sections(model, widths, self.visibility)?.total(),
        })
    }

    /// `k`: the circuit of `model` fits `2^k` rows.
    pub fn k(&self, model: &QuantisedModel) -> Result<u32> {
        Ok(k_for_rows(self.rows(model)?))
    }

    /// The verifying key of `model`'s circuit (with the hashed binding, of its architecture:
    /// the weights are not read).
    pub fn verifying_key(
        &self,
        params: &Params<EqAffine>,
        model: &Arc<QuantisedModel>,
    ) -> Result<VerifyingKey<EqAffine>> {
        Ok(with_circuit!(self.circuit(model, None)?, c => keygen_vk(params, &c)?))
    }

    /// The proving key of `model`'s circuit (it holds the verifying key).
    pub fn proving_key(
        &self,
        params: &Params<EqAffine>,
        model: &Arc<QuantisedModel>,
    ) -> Result<ProvingKey<EqAffine>> {
        Ok(with_circuit!(self.circuit(model, None)?, c => {
            let vk = keygen_vk(params, &c)?;
            keygen_pk(params, vk, &c)?
        }))
    }

    /// The instance column of `model`'s inference from `input` to `output`: with the hashed
    /// binding `model`'s weights commitment first, then the two sections.
    pub fn instance(
        &self,
        model: &QuantisedModel,
        input: &[i64],
        output: &[i64],
    ) -> Result<Vec<Fp>> {
        let mut column = match self.widths {
            Some(widths) => vec![weights_commitment(model, widths)?],
            None => Vec::new(),
        };
        column.extend(io_instance(
            self.visibility,
            input,
            output,
            model.params.value_bits,
        )?);
        Ok(column)
    }

    /// Proves `model`'s output on `input` (quantised) with `pk`, made for this design (and the
    /// model, or its architecture). The output is native inference's; the circuit computes it
    /// again, and the proof exists only if the two agree.
    pub fn prove(
        &self,
        params: &Params<EqAffine>,
        pk: &ProvingKey<EqAffine>,
        model: &Arc<QuantisedModel>,
        input: Vec<i64>,
    ) -> Result<DesignProof> {
        let output = model.infer(&input)?;
        let instance = self.instance(model, &input, &output)?;
        let circuit = self.circuit(model, Some(input.clone()))?;
        let bytes = with_circuit!(circuit, c => create_proof_bytes(params, pk, c, &instance)?);
        Ok(DesignProof {
            commitment: self.widths.map(|_| instance[0]),
            input,
            output,
            instance,
            bytes,
        })
    }

    /// Whether `model`'s circuit on `input` is satisfied with the instance column `instance`,
    /// by `MockProver` (every gate, lookup and copy checked, no proof).
    pub fn is_satisfied(
        &self,
        model: &Arc<QuantisedModel>,
        input: &[i64],
        instance: Vec<Fp>,
    ) -> Result<bool> {
        let k = self.k(model)?;
        let circuit = self.circuit(model, Some(input.to_vec()))?;
        let prover = with_circuit!(circuit, c => MockProver::run(k, &c, vec![instance])?);
        Ok(prover.verify().is_ok())
    }
}

/// Checks `proof` against `vk` and the instance column `instance` (as [`Design::instance`]
/// lays it out).
pub fn verify_instance(
    params: &Params<EqAffine>,
    vk: &VerifyingKey<EqAffine>,
    instance: &[Fp],
    proof: &[u8],
) -> Result<()> {
    check_proof(params, vk, instance, proof)
}
