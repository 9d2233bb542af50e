//! The node's Prometheus metrics, [`NodeMetrics`], and their HTTP endpoint, [`serve`].
//!
//! `NodeMetrics` is registered on a registry the caller injects: in the node, the
//! accelerator's ([`ramjet_accel::Accelerator::registry`]), so that one scrape shows the node's
//! metrics (`ramjet_node_*`) next to the accelerator's (`ramjet_accel_*`); tests build their
//! own. Every label takes its values from a small fixed set (transaction states, gossip topics,
//! directions and verdicts, trust buckets) or from the accelerator's backend ids, so the number
//! of series stays bounded whatever peers send.
//!
//! Who records what: the node's driver feeds the metrics from its inputs and from what the
//! [`crate::protocol::ProtocolNode`] returns (`on_submit`, `on_gossip_in`, `on_publish`,
//! `on_event`, `on_flush`, and the `set_*` gauges); the ledger's signature batcher records each
//! batch itself, once given the metrics ([`crate::ledger::Ledger::set_metrics`],
//! [`crate::protocol::ProtocolNode::set_metrics`]). Every metric is listed in `docs/metrics.md`.

mod conflicts;
mod serve;

pub use serve::serve;

use std::sync::{Arc, Mutex, PoisonError};

use prometheus::core::Collector;
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

use crate::net::Topic;
use crate::protocol::{Acceptance, Invalid, NodeEvent};
use crate::{NodeError, Result};

use conflicts::OpenConflicts;

/// Every metric name starts with `ramjet_node_`.
const NAMESPACE: &str = "ramjet";
const SUBSYSTEM: &str = "node";

/// The `topic` label's values; a topic the driver names otherwise is counted as `other`.
const TOPICS: [&str; 3] = ["tx", "obs", "meta"];
/// The `verdict` label's values of incoming messages (outgoing ones are `published`).
const VERDICTS_IN: [&str; 4] = ["accept", "reject", "ignore", "deferred"];
/// The `reason` of `gossip_invalid_total` for a message that does not decode (the others are
/// [`Invalid::label`]s).
const MALFORMED: &str = "malformed";
/// Outcomes of a repair fetch.
const REPAIR_OUTCOMES: [&str; 3] = ["fetched", "not_found", "failed"];
/// The `le` label of `peer_trust`: upper bounds over the trust range [-1, 1], and `+Inf`.
const TRUST_BUCKETS: [(f64, &str); 7] = [
    (-0.5, "-0.5"),
    (0.0, "0"),
    (0.25, "0.25"),
    (0.5, "0.5"),
    (0.75, "0.75"),
    (1.0, "1"),
    (f64::INFINITY, "+Inf"),
];

/// The node's metrics: cheap to clone (every field is a handle on a registered metric).
#[derive(Clone, Debug)]
pub struct NodeMetrics {
    submitted: IntCounter,
    accepted: IntCounter,
    rejected: IntCounter,
    pending: IntGauge,
    sig_batch_size: HistogramVec,
    sig_batch_seconds: HistogramVec,
    flushes: IntCounter,
    flush_leaves: Histogram,
    conflicts_detected: IntCounter,
    conflicts_decided: IntCounter,
    equivocations: IntCounter,
    peers: IntGauge,
    peer_trust: IntGaugeVec,
    convicted_peers: IntGauge,
    gossip_messages: IntCounterVec,
    gossip_bytes: IntCounterVec,
    gossip_invalid: IntCounterVec,
    repairs: IntCounterVec,
    paused: IntGauge,
    /// Outpoints of the conflicts counted as detected and not decided yet, so that a third
    /// spender joining a conflict does not count it again.
    open_conflicts: Arc<Mutex<OpenConflicts>>,
}

