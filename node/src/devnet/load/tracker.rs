//! What the run has seen: transfers in flight and their finality, refusals, per-node event
//! counts and double-spend attempts ([`Tracker`]), fed by the submitters' answers and the
//! nodes' event streams.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::double_spend::DoubleSpend;
use super::{Coin, MAX_REASONS, Pool, Signed};
use crate::api::pb;
use crate::tx::{OutPoint, TxHash};

/// Per node, what its event stream said.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct NodeCounts {
    /// `Accepted` events.
    pub accepted: u64,
    /// `Rejected` events.
    pub rejected: u64,
    /// `Conflict` events.
    pub conflicts: u64,
    /// `Decided` events.
    pub decided: u64,
    /// `Equivocation` events.
    pub equivocations: u64,
}

/// A transfer sent and not yet accepted on every node.
#[derive(Debug)]
struct InFlight {
    node: usize,
    submit_ms: u64,
    /// The output it spends: back to the pool if the node refuses the transfer unseen.
    input: Coin,
    /// Its encoding, to send again if the node refuses it unseen.
    bytes: Vec<u8>,
    outputs: Vec<Coin>,
    accepted_at: Vec<Option<u64>>,
    accepted: usize,
    released: bool,
    /// Some node's acceptance was read back ([`Tracker::read_back`]), not seen as an event
    /// with its time: no latency is known.
    read_back: bool,
}

/// What becomes of a refused transfer's input.
#[derive(Clone, Copy)]
enum InputBack {
    /// The node may have taken the transfer: the input is not spent again.
    Lost,
    /// Unspent, back to the pool; the transfer was invalid, so a new one is signed for it.
    Output,
    /// Unspent, back to the pool with the transfer, which is sent again as it is: the node
    /// refused the whole call unseen (overloaded, say).
    WithTransfer,
}

/// Everything the run has seen: the pool, transfers in flight, latencies, counts, double
/// spends.
#[derive(Debug)]
pub struct Tracker {
    /// Number of nodes.
    pub(super) nodes: usize,
    /// The spendable outputs.
    pub pool: Pool,
    in_flight: HashMap<TxHash, InFlight>,
    double_spend_of: HashMap<TxHash, (usize, usize)>,
    /// Every double-spend attempt.
    pub double_spends: Vec<DoubleSpend>,
    /// Finality latency of each transfer accepted on every node, in ms.
    pub latencies: Vec<u64>,
    /// Per node, its events.
    pub per_node: Vec<NodeCounts>,
    /// Transfers sent (double spends not counted).
    pub submitted: u64,
    /// Transfers accepted on every node.
    pub finalized: u64,
    /// Transfers the node they were sent to refused at submission (or the call failed).
    pub refused: u64,
    /// Transfers the node they were sent to rejected later.
    pub rejected: u64,
    /// Why transfers were refused: reason → count (the first few reasons).
    pub refusal_reasons: BTreeMap<String, u64>,
    /// Outputs some node reported a conflict on.
    pub conflicts: HashSet<OutPoint>,
    /// Outputs some node decided a conflict on.
    pub decided: HashSet<OutPoint>,
    /// Load ticks that found no spendable output.
    pub starved: u64,
    /// Inputs of refused transfers put back in the pool.
    pub recycled: u64,
    /// Event streams that failed or ended while the run needed them.
    pub stream_errors: Vec<String>,
    /// Per node, how many times its event stream lagged (the node dropped events for this
    /// slow client) and was opened again.
    pub lags: Vec<u64>,
    /// Per node, whether events may have been lost since its last read-back
    /// ([`Self::take_gaps`]).
    gaps: Vec<bool>,
    /// Transfers accepted on every node whose acceptance somewhere was read back with
    /// GetTransaction after a lag: final, but left out of [`Self::latencies`].
    pub finalized_read_back: u64,
    /// Set once the run is over: streams ending then are expected.
    pub closing: bool,
}

