//! `ratios.svg`: a hand-written horizontal bar chart of the ratios, one bar per row (operation
//! rows, then Groth16 prover rows), with a line at parity (1.0) and each row's target marked.
//! Rows of CPU-emulated devices have their own colour, and their labels say `[CPU-emulated]`.

use std::fmt::Write;

use super::format;
use crate::report::{ProverRow, Row};

/// Width of the row labels' column, at least; longer labels widen it.
const MIN_LABEL_WIDTH: f64 = 360.0;
/// Rough width of one label character at the chart's 12 px sans-serif.
const CHAR_WIDTH: f64 = 6.6;
/// Width of the plot area.
const PLOT_WIDTH: f64 = 520.0;
/// Room right of the plot for the value labels.
const RIGHT_MARGIN: f64 = 70.0;
const TOP: f64 = 56.0;
const BAND: f64 = 30.0;
const BAR: f64 = 18.0;
const BOTTOM: f64 = 70.0;

const REACHED: &str = "#2e7d32";
const MISSED: &str = "#c62828";
const NO_TARGET: &str = "#78909c";
const EMULATED: &str = "#b39ddb";

/// One bar of the chart.
struct Bar {
    label: String,
    ratio: f64,
    target: Option<f64>,
    reached: Option<bool>,
    emulated: bool,
    status: &'static str,
}

impl Bar {
    /// An operation row's bar, labelled e.g. `ntt 2^20, cpu vs arkworks fft_in_place`.
    fn of_row(row: &Row) -> Self {
        Self {
            label: format!(
                "{} {}, {} vs {}",
                row.op,
                format::size(row.size),
                row.backend_name(),
                row.baseline.implementation
            ),
            ratio: row.ratio,
            target: row.target,
            reached: row.reached,
            emulated: row.emulated,
            status: row.status(),
        }
    }

    /// A prover row's bar, labelled e.g.
    /// `groth16 rollup depth 20, 10 transfers, ramjet groth16 (cpu) vs ark-groth16`.
    fn of_prover(row: &ProverRow) -> Self {
        Self {
            label: format!(
                "groth16 {}, {} vs {}",
                row.case, row.ramjet.implementation, row.ark.implementation
            ),
            ratio: row.ratio,
            target: row.target,
            reached: row.reached,
            emulated: false,
            status: row.status(),
        }
    }
}

