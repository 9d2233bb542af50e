//! The rollup state and its transition: applying a batch of signed transfers.

use std::collections::BTreeMap;

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::account::Account;
use super::commitment::{batch_commitment, transfer_message};
use super::eddsa::{self, SecretKey, Signature};
use super::serde_dec::{field, u64_dec};
use super::tree::{AccountTree, MerklePath};
use crate::{ProverError, Result};

/// A signed transfer of `amount` from account `from` to account `to`.
///
/// JSON: `{"from": 0, "to": 3, "amount": "250", "nonce": "7", "signature": {"r": {"x": "<decimal>",
/// "y": "<decimal>"}, "s": "<decimal>"}}`. `from` and `to` are JSON numbers (account indices);
/// `amount` and `nonce` are u64 written as decimal strings (plain JSON integers are accepted on
/// input); the signature is an [`eddsa::Signature`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Sender's account index.
    pub from: u64,
    /// Receiver's account index.
    pub to: u64,
    /// Amount moved, at least 1.
    #[serde(with = "u64_dec")]
    pub amount: u64,
    /// Must equal the sender's nonce before the transfer.
    #[serde(with = "u64_dec")]
    pub nonce: u64,
    /// The sender's signature on [`Transfer::message`].
    pub signature: Signature,
}

impl Transfer {
    /// Builds and signs a transfer with the sender's key.
    pub fn sign(from: u64, to: u64, amount: u64, nonce: u64, key: &SecretKey) -> Self {
        Self {
            from,
            to,
            amount,
            nonce,
            signature: key.sign(transfer_message(from, to, amount, nonce)),
        }
    }

    /// The signed message, [`transfer_message`]`(from, to, amount, nonce)`.
    pub fn message(&self) -> Fr {
        transfer_message(self.from, self.to, self.amount, self.nonce)
    }
}

/// A batch of transfers, applied in order.
///
/// JSON: `{"transfers": [<Transfer>, …]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The transfers, in the order they apply.
    pub transfers: Vec<Transfer>,
}

impl Batch {
    /// The batch commitment ([`batch_commitment`]).
    pub fn commitment(&self) -> Fr {
        batch_commitment(&self.transfers)
    }

    /// Number of transfers.
    pub fn len(&self) -> usize {
        self.transfers.len()
    }

    /// True if the batch has no transfer.
    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty()
    }
}

/// Why [`State::apply`] rejected a transfer. The checks run in the order of the variants; the first
/// that fails is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum Rejection {
    /// No account at the sender's index (or the index is outside the tree).
    #[error("unknown sender account {0}")]
    UnknownSender(u64),
    /// Sender and receiver are the same account.
    #[error("self-transfer (from = to = {0})")]
    SelfTransfer(u64),
    /// No account at the receiver's index (or the index is outside the tree).
    #[error("unknown receiver account {0}")]
    UnknownReceiver(u64),
    /// The amount is 0.
    #[error("amount is 0")]
    ZeroAmount,
    /// The transfer's nonce is not the sender's current nonce.
    #[error("wrong nonce: the sender's nonce is {expected}, the transfer carries {got}")]
    WrongNonce {
        /// The sender's nonce.
        expected: u64,
        /// The transfer's nonce.
        got: u64,
    },
    /// The signature does not verify under the sender's key.
    #[error("bad signature")]
    BadSignature,
    /// The amount exceeds the sender's balance.
    #[error("overdraft: balance {balance}, amount {amount}")]
    Overdraft {
        /// The sender's balance.
        balance: u64,
        /// The transfer's amount.
        amount: u64,
    },
    /// The sender's nonce is u64::MAX and cannot be incremented.
    #[error("the sender's nonce cannot be incremented past u64::MAX")]
    NonceOverflow,
    /// The receiver's balance would exceed u64::MAX.
    #[error("balance overflow: receiver balance {balance} + amount {amount} exceeds u64")]
    BalanceOverflow {
        /// The receiver's balance.
        balance: u64,
        /// The transfer's amount.
        amount: u64,
    },
}