impl Tracker {
    /// A tracker for `nodes` nodes and the wallet's `pool`.
    pub fn new(nodes: usize, pool: Pool) -> Self {
        Self {
            nodes,
            pool,
            in_flight: HashMap::new(),
            double_spend_of: HashMap::new(),
            double_spends: Vec::new(),
            latencies: Vec::new(),
            per_node: vec![NodeCounts::default(); nodes],
            submitted: 0,
            finalized: 0,
            refused: 0,
            rejected: 0,
            refusal_reasons: BTreeMap::new(),
            conflicts: HashSet::new(),
            decided: HashSet::new(),
            starved: 0,
            recycled: 0,
            stream_errors: Vec::new(),
            lags: vec![0; nodes],
            gaps: vec![false; nodes],
            finalized_read_back: 0,
            closing: false,
        }
    }

    /// Transfers sent and not yet accepted on every node (nor refused or rejected).
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Double spends not yet accepted (one side or the other) on every node.
    pub fn unresolved_double_spends(&self) -> usize {
        self.double_spends
            .iter()
            .filter(|d| {
                d.refused != [true, true] && d.accepted.iter().any(|a| a == &[false, false])
            })
            .count()
    }

    /// Records that `transfer`, spending `input`, is being sent to `node` at `submit_ms`.
    pub fn sent(&mut self, input: Coin, transfer: Signed, node: usize, submit_ms: u64) {
        self.submitted += 1;
        self.in_flight.insert(
            transfer.hash,
            InFlight {
                node,
                submit_ms,
                input,
                bytes: transfer.bytes,
                outputs: transfer.outputs,
                accepted_at: vec![None; self.nodes],
                accepted: 0,
                released: false,
                read_back: false,
            },
        );
    }

    /// Records a double-spend attempt; returns its index.
    pub fn double_spend(&mut self, attempt: DoubleSpend) -> usize {
        let index = self.double_spends.len();
        for (side, hash) in attempt.txs.iter().enumerate() {
            self.double_spend_of.insert(*hash, (index, side));
        }
        self.double_spends.push(attempt);
        index
    }

    /// The answer to a submission of `hash`: refused when `error` is set or the state is
    /// REJECTED. The transfer is dropped; its input goes back to the pool when the answer says
    /// the node did not take the transfer (REJECTED at once: no event follows, the input is
    /// unspent; the wallet signs a new transfer for it, since the node found this one invalid).
    /// Other errors (already known, no result) leave the input's fate unknown: it
    /// is not reused, since spending it again could be a double spend.
    pub fn submit_answer(&mut self, hash: &TxHash, state: pb::TxState, error: &str) {
        let input = if state == pb::TxState::Rejected {
            InputBack::Output
        } else {
            InputBack::Lost
        };
        self.answer(hash, state, error, input);
    }

    fn answer(&mut self, hash: &TxHash, state: pb::TxState, error: &str, input: InputBack) {
        if let Some(&(index, side)) = self.double_spend_of.get(hash) {
            self.double_spends[index].refused[side] =
                !error.is_empty() || state == pb::TxState::Rejected;
            self.double_spends[index].submit_states[side] = if error.is_empty() {
                state_name(state).to_owned()
            } else {
                format!("{}: {error}", state_name(state))
            };
            return;
        }
        if !error.is_empty() || state == pb::TxState::Rejected {
            let Some(tx) = self.in_flight.remove(hash) else {
                return;
            };
            match input {
                InputBack::Lost => {}
                InputBack::Output => {
                    self.pool.push(tx.input);
                    self.recycled += 1;
                }
                InputBack::WithTransfer => {
                    let transfer = Signed {
                        hash: *hash,
                        bytes: tx.bytes,
                        outputs: tx.outputs,
                    };
                    self.pool.push_refused(tx.input, transfer);
                    self.recycled += 1;
                }
            }
            self.refused += 1;
            let reason = if error.is_empty() {
                state_name(state).to_owned()
            } else {
                error.to_owned()
            };
            self.note_reason(reason);
        }
    }

