//! The hashed binding with halo2: the weights are private advice under a Poseidon commitment,
//! the first instance value; one verifying key serves every model of an architecture.
//!
//! # The commitment, exactly
//!
//! 1. **Items and packing**: those of the Groth16 hashed binding
//!    ([`inference::hashed`](crate::inference::hashed)): layer by layer a dense layer's weights
//!    (row-major) then its bias, a bias layer's bias; a weight stored as `w + 2^(Ww−1)` in `Ww`
//!    bits, a bias as `b + 2^(Wb−1)` in `Wb` bits ([`WeightWidths`]); items packed greedily,
//!    least significant bits first, at most 248 bits an element: `e = Σ u·2^shift`, here in
//!    Vesta's scalar field `Fp`.
//! 2. **Hash**: the `L` elements in order hashed with `halo2_gadgets`' Poseidon
//!    (`P128Pow5T3`: width 3, rate 2, x⁵ S-box, 8 full and 56 partial rounds) as a
//!    `ConstantLength<L>` hash: a sponge from the state `[0, 0, L·2^64]`, absorbing two
//!    elements a permutation (an odd `L` padded with a 0). The commitment is the first word of
//!    the last state.
//!
//! [`weights_commitment`] computes it natively (tested equal to the library's `Hash` for short
//! `L`); the circuit computes it in-circuit and constrains it to instance row 0 (tested equal).
//!
//! # The circuit
//!
//! The instance column holds the commitment, then the input section and the output section:
//! the values, or with [`Halo2HashedCircuit::with_visibility`] a section's hash
//! ([`io`](super::io); [`hashed_instance`], [`prove`] and [`verify`] are the all-public case,
//! [`Design`](super::Design) the general one). The circuit is the fixed
//! one's ([`layout`](super::layout)) with the weights read from committed cells
//! ([`committed`](super::committed)): each item range-checked to its width by the limb lookup,
//! packed in linear rows, hashed in ramjet's Poseidon chip's columns
//! ([`permutation`](super::permutation)), and each dense output's
//! `b + Σ w·x` in multiply-accumulate rows (`W/2` products a row). Nothing in the fixed columns
//! depends on the weights, so the keys depend only on the architecture, the quantisation and
//! the widths: a verifier rebuilds them from a zero-weight model of the same shape
//! ([`shape::zero_weights`](crate::inference::shape::zero_weights)).

use std::sync::Arc;

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::dev::MockProver;
use halo2_proofs::pasta::{EqAffine, Fp};
use halo2_proofs::plonk::{
    Circuit, ConstraintSystem, Error, ProvingKey, VerifyingKey, keygen_pk, keygen_vk,
};
use halo2_proofs::poly::commitment::Params;

use super::circuit::{instance, k_for_rows};
use super::committed::commit;
use super::config::{HashedConfig, LIMB_BITS, Shape, TABLE_ROWS};
use super::io::{SectionRows, forward_with_sections};
use super::layout::{ForwardRows, forward_rows};
use super::permutation::sponge_rows;
use super::poseidon::{pack_fp, sponge_hash};
use super::proof::{check_proof, create_proof_bytes};
use crate::Result;
use crate::inference::IoVisibility;
use crate::inference::hashed::{WeightWidths, check_accumulator_bounds, layout, offset_value};
use crate::inference::quantise::QuantisedModel;

/// The packed elements of `model`'s weights and biases in `Fp` ([module docs](self)); fails if
/// one does not fit its width.
pub fn packed_elements(model: &QuantisedModel, widths: WeightWidths) -> Result<Vec<Fp>> {
    layout(model, widths)?
        .iter()
        .map(|element| {
            let values = element
                .iter()
                .map(|&item| Ok((offset_value(model, item)?, item.bits)))
                .collect::<Result<Vec<_>>>()?;
            Ok(pack_fp(values))
        })
        .collect()
}

/// The Poseidon commitment to `model`'s weights, computed natively ([module docs](self)).
pub fn weights_commitment(model: &QuantisedModel, widths: WeightWidths) -> Result<Fp> {
    Ok(sponge_hash(packed_elements(model, widths)?))
}

/// The instance column: the commitment, the input values, the output values.
pub fn hashed_instance(commitment: Fp, input: &[i64], output: &[i64]) -> Vec<Fp> {
    let mut column = vec![commitment];
    column.extend(instance(input, output));
    column
}

/// `y = model(x)` with the weights private and committed: the instance column holds the
/// commitment, then the input, then the output.
#[derive(Debug, Clone)]
pub struct Halo2HashedCircuit {
    model: Arc<QuantisedModel>,
    widths: WeightWidths,
    visibility: IoVisibility,
    input: Option<Vec<i64>>,
}

