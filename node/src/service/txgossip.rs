//! Transactions on the gossip topic, several to a message.
//!
//! A node publishes the transactions that turn Pending in one step (one signature batch) as
//! frames of up to [`MAX_TX_BATCH`] transactions and [`frame_limit`] bytes ([`frames`]) instead
//! of one message each: the
//! per-message work of gossip (framing, encryption, a message id, a verdict) is paid once per
//! frame. A received frame's verdict gathers its transactions' verdicts ([`Verdicts`]): it is
//! reported when the last of them is known, `Reject` as soon as one is invalid.

use std::collections::HashMap;

use libp2p::gossipsub::MessageId as GossipId;

use crate::consensus::{KIND_TX, MAX_TX_BATCH, MessageId, encode_tx_batch};
use crate::net::{self, PeerId};
use crate::protocol::Acceptance;

/// Largest batch frame: 64 KiB, some 260 transfers, already shares gossip's per-message work
/// among hundreds of transactions, and a frame lost on the way stays within what the repair
/// fetches (at most 1,024 transactions in flight) recover at once.
pub(crate) const MAX_FRAME_BYTES: usize = 64 << 10;

/// The largest batch frame on a network whose largest gossip message is `max_message_size`:
/// [`MAX_FRAME_BYTES`], or half the limit if that is less. The limit applies to gossipsub's
/// whole encoded message (topic and framing included), and a frame over it at a receiver
/// breaks the sender's stream to it, so frames keep well clear of it.
pub(crate) fn frame_limit(max_message_size: usize) -> usize {
    MAX_FRAME_BYTES.min(max_message_size / 2)
}

/// Packs transactions' canonical encodings, in order, into gossip frames: groups of up to
/// [`MAX_TX_BATCH`] whose batch frame stays within `max_bytes` ([`frame_limit`]), each group
/// of two or more as a batch frame and a lone transaction as a plain `Tx` frame. A
/// transaction too large for a batch frame gets a frame of its own (which fails to publish
/// only if it is over the network's limit, as it would alone).
pub(crate) fn frames(encoded: Vec<Vec<u8>>, max_bytes: usize) -> Vec<Vec<u8>> {
    /// Kind byte and count of a batch frame.
    const BATCH_HEADER: usize = 3;
    /// Length prefix of each transaction in a batch frame.
    const LENGTH: usize = 4;
    let mut frames = Vec::new();
    let mut group: Vec<Vec<u8>> = Vec::new();
    let mut size = BATCH_HEADER;
    for tx in encoded {
        if !group.is_empty()
            && (group.len() == MAX_TX_BATCH || size + LENGTH + tx.len() > max_bytes)
        {
            frames.push(frame(std::mem::take(&mut group)));
            size = BATCH_HEADER;
        }
        size += LENGTH + tx.len();
        group.push(tx);
    }
    if !group.is_empty() {
        frames.push(frame(group));
    }
    frames
}

fn frame(mut group: Vec<Vec<u8>>) -> Vec<u8> {
    if group.len() == 1 {
        let tx = group.pop().expect("one transaction");
        let mut out = Vec::with_capacity(1 + tx.len());
        out.push(KIND_TX);
        out.extend_from_slice(&tx);
        out
    } else {
        encode_tx_batch(&group)
    }
}

/// A received frame whose verdict waits on some of its transactions.
struct Waiting {
    source: PeerId,
    /// Its transactions whose verdict is still to come.
    left: usize,
    /// One of its transactions was accepted (it is to be relayed).
    accepted: bool,
}

/// The gossip verdicts that wait on transactions queued for batched signature verification.
#[derive(Default)]
pub(crate) struct Verdicts {
    frames: HashMap<GossipId, Waiting>,
    /// Each deferred transaction's frame.
    txs: HashMap<MessageId, GossipId>,
}

