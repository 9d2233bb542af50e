//! Random but valid genesis states and batches, for benchmarks, tests and the CLI's demo. Everything
//! is a deterministic function of the seed.

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::account::Account;
use super::eddsa::SecretKey;
use super::state::{Batch, State, Transfer};
use super::tree::check_depth;
use crate::{ProverError, Result};

/// Number of accounts [`random_batch`] creates: `2·n_txs + 2`, at most the tree's capacity.
pub fn accounts_for(depth: usize, n_txs: usize) -> usize {
    let capacity = 1usize.checked_shl(depth as u32).unwrap_or(usize::MAX);
    n_txs.saturating_mul(2).saturating_add(2).min(capacity)
}

/// A genesis state of `n_accounts` accounts at distinct random indices of a tree of `depth`, with
/// keys from the seed, balances in 10^6..10^9 and nonce 0; and the secret keys by index.
pub fn random_genesis(
    depth: usize,
    n_accounts: usize,
    seed: u64,
) -> Result<(State, BTreeMap<u64, SecretKey>)> {
    check_depth(depth)?;
    let capacity = 1u64 << depth;
    if n_accounts as u64 > capacity || n_accounts < 2 {
        return Err(ProverError::RollupInvalid(format!(
            "{n_accounts} accounts: need at least 2 and at most {capacity} at depth {depth}"
        )));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut indices = BTreeSet::new();
    while indices.len() < n_accounts {
        indices.insert(rng.gen_range(0..capacity));
    }
    let mut keys = BTreeMap::new();
    let mut accounts = Vec::with_capacity(n_accounts);
    for index in indices {
        let key = SecretKey::from_seed(rng.r#gen());
        accounts.push(Account::new(
            index,
            key.public_key(),
            rng.gen_range(1_000_000..1_000_000_000),
        ));
        keys.insert(index, key);
    }
    Ok((State::from_accounts(depth, accounts)?, keys))
}

/// `n_txs` valid transfers on `state`, in order: random distinct sender and receiver, an amount
/// between 1 and a tenth of the sender's balance at that point (at least 1), the sender's current
/// nonce, signed with `keys`.
pub fn random_transfers(
    state: &State,
    keys: &BTreeMap<u64, SecretKey>,
    n_txs: usize,
    rng: &mut impl Rng,
) -> Result<Batch> {
    let mut accounts: BTreeMap<u64, Account> = state.accounts().map(|a| (a.index, *a)).collect();
    let indices: Vec<u64> = accounts
        .keys()
        .copied()
        .filter(|i| keys.contains_key(i))
        .collect();
    if indices.len() < 2 {
        return Err(ProverError::RollupInvalid(
            "random transfers need two accounts with known keys".into(),
        ));
    }
    let mut transfers = Vec::with_capacity(n_txs);
    let mut draws = 0usize;
    while transfers.len() < n_txs {
        draws += 1;
        if draws > 1000 + 100 * n_txs {
            return Err(ProverError::RollupInvalid(
                "random transfers: no valid transfer found (balances exhausted?)".into(),
            ));
        }
        let from = indices[rng.gen_range(0..indices.len())];
        let to = indices[rng.gen_range(0..indices.len())];
        let (sender, receiver) = (accounts[&from], accounts[&to]);
        if from == to || sender.balance == 0 || sender.nonce == u64::MAX {
            continue;
        }
        let amount = rng.gen_range(1..=(sender.balance / 10).max(1));
        if receiver.balance.checked_add(amount).is_none() {
            continue;
        }
        transfers.push(Transfer::sign(from, to, amount, sender.nonce, &keys[&from]));
        let sender = accounts.get_mut(&from).expect("known");
        sender.balance -= amount;
        sender.nonce += 1;
        accounts.get_mut(&to).expect("known").balance += amount;
    }
    Ok(Batch { transfers })
}

/// A genesis of [`accounts_for`]`(depth, n_txs)` random accounts and a valid batch of `n_txs`
/// transfers on it.
pub fn random_batch(depth: usize, n_txs: usize, seed: u64) -> Result<(State, Batch)> {
    let (state, keys) = random_genesis(depth, accounts_for(depth, n_txs), seed)?;
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x7472_616e_7366_6572);
    let batch = random_transfers(&state, &keys, n_txs, &mut rng)?;
    Ok((state, batch))
}