impl NodeMetrics {
    /// Creates the metrics and registers them on `registry`; fails with
    /// [`NodeError::Metrics`] if a name is already taken there (registered twice).
    pub fn register(registry: &Registry) -> Result<NodeMetrics> {
        let counter =
            |name: &str, help: &str| register(registry, IntCounter::with_opts(opts(name, help)));
        let gauge =
            |name: &str, help: &str| register(registry, IntGauge::with_opts(opts(name, help)));

        let transactions = register(
            registry,
            IntCounterVec::new(
                opts(
                    "transactions_total",
                    "Transactions by state reached: submitted by clients, accepted (committed), rejected (final)",
                ),
                &["state"],
            ),
        )?;
        let sig_batch_size = register(
            registry,
            HistogramVec::new(
                histogram_opts(
                    "sig_batch_size",
                    "Signatures per batched Ed25519 verification, by the accelerator backend routed to",
                    prometheus::exponential_buckets(1.0, 2.0, 14),
                )?,
                &["backend"],
            ),
        )?;
        let sig_batch_seconds = register(
            registry,
            HistogramVec::new(
                histogram_opts(
                    "sig_batch_seconds",
                    "Latency of a batched Ed25519 verification in seconds, by the accelerator backend routed to",
                    prometheus::exponential_buckets(1e-5, 4.0, 12),
                )?,
                &["backend"],
            ),
        )?;
        let flush_leaves = register(
            registry,
            Histogram::with_opts(histogram_opts(
                "observation_flush_leaves",
                "Observations (Merkle leaves) per flush of the observation buffer",
                prometheus::exponential_buckets(1.0, 2.0, 17),
            )?),
        )?;
        let peer_trust = register(
            registry,
            IntGaugeVec::new(
                opts(
                    "peer_trust",
                    "Peers whose current direct-trust score is at most `le` (cumulative, like histogram buckets; scores lie in [-1, 1])",
                ),
                &["le"],
            ),
        )?;
        let gossip_messages = register(
            registry,
            IntCounterVec::new(
                opts(
                    "gossip_messages_total",
                    "Gossip messages by topic, direction and verdict (in: accept, reject, ignore, deferred; out: published)",
                ),
                &["topic", "direction", "verdict"],
            ),
        )?;
        let gossip_bytes = register(
            registry,
            IntCounterVec::new(
                opts(
                    "gossip_bytes_total",
                    "Bytes of gossip message payloads by topic and direction",
                ),
                &["topic", "direction"],
            ),
        )?;
        let gossip_invalid = register(
            registry,
            IntCounterVec::new(
                opts(
                    "gossip_invalid_total",
                    "Gossip messages judged invalid (rejected, the sender penalised), by topic and reason: malformed (does not decode) or the fault found",
                ),
                &["topic", "reason"],
            ),
        )?;

        let repairs = register(
            registry,
            IntCounterVec::new(
                opts(
                    "repairs_total",
                    "Transactions fetched because a peer's observations named them and this node had never handled them, by outcome (fetched, not_found, failed)",
                ),
                &["outcome"],
            ),
        )?;

        // Every fixed label combination exists from the start, so a scrape shows zeros rather
        // than missing series.
        for (_, le) in TRUST_BUCKETS {
            peer_trust.with_label_values(&[le]).set(0);
        }
        for topic in TOPICS {
            for verdict in VERDICTS_IN {
                gossip_messages.with_label_values(&[topic, "in", verdict]);
            }
            gossip_messages.with_label_values(&[topic, "out", "published"]);
            gossip_bytes.with_label_values(&[topic, "in"]);
            gossip_bytes.with_label_values(&[topic, "out"]);
            gossip_invalid.with_label_values(&[topic, MALFORMED]);
        }
        for reason in Invalid::LABELS {
            let topic = if reason.starts_with("tx_") {
                "tx"
            } else {
                "obs"
            };
            gossip_invalid.with_label_values(&[topic, reason]);
        }
        for outcome in REPAIR_OUTCOMES {
            repairs.with_label_values(&[outcome]);
        }

        Ok(NodeMetrics {
            submitted: transactions.with_label_values(&["submitted"]),
            accepted: transactions.with_label_values(&["accepted"]),
            rejected: transactions.with_label_values(&["rejected"]),
            pending: gauge(
                "transactions_pending",
                "Transactions Pending or Conflicted in the ledger (verified, not final)",
            )?,
            sig_batch_size,
            sig_batch_seconds,
            flushes: counter(
                "observation_flushes_total",
                "Flushes of the observation buffer into a signed root",
            )?,
            flush_leaves,
            conflicts_detected: counter(
                "conflicts_detected_total",
                "Conflicts detected: outpoints seen spent by two or more transactions",
            )?,
            conflicts_decided: counter(
                "conflicts_decided_total",
                "Conflicts decided at the end of their window",
            )?,
            equivocations: counter(
                "equivocations_total",
                "Nodes convicted of equivocation (first conviction of each node here)",
            )?,
            peers: gauge("peers", "Connected peers")?,
            peer_trust,
            convicted_peers: gauge(
                "convicted_peers",
                "Peers convicted of equivocation, weight 0 in conflict decisions",
            )?,
            gossip_messages,
            gossip_invalid,
            gossip_bytes,
            repairs,
            paused: gauge(
                "decisions_paused",
                "1 while the node pauses its final decisions because it may be missing messages (dropped under load, or being repaired), else 0",
            )?,
            open_conflicts: Arc::new(Mutex::new(OpenConflicts::default())),
        })
    }

