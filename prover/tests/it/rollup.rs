//! The rollup: native state transition and its rejections, JSON formats, the tree against the
//! accelerator's `merkle_poseidon`, the gadgets against their native counterparts, and the circuit:
//! satisfied by valid batches, unsatisfied by tampered witnesses, its size at depth 20.

use ark_bn254::Fr;
use ark_ec::CurveGroup;
use ark_ed_on_bn254::EdwardsAffine;
use ark_ff::{AdditiveGroup, BigInteger, Field, One, PrimeField, UniformRand, Zero};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, SynthesisMode,
};
use light_poseidon::{Poseidon, PoseidonHasher};
use ramjet_accel::{Backend, CpuBackend, reference};
use ramjet_prover::ProverError;
use ramjet_prover::rollup::account::account_leaf;
use ramjet_prover::rollup::commitment::{batch_commitment, transfer_message};
use ramjet_prover::rollup::gadgets::bits::{enforce_le_constant, range_check};
use ramjet_prover::rollup::gadgets::curve::PointVar;
use ramjet_prover::rollup::gadgets::eddsa::{SignatureVar, verify_signature};
use ramjet_prover::rollup::gadgets::merkle::root_from_path;
use ramjet_prover::rollup::gadgets::poseidon::poseidon_hash;
use ramjet_prover::rollup::tree::empty_node;
use ramjet_prover::rollup::{
    Account, AccountTree, Batch, PublicInputs, Rejection, RollupCircuit, Scalar, SecretKey, State,
    Transfer, TransferWitness, demo, eddsa, poseidon,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

// ---------------------------------------------------------------------------------------------
// Helpers

fn prove_mode() -> ConstraintSystemRef<Fr> {
    ConstraintSystem::<Fr>::new_ref()
}

fn setup_mode() -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    cs
}

/// Synthesizes `circuit` with its witness; whether every constraint holds.
fn satisfied(circuit: RollupCircuit) -> bool {
    let cs = prove_mode();
    circuit.generate_constraints(cs.clone()).unwrap();
    cs.finalize();
    cs.is_satisfied().unwrap()
}

fn key(i: u8) -> SecretKey {
    SecretKey::from_seed([i; 32])
}

fn fr_var(cs: &ConstraintSystemRef<Fr>, x: Fr) -> FpVar<Fr> {
    FpVar::new_witness(cs.clone(), || Ok(x)).unwrap()
}

/// A depth-4 genesis: account 0 (key 0, 1000), 5 (key 1, 50), 9 (key 2, u64::MAX − 5),
/// 12 (key 3, 10, nonce u64::MAX).
fn genesis() -> State {
    State::from_accounts(
        4,
        [
            Account::new(0, key(0).public_key(), 1000),
            Account::new(5, key(1).public_key(), 50),
            Account::new(9, key(2).public_key(), u64::MAX - 5),
            Account {
                nonce: u64::MAX,
                ..Account::new(12, key(3).public_key(), 10)
            },
        ],
    )
    .unwrap()
}

fn expect_rejection(state: &State, batch: &Batch, index: usize, reason: Rejection) {
    match state.apply(batch) {
        Err(ProverError::RollupTransfer {
            index: i,
            reason: r,
        }) => {
            assert_eq!((i, r), (index, reason), "batch {batch:?}");
        }
        other => panic!("expected transfer {index} rejected for {reason:?}, got {other:?}"),
    }
}

/// A circuit for one transfer built from field arithmetic alone, bypassing the native rules: the
/// sender's new balance is `balance − amount` in the field (wrapping below 0), the receiver's is
/// `balance + amount` (past 2^64 if it overflows). With `from = to` the receiver is the updated
/// sender. Lets a test show that the circuit itself rejects what the native rules reject.
fn forced_circuit(state: &State, transfer: Transfer) -> RollupCircuit {
    let sender = *state.account(transfer.from).expect("sender exists");
    let mut tree = state.tree().clone();
    let sender_path = tree.path(transfer.from).unwrap();
    let sender_balance = Fr::from(sender.balance) - Fr::from(transfer.amount);
    let sender_nonce = Fr::from(sender.nonce) + Fr::one();
    let (pk_x, pk_y) = (sender.public_key.x(), sender.public_key.y());
    tree.set_leaf(
        transfer.from,
        account_leaf(pk_x, pk_y, sender_balance, sender_nonce),
    )
    .unwrap();
    let receiver = if transfer.from == transfer.to {
        Account {
            balance: sender.balance - transfer.amount,
            nonce: sender.nonce + 1,
            ..sender
        }
    } else {
        *state.account(transfer.to).expect("receiver exists")
    };
    let receiver_path = tree.path(transfer.to).unwrap();
    tree.set_leaf(
        transfer.to,
        account_leaf(
            receiver.public_key.x(),
            receiver.public_key.y(),
            Fr::from(receiver.balance) + Fr::from(transfer.amount),
            Fr::from(receiver.nonce),
        ),
    )
    .unwrap();
    let public_inputs = PublicInputs {
        old_root: state.root(),
        new_root: tree.root(),
        commitment: batch_commitment(&[transfer]),
    };
    let witness = TransferWitness {
        transfer,
        sender,
        sender_path,
        receiver,
        receiver_path,
    };
    RollupCircuit::new(state.depth(), public_inputs, vec![witness]).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Poseidon, native and gadget

#[test]
fn native_poseidon_is_circomlib() {
    // circomlib's poseidon([1, 2]) test vector.
    let want: Fr = "7853200120776062878684798364095072458815029376092732009249414926327459813530"
        .parse()
        .unwrap();
    assert_eq!(poseidon::hash2(Fr::from(1u64), Fr::from(2u64)), want);
}

#[test]
fn poseidon_gadget_equals_light_poseidon() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    // circomlib partial rounds for t = 2..=6.
    let partial_rounds = [56, 57, 56, 60, 60];
    for n in 1..=poseidon::MAX_INPUTS {
        let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let want = Poseidon::<Fr>::new_circom(n)
            .unwrap()
            .hash(&inputs)
            .unwrap();
        assert_eq!(poseidon::hash(&inputs), want, "native, {n} inputs");

        let cs = prove_mode();
        let vars: Vec<_> = inputs.iter().map(|x| fr_var(&cs, *x)).collect();
        let out = poseidon_hash(&vars).unwrap();
        assert_eq!(out.value().unwrap(), want, "gadget, {n} inputs");
        assert!(cs.is_satisfied().unwrap());
        // 3 constraints per S-box; the first round's S-box on the constant 0 is free.
        let t = n + 1;
        assert_eq!(
            cs.num_constraints(),
            3 * (8 * t + partial_rounds[n - 1] - 1),
            "{n} inputs"
        );
    }
}

