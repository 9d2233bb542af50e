//! The node's protocol logic alone ([`ProtocolNode`]), driven by hand: submissions are
//! published once verified, invalid messages are rejected and cost their sender trust,
//! duplicates and conflicting spenders are not propagated, a conflict follows a spender a peer
//! already committed, flushes publish roots, and two nodes fed each other's publications agree
//! on a transfer.

use std::sync::Arc;

use ed25519_consensus::SigningKey;
use ramjet_accel::Accelerator;
use ramjet_node::consensus::{Message, MessageId};
use ramjet_node::identity::Identity;
use ramjet_node::ledger::{Genesis, LedgerConfig, RejectReason, Submission};
use ramjet_node::observe::{Observation, ObservationBuffer, TxState};
use ramjet_node::protocol::{
    Acceptance, Action, Invalid, NodeEvent, ProtocolConfig, ProtocolError, ProtocolNode,
};
use ramjet_node::storage::MemoryStore;
use ramjet_node::tx::{Address, AssetId, Fee, OutPoint, Output, Transaction, TxHash};

const CHAIN: u32 = 7;
const ASSET: AssetId = AssetId([0xA5; 32]);

fn config() -> ProtocolConfig {
    ProtocolConfig {
        ledger: LedgerConfig {
            chain_id: CHAIN,
            quiet_period_ms: 600,
            batch_deadline_ms: 5,
            ..LedgerConfig::default()
        },
        ..ProtocolConfig::default()
    }
}

fn owner() -> SigningKey {
    SigningKey::from([3u8; 32])
}

fn output(chain_id: u32, seed: u8, amount: u64) -> Output {
    Output {
        address: Address::of_public_key(chain_id, &[seed; 32]),
        asset: ASSET,
        amount,
        data: None,
        contract: None,
    }
}

/// One output of 500 owned by [`owner`].
fn genesis() -> Genesis {
    Genesis {
        chain_id: CHAIN,
        outputs: vec![Output {
            address: Address::of_public_key(CHAIN, &owner().verification_key().to_bytes()),
            ..output(CHAIN, 0, 500)
        }],
    }
}

/// A transfer of the genesis output to the key `seed`.
fn transfer(seed: u8) -> Transaction {
    Transaction::build_signed(
        &[(genesis().outpoint(0), &owner())],
        vec![output(CHAIN, seed, 500)],
        Fee::default(),
    )
}

fn node(secret: u8) -> ProtocolNode {
    node_on(secret, Arc::new(MemoryStore::new("protocol-test"))).unwrap()
}

/// The node with key `secret` on `store`, its first flush due at 100.
fn node_on(secret: u8, store: Arc<MemoryStore>) -> ramjet_node::Result<ProtocolNode> {
    ProtocolNode::new(
        Identity::from_secret([secret; 32], 0).unwrap(),
        store,
        Arc::new(Accelerator::cpu_only()),
        &genesis(),
        &config(),
        100,
    )
}

fn peer(secret: u8) -> Identity {
    Identity::from_secret([secret; 32], 0).unwrap()
}

/// A roots message of `signer` with one Pending observation of `tx`.
fn roots(signer: &Identity, tx: TxHash) -> Message {
    roots_of(signer, &[(tx, TxState::Pending)])
}

/// A roots message of `signer` (its first epoch) with these observations, in order.
fn roots_of(signer: &Identity, seen: &[(TxHash, TxState)]) -> Message {
    let mut buffer = ObservationBuffer::new();
    let observations: Vec<Observation> = seen
        .iter()
        .enumerate()
        .map(|(i, &(tx, state))| Observation {
            tx,
            state,
            time_ms: 1 + i as u64,
        })
        .collect();
    for o in &observations {
        buffer.push(*o);
    }
    let root = buffer
        .flush(&Accelerator::cpu_only(), signer, 10)
        .unwrap()
        .unwrap();
    Message::Roots { root, observations }
}

