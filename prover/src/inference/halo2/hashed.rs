//! The hashed binding with halo2: the weights are private advice under a Poseidon commitment,
//! the first instance value; one verifying key serves every model of an architecture.
//!
//! # The commitment, exactly
//!
//! 1. **Items and packing**: layer by layer, a dense layer's weights output by output (each
//!    output's in input order), then its biases; a bias layer's biases. A weight is stored as
//!    `w + 2^(Ww−1)` in `Ww` bits, a bias as `b + 2^(Wb−1)` in `Wb` bits ([`WeightWidths`]).
//!    Each output's weights, and each layer's biases, are packed into elements of their own:
//!    greedily, least significant bits first, at most 248 bits an element,
//!    `e = Σ u·2^shift` in Vesta's scalar field `Fp`. (The Groth16 binding packs the same items
//!    in the same order, but across outputs: [`inference::hashed`](crate::inference::hashed).
//!    Starting each output afresh lets the circuit pack a block of outputs side by side.)
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
//! one's ([`layout`](super::layout)) with the weights and biases read from committed cells
//! ([`committed`](super::committed)): the weights in the [`matrix`](super::matrix), where each
//! weight's cells are range-checked by lookup, packed and multiplied by its input at once; the
//! biases packed in linear rows and range-checked in the range lane; the elements hashed in
//! ramjet's Poseidon chip ([`permutation`](super::permutation)), whose columns the linear rows
//! share ([`HashedConfig::configure_weights`]). Nothing in the fixed columns
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
use super::committed::{Committed, elements};
use super::config::{HashedConfig, LIMB_BITS, Shape, TABLE_ROWS};
use super::io::{SectionRows, forward_with_sections, section_rows};
use super::layout::{ForwardRows, forward_rows};
use super::matrix::{BLOCK, block_rows};
use super::permutation::RowRounds;
use super::poseidon::{pack_fp, sponge_hash};
use super::proof::{check_proof, create_proof_bytes};
use crate::Result;
use crate::inference::IoVisibility;
use crate::inference::hashed::{WeightWidths, check_accumulator_bounds, offset_value};
use crate::inference::quantise::{QuantisedLayer, QuantisedModel};

/// The packed elements of `model`'s weights and biases in `Fp` ([module docs](self)); fails if
/// one does not fit its width.
pub fn packed_elements(model: &QuantisedModel, widths: WeightWidths) -> Result<Vec<Fp>> {
    elements(model, widths)?
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
        elements(&model, widths)?;
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
        HashedConfig::configure_weights(meta)
    }

    fn synthesize(
        &self,
        config: Self::Config,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        config.base.load_table(&mut layouter)?;
        let known = self.input.is_some();
        let committed = Committed::new(&config, &mut layouter, &self.model, self.widths, known)?;
        forward_with_sections(
            &config,
            &mut layouter,
            &self.model,
            self.input.as_deref(),
            self.visibility,
            1,
            &committed,
        )?;
        let commitment = committed.commitment(&config, &mut layouter)?;
        layouter.constrain_instance(commitment.cell(), config.base.public, 0)
    }
}

/// The rows of the hashed circuit, by group of columns (laid side by side by the floor
/// planner); the circuit takes the largest group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashedRows {
    /// The forward pass (linear rows, with a dense output's sum in one, and its range checks).
    pub forward: ForwardRows,
    /// Linear rows of each dense layer's sum of inputs: `⌈inputs/W⌉`.
    pub input_sums: usize,
    /// Rows of the weight matrices: `⌈outputs/6⌉` blocks a dense layer, a row for each chunk
    /// of each input's weight.
    pub matrix: usize,
    /// Packing rows of the biases: `⌈items/W⌉` per element.
    pub bias_packing: usize,
    /// Range rows of the biases' checks: `⌈Wb/8⌉` per bias.
    pub bias_range: usize,
    /// Rows of one bias's check (0 without biases).
    pub longest_bias: usize,
    /// Poseidon rows: one call per pair of elements, in the linear rows' columns.
    pub poseidon: usize,
    /// Packed elements (two a Poseidon call).
    pub elements: usize,
    /// What hashed input and output add ([`section_rows`]; nothing when both are public).
    pub sections: SectionRows,
}

impl HashedRows {
    /// Rows the layout takes: the largest group (the linear rows and the chip's share columns;
    /// the range lane), at least the lookup table's.
    pub fn total(&self) -> usize {
        // The sponge's padding 0 is a linear row, and a constant.
        let shared = self.forward.linear
            + self.input_sums
            + self.bias_packing
            + 1
            + self.poseidon
            + self.sections.linear
            + self.sections.poseidon;
        let longest = self.forward.longest_range.max(self.longest_bias);
        let range = Shape::WEIGHTS.lane_rows(self.forward.range + self.bias_range, longest);
        shared
            .max(range)
            .max(self.matrix)
            .max(1 + self.sections.constants)
            .max(TABLE_ROWS)
    }
}

/// The rows of `model`'s hashed circuit with `widths`, input and output public (see
/// [`HashedRows::sections`] for hashed ones).
pub fn rows(model: &QuantisedModel, widths: WeightWidths) -> Result<HashedRows> {
    let elements = elements(model, widths)?;
    let shape = Shape::WEIGHTS;
    let forward = forward_rows(model, |_| 1);
    let (mut input_sums, mut matrix) = (0, 0);
    for layer in &model.layers {
        if let QuantisedLayer::Dense {
            inputs, outputs, ..
        } = layer
        {
            input_sums += inputs.div_ceil(shape.linear_width).max(1);
            matrix += outputs.div_ceil(BLOCK) * block_rows(*inputs, widths.weight_bits as usize);
        }
    }
    let bias_elements = elements.iter().filter(|e| e[0].bias);
    Ok(HashedRows {
        forward,
        input_sums,
        matrix,
        bias_packing: bias_elements
            .clone()
            .map(|e| e.len().div_ceil(shape.linear_width))
            .sum(),
        bias_range: bias_elements.clone().flatten().map(item_limbs).sum(),
        longest_bias: bias_elements.flatten().map(item_limbs).max().unwrap_or(0),
        poseidon: RowRounds::WIDE.sponge_rows(elements.len()),
        elements: elements.len(),
        sections: SectionRows::default(),
    })
}

/// [`rows`] with the input and output as `visibility` says.
pub fn rows_with_sections(
    model: &QuantisedModel,
    widths: WeightWidths,
    visibility: IoVisibility,
) -> Result<HashedRows> {
    let mut rows = rows(model, widths)?;
    rows.sections = section_rows(model, visibility, Shape::WEIGHTS, RowRounds::WIDE);
    Ok(rows)
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
