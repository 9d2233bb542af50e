//! Conflicts: detection, first-seen votes, resolution, and what happens to the other spenders.

use super::*;

#[test]
fn a_double_spend_is_a_conflict_until_resolved() {
    let genesis = genesis(3);
    let (mut ledger, _) = open_memory(&genesis, config());
    let spent = genesis.outpoint(0);
    let a = pay(spent, &key(0), 1_000_000, &key(1), 10, 0);
    let b = pay(spent, &key(0), 1_000_000, &key(2), 10, 0);
    submit(&mut ledger, &a, 0);
    assert_eq!(
        ledger.tick(5).unwrap(),
        vec![LedgerEvent::Pending { tx: a.hash() }]
    );
    submit(&mut ledger, &b, 100);
    let mut spenders = vec![a.hash(), b.hash()];
    spenders.sort();
    assert_eq!(
        ledger.tick(105).unwrap(),
        vec![LedgerEvent::Conflict {
            outpoint: spent,
            spenders: spenders.clone()
        }]
    );
    assert_eq!(ledger.state(&a.hash()), Some(TxState::Conflicted));
    assert_eq!(ledger.state(&b.hash()), Some(TxState::Conflicted));
    let conflict = ConflictSet {
        outpoint: spent,
        spenders: spenders.clone(),
        first_seen: a.hash(),
        detected_ms: 105,
    };
    assert_eq!(ledger.conflicts(), vec![conflict]);
    // The quiet period stopped: nothing is committed however long we wait.
    assert_eq!(ledger.next_deadline(), None);
    assert_eq!(ledger.tick(10_000).unwrap(), vec![]);
    assert!(ledger.utxo(&spent).unwrap().is_some());
    // A third spender joins the conflict.
    let c = pay(spent, &key(0), 1_000_000, &key(1), 20, 0);
    submit(&mut ledger, &c, 10_000);
    let mut all = vec![a.hash(), b.hash(), c.hash()];
    all.sort();
    assert_eq!(
        ledger.tick(10_005).unwrap(),
        vec![LedgerEvent::Conflict {
            outpoint: spent,
            spenders: all.clone()
        }]
    );
    assert_eq!(ledger.conflicts()[0].first_seen, a.hash());
    assert_eq!(ledger.conflicts()[0].detected_ms, 105);

    // Bad resolutions are typed errors and change nothing.
    let unrelated = genesis.outpoint(1);
    assert!(matches!(
        ledger.resolve_conflict(&unrelated, &a.hash(), 10_010),
        Err(LedgerError::NoSuchConflict { .. })
    ));
    assert!(matches!(
        ledger.resolve_conflict(&spent, &TxHash([9; 32]), 10_010),
        Err(LedgerError::NotASpender { .. })
    ));
    assert_eq!(ledger.conflicts().len(), 1);

    // b wins: committed at once; a and c lose.
    let events = ledger.resolve_conflict(&spent, &b.hash(), 10_010).unwrap();
    let lost = RejectReason::LostConflict {
        outpoint: spent,
        winner: b.hash(),
    };
    assert_eq!(
        events,
        vec![
            rejected(&a, lost.clone()),
            rejected(&c, lost),
            LedgerEvent::Accepted { tx: b.hash() },
        ]
    );
    assert_eq!(ledger.state(&a.hash()), Some(TxState::Rejected));
    assert_eq!(ledger.state(&b.hash()), Some(TxState::Accepted));
    assert_eq!(ledger.conflicts(), vec![]);
    assert_eq!(
        ledger
            .utxo(&OutPoint {
                tx: b.hash(),
                index: 0
            })
            .unwrap(),
        Some(coins(&key(2), 10))
    );
    // A later spender is simply too late.
    let d = pay(spent, &key(0), 1_000_000, &key(2), 30, 0);
    submit(&mut ledger, &d, 10_020);
    assert_eq!(
        ledger.tick(10_025).unwrap(),
        vec![rejected(
            &d,
            RejectReason::InputSpent {
                input: 0,
                outpoint: spent
            }
        )]
    );
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
}