    /// The `topic` label of a gossip topic: `tx`, `obs` or `meta`.
    pub fn topic_label(topic: Topic) -> &'static str {
        match topic {
            Topic::Tx => "tx",
            Topic::Obs => "obs",
            Topic::Meta => "meta",
        }
    }

    /// `n` transactions submitted by clients.
    pub fn on_submit(&self, n: usize) {
        self.submitted.inc_by(n as u64);
    }

    /// A gossip message of `bytes` received on `topic` (`tx`, `obs` or `meta`, see
    /// [`Self::topic_label`]; anything else is counted as `other`), and the node's verdict on it.
    pub fn on_gossip_in(&self, topic: &str, bytes: usize, acceptance: &Acceptance) {
        let topic = bounded_topic(topic);
        let verdict = match acceptance {
            Acceptance::Accept => "accept",
            Acceptance::Reject(invalid) => {
                self.on_invalid(topic, invalid);
                "reject"
            }
            Acceptance::Ignore => "ignore",
            Acceptance::Deferred => "deferred",
        };
        self.gossip_messages
            .with_label_values(&[topic, "in", verdict])
            .inc();
        self.gossip_bytes
            .with_label_values(&[topic, "in"])
            .inc_by(bytes as u64);
    }

    /// A gossip message of `bytes` on `topic` that is not a message at all (it does not decode,
    /// or came on the wrong topic): counted as rejected.
    pub fn on_malformed(&self, topic: &str, bytes: usize) {
        let topic = bounded_topic(topic);
        self.gossip_messages
            .with_label_values(&[topic, "in", "reject"])
            .inc();
        self.gossip_invalid
            .with_label_values(&[topic, MALFORMED])
            .inc();
        self.gossip_bytes
            .with_label_values(&[topic, "in"])
            .inc_by(bytes as u64);
    }

    /// A gossip message on `topic` judged invalid, counted by its fault: called by
    /// [`Self::on_gossip_in`] for a verdict given at once, and by the driver for a deferred
    /// transaction's later verdict (which [`Self::on_gossip_in`] counted as `deferred`).
    pub fn on_invalid(&self, topic: &str, invalid: &Invalid) {
        self.gossip_invalid
            .with_label_values(&[bounded_topic(topic), invalid.label()])
            .inc();
    }

    /// A message of `bytes` this node published on `topic` (as in [`Self::on_gossip_in`]).
    pub fn on_publish(&self, topic: &str, bytes: usize) {
        let topic = bounded_topic(topic);
        self.gossip_messages
            .with_label_values(&[topic, "out", "published"])
            .inc();
        self.gossip_bytes
            .with_label_values(&[topic, "out"])
            .inc_by(bytes as u64);
    }

    /// An event of the node: a transaction accepted or rejected, a conflict detected (once per
    /// outpoint while it is open: a third spender does not count it again) or decided, a node
    /// convicted of equivocation.
    pub fn on_event(&self, event: &NodeEvent) {
        match event {
            NodeEvent::Accepted { .. } => self.accepted.inc(),
            NodeEvent::Rejected { .. } => self.rejected.inc(),
            NodeEvent::Conflict { outpoint, .. } => {
                if self.open_conflicts().open(*outpoint) {
                    self.conflicts_detected.inc();
                }
            }
            NodeEvent::Decided { outpoint, .. } => {
                self.open_conflicts().close(outpoint);
                self.conflicts_decided.inc();
            }
            NodeEvent::Equivocation { .. } => self.equivocations.inc(),
        }
    }

    /// A repair fetch ended: `fetched` (the transaction came and was handed to the node),
    /// `not_found` (the peer did not have it) or `failed` (timeout, network error, or an answer
    /// that was not the transaction asked for); anything else counts as `failed`.
    pub fn on_repair(&self, outcome: &str) {
        let outcome = REPAIR_OUTCOMES
            .into_iter()
            .find(|o| *o == outcome)
            .unwrap_or("failed");
        self.repairs.with_label_values(&[outcome]).inc();
    }

    /// Whether the node's final decisions are paused now.
    pub fn set_paused(&self, paused: bool) {
        self.paused.set(i64::from(paused));
    }

    /// A flush of the observation buffer into a root over `leaves` observations.
    pub fn on_flush(&self, leaves: usize) {
        self.flushes.inc();
        self.flush_leaves.observe(leaves as f64);
    }

    /// Transactions Pending or Conflicted now.
    pub fn set_pending(&self, n: usize) {
        self.pending.set(gauge_value(n));
    }

    /// Peers connected now.
    pub fn set_peers(&self, n: usize) {
        self.peers.set(gauge_value(n));
    }

    /// The current direct-trust scores of the peers (one per peer, any order) and how many
    /// peers are convicted. Every `peer_trust` bucket is recomputed: a peer counts in each
    /// bucket whose bound is at least its score; `+Inf` counts every peer.
    pub fn set_trust(&self, scores: &[f64], convicted: usize) {
        for (bound, le) in TRUST_BUCKETS {
            let count = if bound.is_infinite() {
                scores.len()
            } else {
                scores.iter().filter(|score| **score <= bound).count()
            };
            self.peer_trust
                .with_label_values(&[le])
                .set(gauge_value(count));
        }
        self.convicted_peers.set(gauge_value(convicted));
    }

    /// One batched signature verification: `signatures` verified by `backend` (an accelerator
    /// backend id, [`ramjet_accel::Accelerator::route_of`]) in `seconds`.
    pub fn record_sig_batch(&self, backend: &str, signatures: usize, seconds: f64) {
        self.sig_batch_size
            .with_label_values(&[backend])
            .observe(signatures as f64);
        self.sig_batch_seconds
            .with_label_values(&[backend])
            .observe(seconds);
    }

    fn open_conflicts(&self) -> std::sync::MutexGuard<'_, OpenConflicts> {
        // The set holds no invariant a panic elsewhere could break.
        self.open_conflicts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help)
        .namespace(NAMESPACE)
        .subsystem(SUBSYSTEM)
}

