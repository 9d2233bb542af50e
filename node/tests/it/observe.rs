//! Observations: flush and prove inclusion for odd and even buffer sizes, tampering rejected with
//! typed errors, header chains, finality across distinct nodes, equivocation evidence, and the
//! plain-Rust path recomputation against the accelerator's RFC 6962 reference, and the chain
//! continued across a restart on RocksDB.

use std::sync::Arc;

use proptest::prelude::*;
use ramjet_accel::{Accelerator, MerkleLeaves};
use ramjet_node::identity::Identity;
use ramjet_node::observe::{
    Evidence, FinalityProof, InclusionProof, ObsError, Observation, ObservationBuffer, SignedRoot,
    TxState, merkle_root_from_path, verify_chain, verify_evidence, verify_finality,
};
use ramjet_node::storage::RocksStore;
use ramjet_node::tx::TxHash;

fn tx(i: u32) -> TxHash {
    let mut h = [0u8; 32];
    h[..4].copy_from_slice(&i.to_le_bytes());
    h[31] = 0xAB;
    TxHash(h)
}

fn identity(seed: u8) -> Identity {
    Identity::from_secret([seed; 32], 0).unwrap()
}

fn obs(i: u32, state: TxState) -> Observation {
    Observation {
        tx: tx(i),
        state,
        time_ms: 1_000 + u64::from(i),
    }
}

fn flushed(id: &Identity, n: u32, state: TxState) -> ObservationBuffer {
    let accel = Accelerator::cpu_only();
    let mut buf = ObservationBuffer::new();
    for i in 0..n {
        buf.push(obs(i, state));
    }
    buf.flush(&accel, id, 5_000).unwrap().unwrap();
    buf
}

#[test]
fn every_leaf_of_odd_and_even_buffers_proves_inclusion() {
    let id = identity(1);
    for n in [1u32, 2, 3, 5, 8, 1000] {
        let buf = flushed(&id, n, TxState::Accepted);
        let root = buf.last_root().unwrap();
        assert_eq!(root.header.leaf_count, n);
        let digests: Vec<[u8; 32]> = (0..n)
            .map(|i| obs(i, TxState::Accepted).leaf_digest())
            .collect();
        assert_eq!(
            root.header.root,
            ramjet_accel::reference::rfc6962_root(MerkleLeaves::Digests(&digests))
        );
        for i in 0..n {
            let proof = buf.inclusion(&tx(i)).unwrap().unwrap();
            assert_eq!(proof.index, i);
            assert_eq!(proof.verify().unwrap(), id.node_id(), "n = {n}, i = {i}");
        }
    }
}

#[test]
fn empty_buffer_gives_no_root_and_no_chain_step() {
    let accel = Accelerator::cpu_only();
    let id = identity(1);
    let mut buf = ObservationBuffer::new();
    assert!(buf.flush(&accel, &id, 1).unwrap().is_none());
    buf.push(obs(0, TxState::Pending));
    let first = buf.flush(&accel, &id, 2).unwrap().unwrap();
    assert_eq!(first.header.sequence, 0);
    assert!(buf.flush(&accel, &id, 3).unwrap().is_none());
    buf.push(obs(1, TxState::Pending));
    let second = buf.flush(&accel, &id, 4).unwrap().unwrap();
    assert_eq!(second.header.sequence, 1);
    assert!(buf.inclusion(&tx(7)).unwrap().is_none());
}

