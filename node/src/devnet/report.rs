//! The run's [`Summary`]: built from the tracker, the nodes' last statuses and memory samples;
//! printed as a table and written as JSON.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use super::load::{DoubleSpend, NodeCounts, Tracker, Verdict, letter};
use super::plan::BackendChoice;
use super::process::Stopped;
use super::stats::Percentiles;
use crate::api::pb;

/// What `ramjet devnet` was asked to do.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// Nodes.
    pub nodes: usize,
    /// Seconds of load.
    pub duration_secs: u64,
    /// Transfers per second asked for.
    pub tps: u64,
    /// Double-spend attempts asked for.
    pub double_spends: usize,
    /// Wallet accounts.
    pub accounts: usize,
    /// Seed of the keys.
    pub seed: u64,
    /// The nodes' backend choice.
    pub backend: BackendChoice,
    /// Signatures verified one at a time.
    pub single_signature: bool,
    /// The devnet directory.
    pub dir: PathBuf,
    /// Genesis outputs (all accounts).
    pub genesis_outputs: usize,
}

/// One node's row.
#[derive(Clone, Debug, Serialize)]
pub struct NodeReport {
    /// Index.
    pub index: usize,
    /// libp2p peer id.
    pub peer_id: String,
    /// gRPC API address.
    pub api: String,
    /// Connected peers at the end (from `GetStatus`).
    pub peers: usize,
    /// What its event stream said.
    #[serde(flatten)]
    pub events: NodeCounts,
    /// How many times its event stream lagged (events dropped for the slow devnet client)
    /// and was opened again.
    pub event_stream_lags: u64,
    /// Peak resident memory, KiB (sampled every second).
    pub rss_peak_kib: u64,
    /// Last resident memory sample, KiB.
    pub rss_last_kib: u64,
    /// Resident memory halfway through the load, KiB (`None` if the load was too short to
    /// sample it).
    pub rss_half_load_kib: Option<u64>,
    /// Resident memory when the load ended, KiB.
    pub rss_end_load_kib: u64,
    /// How fast resident memory grew over the load's second half, KiB per second: near zero
    /// when the node's memory is bounded at this load (`None` without a halfway sample).
    pub rss_growth_kib_per_s: Option<f64>,
    /// The backends that verified signatures, most first (`cpu`, or `-` if none reported).
    pub backend: String,
    /// Signatures verified per backend (from `GetStatus`).
    pub signatures: BTreeMap<String, u64>,
    /// Device answers recomputed on the CPU and compared (`accel.audit`; every one with
    /// `--backend wgpu`), all backends.
    pub audits: u64,
    /// Audited device answers that differed from the CPU's: a failed check.
    pub audit_mismatches: u64,
    /// SHA-256 of its committed UTXO set at the end, hex.
    pub utxo_digest: String,
    /// How it stopped.
    pub exit: String,
}

/// Counts over the whole run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    /// Transfers sent (double spends not counted).
    pub submitted: u64,
    /// Transfers accepted on every node.
    pub accepted: u64,
    /// Transfers accepted on every node per second of load.
    pub accepted_per_sec: f64,
    /// Transfers refused at submission (or whose call failed).
    pub refused: u64,
    /// Of those, the ones the node did not take (overloaded, say), whose input went back to
    /// the wallet's spendable outputs.
    pub refused_inputs_reused: u64,
    /// Transfers rejected later by the node they were sent to.
    pub rejected: u64,
    /// Transfers still not accepted on every node when the run ended.
    pub in_flight_at_end: usize,
    /// Of `accepted`, those whose acceptance on some node was read back with GetTransaction
    /// after that node's event stream lagged: left out of the latency figures.
    pub accepted_read_back: u64,
    /// Outputs on which some node reported a conflict.
    pub conflicts_detected: usize,
    /// Outputs on which some node decided a conflict.
    pub conflicts_decided: usize,
    /// Equivocation events, all nodes.
    pub equivocations: u64,
    /// Load ticks that found no spendable output (the genesis or the finality rate was too
    /// low for the rate asked).
    pub starved_ticks: u64,
    /// Why transfers were refused or rejected: reason → count (the first reasons seen).
    pub refusal_reasons: BTreeMap<String, u64>,
}