fn histogram_opts(
    name: &str,
    help: &str,
    buckets: prometheus::Result<Vec<f64>>,
) -> Result<HistogramOpts> {
    Ok(HistogramOpts::new(name, help)
        .namespace(NAMESPACE)
        .subsystem(SUBSYSTEM)
        .buckets(buckets.map_err(NodeError::Metrics)?))
}

/// Registers a freshly built metric and returns a handle on it.
fn register<C: Collector + Clone + 'static>(
    registry: &Registry,
    metric: prometheus::Result<C>,
) -> Result<C> {
    let metric = metric.map_err(NodeError::Metrics)?;
    registry
        .register(Box::new(metric.clone()))
        .map_err(NodeError::Metrics)?;
    Ok(metric)
}

fn bounded_topic(topic: &str) -> &'static str {
    TOPICS
        .into_iter()
        .find(|known| *known == topic)
        .unwrap_or("other")
}

fn gauge_value(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::tx::{OutPoint, TxHash};

    fn scrape(registry: &Registry) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .unwrap()
    }

    fn outpoint(byte: u8) -> OutPoint {
        OutPoint {
            tx: TxHash([byte; 32]),
            index: 0,
        }
    }

    #[test]
    fn registering_twice_on_one_registry_fails() {
        let registry = Registry::new();
        NodeMetrics::register(&registry).unwrap();
        let err = NodeMetrics::register(&registry).unwrap_err();
        assert!(matches!(err, NodeError::Metrics(_)), "{err:?}");
    }

    #[test]
    fn a_conflict_counts_once_until_decided() {
        let registry = Registry::new();
        let metrics = NodeMetrics::register(&registry).unwrap();
        let conflict = |byte| NodeEvent::Conflict {
            outpoint: outpoint(byte),
            spenders: Vec::new(),
        };
        metrics.on_event(&conflict(1));
        // A third spender of the same outpoint.
        metrics.on_event(&conflict(1));
        metrics.on_event(&conflict(2));
        metrics.on_event(&NodeEvent::Decided {
            outpoint: outpoint(1),
            winner: TxHash([9; 32]),
            support: Default::default(),
        });
        let text = scrape(&registry);
        assert!(
            text.contains("\nramjet_node_conflicts_detected_total 2\n"),
            "{text}"
        );
        assert!(
            text.contains("\nramjet_node_conflicts_decided_total 1\n"),
            "{text}"
        );
    }

    #[test]
    fn trust_buckets_are_cumulative_and_reset_on_each_call() {
        let registry = Registry::new();
        let metrics = NodeMetrics::register(&registry).unwrap();
        metrics.set_trust(&[1.0, 1.0, 1.0, 1.0], 0);
        metrics.set_trust(&[-1.0, -0.2, 0.5, 0.9], 1);
        let text = scrape(&registry);
        for (le, count) in [
            ("-0.5", 1),
            ("0", 2),
            ("0.25", 2),
            ("0.5", 3),
            ("0.75", 3),
            ("1", 4),
            ("+Inf", 4),
        ] {
            let line = format!("\nramjet_node_peer_trust{{le=\"{le}\"}} {count}\n");
            assert!(text.contains(&line), "{line} missing in {text}");
        }
        assert!(text.contains("\nramjet_node_convicted_peers 1\n"), "{text}");
    }

    #[test]
    fn unknown_topics_are_counted_as_other() {
        let registry = Registry::new();
        let metrics = NodeMetrics::register(&registry).unwrap();
        metrics.on_publish("ramjet/x/tx/1", 10);
        metrics.on_publish(NodeMetrics::topic_label(Topic::Obs), 7);
        let text = scrape(&registry);
        assert!(
            text.contains(
                "\nramjet_node_gossip_messages_total{direction=\"out\",topic=\"other\",verdict=\"published\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("\nramjet_node_gossip_bytes_total{direction=\"out\",topic=\"obs\"} 7\n"),
            "{text}"
        );
    }
}
