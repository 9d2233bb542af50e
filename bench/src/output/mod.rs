//! The run's outputs: `results.json`, `results.md`, `ratios.svg` and the summary table on stdout.

pub mod format;
pub mod markdown;
pub mod summary;
pub mod svg;

use std::path::{Path, PathBuf};

use crate::{BenchError, Result};

use crate::report::Report;

/// Where [`write_all`] put the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputPaths {
    /// Machine-readable results.
    pub json: PathBuf,
    /// Markdown table with the machine and commit header.
    pub markdown: PathBuf,
    /// Bar chart of the ratios.
    pub ratio_chart: PathBuf,
}

/// `report` as pretty-printed JSON.
pub fn json(report: &Report) -> Result<String> {
    Ok(serde_json::to_string_pretty(report)?)
}

/// Writes every output of `report` into `dir`, creating it if needed.
pub fn write_all(report: &Report, dir: &Path) -> Result<OutputPaths> {
    std::fs::create_dir_all(dir).map_err(|source| write_error(dir, source))?;
    let paths = OutputPaths {
        json: dir.join("results.json"),
        markdown: dir.join("results.md"),
        ratio_chart: dir.join("ratios.svg"),
    };
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|source| write_error(path, source))
    };
    write(&paths.json, json(report)? + "\n")?;
    write(&paths.markdown, markdown::render(report))?;
    write(
        &paths.ratio_chart,
        svg::ratio_chart(&report.rows, &report.prover),
    )?;
    Ok(paths)
}

fn write_error(path: &Path, source: std::io::Error) -> BenchError {
    BenchError::Write {
        path: path.to_owned(),
        source,
    }
}