    /// A submission call failed with `code`: every transfer in it is refused. Their inputs go
    /// back to the pool, each with its transfer, when the code says the node refused the whole call before taking any
    /// transaction ([`refused_unseen`]: overloaded or rate-limited, say); after a timeout or a
    /// broken connection the node may have taken them, so they are not reused.
    pub fn submit_failed(&mut self, hashes: &[TxHash], code: tonic::Code, error: &str) {
        let input = if refused_unseen(code) {
            InputBack::WithTransfer
        } else {
            InputBack::Lost
        };
        for hash in hashes {
            self.answer(hash, pb::TxState::Unspecified, error, input);
        }
    }

    fn note_reason(&mut self, reason: String) {
        if let Some(count) = self.refusal_reasons.get_mut(&reason) {
            *count += 1;
        } else if self.refusal_reasons.len() < MAX_REASONS {
            self.refusal_reasons.insert(reason, 1);
        }
    }

    /// An event from node `node`'s stream.
    pub fn on_event(&mut self, node: usize, event: pb::Event) {
        use pb::event::Kind;
        let counts = &mut self.per_node[node];
        match event.kind {
            Some(Kind::Accepted(a)) => {
                counts.accepted += 1;
                if let Some(hash) = tx_hash(&a.tx_hash) {
                    self.on_accepted(node, hash, event.time_ms);
                }
            }
            Some(Kind::Rejected(r)) => {
                counts.rejected += 1;
                if let Some(hash) = tx_hash(&r.tx_hash) {
                    self.on_rejected(node, hash, &r.reason);
                }
            }
            Some(Kind::Conflict(c)) => {
                counts.conflicts += 1;
                if let Some(outpoint) = c.outpoint.as_ref().and_then(outpoint) {
                    self.conflicts.insert(outpoint);
                }
            }
            Some(Kind::Decided(d)) => {
                counts.decided += 1;
                if let Some(outpoint) = d.outpoint.as_ref().and_then(outpoint) {
                    self.decided.insert(outpoint);
                }
                if let Some(winner) = tx_hash(&d.winner)
                    && let Some(&(index, side)) = self.double_spend_of.get(&winner)
                {
                    self.double_spends[index].decided[node] = Some(side);
                }
            }
            Some(Kind::Equivocation(_)) => counts.equivocations += 1,
            None => {}
        }
    }

    /// Transfer `hash` was accepted on `node` at `time_ms`: its outputs become spendable when
    /// `node` is the one it was sent to; its latency is known once every node accepted it.
    pub fn on_accepted(&mut self, node: usize, hash: TxHash, time_ms: u64) {
        self.accept(node, hash, Some(time_ms));
    }

    /// `node`'s event stream lagged and has been opened again: events of `node` may be lost
    /// until the next [`Self::take_gaps`] and read-back.
    pub fn on_lag(&mut self, node: usize) {
        self.lags[node] += 1;
        self.gaps[node] = true;
    }

    /// Whether some node's stream lagged since the last [`Self::take_gaps`].
    pub fn has_gaps(&self) -> bool {
        self.gaps.iter().any(|&g| g)
    }

    /// The nodes whose streams lagged since the last call, flags cleared; with, for each, the
    /// transfers and double-spend sides not seen accepted there (at most `limit` in all): what
    /// to read back with GetTransaction.
    pub fn take_gaps(&mut self, limit: usize) -> Vec<(usize, TxHash)> {
        let mut wanted = Vec::new();
        for node in 0..self.nodes {
            if !std::mem::take(&mut self.gaps[node]) {
                continue;
            }
            let transfers = self
                .in_flight
                .iter()
                .filter(|(_, tx)| tx.accepted_at[node].is_none())
                .map(|(hash, _)| *hash);
            let sides = self
                .double_spends
                .iter()
                .flat_map(|d| d.txs.iter().zip(d.accepted[node]))
                .filter(|(_, accepted)| !accepted)
                .map(|(hash, _)| *hash);
            wanted.extend(transfers.chain(sides).map(|hash| (node, hash)));
        }
        wanted.truncate(limit);
        wanted
    }

