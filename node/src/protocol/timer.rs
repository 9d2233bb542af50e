//! The timed work: the ledger's batches and quiet periods, conflict decisions, flushes.

use std::collections::BTreeSet;

use super::action::is_invalid;
use super::deviation::twin_root;
use super::{Acceptance, Action, Invalid, NodeEvent, Origin, ProtocolNode};
use crate::Result;
use crate::consensus::{Ballot, Message, MessageId, decide};
use crate::ledger::LedgerEvent;
use crate::observe::{Observation, TxState};
use crate::tx::TxHash;

impl ProtocolNode {
    /// Does all work due at `now_ms`: the ledger's tick (verdicts on queued transactions,
    /// commits, conflicts), the conflict decisions whose window has ended, and the flush if it
    /// is due (the root is published). Called at [`next_deadline`](Self::next_deadline) or
    /// later; calling it earlier does nothing harmful.
    pub fn on_timer(&mut self, now_ms: u64) -> Result<Vec<Action>> {
        let mut out = Vec::new();
        let events = self.ledger.tick(now_ms)?;
        self.handle_events(events, now_ms, &mut out);
        self.decide_due(now_ms, &mut out)?;
        if now_ms >= self.next_flush_ms {
            self.flush(now_ms, &mut out)?;
            // Peers' old epochs go at the pace of flushes (bounded memory).
            self.votes.retain(self.consensus.retention_epochs);
            while self.next_flush_ms <= now_ms {
                self.next_flush_ms += self.flush_interval_ms;
            }
        }
        Ok(out)
    }

    fn observe(&mut self, tx: TxHash, state: TxState, now_ms: u64) {
        if !self.signing {
            return;
        }
        self.buffer.push(Observation {
            tx,
            state,
            time_ms: now_ms,
        });
    }

    /// The queued transaction `tx` leaves the queue with `acceptance`: a client's is published
    /// if accepted, a peer's gets its verdict.
    fn release(&mut self, tx: TxHash, acceptance: Acceptance, out: &mut Vec<Action>) {
        match self.queued.remove(&tx) {
            Some(Origin::Client(body)) if acceptance == Acceptance::Accept => {
                out.push(Action::Publish(Message::Tx(body)));
            }
            Some(Origin::Peer) => out.push(Action::Verdict {
                id: MessageId(tx.0),
                acceptance,
            }),
            Some(Origin::Client(_)) | None => {}
        }
    }

    fn handle_events(&mut self, events: Vec<LedgerEvent>, now_ms: u64, out: &mut Vec<Action>) {
        for event in events {
            match event {
                LedgerEvent::Pending { tx } => {
                    self.release(tx, Acceptance::Accept, out);
                    if self.deviation.signs_pending() {
                        self.observed_pending.insert(tx);
                        self.observe(tx, TxState::Pending, now_ms);
                    }
                }
                LedgerEvent::Held { .. } => {}
                LedgerEvent::Conflict { outpoint, spenders } => {
                    // A spender in a conflict here is not propagated.
                    for s in &spenders {
                        self.release(*s, Acceptance::Ignore, out);
                    }
                    let first_seen = self
                        .ledger
                        .conflicts()
                        .into_iter()
                        .find(|c| c.outpoint == outpoint)
                        .map(|c| c.first_seen);
                    let vote = self.deviation.vote(first_seen, &spenders);
                    // The vote is the first Pending observation among the spenders; make sure
                    // the chain carries it (a spender first seen in the same batch as its rival
                    // may never have been reported Pending).
                    if let Some(v) = vote
                        && !self.observed_pending.contains(&v)
                    {
                        self.observed_pending.insert(v);
                        self.observe(v, TxState::Pending, now_ms);
                    }
                    for s in &spenders {
                        if self.observed_conflicted.insert(*s) {
                            self.observe(*s, TxState::Conflicted, now_ms);
                        }
                    }
                    self.deviation.on_conflict(vote, &spenders);
                    out.push(Action::Event(NodeEvent::Conflict { outpoint, spenders }));
                }
                LedgerEvent::Accepted { tx } => {
                    // Final: it can join no conflict any more.
                    self.observed_pending.remove(&tx);
                    self.observed_conflicted.remove(&tx);
                    self.counters.accepted += 1;
                    self.observe(tx, TxState::Accepted, now_ms);
                    if self.deviation.contradicts(tx) {
                        self.observe(tx, TxState::Rejected, now_ms);
                    }
                    out.push(Action::Event(NodeEvent::Accepted { tx }));
                }
                LedgerEvent::Rejected { tx, reason } => {
                    self.observed_pending.remove(&tx);
                    self.observed_conflicted.remove(&tx);
                    self.counters.rejected += 1;
                    let acceptance = if is_invalid(&reason) {
                        Acceptance::Reject(Invalid::Tx(reason.clone()))
                    } else {
                        Acceptance::Ignore
                    };
                    self.release(tx, acceptance, out);
                    self.observe(tx, TxState::Rejected, now_ms);
                    out.push(Action::Event(NodeEvent::Rejected { tx, reason }));
                }
            }
        }
    }

