//! The inputs from outside: client submissions and peers' gossip messages.

use super::{Acceptance, Action, Invalid, NodeEvent, Origin, ProtocolNode};
use crate::Result;
use crate::consensus::{Ingested, Message, MessageId};
use crate::identity::NodeId;
use crate::ledger::{RejectReason, Submission};
use std::collections::HashSet;

use crate::observe::{Evidence, Observation, TxState};
use crate::trust::Behaviour;
use crate::tx::{Transaction, TxHash};

impl ProtocolNode {
    /// A transaction from a client. If the ledger queues it, it is published
    /// ([`Action::Publish`]) by the [`on_timer`](Self::on_timer) at which its signatures verify
    /// (it turns Pending), unless it is in a conflict by then. A transaction already handled is
    /// a [`Submission::Duplicate`]; one rejected at once comes with a [`NodeEvent::Rejected`].
    pub fn submit(&mut self, tx: Transaction, now_ms: u64) -> (Submission, Vec<Action>) {
        let hash = tx.hash();
        if !self.seen.insert(hash.0) {
            return (Submission::Duplicate, Vec::new());
        }
        let submission = self.ledger.submit(tx.clone(), now_ms);
        let mut actions = Vec::new();
        match &submission {
            Submission::Queued => {
                self.queued.insert(hash, Origin::Client(tx));
            }
            Submission::Duplicate => {}
            Submission::Rejected(reason) => actions.push(Action::Event(NodeEvent::Rejected {
                tx: hash,
                reason: reason.clone(),
            })),
        }
        (submission, actions)
    }

    /// A gossip message from peer `from`: the verdict on it, and the actions it causes
    /// (evidence this node caught in a peer's roots is published, with an
    /// [`NodeEvent::Equivocation`]). Direct trust in `from` records the message as valid, or as
    /// invalid with a [`Acceptance::Reject`].
    ///
    /// - A message already handled: `Ignore`.
    /// - A transaction: `Deferred` if queued (verdict from a later `on_timer`), `Ignore` if
    ///   known or stale here, `Reject` if it fails its stateless checks.
    /// - Roots: `Accept` if new and valid, `Ignore` if known, `Reject` if the signature, leaf
    ///   count or observations do not check.
    /// - Evidence: `Accept` if it convicts a node not convicted here yet, `Ignore` if it
    ///   convicts one already convicted, `Reject` if it does not verify.
    pub fn on_message(
        &mut self,
        from: NodeId,
        message: &Message,
        now_ms: u64,
    ) -> Result<(Acceptance, Vec<Action>)> {
        self.on_message_with_id(from, message.id(), message, now_ms)
    }

    /// [`on_message`](Self::on_message) with the message's id computed by the caller once
    /// (`id` must be [`Message::id`] of `message`).
    pub fn on_message_with_id(
        &mut self,
        from: NodeId,
        id: MessageId,
        message: &Message,
        now_ms: u64,
    ) -> Result<(Acceptance, Vec<Action>)> {
        debug_assert_eq!(id, message.id());
        let mut actions = Vec::new();
        if !self.seen.insert(id.0) {
            // A copy of a message already handled (invalid roots are not remembered, below).
            self.trust.record(from, Behaviour::Valid, now_ms);
            return Ok((Acceptance::Ignore, actions));
        }
        let acceptance = match message {
            Message::Tx(tx) => {
                let hash = TxHash(id.0);
                match self.ledger.submit(tx.clone(), now_ms) {
                    Submission::Queued => {
                        self.trust.record(from, Behaviour::Valid, now_ms);
                        self.queued.insert(hash, Origin::Peer);
                        Acceptance::Deferred
                    }
                    Submission::Duplicate => {
                        self.trust.record(from, Behaviour::Valid, now_ms);
                        Acceptance::Ignore
                    }
                    Submission::Rejected(
                        reason @ (RejectReason::Stateless(_) | RejectReason::WrongChain { .. }),
                    ) => {
                        self.trust.record(from, Behaviour::Invalid, now_ms);
                        Acceptance::Reject(Invalid::Tx(reason))
                    }
                    // Stale (an input already spent here): the relayer may not know yet.
                    Submission::Rejected(_) => Acceptance::Ignore,
                }
            }
            Message::Roots { root, observations } => match self.votes.ingest(root, observations) {
                Err(e) => {
                    // The id is the header hash, which does not cover the observations: a
                    // corrupted copy must not make the genuine one look like a duplicate.
                    self.seen.remove(&id.0);
                    self.trust.record(from, Behaviour::Invalid, now_ms);
                    Acceptance::Reject(Invalid::Roots(e))
                }
                Ok(Ingested::Duplicate) => {
                    self.trust.record(from, Behaviour::Valid, now_ms);
                    Acceptance::Ignore
                }
                Ok(Ingested::New { evidence, .. }) => {
                    self.trust.record(from, Behaviour::Valid, now_ms);
                    for e in evidence {
                        self.convict(e, now_ms, &mut actions)?;
                    }
                    self.want_unknown(observations, &mut actions);
                    Acceptance::Accept
                }
            },
            Message::Evidence(evidence) => match self.votes.convict(evidence) {
                Err(e) => {
                    self.trust.record(from, Behaviour::Invalid, now_ms);
                    Acceptance::Reject(Invalid::Evidence(e))
                }
                Ok(None) => {
                    self.trust.record(from, Behaviour::Valid, now_ms);
                    Acceptance::Ignore
                }
                Ok(Some(node)) => {
                    self.trust.record(from, Behaviour::Valid, now_ms);
                    self.trust.record(node, Behaviour::Invalid, now_ms);
                    actions.push(Action::Event(NodeEvent::Equivocation {
                        node,
                        evidence: evidence.clone(),
                    }));
                    Acceptance::Accept
                }
            },
        };
        Ok((acceptance, actions))
    }

    /// Asks for ([`Action::Fetch`]) every transaction a peer observed that this node has never
    /// handled: not seen as a message, not queued, unknown to the ledger. Rejected ones are
    /// left alone (nothing to apply), and each is asked for once per roots message.
    fn want_unknown(&self, observations: &[Observation], out: &mut Vec<Action>) {
        let mut asked = HashSet::new();
        for o in observations {
            if o.state == TxState::Rejected
                || self.seen.contains(&o.tx.0)
                || self.queued.contains_key(&o.tx)
                || !asked.insert(o.tx)
            {
                continue;
            }
            if self.ledger.state(&o.tx).is_none() && self.ledger.transaction(&o.tx).is_none() {
                out.push(Action::Fetch(o.tx));
            }
        }
    }

    /// Convicts on evidence this node found itself, and publishes the evidence if the
    /// conviction is new.
    fn convict(&mut self, evidence: Evidence, now_ms: u64, out: &mut Vec<Action>) -> Result<()> {
        if let Some(node) = self.votes.convict(&evidence)? {
            self.trust.record(node, Behaviour::Invalid, now_ms);
            let message = Message::Evidence(Box::new(evidence.clone()));
            self.seen.insert(message.id().0);
            out.push(Action::Publish(message));
            out.push(Action::Event(NodeEvent::Equivocation {
                node,
                evidence: Box::new(evidence),
            }));
        }
        Ok(())
    }
}