#[test]
fn poseidon_gadget_rejects_a_wrong_output() {
    let cs = prove_mode();
    let (a, b) = (Fr::from(3u64), Fr::from(4u64));
    let out = poseidon_hash(&[fr_var(&cs, a), fr_var(&cs, b)]).unwrap();
    use ark_r1cs_std::eq::EqGadget;
    out.enforce_equal(&fr_var(&cs, poseidon::hash2(a, b)))
        .unwrap();
    assert!(cs.is_satisfied().unwrap());
    out.enforce_equal(&fr_var(&cs, poseidon::hash2(b, a)))
        .unwrap();
    assert!(!cs.is_satisfied().unwrap());
}

// ---------------------------------------------------------------------------------------------
// The account tree

#[test]
fn tree_root_equals_accelerator_merkle_poseidon() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let cpu = CpuBackend::new();
    for depth in [1usize, 3, 5] {
        let n = 1usize << depth;
        // Every third slot empty (0), the others random.
        let leaves: Vec<Fr> = (0..n)
            .map(|i| {
                if i % 3 == 0 {
                    Fr::zero()
                } else {
                    Fr::rand(&mut rng)
                }
            })
            .collect();
        let mut tree = AccountTree::new(depth).unwrap();
        for (i, leaf) in leaves.iter().enumerate() {
            if !leaf.is_zero() {
                tree.set_leaf(i as u64, *leaf).unwrap();
            }
        }
        let reference_root = reference::merkle_poseidon(&leaves).root();
        assert_eq!(tree.root(), reference_root, "depth {depth}");
        assert_eq!(
            tree.root(),
            cpu.merkle_poseidon(&leaves).unwrap().root(),
            "depth {depth}"
        );
        for (i, leaf) in leaves.iter().enumerate() {
            let path = tree.path(i as u64).unwrap();
            assert_eq!(path.siblings.len(), depth);
            assert_eq!(path.root(i as u64, *leaf), tree.root());
            assert_ne!(path.root(i as u64, *leaf + Fr::one()), tree.root());
        }
        // The empty tree's root: all-zero leaves.
        assert_eq!(
            AccountTree::new(depth).unwrap().root(),
            reference::merkle_poseidon(&vec![Fr::zero(); n]).root()
        );
        assert_eq!(empty_node(depth), AccountTree::new(depth).unwrap().root());
    }
}

#[test]
fn tree_rejects_bad_depths_and_indices() {
    assert!(AccountTree::new(0).is_err());
    assert!(AccountTree::new(33).is_err());
    let mut tree = AccountTree::new(3).unwrap();
    assert!(tree.set_leaf(8, Fr::one()).is_err());
    assert!(tree.path(8).is_err());
    assert!(tree.set_leaf(7, Fr::one()).is_ok());
}

#[test]
fn merkle_gadget_matches_native_paths() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let depth = 5;
    let mut tree = AccountTree::new(depth).unwrap();
    for i in [0u64, 7, 13, 31] {
        tree.set_leaf(i, Fr::rand(&mut rng)).unwrap();
    }
    for index in [0u64, 13, 31, 20] {
        let path = tree.path(index).unwrap();
        let cs = prove_mode();
        let bits: Vec<_> = (0..depth)
            .map(|l| Boolean::new_witness(cs.clone(), || Ok((index >> l) & 1 == 1)).unwrap())
            .collect();
        let siblings: Vec<_> = path.siblings.iter().map(|s| fr_var(&cs, *s)).collect();
        let root = root_from_path(&fr_var(&cs, tree.leaf(index)), &bits, &siblings).unwrap();
        assert_eq!(root.value().unwrap(), tree.root());
        // A wrong direction bit (at the top, where both subtrees differ) gives another root.
        let flipped_index = index ^ (1 << (depth - 1));
        let flipped: Vec<_> = (0..depth)
            .map(|l| {
                Boolean::new_witness(cs.clone(), || Ok((flipped_index >> l) & 1 == 1)).unwrap()
            })
            .collect();
        let other = root_from_path(&fr_var(&cs, tree.leaf(index)), &flipped, &siblings).unwrap();
        assert_ne!(other.value().unwrap(), tree.root());
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(cs.num_constraints(), 2 * depth * 241 + 2 * depth);
    }
}

// ---------------------------------------------------------------------------------------------
// Signatures

#[test]
fn eddsa_signs_and_verifies() {
    let (k, other) = (key(1), key(2));
    let msg = transfer_message(1, 2, 3, 4);
    let sig = k.sign(msg);
    assert!(eddsa::verify(&k.public_key(), msg, &sig));
    assert_eq!(sig, k.sign(msg), "deterministic");
    assert!(!eddsa::verify(&k.public_key(), msg + Fr::one(), &sig));
    assert!(!eddsa::verify(&other.public_key(), msg, &sig));
    let mut bad_s = sig;
    bad_s.s += Scalar::one();
    assert!(!eddsa::verify(&k.public_key(), msg, &bad_s));
    let mut bad_r = sig;
    bad_r.r = (sig.r + eddsa::generator()).into_affine();
    assert!(!eddsa::verify(&k.public_key(), msg, &bad_r));
    let mut off_curve = sig;
    off_curve.r = EdwardsAffine::new_unchecked(sig.r.x, sig.r.y + Fr::one());
    assert!(!eddsa::verify(&k.public_key(), msg, &off_curve));
}