impl Verdicts {
    /// Frame `gossip_id` from `source` waits on the verdicts of `deferred` (not empty);
    /// `accepted` says whether one of its other transactions was already accepted.
    pub(crate) fn wait(
        &mut self,
        gossip_id: GossipId,
        source: PeerId,
        deferred: Vec<MessageId>,
        accepted: bool,
    ) {
        debug_assert!(!deferred.is_empty());
        self.frames.insert(
            gossip_id.clone(),
            Waiting {
                source,
                left: deferred.len(),
                accepted,
            },
        );
        for tx in deferred {
            self.txs.insert(tx, gossip_id.clone());
        }
    }

    /// Transaction `tx`'s late verdict. Returns the frame's verdict, with the frame and its
    /// source, when this one settles it: `Reject` at the first invalid transaction, else, at
    /// the last one, `Accept` if any was accepted and `Ignore` if none was. `None` for a
    /// transaction no frame waits on, or whose frame was already rejected.
    pub(crate) fn settle(
        &mut self,
        tx: &MessageId,
        acceptance: &Acceptance,
    ) -> Option<(GossipId, PeerId, net::Acceptance)> {
        let gossip_id = self.txs.remove(tx)?;
        let waiting = self.frames.get_mut(&gossip_id)?;
        waiting.left -= 1;
        let verdict = match acceptance {
            Acceptance::Reject(_) => net::Acceptance::Reject,
            Acceptance::Accept => {
                waiting.accepted = true;
                if waiting.left > 0 {
                    return None;
                }
                net::Acceptance::Accept
            }
            Acceptance::Ignore | Acceptance::Deferred => {
                if waiting.left > 0 {
                    return None;
                }
                if waiting.accepted {
                    net::Acceptance::Accept
                } else {
                    net::Acceptance::Ignore
                }
            }
        };
        let waiting = self.frames.remove(&gossip_id).expect("the frame waits");
        Some((gossip_id, waiting.source, verdict))
    }

    /// Transactions whose verdict is awaited.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.txs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::{MIN_TX_BATCH, Message, decode_tx_batch};
    use crate::ledger::RejectReason;
    use crate::protocol::Invalid;

    fn id(n: u8) -> MessageId {
        MessageId([n; 32])
    }

    fn gossip(n: u8) -> GossipId {
        GossipId::from(vec![n])
    }

    fn invalid() -> Acceptance {
        Acceptance::Reject(Invalid::Tx(RejectReason::HoldTimeout {
            missing: crate::tx::OutPoint {
                tx: crate::tx::TxHash([0; 32]),
                index: 0,
            },
        }))
    }

