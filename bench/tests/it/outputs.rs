//! The writers, from a known result set: ratios and target status, the Markdown table, the JSON
//! document and the SVG chart.

use ramjet_accel::Op;
use ramjet_bench::machine::{Commit, Machine};
use ramjet_bench::output::{self, markdown, summary, svg};
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

/// Three rows: a target reached (2.0 ≥ 1.8), a target missed (1.2 < 1.5), no target (0.5).
fn known_report() -> Report {
    let rows = vec![
        Row::new(
            Op::Ed25519Verify,
            1024,
            timing("ramjet cpu", 0.010, 1024),
            timing("ed25519-consensus batch", 0.020, 1024),
            Some(1.8),
            true,
        ),
        Row::new(
            Op::MsmG1,
            1 << 16,
            timing("ramjet cpu", 0.5, 1 << 16),
            timing("arkworks msm", 0.6, 1 << 16),
            Some(1.5),
            true,
        ),
        Row::new(
            Op::MsmG2,
            1 << 12,
            timing("ramjet cpu", 0.2, 1 << 12),
            timing("arkworks <msm> & co", 0.1, 1 << 12),
            None,
            false,
        ),
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
        notes: ramjet_bench::report::notes(&rows, 2),
        rows,
    }
}

#[test]
fn ratios_and_target_status_are_computed_from_medians() {
    let report = known_report();
    let [reached, missed, untargeted] = &report.rows[..] else {
        panic!("three rows");
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
    assert_eq!(rows.len(), 3);
    for field in [
        "op", "size", "ramjet", "baseline", "ratio", "target", "reached",
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
}

#[test]
fn markdown_has_header_and_one_line_per_row() {
    let report = known_report();
    let md = markdown::render(&report);
    assert!(md.contains("Test CPU @ 3.0GHz"));
    assert!(md.contains("0123456789abcdef0123456789abcdef01234567 (dirty)"));
    assert!(md.contains("2025-01-02T03:04:05Z"));
    let table: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    // Header, rule, three rows.
    assert_eq!(table.len(), 5);
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
}

#[test]
fn summary_table_lists_every_row() {
    let report = known_report();
    let text = summary::table(&report);
    assert!(text.contains("ed25519-consensus batch"));
    assert!(text.contains("arkworks msm"));
    assert!(text.lines().filter(|l| l.contains("ramjet")).count() >= 1);
    assert_eq!(text.lines().filter(|l| l.starts_with("msm_g")).count(), 2);
}

#[test]
fn svg_is_well_formed_with_one_bar_per_row() {
    let report = known_report();
    let chart = svg::ratio_chart(&report.rows);
    check_well_formed(&chart);
    assert_eq!(chart.matches(r#"class="bar""#).count(), report.rows.len());
    assert_eq!(chart.matches(r#"class="target""#).count(), 2);
    assert_eq!(chart.matches(r#"class="parity""#).count(), 1);
    // Reached is green, missed red, untargeted grey.
    assert!(chart.contains("#2e7d32") && chart.contains("#c62828"));
    // The label with markup characters is escaped.
    assert!(chart.contains("arkworks &lt;msm&gt; &amp; co"));

    // Bar widths follow the ratios: the 2.0 bar is four times the 0.5 bar.
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
}

#[test]
fn svg_of_no_rows_is_still_well_formed() {
    let chart = svg::ratio_chart(&[]);
    check_well_formed(&chart);
    assert_eq!(chart.matches(r#"class="bar""#).count(), 0);
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