#[test]
fn public_keys_must_be_in_the_prime_order_subgroup() {
    let pk = key(1).public_key();
    assert!(ramjet_prover::rollup::PublicKey::from_coordinates(pk.x(), pk.y()).is_ok());
    // Off the curve.
    assert!(
        ramjet_prover::rollup::PublicKey::from_coordinates(pk.x(), pk.y() + Fr::one()).is_err()
    );
    // The identity, and the point of order 2.
    assert!(ramjet_prover::rollup::PublicKey::from_coordinates(Fr::zero(), Fr::one()).is_err());
    assert!(ramjet_prover::rollup::PublicKey::from_coordinates(Fr::zero(), -Fr::one()).is_err());
    // A key plus a torsion point: on the curve, outside the subgroup.
    let t = EdwardsAffine::new_unchecked(Fr::zero(), -Fr::one());
    let mixed = (pk.point() + t).into_affine();
    assert!(mixed.is_on_curve());
    assert!(ramjet_prover::rollup::PublicKey::from_point(mixed).is_err());
}

/// Allocates `pk`, `msg`, and a signature with S given as an integer, and verifies in-circuit.
fn signature_circuit(
    pk: &EdwardsAffine,
    msg: Fr,
    r: &EdwardsAffine,
    s: <Scalar as PrimeField>::BigInt,
) -> ConstraintSystemRef<Fr> {
    let cs = prove_mode();
    let pk = PointVar::new_witness(&cs, Some((pk.x, pk.y))).unwrap();
    let msg = fr_var(&cs, msg);
    let sig = SignatureVar::new_witness_from_parts(&cs, Some((r.x, r.y)), Some(s)).unwrap();
    verify_signature(&cs, &pk, &msg, &sig).unwrap();
    cs
}

#[test]
fn eddsa_gadget_agrees_with_native_verification() {
    let k = key(4);
    let pk = k.public_key().point();
    for m in 0..3u64 {
        let msg = transfer_message(m, m + 1, 10, m);
        let sig = k.sign(msg);
        let s = sig.s.into_bigint();
        assert!(
            signature_circuit(&pk, msg, &sig.r, s)
                .is_satisfied()
                .unwrap()
        );
        // Wrong message, wrong key, wrong S, wrong R: each rejected, natively and in-circuit.
        assert!(
            !signature_circuit(&pk, msg + Fr::one(), &sig.r, s)
                .is_satisfied()
                .unwrap()
        );
        let other = key(5).public_key().point();
        assert!(
            !signature_circuit(&other, msg, &sig.r, s)
                .is_satisfied()
                .unwrap()
        );
        let s1 = (sig.s + Scalar::one()).into_bigint();
        assert!(
            !signature_circuit(&pk, msg, &sig.r, s1)
                .is_satisfied()
                .unwrap()
        );
        let r1 = (sig.r + eddsa::generator()).into_affine();
        assert!(!signature_circuit(&pk, msg, &r1, s).is_satisfied().unwrap());
        let off = EdwardsAffine::new_unchecked(sig.r.x + Fr::one(), sig.r.y);
        assert!(!off.is_on_curve());
        assert!(!signature_circuit(&pk, msg, &off, s).is_satisfied().unwrap());
    }
}

#[test]
fn eddsa_gadget_rejects_s_not_below_l() {
    // S + l is another representative of S; it fits in 251 bits when S < 2^251 − l. The circuit
    // must reject it (the native scheme requires S < l).
    let k = key(6);
    let pk = k.public_key().point();
    let mut two_251 = <Scalar as PrimeField>::BigInt::from(1u64);
    two_251 <<= 251u32;
    for m in 0u64.. {
        let msg = Fr::from(m);
        let sig = k.sign(msg);
        let mut s_plus_l = sig.s.into_bigint();
        assert!(!s_plus_l.add_with_carry(&Scalar::MODULUS));
        if s_plus_l >= two_251 {
            continue;
        }
        assert!(
            signature_circuit(&pk, msg, &sig.r, sig.s.into_bigint())
                .is_satisfied()
                .unwrap()
        );
        assert!(
            !signature_circuit(&pk, msg, &sig.r, s_plus_l)
                .is_satisfied()
                .unwrap()
        );
        break;
    }
}

#[test]
fn scalar_multiplication_gadgets_match_native() {
    use ramjet_prover::rollup::gadgets::bits::to_bits_strict;
    use ramjet_prover::rollup::gadgets::curve::double;
    use ramjet_prover::rollup::gadgets::eddsa::{
        FixedBaseTable, SCALAR_BITS, fixed_base_mul, point_value, signed_digit_mul,
    };
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let p = (key(7).public_key().point() * Scalar::from(8u64)).into_affine();
    let two_254_plus_1 = Scalar::from(2u64).pow([254]) + Scalar::one();
    let to_scalar = |h: Fr| Scalar::from_le_bytes_mod_order(&h.into_bigint().to_bytes_le());
    // Variable base: (2h + 2^254 + 1)·P over the strict 254 bits of h.
    for h in [
        Fr::zero(),
        Fr::one(),
        -Fr::one(),
        Fr::from(5u64),
        Fr::rand(&mut rng),
    ] {
        let cs = prove_mode();
        let pv = PointVar::new_witness(&cs, Some((p.x, p.y))).unwrap();
        let (p2, _, _) = double(&cs, &pv).unwrap();
        let bits = to_bits_strict(&cs, &fr_var(&cs, h)).unwrap();
        let out = signed_digit_mul(&cs, &pv, &p2, &bits).unwrap();
        let e = to_scalar(h).double() + two_254_plus_1;
        assert_eq!(point_value(&out).unwrap(), (p * e).into_affine(), "h = {h}");
        assert!(cs.is_satisfied().unwrap(), "h = {h}");
    }
    // Fixed base: S·B8 over 251 bits.
    let b8 = (eddsa::generator() * Scalar::from(8u64)).into_affine();
    for s in [
        Scalar::zero(),
        Scalar::one(),
        -Scalar::one(),
        Scalar::rand(&mut rng),
    ] {
        let cs = prove_mode();
        let s_big = s.into_bigint();
        let bits: Vec<_> = (0..SCALAR_BITS)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok(s_big.get_bit(i))).unwrap())
            .collect();
        let out = fixed_base_mul(&cs, FixedBaseTable::base8(), &bits).unwrap();
        assert_eq!(
            point_value(&out).unwrap(),
            (b8 * s).into_affine(),
            "s = {s}"
        );
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn strict_decomposition_rules_out_the_alias() {
    use ramjet_prover::rollup::gadgets::bits::{alloc_bits_le, le_bits_to_fp};
    let mut p_minus_one = Fr::MODULUS;
    p_minus_one.sub_with_borrow(&<Fr as PrimeField>::BigInt::from(1u64));
    // v + p has the same value mod p; only the comparison with p − 1 tells them apart.
    for offset in [0u64, 5] {
        for alias in [false, true] {
            let mut integer = <Fr as PrimeField>::BigInt::from(offset);
            if alias {
                assert!(!integer.add_with_carry(&Fr::MODULUS));
            }
            let cs = prove_mode();
            let bit = |i: usize| integer.get_bit(i);
            let bits = alloc_bits_le(&cs, 254, Some(&bit)).unwrap();
            use ark_r1cs_std::eq::EqGadget;
            le_bits_to_fp(&bits)
                .enforce_equal(&fr_var(&cs, Fr::from(offset)))
                .unwrap();
            enforce_le_constant(&bits, &p_minus_one).unwrap();
            assert_eq!(cs.is_satisfied().unwrap(), !alias, "{offset} alias {alias}");
        }
    }
}