fn published(actions: &[Action]) -> Vec<&Message> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Publish(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn events(actions: &[Action]) -> Vec<&NodeEvent> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[test]
fn a_submission_is_published_once_its_signatures_verify() {
    let mut n = node(1);
    let tx = transfer(1);
    let (submission, actions) = n.submit(tx.clone(), 0);
    assert_eq!(submission, Submission::Queued);
    assert!(actions.is_empty(), "not published before verification");
    assert_eq!(n.next_deadline(), 5, "the batch deadline");
    let actions = n.on_timer(5).unwrap();
    assert_eq!(published(&actions), vec![&Message::Tx(tx.clone())]);
    // Submitted again (or received back from a peer): a duplicate, published once only.
    assert_eq!(n.submit(tx.clone(), 6).0, Submission::Duplicate);
    let (acceptance, actions) = n
        .on_message(peer(2).node_id(), &Message::Tx(tx), 7)
        .unwrap();
    assert_eq!(acceptance, Acceptance::Ignore);
    assert!(actions.is_empty());
    // A transaction for another chain is rejected at once, with an event.
    let other = Transaction::build_signed(
        &[(genesis().outpoint(0), &owner())],
        vec![output(CHAIN + 1, 1, 500)],
        Fee::default(),
    );
    let (submission, actions) = n.submit(other.clone(), 8);
    assert!(matches!(
        submission,
        Submission::Rejected(RejectReason::WrongChain { .. })
    ));
    assert!(matches!(
        events(&actions)[..],
        [NodeEvent::Rejected { tx, .. }] if *tx == other.hash()
    ));
}

#[test]
fn a_paused_node_verifies_and_detects_conflicts_but_decides_nothing_until_it_resumes() {
    let mut n = node(1);
    let from = peer(2).node_id();
    let (a, b) = (transfer(1), transfer(2));
    n.submit(a.clone(), 0);
    n.on_timer(5).unwrap();
    assert_eq!(n.ledger().state(&a.hash()), Some(TxState::Pending));

    n.set_paused(true);
    assert!(n.is_paused());
    // Quiet period over (600 ms), and more: nothing is committed, and the node sleeps until
    // its next flush rather than waking for the commit it will not make.
    let actions = n.on_timer(1_000).unwrap();
    assert!(
        !events(&actions)
            .iter()
            .any(|e| matches!(e, NodeEvent::Accepted { .. })),
        "{actions:?}"
    );
    assert_eq!(n.ledger().state(&a.hash()), Some(TxState::Pending));
    assert!(n.next_deadline() > 1_000);

    // The conflicting spender still arrives, is verified and raises the conflict ...
    n.on_message(from, &Message::Tx(b.clone()), 1_010).unwrap();
    let actions = n.on_timer(1_015).unwrap();
    assert!(
        events(&actions)
            .iter()
            .any(|e| matches!(e, NodeEvent::Conflict { .. })),
        "{actions:?}"
    );
    assert_eq!(n.ledger().state(&a.hash()), Some(TxState::Conflicted));
    // ... but it is not decided while paused, however long after its window.
    let actions = n.on_timer(10_000).unwrap();
    assert!(
        !events(&actions)
            .iter()
            .any(|e| matches!(e, NodeEvent::Decided { .. })),
        "{actions:?}"
    );

    n.set_paused(false);
    let actions = n.on_timer(10_001).unwrap();
    assert!(
        events(&actions)
            .iter()
            .any(|e| matches!(e, NodeEvent::Decided { .. })),
        "{actions:?}"
    );
}

#[test]
fn invalid_messages_are_rejected_and_cost_their_sender_trust() {
    let mut n = node(1);
    let (liar, honest) = (peer(2), peer(3));
    let initial = n.trust().score(&liar.node_id(), 20);

    // A root whose signature does not verify.
    let Message::Roots {
        mut root,
        observations,
    } = roots(&liar, TxHash([5; 32]))
    else {
        unreachable!()
    };
    root.signature[0] ^= 1;
    let bad_signature = Message::Roots { root, observations };
    let (acceptance, actions) = n.on_message(liar.node_id(), &bad_signature, 20).unwrap();
    assert!(matches!(acceptance, Acceptance::Reject(Invalid::Roots(_))));
    assert!(actions.is_empty());
    let after_one = n.trust().score(&liar.node_id(), 20);
    assert!(after_one < initial, "{after_one} < {initial}");

    // Observations that do not hash to the signed root.
    let Message::Roots {
        root,
        mut observations,
    } = roots(&liar, TxHash([6; 32]))
    else {
        unreachable!()
    };
    observations[0].state = TxState::Accepted;
    let garbage = Message::Roots { root, observations };
    let (acceptance, _) = n.on_message(liar.node_id(), &garbage, 21).unwrap();
    assert!(matches!(acceptance, Acceptance::Reject(Invalid::Roots(_))));
    assert!(n.trust().score(&liar.node_id(), 21) < after_one);
    // The genuine copy (same id) is still accepted afterwards.
    let (acceptance, _) = n
        .on_message(honest.node_id(), &roots(&liar, TxHash([6; 32])), 22)
        .unwrap();
    assert_eq!(acceptance, Acceptance::Accept);

    // A transaction that fails its stateless checks is rejected at once.
    let wrong_chain = Transaction::build_signed(
        &[(genesis().outpoint(0), &owner())],
        vec![output(CHAIN + 1, 1, 500)],
        Fee::default(),
    );
    let before = n.trust().score(&liar.node_id(), 23);
    let (acceptance, _) = n
        .on_message(liar.node_id(), &Message::Tx(wrong_chain), 23)
        .unwrap();
    assert!(matches!(
        acceptance,
        Acceptance::Reject(Invalid::Tx(RejectReason::WrongChain { .. }))
    ));
    assert!(n.trust().score(&liar.node_id(), 23) < before);
    // The honest relayer gained trust.
    assert!(n.trust().score(&honest.node_id(), 23) > initial);

    // A transaction signed by a key that does not own the input: deferred, then rejected.
    let forged = Transaction::build_signed(
        &[(genesis().outpoint(0), &SigningKey::from([9u8; 32]))],
        vec![output(CHAIN, 1, 500)],
        Fee::default(),
    );
    let (acceptance, _) = n
        .on_message(honest.node_id(), &Message::Tx(forged.clone()), 30)
        .unwrap();
    assert_eq!(acceptance, Acceptance::Deferred);
    let actions = n.on_timer(35).unwrap();
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::Verdict { id, acceptance: Acceptance::Reject(Invalid::Tx(_)) }
            if *id == MessageId(forged.hash().0)
    )));
    assert!(
        events(&actions)
            .iter()
            .any(|e| matches!(e, NodeEvent::Rejected { tx, .. } if *tx == forged.hash()))
    );
}

