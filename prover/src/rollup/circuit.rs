//! The rollup circuit: a batch of `n_txs` transfers over an account tree of depth D.
//!
//! # Public inputs, in this order
//!
//! 1. `old_root`: the account tree root before the batch;
//! 2. `new_root`: the root after it;
//! 3. `commitment`: the batch commitment
//!    ([`batch_commitment`](super::commitment::batch_commitment)).
//!
//! ([`PublicInputs::to_vec`] gives them in this order.)
//!
//! # What is proven, per transfer, from the running root (`old_root` first)
//!
//! 1. `from`, `to` are D-bit integers (their bits select the Merkle paths) and differ; `amount` is
//!    a 64-bit integer other than 0.
//! 2. The sender's leaf `Poseidon4(pk.x, pk.y, balance, nonce)` is at `from` under the running
//!    root; the transfer's nonce equals the leaf's.
//! 3. The signature verifies on `msg = Poseidon4(from, to, amount, nonce)` under the sender's key
//!    ([`gadgets::eddsa`](super::gadgets::eddsa)).
//! 4. `balance − amount` and `nonce + 1` are below 2^64 (no overdraft, no nonce overflow); the
//!    sender's updated leaf, on the same path, gives the intermediate root.
//! 5. The receiver's leaf is at `to` under the intermediate root (so the receiver exists: an
//!    empty slot holds 0, which is no Poseidon image one can open); `balance + amount` is below
//!    2^64; the receiver's updated leaf gives the next running root.
//! 6. The commitment chain advances: `c ← Poseidon2(c, msg)`.
//!
//! Finally the running root equals `new_root` and the chain equals `commitment`.
//!
//! The circuit relies on the invariant that every leaf under `old_root` is an account of a native
//! [`State`](super::State) (key in the prime-order subgroup, balance and nonce below 2^64), which
//! holds by induction from a genesis built by `State`.

use ark_bn254::Fr;
use ark_ff::Zero;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::VALUE_BITS;
use super::account::Account;
use super::gadgets::bits::{alloc_uint, enforce_nonzero, range_check};
use super::gadgets::curve::PointVar;
use super::gadgets::eddsa::{SignatureVar, verify_signature};
use super::gadgets::merkle::root_from_path;
use super::gadgets::poseidon::poseidon_hash;
use super::state::{AppliedBatch, PublicInputs, TransferWitness};
use super::tree::check_depth;
use crate::{ProverError, Result};

/// The rollup circuit for `n_txs` transfers at tree depth `depth`, with or without a witness.
#[derive(Clone, Debug)]
pub struct RollupCircuit {
    depth: usize,
    n_txs: usize,
    witness: Option<RollupWitness>,
}

/// A full assignment of a [`RollupCircuit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollupWitness {
    /// The public inputs.
    pub public_inputs: PublicInputs,
    /// One witness per transfer.
    pub transfers: Vec<TransferWitness>,
}

impl RollupCircuit {
    /// A circuit without witness, for key generation: it synthesizes the same constraints as any
    /// circuit of the same `depth` and `n_txs` (in setup mode; proving with it fails with
    /// `AssignmentMissing`).
    pub fn blank(depth: usize, n_txs: usize) -> Result<Self> {
        check_depth(depth)?;
        Ok(Self {
            depth,
            n_txs,
            witness: None,
        })
    }

    /// A circuit with a witness; every path must have `depth` siblings. The witness is not checked
    /// further: an inconsistent one gives an unsatisfied constraint system.
    pub fn new(
        depth: usize,
        public_inputs: PublicInputs,
        transfers: Vec<TransferWitness>,
    ) -> Result<Self> {
        check_depth(depth)?;
        for (i, w) in transfers.iter().enumerate() {
            for (what, path) in [("sender", &w.sender_path), ("receiver", &w.receiver_path)] {
                if path.siblings.len() != depth {
                    return Err(ProverError::RollupInvalid(format!(
                        "transfer {i}: {what} path has {} siblings, the circuit's depth is {depth}",
                        path.siblings.len()
                    )));
                }
            }
        }
        Ok(Self {
            depth,
            n_txs: transfers.len(),
            witness: Some(RollupWitness {
                public_inputs,
                transfers,
            }),
        })
    }

    /// The circuit proving `applied` (from [`State::apply`](super::State::apply)).
    pub fn from_applied(applied: &AppliedBatch) -> Self {
        Self::new(
            applied.state.depth(),
            applied.public_inputs,
            applied.witnesses.clone(),
        )
        .expect("paths of an applied batch match its depth")
    }

    /// Tree depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of transfers.
    pub fn n_txs(&self) -> usize {
        self.n_txs
    }

    /// The witness, if any.
    pub fn witness(&self) -> Option<&RollupWitness> {
        self.witness.as_ref()
    }

    /// The public inputs, if there is a witness.
    pub fn public_inputs(&self) -> Option<PublicInputs> {
        self.witness.as_ref().map(|w| w.public_inputs)
    }
}

fn witness_value<T: Copy>(value: Option<T>) -> impl FnOnce() -> Result<T, SynthesisError> {
    move || value.ok_or(SynthesisError::AssignmentMissing)
}

/// An account's leaf fields as variables.
struct AccountVar {
    public_key: PointVar,
    balance: FpVar<Fr>,
    nonce: FpVar<Fr>,
}