#[test]
fn a_winner_in_two_conflicts_waits_for_both() {
    let genesis = genesis(3);
    let (mut ledger, _) = open_memory(&genesis, config());
    let (x, y) = (genesis.outpoint(0), genesis.outpoint(1));
    let winner = Transaction::build_signed(
        &[(x, &key(0)), (y, &key(1))],
        vec![coins(&key(2), 2_000_000)],
        fee(0),
    );
    let on_x = pay(x, &key(0), 1_000_000, &key(1), 1, 0);
    let on_y = pay(y, &key(1), 1_000_000, &key(0), 1, 0);
    // An unrelated spender whose quiet period is not disturbed.
    let bystander = pay(genesis.outpoint(2), &key(2), 1_000_000, &key(0), 1, 0);
    for tx in [&winner, &on_x, &on_y, &bystander] {
        submit(&mut ledger, tx, 0);
    }
    let events = ledger.tick(5).unwrap();
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(ledger.conflicts().len(), 2);
    assert!(
        ledger
            .conflicts()
            .iter()
            .all(|c| c.first_seen == winner.hash())
    );
    let events = ledger.resolve_conflict(&x, &winner.hash(), 10).unwrap();
    assert_eq!(
        events,
        vec![rejected(
            &on_x,
            RejectReason::LostConflict {
                outpoint: x,
                winner: winner.hash()
            }
        )]
    );
    assert_eq!(ledger.state(&winner.hash()), Some(TxState::Conflicted));
    assert_eq!(
        ledger.tick(405).unwrap(),
        vec![LedgerEvent::Accepted {
            tx: bystander.hash()
        }]
    );
    let events = ledger.resolve_conflict(&y, &winner.hash(), 500).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1], LedgerEvent::Accepted { tx: winner.hash() });
    assert_eq!(ledger.state(&on_y.hash()), Some(TxState::Rejected));
    assert_eq!(ledger.supply().unwrap(), genesis.supply());
}

#[test]
fn a_survivor_of_a_rejected_rival_goes_back_to_pending() {
    // a spends x and y; b spends x; c spends y. b wins x: a is rejected, which leaves c alone
    // on y: c is Pending again, with a new quiet period.
    let genesis = genesis(3);
    let (mut ledger, _) = open_memory(&genesis, config());
    let (x, y) = (genesis.outpoint(0), genesis.outpoint(1));
    let a = Transaction::build_signed(
        &[(x, &key(0)), (y, &key(1))],
        vec![coins(&key(2), 2_000_000)],
        fee(0),
    );
    let b = pay(x, &key(0), 1_000_000, &key(1), 1, 0);
    let c = pay(y, &key(1), 1_000_000, &key(0), 1, 0);
    for tx in [&a, &b, &c] {
        submit(&mut ledger, tx, 0);
    }
    ledger.tick(5).unwrap();
    assert_eq!(ledger.state(&c.hash()), Some(TxState::Conflicted));
    let events = ledger.resolve_conflict(&x, &b.hash(), 100).unwrap();
    let lost = RejectReason::LostConflict {
        outpoint: x,
        winner: b.hash(),
    };
    assert_eq!(
        events,
        vec![
            rejected(&a, lost),
            LedgerEvent::Pending { tx: c.hash() },
            LedgerEvent::Accepted { tx: b.hash() },
        ]
    );
    assert_eq!(ledger.conflicts(), vec![]);
    assert_eq!(ledger.state(&c.hash()), Some(TxState::Pending));
    assert_eq!(ledger.tick(499).unwrap(), vec![]);
    assert_eq!(
        ledger.tick(500).unwrap(),
        vec![LedgerEvent::Accepted { tx: c.hash() }]
    );
}

#[test]
fn the_vote_passes_to_the_earliest_spender_left() {
    // a spends x and y; b spends y; c and d spend x. b wins y: a is rejected, and the
    // conflict on x, first seen as a, is now first seen as c.
    let genesis = genesis(3);
    let (mut ledger, _) = open_memory(&genesis, config());
    let (x, y) = (genesis.outpoint(0), genesis.outpoint(1));
    let a = Transaction::build_signed(
        &[(x, &key(0)), (y, &key(1))],
        vec![coins(&key(2), 2_000_000)],
        fee(0),
    );
    let b = pay(y, &key(1), 1_000_000, &key(0), 1, 0);
    let c = pay(x, &key(0), 1_000_000, &key(1), 1, 0);
    let d = pay(x, &key(0), 1_000_000, &key(2), 1, 0);
    for tx in [&a, &b, &c, &d] {
        submit(&mut ledger, tx, 0);
    }
    ledger.tick(5).unwrap();
    assert!(
        ledger
            .conflicts()
            .iter()
            .all(|set| set.first_seen == a.hash())
    );
    ledger.resolve_conflict(&y, &b.hash(), 10).unwrap();
    let mut rest = vec![c.hash(), d.hash()];
    rest.sort();
    assert_eq!(
        ledger.conflicts(),
        vec![ConflictSet {
            outpoint: x,
            spenders: rest,
            first_seen: c.hash(),
            detected_ms: 5,
        }]
    );
}
