//! The writers, from a known result set: ratios and target status, the Markdown table, the JSON
//! document and the SVG chart; with hand-made Groth16 prover rows, the prover's section, phases,
//! memory status and chart bars.

use ramjet_accel::{BackendKind, DeviceInfo, Op};
use ramjet_bench::backends;
use ramjet_bench::machine::{Commit, Machine};
use ramjet_bench::output::{self, markdown, summary, svg};
use ramjet_bench::plan;
use ramjet_bench::report::{PhaseBreakdown, PhaseTime, ProverRow, Report, Row, Timing, phase};

fn timing(implementation: &str, median_s: f64, size: usize) -> Timing {
    Timing {
        implementation: implementation.to_owned(),
        median_s,
        min_s: median_s * 0.9,
        samples: 5,
        throughput: size as f64 / median_s,
    }
}

fn cpu() -> DeviceInfo {
    DeviceInfo {
        kind: BackendKind::Cpu,
        device: "Test CPU @ 3.0GHz".to_owned(),
        memory_bytes: Some(8 << 30),
        compute_units: 2,
        emulated: false,
        features: vec!["sha_ni".to_owned()],
    }
}

const LAVAPIPE_NAME: &str = "wgpu:llvmpipe (LLVM 15.0.6, 256 bits) [CPU-emulated]";

fn lavapipe() -> DeviceInfo {
    DeviceInfo {
        kind: BackendKind::Wgpu,
        device: "llvmpipe (LLVM 15.0.6, 256 bits)".to_owned(),
        memory_bytes: None,
        compute_units: 2,
        emulated: true,
        features: vec!["vulkan".to_owned(), "type=cpu".to_owned()],
    }
}

/// A device row: lavapipe's NTT at a quarter of arkworks' speed, measured 3 times to its 5.
fn lavapipe_ntt_row() -> Row {
    let device = lavapipe();
    let baseline = "arkworks fft_in_place";
    Row::new(
        Op::Ntt,
        1 << 20,
        &device,
        Timing {
            samples: 3,
            ..timing(&backends::label(&device), 2.0, 1 << 20)
        },
        timing(baseline, 0.5, 1 << 20),
        plan::row_target(&device, Op::Ntt, baseline),
        true,
    )
}

/// Four rows: on the CPU backend, a target reached (2.0 ≥ 1.8), a target missed (1.2 < 1.5), no
/// target (0.5); on lavapipe, no target (0.25).
fn known_report() -> Report {
    let rows = vec![
        Row::new(
            Op::Ed25519Verify,
            1024,
            &cpu(),
            timing("ramjet cpu", 0.010, 1024),
            timing("ed25519-consensus batch", 0.020, 1024),
            Some(1.8),
            true,
        ),
        Row::new(
            Op::MsmG1,
            1 << 16,
            &cpu(),
            timing("ramjet cpu", 0.5, 1 << 16),
            timing("arkworks msm", 0.6, 1 << 16),
            Some(1.5),
            true,
        ),
        Row::new(
            Op::MsmG2,
            1 << 12,
            &cpu(),
            timing("ramjet cpu", 0.2, 1 << 12),
            timing("arkworks <msm> & co", 0.1, 1 << 12),
            None,
            false,
        ),
        lavapipe_ntt_row(),
    ];
    Report {
        mode: "quick".to_owned(),
        timestamp_utc: "2025-01-02T03:04:05Z".to_owned(),
        elapsed_s: 42.0,
        machine: Machine {
            cpu_model: "Test CPU @ 3.0GHz".to_owned(),
            physical_cores: Some(1),
            threads: 2,
            rayon_threads: 2,
            cpu_features: vec!["sha_ni".to_owned(), "avx2".to_owned()],
            memory_bytes: Some(8 << 30),
            os: "Test OS".to_owned(),
            kernel: Some("6.1.0".to_owned()),
        },
        commit: Commit {
            hash: "0123456789abcdef0123456789abcdef01234567".to_owned(),
            dirty: Some(true),
        },
        load_average_at_start: Some(0.1),
        devices: vec![lavapipe()],
        notes: ramjet_bench::report::notes(&rows, 2),
        rows,
        prover: Vec::new(),
        inference: Vec::new(),
    }
}

