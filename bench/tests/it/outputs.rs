//! The writers, from a known result set: ratios and target status, the Markdown table, the JSON
//! document and the SVG chart.

use ramjet_accel::{BackendKind, DeviceInfo, Op};
use ramjet_bench::backends;
use ramjet_bench::machine::{Commit, Machine};
use ramjet_bench::output::{self, markdown, summary, svg};
use ramjet_bench::plan;
use ramjet_bench::report::{Report, Row, Timing};

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
    let chart = svg::ratio_chart(&report.rows);
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
    let chart = svg::ratio_chart(&[]);
    check_well_formed(&chart);
    assert_eq!(chart.matches(r#"class="bar""#).count(), 0);
    assert!(!chart.contains("CPU-emulated"));
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
