//! `ramjet tx` and `ramjet status`: a small wallet for testing, over the node's gRPC API.
//!
//! - `ramjet tx keygen --out FILE` writes a new key (the node's key-file format, mode 0600) and
//!   prints its key hash, the address to pay it at;
//! - `ramjet tx balance --key FILE` lists the key's unspent outputs on a node;
//! - `ramjet tx send --key FILE --to KEY_HASH --amount N` picks outputs of the key that cover
//!   the amount and fee, builds and signs the transfer (change back to the key), submits it and,
//!   with `--wait`, follows it until it is final;
//! - `ramjet tx show HASH` prints a transaction's state;
//! - `ramjet status` prints a node's status.
//!
//! The chain id comes from the node (`GetStatus`), so a transfer is always for the node's chain.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use tonic::transport::Channel;

use crate::api::pb;
use crate::identity::Identity;
use crate::tx::{Address, AssetId, Fee, KeyHash, OutPoint, Output, Transaction, TxHash};
use crate::{NodeError, Result};

/// Where the node's API is, by default.
pub const DEFAULT_NODE: &str = "http://127.0.0.1:7700";

/// `ramjet tx`.
#[derive(Subcommand, Debug)]
pub enum TxCommand {
    /// Write a new key file and print its key hash (the address to pay it at).
    Keygen {
        /// The key file to write (refused if it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// List the unspent outputs of a key on a node.
    Balance {
        /// The key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The node to ask.
        #[command(flatten)]
        node: NodeArg,
    },
    /// Build, sign and submit a transfer from a key file.
    Send(SendArgs),
    /// Show a transaction's state on a node.
    Show {
        /// The transaction hash (64 hex digits).
        hash: TxHash,
        /// The node to ask.
        #[command(flatten)]
        node: NodeArg,
    },
}

/// Which node to talk to.
#[derive(Args, Debug, Clone)]
pub struct NodeArg {
    /// The node's gRPC API.
    #[arg(long, value_name = "URL", default_value = DEFAULT_NODE)]
    pub node: String,
}

/// `ramjet tx send`.
#[derive(Args, Debug)]
pub struct SendArgs {
    /// The key file that owns the outputs to spend.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The recipient's key hash (64 hex digits, as `ramjet tx keygen` prints it).
    #[arg(long, value_name = "KEY_HASH")]
    pub to: KeyHash,
    /// How much to send.
    #[arg(long)]
    pub amount: u64,
    /// The asset (64 hex digits; default: all zeros, the devnet's asset).
    #[arg(long, value_name = "ASSET", default_value_t = AssetId::default())]
    pub asset: AssetId,
    /// The fee, in the same asset (burnt).
    #[arg(long, default_value_t = 0)]
    pub fee: u64,
    /// Wait until the transaction is final and print its state.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// The node to submit to.
    #[command(flatten)]
    pub node: NodeArg,
}

async fn connect(url: &str) -> Result<pb::node_client::NodeClient<Channel>> {
    let endpoint = Channel::from_shared(url.to_owned())
        .map_err(|e| NodeError::Service(format!("node address {url:?}: {e}")))?
        .connect_timeout(Duration::from_secs(5));
    let channel = endpoint.connect().await.map_err(|e| {
        NodeError::Service(format!(
            "cannot reach the node's API at {url}: {e} (is `ramjet node` running there?)"
        ))
    })?;
    Ok(pb::node_client::NodeClient::new(channel))
}

fn rpc(what: &str, status: tonic::Status) -> NodeError {
    NodeError::Service(format!(
        "{what}: {} ({:?})",
        status.message(),
        status.code()
    ))
}

fn load_key(path: &Path) -> Result<Identity> {
    Ok(Identity::load(path)?)
}

/// The unspent outputs of `key_hash` on the node, as (outpoint, output).
async fn utxos(
    client: &mut pb::node_client::NodeClient<Channel>,
    key_hash: KeyHash,
    chain_id: u32,
) -> Result<Vec<(OutPoint, Output)>> {
    // Page by page, each after the last UTXO of the one before.
    let mut list = Vec::new();
    loop {
        let after = list.last().map(|u: &pb::Utxo| pb::OutPoint {
            tx_hash: u.tx_hash.clone(),
            index: u.index,
        });
        let page = client
            .get_utxos(pb::GetUtxosRequest {
                key_hash: key_hash.0.to_vec(),
                limit: 0,
                after,
            })
            .await
            .map_err(|s| rpc("GetUtxos", s))?
            .into_inner();
        let progressed = !page.utxos.is_empty();
        list.extend(page.utxos);
        if !page.more || !progressed {
            break;
        }
    }
    let bytes32 = |b: &[u8]| -> Result<[u8; 32]> {
        b.try_into()
            .map_err(|_| NodeError::Service("the node sent a malformed UTXO".into()))
    };
    list.into_iter()
        .map(|u| {
            Ok((
                OutPoint {
                    tx: TxHash(bytes32(&u.tx_hash)?),
                    index: u.index,
                },
                Output {
                    address: Address {
                        chain_id,
                        key_hash: KeyHash(bytes32(&u.key_hash)?),
                    },
                    asset: AssetId(bytes32(&u.asset)?),
                    amount: u.amount,
                    data: u.data,
                    contract: u
                        .contract
                        .map(|c| bytes32(&c))
                        .transpose()?
                        .map(crate::tx::ContractHash),
                },
            ))
        })
        .collect()
}

/// Picks outputs of `asset` without a contract, largest first, until they cover `need`.
pub fn select_outputs(
    available: &[(OutPoint, Output)],
    asset: AssetId,
    need: u128,
) -> Option<(Vec<OutPoint>, u128)> {
    let mut candidates: Vec<&(OutPoint, Output)> = available
        .iter()
        .filter(|(_, o)| o.asset == asset && o.contract.is_none())
        .collect();
    candidates.sort_by(|a, b| b.1.amount.cmp(&a.1.amount).then(a.0.cmp(&b.0)));
    let mut picked = Vec::new();
    let mut total = 0u128;
    for (outpoint, output) in candidates {
        if total >= need {
            break;
        }
        picked.push(*outpoint);
        total += u128::from(output.amount);
    }
    (total >= need && !picked.is_empty()).then_some((picked, total))
}

/// Runs a `ramjet tx` command.
///
/// # Errors
/// An unreadable key, an unreachable node, not enough funds, a refused transaction.
pub async fn run_tx(command: TxCommand) -> Result<()> {
    match command {
        TxCommand::Keygen { out } => {
            if out.exists() {
                return Err(NodeError::File {
                    path: out,
                    reason: "exists already; not overwritten".into(),
                });
            }
            let key = Identity::generate(0)?;
            key.write(&out)?;
            println!("key file   {}", out.display());
            println!("key hash   {}", KeyHash::of_public_key(key.public_key()));
            Ok(())
        }
        TxCommand::Balance { key, node } => {
            let key = load_key(&key)?;
            let mut client = connect(&node.node).await?;
            let chain_id = chain_id(&mut client).await?;
            let key_hash = KeyHash::of_public_key(key.public_key());
            let list = utxos(&mut client, key_hash, chain_id).await?;
            println!("key hash {key_hash}: {} unspent outputs", list.len());
            let mut totals = std::collections::BTreeMap::<AssetId, u128>::new();
            for (o, out) in &list {
                println!(
                    "  {}:{}  {} of asset {}",
                    o.tx, o.index, out.amount, out.asset
                );
                *totals.entry(out.asset).or_default() += u128::from(out.amount);
            }
            for (asset, total) in totals {
                println!("total {total} of asset {asset}");
            }
            Ok(())
        }
        TxCommand::Send(args) => send(args).await,
        TxCommand::Show { hash, node } => {
            let mut client = connect(&node.node).await?;
            let got = client
                .get_transaction(pb::GetTransactionRequest {
                    tx_hash: hash.0.to_vec(),
                })
                .await
                .map_err(|s| rpc("GetTransaction", s))?
                .into_inner();
            let tx = Transaction::decode(&got.transaction)?;
            println!("transaction {hash}: {}", state_name(got.state()));
            for i in &tx.inputs {
                println!("  spends  {}:{}", i.outpoint.tx, i.outpoint.index);
            }
            for (n, o) in tx.outputs.iter().enumerate() {
                println!("  output {n}: {} to {}", o.amount, o.address.key_hash);
            }
            Ok(())
        }
    }
}

async fn chain_id(client: &mut pb::node_client::NodeClient<Channel>) -> Result<u32> {
    Ok(client
        .get_status(pb::GetStatusRequest {
            skip_utxo_digest: true,
        })
        .await
        .map_err(|s| rpc("GetStatus", s))?
        .into_inner()
        .chain_id)
}

fn state_name(state: pb::TxState) -> &'static str {
    match state {
        pb::TxState::Pending => "PENDING",
        pb::TxState::Accepted => "ACCEPTED",
        pb::TxState::Rejected => "REJECTED",
        pb::TxState::Conflicted => "CONFLICTED",
        pb::TxState::Unknown | pb::TxState::Unspecified => "UNKNOWN",
    }
}