/// One double-spend attempt's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct DoubleSpendReport {
    /// The output both spenders spend, `txhash:index`.
    pub outpoint: String,
    /// Spender a and spender b.
    pub spenders: [String; 2],
    /// The node each was sent to.
    pub sent_to: [usize; 2],
    /// Each one's state (or error) as its submission answered.
    pub submit_states: [String; 2],
    /// Per node, which spender it accepted: `a`, `b`, `none` or `both`.
    pub accepted: Vec<String>,
    /// Per node, the winner its `Decided` event named (`a`, `b`, or `-` if none seen).
    pub decided: Vec<String>,
    /// `agreed`, `violation`, `unresolved` or `refused` (both sides refused at submission).
    pub verdict: String,
    /// What went wrong, for a violation or an unresolved attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The double-spend correctness checks.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DoubleSpendChecks {
    /// Attempts made.
    pub attempted: usize,
    /// Attempts where every node accepted the same single spender.
    pub agreed: usize,
    /// Attempts where a node accepted both, or nodes accepted different spenders.
    pub violations: usize,
    /// Attempts some node had accepted neither spender of when the run ended.
    pub unresolved: usize,
    /// Attempts whose two sides were both refused at submission (not a failure: nothing was
    /// left to decide).
    pub refused: usize,
    /// Every check passed (no violation, nothing unresolved).
    pub passed: bool,
}

/// Everything `ramjet devnet` measured and checked.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Every correctness check passed.
    pub ok: bool,
    /// The checks that failed, in words.
    pub failures: Vec<String>,
    /// Things worth knowing that are not failures.
    pub warnings: Vec<String>,
    /// What was asked.
    pub settings: Settings,
    /// Seconds transfers were sent for.
    pub load_secs: f64,
    /// One row per node.
    pub nodes: Vec<NodeReport>,
    /// Counts over the run.
    pub totals: Totals,
    /// Finality latency (submission to accepted on every node), ms.
    pub latency_ms: Percentiles,
    /// The double-spend checks.
    pub double_spend_checks: DoubleSpendChecks,
    /// Each double-spend attempt.
    pub double_spends: Vec<DoubleSpendReport>,
    /// Every node's UTXO digest was equal at the end.
    pub utxo_digests_equal: bool,
}

/// Per node, what is known outside the tracker.
#[derive(Clone, Debug, Default)]
pub(crate) struct NodeFacts {
    pub(crate) peer_id: String,
    pub(crate) api: String,
    pub(crate) status: Option<pb::NodeStatus>,
    pub(crate) rss_peak_kib: u64,
    pub(crate) rss_last_kib: u64,
    pub(crate) rss_half_load_kib: Option<u64>,
    pub(crate) rss_end_load_kib: u64,
}

/// The backends of `status` that verified signatures, most first, joined with `+` (`-` if none).
pub(crate) fn signature_backends(status: Option<&pb::NodeStatus>) -> String {
    let mut used: Vec<&pb::Backend> = status
        .map(|s| s.backends.iter().filter(|b| b.signatures > 0).collect())
        .unwrap_or_default();
    used.sort_by_key(|b| std::cmp::Reverse(b.signatures));
    if used.is_empty() {
        "-".to_owned()
    } else {
        used.iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }
}

impl DoubleSpendReport {
    fn of(d: &DoubleSpend) -> (Self, Verdict) {
        let verdict = d.verdict();
        let (name, problem) = match &verdict {
            Verdict::Agreed(_) => ("agreed", None),
            Verdict::Violation(m) => ("violation", Some(m.clone())),
            Verdict::Unresolved(m) => ("unresolved", Some(m.clone())),
            Verdict::Refused => ("refused", None),
        };
        let report = Self {
            outpoint: format!("{}:{}", d.outpoint.tx, d.outpoint.index),
            spenders: [d.txs[0].to_hex(), d.txs[1].to_hex()],
            sent_to: d.sent_to,
            submit_states: d.submit_states.clone(),
            accepted: (0..d.accepted.len())
                .map(|n| d.accepted_on(n).to_owned())
                .collect(),
            decided: d
                .decided
                .iter()
                .map(|s| s.map_or("-", letter).to_owned())
                .collect(),
            verdict: name.to_owned(),
            problem,
        };
        (report, verdict)
    }
}

