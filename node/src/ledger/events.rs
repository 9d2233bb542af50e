//! What the ledger reports: [`Submission`]s, [`LedgerEvent`]s with their [`RejectReason`]s,
//! [`ConflictSet`]s, and the [`SpendValidator`] hook for contract outputs.

use crate::tx::{AssetId, OutPoint, Output, Transaction, TxError, TxHash};

/// How a spent output's contract is checked (implemented by the contract engine).
pub trait SpendValidator: Send + Sync {
    /// Whether `tx` may spend `spent`, which is its input `input_index`.
    fn check_spend(&self, spent: &Output, tx: &Transaction, input_index: usize) -> SpendCheck;
}

/// A [`SpendValidator`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpendCheck {
    /// The spend is allowed.
    Valid,
    /// The spend is not allowed, and why.
    Invalid(String),
    /// The contract's code is unknown here: the transaction is held (and retried every tick)
    /// until the code is known or the hold times out.
    Unavailable,
}

/// What [`super::Ledger::submit`] did with a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    /// Queued for signature verification; its fate comes as [`LedgerEvent`]s from
    /// [`super::Ledger::tick`].
    Queued,
    /// Already known, in any state (queued, held, pending, conflicted, accepted, or rejected
    /// and still remembered).
    Duplicate,
    /// Rejected at once (stateless checks or chain id); no event follows.
    Rejected(RejectReason),
}

/// Why a transaction was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    /// The stateless checks failed.
    #[error("stateless checks: {0}")]
    Stateless(TxError),
    /// An output's address carries another chain id.
    #[error("output {index} is for chain {chain_id}")]
    WrongChain {
        /// The output.
        index: usize,
        /// Its chain id.
        chain_id: u32,
    },
    /// An input's signature does not verify.
    #[error("input {input}: bad signature")]
    BadSignature {
        /// The first input whose signature failed.
        input: usize,
    },
    /// An input spends an output that was created by a committed transaction (or the genesis)
    /// and has been spent since.
    #[error("input {input}: {outpoint:?} is already spent")]
    InputSpent {
        /// The input.
        input: usize,
        /// The output it names.
        outpoint: OutPoint,
    },
    /// An input names an index beyond the committed creating transaction's outputs.
    #[error("input {input}: {outpoint:?} does not exist")]
    NoSuchOutput {
        /// The input.
        input: usize,
        /// The output it names.
        outpoint: OutPoint,
    },
    /// An input's public key does not hash to the spent output's address.
    #[error("input {input}: key does not own the output")]
    WrongOwner {
        /// The input.
        input: usize,
    },
    /// Inputs of `asset` do not equal outputs plus fee of `asset`.
    #[error("asset {asset}: inputs and outputs plus fee do not balance")]
    Unbalanced {
        /// The first (smallest) asset that does not balance.
        asset: AssetId,
    },
    /// A spent output's contract refuses the spend (or no contract engine is installed).
    #[error("input {input}: contract: {reason}")]
    Contract {
        /// The input.
        input: usize,
        /// The contract's (or the ledger's) reason.
        reason: String,
    },
    /// The transaction was held longer than `hold_timeout_ms`.
    #[error("held too long waiting for {missing:?}")]
    HoldTimeout {
        /// The input it was waiting for.
        missing: OutPoint,
    },
    /// It would have been held, but `hold_limit` transactions are held already.
    #[error("hold is full")]
    HoldFull,
    /// Another spender of `outpoint` won the conflict.
    #[error("lost the conflict on {outpoint:?} to {winner}")]
    LostConflict {
        /// The conflict's outpoint.
        outpoint: OutPoint,
        /// The winner.
        winner: TxHash,
    },
}

/// A change of a transaction's state, returned by [`super::Ledger::tick`] and
/// [`super::Ledger::resolve_conflict`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerEvent {
    /// Signatures valid, inputs live, no conflict yet: its quiet period starts.
    Pending {
        /// The transaction.
        tx: TxHash,
    },
    /// Waits for an input that is not (yet) a committed output.
    Held {
        /// The transaction.
        tx: TxHash,
        /// The input it waits for.
        missing: OutPoint,
    },
    /// A second (third, ...) spender of `outpoint` was seen: every spender is now Conflicted.
    Conflict {
        /// The outpoint spent more than once.
        outpoint: OutPoint,
        /// Every unrejected spender, ascending.
        spenders: Vec<TxHash>,
    },
    /// Committed to the store (emitted only after the write returned Ok).
    Accepted {
        /// The transaction.
        tx: TxHash,
    },
    /// Rejected: final.
    Rejected {
        /// The transaction.
        tx: TxHash,
        /// Why.
        reason: RejectReason,
    },
}

/// An unresolved conflict: several unrejected transactions spend one outpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictSet {
    /// The outpoint.
    pub outpoint: OutPoint,
    /// Every unrejected spender, ascending.
    pub spenders: Vec<TxHash>,
    /// The spender this node saw first (its vote).
    pub first_seen: TxHash,
    /// When this node saw the second spender.
    pub detected_ms: u64,
}