async fn send(args: SendArgs) -> Result<()> {
    if args.amount == 0 {
        return Err(NodeError::Service("--amount must be positive".into()));
    }
    let key = load_key(&args.key)?;
    let mut client = connect(&args.node.node).await?;
    let chain_id = chain_id(&mut client).await?;
    let me = KeyHash::of_public_key(key.public_key());
    let available = utxos(&mut client, me, chain_id).await?;
    let need = u128::from(args.amount) + u128::from(args.fee);
    let Some((spends, total)) = select_outputs(&available, args.asset, need) else {
        let have: u128 = available
            .iter()
            .filter(|(_, o)| o.asset == args.asset && o.contract.is_none())
            .map(|(_, o)| u128::from(o.amount))
            .sum();
        return Err(NodeError::Service(format!(
            "not enough funds: {have} of asset {} spendable by {me}, {need} needed (amount + fee)",
            args.asset
        )));
    };
    let mut outputs = vec![Output {
        address: Address {
            chain_id,
            key_hash: args.to,
        },
        asset: args.asset,
        amount: args.amount,
        data: None,
        contract: None,
    }];
    let change = total - need;
    if change > 0 {
        outputs.push(Output {
            address: Address {
                chain_id,
                key_hash: me,
            },
            asset: args.asset,
            amount: u64::try_from(change).expect("change is below one output's amount sum"),
            data: None,
            contract: None,
        });
    }
    let signer = key.signing_key();
    let spends: Vec<(OutPoint, &ed25519_consensus::SigningKey)> =
        spends.into_iter().map(|o| (o, signer)).collect();
    let tx = Transaction::build_signed(
        &spends,
        outputs,
        Fee {
            asset: args.asset,
            amount: args.fee,
        },
    );
    let hash = tx.hash();
    client
        .submit_transaction(pb::SubmitTransactionRequest {
            transaction: tx.encode(),
        })
        .await
        .map_err(|s| rpc("SubmitTransaction", s))?;
    println!("submitted {hash}: {} to {}", args.amount, args.to);
    if !args.wait {
        return Ok(());
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.timeout);
    loop {
        let state = match client
            .get_transaction(pb::GetTransactionRequest {
                tx_hash: hash.0.to_vec(),
            })
            .await
        {
            Ok(r) => r.into_inner().state(),
            Err(s) if s.code() == tonic::Code::NotFound => pb::TxState::Unknown,
            Err(s) => return Err(rpc("GetTransaction", s)),
        };
        if matches!(state, pb::TxState::Accepted | pb::TxState::Rejected) {
            println!(
                "{hash}: {} after {} ms",
                state_name(state),
                started.elapsed().as_millis()
            );
            return if state == pb::TxState::Accepted {
                Ok(())
            } else {
                Err(NodeError::Service(format!(
                    "transaction {hash} was rejected"
                )))
            };
        }
        if Instant::now() >= deadline {
            return Err(NodeError::Service(format!(
                "{hash} still {} after {} s",
                state_name(state),
                args.timeout
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `ramjet status`: prints a node's status (or its JSON with `json`).
///
/// # Errors
/// An unreachable node.
pub async fn run_status(node: &str, json: bool) -> Result<()> {
    let mut client = connect(node).await?;
    let s = client
        .get_status(pb::GetStatusRequest::default())
        .await
        .map_err(|s| rpc("GetStatus", s))?
        .into_inner();
    if json {
        let value = serde_json::json!({
            "node_id": hex::encode(&s.node_id),
            "peer_id": s.peer_id,
            "mode": s.mode,
            "chain": s.chain,
            "chain_id": s.chain_id,
            "version": s.version,
            "uptime_ms": s.uptime_ms,
            "listen": s.listen_addresses,
            "peers": s.peers.iter().map(|p| serde_json::json!({
                "peer_id": p.peer_id, "trust": p.trust, "gossip_score": p.gossip_score,
                "mode": p.mode, "version": p.version, "behind": p.behind,
            })).collect::<Vec<_>>(),
            "backends": s.backends.iter().map(|b| serde_json::json!({
                "name": b.name, "kind": b.kind, "emulated": b.emulated, "degraded": b.degraded,
                "calls": b.calls, "signature_calls": b.signature_calls,
                "signatures": b.signatures, "audits": b.audits,
                "audit_mismatches": b.audit_mismatches,
            })).collect::<Vec<_>>(),
            "counters": s.counters.as_ref().map(|c| serde_json::json!({
                "submitted": c.submitted, "accepted": c.accepted, "rejected": c.rejected,
                "conflicts_resolved": c.conflicts_resolved, "roots": c.roots,
            })),
            "utxo_digest": hex::encode(&s.utxo_digest),
        });
        println!("{}", serde_json::to_string_pretty(&value).expect("JSON"));
        return Ok(());
    }
    println!(
        "node      {} ({}, ramjet {})",
        hex::encode(&s.node_id),
        s.mode,
        s.version
    );
    println!("peer id   {}", s.peer_id);
    println!("chain     {} (id {})", s.chain, s.chain_id);
    println!("uptime    {:.1} s", s.uptime_ms as f64 / 1000.0);
    for a in &s.listen_addresses {
        println!("listen    {a}");
    }
    if let Some(c) = &s.counters {
        println!(
            "txs       submitted {}  accepted {}  rejected {}  conflicts resolved {}  roots {}",
            c.submitted, c.accepted, c.rejected, c.conflicts_resolved, c.roots
        );
    }
    println!("utxo set  {}", hex::encode(&s.utxo_digest));
    if let Some(t) = &s.trust {
        println!(
            "trust     {} peers: min {:.2} mean {:.2} max {:.2}; {} convicted",
            t.peers, t.min, t.mean, t.max, t.convicted
        );
    }
    println!("peers     {}", s.peers.len());
    for p in &s.peers {
        println!(
            "  {}  trust {:.2}  gossip {:.2}  {} {}{}",
            p.peer_id,
            p.trust,
            p.gossip_score,
            p.mode,
            p.version,
            if p.behind { "  BEHIND" } else { "" }
        );
    }
    println!("backends");
    for b in &s.backends {
        println!(
            "  {:<32} calls {:>8}  signature calls {:>8}  signatures {:>9}{}{}{}",
            b.name,
            b.calls,
            b.signature_calls,
            b.signatures,
            if b.audits > 0 {
                format!("  audited {} ({} differed)", b.audits, b.audit_mismatches)
            } else {
                String::new()
            },
            if b.emulated { "  (emulated)" } else { "" },
            if b.degraded { "  DEGRADED" } else { "" }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utxo(index: u32, asset: u8, amount: u64) -> (OutPoint, Output) {
        (
            OutPoint {
                tx: TxHash([1; 32]),
                index,
            },
            Output {
                address: Address::of_public_key(1, &[2; 32]),
                asset: AssetId([asset; 32]),
                amount,
                data: None,
                contract: None,
            },
        )
    }

    #[test]
    fn selection_takes_largest_first_of_the_asset() {
        let all = [
            utxo(0, 0, 5),
            utxo(1, 0, 20),
            utxo(2, 9, 100),
            utxo(3, 0, 10),
        ];
        let (picked, total) = select_outputs(&all, AssetId([0; 32]), 25).unwrap();
        assert_eq!(picked.iter().map(|o| o.index).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(total, 30);
        assert!(select_outputs(&all, AssetId([0; 32]), 36).is_none());
        assert!(select_outputs(&all, AssetId([7; 32]), 1).is_none());
    }
}