/// The three public inputs of the rollup circuit, in this order: `old_root`, `new_root`,
/// `commitment`.
///
/// JSON: `{"old_root": "<decimal>", "new_root": "<decimal>", "commitment": "<decimal>"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicInputs {
    /// Account tree root before the batch.
    #[serde(with = "field")]
    pub old_root: Fr,
    /// Account tree root after the batch.
    #[serde(with = "field")]
    pub new_root: Fr,
    /// The batch commitment ([`batch_commitment`]).
    #[serde(with = "field")]
    pub commitment: Fr,
}

impl PublicInputs {
    /// `[old_root, new_root, commitment]`: the order the circuit allocates them in, and the order a
    /// Groth16 verifier takes them.
    pub fn to_vec(&self) -> Vec<Fr> {
        vec![self.old_root, self.new_root, self.commitment]
    }
}

/// What the circuit needs to prove one transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferWitness {
    /// The transfer.
    pub transfer: Transfer,
    /// The sender's account before the transfer.
    pub sender: Account,
    /// The sender's path in the tree before the transfer (also its path after: the siblings do
    /// not change).
    pub sender_path: MerklePath,
    /// The receiver's account before the transfer.
    pub receiver: Account,
    /// The receiver's path in the intermediate tree, after the sender's update.
    pub receiver_path: MerklePath,
}

/// The result of [`State::apply`].
#[derive(Clone, Debug)]
pub struct AppliedBatch {
    /// The state after the batch.
    pub state: State,
    /// One witness per transfer, in batch order.
    pub witnesses: Vec<TransferWitness>,
    /// Old root, new root and batch commitment.
    pub public_inputs: PublicInputs,
}

/// The rollup state: the accounts and their tree.
///
/// JSON (a genesis or state file): `{"depth": 20, "root": "<decimal>", "accounts": [<Account>, …]}`.
/// `depth` is the tree depth (1 to [`MAX_DEPTH`](super::MAX_DEPTH)); `accounts` lists the
/// non-empty leaves (see [`Account`]), written in index order, any order accepted; `root` is
/// written for reference and, if present on input, must match the root of the accounts. Loading
/// rejects a duplicate index, an index outside the tree and an invalid public key.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "StateFile", into = "StateFile")]
pub struct State {
    tree: AccountTree,
    accounts: BTreeMap<u64, Account>,
}

/// The JSON form of [`State`].
#[derive(Serialize, Deserialize)]
struct StateFile {
    depth: usize,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_field"
    )]
    root: Option<Fr>,
    accounts: Vec<Account>,
}

mod optional_field {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<Fr>,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match value {
            Some(v) => field::serialize(v, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Option<Fr>, D::Error> {
        Ok(Some(field::deserialize(deserializer)?))
    }
}

impl TryFrom<StateFile> for State {
    type Error = ProverError;

    fn try_from(file: StateFile) -> Result<Self> {
        let state = State::from_accounts(file.depth, file.accounts)?;
        if let Some(root) = file.root
            && root != state.root()
        {
            return Err(ProverError::RollupInvalid(format!(
                "state file root {root} does not match its accounts' root {}",
                state.root()
            )));
        }
        Ok(state)
    }
}

impl From<State> for StateFile {
    fn from(state: State) -> Self {
        StateFile {
            depth: state.depth(),
            root: Some(state.root()),
            accounts: state.accounts.into_values().collect(),
        }
    }
}

impl State {
    /// An empty state (no account) with a tree of `depth`.
    pub fn new(depth: usize) -> Result<Self> {
        Ok(Self {
            tree: AccountTree::new(depth)?,
            accounts: BTreeMap::new(),
        })
    }

    /// A genesis state holding `accounts` (any order; indices must be distinct and inside the
    /// tree).
    pub fn from_accounts(
        depth: usize,
        accounts: impl IntoIterator<Item = Account>,
    ) -> Result<Self> {
        let mut state = Self::new(depth)?;
        for account in accounts {
            state.insert_account(account)?;
        }
        Ok(state)
    }

    /// Adds an account at an empty index.
    pub fn insert_account(&mut self, account: Account) -> Result<()> {
        if self.accounts.contains_key(&account.index) {
            return Err(ProverError::RollupInvalid(format!(
                "two accounts at index {}",
                account.index
            )));
        }
        self.tree.set_leaf(account.index, account.leaf())?;
        self.accounts.insert(account.index, account);
        Ok(())
    }