impl Summary {
    /// Builds the summary and runs the checks: no double-spend violation and none unresolved,
    /// equal UTXO digests, some transfer accepted on every node, no event stream lost.
    pub(crate) fn build(
        settings: Settings,
        load_secs: f64,
        finalized_during_load: u64,
        tracker: &Tracker,
        facts: Vec<NodeFacts>,
        stopped: &[Stopped],
    ) -> Summary {
        let mut failures = Vec::new();
        let mut warnings = Vec::new();

        let mut checks = DoubleSpendChecks {
            attempted: tracker.double_spends.len(),
            ..DoubleSpendChecks::default()
        };
        let mut double_spends = Vec::new();
        for (i, d) in tracker.double_spends.iter().enumerate() {
            let (report, verdict) = DoubleSpendReport::of(d);
            match verdict {
                Verdict::Agreed(_) => checks.agreed += 1,
                Verdict::Violation(m) => {
                    checks.violations += 1;
                    failures.push(format!(
                        "DOUBLE SPEND VIOLATION #{i} on {}: {m}",
                        report.outpoint
                    ));
                }
                Verdict::Refused => checks.refused += 1,
                Verdict::Unresolved(m) => {
                    checks.unresolved += 1;
                    failures.push(format!(
                        "double spend #{i} on {} unresolved: {m}",
                        report.outpoint
                    ));
                }
            }
            double_spends.push(report);
        }
        checks.passed = checks.violations == 0 && checks.unresolved == 0;
        if checks.refused > 0 {
            warnings.push(format!(
                "{} double spend(s) refused on both sides at submission",
                checks.refused
            ));
        }
        if checks.attempted < settings.double_spends {
            warnings.push(format!(
                "{} of {} double spends attempted (no spendable output at the others' times)",
                checks.attempted, settings.double_spends
            ));
        }

        let digests: Vec<String> = facts
            .iter()
            .map(|f| {
                f.status
                    .as_ref()
                    .map_or_else(String::new, |s| hex::encode(&s.utxo_digest))
            })
            .collect();
        let utxo_digests_equal = !digests.is_empty()
            && !digests[0].is_empty()
            && digests.iter().all(|d| *d == digests[0]);
        if !utxo_digests_equal {
            let list: Vec<String> = digests
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let short = if d.is_empty() {
                        "unknown"
                    } else {
                        &d[..d.len().min(16)]
                    };
                    format!("node {i} {short}")
                })
                .collect();
            failures.push(format!("UTXO DIGESTS DIFFER: {}", list.join(", ")));
        }
        if tracker.finalized == 0 {
            failures.push("no transfer was accepted on every node".to_owned());
        }
        failures.extend(tracker.stream_errors.iter().cloned());

        let totals = Totals {
            submitted: tracker.submitted,
            accepted: tracker.finalized,
            accepted_per_sec: if load_secs > 0.0 {
                finalized_during_load as f64 / load_secs
            } else {
                0.0
            },
            refused: tracker.refused,
            refused_inputs_reused: tracker.recycled,
            rejected: tracker.rejected,
            in_flight_at_end: tracker.in_flight(),
            accepted_read_back: tracker.finalized_read_back,
            conflicts_detected: tracker.conflicts.len(),
            conflicts_decided: tracker.decided.len(),
            equivocations: tracker.per_node.iter().map(|c| c.equivocations).sum(),
            starved_ticks: tracker.starved,
            refusal_reasons: tracker.refusal_reasons.clone(),
        };
        if totals.in_flight_at_end > 0 {
            warnings.push(format!(
                "{} transfers were not accepted on every node by the end",
                totals.in_flight_at_end
            ));
        }
        if totals.refused + totals.rejected > 0 {
            warnings.push(format!(
                "{} transfers refused at submission ({} inputs reused), {} rejected later",
                totals.refused, totals.refused_inputs_reused, totals.rejected
            ));
        }
        let lagged: Vec<String> = tracker
            .lags
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(node, n)| format!("node {node} ×{n}"))
            .collect();
        if !lagged.is_empty() {
            warnings.push(format!(
                "event streams lagged under load ({}), events were lost and states read back: \
                 {} transfers' acceptance read back with GetTransaction, left out of the \
                 latency figures",
                lagged.join(", "),
                totals.accepted_read_back
            ));
        }
        if totals.starved_ticks > 0 {
            warnings.push(format!(
                "the wallet ran out of spendable outputs {} times (finality slower than the genesis \
                 allows at this rate)",
                totals.starved_ticks
            ));
        }
        if totals.equivocations > 0 {
            warnings.push(format!("{} equivocation events", totals.equivocations));
        }

        let nodes = facts
            .into_iter()
            .enumerate()
            .map(|(index, f)| {
                let stop = stopped.iter().find(|s| s.index == index);
                if let Some(s) = stop {
                    if s.exited_early {
                        failures.push(format!("node {index} exited during the run ({})", s.status));
                    } else if s.killed {
                        warnings.push(format!(
                            "node {index} did not stop within 10 s of SIGTERM and was killed"
                        ));
                    }
                }
                let backends = f.status.as_ref().map_or(&[][..], |s| &s.backends[..]);
                let signatures = backends
                    .iter()
                    .map(|b| (b.name.clone(), b.signatures))
                    .collect();
                let audits = backends.iter().map(|b| b.audits).sum();
                let audit_mismatches = backends.iter().map(|b| b.audit_mismatches).sum();
                if audit_mismatches > 0 {
                    failures.push(format!(
                        "node {index}: {audit_mismatches} of {audits} audited device answers \
                         differed from the CPU's"
                    ));
                }
                NodeReport {
                    index,
                    peer_id: f.peer_id,
                    api: f.api,
                    peers: f.status.as_ref().map_or(0, |s| s.peers.len()),
                    events: tracker.per_node.get(index).cloned().unwrap_or_default(),
                    event_stream_lags: tracker.lags.get(index).copied().unwrap_or(0),
                    rss_peak_kib: f.rss_peak_kib,
                    rss_last_kib: f.rss_last_kib,
                    rss_half_load_kib: f.rss_half_load_kib,
                    rss_end_load_kib: f.rss_end_load_kib,
                    rss_growth_kib_per_s: f
                        .rss_half_load_kib
                        .filter(|_| load_secs > 0.0)
                        .map(|half| (f.rss_end_load_kib as f64 - half as f64) / (load_secs / 2.0)),
                    backend: signature_backends(f.status.as_ref()),
                    signatures,
                    audits,
                    audit_mismatches,
                    utxo_digest: digests.get(index).cloned().unwrap_or_default(),
                    exit: stop.map_or_else(|| "running".to_owned(), |s| s.status.clone()),
                }
            })
            .collect();

        Summary {
            ok: failures.is_empty(),
            failures,
            warnings,
            settings,
            load_secs,
            nodes,
            totals,
            latency_ms: Percentiles::of(&tracker.latencies),
            double_spend_checks: checks,
            double_spends,
            utxo_digests_equal,
        }
    }

    /// The summary as a table, then totals, latencies, checks, warnings and failures.
    ///
    /// # Errors
    /// Writing to `out` failed.
    pub fn write_table(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "{:<5} {:>5} {:>9} {:>9} {:>9} {:>8} {:>10} {:>10} {:>13}  backend",
            "node",
            "peers",
            "accepted",
            "rejected",
            "conflicts",
            "decided",
            "rss peak",
            "rss last",
            "rss growth"
        )?;
        for n in &self.nodes {
            writeln!(
                out,
                "{:<5} {:>5} {:>9} {:>9} {:>9} {:>8} {:>10} {:>10} {:>13}  {}",
                n.index,
                n.peers,
                n.events.accepted,
                n.events.rejected,
                n.events.conflicts,
                n.events.decided,
                mib(n.rss_peak_kib),
                mib(n.rss_last_kib),
                n.rss_growth_kib_per_s
                    .map_or_else(|| "-".to_owned(), |g| format!("{g:.0} KiB/s")),
                n.backend
            )?;
        }
        let t = &self.totals;
        writeln!(out)?;
        writeln!(
            out,
            "transfers   {} submitted, {} accepted on every node ({:.1}/s over {:.1} s), {} refused, \
             {} rejected, {} in flight at the end",
            t.submitted,
            t.accepted,
            t.accepted_per_sec,
            self.load_secs,
            t.refused,
            t.rejected,
            t.in_flight_at_end
        )?;
        let l = &self.latency_ms;
        writeln!(
            out,
            "finality    p50 {} ms, p90 {} ms, p99 {} ms, max {} ms (submission to accepted on \
             every node, {} transfers)",
            l.p50, l.p90, l.p99, l.max, l.count
        )?;
        writeln!(
            out,
            "conflicts   {} detected, {} decided",
            t.conflicts_detected, t.conflicts_decided
        )?;
        let c = &self.double_spend_checks;
        writeln!(
            out,
            "doublespend {} attempted: {} agreed on every node, {} violations, {} unresolved",
            c.attempted, c.agreed, c.violations, c.unresolved
        )?;
        let digest = self
            .nodes
            .first()
            .map(|n| &n.utxo_digest[..n.utxo_digest.len().min(16)])
            .unwrap_or("");
        writeln!(
            out,
            "utxo digest {}",
            if self.utxo_digests_equal {
                format!("equal on every node ({digest}…)")
            } else {
                "DIFFERENT (see failures)".to_owned()
            }
        )?;
        let audits: u64 = self.nodes.iter().map(|n| n.audits).sum();
        if audits > 0 {
            let differed: u64 = self.nodes.iter().map(|n| n.audit_mismatches).sum();
            writeln!(
                out,
                "audit       {audits} device answers recomputed on the CPU, {differed} differed"
            )?;
        }
        for reason in t.refusal_reasons.iter().map(|(r, n)| format!("{n} × {r}")) {
            writeln!(out, "refused     {reason}")?;
        }
        for w in &self.warnings {
            writeln!(out, "warning     {w}")?;
        }
        if self.ok {
            writeln!(out, "\nresult      OK: every check passed")?;
        } else {
            writeln!(out, "\nresult      FAILED")?;
            for f in &self.failures {
                writeln!(out, "  - {f}")?;
            }
        }
        Ok(())
    }
}