#[test]
fn a_duplicate_is_ignored() {
    let mut n = node(1);
    let signer = peer(2);
    let message = roots(&signer, TxHash([5; 32]));
    let (first, _) = n.on_message(signer.node_id(), &message, 20).unwrap();
    assert_eq!(first, Acceptance::Accept);
    let (second, actions) = n.on_message(peer(3).node_id(), &message, 21).unwrap();
    assert_eq!(second, Acceptance::Ignore);
    assert!(actions.is_empty());
    assert_eq!(
        n.votes().vote(&signer.node_id(), &[TxHash([5; 32])]),
        Some(TxHash([5; 32]))
    );
}

fn fetches(actions: &[Action]) -> Vec<TxHash> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Fetch(tx) => Some(*tx),
            _ => None,
        })
        .collect()
}

#[test]
fn roots_naming_a_transaction_never_handled_ask_for_it_once_and_known_ones_do_not() {
    let mut n = node(1);
    let signer = peer(2);
    let unknown = transfer(4).hash();
    let (acceptance, actions) = n
        .on_message(signer.node_id(), &roots(&signer, unknown), 20)
        .unwrap();
    assert_eq!(acceptance, Acceptance::Accept);
    assert_eq!(fetches(&actions), vec![unknown]);

    // Once the transaction came (here: submitted), the next roots naming it ask for nothing.
    let known = transfer(5);
    let (submission, _) = n.submit(known.clone(), 30);
    assert_eq!(submission, Submission::Queued);
    let other = peer(3);
    let (_, actions) = n
        .on_message(other.node_id(), &roots(&other, known.hash()), 31)
        .unwrap();
    assert!(fetches(&actions).is_empty(), "{actions:?}");

    // The same roots again are a duplicate: no second fetch.
    let (acceptance, actions) = n
        .on_message(other.node_id(), &roots(&signer, unknown), 32)
        .unwrap();
    assert_eq!(acceptance, Acceptance::Ignore);
    assert!(fetches(&actions).is_empty());

    // A transaction observed Rejected is not fetched: there is nothing to apply.
    let mut buffer = ObservationBuffer::new();
    let rejected = Observation {
        tx: TxHash([9; 32]),
        state: TxState::Rejected,
        time_ms: 1,
    };
    buffer.push(rejected);
    let root = buffer
        .flush(&Accelerator::cpu_only(), &peer(4), 10)
        .unwrap()
        .unwrap();
    let message = Message::Roots {
        root,
        observations: vec![rejected],
    };
    let (acceptance, actions) = n.on_message(peer(4).node_id(), &message, 40).unwrap();
    assert_eq!(acceptance, Acceptance::Accept);
    assert!(fetches(&actions).is_empty());
}

