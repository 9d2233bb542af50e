//! The load: a wallet of accounts whose spendable outputs are tracked ([`Pool`]), signed
//! transfers paced at the requested rate and sent round-robin to the nodes in batches,
//! double-spend attempts, and the [`Tracker`] that follows every transaction through the nodes'
//! event streams (finality latency, counts, each double spend's outcome on each node).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ed25519_consensus::SigningKey;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use tokio::sync::mpsc;
use tonic::transport::Channel;

use crate::api::pb;
use crate::api::pb::node_client::NodeClient;
use crate::ledger::Genesis;
use crate::tx::{Address, AssetId, Fee, OutPoint, Output, Transaction, TxHash};

mod double_spend;
mod tracker;

pub(crate) use double_spend::letter;
pub use double_spend::{DoubleSpend, Verdict};
pub use tracker::{NodeCounts, Tracker};

/// Most transactions in one `SubmitTransactions` call (also the nodes' `api.max_batch`).
pub const MAX_BATCH: usize = 1024;
/// How often the load submits what is due.
pub(crate) const TICK: Duration = Duration::from_millis(10);
/// Deadline of one API call.
pub(crate) const RPC_TIMEOUT: Duration = Duration::from_secs(10);
/// Distinct refusal reasons kept for the report.
const MAX_REASONS: usize = 10;

/// A node's API client.
pub(crate) type Client = NodeClient<Channel>;
/// The tracker, shared by the load, the submitters and the event streams.
pub(crate) type Shared = Arc<Mutex<Tracker>>;

/// Milliseconds since the Unix epoch (the clock the nodes' event times use).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A spendable output of one of the wallet's accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coin {
    /// The owning account.
    pub account: usize,
    /// The output.
    pub outpoint: OutPoint,
    /// Its amount.
    pub amount: u64,
}

/// A transfer the wallet signed, as sent: what a refused one is sent again as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// Its hash.
    pub hash: TxHash,
    /// Its canonical encoding.
    pub bytes: Vec<u8>,
    /// The coins it creates.
    pub outputs: Vec<Coin>,
}

/// The wallet's spendable outputs, per account. [`Pool::take`] goes round the accounts so that
/// consecutive transfers come from different accounts. An output whose transfer a node
/// refused unseen comes back with that signed transfer ([`Pool::push_refused`]), which
/// [`Pool::take_transfer`] hands out again rather than having the wallet sign a new one: a
/// client retries what was refused, and the load generator, which shares the machine with the
/// nodes, does not spend its time signing transfers again.
#[derive(Debug, Default)]
pub struct Pool {
    accounts: Vec<VecDeque<Coin>>,
    /// The signed transfer of each output in the pool whose transfer was refused.
    refused: HashMap<OutPoint, Signed>,
    cursor: usize,
    len: usize,
}

impl Pool {
    /// An empty pool for `accounts` accounts.
    pub fn new(accounts: usize) -> Self {
        Self {
            accounts: vec![VecDeque::new(); accounts],
            refused: HashMap::new(),
            cursor: 0,
            len: 0,
        }
    }

    /// The genesis outputs: output `i` belongs to account `i / per_account` (the layout of
    /// [`super::plan::build_genesis`]).
    pub fn from_genesis(genesis: &Genesis, per_account: usize, accounts: usize) -> Self {
        let mut pool = Self::new(accounts);
        // The genesis hash covers every output: computed once, not once per output.
        let genesis_tx = genesis.hash();
        for (i, output) in genesis.outputs.iter().enumerate() {
            pool.push(Coin {
                account: i / per_account.max(1),
                outpoint: OutPoint {
                    tx: genesis_tx,
                    index: i as u32,
                },
                amount: output.amount,
            });
        }
        pool
    }

    /// Makes `coin` spendable.
    pub fn push(&mut self, coin: Coin) {
        self.accounts[coin.account].push_back(coin);
        self.len += 1;
    }

    /// Makes `coin` spendable again after a node refused `transfer`, its signed spender, unseen:
    /// [`Self::take_transfer`] gives the transfer back with it.
    pub fn push_refused(&mut self, coin: Coin, transfer: Signed) {
        self.refused.insert(coin.outpoint, transfer);
        self.push(coin);
    }

    /// A spendable output as [`Self::take`] gives it, with the signed transfer a node refused
    /// for it, if one did.
    pub fn take_transfer(&mut self) -> Option<(Coin, Option<Signed>)> {
        let coin = self.next_coin()?;
        Some((coin, self.refused.remove(&coin.outpoint)))
    }

