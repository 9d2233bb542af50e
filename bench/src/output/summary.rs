//! The summary table printed on stdout at the end of a run, and the prover's tables after it.

use std::fmt::Write;

use super::{format, markdown};
use crate::report::Report;

/// The rows as a plain-text table with aligned columns, headed by the machine and commit, then
/// the Groth16 prover rows and their phases, where the run has some.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "machine: {}", report.machine.summary());
    let _ = writeln!(out, "devices: {}", markdown::devices(report));
    let _ = writeln!(out, "commit:  {}", report.commit.summary());
    let _ = writeln!(
        out,
        "mode:    {} ({}, UTC {})",
        report.mode,
        format::seconds(report.elapsed_s),
        report.timestamp_utc
    );
    if !report.rows.is_empty() || (report.prover.is_empty() && report.inference.is_empty()) {
        let body = report.rows.iter().map(|row| {
            let mut cells = markdown::cells(row);
            // Plain text: no code span, no escaped `|`.
            cells[column("op")] = row.op.clone();
            cells[column("backend")] = row.backend_name();
            cells[column("baseline")] = row.baseline.implementation.clone();
            cells
        });
        let _ = writeln!(out);
        out.push_str(&aligned(&markdown::COLUMNS, body.collect()));
    }
    if !report.prover.is_empty() {
        let _ = writeln!(
            out,
            "\nGroth16 prover (ramjet on a CPU-only accelerator vs ark-groth16, rollup circuit)"
        );
        let body = report.prover.iter().map(markdown::prover_cells).collect();
        out.push_str(&aligned(&markdown::PROVER_COLUMNS, body));
        let _ = writeln!(
            out,
            "\nGroth16 phases (ramjet: median run; ark-groth16: one instrumented proof)"
        );
        let body = report
            .prover
            .iter()
            .flat_map(markdown::phase_rows)
            .collect();
        out.push_str(&aligned(&markdown::PHASE_COLUMNS, body));
    }
    if !report.inference.is_empty() {
        let _ = writeln!(
            out,
            "\nProof of inference (ramjet Groth16 on a CPU-only accelerator, halo2; medians)"
        );
        let body = report
            .inference
            .iter()
            .map(markdown::inference_cells)
            .collect();
        out.push_str(&aligned(&markdown::INFERENCE_COLUMNS, body));
    }
    out
}

/// A plain-text table: the header, a rule, the rows, columns aligned.
fn aligned(columns: &[&str], body: Vec<Vec<String>>) -> String {
    let header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            std::iter::once(&header)
                .chain(&body)
                .map(|cells| cells[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", line(&header));
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    let _ = writeln!(out, "{}", line(&rule));
    for cells in &body {
        let _ = writeln!(out, "{}", line(cells));
    }
    out
}

/// Where the column named `name` is in [`markdown::COLUMNS`].
fn column(name: &str) -> usize {
    markdown::COLUMNS
        .iter()
        .position(|c| *c == name)
        .expect("a column of the table")
}