#[test]
fn ratios_and_target_status_are_computed_from_medians() {
    let report = known_report();
    let [reached, missed, untargeted, device] = &report.rows[..] else {
        panic!("four rows");
    };
    assert!((reached.ratio - 2.0).abs() < 1e-12);
    assert_eq!(reached.reached, Some(true));
    assert_eq!(reached.status(), "reached");
    assert!((missed.ratio - 1.2).abs() < 1e-12);
    assert_eq!(missed.reached, Some(false));
    assert_eq!(missed.status(), "missed");
    assert!((untargeted.ratio - 0.5).abs() < 1e-12);
    assert_eq!(untargeted.reached, None);
    assert_eq!(reached.throughput_unit, "sig/s");
    assert!((device.ratio - 0.25).abs() < 1e-12);
    assert_eq!((device.target, device.reached), (None, None));
    assert_eq!(device.status(), "no target");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("WARNING") && n.contains("msm_g2"))
    );
}

#[test]
fn a_target_met_exactly_is_reached() {
    let row = Row::new(
        Op::Ntt,
        1 << 20,
        &cpu(),
        timing("ramjet cpu", 1.0, 1 << 20),
        timing("arkworks fft_in_place", 1.2, 1 << 20),
        Some(1.2),
        true,
    );
    assert_eq!(row.reached, Some(row.ratio >= 1.2));
}

#[test]
fn json_round_trips_and_names_every_field() {
    let report = known_report();
    let text = output::json(&report).unwrap();
    let back: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(back, report);

    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["mode"], "quick");
    assert_eq!(value["commit"]["dirty"], true);
    assert_eq!(value["machine"]["cpu_features"][0], "sha_ni");
    let rows = value["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for field in [
        "op", "size", "backend", "emulated", "ramjet", "baseline", "ratio", "target", "reached",
    ] {
        assert!(rows[0].get(field).is_some(), "row lacks {field}");
    }
    for field in [
        "implementation",
        "median_s",
        "min_s",
        "samples",
        "throughput",
    ] {
        assert!(
            rows[0]["baseline"].get(field).is_some(),
            "timing lacks {field}"
        );
    }
    assert_eq!(rows[0]["op"], "ed25519_verify");
    assert_eq!(rows[1]["reached"], false);
    assert!(rows[2]["target"].is_null());
    assert_eq!(rows[0]["backend"], "cpu:Test CPU @ 3.0GHz");
    assert_eq!(rows[0]["emulated"], false);
    assert_eq!(rows[3]["backend"], "wgpu:llvmpipe (LLVM 15.0.6, 256 bits)");
    assert_eq!(rows[3]["emulated"], true);
    assert_eq!(
        rows[3]["ramjet"]["implementation"],
        format!("ramjet {LAVAPIPE_NAME}")
    );
    let devices = value["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["kind"], "wgpu");
    assert_eq!(devices[0]["emulated"], true);
}

#[test]
fn results_written_before_devices_were_measured_still_read() {
    let mut value = serde_json::to_value(known_report()).unwrap();
    value.as_object_mut().unwrap().remove("devices");
    let back: Report = serde_json::from_value(value).unwrap();
    assert!(back.devices.is_empty());
}

