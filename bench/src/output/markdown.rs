//! `results.md`: the machine, commit and devices, then one table row per comparison, then the
//! notes.

use std::fmt::Write;

use super::format;
use crate::report::{Report, Row};

/// The header cells of the results table, in order.
pub const COLUMNS: [&str; 13] = [
    "op",
    "size",
    "backend",
    "baseline",
    "ramjet median",
    "ramjet min",
    "baseline median",
    "baseline min",
    "samples",
    "ramjet throughput",
    "ratio",
    "target",
    "status",
];

/// The whole Markdown document.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# ramjet-bench results\n");
    let _ = writeln!(out, "- **Machine:** {}", escape(&report.machine.summary()));
    let _ = writeln!(out, "- **Devices:** {}", escape(&devices(report)));
    let _ = writeln!(out, "- **Commit:** `{}`", report.commit.summary());
    let _ = writeln!(out, "- **Time (UTC):** {}", report.timestamp_utc);
    let _ = writeln!(
        out,
        "- **Mode:** {} ({:.1} s of measurement)",
        report.mode, report.elapsed_s
    );
    if let Some(load) = report.load_average_at_start {
        let _ = writeln!(out, "- **Load average at start:** {load:.2}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "| {} |", COLUMNS.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(COLUMNS.len()));
    for row in &report.rows {
        let _ = writeln!(out, "| {} |", cells(row).join(" | "));
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "\n## Notes\n");
        for note in &report.notes {
            let _ = writeln!(out, "- {}", escape(note));
        }
    }
    out
}

/// The device backends measured, one after the other, or `none`.
pub fn devices(report: &Report) -> String {
    if report.devices.is_empty() {
        return "none".to_owned();
    }
    report
        .devices
        .iter()
        .map(|device| {
            let mut details = Vec::new();
            if device.emulated {
                details.push("CPU-emulated".to_owned());
            }
            details.extend(device.features.iter().cloned());
            format!("{} ({})", device.id(), details.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `samples` cell: ramjet's count, or `ramjet / baseline` where they differ.
fn samples(row: &Row) -> String {
    if row.ramjet.samples == row.baseline.samples {
        row.ramjet.samples.to_string()
    } else {
        format!("{} / {}", row.ramjet.samples, row.baseline.samples)
    }
}

/// The cells of one row, in [`COLUMNS`] order.
pub fn cells(row: &Row) -> Vec<String> {
    let status = if row.outputs_agree {
        row.status().to_owned()
    } else {
        format!("{} (outputs differ!)", row.status())
    };
    vec![
        format!("`{}`", row.op),
        format::size(row.size),
        escape(&row.backend_name()),
        escape(&row.baseline.implementation),
        format::seconds(row.ramjet.median_s),
        format::seconds(row.ramjet.min_s),
        format::seconds(row.baseline.median_s),
        format::seconds(row.baseline.min_s),
        samples(row),
        format::rate(row.ramjet.throughput, &row.throughput_unit),
        format::ratio(row.ratio),
        format::target(row.target),
        status,
    ]
}

/// Keeps table cells in one piece.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}
