//! Trust: direct trust, DATT and EigenTrust against hand-computed values, and their invariants
//! (bounded, deterministic, independent of insertion order) as properties.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use ramjet_node::trust::{
    Behaviour, DattConfig, DirectTrust, DirectTrustConfig, EigenTrustConfig, PeerKey, TrustError,
    TrustGraph, eigentrust, transitive_trust,
};

fn graph(edges: &[(u8, u8, f64)]) -> TrustGraph<u8> {
    let mut g = TrustGraph::new();
    for &(rater, ratee, score) in edges {
        g.set(rater, ratee, score).unwrap();
    }
    g
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-12
}

// ---- direct trust ----

#[test]
fn direct_trust_decays_towards_the_start_from_both_sides() {
    let config = DirectTrustConfig::default();
    let tau = config.decay_time_constant_ms;
    let mut table = DirectTrust::new(config).unwrap();
    let bad = PeerKey::from_byte(1);
    let good = PeerKey::from_byte(2);
    for _ in 0..5 {
        table.record(bad, Behaviour::Invalid, 0);
    }
    for _ in 0..300 {
        table.record(good, Behaviour::Valid, 0);
    }
    assert!(close(table.score(&bad, 0), 0.0));
    assert!(close(table.score(&good, 0), 0.8));
    let mut last_bad = table.score(&bad, 0);
    let mut last_good = table.score(&good, 0);
    for step in 1..=20 {
        let now = step * tau;
        let (b, g) = (table.score(&bad, now), table.score(&good, now));
        assert!(b > last_bad && b < 0.5, "bad peer rises towards 0.5: {b}");
        assert!(g < last_good && g > 0.5, "good peer falls towards 0.5: {g}");
        assert!(close(b, 0.5 - 0.5 * (-(step as f64)).exp()));
        assert!(close(g, 0.5 + 0.3 * (-(step as f64)).exp()));
        (last_bad, last_good) = (b, g);
    }
    // After 100 τ the deviation is far below one ulp of 0.5.
    assert_eq!(table.score(&bad, 100 * tau), 0.5);
    assert_eq!(table.score(&good, 100 * tau), 0.5);
}

#[test]
fn a_recorded_event_applies_to_the_decayed_score() {
    let config = DirectTrustConfig {
        decay_time_constant_ms: 1000,
        ..DirectTrustConfig::default()
    };
    let mut table = DirectTrust::new(config).unwrap();
    table.record(1u8, Behaviour::Invalid, 0); // 0.4
    let after = table.record(1u8, Behaviour::Timeout, 1000);
    let expected = 0.5 - 0.1 * (-1.0f64).exp() - 0.05;
    assert!(close(after, expected), "{after} vs {expected}");
}

// ---- DATT ----

/// s = 0, a = 1, b = 2, t = 3:
/// s→a 0.8, s→b 0.6, a→t 0.5, b→t −0.5, a→b 0.9; δ = 0.5, three hops.
fn diamond() -> TrustGraph<u8> {
    graph(&[
        (0, 1, 0.8),
        (0, 2, 0.6),
        (1, 3, 0.5),
        (2, 3, -0.5),
        (1, 2, 0.9),
    ])
}

#[test]
fn datt_averages_per_rank_and_takes_the_lowest_rank() {
    let trust = transitive_trust(&diamond(), &0, &DattConfig::default()).unwrap();
    assert_eq!(trust.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);

    // t: rank 2 has s-a-t (0.4) and s-b-t (−0.3): mean 0.05, × δ = 0.025;
    // rank 3 has s-a-b-t (0.8·0.9·−0.5 = −0.36), × δ² = −0.09.
    let t = &trust[&3];
    assert_eq!(t.rank, 2);
    assert!(close(t.score, 0.025));
    assert_eq!(t.rank_scores[0], None);
    assert!(close(t.rank_scores[1].unwrap(), 0.025));
    assert!(close(t.rank_scores[2].unwrap(), -0.09));

    // b: direct 0.6 wins over s-a-b (0.72 × δ = 0.36).
    let b = &trust[&2];
    assert_eq!((b.rank, b.score), (1, 0.6));
    assert!(close(b.rank_scores[1].unwrap(), 0.36));
    assert_eq!(b.rank_scores[2], None);

    assert_eq!((trust[&1].rank, trust[&1].score), (1, 0.8));
}

