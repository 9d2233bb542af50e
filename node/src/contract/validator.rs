//! The contract engine as the ledger's [`SpendValidator`]: how a contract's verdict becomes a
//! transaction's fate.

use super::{ContractEngine, ContractError, SpendContext, Verdict};
use crate::ledger::{SpendCheck, SpendValidator};
use crate::tx::{Output, Transaction};

impl SpendValidator for ContractEngine {
    /// Runs the contract `spent` names on the spend:
    ///
    /// - no contract on the output: [`SpendCheck::Valid`] (ownership and balance are the
    ///   ledger's checks);
    /// - the code is not installed here: [`SpendCheck::Unavailable`], and the ledger holds the
    ///   transaction;
    /// - the contract accepts: [`SpendCheck::Valid`]; anything else it does (returns another
    ///   value, traps, runs out of fuel or memory, misuses the host API):
    ///   [`SpendCheck::Invalid`] with the reason.
    fn check_spend(&self, spent: &Output, tx: &Transaction, input_index: usize) -> SpendCheck {
        let Some(hash) = spent.contract else {
            return SpendCheck::Valid;
        };
        let ctx = SpendContext {
            tx,
            input_index,
            spent,
        };
        match self.evaluate(&hash, &ctx) {
            Ok(evaluation) => match evaluation.verdict {
                Verdict::Accept => SpendCheck::Valid,
                Verdict::Reject(reason) => {
                    SpendCheck::Invalid(format!("contract {hash} rejected the spend: {reason:?}"))
                }
            },
            Err(ContractError::NotInstalled(_)) => SpendCheck::Unavailable,
            Err(other) => SpendCheck::Invalid(format!("contract {hash}: {other}")),
        }
    }
}
