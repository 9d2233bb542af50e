//! `ramjet devnet --bench`: issue 6's benchmark scenario as one command.
//!
//! Two devnets run one after the other with the same load ([`BENCH_NODES`] nodes on loopback,
//! [`BENCH_TPS`] transfers per second over all nodes for [`BENCH_SECS`] s, the double spends and
//! backend of the flags): first with batched signature verification (the node's default), then
//! with `--single-signature`, the baseline that shows what batching buys. Each run is a whole
//! `ramjet devnet` (its own directory, `DIR/batched` and `DIR/single-signature`, its own
//! `summary.json` and checks). The batched run is then held to the targets:
//!
//! | target | from the batched run's summary |
//! |---|---|
//! | ≥ 5,000 transfers/s accepted per node | `totals.accepted_per_sec` (accepted on every node) |
//! | finality p50 ≤ 500 ms, p99 ≤ 2 s | `latency_ms` (submission to accepted on every node) |
//! | resident memory < 1 GiB on every node | each node's `rss_peak_kib` |
//! | memory bounded | each node's resident memory when the load ended, plus an hour of the growth measured over the load's second half, stays under 1 GiB |
//! | every check passed | `ok` of both runs |
//!
//! A target missed is reported, not an error; a failed check is (as for `ramjet devnet`).

use std::io::{self, Write};

use serde::Serialize;

use super::{DevnetArgs, Summary, run};
use crate::Result;

/// Nodes of the scenario.
pub const BENCH_NODES: usize = 4;
/// Transfers per second offered, over all nodes.
pub const BENCH_TPS: u64 = 5_000;
/// Seconds of load.
pub const BENCH_SECS: u64 = 60;
/// Most resident memory per node: 1 GiB, in KiB.
const MEMORY_TARGET_KIB: u64 = 1 << 20;

/// One target and whether the batched run reached it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchTarget {
    /// What is held, in words.
    pub target: String,
    /// What the batched run measured.
    pub measured: String,
    /// Whether it was reached.
    pub reached: bool,
}

/// Both runs and the targets.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// The run with batched signature verification.
    pub batched: Summary,
    /// The same load with one signature verified at a time.
    pub single_signature: Summary,
    /// Batched accepted per second ÷ single-signature accepted per second.
    pub batching_speedup: Option<f64>,
    /// The batched run against issue 6's targets.
    pub targets: Vec<BenchTarget>,
}

impl BenchReport {
    /// Both runs' checks passed.
    pub fn ok(&self) -> bool {
        self.batched.ok && self.single_signature.ok
    }

    /// The comparison table and the targets.
    ///
    /// # Errors
    /// Writing to `out` failed.
    pub fn write_table(&self, out: &mut impl Write) -> io::Result<()> {
        let (b, s) = (&self.batched, &self.single_signature);
        writeln!(
            out,
            "{:<34} {:>16} {:>18}",
            "", "batched", "single-signature"
        )?;
        let row = |out: &mut dyn Write, what: &str, b: String, s: String| {
            writeln!(out, "{what:<34} {b:>16} {s:>18}")
        };
        row(
            out,
            "accepted per node, per second",
            format!("{:.0}", b.totals.accepted_per_sec),
            format!("{:.0}", s.totals.accepted_per_sec),
        )?;
        row(
            out,
            "refused at submission",
            b.totals.refused.to_string(),
            s.totals.refused.to_string(),
        )?;
        row(
            out,
            "finality p50 / p99 (ms)",
            format!("{} / {}", b.latency_ms.p50, b.latency_ms.p99),
            format!("{} / {}", s.latency_ms.p50, s.latency_ms.p99),
        )?;
        row(
            out,
            "largest peak RSS (MiB)",
            format!("{:.0}", peak_kib(b) as f64 / 1024.0),
            format!("{:.0}", peak_kib(s) as f64 / 1024.0),
        )?;
        row(
            out,
            "fastest RSS growth, 2nd half (KiB/s)",
            growth(b).map_or_else(|| "-".to_owned(), |g| format!("{g:.0}")),
            growth(s).map_or_else(|| "-".to_owned(), |g| format!("{g:.0}")),
        )?;
        row(
            out,
            "checks",
            verdict(b.ok).to_owned(),
            verdict(s.ok).to_owned(),
        )?;
        if let Some(speedup) = self.batching_speedup {
            writeln!(
                out,
                "batching accepts {speedup:.2}× the single-signature rate"
            )?;
        }
        writeln!(out)?;
        for t in &self.targets {
            let verdict = if t.reached { "reached" } else { "MISSED" };
            writeln!(out, "{:<58} {:>22}  {verdict}", t.target, t.measured)?;
        }
        Ok(())
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "passed" } else { "FAILED" }
}

