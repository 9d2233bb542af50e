//! The standard workload: honest clients transferring among themselves, double-spend attempts,
//! a Byzantine fraction of nodes; and the record of what was sent, for the checks.

use std::collections::VecDeque;

use ed25519_consensus::SigningKey;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{DoubleSpendSource, NetConfig, NodeConfig, Role, SimConfig, SimError, Simulation};
use crate::Result;
use crate::ledger::Genesis;
use crate::tx::{Address, AssetId, Fee, OutPoint, Output, Transaction, TxHash};

/// The asset every simulated output holds.
pub const SIM_ASSET: AssetId = AssetId([0xA5; 32]);

/// Parameters of the standard workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioConfig {
    /// Seed of the whole run (workload and simulation).
    pub seed: u64,
    /// Number of nodes.
    pub nodes: usize,
    /// Fraction of Byzantine nodes (rounded to the nearest count); their positions are random.
    pub byzantine_fraction: f64,
    /// The Byzantine nodes' roles, assigned in this cycle (default double-spender, equivocator,
    /// liar: with 5 Byzantine nodes, 2 + 2 + 1).
    pub byzantine_roles: Vec<Role>,
    /// Honest client wallets.
    pub clients: usize,
    /// Genesis outputs per client.
    pub coins_per_client: usize,
    /// Amount of every genesis output.
    pub coin_amount: u64,
    /// Ordinary transfers by honest clients.
    pub transfers: usize,
    /// Virtual ms between two transfers.
    pub transfer_spacing_ms: u64,
    /// Double-spend attempts: by the double-spending nodes if there are any, else by clients.
    pub double_spends: usize,
    /// No double spend before this virtual time (trust warm-up, see `docs/consensus.md`).
    pub double_spend_start_ms: u64,
    /// A client spends a received output only this long after the transfer that created it.
    pub maturity_ms: u64,
    /// Virtual time the run continues after the last submission.
    pub settle_ms: u64,
    /// The message layer.
    pub net: NetConfig,
    /// Every node's parameters.
    pub node: NodeConfig,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            nodes: 20,
            byzantine_fraction: 0.25,
            byzantine_roles: vec![Role::DoubleSpender, Role::Equivocator, Role::Liar],
            clients: 50,
            coins_per_client: 10,
            coin_amount: 1_000_000,
            transfers: 1_000,
            transfer_spacing_ms: 10,
            double_spends: 100,
            double_spend_start_ms: 3_000,
            maturity_ms: 2_000,
            settle_ms: 4_000,
            net: NetConfig::default(),
            node: NodeConfig::default(),
        }
    }
}

/// What the workload sent, for the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    /// Every node's role, by index.
    pub roles: Vec<Role>,
    /// The honest clients' ordinary transfers, in submission order.
    pub transfers: Vec<TxHash>,
    /// Each double-spend attempt's two sides.
    pub attempts: Vec<[TxHash; 2]>,
    /// Virtual time of the last submission.
    pub last_submission_ms: u64,
}

/// A client's spendable output: where, how much, and from when it may be spent.
#[derive(Clone, Copy, Debug)]
struct Coin {
    outpoint: OutPoint,
    amount: u64,
    ready_ms: u64,
}