    /// The tree depth.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// The account tree root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// The account tree.
    pub fn tree(&self) -> &AccountTree {
        &self.tree
    }

    /// The account at `index`, if any.
    pub fn account(&self, index: u64) -> Option<&Account> {
        self.accounts.get(&index)
    }

    /// All accounts, in index order.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// True if there is no account.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Checks `transfer` against the state without changing it: the first broken rule, in the
    /// order of [`Rejection`]'s variants.
    pub fn check_transfer(&self, transfer: &Transfer) -> std::result::Result<(), Rejection> {
        let sender = self
            .accounts
            .get(&transfer.from)
            .ok_or(Rejection::UnknownSender(transfer.from))?;
        if transfer.from == transfer.to {
            return Err(Rejection::SelfTransfer(transfer.from));
        }
        let receiver = self
            .accounts
            .get(&transfer.to)
            .ok_or(Rejection::UnknownReceiver(transfer.to))?;
        if transfer.amount == 0 {
            return Err(Rejection::ZeroAmount);
        }
        if transfer.nonce != sender.nonce {
            return Err(Rejection::WrongNonce {
                expected: sender.nonce,
                got: transfer.nonce,
            });
        }
        if !eddsa::verify(&sender.public_key, transfer.message(), &transfer.signature) {
            return Err(Rejection::BadSignature);
        }
        if transfer.amount > sender.balance {
            return Err(Rejection::Overdraft {
                balance: sender.balance,
                amount: transfer.amount,
            });
        }
        if sender.nonce == u64::MAX {
            return Err(Rejection::NonceOverflow);
        }
        if receiver.balance.checked_add(transfer.amount).is_none() {
            return Err(Rejection::BalanceOverflow {
                balance: receiver.balance,
                amount: transfer.amount,
            });
        }
        Ok(())
    }

    /// Applies one transfer in place (all checks first, so a rejected transfer changes nothing)
    /// and returns its witness.
    fn apply_transfer(
        &mut self,
        transfer: &Transfer,
    ) -> std::result::Result<TransferWitness, Rejection> {
        self.check_transfer(transfer)?;
        let sender = self.accounts[&transfer.from];
        let sender_path = self
            .tree
            .path(sender.index)
            .expect("a stored account is inside the tree");
        let new_sender = Account {
            balance: sender.balance - transfer.amount,
            nonce: sender.nonce + 1,
            ..sender
        };
        self.store(new_sender);

        let receiver = self.accounts[&transfer.to];
        let receiver_path = self
            .tree
            .path(receiver.index)
            .expect("a stored account is inside the tree");
        let new_receiver = Account {
            balance: receiver.balance + transfer.amount,
            ..receiver
        };
        self.store(new_receiver);

        Ok(TransferWitness {
            transfer: *transfer,
            sender,
            sender_path,
            receiver,
            receiver_path,
        })
    }

    fn store(&mut self, account: Account) {
        self.tree
            .set_leaf(account.index, account.leaf())
            .expect("a stored account is inside the tree");
        self.accounts.insert(account.index, account);
    }

    /// Applies `batch` in order: the new state, one witness per transfer and the circuit's public
    /// inputs. The first rejected transfer fails the whole batch with
    /// [`ProverError::RollupTransfer`] naming its position and the rule it broke; `self` is never
    /// changed.
    pub fn apply(&self, batch: &Batch) -> Result<AppliedBatch> {
        let mut next = self.clone();
        let witnesses = batch
            .transfers
            .iter()
            .enumerate()
            .map(|(index, transfer)| {
                next.apply_transfer(transfer)
                    .map_err(|reason| ProverError::RollupTransfer { index, reason })
            })
            .collect::<Result<Vec<_>>>()?;
        let public_inputs = PublicInputs {
            old_root: self.root(),
            new_root: next.root(),
            commitment: batch.commitment(),
        };
        Ok(AppliedBatch {
            state: next,
            witnesses,
            public_inputs,
        })
    }
}