#[test]
fn tampering_is_rejected_with_typed_errors() {
    let id = identity(2);
    let buf = flushed(&id, 5, TxState::Accepted);
    let good = buf.inclusion(&tx(4)).unwrap().unwrap();
    good.verify().unwrap();

    // Path: a changed sibling, a missing level, a sibling where the odd node has none.
    let mut p = good.clone();
    let first = p.path.iter().position(Option::is_some).unwrap();
    p.path[first].as_mut().unwrap()[0] ^= 1;
    assert!(matches!(p.verify(), Err(ObsError::RootMismatch { .. })));
    let mut p = good.clone();
    p.path.pop();
    assert!(matches!(p.verify(), Err(ObsError::PathLength { .. })));
    let mut p = good.clone();
    let none = p
        .path
        .iter()
        .position(Option::is_none)
        .expect("leaf 4 of 5 moves up alone");
    p.path[none] = Some([0; 32]);
    assert!(matches!(
        p.verify(),
        Err(ObsError::PathShape {
            expected_sibling: false,
            ..
        })
    ));
    let mut p = good.clone();
    p.index = 5;
    assert!(matches!(p.verify(), Err(ObsError::IndexOutOfRange { .. })));
    let mut p = good.clone();
    p.index = 3;
    assert!(p.verify().is_err());

    // Observation.
    let mut p = good.clone();
    p.observation.state = TxState::Rejected;
    assert!(matches!(p.verify(), Err(ObsError::RootMismatch { .. })));
    let mut p = good.clone();
    p.observation.time_ms += 1;
    assert!(matches!(p.verify(), Err(ObsError::RootMismatch { .. })));

    // Signature and header.
    let mut p = good.clone();
    p.header.signature[0] ^= 1;
    assert!(matches!(p.verify(), Err(ObsError::BadSignature { .. })));
    let mut p = good.clone();
    p.header.header.time_ms += 1;
    assert!(matches!(p.verify(), Err(ObsError::BadSignature { .. })));
    let mut p = good.clone();
    p.header.header.leaf_count = 6;
    assert!(matches!(p.verify(), Err(ObsError::BadSignature { .. })));
    let mut p = good.clone();
    p.header.header.public_key = *identity(3).public_key();
    assert!(matches!(p.verify(), Err(ObsError::BadSignature { .. })));
}

#[test]
fn encodings_round_trip_and_reject_bad_bytes() {
    let o = obs(9, TxState::Conflicted);
    assert_eq!(Observation::decode(&o.encode()).unwrap(), o);
    let mut bytes = o.encode();
    bytes[32] = 4;
    assert_eq!(Observation::decode(&bytes), Err(ObsError::UnknownState(4)));
    assert!(matches!(
        Observation::decode(&bytes[..40]),
        Err(ObsError::Encoding { .. })
    ));
    let buf = flushed(&identity(1), 3, TxState::Pending);
    let h = buf.last_root().unwrap().header;
    assert_eq!(
        ramjet_node::observe::RootHeader::decode(&h.encode()).unwrap(),
        h
    );
}

fn chain(id: &Identity, epochs: u32) -> Vec<SignedRoot> {
    let accel = Accelerator::cpu_only();
    let mut buf = ObservationBuffer::new();
    for e in 0..epochs {
        buf.push(obs(e, TxState::Pending));
        buf.push(obs(e + 100, TxState::Accepted));
        buf.flush(&accel, id, u64::from(e)).unwrap();
    }
    buf.roots().copied().collect()
}

#[test]
fn chains_link_by_header_hash() {
    let id = identity(4);
    let headers = chain(&id, 4);
    assert_eq!(headers[0].header.previous, [0; 32]);
    verify_chain(&headers).unwrap();
    verify_chain(&headers[1..]).unwrap();
    verify_chain(&[]).unwrap();

    let mut skipped = headers.clone();
    skipped.remove(2);
    assert!(matches!(
        verify_chain(&skipped),
        Err(ObsError::ChainBroken { position: 2, .. })
    ));
    let mut swapped = headers.clone();
    swapped.swap(1, 2);
    assert!(matches!(
        verify_chain(&swapped),
        Err(ObsError::ChainBroken { .. })
    ));
    let mut mixed = headers.clone();
    mixed[3] = chain(&identity(5), 4)[3];
    assert!(matches!(
        verify_chain(&mixed),
        Err(ObsError::ChainBroken { position: 3, .. })
    ));
    let mut forged = headers.clone();
    forged[2].header.previous[0] ^= 1;
    assert!(matches!(
        verify_chain(&forged),
        Err(ObsError::BadSignature { .. })
    ));

    // A buffer refuses to continue its chain under another key.
    let accel = Accelerator::cpu_only();
    let mut buf = ObservationBuffer::new();
    buf.push(obs(0, TxState::Pending));
    buf.flush(&accel, &id, 0).unwrap();
    buf.push(obs(1, TxState::Pending));
    assert!(matches!(
        buf.flush(&accel, &identity(6), 1),
        Err(ramjet_node::NodeError::Observe(ObsError::WrongIdentity))
    ));
    assert_eq!(buf.pending().len(), 1);
}