#[test]
fn a_second_spender_is_not_propagated_and_raises_a_conflict() {
    let mut n = node(1);
    let from = peer(2).node_id();
    let (a, b) = (transfer(1), transfer(2));
    let (acceptance, _) = n.on_message(from, &Message::Tx(a.clone()), 0).unwrap();
    assert_eq!(acceptance, Acceptance::Deferred);
    let actions = n.on_timer(5).unwrap();
    assert!(actions.contains(&Action::Verdict {
        id: MessageId(a.hash().0),
        acceptance: Acceptance::Accept
    }));

    let (acceptance, _) = n.on_message(from, &Message::Tx(b.clone()), 10).unwrap();
    assert_eq!(acceptance, Acceptance::Deferred);
    let actions = n.on_timer(15).unwrap();
    assert!(actions.contains(&Action::Verdict {
        id: MessageId(b.hash().0),
        acceptance: Acceptance::Ignore
    }));
    let spenders = {
        let mut s = vec![a.hash(), b.hash()];
        s.sort();
        s
    };
    assert!(events(&actions).contains(&&NodeEvent::Conflict {
        outpoint: OutPoint {
            tx: genesis().outpoint(0).tx,
            index: 0
        },
        spenders: spenders.clone(),
    }));
    assert!(published(&actions).is_empty());

    // At the end of the window the node decides alone: its own vote, the first seen.
    assert_eq!(n.ledger().conflicts()[0].detected_ms, 15);
    let mut decided = Vec::new();
    let mut t = 16;
    while t <= 2_000 {
        t = n.next_deadline().max(t);
        decided.extend(n.on_timer(t).unwrap());
        t += 1;
    }
    assert!(events(&decided).iter().any(|e| matches!(
        e,
        NodeEvent::Decided { winner, .. } if *winner == a.hash()
    )));
    assert_eq!(n.ledger().state(&a.hash()), Some(TxState::Accepted));
    assert_eq!(n.ledger().state(&b.hash()), Some(TxState::Rejected));
    assert_eq!(n.decisions().len(), 1);
    assert_eq!(n.counters().conflicts_resolved, 1);
}

