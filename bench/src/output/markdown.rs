//! `results.md`: the machine, commit and devices, then one table row per comparison, the Groth16
//! prover section (its table and the phases), then the notes.

use std::fmt::Write;

use super::format;
use crate::report::{InferenceRow, ProverRow, Report, Row, phase};

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
    if !report.rows.is_empty() || (report.prover.is_empty() && report.inference.is_empty()) {
        let _ = writeln!(out);
        table(&mut out, &COLUMNS, report.rows.iter().map(cells));
    }
    if !report.prover.is_empty() {
        let _ = writeln!(out, "\n## Groth16 prover\n");
        let _ = writeln!(
            out,
            "ramjet's prover (CPU-only accelerator) against ark-groth16's on the rollup circuit, \
             same keys and (r, s), alternating; each proof from the circuit with its witness, \
             synthesis included. Setup and preparation are once per key, outside the ratio.\n"
        );
        table(
            &mut out,
            &PROVER_COLUMNS,
            report.prover.iter().map(|row| {
                let mut cells = prover_cells(row);
                cells[0] = escape(&cells[0]);
                cells
            }),
        );
        let _ = writeln!(out, "\n### Phases\n");
        let _ = writeln!(
            out,
            "ramjet: its own timings of the measured run of median time; ark-groth16: one \
             instrumented proof (see the notes). `↳` rows are parts of the phase above.\n"
        );
        table(
            &mut out,
            &PHASE_COLUMNS,
            report.prover.iter().flat_map(|row| {
                phase_rows(row).into_iter().map(|mut cells| {
                    cells[0] = escape(&cells[0]);
                    cells
                })
            }),
        );
    }
    if !report.inference.is_empty() {
        let _ = writeln!(out, "\n## Proof of inference\n");
        let _ = writeln!(
            out,
            "Each model proved and verified with ramjet's Groth16 prover (CPU-only \
             accelerator) or halo2; medians of the measured runs. Targets (issue 7) apply to the \
             784-56-10 MLP; see the notes for the EZKL reference.\n"
        );
        table(
            &mut out,
            &INFERENCE_COLUMNS,
            report.inference.iter().map(|row| {
                let mut cells = inference_cells(row);
                cells[0] = escape(&cells[0]);
                cells
            }),
        );
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "\n## Notes\n");
        for note in &report.notes {
            let _ = writeln!(out, "- {}", escape(note));
        }
    }
    out
}