    #[test]
    fn frames_pack_in_order_within_the_size_limit() {
        let txs: Vec<Vec<u8>> = (0..5u8).map(|n| vec![n; 10]).collect();
        // Room for two transactions a frame: 3 + 2 × (4 + 10) = 31 bytes.
        let out = frames(txs.clone(), 31);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].len(), 31);
        let mut back = Vec::new();
        for f in &out[..2] {
            assert_eq!(f[0], crate::consensus::KIND_TX_BATCH);
            let mut r = &f[3..];
            while !r.is_empty() {
                let len = u32::from_le_bytes(r[..4].try_into().unwrap()) as usize;
                back.push(r[4..4 + len].to_vec());
                r = &r[4 + len..];
            }
        }
        // The fifth is alone: a plain Tx frame.
        assert_eq!(out[2][0], KIND_TX);
        back.push(out[2][1..].to_vec());
        assert_eq!(back, txs);
        // One frame when all fit.
        assert_eq!(frames(txs, 1 << 20).len(), 1);
        // Frames keep clear of the network's limit.
        assert_eq!(frame_limit(256 << 10), 64 << 10);
        assert_eq!(frame_limit(4 << 10), 2 << 10);
        let many: Vec<Vec<u8>> = (0..1000u32).map(|n| n.to_le_bytes().repeat(60)).collect();
        let out = frames(many, frame_limit(256 << 10));
        assert!(out.iter().all(|f| f.len() <= 64 << 10));
        assert_eq!(
            out.len(),
            4,
            "1,000 transactions of 240 bytes, 268 to a frame"
        );
        assert!(frames(Vec::new(), 1 << 20).is_empty());
    }

    #[test]
    fn frames_hold_at_most_the_batch_limit() {
        let out = frames(vec![vec![7u8; 1]; MAX_TX_BATCH + MIN_TX_BATCH], 1 << 30);
        assert_eq!(out.len(), 2);
        assert_eq!(
            u16::from_le_bytes([out[0][1], out[0][2]]) as usize,
            MAX_TX_BATCH
        );
        assert_eq!(u16::from_le_bytes([out[1][1], out[1][2]]) as usize, 2);
    }

    #[test]
    fn real_transactions_round_trip_through_frames() {
        use crate::devnet::load::{Coin, Wallet};
        use crate::devnet::plan::{DEVNET_CHAIN_ID, account_keys, devnet_asset};
        let mut wallet = Wallet::new(account_keys(1, 3), DEVNET_CHAIN_ID, devnet_asset(), 1);
        let txs: Vec<_> = (0..3u8)
            .map(|n| {
                let coin = Coin {
                    account: usize::from(n),
                    outpoint: crate::tx::OutPoint {
                        tx: crate::tx::TxHash([n; 32]),
                        index: 0,
                    },
                    amount: 100,
                };
                wallet.transfer(&coin).0
            })
            .collect();
        let encoded: Vec<Vec<u8>> = txs.iter().map(|tx| tx.encode()).collect();
        let out = frames(encoded.clone(), 1 << 20);
        assert_eq!(out.len(), 1);
        assert_eq!(decode_tx_batch(&out[0]).unwrap(), txs);
        let single = frames(encoded[..1].to_vec(), 1 << 20);
        assert_eq!(
            Message::decode(&single[0]).unwrap(),
            Message::Tx(txs[0].clone())
        );
    }

    #[test]
    fn a_frame_is_accepted_when_its_last_transaction_is_known() {
        let mut v = Verdicts::default();
        let peer = PeerId::random();
        v.wait(gossip(1), peer, vec![id(1), id(2), id(3)], false);
        assert_eq!(v.settle(&id(1), &Acceptance::Ignore), None);
        assert_eq!(v.settle(&id(2), &Acceptance::Accept), None);
        assert_eq!(
            v.settle(&id(3), &Acceptance::Ignore),
            Some((gossip(1), peer, net::Acceptance::Accept))
        );
        assert_eq!(v.len(), 0);
        // Nothing waits on it any more.
        assert_eq!(v.settle(&id(3), &Acceptance::Accept), None);
    }

    #[test]
    fn a_frame_of_ignored_transactions_is_ignored_unless_one_was_accepted_before() {
        let mut v = Verdicts::default();
        let peer = PeerId::random();
        v.wait(gossip(1), peer, vec![id(1)], false);
        v.wait(gossip(2), peer, vec![id(2)], true);
        assert_eq!(
            v.settle(&id(1), &Acceptance::Ignore),
            Some((gossip(1), peer, net::Acceptance::Ignore))
        );
        assert_eq!(
            v.settle(&id(2), &Acceptance::Ignore),
            Some((gossip(2), peer, net::Acceptance::Accept))
        );
    }

    #[test]
    fn one_invalid_transaction_rejects_its_frame_at_once() {
        let mut v = Verdicts::default();
        let peer = PeerId::random();
        v.wait(gossip(1), peer, vec![id(1), id(2), id(3)], true);
        assert_eq!(
            v.settle(&id(2), &invalid()),
            Some((gossip(1), peer, net::Acceptance::Reject))
        );
        // The others' verdicts settle nothing, and are forgotten.
        assert_eq!(v.settle(&id(1), &Acceptance::Accept), None);
        assert_eq!(v.settle(&id(3), &invalid()), None);
        assert_eq!(v.len(), 0);
    }
}
