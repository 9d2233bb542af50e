//! One whole run of the runner's library entry point, on the hidden `smoke` sizes, into a
//! temporary directory.

use clap::Parser;
use indicatif::ProgressBar;
use ramjet_accel::Op;
use ramjet_bench::cli::Args;
use ramjet_bench::report::Report;

#[test]
fn smoke_run_writes_every_output_with_finite_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let args = Args::try_parse_from([
        "ramjet-bench".as_ref(),
        "--sizes".as_ref(),
        "smoke".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
    .unwrap();

    let (report, paths) = ramjet_bench::run_and_write(&args, &ProgressBar::hidden()).unwrap();

    for path in [&paths.json, &paths.markdown, &paths.ratio_chart] {
        assert!(path.starts_with(&out), "{} outside --out", path.display());
        assert!(
            std::fs::metadata(path).unwrap().len() > 0,
            "{} empty",
            path.display()
        );
    }
    let written: Report =
        serde_json::from_str(&std::fs::read_to_string(&paths.json).unwrap()).unwrap();
    assert_eq!(written, report);
    assert_eq!(written.mode, "smoke");

    // Every operation ran; ed25519 against both of its baselines.
    for op in Op::ALL {
        assert!(
            written.rows.iter().any(|r| r.op == op.name()),
            "{op} missing"
        );
    }
    assert_eq!(written.rows.len(), Op::ALL.len() + 1);
    for row in &written.rows {
        assert!(row.ratio.is_finite() && row.ratio > 0.0, "{row:?}");
        assert!(
            row.outputs_agree,
            "{} disagrees with {}",
            row.op, row.baseline.implementation
        );
        assert_eq!(row.ramjet.samples, 2);
        assert_eq!(row.reached, row.target.map(|t| row.ratio >= t));
    }
    let chart = std::fs::read_to_string(&paths.ratio_chart).unwrap();
    assert_eq!(chart.matches(r#"class="bar""#).count(), written.rows.len());
    let md = std::fs::read_to_string(&paths.markdown).unwrap();
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| `")).count(),
        written.rows.len()
    );
}

#[test]
fn only_restricts_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let args = Args::try_parse_from([
        "ramjet-bench".as_ref(),
        "--sizes".as_ref(),
        "smoke".as_ref(),
        "--only".as_ref(),
        "merkle_sha256".as_ref(),
        "--repeats".as_ref(),
        "3".as_ref(),
        "--out".as_ref(),
        dir.path().as_os_str(),
    ])
    .unwrap();
    let (report, _) = ramjet_bench::run_and_write(&args, &ProgressBar::hidden()).unwrap();
    assert_eq!(report.rows.len(), 1);
    assert_eq!(report.rows[0].op, "merkle_sha256");
    assert_eq!(report.rows[0].baseline.samples, 3);
}