/// The chart as a standalone SVG document: a bar per operation row, then one per prover row.
pub fn ratio_chart(rows: &[Row], prover: &[ProverRow]) -> String {
    let rows: Vec<Bar> = rows
        .iter()
        .map(Bar::of_row)
        .chain(prover.iter().map(Bar::of_prover))
        .collect();
    let rows = &rows[..];
    let labels: Vec<String> = rows.iter().map(|bar| bar.label.clone()).collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let label_width = (longest as f64 * CHAR_WIDTH).ceil().max(MIN_LABEL_WIDTH);
    let plot_left = label_width + 10.0;
    let plot_right = plot_left + PLOT_WIDTH;
    let width = plot_right + RIGHT_MARGIN;
    let scale_max = scale_max(rows);
    let x = |ratio: f64| plot_left + PLOT_WIDTH * (ratio.clamp(0.0, scale_max) / scale_max);
    let plot_bottom = TOP + BAND * rows.len() as f64;
    let height = plot_bottom + BOTTOM;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">
<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>
<text x="{}" y="24" font-size="16" font-weight="bold" text-anchor="middle">ramjet: speed-up over each baseline (baseline median / ramjet median)</text>"#,
        width / 2.0
    );

    // Grid and axis labels.
    let step = tick_step(scale_max);
    let mut tick = 0.0;
    while tick <= scale_max + 1e-9 {
        let tx = x(tick);
        let _ = writeln!(
            svg,
            r##"<line class="grid" x1="{tx:.1}" y1="{TOP}" x2="{tx:.1}" y2="{plot_bottom}" stroke="#e0e0e0"/>
<text x="{tx:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            plot_bottom + 16.0,
            format::ratio(tick)
        );
        tick += step;
    }

    for (i, (row, label)) in rows.iter().zip(&labels).enumerate() {
        let band_top = TOP + BAND * i as f64;
        let bar_top = band_top + (BAND - BAR) / 2.0;
        let middle = band_top + BAND / 2.0 + 4.0;
        let drawn = if row.ratio.is_finite() {
            row.ratio
        } else {
            0.0
        };
        let colour = match row.reached {
            Some(true) => REACHED,
            Some(false) => MISSED,
            None if row.emulated => EMULATED,
            None => NO_TARGET,
        };
        let _ = writeln!(
            svg,
            r#"<text x="{label_width}" y="{middle:.1}" text-anchor="end">{}</text>
<rect class="bar" x="{plot_left}" y="{bar_top:.1}" width="{:.1}" height="{BAR}" fill="{colour}"><title>{}: {} ({})</title></rect>
<text class="value" x="{:.1}" y="{middle:.1}">{}</text>"#,
            escape(label),
            x(drawn) - plot_left,
            escape(label),
            format::ratio(row.ratio),
            row.status,
            value_x(x(drawn), row.target.map(x)),
            format::ratio(row.ratio)
        );
        if let Some(target) = row.target {
            let tx = x(target);
            let _ = writeln!(
                svg,
                r##"<line class="target" x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#000" stroke-width="3"><title>target {}</title></line>"##,
                band_top + 2.0,
                band_top + BAND - 2.0,
                format::ratio(target)
            );
        }
    }

    let parity = x(1.0);
    let _ = writeln!(
        svg,
        r##"<line class="parity" x1="{parity:.1}" y1="{:.1}" x2="{parity:.1}" y2="{plot_bottom}" stroke="#000" stroke-dasharray="6 4"/>
<text x="{parity:.1}" y="{:.1}" text-anchor="middle">parity</text>"##,
        TOP - 6.0,
        TOP - 10.0
    );

    let legend_y = plot_bottom + 44.0;
    let mut lx = plot_left;
    let mut legend = vec![
        (REACHED, "target reached"),
        (MISSED, "target missed"),
        (NO_TARGET, "no target"),
    ];
    if rows.iter().any(|r| r.emulated) {
        legend.push((EMULATED, "CPU-emulated"));
    }
    for (colour, text) in legend {
        let _ = writeln!(
            svg,
            r#"<rect x="{lx}" y="{:.1}" width="14" height="14" fill="{colour}"/>
<text x="{}" y="{legend_y:.1}">{text}</text>"#,
            legend_y - 11.0,
            lx + 20.0
        );
        lx += 30.0 + (text.len() as f64 * CHAR_WIDTH).max(100.0);
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{lx}" y1="{:.1}" x2="{lx}" y2="{:.1}" stroke="#000" stroke-width="3"/>
<text x="{}" y="{legend_y:.1}">target</text>
</svg>"##,
        legend_y - 12.0,
        legend_y + 3.0,
        lx + 8.0
    );
    svg
}

/// Where a bar's value label starts: just after the bar, or after the target mark when the mark
/// would run through the label.
fn value_x(bar_end: f64, target_x: Option<f64>) -> f64 {
    match target_x {
        Some(t) if t >= bar_end - 4.0 && t <= bar_end + 48.0 => t + 6.0,
        _ => bar_end + 6.0,
    }
}

/// The axis end: the largest ratio or target (at least parity), with 10% room, rounded up to a
/// half.
fn scale_max(rows: &[Bar]) -> f64 {
    let largest = rows
        .iter()
        .flat_map(|r| [Some(r.ratio), r.target])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(1.0_f64, f64::max);
    (largest * 1.1 * 2.0).ceil() / 2.0
}

/// Grid spacing giving at most about ten lines.
fn tick_step(scale_max: f64) -> f64 {
    [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0]
        .into_iter()
        .find(|step| scale_max / step <= 10.0)
        .unwrap_or(scale_max / 10.0)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