/// The scenario's two runs: `args` with the scenario's load, in `DIR/batched` and
/// `DIR/single-signature`, each writing its own `summary.json` there.
pub fn runs(args: &DevnetArgs) -> (DevnetArgs, DevnetArgs) {
    let base = DevnetArgs {
        nodes: BENCH_NODES,
        tps: BENCH_TPS,
        duration: BENCH_SECS,
        bench: false,
        json: None,
        ..args.clone()
    };
    let batched = DevnetArgs {
        dir: args.dir.join("batched"),
        single_signature: false,
        ..base.clone()
    };
    let single = DevnetArgs {
        dir: args.dir.join("single-signature"),
        single_signature: true,
        ..base
    };
    (batched, single)
}

/// Runs the scenario: the batched run, then the single-signature run, and holds the batched
/// one to the targets.
///
/// # Errors
/// As [`run`]: a devnet that could not run (not a failed check).
pub async fn bench(args: &DevnetArgs) -> Result<BenchReport> {
    let (batched, single) = runs(args);
    eprintln!(
        "devnet bench: {BENCH_NODES} nodes, {BENCH_TPS} transfers/s for {BENCH_SECS} s, batched \
         signature verification ({})",
        batched.dir.display()
    );
    let batched = run(batched).await?;
    eprintln!(
        "devnet bench: the same load verifying one signature at a time ({})",
        single.dir.display()
    );
    let single = run(single).await?;
    Ok(report(batched, single))
}

/// The report of two finished runs.
pub fn report(batched: Summary, single_signature: Summary) -> BenchReport {
    let targets = targets(&batched, &single_signature);
    let batching_speedup = (single_signature.totals.accepted_per_sec > 0.0)
        .then(|| batched.totals.accepted_per_sec / single_signature.totals.accepted_per_sec);
    BenchReport {
        batched,
        single_signature,
        batching_speedup,
        targets,
    }
}

/// The largest peak resident memory of a run's nodes, KiB.
fn peak_kib(summary: &Summary) -> u64 {
    summary
        .nodes
        .iter()
        .map(|n| n.rss_peak_kib)
        .max()
        .unwrap_or(0)
}

/// The fastest resident-memory growth of a run's nodes over the load's second half, KiB/s.
fn growth(summary: &Summary) -> Option<f64> {
    summary
        .nodes
        .iter()
        .filter_map(|n| n.rss_growth_kib_per_s)
        .reduce(f64::max)
}

