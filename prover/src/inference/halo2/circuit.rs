//! The halo2 circuit of one [`QuantisedModel`], its instance and its size.

use std::sync::Arc;

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};

use super::config::{HashedConfig, InferenceConfig, Shape, TABLE_ROWS};
use super::io::{forward_with_sections, section_rows};
use super::layout::{
    FixedParameters, InputCells, assign_inputs, forward, forward_rows, rows, to_field,
};
use super::permutation::RowRounds;
use crate::inference::IoVisibility;
use crate::inference::quantise::QuantisedModel;

/// Rows halo2 keeps for blinding at the end of the columns, with room to spare (the exact
/// number depends on the lookups; 3 + the number of lookups' queries is below this).
pub(super) const BLINDING_ROWS: usize = 16;

/// `y = model(x)` with the weights as constants (fixed columns): the instance column holds the
/// input, then the output.
#[derive(Debug, Clone)]
pub struct Halo2InferenceCircuit {
    model: Arc<QuantisedModel>,
    input: Option<Vec<i64>>,
}

impl Halo2InferenceCircuit {
    /// The circuit without a witness, for key generation.
    pub fn blank(model: Arc<QuantisedModel>) -> Self {
        Self { model, input: None }
    }

    /// The circuit proving the model's output on `input` (quantised). The output is whatever
    /// the circuit computes; the instance ([`instance`]) claims it.
    pub fn new(model: Arc<QuantisedModel>, input: Vec<i64>) -> Self {
        Self {
            model,
            input: Some(input),
        }
    }

    /// The model.
    pub fn model(&self) -> &Arc<QuantisedModel> {
        &self.model
    }
}

/// The instance column of an inference: the input values, then the output values, each
/// [`to_field`].
pub fn instance(input: &[i64], output: &[i64]) -> Vec<Fp> {
    input
        .iter()
        .chain(output)
        .map(|&v| to_field(i128::from(v)))
        .collect()
}

/// `k`: the circuit of `model` fits `2^k` rows.
pub fn circuit_k(model: &QuantisedModel) -> u32 {
    k_for_rows(rows(model))
}

/// The smallest `k` with `2^k ≥ rows` plus halo2's blinding rows.
pub(super) fn k_for_rows(rows: usize) -> u32 {
    (rows + BLINDING_ROWS).next_power_of_two().trailing_zeros()
}

impl Circuit<Fp> for Halo2InferenceCircuit {
    type Config = InferenceConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self::blank(Arc::clone(&self.model))
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        InferenceConfig::configure(meta, Shape::FIXED)
    }

    fn synthesize(
        &self,
        config: Self::Config,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        config.load_table(&mut layouter)?;
        let input = assign_inputs(
            &config,
            &mut layouter,
            &self.model,
            self.input.as_deref(),
            InputCells::Instance(0),
        )?;
        let outputs = forward(
            &config,
            &mut layouter,
            &self.model,
            input,
            &FixedParameters(&self.model),
        )?;
        let offset = self.model.input_len;
        for (i, output) in outputs.iter().enumerate() {
            layouter.constrain_instance(output.cell.cell(), config.public, offset + i)?;
        }
        Ok(())
    }
}

/// `y = model(x)` with the weights as constants and the input, the output or both hashed
/// ([`io`](super::io)): the instance column holds each section's values or its hash, input
/// first. It takes [`HashedConfig::configure_sections`]'s columns, for the Poseidon chip; its
/// keys, like [`Halo2InferenceCircuit`]'s, are the model's.
#[derive(Debug, Clone)]
pub struct Halo2HashedIoCircuit {
    model: Arc<QuantisedModel>,
    visibility: IoVisibility,
    input: Option<Vec<i64>>,
}

impl Halo2HashedIoCircuit {
    /// The circuit without a witness, for key generation.
    pub fn blank(model: Arc<QuantisedModel>, visibility: IoVisibility) -> Self {
        Self {
            model,
            visibility,
            input: None,
        }
    }

    /// The circuit proving the model's output on `input` (quantised).
    pub fn new(model: Arc<QuantisedModel>, visibility: IoVisibility, input: Vec<i64>) -> Self {
        Self {
            model,
            visibility,
            input: Some(input),
        }
    }
}

/// Rows of [`Halo2HashedIoCircuit`] for `model` with `visibility`: the forward pass's and the
/// sections' hashing, by group of columns; the largest group, at least the lookup table's.
pub fn hashed_io_rows(model: &QuantisedModel, visibility: IoVisibility) -> usize {
    let shape = Shape::SECTIONS;
    let forward = forward_rows(model, |inputs| inputs.div_ceil(shape.linear_width).max(1));
    let sections = section_rows(model, visibility, shape, RowRounds::NARROW);
    (forward.linear + sections.linear)
        .max(shape.lane_rows(forward.range, forward.longest_range))
        .max(sections.poseidon)
        .max(sections.constants)
        .max(TABLE_ROWS)
}

impl Circuit<Fp> for Halo2HashedIoCircuit {
    type Config = HashedConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Self::blank(Arc::clone(&self.model), self.visibility)
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
        HashedConfig::configure_sections(meta)
    }

    fn synthesize(
        &self,
        config: Self::Config,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        config.base.load_table(&mut layouter)?;
        forward_with_sections(
            &config,
            &mut layouter,
            &self.model,
            self.input.as_deref(),
            self.visibility,
            0,
            &FixedParameters(&self.model),
        )
    }
}