    fn decide_due(&mut self, now_ms: u64, out: &mut Vec<Action>) -> Result<()> {
        if self.ledger.is_paused() {
            return Ok(());
        }
        let window = self.consensus.conflict_window_ms;
        let me = self.id();
        // Conflicts are re-read after every decision: resolving one can dissolve another (a
        // loser that also spent a second outpoint is rejected there too).
        let mut tried = BTreeSet::new();
        while let Some(conflict) = self
            .ledger
            .conflicts()
            .into_iter()
            .find(|c| c.detected_ms + window <= now_ms && !tried.contains(&c.outpoint))
        {
            tried.insert(conflict.outpoint);
            let mut ballots = self
                .votes
                .ballots(&conflict.spenders, |p| self.weight(p, now_ms));
            if self.signing {
                ballots.push(Ballot {
                    voter: me,
                    choice: conflict.first_seen,
                    weight: self.weight(&me, now_ms),
                    // In a conflict here, so committed none of its spenders.
                    committed: false,
                });
            }
            ballots.sort_by_key(|b| b.voter);
            let Some(decision) = decide(&conflict.spenders, &ballots) else {
                continue;
            };
            let winner = decision.winner;
            out.push(Action::Event(NodeEvent::Decided {
                outpoint: conflict.outpoint,
                winner,
                support: decision.support.clone(),
            }));
            self.decisions.insert(conflict.outpoint, decision);
            self.counters.conflicts_resolved += 1;
            let events = self
                .ledger
                .resolve_conflict(&conflict.outpoint, &winner, now_ms)?;
            self.handle_events(events, now_ms, out);
        }
        Ok(())
    }

    fn flush(&mut self, now_ms: u64, out: &mut Vec<Action>) -> Result<()> {
        if !self.buffer.pending().is_empty()
            && let Some(fake) = self.deviation.pad(&self.identity)
        {
            self.observe(fake, TxState::Pending, now_ms);
        }
        let mut alternative = None;
        if let Some((a, b)) = self.deviation.fork() {
            // Two roots with one sequence: one claims Pending for `a`, the other for `b`.
            let mut other = self.buffer.pending().to_vec();
            other.push(Observation {
                tx: b,
                state: TxState::Pending,
                time_ms: now_ms,
            });
            self.observe(a, TxState::Pending, now_ms);
            alternative = Some(other);
        }
        let observations = self.buffer.pending().to_vec();
        let Some(root) = self.buffer.flush(&self.accel, &self.identity, now_ms)? else {
            return Ok(());
        };
        self.counters.roots += 1;
        let message = Message::Roots { root, observations };
        self.seen.insert(message.id().0);
        match alternative {
            None => out.push(Action::Publish(message)),
            Some(other) => {
                let forked = twin_root(&self.accel, &self.identity, &root, &other)?;
                let twin = Message::Roots {
                    root: forked,
                    observations: other,
                };
                self.seen.insert(twin.id().0);
                self.fork = Some((message, twin));
            }
        }
        Ok(())
    }
}