#[test]
fn small_order_keys_cannot_sign_in_circuit() {
    // Under A = identity or the point of order 2, A8 = 0 and `S·B8 = 8R` holds for R = S·B: the
    // circuit must still refuse (its Montgomery map of A8 is unsatisfiable).
    let s = Scalar::from(1234u64);
    let r = (eddsa::generator() * s).into_affine();
    for (x, y) in [(Fr::zero(), Fr::one()), (Fr::zero(), -Fr::one())] {
        let pk = EdwardsAffine::new_unchecked(x, y);
        assert!(
            !signature_circuit(&pk, Fr::from(9u64), &r, s.into_bigint())
                .is_satisfied()
                .unwrap()
        );
    }
}

#[test]
fn comparison_with_a_constant() {
    let bound = <Scalar as PrimeField>::BigInt::from(0b1011_0010u64);
    for v in 0u64..256 {
        let cs = prove_mode();
        let bits: Vec<_> = (0..8)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok((v >> i) & 1 == 1)).unwrap())
            .collect();
        enforce_le_constant(&bits, &bound).unwrap();
        assert_eq!(cs.is_satisfied().unwrap(), v <= 0b1011_0010, "{v}");
    }
}

#[test]
fn range_check_accepts_exactly_the_range() {
    for (v, ok) in [
        (Fr::zero(), true),
        (Fr::from(u64::MAX), true),
        (Fr::from(u64::MAX) + Fr::one(), false),
        (-Fr::one(), false),
    ] {
        let cs = prove_mode();
        range_check(&cs, &fr_var(&cs, v), 64).unwrap();
        assert_eq!(cs.is_satisfied().unwrap(), ok, "{v}");
        assert_eq!(cs.num_constraints(), 65);
    }
}

// ---------------------------------------------------------------------------------------------
// The native state transition

#[test]
fn apply_moves_balances_and_nonces() {
    let state = genesis();
    let batch = Batch {
        transfers: vec![
            Transfer::sign(0, 5, 10, 0, &key(0)),
            Transfer::sign(5, 0, 60, 0, &key(1)), // the whole balance after the first transfer
            Transfer::sign(0, 9, 5, 1, &key(0)),  // up to u64::MAX exactly
        ],
    };
    let applied = state.apply(&batch).unwrap();
    let next = &applied.state;
    assert_eq!(next.account(0).unwrap().balance, 1000 - 10 + 60 - 5);
    assert_eq!(next.account(0).unwrap().nonce, 2);
    assert_eq!(next.account(5).unwrap().balance, 0);
    assert_eq!(next.account(5).unwrap().nonce, 1);
    assert_eq!(next.account(9).unwrap().balance, u64::MAX);
    assert_eq!(next.account(9).unwrap().nonce, 0);
    assert_eq!(
        state.account(0).unwrap().balance,
        1000,
        "the old state is unchanged"
    );

    // Public inputs and witnesses describe the transition.
    let public = applied.public_inputs;
    assert_eq!(public.old_root, state.root());
    assert_eq!(public.new_root, next.root());
    assert_ne!(public.old_root, public.new_root);
    assert_eq!(public.commitment, batch.commitment());
    assert_eq!(
        public.to_vec(),
        vec![public.old_root, public.new_root, public.commitment]
    );
    let mut root = state.root();
    for w in &applied.witnesses {
        let t = w.transfer;
        assert_eq!(w.sender_path.root(t.from, w.sender.leaf()), root);
        let sender = Account {
            balance: w.sender.balance - t.amount,
            nonce: w.sender.nonce + 1,
            ..w.sender
        };
        let middle = w.sender_path.root(t.from, sender.leaf());
        assert_eq!(w.receiver_path.root(t.to, w.receiver.leaf()), middle);
        let receiver = Account {
            balance: w.receiver.balance + t.amount,
            ..w.receiver
        };
        root = w.receiver_path.root(t.to, receiver.leaf());
    }
    assert_eq!(root, next.root());
}

#[test]
fn batch_commitment_is_the_documented_chain() {
    let t1 = Transfer::sign(0, 5, 10, 0, &key(0));
    let t2 = Transfer::sign(5, 0, 3, 0, &key(1));
    let c1 = poseidon::hash2(Fr::zero(), transfer_message(0, 5, 10, 0));
    let c2 = poseidon::hash2(c1, transfer_message(5, 0, 3, 0));
    assert_eq!(batch_commitment(&[t1, t2]), c2);
    assert_ne!(batch_commitment(&[t2, t1]), c2, "order matters");
    assert_eq!(Batch::default().commitment(), Fr::zero());
    assert_eq!(
        transfer_message(0, 5, 10, 0),
        poseidon::hash(&[Fr::zero(), Fr::from(5u64), Fr::from(10u64), Fr::zero()])
    );
}