    /// The state of `hash` on `node` as GetTransaction read it back after a lag: an ACCEPTED
    /// or REJECTED whose event was lost is applied (without a time: the transfer leaves the
    /// latency figures); other states change nothing, their events are still to come.
    pub fn read_back(&mut self, node: usize, hash: TxHash, state: pb::TxState) {
        match state {
            pb::TxState::Accepted => self.accept(node, hash, None),
            pb::TxState::Rejected => self.on_rejected(node, hash, "read back after a lag"),
            _ => {}
        }
    }

    fn accept(&mut self, node: usize, hash: TxHash, time_ms: Option<u64>) {
        if let Some(&(index, side)) = self.double_spend_of.get(&hash) {
            self.double_spends[index].accepted[node][side] = true;
            return;
        }
        let Some(tx) = self.in_flight.get_mut(&hash) else {
            return;
        };
        if tx.accepted_at[node].is_none() {
            tx.accepted_at[node] = Some(time_ms.unwrap_or(0));
            tx.accepted += 1;
            tx.read_back |= time_ms.is_none();
        }
        if node == tx.node && !tx.released {
            tx.released = true;
            for coin in tx.outputs.drain(..) {
                self.pool.push(coin);
            }
        }
        if tx.accepted == self.nodes {
            if tx.read_back {
                self.finalized_read_back += 1;
            } else {
                let last = tx.accepted_at.iter().flatten().max().copied().unwrap_or(0);
                self.latencies.push(last.saturating_sub(tx.submit_ms));
            }
            self.finalized += 1;
            self.in_flight.remove(&hash);
        }
    }

    /// Transfer `hash` was rejected on `node`: dropped if `node` is the one it was sent to.
    pub fn on_rejected(&mut self, node: usize, hash: TxHash, reason: &str) {
        if self.double_spend_of.contains_key(&hash) {
            return;
        }
        if self.in_flight.get(&hash).is_some_and(|tx| tx.node == node) {
            self.in_flight.remove(&hash);
            self.rejected += 1;
            self.note_reason(format!("rejected: {reason}"));
        }
    }
}

/// Whether a failed `SubmitTransactions` call with `code` was refused before the node took
/// any of its transactions (`docs/api.md`: overloaded or rate-limited, a batch too large, a
/// light node, a missing token), so that their inputs are still unspent. Not for deadlines,
/// cancellations, `UNAVAILABLE` or internal errors: the node may have queued them.
fn refused_unseen(code: tonic::Code) -> bool {
    use tonic::Code;
    matches!(
        code,
        Code::ResourceExhausted
            | Code::InvalidArgument
            | Code::FailedPrecondition
            | Code::Unauthenticated
            | Code::PermissionDenied
            | Code::Unimplemented
    )
}

/// A TxState's name as the API spells it, shortened (`PENDING`).
fn state_name(state: pb::TxState) -> &'static str {
    state
        .as_str_name()
        .strip_prefix("TX_STATE_")
        .unwrap_or("UNSPECIFIED")
}

fn tx_hash(bytes: &[u8]) -> Option<TxHash> {
    <[u8; 32]>::try_from(bytes).ok().map(TxHash)
}

fn outpoint(o: &pb::OutPoint) -> Option<OutPoint> {
    Some(OutPoint {
        tx: tx_hash(&o.tx_hash)?,
        index: o.index,
    })
}

#[cfg(test)]
mod tests {
    use super::super::double_spend::Verdict;
    use super::super::double_spend::tests::attempt;
    use super::super::tests::coin;
    use super::*;

    /// A transfer of hash `hash` creating `outputs` (its bytes are the hash's, for checks).
    fn signed(hash: TxHash, outputs: Vec<Coin>) -> Signed {
        Signed {
            hash,
            bytes: hash.0.to_vec(),
            outputs,
        }
    }