impl Halo2HashedCircuit {
    /// The circuit of `model`'s architecture without a witness, for key generation (the
    /// weights are never read: a zero-weight model of the shape gives the same keys). Fails if
    /// the widths allow accumulators too large to rescale soundly.
    pub fn blank(model: Arc<QuantisedModel>, widths: WeightWidths) -> Result<Self> {
        check_accumulator_bounds(&model, widths)?;
        layout(&model, widths)?;
        Ok(Self {
            model,
            widths,
            visibility: IoVisibility::PUBLIC,
            input: None,
        })
    }

    /// The circuit with the input and output public or hashed ([`io`](super::io)) as
    /// `visibility` says (both public by default).
    pub fn with_visibility(mut self, visibility: IoVisibility) -> Self {
        self.visibility = visibility;
        self
    }

    /// The circuit proving `model`'s output on `input` (quantised). Fails if a weight or bias
    /// does not fit `widths`.
    pub fn new(model: Arc<QuantisedModel>, widths: WeightWidths, input: Vec<i64>) -> Result<Self> {
        let mut circuit = Self::blank(model, widths)?;
        packed_elements(&circuit.model, widths)?;
        circuit.input = Some(input);
        Ok(circuit)
    }
}

impl Circuit<Fp> for Halo2HashedCircuit {
    type Config = HashedConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self {
            model: Arc::clone(&self.model),
            widths: self.widths,
            visibility: self.visibility,
            input: None,
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        HashedConfig::configure(meta)
    }

    fn synthesize(
        &self,
        config: Self::Config,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        config.base.load_table(&mut layouter)?;
        let known = self.input.is_some();
        let committed = commit(&config, &mut layouter, &self.model, self.widths, known)?;
        layouter.constrain_instance(committed.commitment.cell(), config.base.public, 0)?;
        forward_with_sections(
            &config,
            &mut layouter,
            &self.model,
            self.input.as_deref(),
            self.visibility,
            1,
            &committed,
        )
    }
}

/// The rows of the hashed circuit, by group of columns (laid side by side by the floor
/// planner); the circuit takes the largest group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashedRows {
    /// The forward pass (linear rows with multiply-accumulate sums, and its range checks).
    pub forward: ForwardRows,
    /// Packing rows: `⌈items/W⌉` per element ([`Shape::HASHED`]).
    pub packing: usize,
    /// Range rows of the weights' and biases' checks (in all lanes): `⌈width/8⌉` per item.
    pub weight_range: usize,
    /// Rows of the longest of the weights' and biases' range checks.
    pub longest_item: usize,
    /// Poseidon rows: one call per pair of elements.
    pub poseidon: usize,
    /// Packed elements (two a Poseidon call).
    pub elements: usize,
    /// Rows of the constants column: 0 and 1.
    pub constants: usize,
    /// What hashed input and output add ([`section_rows`]; nothing when both are public).
    pub sections: SectionRows,
}

impl HashedRows {
    /// Rows the layout takes: the largest group (the linear one has the two rows of the
    /// constants 0 and 1 too; the range lanes' is at most [`Shape::lane_rows`]), at least the lookup
    /// table's.
    pub fn total(&self) -> usize {
        let linear = self.forward.linear + self.packing + 2 + self.sections.linear;
        let longest = self.forward.longest_range.max(self.longest_item);
        let range = Shape::HASHED.lane_rows(self.forward.range + self.weight_range, longest);
        linear
            .max(range)
            .max(self.poseidon + self.sections.poseidon)
            .max(self.constants + self.sections.constants)
            .max(TABLE_ROWS)
    }
}

/// The rows of `model`'s hashed circuit with `widths`, input and output public (see
/// [`HashedRows::sections`] for hashed ones).
pub fn rows(model: &QuantisedModel, widths: WeightWidths) -> Result<HashedRows> {
    let elements = layout(model, widths)?;
    let shape = Shape::HASHED;
    let forward = forward_rows(model, |inputs| (inputs + 1).div_ceil(shape.mac_pairs()));
    let items = elements.iter().flatten();
    Ok(HashedRows {
        forward,
        packing: elements
            .iter()
            .map(|e| e.len().div_ceil(shape.linear_width))
            .sum(),
        weight_range: items.clone().map(item_limbs).sum(),
        longest_item: items.map(item_limbs).max().unwrap_or(0),
        poseidon: sponge_rows(elements.len()),
        elements: elements.len(),
        constants: 2,
        sections: SectionRows::default(),
    })
}