#[test]
fn apply_rejects_each_rule_naming_the_transfer() {
    let state = genesis();
    let first = Transfer::sign(0, 5, 10, 0, &key(0)); // valid; account 0 then has nonce 1
    let cases = [
        (
            Transfer::sign(3, 5, 1, 0, &key(0)),
            Rejection::UnknownSender(3),
        ),
        (
            Transfer::sign(99, 5, 1, 0, &key(0)),
            Rejection::UnknownSender(99),
        ),
        (
            Transfer::sign(0, 0, 1, 1, &key(0)),
            Rejection::SelfTransfer(0),
        ),
        (
            Transfer::sign(0, 7, 1, 1, &key(0)),
            Rejection::UnknownReceiver(7),
        ),
        (
            Transfer::sign(0, 16, 1, 1, &key(0)),
            Rejection::UnknownReceiver(16),
        ),
        (Transfer::sign(0, 5, 0, 1, &key(0)), Rejection::ZeroAmount),
        (
            Transfer::sign(0, 5, 1, 0, &key(0)),
            Rejection::WrongNonce {
                expected: 1,
                got: 0,
            },
        ),
        (
            Transfer::sign(0, 5, 1, 2, &key(0)),
            Rejection::WrongNonce {
                expected: 1,
                got: 2,
            },
        ),
        (Transfer::sign(0, 5, 1, 1, &key(1)), Rejection::BadSignature),
        (
            Transfer {
                amount: 2,
                ..Transfer::sign(0, 5, 1, 1, &key(0))
            },
            Rejection::BadSignature,
        ),
        (
            Transfer::sign(5, 0, 61, 0, &key(1)),
            Rejection::Overdraft {
                balance: 60,
                amount: 61,
            },
        ),
        (
            Transfer::sign(12, 0, 1, u64::MAX, &key(3)),
            Rejection::NonceOverflow,
        ),
        (
            Transfer::sign(0, 9, 6, 1, &key(0)),
            Rejection::BalanceOverflow {
                balance: u64::MAX - 5,
                amount: 6,
            },
        ),
    ];
    for (bad, reason) in cases {
        let batch = Batch {
            transfers: vec![first, bad, first],
        };
        expect_rejection(&state, &batch, 1, reason);
    }
    // The index names the transfer's position, wherever it is.
    let unknown = Transfer::sign(0, 7, 1, 0, &key(0));
    expect_rejection(
        &state,
        &Batch {
            transfers: vec![unknown],
        },
        0,
        Rejection::UnknownReceiver(7),
    );
    let second = Transfer::sign(0, 5, 10, 1, &key(0));
    let late = Transfer::sign(0, 7, 1, 2, &key(0));
    expect_rejection(
        &state,
        &Batch {
            transfers: vec![first, second, late],
        },
        2,
        Rejection::UnknownReceiver(7),
    );
    // Boundaries that pass: the whole balance, a receiver reaching u64::MAX.
    assert!(
        state
            .apply(&Batch {
                transfers: vec![Transfer::sign(5, 0, 50, 0, &key(1))]
            })
            .is_ok()
    );
    assert!(
        state
            .apply(&Batch {
                transfers: vec![Transfer::sign(0, 9, 5, 0, &key(0))]
            })
            .is_ok()
    );
}

#[test]
fn state_building_rejects_bad_accounts() {
    let pk = key(1).public_key();
    assert!(
        State::from_accounts(4, [Account::new(16, pk, 1)]).is_err(),
        "outside the tree"
    );
    assert!(
        State::from_accounts(4, [Account::new(3, pk, 1), Account::new(3, pk, 2)]).is_err(),
        "duplicate index"
    );
    assert!(State::new(0).is_err());
    let empty = State::new(4).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.root(), empty_node(4));
}

// ---------------------------------------------------------------------------------------------
// JSON

#[test]
fn batch_json_round_trips_with_documented_names() {
    let (_, batch) = demo::random_batch(4, 3, 9).unwrap();
    let json = serde_json::to_string(&batch).unwrap();
    assert_eq!(serde_json::from_str::<Batch>(&json).unwrap(), batch);

    let value = serde_json::to_value(&batch).unwrap();
    let t = &value["transfers"][0];
    let first = batch.transfers[0];
    assert_eq!(t["from"], serde_json::json!(first.from));
    assert_eq!(t["to"], serde_json::json!(first.to));
    assert_eq!(t["amount"], serde_json::json!(first.amount.to_string()));
    assert_eq!(t["nonce"], serde_json::json!(first.nonce.to_string()));
    assert_eq!(
        t["signature"]["r"]["x"],
        serde_json::json!(first.signature.r.x.to_string())
    );
    assert_eq!(
        t["signature"]["r"]["y"],
        serde_json::json!(first.signature.r.y.to_string())
    );
    assert_eq!(
        t["signature"]["s"],
        serde_json::json!(first.signature.s.to_string())
    );
    assert_eq!(t.as_object().unwrap().len(), 5);
}

