//! Labelled samples and the accuracy of a model, float and quantised, on them.

use std::path::Path;

use super::model::Model;
use super::quantise::QuantisedModel;
use crate::{ProverError, Result};

/// Labelled samples: `{"features": [[f64, …], …], "labels": [usize, …]}` in JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dataset {
    /// One input per sample.
    pub features: Vec<Vec<f64>>,
    /// The class of each sample (the index of the output that should be largest).
    pub labels: Vec<usize>,
}

impl Dataset {
    /// Reads a data set file, checking that there is one label per sample.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ProverError::FormatIo {
            path: path.to_owned(),
            source,
        })?;
        let data: Self = serde_json::from_str(&text).map_err(|e| ProverError::FormatDecode {
            origin: path.display().to_string(),
            expected: "a data set ({\"features\": [[…]], \"labels\": […]})",
            reason: e.to_string(),
        })?;
        if data.features.len() != data.labels.len() {
            return Err(ProverError::FormatDecode {
                origin: path.display().to_string(),
                expected: "a data set ({\"features\": [[…]], \"labels\": […]})",
                reason: format!(
                    "{} samples but {} labels",
                    data.features.len(),
                    data.labels.len()
                ),
            });
        }
        Ok(data)
    }
}

/// How a float model and its quantised version classify a data set.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Accuracy {
    /// Samples evaluated.
    pub samples: usize,
    /// Samples the float model classifies correctly.
    pub float_correct: usize,
    /// Samples the quantised model classifies correctly.
    pub quantised_correct: usize,
    /// Samples on which both models pick the same class.
    pub agreeing: usize,
}

impl Accuracy {
    /// The float model's accuracy, in percent.
    pub fn float_percent(&self) -> f64 {
        percent(self.float_correct, self.samples)
    }

    /// The quantised model's accuracy, in percent.
    pub fn quantised_percent(&self) -> f64 {
        percent(self.quantised_correct, self.samples)
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// The index of the largest value (the first one on ties); `None` for no value.
pub fn argmax<T: PartialOrd + Copy>(values: &[T]) -> Option<usize> {
    let mut best: Option<(usize, T)> = None;
    for (i, &v) in values.iter().enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// Classifies every sample of `data` with `model` and with `quantised` (its fixed-point version:
/// inputs quantised, [`QuantisedModel::infer`], argmax of the integers).
pub fn accuracy(model: &Model, quantised: &QuantisedModel, data: &Dataset) -> Result<Accuracy> {
    let mut result = Accuracy {
        samples: data.features.len(),
        float_correct: 0,
        quantised_correct: 0,
        agreeing: 0,
    };
    for (x, &label) in data.features.iter().zip(&data.labels) {
        let float_class = argmax(&model.infer(x)?);
        let quantised_class = argmax(&quantised.infer(&quantised.quantise_input(x)?)?);
        result.float_correct += usize::from(float_class == Some(label));
        result.quantised_correct += usize::from(quantised_class == Some(label));
        result.agreeing += usize::from(float_class == quantised_class);
    }
    Ok(result)
}