    /// A spendable output (the oldest of the next account that has one), now no longer in the
    /// pool, to spend in a new transfer (any refused transfer of it is forgotten); `None` when
    /// the pool is empty.
    pub fn take(&mut self) -> Option<Coin> {
        let coin = self.next_coin()?;
        self.refused.remove(&coin.outpoint);
        Some(coin)
    }

    fn next_coin(&mut self) -> Option<Coin> {
        let n = self.accounts.len();
        for step in 0..n {
            let account = (self.cursor + step) % n;
            if let Some(coin) = self.accounts[account].pop_front() {
                self.cursor = (account + 1) % n;
                self.len -= 1;
                return Some(coin);
            }
        }
        None
    }

    /// How many outputs are spendable.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No output is spendable.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The accounts' keys, and transfers between them.
pub struct Wallet {
    keys: Vec<SigningKey>,
    addresses: Vec<Address>,
    asset: AssetId,
    rng: ChaCha20Rng,
}

impl Wallet {
    /// A wallet of `keys` on chain `chain_id`, moving `asset`; `seed` picks recipients.
    pub fn new(keys: Vec<SigningKey>, chain_id: u32, asset: AssetId, seed: u64) -> Self {
        let addresses = keys
            .iter()
            .map(|k| Address::of_public_key(chain_id, &k.verification_key().to_bytes()))
            .collect();
        Self {
            keys,
            addresses,
            asset,
            rng: ChaCha20Rng::seed_from_u64(seed ^ 0x7472_616e_7366_6572),
        }
    }

    /// A transfer spending `coin` to a random other account: half to it, the rest back to the
    /// owner as change (one output to the recipient when the amount is 1). Returns the signed
    /// transaction and the coins it creates.
    pub fn transfer(&mut self, coin: &Coin) -> (Transaction, Vec<Coin>) {
        let n = self.keys.len();
        let to = if n < 2 {
            coin.account
        } else {
            (coin.account + self.rng.gen_range(1..n)) % n
        };
        self.transfer_to(coin, to, true)
    }

    /// Two different transactions spending `coin`: one pays it all to the next account, the
    /// other splits it with the account after (or pays it back to the owner when there are
    /// only two accounts).
    pub fn double_spend(&self, coin: &Coin) -> [(Transaction, Vec<Coin>); 2] {
        let n = self.keys.len().max(1);
        [
            self.transfer_to(coin, (coin.account + 1) % n, false),
            self.transfer_to(coin, (coin.account + 2) % n, true),
        ]
    }

    fn transfer_to(&self, coin: &Coin, to: usize, split: bool) -> (Transaction, Vec<Coin>) {
        let output = |account: usize, amount: u64| Output {
            address: self.addresses[account],
            asset: self.asset,
            amount,
            data: None,
            contract: None,
        };
        let mut owners = vec![to];
        let outputs = if split && coin.amount >= 2 {
            let pay = coin.amount / 2;
            owners.push(coin.account);
            vec![output(to, pay), output(coin.account, coin.amount - pay)]
        } else {
            vec![output(to, coin.amount)]
        };
        let tx = Transaction::build_signed(
            &[(coin.outpoint, &self.keys[coin.account])],
            outputs,
            Fee::default(),
        );
        let hash = tx.hash();
        let coins = tx
            .outputs
            .iter()
            .zip(owners)
            .enumerate()
            .map(|(index, (o, account))| Coin {
                account,
                outpoint: OutPoint {
                    tx: hash,
                    index: index as u32,
                },
                amount: o.amount,
            })
            .collect();
        (tx, coins)
    }
}

/// A signed transfer ready to send.
#[derive(Debug)]
pub(crate) struct Prepared {
    input: Coin,
    signed: Signed,
}

/// Sends the batches queued for node `node`, merging those that queued up while a call was
/// running, until the queue closes.
pub(crate) async fn submitter(
    node: usize,
    mut client: Client,
    mut queue: mpsc::UnboundedReceiver<Vec<Prepared>>,
    tracker: Shared,
) {
    while let Some(mut batch) = queue.recv().await {
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(more) => batch.extend(more),
                Err(_) => break,
            }
        }
        while !batch.is_empty() {
            let rest = batch.split_off(batch.len().min(MAX_BATCH));
            submit(node, &mut client, batch, &tracker).await;
            batch = rest;
        }
    }
}