#[test]
fn batch_json_rejects_malformed_signatures_and_numbers() {
    let sig = key(1).sign(Fr::from(5u64));
    let text = |rx: String, s: String, amount: &str| {
        format!(
            r#"{{"transfers": [{{"from": 0, "to": 1, "amount": {amount}, "nonce": "0",
                "signature": {{"r": {{"x": "{rx}", "y": "{}"}}, "s": "{s}"}}}}]}}"#,
            sig.r.y
        )
    };
    let ok = text(sig.r.x.to_string(), sig.s.to_string(), "\"7\"");
    let parsed: Batch = serde_json::from_str(&ok).unwrap();
    assert_eq!(parsed.transfers[0].signature, sig);
    assert_eq!(parsed.transfers[0].amount, 7);
    // A JSON integer amount is accepted too.
    let parsed: Batch =
        serde_json::from_str(&text(sig.r.x.to_string(), sig.s.to_string(), "7")).unwrap();
    assert_eq!(parsed.transfers[0].amount, 7);

    let l = Scalar::MODULUS.to_string();
    for bad in [
        text(
            (sig.r.x + Fr::one()).to_string(),
            sig.s.to_string(),
            "\"7\"",
        ), // R off the curve
        text(sig.r.x.to_string(), l, "\"7\""), // S = l
        text(sig.r.x.to_string(), format!("0{}", sig.s), "\"7\""), // leading zero
        text(sig.r.x.to_string(), sig.s.to_string(), "\"-7\""), // negative amount
        text(
            sig.r.x.to_string(),
            sig.s.to_string(),
            "\"18446744073709551616\"",
        ), // 2^64
        text(sig.r.x.to_string(), sig.s.to_string(), "-7"),
    ] {
        assert!(serde_json::from_str::<Batch>(&bad).is_err(), "{bad}");
    }
}

#[test]
fn state_json_round_trips_and_is_checked() {
    let (state, _) = demo::random_batch(5, 2, 4).unwrap();
    let value = serde_json::to_value(&state).unwrap();
    assert_eq!(value["depth"], serde_json::json!(5));
    assert_eq!(value["root"], serde_json::json!(state.root().to_string()));
    let first = state.accounts().next().unwrap();
    let a = &value["accounts"][0];
    assert_eq!(a["index"], serde_json::json!(first.index));
    assert_eq!(
        a["public_key"]["x"],
        serde_json::json!(first.public_key.x().to_string())
    );
    assert_eq!(
        a["public_key"]["y"],
        serde_json::json!(first.public_key.y().to_string())
    );
    assert_eq!(a["balance"], serde_json::json!(first.balance.to_string()));
    assert_eq!(a["nonce"], serde_json::json!("0"));
    let back: State = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(back.root(), state.root());
    assert!(back.accounts().eq(state.accounts()));

    // Hand-written genesis: no root, numbers as JSON integers.
    let pk = key(3).public_key();
    let genesis = |index: u64, x: Fr, root: Option<Fr>| {
        let root = root
            .map(|r| format!(r#""root": "{r}","#))
            .unwrap_or_default();
        format!(
            r#"{{"depth": 3, {root} "accounts": [{{"index": {index},
                "public_key": {{"x": "{x}", "y": "{}"}}, "balance": 100, "nonce": 2}}]}}"#,
            pk.y()
        )
    };
    let parsed: State = serde_json::from_str(&genesis(2, pk.x(), None)).unwrap();
    assert_eq!(parsed.account(2).unwrap().balance, 100);
    assert_eq!(parsed.account(2).unwrap().nonce, 2);
    let root = parsed.root();
    assert!(serde_json::from_str::<State>(&genesis(2, pk.x(), Some(root))).is_ok());
    for bad in [
        genesis(2, pk.x(), Some(root + Fr::one())), // root mismatch
        genesis(8, pk.x(), None),                   // index outside depth 3
        genesis(2, pk.x() + Fr::one(), None),       // key off the curve
    ] {
        assert!(serde_json::from_str::<State>(&bad).is_err(), "{bad}");
    }
    // Duplicate index.
    let mut dup = value;
    let account = dup["accounts"][0].clone();
    dup["accounts"].as_array_mut().unwrap().push(account);
    dup.as_object_mut().unwrap().remove("root");
    assert!(serde_json::from_value::<State>(dup).is_err());
}

#[test]
fn public_inputs_json_names() {
    let p = PublicInputs {
        old_root: Fr::from(1u64),
        new_root: Fr::from(2u64),
        commitment: Fr::from(3u64),
    };
    assert_eq!(
        serde_json::to_value(p).unwrap(),
        serde_json::json!({"old_root": "1", "new_root": "2", "commitment": "3"})
    );
}