    fn accepted(hash: TxHash, time_ms: u64) -> pb::Event {
        pb::Event {
            time_ms,
            kind: Some(pb::event::Kind::Accepted(pb::Accepted {
                tx_hash: hash.0.to_vec(),
            })),
        }
    }

    #[test]
    fn a_lag_is_read_back_without_a_latency() {
        let mut t = Tracker::new(2, Pool::new(2));
        let (one, two) = (TxHash([1; 32]), TxHash([2; 32]));
        t.sent(coin(0, 8), signed(one, vec![coin(0, 9)]), 0, 1_000);
        t.sent(coin(1, 8), signed(two, vec![coin(1, 9)]), 1, 1_000);
        t.on_event(0, accepted(one, 1_100));
        t.on_event(1, accepted(two, 1_100));
        assert!(!t.has_gaps());
        assert!(t.take_gaps(10).is_empty());

        t.on_lag(0);
        assert!(t.has_gaps());
        // What node 0 has not been seen accepting: transfer two.
        assert_eq!(t.take_gaps(10), vec![(0, two)]);
        assert!(!t.has_gaps(), "taken");
        t.read_back(0, two, pb::TxState::Pending); // not final there yet: nothing
        assert_eq!(t.in_flight(), 2);
        t.read_back(0, two, pb::TxState::Accepted);
        assert_eq!((t.finalized, t.finalized_read_back), (1, 1));
        assert!(
            t.latencies.is_empty(),
            "no latency for a read-back transfer"
        );
        t.on_event(1, accepted(one, 1_300));
        assert_eq!((t.finalized, t.finalized_read_back), (2, 1));
        assert_eq!(t.latencies, vec![300]);
        assert_eq!(t.lags, vec![1, 0]);

        // A rejection read back on the node it was sent to drops the transfer.
        t.sent(coin(1, 20), signed(TxHash([3; 32]), vec![]), 1, 2_000);
        t.on_lag(1);
        assert_eq!(t.take_gaps(1), vec![(1, TxHash([3; 32]))]);
        t.read_back(1, TxHash([3; 32]), pb::TxState::Rejected);
        assert_eq!((t.in_flight(), t.rejected), (0, 1));
    }

    #[test]
    fn tracker_releases_outputs_and_measures_finality() {
        let mut t = Tracker::new(3, Pool::new(2));
        let out = coin(1, 9);
        t.sent(coin(1, 8), signed(TxHash([1; 32]), vec![out]), 1, 1_000);
        t.on_event(0, accepted(TxHash([1; 32]), 1_300));
        assert!(
            t.pool.is_empty(),
            "not spendable before the node it was sent to accepts it"
        );
        t.on_event(1, accepted(TxHash([1; 32]), 1_200));
        assert_eq!(t.pool.len(), 1);
        assert_eq!((t.in_flight(), t.finalized), (1, 0));
        t.on_event(1, accepted(TxHash([1; 32]), 1_250)); // a duplicate changes nothing
        t.on_event(2, accepted(TxHash([1; 32]), 1_450));
        assert_eq!((t.in_flight(), t.finalized), (0, 1));
        assert_eq!(t.latencies, vec![450]);
        assert_eq!(t.pool.len(), 1);
        assert_eq!(t.per_node[1].accepted, 2);

        // Refused at submission, rejected later: dropped, outputs never spendable; the input of
        // the one refused at once is spendable again, the other's is not.
        t.sent(
            coin(0, 20),
            signed(TxHash([2; 32]), vec![coin(0, 10)]),
            0,
            2_000,
        );
        t.submit_answer(&TxHash([2; 32]), pb::TxState::Rejected, "unknown input");
        t.sent(
            coin(0, 21),
            signed(TxHash([3; 32]), vec![coin(0, 11)]),
            2,
            2_000,
        );
        t.submit_answer(&TxHash([3; 32]), pb::TxState::Pending, "");
        t.on_rejected(0, TxHash([3; 32]), "elsewhere"); // not the node it was sent to
        assert_eq!(t.in_flight(), 1);
        t.on_rejected(2, TxHash([3; 32]), "bad");
        assert_eq!((t.in_flight(), t.refused, t.rejected), (0, 1, 1));
        assert_eq!(t.pool.len(), 2);
        let back = [t.pool.take().unwrap(), t.pool.take().unwrap()];
        assert!(
            back.contains(&out) && back.contains(&coin(0, 20)),
            "{back:?}"
        );
        assert_eq!(t.submitted, 3);
        assert_eq!(t.refusal_reasons.get("unknown input"), Some(&1));
    }