#[test]
fn markdown_has_header_and_one_line_per_row() {
    let report = known_report();
    let md = markdown::render(&report);
    assert!(md.contains("Test CPU @ 3.0GHz"));
    assert!(md.contains("0123456789abcdef0123456789abcdef01234567 (dirty)"));
    assert!(md.contains("2025-01-02T03:04:05Z"));
    let table: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    // Header, rule, four rows.
    assert_eq!(table.len(), 6);
    let columns = markdown::COLUMNS.len();
    for line in &table {
        let separators = line.matches('|').count() - line.matches("\\|").count();
        assert_eq!(separators, columns + 1, "{line}");
    }
    assert!(table[2].contains("`ed25519_verify`") && table[2].contains("2.00×"));
    assert!(table[2].contains("1.80×") && table[2].ends_with("| reached |"));
    assert!(table[3].contains("2^16") && table[3].ends_with("| missed |"));
    assert!(table[4].contains("no target (outputs differ!)"));
    assert!(md.contains("## Notes"));

    // The backend column, and the device's samples against its baseline's.
    let backend = markdown::COLUMNS
        .iter()
        .position(|c| *c == "backend")
        .unwrap();
    let cells = |line: &str| -> Vec<String> {
        line.trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_owned())
            .collect()
    };
    assert_eq!(cells(table[0])[backend], "backend");
    assert_eq!(cells(table[2])[backend], "cpu");
    assert_eq!(cells(table[5])[backend], LAVAPIPE_NAME);
    assert!(table[5].contains("| 3 / 5 |") && table[5].ends_with("| no target |"));
    assert!(md.contains(
        "- **Devices:** wgpu:llvmpipe (LLVM 15.0.6, 256 bits) (CPU-emulated, vulkan, type=cpu)"
    ));
}

#[test]
fn notes_explain_emulated_devices_only_when_one_was_measured() {
    let report = known_report();
    let emulated_note = |notes: &[String]| {
        notes
            .iter()
            .find(|n| n.starts_with("CPU-emulated:"))
            .cloned()
    };
    let note = emulated_note(&report.notes).expect("a note on lavapipe");
    assert!(
        note.contains("wgpu:llvmpipe (LLVM 15.0.6, 256 bits)"),
        "{note}"
    );
    assert!(note.contains("say nothing about a real GPU"), "{note}");
    assert!(report.notes.iter().any(|n| n.starts_with("Device rows:")));
    assert!(report.notes.iter().any(|n| n.starts_with("samples:")));

    let cpu_rows: Vec<Row> = report.rows.into_iter().filter(|r| !r.is_device()).collect();
    let notes = ramjet_bench::report::notes(&cpu_rows, 2);
    assert_eq!(emulated_note(&notes), None);
    assert!(!notes.iter().any(|n| n.starts_with("Device rows:")));
    assert!(!notes.iter().any(|n| n.starts_with("samples:")));

    // A real GPU's rows get the device note, not the emulation one.
    let gpu = DeviceInfo {
        device: "Test GPU".to_owned(),
        emulated: false,
        ..lavapipe()
    };
    let gpu_row = Row::new(
        Op::Ntt,
        1 << 20,
        &gpu,
        timing(&backends::label(&gpu), 0.1, 1 << 20),
        timing("arkworks fft_in_place", 0.5, 1 << 20),
        plan::row_target(&gpu, Op::Ntt, "arkworks fft_in_place"),
        true,
    );
    assert_eq!(gpu_row.target, None);
    let notes = ramjet_bench::report::notes(&[gpu_row], 2);
    assert_eq!(emulated_note(&notes), None);
    assert!(notes.iter().any(|n| n.starts_with("Device rows:")));
}

#[test]
fn summary_table_lists_every_row() {
    let report = known_report();
    let text = summary::table(&report);
    assert!(text.contains("ed25519-consensus batch"));
    assert!(text.contains("arkworks msm"));
    assert!(text.lines().filter(|l| l.contains("ramjet")).count() >= 1);
    assert_eq!(text.lines().filter(|l| l.starts_with("msm_g")).count(), 2);
    let device_line = text.lines().find(|l| l.starts_with("ntt")).unwrap();
    assert!(device_line.contains(LAVAPIPE_NAME), "{device_line}");
    assert!(text.contains("devices: wgpu:llvmpipe (LLVM 15.0.6, 256 bits) (CPU-emulated"));
}