#[test]
fn finality_counts_distinct_nodes_once() {
    let ids: Vec<Identity> = (10..13).map(identity).collect();
    let target = tx(3);
    let mut entries: Vec<InclusionProof> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            flushed(id, 4 + k as u32, TxState::Accepted)
                .inclusion(&target)
                .unwrap()
                .unwrap()
        })
        .collect();
    // A duplicate entry from the first node, from a later epoch.
    let accel = Accelerator::cpu_only();
    let mut again = flushed(&ids[0], 4, TxState::Accepted);
    again.push(obs(3, TxState::Accepted));
    again.flush(&accel, &ids[0], 9_000).unwrap();
    entries.push(again.inclusion(&target).unwrap().unwrap());
    entries.push(entries[1].clone());

    let proof = FinalityProof {
        tx: target,
        entries,
    };
    let verdict = verify_finality(&proof, TxState::Accepted, 3).unwrap();
    let mut expected: Vec<_> = ids.iter().map(Identity::node_id).collect();
    expected.sort();
    assert_eq!(verdict.nodes, expected);
    let weights = [(ids[0].node_id(), 0.5), (ids[2].node_id(), 0.25)]
        .into_iter()
        .collect();
    assert_eq!(verdict.weight(&weights), 0.75);

    assert_eq!(
        verify_finality(&proof, TxState::Accepted, 4),
        Err(ObsError::NotEnoughNodes {
            found: 3,
            required: 4
        })
    );
    assert!(matches!(
        verify_finality(&proof, TxState::Rejected, 1),
        Err(ObsError::WrongState { .. })
    ));
    let wrong_tx = FinalityProof {
        tx: tx(2),
        ..proof.clone()
    };
    assert!(matches!(
        verify_finality(&wrong_tx, TxState::Accepted, 1),
        Err(ObsError::WrongTransaction { .. })
    ));
    let mut bad = proof.clone();
    bad.entries[2].header.signature[5] ^= 1;
    assert!(matches!(
        verify_finality(&bad, TxState::Accepted, 1),
        Err(ObsError::BadSignature { .. })
    ));
}