async fn submit(node: usize, client: &mut Client, batch: Vec<Prepared>, tracker: &Shared) {
    let mut hashes = Vec::with_capacity(batch.len());
    let mut transactions = Vec::with_capacity(batch.len());
    {
        let submit_ms = now_ms();
        let mut t = tracker.lock().expect("tracker lock");
        for p in batch {
            hashes.push(p.signed.hash);
            transactions.push(p.signed.bytes.clone());
            t.sent(p.input, p.signed, node, submit_ms);
        }
    }
    let mut request = tonic::Request::new(pb::SubmitTransactionsRequest { transactions });
    request.set_timeout(RPC_TIMEOUT);
    match client.submit_transactions(request).await {
        Ok(response) => {
            let results = response.into_inner().results;
            let mut t = tracker.lock().expect("tracker lock");
            for (i, hash) in hashes.iter().enumerate() {
                match results.get(i) {
                    Some(r) => t.submit_answer(hash, r.state(), &r.error),
                    None => t.submit_answer(hash, pb::TxState::Unspecified, "no result returned"),
                }
            }
        }
        Err(status) => {
            let error = format!("SubmitTransactions failed: {}", status.message());
            tracker
                .lock()
                .expect("tracker lock")
                .submit_failed(&hashes, status.code(), &error);
        }
    }
}

/// Sends one side of a double spend to its node.
async fn submit_one(mut client: Client, bytes: Vec<u8>) -> Result<pb::SubmitResult, String> {
    let mut request = tonic::Request::new(pb::SubmitTransactionsRequest {
        transactions: vec![bytes],
    });
    request.set_timeout(RPC_TIMEOUT);
    match client.submit_transactions(request).await {
        Ok(response) => response
            .into_inner()
            .results
            .into_iter()
            .next()
            .ok_or_else(|| "no result returned".to_owned()),
        Err(status) => Err(status.message().to_owned()),
    }
}

/// What the load does.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoadParams {
    /// How long transfers are sent.
    pub(crate) duration: Duration,
    /// Transfers per second.
    pub(crate) tps: u64,
    /// Double-spend attempts, evenly spread over the run.
    pub(crate) double_spends: usize,
}

/// When double spend `index` of `count` is due: the middle of its slice of the run.
pub(crate) fn double_spend_due(index: usize, count: usize, duration: Duration) -> Duration {
    duration.mul_f64((index as f64 + 0.5) / count.max(1) as f64)
}

/// Sends transfers at `params.tps` for `params.duration`, round-robin over the nodes (through
/// their submitters' `queues`), and the double spends at their times (directly, with
/// `clients`). Returns when the duration is over; submissions may still be running.
pub(crate) async fn drive(
    params: LoadParams,
    wallet: &mut Wallet,
    tracker: &Shared,
    queues: &[mpsc::UnboundedSender<Vec<Prepared>>],
    clients: &[Client],
) {
    let nodes = queues.len();
    let start = Instant::now();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut due_so_far = 0u64;
    let mut next_node = 0usize;
    let mut next_double_spend = 0usize;
    let mut attempts = Vec::new();
    loop {
        ticker.tick().await;
        let elapsed = start.elapsed();
        let over = elapsed >= params.duration;
        // At the end, any attempt still due (a late tick) goes out before stopping.
        while next_double_spend < params.double_spends
            && (over
                || elapsed
                    >= double_spend_due(next_double_spend, params.double_spends, params.duration))
        {
            let coin = tracker.lock().expect("tracker lock").pool.take();
            if let Some(coin) = coin {
                let sent_to = [next_double_spend % nodes, (next_double_spend + 1) % nodes];
                attempts.push(tokio::spawn(double_spend(
                    wallet.double_spend(&coin),
                    coin.outpoint,
                    sent_to,
                    [clients[sent_to[0]].clone(), clients[sent_to[1]].clone()],
                    tracker.clone(),
                )));
            } else {
                tracker.lock().expect("tracker lock").starved += 1;
            }
            next_double_spend += 1;
        }
        if over {
            break;
        }
        let due = (params.tps as f64 * elapsed.as_secs_f64()) as u64;
        let count = due.saturating_sub(due_so_far).min(params.tps.max(1)) as usize;
        due_so_far = due;
        if count == 0 {
            continue;
        }
        let coins: Vec<(Coin, Option<Signed>)> = {
            let mut t = tracker.lock().expect("tracker lock");
            let coins: Vec<_> = std::iter::from_fn(|| t.pool.take_transfer())
                .take(count)
                .collect();
            if coins.len() < count {
                t.starved += 1;
            }
            coins
        };
        let mut batches: Vec<Vec<Prepared>> = (0..nodes).map(|_| Vec::new()).collect();
        for (coin, refused) in coins {
            let signed = refused.unwrap_or_else(|| {
                let (tx, outputs) = wallet.transfer(&coin);
                Signed {
                    hash: tx.hash(),
                    bytes: tx.encode(),
                    outputs,
                }
            });
            batches[next_node].push(Prepared {
                input: coin,
                signed,
            });
            next_node = (next_node + 1) % nodes;
        }
        for (queue, batch) in queues.iter().zip(batches) {
            if !batch.is_empty() {
                let _ = queue.send(batch);
            }
        }
    }
    for attempt in attempts {
        let _ = attempt.await;
    }
}