#[test]
fn svg_is_well_formed_with_one_bar_per_row() {
    let report = known_report();
    let chart = svg::ratio_chart(&report.rows, &report.prover);
    check_well_formed(&chart);
    assert_eq!(chart.matches(r#"class="bar""#).count(), report.rows.len());
    assert_eq!(chart.matches(r#"class="target""#).count(), 2);
    assert_eq!(chart.matches(r#"class="parity""#).count(), 1);
    // Reached is green, missed red, untargeted grey, CPU-emulated lilac and labelled so.
    assert!(chart.contains("#2e7d32") && chart.contains("#c62828"));
    assert!(chart.contains(r##"fill="#b39ddb""##));
    assert!(chart.contains(&format!(
        "ntt 2^20, {LAVAPIPE_NAME} vs arkworks fft_in_place"
    )));
    assert!(chart.contains(">CPU-emulated</text>"));
    // The label with markup characters is escaped.
    assert!(chart.contains("arkworks &lt;msm&gt; &amp; co"));

    // Bar widths follow the ratios: the 2.0 bar is four times the 0.5 bar, twice the 0.25 one.
    let widths: Vec<f64> = chart
        .split(r#"class="bar""#)
        .skip(1)
        .map(|rest| {
            let start = rest.find("width=\"").unwrap() + 7;
            let end = start + rest[start..].find('"').unwrap();
            rest[start..end].parse().unwrap()
        })
        .collect();
    assert!((widths[0] / widths[2] - 4.0).abs() < 0.05, "{widths:?}");
    assert!((widths[2] / widths[3] - 2.0).abs() < 0.05, "{widths:?}");
}

#[test]
fn svg_of_no_rows_is_still_well_formed() {
    let chart = svg::ratio_chart(&[], &[]);
    check_well_formed(&chart);
    assert_eq!(chart.matches(r#"class="bar""#).count(), 0);
    assert!(!chart.contains("CPU-emulated"));
}

// ---------------------------------------------------------------------------------------------
// Groth16 prover rows
// ---------------------------------------------------------------------------------------------

fn phase_time(name: &str, seconds: f64, part_of: Option<&str>) -> PhaseTime {
    PhaseTime {
        phase: name.to_owned(),
        seconds,
        part_of: part_of.map(str::to_owned),
    }
}

/// ramjet's phases as the runner records them: three top-level phases and their parts, scaled.
fn ramjet_phases(scale: f64) -> PhaseBreakdown {
    let wm = Some(phase::WITNESS_MAP);
    let msms = Some(phase::MSMS_AND_ASSEMBLY);
    PhaseBreakdown {
        source: "median run".to_owned(),
        total_s: 2.0 * scale,
        phases: vec![
            phase_time(phase::SYNTHESIS, 0.5 * scale, None),
            phase_time(phase::WITNESS_MAP, 0.25 * scale, None),
            phase_time(phase::NTT, 0.125 * scale, wm),
            phase_time(phase::MSMS_AND_ASSEMBLY, 1.2 * scale, None),
            phase_time("msm_a", 0.2 * scale, msms),
            phase_time("msm_b_g1", 0.2 * scale, msms),
            phase_time("msm_b_g2", 0.5 * scale, msms),
            phase_time("msm_l", 0.1 * scale, msms),
            phase_time("msm_h", 0.2 * scale, msms),
            phase_time(phase::ASSEMBLY, 0.001 * scale, msms),
        ],
    }
}

/// ark-groth16's phases as the runner records them: the three top-level phases only.
fn ark_phases(scale: f64) -> PhaseBreakdown {
    PhaseBreakdown {
        source: "one instrumented proof".to_owned(),
        total_s: 3.0 * scale,
        phases: vec![
            phase_time(phase::SYNTHESIS, 0.5 * scale, None),
            phase_time(phase::WITNESS_MAP, 0.5 * scale, None),
            phase_time(phase::MSMS_AND_ASSEMBLY, 2.0 * scale, None),
        ],
    }
}

/// A prover row with ramjet's and ark-groth16's medians, the target and both peaks.
fn prover_row(
    transfers: usize,
    (ramjet_s, ark_s): (f64, f64),
    target: Option<f64>,
    (ramjet_peak, ark_peak): (Option<u64>, Option<u64>),
) -> ProverRow {
    let ratio = ark_s / ramjet_s;
    ProverRow {
        case: format!("rollup depth 20, {transfers} transfers"),
        depth: 20,
        transfers,
        constraints: 24_814 * transfers,
        domain_size: (24_814 * transfers + 4).next_power_of_two(),
        setup_s: 30.0,
        prepare_s: 0.5,
        ramjet: Timing {
            samples: 3,
            ..timing("ramjet groth16 (cpu)", ramjet_s, 1)
        },
        ark: Timing {
            samples: 3,
            ..timing("ark-groth16", ark_s, 1)
        },
        ratio,
        target,
        reached: target.map(|t| ratio >= t),
        proofs_identical: true,
        verified: true,
        ramjet_phases: ramjet_phases(ramjet_s / 2.0),
        ark_phases: ark_phases(ark_s / 3.0),
        ramjet_first_proof_s: ramjet_s * 1.5,
        ramjet_kept_bytes: ramjet_peak.map(|p| p / 4),
        ramjet_peak_bytes: ramjet_peak,
        ark_peak_bytes: ark_peak,
        memory_reached: ramjet_peak.zip(ark_peak).map(|(r, a)| r <= a),
    }
}

/// The known report with three prover rows: 2 transfers at 1.5× without target, memory reached;
/// 10 transfers at 1.2× against 1.5×, memory missed; 4 transfers, memory not measured.
fn report_with_prover() -> Report {
    let mut report = known_report();
    report.prover = vec![
        prover_row(2, (2.0, 3.0), None, (Some(100 << 20), Some(200 << 20))),
        prover_row(10, (10.0, 12.0), Some(1.5), (Some(3 << 30), Some(2 << 30))),
        prover_row(4, (4.0, 4.0), None, (None, None)),
    ];
    report.notes = ramjet_bench::report::notes(&report.rows, 2);
    report
        .notes
        .extend(ramjet_bench::report::prover_notes(&report.prover, 2));
    report
}

/// The lines of the Markdown table that follows the line `heading`.
fn table_after<'a>(md: &'a str, heading: &str) -> Vec<&'a str> {
    md.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect()
}

fn cells(line: &str) -> Vec<String> {
    line.trim_matches('|')
        .split(" | ")
        .map(|c| c.trim().to_owned())
        .collect()
}

#[test]
fn prover_rows_have_speed_and_memory_status() {
    let report = report_with_prover();
    let [small, large, unmeasured] = &report.prover[..] else {
        panic!("three prover rows");
    };
    assert_eq!(
        (small.status(), small.memory_status()),
        ("no target", "reached")
    );
    assert_eq!(
        (large.status(), large.memory_status()),
        ("missed", "missed")
    );
    assert_eq!(unmeasured.memory_status(), "not measured");
    // Operation targets (reached, missed), then the prover's: 2 memory targets and 1 speed target.
    assert_eq!(report.target_outcomes(), [true, false, true, false, false]);
    for row in &report.prover {
        assert!(row.ramjet_phases.top_level_sum() <= row.ramjet_phases.total_s);
        assert!(row.ark_phases.top_level_sum() <= row.ark_phases.total_s + 1e-12);
    }
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("Groth16 prover, memory:"))
    );
    assert!(!report.notes.iter().any(|n| n.contains("proofs differ")));

    let mut differing = report.prover[0].clone();
    differing.proofs_identical = false;
    let notes = ramjet_bench::report::prover_notes(&[differing], 2);
    assert!(notes.iter().any(|n| {
        n.starts_with("WARNING: Groth16 rollup depth 20, 2 transfers") && n.contains("differ")
    }));
    assert!(ramjet_bench::report::prover_notes(&[], 2).is_empty());
}

#[test]
fn markdown_has_a_groth16_section_with_the_table_and_the_phases() {
    let report = report_with_prover();
    let md = markdown::render(&report);
    // The operations' table is unchanged: header, rule, four rows before the prover section.
    assert_eq!(md.lines().filter(|l| l.starts_with("| `")).count(), 4);
    assert!(md.find("## Groth16 prover").unwrap() < md.find("## Notes").unwrap());

    let table = table_after(&md, "## Groth16 prover");
    assert_eq!(table.len(), 2 + 3, "{table:?}");
    assert_eq!(cells(table[0]), markdown::PROVER_COLUMNS);
    for line in &table {
        let separators = line.matches('|').count() - line.matches("\\|").count();
        assert_eq!(separators, markdown::PROVER_COLUMNS.len() + 1, "{line}");
    }
    let column = |name: &str| {
        markdown::PROVER_COLUMNS
            .iter()
            .position(|c| *c == name)
            .unwrap()
    };
    let small = cells(table[2]);
    assert_eq!(small[column("case")], "rollup depth 20, 2 transfers");
    assert_eq!(small[column("constraints")], "49628");
    assert_eq!(small[column("domain")], "2^16");
    assert_eq!(small[column("ark setup")], "30.0 s");
    assert_eq!(small[column("ramjet prepare")], "500 ms");
    assert_eq!(small[column("ramjet median")], "2.00 s");
    assert_eq!(small[column("ark median")], "3.00 s");
    assert_eq!(small[column("ratio")], "1.50×");
    assert_eq!(small[column("target")], "—");
    assert_eq!(small[column("status")], "no target");
    assert_eq!(small[column("proofs")], "identical, verified");
    assert_eq!(small[column("ramjet peak heap")], "100 MiB");
    assert_eq!(small[column("ark peak heap")], "200 MiB");
    assert_eq!(small[column("memory (ramjet ≤ ark)")], "reached");
    let large = cells(table[3]);
    assert_eq!(large[column("domain")], "2^18");
    assert_eq!(large[column("ratio")], "1.20×");
    assert_eq!(large[column("target")], "1.50×");
    assert_eq!(large[column("status")], "missed");
    assert_eq!(large[column("ramjet peak heap")], "3.00 GiB");
    assert_eq!(large[column("memory (ramjet ≤ ark)")], "missed");
    let unmeasured = cells(table[4]);
    assert_eq!(unmeasured[column("ramjet peak heap")], "not measured");
    assert_eq!(unmeasured[column("memory (ramjet ≤ ark)")], "not measured");

    // Phases: per case, 3 top-level phases, ramjet's 7 parts and the total.
    let phases = table_after(&md, "### Phases");
    assert_eq!(phases.len(), 2 + 3 * 11, "{phases:?}");
    let first: Vec<Vec<String>> = phases[2..13].iter().map(|l| cells(l)).collect();
    assert_eq!(first[0][0], "rollup depth 20, 2 transfers");
    assert!(first[1..].iter().all(|c| c[0].is_empty()));
    let by_phase = |name: &str| first.iter().find(|c| c[1] == name).unwrap().clone();
    assert_eq!(by_phase("synthesis")[2..], ["500 ms", "500 ms", "1.00×"]);
    assert_eq!(by_phase("witness map")[2..], ["250 ms", "500 ms", "2.00×"]);
    assert_eq!(by_phase("↳ NTTs")[2..], ["125 ms", "—", "—"]);
    assert_eq!(
        by_phase("MSMs + assembly")[2..],
        ["1.20 s", "2.00 s", "1.67×"]
    );
    assert_eq!(by_phase("↳ msm_b_g2 (G2)")[2..], ["500 ms", "—", "—"]);
    assert_eq!(
        by_phase("total of this proof")[2..],
        ["2.00 s", "3.00 s", "1.50×"]
    );
    // The parts follow their phase.
    let order: Vec<&str> = first.iter().map(|c| c[1].as_str()).collect();
    assert_eq!(
        order,
        [
            "synthesis",
            "witness map",
            "↳ NTTs",
            "MSMs + assembly",
            "↳ msm_a (G1)",
            "↳ msm_b_g1 (G1)",
            "↳ msm_b_g2 (G2)",
            "↳ msm_l (G1)",
            "↳ msm_h (G1)",
            "↳ assembly",
            "total of this proof"
        ]
    );

    // Without prover rows there is no section.
    assert!(!markdown::render(&known_report()).contains("Groth16"));
}

#[test]
fn a_prover_only_report_has_no_empty_operations_table() {
    let mut report = report_with_prover();
    report.rows.clear();
    let md = markdown::render(&report);
    assert!(!md.contains("| op |"));
    assert!(md.contains("## Groth16 prover"));
    let text = summary::table(&report);
    assert!(!text.contains("ramjet throughput"));
    assert!(text.contains("Groth16 prover"));
}

#[test]
fn summary_lists_the_prover_rows_and_phases() {
    let report = report_with_prover();
    let text = summary::table(&report);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("rollup depth 20"))
        .collect();
    // Three rows in the prover table, three cases opening the phase table.
    assert_eq!(lines.len(), 6, "{text}");
    assert!(lines[1].contains("1.20×") && lines[1].contains("missed"));
    assert!(lines[1].contains("3.00 GiB") && lines[1].contains("2.00 GiB"));
    assert!(text.contains("↳ msm_b_g2 (G2)"));
    assert!(text.contains("total of this proof"));
    // The operations' table is still there, first.
    assert!(text.find("ed25519-consensus batch").unwrap() < text.find("Groth16 prover").unwrap());
}

#[test]
fn json_has_the_prover_rows_and_older_results_still_read() {
    let report = report_with_prover();
    let text = output::json(&report).unwrap();
    let back: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(back, report);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let row = &value["prover"][1];
    for field in [
        "case",
        "depth",
        "transfers",
        "constraints",
        "domain_size",
        "setup_s",
        "prepare_s",
        "ramjet",
        "ark",
        "ratio",
        "target",
        "reached",
        "proofs_identical",
        "verified",
        "ramjet_phases",
        "ark_phases",
        "ramjet_peak_bytes",
        "ark_peak_bytes",
        "memory_reached",
    ] {
        assert!(row.get(field).is_some(), "prover row lacks {field}");
    }
    assert_eq!(row["target"], 1.5);
    assert_eq!(row["memory_reached"], false);
    assert_eq!(row["ramjet_phases"]["phases"][2]["phase"], "ntt");
    assert_eq!(row["ramjet_phases"]["phases"][2]["part_of"], "witness_map");
    assert!(value["prover"][2]["ark_peak_bytes"].is_null());

    let mut value = serde_json::to_value(known_report()).unwrap();
    value.as_object_mut().unwrap().remove("prover");
    let back: Report = serde_json::from_value(value).unwrap();
    assert!(back.prover.is_empty());
}

#[test]
fn svg_has_a_bar_per_prover_row_after_the_operations() {
    let report = report_with_prover();
    let chart = svg::ratio_chart(&report.rows, &report.prover);
    check_well_formed(&chart);
    assert_eq!(chart.matches(r#"class="bar""#).count(), 4 + 3);
    // Two operation targets and the larger prover case's.
    assert_eq!(chart.matches(r#"class="target""#).count(), 3);
    let label = "groth16 rollup depth 20, 10 transfers, ramjet groth16 (cpu) vs ark-groth16";
    assert!(chart.contains(label));
    assert!(chart.find("ntt 2^20").unwrap() < chart.find(label).unwrap());
}

/// A small XML well-formedness check: balanced, properly nested tags, quoted attributes, no
/// stray `<` or `&` in text, a single root element.
fn check_well_formed(xml: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let close = rest[open..].find('>').expect("unclosed tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('?') {
            assert!(tag.ends_with('?'), "bad declaration {tag}");
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name = body.split_whitespace().next().expect("tag name");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'),
            "bad tag name {name}"
        );
        assert_eq!(
            body.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name.to_owned());
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed elements {stack:?}");
    assert_eq!(roots, 1, "one root element");
    assert!(xml.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
}

fn check_text(text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let entity_end = rest[amp..].find(';').expect("bare &") + amp;
        let entity = &rest[amp + 1..entity_end];
        assert!(
            ["amp", "lt", "gt", "quot", "apos"].contains(&entity),
            "unknown entity &{entity};"
        );
        rest = &rest[entity_end + 1..];
    }
}