/// Builds the simulation of `config`'s workload with everything scheduled, ready to
/// [`Simulation::run_until`] `workload.last_submission_ms + config.settle_ms`.
pub fn build(config: &ScenarioConfig) -> Result<(Simulation, Workload)> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5CE7_A210);
    let chain_id = config.node.ledger.chain_id;
    let roles = assign_roles(config, &mut rng)?;
    let double_spenders: Vec<usize> = (0..roles.len())
        .filter(|&i| roles[i] == Role::DoubleSpender)
        .collect();

    let key = |rng: &mut ChaCha8Rng| SigningKey::from(rng.r#gen::<[u8; 32]>());
    let clients: Vec<SigningKey> = (0..config.clients).map(|_| key(&mut rng)).collect();
    // One wallet per double-spending node (or one shared by clients' attempts).
    let spender_wallets: Vec<SigningKey> = (0..double_spenders.len().max(1))
        .map(|_| key(&mut rng))
        .collect();
    let address =
        |k: &SigningKey| Address::of_public_key(chain_id, &k.verification_key().to_bytes());
    let output = |k: &SigningKey, amount: u64| Output {
        address: address(k),
        asset: SIM_ASSET,
        amount,
        data: None,
        contract: None,
    };

    let mut outputs = Vec::new();
    for c in &clients {
        for _ in 0..config.coins_per_client {
            outputs.push(output(c, config.coin_amount));
        }
    }
    let first_spend_coin = outputs.len();
    for i in 0..config.double_spends {
        outputs.push(output(
            &spender_wallets[i % spender_wallets.len()],
            config.coin_amount,
        ));
    }
    let genesis = Genesis { chain_id, outputs };

    let sim_config = SimConfig {
        seed: config.seed,
        roles: roles.clone(),
        net: config.net.clone(),
        node: config.node.clone(),
    };
    let mut sim = Simulation::new(sim_config, genesis.clone())?;
    let n = roles.len();

    let genesis_tx = genesis.hash();
    let mut wallets: Vec<VecDeque<Coin>> = vec![VecDeque::new(); clients.len()];
    for (i, wallet) in wallets.iter_mut().enumerate() {
        for j in 0..config.coins_per_client {
            wallet.push_back(Coin {
                outpoint: OutPoint {
                    tx: genesis_tx,
                    index: (i * config.coins_per_client + j) as u32,
                },
                amount: config.coin_amount,
                ready_ms: 0,
            });
        }
    }

    let mut transfers = Vec::with_capacity(config.transfers);
    let mut last = 0;
    for k in 0..config.transfers {
        let at = k as u64 * config.transfer_spacing_ms;
        last = at;
        // A client with a coin ready now, the first such after a random start.
        let start = rng.gen_range(0..clients.len().max(1));
        let Some(payer) = (0..clients.len())
            .map(|d| (start + d) % clients.len())
            .find(|&c| wallets[c].front().is_some_and(|coin| coin.ready_ms <= at))
        else {
            return Err(SimError::InvalidParameters {
                violations: vec![format!(
                    "transfer {k} at {at} ms: no client has a mature coin; add clients or coins"
                )],
            }
            .into());
        };
        let coin = wallets[payer].pop_front().expect("found above");
        let payee = (payer + rng.gen_range(1..clients.len().max(2))) % clients.len();
        let fee = if k % 4 == 0 && coin.amount > 2 { 1 } else { 0 };
        let pay = rng.gen_range(1..=coin.amount - fee);
        let change = coin.amount - fee - pay;
        let mut outs = vec![output(&clients[payee], pay)];
        if change > 0 {
            outs.push(output(&clients[payer], change));
        }
        let tx = Transaction::build_signed(
            &[(coin.outpoint, &clients[payer])],
            outs,
            Fee {
                asset: SIM_ASSET,
                amount: fee,
            },
        );
        let hash = tx.hash();
        let ready_ms = at + config.maturity_ms;
        wallets[payee].push_back(Coin {
            outpoint: OutPoint { tx: hash, index: 0 },
            amount: pay,
            ready_ms,
        });
        if change > 0 {
            wallets[payer].push_back(Coin {
                outpoint: OutPoint { tx: hash, index: 1 },
                amount: change,
                ready_ms,
            });
        }
        sim.submit_at(at, rng.gen_range(0..n), tx);
        transfers.push(hash);
    }

    let mut attempts = Vec::with_capacity(config.double_spends);
    let span = last.saturating_sub(config.double_spend_start_ms).max(1);
    for i in 0..config.double_spends {
        let at = config.double_spend_start_ms + span * i as u64 / config.double_spends as u64;
        last = last.max(at);
        let wallet = &spender_wallets[i % spender_wallets.len()];
        let coin = genesis.outpoint((first_spend_coin + i) as u32);
        let side = |to: &SigningKey| {
            Transaction::build_signed(
                &[(coin, wallet)],
                vec![output(to, config.coin_amount)],
                Fee::default(),
            )
        };
        let payee_a = rng.gen_range(0..clients.len());
        let payee_b = (payee_a + 1) % clients.len();
        let (a, b) = (side(&clients[payee_a]), side(&clients[payee_b]));
        let source = if double_spenders.is_empty() {
            DoubleSpendSource::Client
        } else {
            DoubleSpendSource::Node(double_spenders[i % double_spenders.len()])
        };
        let mut others: Vec<usize> = (0..n)
            .filter(|&j| source != DoubleSpendSource::Node(j))
            .collect();
        others.shuffle(&mut rng);
        let half = others.split_off(others.len() / 2);
        attempts.push([a.hash(), b.hash()]);
        sim.double_spend_at(at, source, (a, others), (b, half));
    }

    Ok((
        sim,
        Workload {
            roles,
            transfers,
            attempts,
            last_submission_ms: last,
        },
    ))
}

fn assign_roles(config: &ScenarioConfig, rng: &mut ChaCha8Rng) -> Result<Vec<Role>> {
    if !(config.byzantine_fraction.is_finite() && (0.0..1.0).contains(&config.byzantine_fraction))
        || config.clients < 2
        || config.coin_amount < 3
        || config.byzantine_roles.is_empty()
    {
        return Err(SimError::InvalidParameters {
            violations: vec![
                "byzantine_fraction must be in [0, 1), byzantine_roles non-empty, clients at least 2, \
                 coin_amount at least 3"
                    .to_owned(),
            ],
        }
        .into());
    }
    let byzantine = (config.nodes as f64 * config.byzantine_fraction).round() as usize;
    let mut positions: Vec<usize> = (0..config.nodes).collect();
    positions.shuffle(rng);
    let mut roles = vec![Role::Honest; config.nodes];
    let cycle = &config.byzantine_roles;
    for (k, &p) in positions.iter().take(byzantine).enumerate() {
        roles[p] = cycle[k % cycle.len()];
    }
    Ok(roles)
}