#[test]
fn datt_respects_max_hops() {
    let config = DattConfig {
        max_hops: 1,
        ..DattConfig::default()
    };
    let trust = transitive_trust(&diamond(), &0, &config).unwrap();
    assert_eq!(trust.keys().copied().collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(trust[&1].rank_scores, vec![Some(0.8)]);
}

#[test]
fn negative_and_zero_scores_stop_propagation_but_end_paths() {
    // 0 distrusts 1, who vouches for 4; 0 trusts 2, who distrusts 3, who vouches for 4;
    // 0 has no opinion of 5, who vouches for 4.
    let g = graph(&[
        (0, 1, -0.5),
        (1, 4, 1.0),
        (0, 2, 0.5),
        (2, 3, -1.0),
        (3, 4, 1.0),
        (0, 5, 0.0),
        (5, 4, 1.0),
    ]);
    let trust = transitive_trust(&g, &0, &DattConfig::default()).unwrap();
    assert_eq!(trust[&1].score, -0.5, "the node's own distrust counts");
    assert!(
        close(trust[&3].score, -0.25),
        "a neighbour's distrust counts"
    );
    assert_eq!(trust[&5].score, 0.0);
    assert!(
        !trust.contains_key(&4),
        "nothing passes through a distrusted or unrated peer"
    );
}

#[test]
fn datt_paths_are_simple() {
    // A cycle back to the source and round 1 ⇄ 2 adds no path.
    let g = graph(&[(0, 1, 1.0), (1, 0, 1.0), (1, 2, 1.0), (2, 1, 1.0)]);
    let config = DattConfig {
        max_hops: 5,
        ..DattConfig::default()
    };
    let trust = transitive_trust(&g, &0, &config).unwrap();
    assert_eq!(
        trust[&1].rank_scores,
        vec![Some(1.0), None, None, None, None]
    );
    assert_eq!(
        trust[&2].rank_scores,
        vec![None, Some(0.5), None, None, None]
    );
}

#[test]
fn the_default_path_limit_admits_48_fully_connected_peers_and_refuses_49() {
    let complete = |n: u8| {
        let mut g = TrustGraph::new();
        for a in 0..n {
            g.set_ratings(a, (0..n).filter(|&b| b != a).map(|b| (b, 0.5)))
                .unwrap();
        }
        g
    };
    let config = DattConfig::default();
    let trust = transitive_trust(&complete(48), &0, &config).unwrap();
    assert_eq!(trust.len(), 47);
    assert_eq!(
        transitive_trust(&complete(49), &0, &config),
        Err(TrustError::PathLimitExceeded { limit: 100_000 })
    );
}

// ---- EigenTrust ----

fn seed(keys: &[u8]) -> BTreeSet<u8> {
    keys.iter().copied().collect()
}

fn tight() -> EigenTrustConfig {
    EigenTrustConfig {
        epsilon: 1e-14,
        ..EigenTrustConfig::default()
    }
}

#[test]
fn eigentrust_on_a_cycle_matches_the_hand_solution() {
    // A→B→C→A, pre-trusted A, a = 1/2: t_A = t_C/2 + 1/2, t_B = t_A/2, t_C = t_B/2,
    // so t = (4/7, 2/7, 1/7).
    let g = graph(&[(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)]);
    let config = EigenTrustConfig {
        pre_trust_weight: 0.5,
        ..tight()
    };
    let t = eigentrust(&g, &seed(&[0]), &config).unwrap();
    assert!(close(t[&0], 4.0 / 7.0), "{t:?}");
    assert!(close(t[&1], 2.0 / 7.0), "{t:?}");
    assert!(close(t[&2], 1.0 / 7.0), "{t:?}");
}

#[test]
fn eigentrust_normalises_local_trust() {
    // A rates B 0.3 and C 0.1 (normalised 3/4, 1/4), B and C rate A; pre-trusted A, a = 0.2:
    // t_B = 0.6·t_A, t_C = 0.2·t_A, t_A = 0.8·(t_B + t_C) + 0.2, so t = (5/9, 1/3, 1/9).
    // A's distrust of D and D's self-trust carry no weight; D has no positive rating, so its
    // (zero) trust would go to the pre-trusted peers.
    let g = graph(&[
        (0, 1, 0.3),
        (0, 2, 0.1),
        (0, 3, -1.0),
        (1, 0, 1.0),
        (2, 0, 1.0),
        (3, 3, 1.0),
    ]);
    let config = EigenTrustConfig {
        pre_trust_weight: 0.2,
        ..tight()
    };
    let t = eigentrust(&g, &seed(&[0]), &config).unwrap();
    assert!(close(t[&0], 5.0 / 9.0), "{t:?}");
    assert!(close(t[&1], 1.0 / 3.0), "{t:?}");
    assert!(close(t[&2], 1.0 / 9.0), "{t:?}");
    assert_eq!(t[&3], 0.0);
}

#[test]
fn eigentrust_reports_non_convergence() {
    let g = graph(&[(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)]);
    let config = EigenTrustConfig {
        pre_trust_weight: 0.5,
        epsilon: f64::MIN_POSITIVE,
        max_iterations: 1,
    };
    // t₀ = (1, 0, 0), t₁ = (1/2, 1/2, 0): L1 change 1.
    assert_eq!(
        eigentrust(&g, &seed(&[0]), &config),
        Err(TrustError::DidNotConverge {
            iterations: 1,
            residual: 1.0
        })
    );
}

#[test]
fn eigentrust_rejects_bad_parameters_all_at_once() {
    let config = EigenTrustConfig {
        pre_trust_weight: 1.5,
        epsilon: 0.0,
        max_iterations: 0,
    };
    match eigentrust(&graph(&[]), &seed(&[0]), &config) {
        Err(TrustError::InvalidParameters { violations }) => assert_eq!(violations.len(), 3),
        other => panic!("expected InvalidParameters, got {other:?}"),
    }
}

#[test]
fn a_sybil_cluster_without_trust_from_honest_peers_gets_nothing() {
    let honest = [1u8, 2, 3];
    let sybils = 10u8..20;
    let mut g = TrustGraph::new();
    for &a in &honest {
        for &b in &honest {
            g.set(a, b, 1.0).unwrap();
        }
    }
    for a in sybils.clone() {
        for b in sybils.clone() {
            g.set(a, b, 1.0).unwrap();
        }
        for &h in &honest {
            g.set(a, h, 0.01).unwrap(); // sybils may praise honest peers too
        }
    }
    let t = eigentrust(&g, &seed(&[1]), &EigenTrustConfig::default()).unwrap();
    let sybil_total: f64 = sybils.map(|s| t[&s]).sum();
    let honest_total: f64 = honest.iter().map(|h| t[h]).sum();
    assert!(sybil_total < 1e-12, "sybils got {sybil_total}");
    assert!((honest_total - 1.0).abs() < 1e-9);
}

#[test]
fn nan_scores_are_refused() {
    let mut g = TrustGraph::new();
    assert!(matches!(
        g.set(1u8, 2, f64::NAN),
        Err(TrustError::NonFiniteScore { .. })
    ));
    assert!(g.is_empty());
    g.set(1u8, 2, 7.0).unwrap();
    assert_eq!(g.get(&1, &2), Some(1.0), "scores are clamped into [-1, 1]");
}

// ---- the measures together ----

#[test]
fn direct_trust_feeds_datt_and_eigentrust() {
    // The local node (0) has dealt with 1 and 2; 1 reports on 3, 2 reports on 3 and 4.
    let mut direct = DirectTrust::new(DirectTrustConfig::default()).unwrap();
    for _ in 0..100 {
        direct.record(1u8, Behaviour::Valid, 0); // 0.6
    }
    direct.record(2u8, Behaviour::Invalid, 0); // 0.4
    direct.record(2u8, Behaviour::Timeout, 0); // 0.35
    let mut graph = TrustGraph::new();
    graph.set_ratings(0, direct.scores(0)).unwrap();
    graph.set_ratings(1, [(3, 0.5)]).unwrap();
    graph.set_ratings(2, [(3, 1.0), (4, -0.5)]).unwrap();

    let datt = transitive_trust(&graph, &0, &DattConfig::default()).unwrap();
    assert!(close(datt[&1].score, 0.6));
    assert!(close(datt[&2].score, 0.35));
    // Rank 2: (0.6·0.5 + 0.35·1.0) / 2 · 0.5 = 0.1625.
    assert!(close(datt[&3].score, 0.1625));
    assert!(close(datt[&4].score, 0.35 * -0.5 * 0.5));

    let global = eigentrust(&graph, &seed(&[0]), &EigenTrustConfig::default()).unwrap();
    assert_eq!(global[&4], 0.0, "only distrusted");
    assert!(global[&0] > global[&3] && global[&3] > global[&1] && global[&1] > global[&2]);
}

#[test]
fn configs_load_with_defaults_for_missing_fields() {
    let direct: DirectTrustConfig =
        serde_json::from_str(r#"{ "decay_time_constant_ms": 60000 }"#).unwrap();
    assert_eq!(direct.decay_time_constant_ms, 60_000);
    assert_eq!(direct.initial, 0.5);
    let datt: DattConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(datt, DattConfig::default());
    let eigen: EigenTrustConfig = serde_json::from_str(r#"{ "pre_trust_weight": 0.3 }"#).unwrap();
    assert_eq!(eigen.pre_trust_weight, 0.3);
    assert_eq!(eigen.max_iterations, 1000);
    assert!(serde_json::from_str::<DattConfig>(r#"{ "max_hop": 2 }"#).is_err());
}

// ---- properties ----

/// Trust edges `((rater, ratee), score)`.
type Edges = Vec<((u8, u8), f64)>;

/// Distinct edges among eight peers, in key order and shuffled.
fn edges_and_a_shuffle() -> impl Strategy<Value = (Edges, Edges)> {
    prop::collection::btree_map((0u8..8, 0u8..8), -1.0f64..=1.0, 0..40).prop_flat_map(|edges| {
        let edges: Vec<_> = edges.into_iter().collect();
        (Just(edges.clone()), Just(edges).prop_shuffle())
    })
}

fn graph_of(edges: &[((u8, u8), f64)]) -> TrustGraph<u8> {
    let mut g = TrustGraph::new();
    for &((rater, ratee), score) in edges {
        g.set(rater, ratee, score).unwrap();
    }
    g
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        Just(Behaviour::Valid),
        Just(Behaviour::Invalid),
        Just(Behaviour::Timeout)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn direct_scores_stay_bounded_and_peers_are_independent(
        events in prop::collection::vec((0u8..4, behaviour(), 0u64..20_000), 0..200),
        tau in 1u64..10_000,
    ) {
        let config = DirectTrustConfig { decay_time_constant_ms: tau, ..DirectTrustConfig::default() };
        let mut together = DirectTrust::new(config.clone()).unwrap();
        let mut apart: BTreeMap<u8, DirectTrust<u8>> = BTreeMap::new();
        let mut now = 0u64;
        for &(peer, what, wait) in &events {
            now += wait;
            let score = together.record(peer, what, now);
            prop_assert!((-1.0..=1.0).contains(&score));
            apart
                .entry(peer)
                .or_insert_with(|| DirectTrust::new(config.clone()).unwrap())
                .record(peer, what, now);
        }
        for later in [now, now + tau / 2, now + 50 * tau] {
            for (peer, score) in together.scores(later) {
                prop_assert!((-1.0..=1.0).contains(&score));
                prop_assert_eq!(score, apart[&peer].score(&peer, later));
            }
        }
    }

    #[test]
    fn datt_is_bounded_deterministic_and_order_free((edges, shuffled) in edges_and_a_shuffle()) {
        let config = DattConfig::default();
        let first = transitive_trust(&graph_of(&edges), &0, &config).unwrap();
        let again = transitive_trust(&graph_of(&edges), &0, &config).unwrap();
        let permuted = transitive_trust(&graph_of(&shuffled), &0, &config).unwrap();
        prop_assert_eq!(&first, &again);
        prop_assert_eq!(&first, &permuted);
        for (target, trust) in &first {
            prop_assert!(*target != 0);
            prop_assert!((-1.0..=1.0).contains(&trust.score));
            for score in trust.rank_scores.iter().flatten() {
                prop_assert!((-1.0..=1.0).contains(score));
            }
            prop_assert_eq!(trust.rank_scores[trust.rank - 1], Some(trust.score));
        }
    }

    #[test]
    fn eigentrust_is_a_distribution_deterministic_and_order_free(
        (edges, shuffled) in edges_and_a_shuffle(),
        pre_trusted in prop::collection::btree_set(0u8..10, 1..4),
    ) {
        let config = EigenTrustConfig::default();
        let first = eigentrust(&graph_of(&edges), &pre_trusted, &config).unwrap();
        let again = eigentrust(&graph_of(&edges), &pre_trusted, &config).unwrap();
        let permuted = eigentrust(&graph_of(&shuffled), &pre_trusted, &config).unwrap();
        prop_assert_eq!(&first, &again);
        prop_assert_eq!(&first, &permuted);
        prop_assert!(first.values().all(|&t| t >= 0.0));
        let total: f64 = first.values().sum();
        prop_assert!((total - 1.0).abs() < 1e-9, "sum {}", total);
        for key in &pre_trusted {
            prop_assert!(first.contains_key(key));
        }
    }
}