/// Range rows of one item's check.
fn item_limbs(item: &crate::inference::hashed::Item) -> usize {
    (item.bits as usize).div_ceil(LIMB_BITS)
}

/// `k`: the hashed circuit of `model` fits `2^k` rows.
pub fn circuit_k(model: &QuantisedModel, widths: WeightWidths) -> Result<u32> {
    Ok(k_for_rows(rows(model, widths)?.total()))
}

/// The verifying key of the architecture of `model` with `widths` (its weights are not read).
pub fn verifying_key(
    params: &Params<EqAffine>,
    model: &Arc<QuantisedModel>,
    widths: WeightWidths,
) -> Result<VerifyingKey<EqAffine>> {
    Ok(keygen_vk(
        params,
        &Halo2HashedCircuit::blank(Arc::clone(model), widths)?,
    )?)
}

/// The proving key of the architecture of `model` with `widths`.
pub fn proving_key(
    params: &Params<EqAffine>,
    model: &Arc<QuantisedModel>,
    widths: WeightWidths,
) -> Result<ProvingKey<EqAffine>> {
    let circuit = Halo2HashedCircuit::blank(Arc::clone(model), widths)?;
    let vk = keygen_vk(params, &circuit)?;
    Ok(keygen_pk(params, vk, &circuit)?)
}

/// A proved inference with committed weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedProof {
    /// The commitment to the proved model's weights, the first instance value.
    pub commitment: Fp,
    /// The quantised input.
    pub input: Vec<i64>,
    /// The output (at `2^s`), native inference's.
    pub output: Vec<i64>,
    /// The proof's bytes.
    pub bytes: Vec<u8>,
}

/// Proves `model`'s output on `input` with `pk` (made for its architecture and `widths`).
pub fn prove(
    params: &Params<EqAffine>,
    pk: &ProvingKey<EqAffine>,
    model: &Arc<QuantisedModel>,
    widths: WeightWidths,
    input: Vec<i64>,
) -> Result<HashedProof> {
    let output = model.infer(&input)?;
    let commitment = weights_commitment(model, widths)?;
    let public = hashed_instance(commitment, &input, &output);
    let circuit = Halo2HashedCircuit::new(Arc::clone(model), widths, input.clone())?;
    let bytes = create_proof_bytes(params, pk, circuit, &public)?;
    Ok(HashedProof {
        commitment,
        input,
        output,
        bytes,
    })
}

/// Checks that `proof` proves `output` on `input` of the model with weights commitment
/// `commitment`, for the architecture of `vk`.
pub fn verify(
    params: &Params<EqAffine>,
    vk: &VerifyingKey<EqAffine>,
    commitment: Fp,
    input: &[i64],
    output: &[i64],
    proof: &[u8],
) -> Result<()> {
    check_proof(
        params,
        vk,
        &hashed_instance(commitment, input, output),
        proof,
    )
}

/// Whether `model`'s hashed circuit on `input` is satisfied with `commitment` and `output`
/// claimed, by `MockProver` (every gate, lookup and copy checked, no proof).
pub fn is_satisfied(
    model: &Arc<QuantisedModel>,
    widths: WeightWidths,
    commitment: Fp,
    input: &[i64],
    output: &[i64],
) -> Result<bool> {
    let circuit = Halo2HashedCircuit::new(Arc::clone(model), widths, input.to_vec())?;
    let prover = MockProver::run(
        circuit_k(model, widths)?,
        &circuit,
        vec![hashed_instance(commitment, input, output)],
    )?;
    Ok(prover.verify().is_ok())
}

/// A field element as a decimal string (how `public.json` and `model.json` write the
/// commitment).
pub fn to_decimal(v: Fp) -> String {
    use halo2_proofs::pasta::group::ff::PrimeField;
    // Little-endian 64-bit limbs, divided by 10 repeatedly.
    let repr = v.to_repr();
    let mut limbs: Vec<u64> = repr
        .as_ref()
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let mut digits = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut remainder = 0u128;
        for limb in limbs.iter_mut().rev() {
            let current = (remainder << 64) | u128::from(*limb);
            *limb = (current / 10) as u64;
            remainder = current % 10;
        }
        digits.push(b'0' + remainder as u8);
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.reverse();
    String::from_utf8(digits).expect("ASCII digits")
}

/// A decimal string as a field element: `None` unless it is a canonical decimal below the
/// modulus.
pub fn from_decimal(s: &str) -> Option<Fp> {
    use halo2_proofs::pasta::group::ff::PrimeField;
    let v = Fp::from_str_vartime(s)?;
    // from_str_vartime reduces; only the canonical spelling is accepted.
    (to_decimal(v) == s).then_some(v)
}