    /// The 240 s devnet run that starved: overloaded nodes refused whole batches with
    /// RESOURCE_EXHAUSTED, and every refused transfer took its input out of the wallet for
    /// good, until no output was left and the load stopped. A refused transfer's input must go
    /// back to the pool (and an accepted one's outputs come in), so that the wallet never runs
    /// dry however many calls are refused.
    #[test]
    fn refused_transfers_give_their_input_back() {
        let accounts = 4;
        let mut t = Tracker::new(2, Pool::new(accounts));
        for n in 0..8 {
            t.pool.push(coin(n % accounts, n as u8));
        }
        let mut next = 0u32;
        let mut hash = || {
            next += 1;
            let mut h = [0xee; 32];
            h[..4].copy_from_slice(&next.to_le_bytes());
            TxHash(h)
        };
        // 40 rounds of 8 transfers in one batch; three calls out of four refused as a whole.
        for round in 0..40 {
            let coins: Vec<Coin> = std::iter::from_fn(|| t.pool.take()).take(8).collect();
            assert_eq!(coins.len(), 8, "round {round}: the wallet ran dry");
            let mut hashes = Vec::new();
            for c in coins {
                let h = hash();
                let change = Coin {
                    outpoint: OutPoint { tx: h, index: 0 },
                    ..c
                };
                t.sent(c, signed(h, vec![change]), 0, 0);
                hashes.push(h);
            }
            if round % 4 == 0 {
                for h in hashes {
                    t.submit_answer(&h, pb::TxState::Pending, "");
                    t.on_accepted(0, h, 10);
                    t.on_accepted(1, h, 10);
                }
            } else {
                t.submit_failed(&hashes, tonic::Code::ResourceExhausted, "node overloaded");
            }
        }
        assert_eq!(t.pool.len(), 8);
        assert_eq!((t.refused, t.recycled, t.finalized), (240, 240, 80));
        assert_eq!(t.in_flight(), 0);

        // REJECTED at once: the node never took it, the input is unspent.
        let h = hash();
        let input = t.pool.take().unwrap();
        t.sent(input, signed(h, vec![]), 1, 0);
        t.submit_answer(&h, pb::TxState::Rejected, "stateless checks: no inputs");
        assert_eq!(t.pool.len(), 8);

        // A timeout, a broken connection, "already known" or a missing result: the node may
        // have taken the transfer, so its input is not spent a second time.
        for (code, error) in [
            (tonic::Code::DeadlineExceeded, "deadline"),
            (tonic::Code::Unavailable, "connection reset"),
            (tonic::Code::Unknown, "?"),
        ] {
            let (h, input) = (hash(), t.pool.take().unwrap());
            t.sent(input, signed(h, vec![]), 0, 0);
            t.submit_failed(&[h], code, error);
        }
        for error in ["already known", "no result returned"] {
            let (h, input) = (hash(), t.pool.take().unwrap());
            t.sent(input, signed(h, vec![]), 0, 0);
            t.submit_answer(&h, pb::TxState::Unspecified, error);
        }
        assert_eq!(t.pool.len(), 3);
        assert_eq!((t.refused, t.recycled, t.in_flight()), (246, 241, 0));
        // An answer for a transfer already settled changes nothing.
        t.submit_failed(&[h], tonic::Code::ResourceExhausted, "again");
        assert_eq!((t.pool.len(), t.refused), (3, 246));
    }