#[test]
fn equivocation_evidence_verifies_and_non_conflicts_do_not() {
    let id = identity(20);
    let a = flushed(&id, 3, TxState::Accepted);
    let b = flushed(&id, 3, TxState::Rejected);
    let (ra, rb) = (*a.last_root().unwrap(), *b.last_root().unwrap());
    assert_eq!(ra.header.sequence, rb.header.sequence);
    assert_eq!(
        verify_evidence(&Evidence::SameSequence { a: ra, b: rb }),
        Ok(id.node_id())
    );
    let states = Evidence::ConflictingStates {
        a: a.inclusion(&tx(1)).unwrap().unwrap(),
        b: b.inclusion(&tx(1)).unwrap().unwrap(),
    };
    assert_eq!(verify_evidence(&states), Ok(id.node_id()));

    // Not evidence: the same header twice; different signers; different sequences;
    // Pending then Accepted; different transactions; a forged half.
    assert!(matches!(
        verify_evidence(&Evidence::SameSequence { a: ra, b: ra }),
        Err(ObsError::NotConflicting(_))
    ));
    let other = *flushed(&identity(21), 3, TxState::Rejected)
        .last_root()
        .unwrap();
    assert_eq!(
        verify_evidence(&Evidence::SameSequence { a: ra, b: other }),
        Err(ObsError::DifferentSigners)
    );
    let headers = chain(&id, 2);
    assert!(matches!(
        verify_evidence(&Evidence::SameSequence {
            a: headers[0],
            b: headers[1]
        }),
        Err(ObsError::NotConflicting(_))
    ));
    let pending = flushed(&id, 3, TxState::Pending);
    assert!(matches!(
        verify_evidence(&Evidence::ConflictingStates {
            a: pending.inclusion(&tx(1)).unwrap().unwrap(),
            b: a.inclusion(&tx(1)).unwrap().unwrap(),
        }),
        Err(ObsError::NotConflicting(_))
    ));
    assert!(matches!(
        verify_evidence(&Evidence::ConflictingStates {
            a: a.inclusion(&tx(1)).unwrap().unwrap(),
            b: b.inclusion(&tx(2)).unwrap().unwrap(),
        }),
        Err(ObsError::NotConflicting(_))
    ));
    let mut forged = rb;
    forged.signature[0] ^= 1;
    assert!(matches!(
        verify_evidence(&Evidence::SameSequence { a: ra, b: forged }),
        Err(ObsError::BadSignature { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn path_recomputation_matches_the_rfc6962_reference(n in 1usize..300, seed in any::<u64>(), pick in any::<prop::sample::Index>()) {
        let leaves: Vec<[u8; 32]> = (0..n)
            .map(|i| {
                let mut l = [0u8; 32];
                l[..8].copy_from_slice(&seed.wrapping_add(i as u64).to_le_bytes());
                l
            })
            .collect();
        let tree = Accelerator::cpu_only().merkle_sha256(MerkleLeaves::Digests(&leaves)).unwrap();
        let expected = ramjet_accel::reference::rfc6962_root(MerkleLeaves::Digests(&leaves));
        prop_assert_eq!(tree.root(), expected);
        let i = pick.index(n);
        let root = merkle_root_from_path(leaves[i], i as u32, n as u32, &tree.path(i)).unwrap();
        prop_assert_eq!(root, expected);
    }
}

#[test]
fn a_restart_on_rocksdb_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let accel = Arc::new(Accelerator::cpu_only());
    let id = identity(40);
    let (last, proofs) = {
        let store = Arc::new(RocksStore::open(dir.path(), "obs-chain").unwrap());
        let mut buf = ObservationBuffer::open(store, accel.clone(), &id).unwrap();
        for e in 0..3 {
            buf.push(obs(e, TxState::Pending));
            buf.push(obs(100, TxState::Pending));
            buf.flush(&accel, &id, 5_000 + u64::from(e))
                .unwrap()
                .unwrap();
        }
        let proofs = buf.inclusions(&tx(100)).unwrap();
        (*buf.last_root().unwrap(), proofs)
        // The store is closed here, as by a stop.
    };
    assert_eq!(last.header.sequence, 2);
    assert_eq!(proofs.len(), 3);

    let store = Arc::new(RocksStore::open(dir.path(), "obs-chain").unwrap());
    // Another key on this store is refused.
    assert!(matches!(
        ObservationBuffer::open(store.clone(), accel.clone(), &identity(41)),
        Err(ramjet_node::NodeError::Observe(
            ObsError::ForeignChain { .. }
        ))
    ));
    let mut buf = ObservationBuffer::open(store, accel.clone(), &id).unwrap();
    assert_eq!(buf.last_root(), Some(&last));
    assert_eq!(buf.inclusions(&tx(100)).unwrap(), proofs);
    let old = buf.inclusion(&tx(1)).unwrap().unwrap();
    assert_eq!(old.header.header.sequence, 1);
    assert_eq!(old.verify().unwrap(), id.node_id());

    buf.push(obs(3, TxState::Accepted));
    let next = buf.flush(&accel, &id, 6_000).unwrap().unwrap();
    assert_eq!(next.header.sequence, 3);
    assert_eq!(next.header.previous, last.header.hash());
    let chain: Vec<SignedRoot> = (0..4).map(|s| buf.root(s).unwrap().unwrap()).collect();
    verify_chain(&chain).unwrap();
}