impl AccountVar {
    fn new_witness(
        cs: &ConstraintSystemRef<Fr>,
        account: Option<&Account>,
    ) -> Result<Self, SynthesisError> {
        Ok(Self {
            public_key: PointVar::new_witness(
                cs,
                account.map(|a| (a.public_key.x(), a.public_key.y())),
            )?,
            balance: FpVar::new_witness(
                cs.clone(),
                witness_value(account.map(|a| Fr::from(a.balance))),
            )?,
            nonce: FpVar::new_witness(
                cs.clone(),
                witness_value(account.map(|a| Fr::from(a.nonce))),
            )?,
        })
    }

    fn leaf(&self, balance: &FpVar<Fr>, nonce: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        poseidon_hash(&[
            self.public_key.x.clone(),
            self.public_key.y.clone(),
            balance.clone(),
            nonce.clone(),
        ])
    }
}

fn alloc_siblings(
    cs: &ConstraintSystemRef<Fr>,
    depth: usize,
    siblings: Option<&[Fr]>,
) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
    (0..depth)
        .map(|i| FpVar::new_witness(cs.clone(), witness_value(siblings.map(|s| s[i]))))
        .collect()
}

/// Constrains one transfer from `root`; returns the next root and the transfer's message.
fn transfer_step(
    cs: &ConstraintSystemRef<Fr>,
    depth: usize,
    root: &FpVar<Fr>,
    witness: Option<&TransferWitness>,
) -> Result<(FpVar<Fr>, FpVar<Fr>), SynthesisError> {
    let transfer = witness.map(|w| &w.transfer);

    // Transfer fields.
    let (from_bits, from) = alloc_uint(cs, transfer.map(|t| t.from), depth)?;
    let (to_bits, to) = alloc_uint(cs, transfer.map(|t| t.to), depth)?;
    enforce_nonzero(&(&from - &to))?;
    let (_, amount) = alloc_uint(cs, transfer.map(|t| t.amount), VALUE_BITS)?;
    enforce_nonzero(&amount)?;
    let nonce = FpVar::new_witness(
        cs.clone(),
        witness_value(transfer.map(|t| Fr::from(t.nonce))),
    )?;
    let signature = SignatureVar::new_witness(cs, transfer.map(|t| &t.signature))?;

    // Sender: membership, nonce, signature, update.
    let sender = AccountVar::new_witness(cs, witness.map(|w| &w.sender))?;
    let sender_path = alloc_siblings(
        cs,
        depth,
        witness.map(|w| w.sender_path.siblings.as_slice()),
    )?;
    let sender_leaf = sender.leaf(&sender.balance, &sender.nonce)?;
    root_from_path(&sender_leaf, &from_bits, &sender_path)?.enforce_equal(root)?;
    nonce.enforce_equal(&sender.nonce)?;
    let msg = poseidon_hash(&[from, to, amount.clone(), nonce])?;
    verify_signature(cs, &sender.public_key, &msg, &signature)?;
    let sender_balance = &sender.balance - &amount;
    range_check(cs, &sender_balance, VALUE_BITS)?;
    let sender_nonce = &sender.nonce + FpVar::Constant(Fr::from(1u64));
    range_check(cs, &sender_nonce, VALUE_BITS)?;
    let sender_leaf = sender.leaf(&sender_balance, &sender_nonce)?;
    let middle_root = root_from_path(&sender_leaf, &from_bits, &sender_path)?;

    // Receiver: membership under the intermediate root, update.
    let receiver = AccountVar::new_witness(cs, witness.map(|w| &w.receiver))?;
    let receiver_path = alloc_siblings(
        cs,
        depth,
        witness.map(|w| w.receiver_path.siblings.as_slice()),
    )?;
    let receiver_leaf = receiver.leaf(&receiver.balance, &receiver.nonce)?;
    root_from_path(&receiver_leaf, &to_bits, &receiver_path)?.enforce_equal(&middle_root)?;
    let receiver_balance = &receiver.balance + &amount;
    range_check(cs, &receiver_balance, VALUE_BITS)?;
    let receiver_leaf = receiver.leaf(&receiver_balance, &receiver.nonce)?;
    let next_root = root_from_path(&receiver_leaf, &to_bits, &receiver_path)?;

    Ok((next_root, msg))
}

impl ConstraintSynthesizer<Fr> for RollupCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let public = self.public_inputs();
        let old_root = FpVar::new_input(cs.clone(), witness_value(public.map(|p| p.old_root)))?;
        let new_root = FpVar::new_input(cs.clone(), witness_value(public.map(|p| p.new_root)))?;
        let commitment = FpVar::new_input(cs.clone(), witness_value(public.map(|p| p.commitment)))?;

        let mut root = old_root;
        let mut chain = FpVar::Constant(Fr::zero());
        for i in 0..self.n_txs {
            let witness = self.witness.as_ref().map(|w| &w.transfers[i]);
            let (next_root, msg) = transfer_step(&cs, self.depth, &root, witness)?;
            chain = poseidon_hash(&[chain, msg])?;
            root = next_root;
        }
        root.enforce_equal(&new_root)?;
        chain.enforce_equal(&commitment)?;
        Ok(())
    }
}
