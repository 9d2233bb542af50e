//! The signature batcher: queues transactions' signatures into one [`SigBatch`] and verifies
//! them with a single accelerator call when enough are queued or the oldest has waited long
//! enough, then maps the [`ramjet_accel::Verdicts`] back to transactions.

use std::collections::HashSet;
use std::time::Instant;

use ramjet_accel::{Accelerator, Op, SigBatch};

use crate::metrics::NodeMetrics;
use crate::tx::{Transaction, TxHash};

use super::LedgerError;

/// A transaction waiting for its signatures to be verified.
#[derive(Debug, Clone)]
pub(crate) struct QueuedTx {
    pub(crate) hash: TxHash,
    /// Arrival order at this node.
    pub(crate) seq: u64,
    pub(crate) tx: Transaction,
}

/// A verified transaction: `Ok` if every signature is valid, else the first bad input.
pub(crate) type Checked = (QueuedTx, Result<(), usize>);

/// Queued transactions, in arrival order, and the time the oldest arrived.
#[derive(Debug)]
pub(crate) struct Batcher {
    max_signatures: usize,
    deadline_ms: u64,
    queue: Vec<QueuedTx>,
    hashes: HashSet<TxHash>,
    signatures: usize,
    oldest_ms: Option<u64>,
}

impl Batcher {
    pub(crate) fn new(max_signatures: usize, deadline_ms: u64) -> Self {
        Self {
            max_signatures,
            deadline_ms,
            queue: Vec::new(),
            hashes: HashSet::new(),
            signatures: 0,
            oldest_ms: None,
        }
    }

    /// Queues `tx` (arrived at `now_ms`).
    pub(crate) fn push(&mut self, queued: QueuedTx, now_ms: u64) {
        self.signatures += queued.tx.inputs.len();
        self.oldest_ms.get_or_insert(now_ms);
        self.hashes.insert(queued.hash);
        self.queue.push(queued);
    }

    pub(crate) fn contains(&self, hash: &TxHash) -> bool {
        self.hashes.contains(hash)
    }

    pub(crate) fn get(&self, hash: &TxHash) -> Option<&Transaction> {
        if !self.contains(hash) {
            return None;
        }
        self.queue.iter().find(|q| q.hash == *hash).map(|q| &q.tx)
    }

    /// When the queue must be flushed: at once (the oldest arrival) if full, else the oldest
    /// arrival plus the deadline; `None` if empty.
    pub(crate) fn due_at(&self) -> Option<u64> {
        let oldest = self.oldest_ms?;
        Some(if self.signatures >= self.max_signatures {
            oldest
        } else {
            oldest.saturating_add(self.deadline_ms)
        })
    }

    pub(crate) fn is_due(&self, now_ms: u64) -> bool {
        self.due_at().is_some_and(|due| due <= now_ms)
    }

    /// Verifies every queued signature in one accelerator call and empties the queue. On an
    /// error the queue is left as it was. With `metrics`, the call's size and wall-clock
    /// latency are recorded under the backend the accelerator routes it to.
    pub(crate) fn flush(
        &mut self,
        accel: &Accelerator,
        metrics: Option<&NodeMetrics>,
    ) -> Result<Vec<Checked>, LedgerError> {
        if self.queue.is_empty() {
            return Ok(Vec::new());
        }
        let mut batch = SigBatch::with_capacity(self.signatures, self.signatures * 32);
        for queued in &self.queue {
            queued.tx.append_to_sig_batch(&mut batch);
        }
        // The route is asked just before the call, which takes the same one. A call redone on
        // the CPU after a device fault stays under the device (the accelerator counts those in
        // `ramjet_accel_fallbacks_total`). Timing reads the clock, but only for the metric.
        let timed = metrics.map(|m| {
            let backend = accel.route_of(Op::Ed25519Verify, batch.len());
            (m, backend, Instant::now())
        });
        let verdicts = accel.ed25519_verify(&batch)?;
        if let Some((metrics, backend, start)) = timed {
            metrics.record_sig_batch(&backend, batch.len(), start.elapsed().as_secs_f64());
        }
        if verdicts.len() != batch.len() {
            return Err(LedgerError::VerdictCount {
                expected: batch.len(),
                actual: verdicts.len(),
            });
        }
        let mut offset = 0;
        let checked = std::mem::take(&mut self.queue)
            .into_iter()
            .map(|queued| {
                let n = queued.tx.inputs.len();
                let verdict = match verdicts.0[offset..offset + n].iter().position(|ok| !ok) {
                    None => Ok(()),
                    Some(input) => Err(input),
                };
                offset += n;
                (queued, verdict)
            })
            .collect();
        self.hashes.clear();
        self.signatures = 0;
        self.oldest_ms = None;
        Ok(checked)
    }
}