#[test]
fn demo_batches_are_valid_and_deterministic() {
    let (state, batch) = demo::random_batch(6, 5, 42).unwrap();
    assert_eq!(batch.len(), 5);
    assert_eq!(state.len(), demo::accounts_for(6, 5));
    state.apply(&batch).unwrap();
    let (state2, batch2) = demo::random_batch(6, 5, 42).unwrap();
    assert_eq!((state2.root(), batch2), (state.root(), batch.clone()));
    let (state3, batch3) = demo::random_batch(6, 5, 43).unwrap();
    assert_ne!((state3.root(), batch3), (state.root(), batch));
    // A depth-1 tree holds only 2 accounts.
    let (small, batch) = demo::random_batch(1, 3, 1).unwrap();
    assert_eq!(small.len(), 2);
    small.apply(&batch).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The circuit

#[test]
fn circuit_is_satisfied_by_a_valid_batch_with_the_native_public_inputs() {
    for (n, seed) in [(2, 11), (3, 12)] {
        let (state, batch) = demo::random_batch(4, n, seed).unwrap();
        let applied = state.apply(&batch).unwrap();
        let circuit = RollupCircuit::from_applied(&applied);
        assert_eq!((circuit.depth(), circuit.n_txs()), (4, n));
        let cs = prove_mode();
        circuit.generate_constraints(cs.clone()).unwrap();
        cs.finalize();
        assert!(
            cs.is_satisfied().unwrap(),
            "{:?}",
            cs.which_is_unsatisfied()
        );
        // Instance: the constant 1, then old root, new root, commitment.
        let instance = cs.borrow().unwrap().instance_assignment().unwrap().to_vec();
        assert_eq!(
            instance,
            vec![
                Fr::one(),
                state.root(),
                applied.state.root(),
                batch.commitment()
            ]
        );
    }
}

#[test]
fn circuit_accepts_boundary_transfers() {
    // The whole balance, and a receiver reaching u64::MAX.
    let state = genesis();
    let batch = Batch {
        transfers: vec![
            Transfer::sign(5, 0, 50, 0, &key(1)),
            Transfer::sign(0, 9, 5, 0, &key(0)),
        ],
    };
    assert!(satisfied(RollupCircuit::from_applied(
        &state.apply(&batch).unwrap()
    )));
}

#[test]
fn circuit_rejects_tampered_witnesses() {
    let state = genesis();
    let batch = Batch {
        transfers: vec![
            Transfer::sign(0, 5, 10, 0, &key(0)),
            Transfer::sign(5, 9, 5, 0, &key(1)),
        ],
    };
    let applied = state.apply(&batch).unwrap();
    let build = |edit: &dyn Fn(&mut PublicInputs, &mut Vec<TransferWitness>)| {
        let mut public = applied.public_inputs;
        let mut witnesses = applied.witnesses.clone();
        edit(&mut public, &mut witnesses);
        RollupCircuit::new(4, public, witnesses).unwrap()
    };
    assert!(satisfied(build(&|_, _| {})), "the untampered witness");

    type Edit = Box<dyn Fn(&mut PublicInputs, &mut Vec<TransferWitness>)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("wrong new root", Box::new(|p, _| p.new_root += Fr::one())),
        ("wrong old root", Box::new(|p, _| p.old_root += Fr::one())),
        (
            "wrong commitment",
            Box::new(|p, _| p.commitment += Fr::one()),
        ),
        (
            "signature S changed",
            Box::new(|_, w| w[1].transfer.signature.s += Scalar::one()),
        ),
        (
            "signature by another key",
            Box::new(|_, w| {
                let t = w[1].transfer;
                w[1].transfer.signature = key(0).sign(t.message());
            }),
        ),
        (
            "signature R changed",
            Box::new(|_, w| {
                let r = w[0].transfer.signature.r;
                w[0].transfer.signature.r = (r + eddsa::generator()).into_affine();
            }),
        ),
        (
            "forged sender balance (to afford more)",
            Box::new(|_, w| w[1].sender.balance += 1_000_000),
        ),
        (
            "forged receiver balance",
            Box::new(|_, w| w[0].receiver.balance += 1),
        ),
        (
            "forged sender nonce",
            Box::new(|_, w| w[0].sender.nonce += 1),
        ),
        (
            "amount changed after signing",
            Box::new(|_, w| w[0].transfer.amount += 1),
        ),
        (
            "wrong nonce, correctly signed",
            Box::new(|_, w| w[0].transfer = Transfer::sign(0, 5, 10, 1, &key(0))),
        ),
        (
            "receiver index changed",
            Box::new(|_, w| w[0].transfer.to = 9),
        ),
        (
            "a sibling changed",
            Box::new(|_, w| w[1].receiver_path.siblings[2] += Fr::one()),
        ),
        ("transfers swapped", Box::new(|_, w| w.swap(0, 1))),
    ];
    for (what, edit) in cases {
        assert!(!satisfied(build(edit.as_ref())), "{what}");
    }
}

#[test]
fn circuit_enforces_the_rules_on_its_own() {
    // Witnesses built from field arithmetic, past the native checks: the circuit rejects each
    // broken rule; the same construction within the rules is accepted (so only the rule fails).
    let state = genesis();
    let cases = [
        // (transfer breaking a rule, the closest transfer within the rules)
        (
            "overdraft",
            Transfer::sign(5, 0, 51, 0, &key(1)),
            Transfer::sign(5, 0, 50, 0, &key(1)),
        ),
        (
            "receiver overflow",
            Transfer::sign(0, 9, 6, 0, &key(0)),
            Transfer::sign(0, 9, 5, 0, &key(0)),
        ),
        (
            "nonce overflow",
            Transfer::sign(12, 0, 1, u64::MAX, &key(3)),
            Transfer::sign(5, 0, 1, 0, &key(1)),
        ),
        (
            "self-transfer",
            Transfer::sign(0, 0, 1, 0, &key(0)),
            Transfer::sign(0, 5, 1, 0, &key(0)),
        ),
        (
            "zero amount",
            Transfer::sign(0, 5, 0, 0, &key(0)),
            Transfer::sign(0, 5, 1, 0, &key(0)),
        ),
    ];
    for (what, broken, within) in cases {
        assert!(
            state.check_transfer(&broken).is_err(),
            "{what}: natively rejected"
        );
        assert!(
            state.check_transfer(&within).is_ok(),
            "{what}: control is valid"
        );
        // The forced construction equals the native one where both exist.
        let control = forced_circuit(&state, within);
        let native = RollupCircuit::from_applied(
            &state
                .apply(&Batch {
                    transfers: vec![within],
                })
                .unwrap(),
        );
        assert_eq!(control.witness(), native.witness(), "{what}");
        assert!(satisfied(control), "{what}: control");
        assert!(!satisfied(forced_circuit(&state, broken)), "{what}");
    }
}

#[test]
fn blank_circuit_has_the_shape_of_a_real_one() {
    let (state, batch) = demo::random_batch(4, 2, 5).unwrap();
    let real = RollupCircuit::from_applied(&state.apply(&batch).unwrap());
    let cs_real = prove_mode();
    real.generate_constraints(cs_real.clone()).unwrap();
    cs_real.finalize();
    let cs_blank = setup_mode();
    RollupCircuit::blank(4, 2)
        .unwrap()
        .generate_constraints(cs_blank.clone())
        .unwrap();
    cs_blank.finalize();
    assert_eq!(cs_real.num_constraints(), cs_blank.num_constraints());
    assert_eq!(cs_real.num_instance_variables(), 4);
    assert_eq!(cs_blank.num_instance_variables(), 4);
    assert_eq!(
        cs_real.num_witness_variables(),
        cs_blank.num_witness_variables()
    );
    assert_eq!(
        cs_real.to_matrices().unwrap(),
        cs_blank.to_matrices().unwrap()
    );
    // Without a witness, proving-mode synthesis reports the missing assignment.
    assert!(
        RollupCircuit::blank(4, 2)
            .unwrap()
            .generate_constraints(prove_mode())
            .is_err()
    );
    assert!(RollupCircuit::blank(0, 1).is_err());
}

/// Constraints of one gadget call, synthesized alone on witness inputs.
fn count(f: impl FnOnce(&ConstraintSystemRef<Fr>)) -> usize {
    let cs = setup_mode();
    f(&cs);
    cs.num_constraints()
}

