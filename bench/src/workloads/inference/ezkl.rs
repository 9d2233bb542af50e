//! EZKL, the baseline of the proof-of-inference cases: `bench/ezkl/prove.py` (embedded in the
//! binary) run with the Python given to `--ezkl`, on the same ONNX file and input as ramjet's
//! cases, in a temporary directory. The script does the timing (around each EZKL call, in the
//! same process for setup and verification, in a fresh child process per proof so that its peak
//! resident memory is its own) and prints one JSON object.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use super::{Measured, onnx_and_input};
use crate::measure::Measurement;
use crate::plan::InferenceCase;
use crate::report::Timing;
use crate::{BenchError, Result};

/// The script, as committed in `bench/ezkl/prove.py`.
const SCRIPT: &str = include_str!("../../../ezkl/prove.py");

/// What the script prints.
#[derive(Debug, Deserialize)]
struct Output {
    implementation: String,
    logrows: u32,
    /// EZKL's calibrated input and parameter scales (`2^s`).
    scales: Vec<Option<u32>>,
    setup_s: f64,
    prove_s: Vec<f64>,
    prove_peak_rss_bytes: u64,
    verify_s: Vec<f64>,
    proof_file_bytes: usize,
    proof_bytes: Option<usize>,
}

/// Runs EZKL on `case`'s model and input with `python`, `case.repeats` proofs.
pub(super) fn measure(
    case: &InferenceCase,
    python: &Path,
    message: &dyn Fn(&str),
) -> Result<Measured> {
    let failed = |reason: String| BenchError::Baseline {
        implementation: format!("ezkl ({})", case.label()),
        reason,
    };
    let dir = tempfile::tempdir().map_err(|e| failed(format!("a temporary directory: {e}")))?;
    let (onnx, input) = onnx_and_input(case.model)?;
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).map_err(|e| failed(format!("writing {name}: {e}")))?;
        Ok::<_, BenchError>(path)
    };
    let script = write("prove.py", SCRIPT.as_bytes())?;
    let model = write("model.onnx", &onnx)?;
    let input = serde_json::to_vec(&serde_json::json!({ "input": input }))
        .map_err(|e| failed(e.to_string()))?;
    let input = write("input.json", &input)?;
    message(&format!(
        "EZKL: settings, calibration, setup and {} proofs (bench/ezkl/prove.py)",
        case.repeats
    ));
    let output = Command::new(python)
        .arg(&script)
        .arg("--onnx")
        .arg(&model)
        .arg("--input")
        .arg(&input)
        .arg("--workdir")
        .arg(dir.path().join("work"))
        .arg("--repeats")
        .arg(case.repeats.to_string())
        .output()
        .map_err(|e| failed(format!("cannot run {}: {e}", python.display())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(failed(format!(
            "{} exited with {}: {}",
            script.display(),
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        )));
    }
    let last = stdout.lines().last().unwrap_or_default();
    let out: Output = serde_json::from_str(last)
        .map_err(|e| failed(format!("unreadable output `{last}`: {e}")))?;
    let scales: Vec<String> = out
        .scales
        .iter()
        .map(|s| s.map_or_else(|| "?".to_owned(), |s| format!("2^{s}")))
        .collect();
    let implementation = format!(
        "{}, calibrated scales {} (input, params)",
        out.implementation,
        scales.join(", ")
    );
    let timing = |samples: &[f64]| {
        Timing::from_measurement(
            &Measurement {
                implementation: implementation.clone(),
                samples: samples
                    .iter()
                    .map(|&s| Duration::from_secs_f64(s))
                    .collect(),
                fingerprint: "valid".into(),
                failure: None,
            },
            1,
        )
    };
    Ok(Measured {
        constraints: None,
        halo2_rows: None,
        halo2_k: Some(out.logrows),
        setup_s: out.setup_s,
        setup_peak_bytes: None,
        prove: timing(&out.prove_s),
        verify: timing(&out.verify_s),
        proof_bytes: out.proof_bytes.unwrap_or(out.proof_file_bytes),
        prove_peak_bytes: Some(out.prove_peak_rss_bytes),
        // EZKL's prove call reads its proving key and SRS: each of its proofs is a whole one.
        whole_prove_s: timing(&out.prove_s).median_s,
        proof_file_bytes: Some(out.proof_file_bytes),
    })
}