/// KiB as MiB with one decimal (`-` for no sample).
fn mib(kib: u64) -> String {
    if kib == 0 {
        "-".to_owned()
    } else {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::devnet::load::{Coin, DoubleSpend, Pool, Signed};
    use crate::tx::{OutPoint, TxHash};

    /// A transfer of hash `hash` that creates nothing, for runs whose transfers do not matter.
    pub(crate) fn transfer(hash: TxHash) -> Signed {
        Signed {
            hash,
            bytes: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// An output of account 0, for transfers whose input does not matter.
    pub(crate) fn coin() -> Coin {
        Coin {
            account: 0,
            outpoint: OutPoint {
                tx: TxHash([0; 32]),
                index: 0,
            },
            amount: 1,
        }
    }

    pub(crate) fn settings() -> Settings {
        Settings {
            nodes: 2,
            duration_secs: 1,
            tps: 10,
            double_spends: 1,
            accounts: 2,
            seed: 1,
            backend: BackendChoice::Cpu,
            single_signature: false,
            dir: PathBuf::from("devnet"),
            genesis_outputs: 8,
        }
    }

    pub(crate) fn facts(digest: u8) -> NodeFacts {
        NodeFacts {
            peer_id: "p".into(),
            api: "127.0.0.1:1".into(),
            status: Some(pb::NodeStatus {
                utxo_digest: vec![digest; 32],
                peers: vec![pb::Peer::default()],
                backends: vec![pb::Backend {
                    name: "cpu".into(),
                    signatures: 10,
                    ..Default::default()
                }],
                ..Default::default()
            }),
            rss_peak_kib: 2048,
            rss_last_kib: 1024,
            rss_half_load_kib: Some(1024),
            rss_end_load_kib: 1024,
        }
    }

    #[test]
    fn checks_pass_and_fail() {
        let mut tracker = Tracker::new(2, Pool::new(1));
        tracker.sent(coin(), transfer(TxHash([1; 32])), 0, 0);
        tracker.on_accepted(0, TxHash([1; 32]), 10);
        tracker.on_accepted(1, TxHash([1; 32]), 20);
        let mut d = DoubleSpend::new(
            OutPoint {
                tx: TxHash([2; 32]),
                index: 0,
            },
            [TxHash([3; 32]), TxHash([4; 32])],
            [0, 1],
            2,
        );
        d.accepted = vec![[true, false]; 2];
        tracker.double_spend(d.clone());
        let good = Summary::build(settings(), 1.0, 1, &tracker, vec![facts(7), facts(7)], &[]);
        assert!(good.ok, "{:?}", good.failures);
        assert!(good.double_spend_checks.passed);
        assert_eq!(good.totals.accepted, 1);
        assert_eq!(good.latency_ms.p50, 20);
        assert_eq!(good.nodes[1].backend, "cpu");
        // Flat memory over the load's second half; then 1,000 KiB more over half a second.
        assert_eq!(good.nodes[0].rss_growth_kib_per_s, Some(0.0));
        let growing = NodeFacts {
            rss_half_load_kib: Some(1000),
            rss_end_load_kib: 2000,
            ..facts(7)
        };
        let grown = Summary::build(settings(), 1.0, 1, &tracker, vec![growing, facts(7)], &[]);
        assert_eq!(grown.nodes[0].rss_growth_kib_per_s, Some(2000.0));
        let unsampled = NodeFacts {
            rss_half_load_kib: None,
            ..facts(7)
        };
        let short = Summary::build(settings(), 1.0, 1, &tracker, vec![unsampled, facts(7)], &[]);
        assert_eq!(short.nodes[0].rss_growth_kib_per_s, None);
        let mut table = Vec::new();
        good.write_table(&mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.contains("result      OK"), "{table}");
        assert!(table.contains("2.0 MiB"), "{table}");
        let json = serde_json::to_value(&good).unwrap();
        // Event counts are flattened into the node's row (none here: no events were fed).
        assert_eq!(json["nodes"][0]["accepted"], 0);
        assert_eq!(json["nodes"][0]["peers"], 1);
        assert_eq!(json["double_spend_checks"]["passed"], true);
        assert_eq!(json["nodes"][0]["audits"], 0);

        // A device answer that differed from the CPU's fails the run.
        let mut audited = facts(7);
        if let Some(status) = audited.status.as_mut() {
            status.backends[0].audits = 5;
            status.backends[0].audit_mismatches = 1;
        }
        let differed = Summary::build(settings(), 1.0, 1, &tracker, vec![audited, facts(7)], &[]);
        assert!(!differed.ok);
        assert_eq!(differed.nodes[0].audits, 5);
        assert!(
            differed
                .failures
                .iter()
                .any(|f| f.contains("1 of 5 audited device answers differed")),
            "{:?}",
            differed.failures
        );
        let mut table = Vec::new();
        differed.write_table(&mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.contains("audit       5 device answers recomputed on the CPU, 1 differed"));

        d.accepted[1] = [false, true];
        tracker.double_spend(d);
        let bad = Summary::build(settings(), 1.0, 1, &tracker, vec![facts(7), facts(8)], &[]);
        assert!(!bad.ok);
        assert!(!bad.utxo_digests_equal);
        assert_eq!(bad.double_spend_checks.violations, 1);
        assert!(
            bad.failures
                .iter()
                .any(|f| f.contains("DOUBLE SPEND VIOLATION"))
        );
        assert!(
            bad.failures
                .iter()
                .any(|f| f.contains("UTXO DIGESTS DIFFER"))
        );
    }
}