fn targets(batched: &Summary, single: &Summary) -> Vec<BenchTarget> {
    let rate = batched.totals.accepted_per_sec;
    let latency = &batched.latency_ms;
    let peak = peak_kib(batched);
    // Where each node would be after another hour at its second-half growth.
    let in_an_hour = batched
        .nodes
        .iter()
        .filter_map(|n| {
            let growth = n.rss_growth_kib_per_s?.max(0.0);
            Some(n.rss_end_load_kib as f64 + growth * 3600.0)
        })
        .reduce(f64::max);
    let mib = |kib: f64| format!("{:.0} MiB", kib / 1024.0);
    vec![
        BenchTarget {
            target: format!("≥ {BENCH_TPS} transfers/s accepted per node"),
            measured: format!("{rate:.0}/s"),
            reached: rate >= BENCH_TPS as f64,
        },
        BenchTarget {
            target: "finality p50 ≤ 500 ms".into(),
            measured: format!("{} ms", latency.p50),
            reached: latency.count > 0 && latency.p50 <= 500,
        },
        BenchTarget {
            target: "finality p99 ≤ 2 s".into(),
            measured: format!("{} ms", latency.p99),
            reached: latency.count > 0 && latency.p99 <= 2_000,
        },
        BenchTarget {
            target: "resident memory < 1 GiB on every node".into(),
            measured: mib(peak as f64),
            reached: peak > 0 && peak < MEMORY_TARGET_KIB,
        },
        BenchTarget {
            target: "memory bounded: < 1 GiB after another hour at the growth".into(),
            measured: in_an_hour.map_or_else(|| "not measured".to_owned(), mib),
            reached: in_an_hour.is_some_and(|kib| kib < MEMORY_TARGET_KIB as f64),
        },
        BenchTarget {
            target: "every check passed, in both runs".into(),
            measured: format!("{} / {}", verdict(batched.ok), verdict(single.ok)),
            reached: batched.ok && single.ok,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devnet::load::{Pool, Tracker};
    use crate::devnet::report::tests::{coin, facts, settings, transfer};
    use crate::tx::TxHash;

    fn summary(
        rate: f64,
        p50: u64,
        p99: u64,
        peak_kib: u64,
        growth: Option<(u64, u64)>,
    ) -> Summary {
        let mut tracker = Tracker::new(2, Pool::new(1));
        tracker.sent(coin(), transfer(TxHash([1; 32])), 0, 0);
        tracker.on_accepted(0, TxHash([1; 32]), 10);
        tracker.on_accepted(1, TxHash([1; 32]), 20);
        let node = |half_end: Option<(u64, u64)>| NodeFacts {
            rss_peak_kib: peak_kib,
            rss_half_load_kib: half_end.map(|(half, _)| half),
            rss_end_load_kib: half_end.map_or(peak_kib, |(_, end)| end),
            ..facts(7)
        };
        let mut s = Summary::build(
            settings(),
            60.0,
            1,
            &tracker,
            vec![node(growth), node(growth)],
            &[],
        );
        s.totals.accepted_per_sec = rate;
        s.latency_ms.p50 = p50;
        s.latency_ms.p99 = p99;
        s
    }

    use crate::devnet::report::NodeFacts;

    fn reached(report: &BenchReport) -> Vec<bool> {
        report.targets.iter().map(|t| t.reached).collect()
    }

    #[test]
    fn the_batched_run_is_held_to_every_target_and_batching_is_compared() {
        // Everything reached: 5,200/s, flat memory at 500 MiB.
        let good = summary(5_200.0, 400, 1_500, 500 << 10, Some((500 << 10, 500 << 10)));
        let single = summary(1_300.0, 900, 3_000, 400 << 10, Some((400 << 10, 400 << 10)));
        let good_report = report(good, single);
        assert_eq!(reached(&good_report), [true; 6]);
        assert_eq!(good_report.batching_speedup, Some(4.0));
        assert!(good_report.ok());

        // Too slow, too late, and memory that grows 100 KiB/s from 900 MiB: under 1 GiB now,
        // far over it in an hour.
        let bad = summary(
            1_900.0,
            600,
            2_500,
            950 << 10,
            Some((900 << 10, (900 << 10) + 3_000)),
        );
        let bad_report = report(bad, summary(1_500.0, 1, 1, 1, None));
        assert_eq!(
            reached(&bad_report),
            [false, false, false, true, false, true]
        );
        let growth = bad_report.batched.nodes[0].rss_growth_kib_per_s.unwrap();
        assert!((growth - 100.0).abs() < 1e-9, "{growth}");

        // No halfway sample: boundedness is not measured, so not reached.
        let short = summary(6_000.0, 1, 1, 1 << 10, None);
        let short_report = report(short.clone(), short);
        assert_eq!(short_report.targets[4].measured, "not measured");
        assert!(!short_report.targets[4].reached);

        let mut table = Vec::new();
        short_report.write_table(&mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.contains("batching accepts 1.00×"), "{table}");
        assert!(
            table.contains("MISSED") && table.contains("reached"),
            "{table}"
        );
    }

    #[test]
    fn the_two_runs_share_the_scenario_load_in_their_own_directories() {
        let args = DevnetArgs {
            nodes: 3,
            duration: 5,
            tps: 10,
            double_spends: 7,
            accounts: 64,
            dir: "d".into(),
            base_port: 0,
            backend: crate::devnet::BackendChoice::Cpu,
            single_signature: false,
            json: Some("x.json".into()),
            seed: 3,
            keep: false,
            bench: true,
        };
        let (batched, single) = runs(&args);
        for run in [&batched, &single] {
            assert_eq!((run.nodes, run.tps, run.duration), (4, 5_000, 60));
            assert_eq!((run.double_spends, run.seed), (7, 3));
            assert!(!run.bench && run.json.is_none());
        }
        assert!(!batched.single_signature && single.single_signature);
        assert_eq!(batched.dir, std::path::Path::new("d/batched"));
        assert_eq!(single.dir, std::path::Path::new("d/single-signature"));
    }
}