/// A node that first saw the spender of smaller hash, the other spender relayed by a peer, and
/// then the peer's chain `peer_chain` over the other spender: which spender the node decides.
fn decided_after(
    peer_chain: impl Fn(TxHash, TxHash) -> Vec<(TxHash, TxState)>,
) -> (TxHash, TxHash, TxHash) {
    let (mut small, mut large) = (transfer(1), transfer(2));
    if large.hash() < small.hash() {
        std::mem::swap(&mut small, &mut large);
    }
    let mut n = node(1);
    let other = peer(2);
    n.submit(small.clone(), 0);
    n.on_timer(5).unwrap();
    n.on_message(other.node_id(), &Message::Tx(large.clone()), 10)
        .unwrap();
    n.on_timer(15).unwrap();
    assert_eq!(n.ledger().state(&large.hash()), Some(TxState::Conflicted));
    let chain = roots_of(&other, &peer_chain(small.hash(), large.hash()));
    let (acceptance, _) = n.on_message(other.node_id(), &chain, 20).unwrap();
    assert_eq!(acceptance, Acceptance::Accept);
    let mut winner = None;
    let mut t = 21;
    while t <= 2_000 && winner.is_none() {
        t = n.next_deadline().max(t);
        for action in n.on_timer(t).unwrap() {
            if let Action::Event(NodeEvent::Decided { winner: w, .. }) = action {
                winner = Some(w);
            }
        }
        t += 1;
    }
    let winner = winner.expect("decided within the window");
    let loser = if winner == small.hash() {
        large.hash()
    } else {
        small.hash()
    };
    assert_eq!(n.ledger().state(&winner), Some(TxState::Accepted));
    assert_eq!(n.ledger().state(&loser), Some(TxState::Rejected));
    (winner, small.hash(), large.hash())
}

#[test]
fn a_conflict_is_decided_for_the_spender_a_peer_committed_before_the_conflict_reached_it() {
    // One ballot each (this node's for the spender it saw first, the peer's for the other):
    // a tie, which the smallest hash wins ...
    let (winner, small, _) = decided_after(|_, large| vec![(large, TxState::Pending)]);
    assert_eq!(winner, small);
    // ... as when the peer saw the conflict too and then accepted the other side (its
    // decision, made on other ballots, commits nobody else) ...
    let (winner, small, _) = decided_after(|small, large| {
        vec![
            (large, TxState::Pending),
            (large, TxState::Conflicted),
            (small, TxState::Conflicted),
            (large, TxState::Accepted),
        ]
    });
    assert_eq!(winner, small);
    // ... but a peer that accepted the other spender before any conflict reached it (overload
    // delayed this node's spender past its quiet period there) holds it final for good:
    // deciding otherwise would split this node from it.
    let (winner, _, large) = decided_after(|small, large| {
        vec![
            (large, TxState::Pending),
            (large, TxState::Accepted),
            (small, TxState::Rejected),
        ]
    });
    assert_eq!(winner, large);
}

#[test]
fn a_flush_publishes_the_signed_root_of_the_observations() {
    let mut n = node(1);
    let tx = transfer(1);
    n.submit(tx.clone(), 0);
    n.on_timer(5).unwrap();
    assert_eq!(n.next_deadline(), 100, "the first flush");
    let actions = n.on_timer(100).unwrap();
    let [Message::Roots { root, observations }] = published(&actions)[..] else {
        panic!("one root published: {actions:?}");
    };
    assert_eq!(root.header.node_id(), n.id());
    assert_eq!(
        observations,
        &vec![Observation {
            tx: tx.hash(),
            state: TxState::Pending,
            time_ms: 5
        }]
    );
    assert_eq!(n.counters().roots, 1);
    // Another node ingests it and counts the vote.
    let mut other = node(2);
    let (acceptance, _) = other
        .on_message(n.id(), published(&actions)[0], 110)
        .unwrap();
    assert_eq!(acceptance, Acceptance::Accept);
    assert_eq!(other.votes().vote(&n.id(), &[tx.hash()]), Some(tx.hash()));
    // Nothing new: the next flush publishes nothing, and the one after is due an interval on.
    assert!(published(&n.on_timer(200).unwrap()).is_empty());
    assert_eq!(n.next_deadline(), 300);
}