/// Writes a Markdown table: the header row, the rule, one line per row of cells.
fn table(out: &mut String, columns: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let _ = writeln!(out, "| {} |", columns.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(columns.len()));
    for cells in rows {
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// The header cells of the Groth16 prover table, in order.
pub const PROVER_COLUMNS: [&str; 19] = [
    "case",
    "constraints",
    "domain",
    "ark setup",
    "ramjet prepare",
    "ramjet first proof",
    "ramjet median",
    "ramjet min",
    "ark median",
    "ark min",
    "samples",
    "ratio",
    "target",
    "status",
    "proofs",
    "ramjet peak heap",
    "ramjet key keeps",
    "ark peak heap",
    "memory (ramjet ≤ ark)",
];

/// The cells of one prover row, in [`PROVER_COLUMNS`] order (plain text: the case unescaped).
pub fn prover_cells(row: &ProverRow) -> Vec<String> {
    let identical = if row.proofs_identical {
        "identical"
    } else {
        "DIFFER!"
    };
    let verified = if row.verified {
        "verified"
    } else {
        "NOT verified!"
    };
    vec![
        row.case.clone(),
        row.constraints.to_string(),
        format::size(row.domain_size),
        format::seconds(row.setup_s),
        format::seconds(row.prepare_s),
        format::seconds(row.ramjet_first_proof_s),
        format::seconds(row.ramjet.median_s),
        format::seconds(row.ramjet.min_s),
        format::seconds(row.ark.median_s),
        format::seconds(row.ark.min_s),
        if row.ramjet.samples == row.ark.samples {
            row.ramjet.samples.to_string()
        } else {
            format!("{} / {}", row.ramjet.samples, row.ark.samples)
        },
        format::ratio(row.ratio),
        format::target(row.target),
        row.status().to_owned(),
        format!("{identical}, {verified}"),
        format::bytes(row.ramjet_peak_bytes),
        format::bytes(row.ramjet_kept_bytes),
        format::bytes(row.ark_peak_bytes),
        row.memory_status().to_owned(),
    ]
}

/// The header cells of the proof-of-inference table, in order.
pub const INFERENCE_COLUMNS: [&str; 12] = [
    "case",
    "size",
    "setup",
    "prove median",
    "prove min",
    "whole prove",
    "verify median",
    "proof",
    "prove peak heap",
    "setup peak heap",
    "samples",
    "targets",
];

/// The cells of one proof-of-inference row, in [`INFERENCE_COLUMNS`] order (plain text).
pub fn inference_cells(row: &InferenceRow) -> Vec<String> {
    let size = match (row.constraints, row.halo2_rows, row.halo2_k) {
        (Some(c), _, _) => format!("{c} constraints"),
        (None, Some(rows), Some(k)) => format!("{rows} rows, k = {k}"),
        (None, None, Some(k)) => format!("k = {k}"),
        _ => "—".to_owned(),
    };
    let targets = if row.reached.is_empty() {
        "—".to_owned()
    } else {
        row.reached
            .iter()
            .map(|t| {
                let verdict = if t.reached { "reached" } else { "MISSED" };
                format!("{}: {} {verdict}", t.target, t.measured)
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    vec![
        row.case.clone(),
        size,
        format::seconds(row.setup_s),
        format::seconds(row.prove.median_s),
        format::seconds(row.prove.min_s),
        format::seconds(row.whole_prove_s),
        format::seconds(row.verify.median_s),
        format!("{} B", row.proof_bytes),
        if row.peak_is_rss {
            format!("{} (RSS)", format::bytes(row.prove_peak_bytes))
        } else {
            format::bytes(row.prove_peak_bytes)
        },
        format::bytes(row.setup_peak_bytes),
        row.prove.samples.to_string(),
        targets,
    ]
}

/// The header cells of the phase table, in order.
pub const PHASE_COLUMNS: [&str; 5] = ["case", "phase", "ramjet", "ark-groth16", "ratio"];

/// The phase table's rows for one prover case, in [`PHASE_COLUMNS`] order (plain text): each
/// top-level phase of both provers with its ratio, followed by ramjet's parts of it (`↳ ntt`,
/// `↳ msm_a (G1)`...), which ark-groth16 does not report; then the broken-down proofs' totals.
/// The case is named on its first row only.
pub fn phase_rows(row: &ProverRow) -> Vec<Vec<String>> {
    let (ours, ark) = (&row.ramjet_phases, &row.ark_phases);
    let seconds = |s: Option<f64>| s.map_or_else(|| "—".to_owned(), format::seconds);
    let ratio = |ours: Option<f64>, ark: Option<f64>| match (ours, ark) {
        (Some(o), Some(a)) if o > 0.0 => format::ratio(a / o),
        _ => "—".to_owned(),
    };
    let mut rows = Vec::new();
    for name in phase::TOP_LEVEL {
        let (o, a) = (ours.seconds(name), ark.seconds(name));
        rows.push(vec![
            String::new(),
            phase_label(name).to_owned(),
            seconds(o),
            seconds(a),
            ratio(o, a),
        ]);
        for part in ours.parts_of(name) {
            rows.push(vec![
                String::new(),
                format!("↳ {}", phase_label(&part.phase)),
                format::seconds(part.seconds),
                "—".to_owned(),
                "—".to_owned(),
            ]);
        }
    }
    rows.push(vec![
        String::new(),
        "total of this proof".to_owned(),
        format::seconds(ours.total_s),
        format::seconds(ark.total_s),
        ratio(Some(ours.total_s), Some(ark.total_s)),
    ]);
    rows[0][0] = row.case.clone();
    rows
}

/// How the tables name a phase.
pub fn phase_label(name: &str) -> &str {
    match name {
        phase::SYNTHESIS => "synthesis",
        phase::WITNESS_MAP => "witness map",
        phase::NTT => "NTTs",
        phase::MSMS_AND_ASSEMBLY => "MSMs + assembly",
        "msm_a" => "msm_a (G1)",
        "msm_b_g1" => "msm_b_g1 (G1)",
        "msm_b_g2" => "msm_b_g2 (G2)",
        "msm_l" => "msm_l (G1)",
        "msm_h" => "msm_h (G1)",
        other => other,
    }
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