/// Sends both sides of a double spend at the same moment to their two nodes.
async fn double_spend(
    sides: [(Transaction, Vec<Coin>); 2],
    spent: OutPoint,
    sent_to: [usize; 2],
    clients: [Client; 2],
    tracker: Shared,
) {
    let txs = [sides[0].0.hash(), sides[1].0.hash()];
    let nodes = tracker.lock().expect("tracker lock").nodes;
    tracker
        .lock()
        .expect("tracker lock")
        .double_spend(DoubleSpend::new(spent, txs, sent_to, nodes));
    let [a, b] = clients;
    let (ra, rb) = tokio::join!(
        submit_one(a, sides[0].0.encode()),
        submit_one(b, sides[1].0.encode())
    );
    let mut t = tracker.lock().expect("tracker lock");
    for (hash, result) in txs.iter().zip([ra, rb]) {
        match result {
            Ok(r) => t.submit_answer(hash, r.state(), &r.error),
            Err(e) => t.submit_answer(hash, pb::TxState::Unspecified, &e),
        }
    }
}

/// The most transfers read back with GetTransaction after a lag, per read-back.
pub(crate) const MAX_READ_BACK: usize = 200_000;
/// GetTransaction calls in flight at once during a read-back.
const READ_BACK_CONCURRENCY: usize = 16;

/// Opens node `node`'s event stream.
pub(crate) async fn subscribe(
    node: usize,
    client: &Client,
) -> std::result::Result<tonic::Streaming<pb::Event>, String> {
    client
        .clone()
        .stream_events(pb::StreamEventsRequest {})
        .await
        .map(tonic::Response::into_inner)
        .map_err(|s| {
            format!(
                "cannot open the event stream of node {node}: {}",
                s.message()
            )
        })
}

/// Reads node `node`'s event stream (`stream`, opened with [`subscribe`]) into the tracker
/// until it ends. A stream that lags (the node dropped events for this client, too slow
/// under load: `DATA_LOSS`) is opened again at once and the lag noted ([`Tracker::on_lag`]),
/// so that [`read_back`] can recover what was lost.
pub(crate) async fn follow_events(
    node: usize,
    client: Client,
    mut stream: tonic::Streaming<pb::Event>,
    tracker: Shared,
) {
    loop {
        let next = stream.message().await;
        if let Err(status) = &next
            && status.code() == tonic::Code::DataLoss
            && !tracker.lock().expect("tracker lock").closing
        {
            match subscribe(node, &client).await {
                Ok(again) => {
                    stream = again;
                    // Noted once the new stream is open: a read-back from now on covers
                    // every event lost.
                    tracker.lock().expect("tracker lock").on_lag(node);
                    continue;
                }
                Err(e) => {
                    tracker
                        .lock()
                        .expect("tracker lock")
                        .stream_errors
                        .push(format!(
                            "the event stream of node {node} lagged ({}), then {e}",
                            status.message()
                        ));
                    return;
                }
            }
        }
        let mut t = tracker.lock().expect("tracker lock");
        match next {
            Ok(Some(event)) => t.on_event(node, event),
            Ok(None) => {
                if !t.closing {
                    t.stream_errors
                        .push(format!("the event stream of node {node} ended"));
                }
                return;
            }
            Err(status) => {
                if !t.closing {
                    t.stream_errors.push(format!(
                        "the event stream of node {node} failed: {}",
                        status.message()
                    ));
                }
                return;
            }
        }
    }
}

