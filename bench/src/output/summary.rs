//! The summary table printed on stdout at the end of a run.

use std::fmt::Write;

use super::{format, markdown};
use crate::report::Report;

/// The rows as a plain-text table with aligned columns, headed by the machine and commit.
pub fn table(report: &Report) -> String {
    let header: Vec<String> = markdown::COLUMNS.iter().map(|c| c.to_string()).collect();
    let body: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|row| {
            let mut cells = markdown::cells(row);
            // Plain text: no code span, no escaped `|`.
            cells[column("op")] = row.op.clone();
            cells[column("backend")] = row.backend_name();
            cells[column("baseline")] = row.baseline.implementation.clone();
            cells
        })
        .collect();
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
    let _ = writeln!(out, "machine: {}", report.machine.summary());
    let _ = writeln!(out, "devices: {}", markdown::devices(report));
    let _ = writeln!(out, "commit:  {}", report.commit.summary());
    let _ = writeln!(
        out,
        "mode:    {} ({}, UTC {})\n",
        report.mode,
        format::seconds(report.elapsed_s),
        report.timestamp_utc
    );
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