    /// A transfer a node refused unseen (the whole call, overloaded) is sent again as it was
    /// signed, not signed anew; one it rejected as invalid is not; taking the output for a
    /// double spend forgets its refused transfer.
    #[test]
    fn transfers_refused_unseen_are_sent_again_as_signed() {
        let mut t = Tracker::new(2, Pool::new(2));
        let (a, b, c) = (TxHash([1; 32]), TxHash([2; 32]), TxHash([3; 32]));
        t.sent(coin(0, 1), signed(a, vec![coin(0, 11)]), 0, 0);
        t.sent(coin(1, 2), signed(b, vec![coin(1, 12)]), 1, 0);
        t.sent(coin(0, 3), signed(c, vec![coin(0, 13)]), 1, 0);
        t.submit_failed(&[a], tonic::Code::ResourceExhausted, "node overloaded");
        t.submit_answer(&b, pb::TxState::Rejected, "stateless checks");
        t.submit_failed(&[c], tonic::Code::DeadlineExceeded, "deadline");
        assert_eq!(
            t.pool.len(),
            2,
            "a's and b's inputs are back, c's may be spent"
        );
        assert_eq!(
            t.pool.take_transfer(),
            Some((coin(0, 1), Some(signed(a, vec![coin(0, 11)])))),
            "a comes back with its transfer"
        );
        assert_eq!(
            t.pool.take_transfer(),
            Some((coin(1, 2), None)),
            "b was invalid: a new transfer is signed"
        );
        assert_eq!(t.pool.take_transfer(), None);

        // Sent again (to another node) and accepted: it is followed as any transfer.
        t.sent(coin(0, 1), signed(a, vec![coin(0, 11)]), 1, 50);
        t.submit_answer(&a, pb::TxState::Pending, "");
        t.on_accepted(1, a, 80);
        t.on_accepted(0, a, 90);
        assert_eq!((t.finalized, t.latencies.clone()), (1, vec![40]));
        assert_eq!(t.pool.take(), Some(coin(0, 11)));

        // Refused again, then its output taken for a double spend: the transfer is forgotten.
        t.sent(coin(1, 4), signed(c, vec![]), 0, 100);
        t.submit_failed(&[c], tonic::Code::ResourceExhausted, "node overloaded");
        assert_eq!(t.pool.take(), Some(coin(1, 4)));
        t.pool.push(coin(1, 4));
        assert_eq!(t.pool.take_transfer(), Some((coin(1, 4), None)));
    }

    #[test]
    fn tracker_follows_double_spends() {
        let mut t = Tracker::new(2, Pool::new(1));
        let index = t.double_spend(attempt(2));
        t.on_event(0, accepted(TxHash([0xb; 32]), 5));
        t.on_event(
            1,
            pb::Event {
                time_ms: 6,
                kind: Some(pb::event::Kind::Decided(pb::Decided {
                    outpoint: Some(pb::OutPoint {
                        tx_hash: vec![1; 32],
                        index: 0,
                    }),
                    winner: vec![0xb; 32],
                    support: Default::default(),
                })),
            },
        );
        assert_eq!(t.unresolved_double_spends(), 1);
        t.on_event(1, accepted(TxHash([0xb; 32]), 7));
        assert_eq!(t.unresolved_double_spends(), 0);
        let d = &t.double_spends[index];
        assert_eq!(d.verdict(), Verdict::Agreed(1));
        assert_eq!(d.decided, vec![None, Some(1)]);
        assert_eq!(t.decided.len(), 1);
        assert_eq!(t.finalized, 0, "double spends are not transfers");
        t.submit_answer(&TxHash([0xa; 32]), pb::TxState::Conflicted, "");
        assert_eq!(t.double_spends[index].submit_states[0], "CONFLICTED");
    }
}