/// After event streams lagged, reads back with GetTransaction the state, on each lagged node,
/// of every transfer and double-spend side not seen accepted there ([`Tracker::take_gaps`],
/// at most [`MAX_READ_BACK`]), and applies it ([`Tracker::read_back`]). A failed call leaves
/// that one as it was.
pub(crate) async fn read_back(clients: &[Client], tracker: &Shared) {
    use futures::StreamExt;
    let wanted = tracker
        .lock()
        .expect("tracker lock")
        .take_gaps(MAX_READ_BACK);
    let mut answers = futures::stream::iter(wanted)
        .map(|(node, hash)| {
            let mut client = clients[node].clone();
            async move {
                let mut request = tonic::Request::new(pb::GetTransactionRequest {
                    tx_hash: hash.0.to_vec(),
                });
                request.set_timeout(RPC_TIMEOUT);
                let state = client
                    .get_transaction(request)
                    .await
                    .ok()
                    .map(|r| r.into_inner().state());
                (node, hash, state)
            }
        })
        .buffer_unordered(READ_BACK_CONCURRENCY);
    while let Some((node, hash, state)) = answers.next().await {
        if let Some(state) = state {
            tracker
                .lock()
                .expect("tracker lock")
                .read_back(node, hash, state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devnet::plan::{DEVNET_CHAIN_ID, account_keys, build_genesis, devnet_asset};

    pub(super) fn coin(account: usize, n: u8) -> Coin {
        Coin {
            account,
            outpoint: OutPoint {
                tx: TxHash([n; 32]),
                index: 0,
            },
            amount: 100,
        }
    }

    #[test]
    fn pool_takes_round_the_accounts() {
        let mut pool = Pool::new(3);
        assert!(pool.take().is_none());
        pool.push(coin(0, 1));
        pool.push(coin(0, 2));
        pool.push(coin(2, 3));
        assert_eq!(pool.len(), 3);
        assert_eq!(pool.take(), Some(coin(0, 1)));
        assert_eq!(pool.take(), Some(coin(2, 3)));
        assert_eq!(pool.take(), Some(coin(0, 2)));
        assert!(pool.is_empty());
        assert_eq!(pool.take(), None);
    }

    #[test]
    fn pool_from_genesis_assigns_owners() {
        let keys = account_keys(1, 3);
        let genesis = build_genesis(&keys, 4, devnet_asset());
        let mut pool = Pool::from_genesis(&genesis, 4, 3);
        assert_eq!(pool.len(), 12);
        let first = pool.take().unwrap();
        assert_eq!(first.account, 0);
        assert_eq!(first.outpoint, genesis.outpoint(0));
        assert_eq!(pool.take().unwrap().outpoint, genesis.outpoint(4));
        assert_eq!(pool.take().unwrap().outpoint, genesis.outpoint(8));
    }

    #[test]
    fn transfers_are_valid_and_create_the_coins_they_say() {
        let keys = account_keys(1, 4);
        let genesis = build_genesis(&keys, 1, devnet_asset());
        let mut wallet = Wallet::new(keys.clone(), DEVNET_CHAIN_ID, devnet_asset(), 1);
        let spent = Coin {
            account: 1,
            outpoint: genesis.outpoint(1),
            amount: 1001,
        };
        let (tx, coins) = wallet.transfer(&spent);
        tx.check_stateless().unwrap();
        assert!(tx.verify_signatures());
        assert_eq!(tx.inputs[0].outpoint, spent.outpoint);
        assert_eq!(coins.len(), 2);
        assert_eq!(coins.iter().map(|c| c.amount).sum::<u64>(), 1001);
        assert_ne!(coins[0].account, 1, "pays another account");
        assert_eq!(coins[1].account, 1, "change comes back");
        for (i, c) in coins.iter().enumerate() {
            assert_eq!(c.outpoint.tx, tx.hash());
            assert_eq!(c.outpoint.index, i as u32);
            let owner = keys[c.account].verification_key().to_bytes();
            assert_eq!(
                tx.outputs[i].address,
                Address::of_public_key(DEVNET_CHAIN_ID, &owner)
            );
        }
        let (one, coins) = wallet.transfer(&Coin { amount: 1, ..spent });
        assert_eq!((one.outputs.len(), coins.len()), (1, 1));
        let [(a, _), (b, _)] = wallet.double_spend(&spent);
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.inputs[0].outpoint, b.inputs[0].outpoint);
        // With two accounts the sides still differ.
        let two = Wallet::new(account_keys(1, 2), DEVNET_CHAIN_ID, devnet_asset(), 1);
        let [(a, _), (b, _)] = two.double_spend(&Coin {
            account: 0,
            ..spent
        });
        assert_ne!(a.hash(), b.hash());
        assert!(a.verify_signatures() && b.verify_signatures());
    }

    #[test]
    fn double_spends_are_spread_over_the_run() {
        let run = Duration::from_secs(10);
        assert_eq!(double_spend_due(0, 2, run), Duration::from_millis(2500));
        assert_eq!(double_spend_due(1, 2, run), Duration::from_millis(7500));
    }
}