#[test]
fn a_node_restarted_on_its_store_continues_its_chain() {
    let store = Arc::new(MemoryStore::new("protocol-test"));
    let tx = transfer(1);
    let before = {
        let mut n = node_on(1, store.clone()).unwrap();
        n.submit(tx.clone(), 0);
        n.on_timer(5).unwrap();
        let actions = n.on_timer(100).unwrap();
        let [Message::Roots { root, .. }] = published(&actions)[..] else {
            panic!("one root published: {actions:?}");
        };
        assert_eq!(root.header.sequence, 0);
        *root
        // The node stops here; its store stays.
    };

    // Another key on this store is refused: the chain there is node 1's.
    let refused = node_on(2, store.clone())
        .err()
        .expect("another node's chain");
    assert!(
        refused.to_string().contains("observation chain of node"),
        "{refused}"
    );

    let mut n = node_on(1, store).unwrap();
    assert_eq!(n.observations().last_root(), Some(&before));
    // Its proof of the observation signed before the restart is still served.
    let proof = n.observations().inclusion(&tx.hash()).unwrap().unwrap();
    assert_eq!(proof.header, before);
    assert_eq!(proof.verify().unwrap(), n.id());
    // The next root is sequence 1, chained to the one published before the restart.
    n.submit(transfer(2), 0);
    n.on_timer(5).unwrap();
    let actions = n.on_timer(100).unwrap();
    let [Message::Roots { root, .. }] = published(&actions)[..] else {
        panic!("one root published after the restart: {actions:?}");
    };
    assert_eq!(root.header.sequence, 1);
    assert_eq!(root.header.previous, before.header.hash());
    ramjet_node::observe::verify_chain(&[before, *root]).unwrap();
}

#[test]
fn two_nodes_fed_each_others_publications_agree_on_a_transfer() {
    let mut nodes = [node(1), node(2)];
    let ids = [nodes[0].id(), nodes[1].id()];
    let tx = transfer(1);
    assert_eq!(nodes[0].submit(tx.clone(), 0).0, Submission::Queued);
    let mut accepted = [false, false];
    let mut delivered = 0;
    for t in 0..=1_500u64 {
        // Each node's timer, then the messages it published, delivered at once to the other.
        let mut inbox: Vec<(usize, Message)> = Vec::new();
        for i in 0..2 {
            if nodes[i].next_deadline() <= t {
                for action in nodes[i].on_timer(t).unwrap() {
                    match action {
                        Action::Publish(m) => inbox.push((1 - i, m)),
                        Action::Event(NodeEvent::Accepted { tx: h }) if h == tx.hash() => {
                            accepted[i] = true
                        }
                        _ => {}
                    }
                }
            }
        }
        while let Some((to, message)) = inbox.pop() {
            delivered += 1;
            let (acceptance, actions) = nodes[to].on_message(ids[1 - to], &message, t).unwrap();
            assert!(
                !matches!(acceptance, Acceptance::Reject(_)),
                "{acceptance:?}"
            );
            for action in actions {
                if let Action::Publish(m) = action {
                    inbox.push((1 - to, m));
                }
            }
        }
    }
    assert_eq!(accepted, [true, true], "after {delivered} deliveries");
    for n in &nodes {
        assert_eq!(n.ledger().state(&tx.hash()), Some(TxState::Accepted));
        assert_eq!(n.counters().accepted, 1);
    }
    assert_eq!(
        nodes[0].ledger().utxo_digest().unwrap(),
        nodes[1].ledger().utxo_digest().unwrap()
    );
    // Each holds the other's chain, with a vote for the transfer.
    assert_eq!(
        nodes[1].votes().vote(&ids[0], &[tx.hash()]),
        Some(tx.hash())
    );
    assert_eq!(
        nodes[0].votes().vote(&ids[1], &[tx.hash()]),
        Some(tx.hash())
    );
}

#[test]
fn the_configuration_lists_every_violation() {
    let mut c = config();
    assert!(c.validate().is_ok());
    c.flush_interval_ms = 0;
    c.ledger.hold_limit = 0;
    c.consensus.conflict_window_ms = 0;
    let Err(ProtocolError::InvalidConfig { violations }) = c.validate() else {
        panic!("accepted");
    };
    assert_eq!(violations.len(), 3, "{violations:?}");
    // Defaults fill in what a file leaves out.
    let parsed: ProtocolConfig = serde_json::from_str(r#"{"flush_interval_ms": 50}"#).unwrap();
    assert_eq!(parsed.flush_interval_ms, 50);
    assert_eq!(parsed.consensus, ProtocolConfig::default().consensus);
}