fn witness(cs: &ConstraintSystemRef<Fr>) -> FpVar<Fr> {
    FpVar::new_witness(cs.clone(), || Ok(Fr::zero())).unwrap()
}

#[test]
fn constraints_per_transfer_at_depth_20() {
    use ramjet_prover::rollup::gadgets::bits::to_bits_strict;
    use ramjet_prover::rollup::gadgets::eddsa::{
        FixedBaseTable, SCALAR_BITS, fixed_base_mul, signed_digit_mul,
    };
    const DEPTH: usize = 20;
    let total = |n: usize| {
        let cs = setup_mode();
        RollupCircuit::blank(DEPTH, n)
            .unwrap()
            .generate_constraints(cs.clone())
            .unwrap();
        cs.num_constraints()
    };
    let per_transfer = total(2) - total(1);

    // The same figure, gadget by gadget.
    let poseidon = |inputs: usize| count(|cs| drop(poseidon_hash(&vec![witness(cs); inputs])));
    let merkle_path = count(|cs| {
        let bits: Vec<_> = (0..DEPTH)
            .map(|_| Boolean::new_witness(cs.clone(), || Ok(false)).unwrap())
            .collect();
        let siblings: Vec<_> = (0..DEPTH).map(|_| witness(cs)).collect();
        drop(root_from_path(&witness(cs), &bits, &siblings));
    }) - DEPTH; // the index bits are counted once per account, below
    let signature_alloc = count(|cs| drop(SignatureVar::new_witness(cs, None)));
    let signature_verify = count(|cs| {
        let pk = PointVar::new_witness(cs, None).unwrap();
        let sig = SignatureVar::new_witness(cs, None).unwrap();
        let before = cs.num_constraints();
        verify_signature(cs, &pk, &witness(cs), &sig).unwrap();
        assert!(cs.num_constraints() > before);
    }) - signature_alloc;
    let range_64 = count(|cs| drop(range_check(cs, &witness(cs), 64)));
    let parts = [
        (
            "4 Merkle paths (sender before/after, receiver before/after)",
            4 * merkle_path,
        ),
        ("4 account leaves, Poseidon4", 4 * poseidon(4)),
        ("transfer message, Poseidon4", poseidon(4)),
        ("commitment chain, Poseidon2", poseidon(2)),
        (
            "EdDSA verification (incl. challenge Poseidon5)",
            signature_verify,
        ),
        ("signature S: 251 bits and S < l", signature_alloc),
        ("range checks: 3 × 64-bit (balances, nonce)", 3 * range_64),
        ("amount bits (64)", 64),
        ("index bits (2 × depth)", 2 * DEPTH),
        ("from ≠ to, amount ≠ 0", 2),
        ("nonce equality, 2 root equalities", 3),
    ];
    let sum: usize = parts.iter().map(|p| p.1).sum();
    eprintln!("constraints per transfer at depth {DEPTH}: {per_transfer}");
    for (what, n) in parts {
        eprintln!("  {n:>6}  {what}");
    }
    eprintln!(
        "  (Poseidon2 {}, Poseidon4 {}, Poseidon5 {}, Merkle level {})",
        poseidon(2),
        poseidon(4),
        poseidon(5),
        merkle_path / DEPTH
    );

    // The signature verification, step by step.
    let bits = |cs: &ConstraintSystemRef<Fr>, n: usize| -> Vec<Boolean<Fr>> {
        (0..n)
            .map(|_| Boolean::new_witness(cs.clone(), || Ok(false)).unwrap())
            .collect()
    };
    let strict_bits = count(|cs| drop(to_bits_strict(cs, &witness(cs))));
    let variable_base = count(|cs| {
        let (p, p2) = (
            PointVar::new_witness(cs, None).unwrap(),
            PointVar::new_witness(cs, None).unwrap(),
        );
        drop(signed_digit_mul(cs, &p, &p2, &bits(cs, 254)));
    }) - 254;
    let fixed_base = count(|cs| {
        drop(fixed_base_mul(
            cs,
            FixedBaseTable::base8(),
            &bits(cs, SCALAR_BITS),
        ));
    }) - SCALAR_BITS;
    let eddsa_steps = [
        ("A on the curve, A8 = 8A, 2·A8", 1 + 3 * 5 + 5),
        ("R on the curve, R8 = 8R", 1 + 3 * 5),
        ("challenge h, Poseidon5", poseidon(5)),
        ("h's 254 bits, strictly below p", strict_bits),
        ("e·A8, e = 2h + 2^254 + 1", variable_base),
        ("S·B8 (fixed base)", fixed_base),
        ("R8 + e·A8, equality with S·B8", 6 + 2),
    ];
    eprintln!("  EdDSA verification:");
    for (what, n) in eddsa_steps {
        eprintln!("    {n:>6}  {what}");
    }
    assert_eq!(
        eddsa_steps.iter().map(|s| s.1).sum::<usize>(),
        signature_verify
    );

    assert_eq!(
        sum, per_transfer,
        "the breakdown accounts for every constraint"
    );
    // The published bound, and the exact figure of the table in `rollup/mod.rs`.
    assert!(
        per_transfer <= 26_000,
        "{per_transfer} constraints per transfer"
    );
    assert_eq!(
        per_transfer, 24_814,
        "update the table in prover/src/rollup/mod.rs"
    );
}

#[test]
fn depth_20_circuit_with_a_witness() {
    // One real transfer at depth 20: satisfied, and the same size as the blank circuit.
    let (state, batch) = demo::random_batch(20, 1, 20).unwrap();
    let applied = state.apply(&batch).unwrap();
    let cs = prove_mode();
    RollupCircuit::from_applied(&applied)
        .generate_constraints(cs.clone())
        .unwrap();
    cs.finalize();
    assert!(cs.is_satisfied().unwrap());
    let blank = setup_mode();
    RollupCircuit::blank(20, 1)
        .unwrap()
        .generate_constraints(blank.clone())
        .unwrap();
    assert_eq!(cs.num_constraints(), blank.num_constraints());
}
