//! The `ramjet` binary.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use ramjet_accel::CalibrationProfile;
use ramjet_accel::calibrate::Effort;
use ramjet_node::config::{ConfigOverrides, NodeConfig};
use ramjet_node::devnet::DevnetArgs;
use ramjet_node::inference::{self, Binding, ProofSystem};
use ramjet_node::proofs::ExportFormat;
use ramjet_node::wallet::{self, NodeArg, TxCommand};
use ramjet_node::{Detected, daemon, detect, devices, proofs, rollup};
use ramjet_prover::inference::hashed::WidthChoice;
use ramjet_prover::inference::{IoVisibility, QuantParams, Visibility};

/// ramjet: a hardware-accelerated proving and execution appliance.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the accelerator backends found on this machine; with --calibrate, measure each
    /// operation on each backend and save the profile the dispatcher reads.
    Devices {
        /// Measure every operation on every backend and write the calibration profile.
        #[arg(long)]
        calibrate: bool,
        /// With --calibrate: small sizes, one repeat (seconds instead of a minute).
        #[arg(long, requires = "calibrate")]
        quick: bool,
        /// Where the profile is written (default: $RAMJET_PROFILE, else
        /// $XDG_CONFIG_HOME/ramjet/calibration.json, else ~/.config/ramjet/calibration.json).
        #[arg(long)]
        profile: Option<PathBuf>,
        /// Print the backends as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The rollup circuit: Groth16 keys, proofs of batches of transfers, verification.
    Rollup {
        #[command(subcommand)]
        command: RollupCommand,
    },
    /// Proof of inference: per-model keys, proofs that an ONNX model gives an output on an
    /// input, verification with the verifying key alone (docs/inference.md).
    Infer {
        #[command(subcommand)]
        command: InferCommand,
    },
    /// Start a local network of nodes, put it under load (transfers and double-spend
    /// attempts), check that the nodes agree, and report latency, throughput and memory.
    Devnet(DevnetArgs),
    /// Proofs in other tools' formats.
    Proof {
        #[command(subcommand)]
        command: ProofCommand,
    },
    /// Run a node from a TOML config file (docs/node-config.md); flags override the file.
    Node(NodeArgs),
    /// A small wallet for testing: keys, balances, transfers, over a node's gRPC API.
    Tx {
        #[command(subcommand)]
        command: TxCommand,
    },
    /// Show a node's status (peers, trust, backends, counters).
    Status {
        #[command(flatten)]
        node: NodeArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `ramjet node`'s flags.
#[derive(clap::Args)]
struct NodeArgs {
    /// The config file (default: every setting at its default).
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    print_config: bool,
    /// Overrides `node.data_dir`.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Overrides `node.key_file`.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Overrides `node.mode`: validator, observer or light.
    #[arg(long)]
    mode: Option<String>,
    /// Overrides `network.chain`.
    #[arg(long)]
    chain: Option<String>,
    /// Replaces `network.listen` (repeatable), e.g. /ip4/0.0.0.0/tcp/7600.
    #[arg(long, value_name = "MULTIADDR")]
    listen: Vec<String>,
    /// Adds to `network.bootstrap` (repeatable): /ip4/…/tcp/…/p2p/<peer id>.
    #[arg(long, value_name = "MULTIADDR")]
    bootstrap: Vec<String>,
    /// Overrides `api.listen`.
    #[arg(long, value_name = "ADDR")]
    api_listen: Option<String>,
    /// Overrides `metrics.listen`.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<String>,
    /// Overrides `accel.backend` (cpu, auto, or a backend id from `ramjet devices`).
    #[arg(long)]
    backend: Option<String>,
}

#[derive(Subcommand)]
enum RollupCommand {
    /// Generate Groth16 keys for batches of N transfers over an account tree of depth D.
    Setup {
        /// Transfers per batch.
        #[arg(long, value_name = "N")]
        txs: usize,
        /// Depth of the account tree (up to 32).
        #[arg(long, value_name = "D")]
        depth: usize,
        /// Directory for proving_key.bin, verifying_key.bin and circuit.json.
        #[arg(long, value_name = "DIR", default_value = "rollup-keys")]
        out: PathBuf,
        /// Derive the setup's secret randomness from this seed instead of the operating system.
        /// Anyone who knows the seed can forge proofs: for tests only.
        #[arg(long, value_name = "SEED")]
        insecure_seed: Option<u64>,
    },
    /// Prove a batch: apply its transfers (refusing the batch, before any proving, if one does
    /// not apply), prove the state transition on the accelerator, and write the proof.
    Prove {
        /// The batch file: the state before the batch and the transfers (see docs/prover.md).
        #[arg(long, value_name = "FILE")]
        batch: PathBuf,
        /// The key directory written by `ramjet rollup setup`.
        #[arg(long, value_name = "DIR", default_value = "rollup-keys")]
        keys: PathBuf,
        /// Directory for proof.bin, public.json and state.json (the state after the batch).
        #[arg(long, value_name = "DIR", default_value = "rollup-proof")]
        out: PathBuf,
    },
    /// Check a proof against the verifying key and its public inputs.
    Verify {
        /// The key directory written by `ramjet rollup setup`.
        #[arg(long, value_name = "DIR", default_value = "rollup-keys")]
        keys: PathBuf,
        /// The proof (arkworks compressed bytes).
        #[arg(long, value_name = "FILE", default_value = "rollup-proof/proof.bin")]
        proof: PathBuf,
        /// The public inputs: old root, new root, batch commitment (snarkjs public.json).
        #[arg(long, value_name = "FILE", default_value = "rollup-proof/public.json")]
        public: PathBuf,
    },
    /// Write an example batch file: a random genesis of accounts whose keys come from the seed,
    /// and N valid signed transfers on it.
    Example {
        /// Transfers in the batch.
        #[arg(long, value_name = "N")]
        txs: usize,
        /// Depth of the account tree.
        #[arg(long, value_name = "D")]
        depth: usize,
        /// Seed of the accounts' keys and the transfers.
        #[arg(long, value_name = "SEED", default_value_t = 1)]
        seed: u64,
        /// The batch file to write.
        #[arg(long, value_name = "FILE", default_value = "batch.json")]
        out: PathBuf,
    },
}

/// `--scale` and `--bits`: how a model is quantised.
#[derive(clap::Args)]
struct QuantArgs {
    /// Fixed-point scale s: values are round(v·2^s).
    #[arg(long, value_name = "S", default_value_t = QuantParams::default().scale)]
    scale: u32,
    /// Every value of the fixed-point inference must fit this many signed bits.
    #[arg(long, value_name = "B", default_value_t = QuantParams::default().value_bits)]
    bits: u32,
}

impl QuantArgs {
    fn params(&self) -> QuantParams {
        QuantParams {
            scale: self.scale,
            value_bits: self.bits,
        }
    }
}

#[derive(Subcommand)]
enum InferCommand {
    /// Generate the keys of a model's circuit (weights fixed in the circuit) and describe the
    /// model (its id: SHA-256 of the ONNX file and the quantisation) in model.json. With
    /// --system halo2 no key file is written: model.json records k and the digest of the
    /// verifying key, which is derived from the model (the model commitment), or with --binding
    /// hashed from the architecture, which model.json then records.
    Setup {
        /// The model (ONNX).
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
        #[command(flatten)]
        quant: QuantArgs,
        /// The proof system.
        #[arg(long, value_enum, default_value = "groth16")]
        system: ProofSystem,
        /// fixed: the weights are constants of the circuit (the key is the model's). hashed: the
        /// weights are private, committed by a Poseidon hash that is the first public value.
        #[arg(long, value_enum, default_value = "fixed")]
        binding: Binding,
        /// With --binding hashed: the signed width in bits of every committed weight. The
        /// default is the smallest that holds the model's weights; a wider one makes keys that
        /// also prove models of the same architecture with larger weights.
        #[arg(long, value_name = "BITS")]
        weight_bits: Option<u32>,
        /// With --binding hashed: the signed width in bits of every committed bias (the default
        /// is the smallest that holds the model's biases).
        #[arg(long, value_name = "BITS")]
        bias_bits: Option<u32>,
        /// public: the quantised input values are public values. hashed: the input stays
        /// private, and one public value is its Poseidon hash (each system hashes in its own
        /// field).
        #[arg(long, value_name = "public|hashed", default_value = "public", value_parser = parse_visibility)]
        input_visibility: Visibility,
        /// public: the output values are public values. hashed: the output stays private, and
        /// one public value is its Poseidon hash.
        #[arg(long, value_name = "public|hashed", default_value = "public", value_parser = parse_visibility)]
        output_visibility: Visibility,
        /// Directory for proving_key.bin, verifying_key.bin and model.json.
        #[arg(long, value_name = "DIR", default_value = "infer-keys")]
        out: PathBuf,
        /// Derive the setup's secret randomness from this seed instead of the operating system.
        /// Anyone who knows the seed can forge proofs: for tests only.
        #[arg(long, value_name = "SEED")]
        insecure_seed: Option<u64>,
    },
    /// Run the model on an input in fixed point and prove the output (Groth16 on the
    /// accelerator; halo2 on the CPU, its proving key regenerated from the model).
    Prove {
        /// The model (ONNX): the one the keys were made for.
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
        /// The input: {"input": [numbers]}.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// The proof system.
        #[arg(long, value_enum, default_value = "groth16")]
        system: ProofSystem,
        /// The key directory written by `ramjet infer setup`.
        #[arg(long, value_name = "DIR", default_value = "infer-keys")]
        keys: PathBuf,
        /// Directory for proof.bin, public.json and output.json.
        #[arg(long, value_name = "DIR", default_value = "infer-proof")]
        out: PathBuf,
    },
    /// Check a proof with the verifying key and model.json of a key directory (the proving key
    /// is not needed), and print the proved output.
    Verify {
        /// The key directory (verifying_key.bin and model.json).
        #[arg(long, value_name = "DIR", default_value = "infer-keys")]
        keys: PathBuf,
        /// The proof (arkworks compressed bytes).
        #[arg(long, value_name = "FILE", default_value = "infer-proof/proof.bin")]
        proof: PathBuf,
        /// The public values: the quantised input, then the output (snarkjs public.json).
        #[arg(long, value_name = "FILE", default_value = "infer-proof/public.json")]
        public: PathBuf,
        /// Also check that this ONNX file is the model the key was made for. Required with
        /// --system halo2 and the fixed binding: the verifying key is regenerated from it.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// Also check that the proof is about this input file (with a hashed input: that its
        /// hash is the proof's).
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// A private.json written by `ramjet infer prove`: check the values behind the proof's
        /// hashed input or output against the hashes, and show them.
        #[arg(long, value_name = "FILE")]
        reveal: Option<PathBuf>,
        /// The proof system.
        #[arg(long, value_enum, default_value = "groth16")]
        system: ProofSystem,
    },
    /// The majority check: verify several provers' proofs for one model and input, and report
    /// which verify and whether more than half of them agree on one output (exit status 1 if
    /// not). A proof that does not verify, a copy of another proof, or a proof about another
    /// input counts against agreement.
    Compare {
        /// Proof directories written by `ramjet infer prove` (proof.bin and public.json).
        #[arg(value_name = "PROOF_DIR", required = true, num_args = 2..)]
        proofs: Vec<PathBuf>,
        /// The key directory (verifying_key.bin and model.json).
        #[arg(long, value_name = "DIR", default_value = "infer-keys")]
        keys: PathBuf,
        /// The proof system.
        #[arg(long, value_enum, default_value = "groth16")]
        system: ProofSystem,
        /// Also check that this ONNX file is the model the key was made for. Required with
        /// --system halo2 and the fixed binding.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// Compare on this input: a proof about another input does not verify. Without it, the
        /// input most verified proofs are about.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Also write the result as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// The float and the quantised model's accuracy on a labelled data set
    /// ({"features": [[numbers]], "labels": [classes]}).
    Accuracy {
        /// The model (ONNX).
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
        /// The data set.
        #[arg(long, value_name = "FILE")]
        data: PathBuf,
        #[command(flatten)]
        quant: QuantArgs,
    },
}

#[derive(Subcommand)]
enum ProofCommand {
    /// Write the verifying key (and a proof with its public inputs) as snarkjs JSON, or as a
    /// Solidity verifier contract (and its calldata).
    Export {
        /// snarkjs: verification_key.json, proof.json, public.json. solidity: Groth16Verifier.sol,
        /// calldata.txt.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// The key directory written by `ramjet rollup setup`.
        #[arg(long, value_name = "DIR", default_value = "rollup-keys")]
        keys: PathBuf,
        /// The proof to export too (arkworks compressed bytes); needs --public.
        #[arg(long, value_name = "FILE", requires = "public")]
        proof: Option<PathBuf>,
        /// The proof's public inputs (public.json).
        #[arg(long, value_name = "FILE", requires = "proof")]
        public: Option<PathBuf>,
        /// Directory to write into.
        #[arg(long, value_name = "DIR", default_value = "export")]
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // A node's log is its operator's window: info by default; one-shot commands stay quiet.
    let default_log = match cli.command {
        Command::Node(_) => "info,libp2p_gossipsub=warn,libp2p_swarm=warn",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RAMJET_LOG")
                .unwrap_or_else(|_| default_log.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Node(args) => run_node(args)?,
        Command::Tx { command } => runtime()?.block_on(wallet::run_tx(command))?,
        Command::Status { node, json } => {
            runtime()?.block_on(wallet::run_status(&node.node, json))?;
        }
        Command::Devices {
            calibrate,
            quick,
            profile,
            json,
        } => {
            let Detected { backends, notes } = detect();
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &devices::to_json(&backends, &notes))?;
                println!();
            } else {
                devices::write_table(&mut out, &backends)?;
                devices::write_notes(&mut out, &notes)?;
            }
            if calibrate {
                let path = profile.unwrap_or_else(CalibrationProfile::default_path);
                let effort = if quick { Effort::Quick } else { Effort::Full };
                let profile = devices::calibrate(&backends, effort, &path)
                    .with_context(|| format!("calibrating into {}", path.display()))?;
                println!();
                devices::write_profile(&mut out, &profile)?;
                println!("\ncalibration profile written to {}", path.display());
            }
        }
        Command::Rollup { command } => run_rollup(command)?,
        Command::Infer { command } => run_infer(command)?,
        Command::Devnet(args) if args.bench => {
            let report = runtime()?.block_on(ramjet_node::devnet::bench::bench(&args))?;
            let mut out = std::io::stdout().lock();
            for (name, summary) in [
                ("batched", &report.batched),
                ("single-signature", &report.single_signature),
            ] {
                writeln!(out, "== {name} ({})", summary.settings.dir.display())?;
                summary.write_table(&mut out)?;
                writeln!(out)?;
            }
            writeln!(out, "== comparison")?;
            report.write_table(&mut out)?;
            drop(out);
            let path = args.json_path();
            let mut text = serde_json::to_string_pretty(&report)?;
            text.push('\n');
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            println!("comparison written to {}", path.display());
            if !report.ok() {
                anyhow::bail!("devnet bench: a check failed (see the run summaries above)");
            }
        }
        Command::Devnet(args) => {
            let summary = runtime()?.block_on(ramjet_node::devnet::run(args.clone()))?;
            summary.write_table(&mut std::io::stdout().lock())?;
            println!("summary written to {}", args.json_path().display());
            if !summary.ok {
                anyhow::bail!(
                    "devnet: {} check(s) failed: {}",
                    summary.failures.len(),
                    summary.failures.join("; ")
                );
            }
        }
        Command::Proof {
            command:
                ProofCommand::Export {
                    format,
                    keys,
                    proof,
                    public,
                    out,
                },
        } => {
            let proof = proof.as_deref().zip(public.as_deref());
            for path in proofs::export(format, &keys, proof, &out)? {
                println!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}

fn run_rollup(command: RollupCommand) -> anyhow::Result<()> {
    match command {
        RollupCommand::Setup {
            txs,
            depth,
            out,
            insecure_seed,
        } => {
            let bar = spinner();
            let step = |m: &str| bar.set_message(m.to_owned());
            let info = rollup::setup(txs, depth, &out, insecure_seed, &step);
            bar.finish_and_clear();
            let info = info.with_context(|| format!("setting up keys in {}", out.display()))?;
            println!(
                "keys for {} transfers at depth {} ({} constraints) written to {} in {:.1} s",
                info.txs,
                info.depth,
                info.constraints,
                out.display(),
                bar.elapsed().as_secs_f64()
            );
        }
        RollupCommand::Prove { batch, keys, out } => {
            let accel = rollup::accelerator()?;
            let bar = spinner();
            let step = |m: &str| bar.set_message(m.to_owned());
            let proved = rollup::prove(&batch, &keys, &out, accel, &step);
            bar.finish_and_clear();
            let proved = proved.with_context(|| format!("proving {}", batch.display()))?;
            for (phase, seconds) in &proved.phases {
                println!("{phase:<12} {:>9.3} s", seconds);
            }
            for (work, backend) in &proved.routes {
                println!("{work:<12} on {backend}");
            }
            for file in &proved.files {
                println!("wrote {}", file.display());
            }
        }
        RollupCommand::Verify {
            keys,
            proof,
            public,
        } => {
            proofs::verify(&keys, &proof, &public)?;
            println!(
                "proof OK: {} verifies against {}",
                proof.display(),
                public.display()
            );
        }
        RollupCommand::Example {
            txs,
            depth,
            seed,
            out,
        } => {
            rollup::example(txs, depth, seed, &out)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} ({txs} transfers, depth {depth})", out.display());
        }
    }
    Ok(())
}

fn run_infer(command: InferCommand) -> anyhow::Result<()> {
    match command {
        InferCommand::Setup {
            model,
            quant,
            system,
            binding,
            weight_bits,
            bias_bits,
            input_visibility,
            output_visibility,
            out,
            insecure_seed,
        } => {
            let bar = steps_bar(4);
            let step = |m: &str| advance(&bar, m);
            let params = quant.params();
            let shape = inference::Shape {
                system,
                binding,
                visibility: IoVisibility {
                    input: input_visibility,
                    output: output_visibility,
                },
                widths: WidthChoice {
                    weight_bits,
                    bias_bits,
                },
            };
            let done = inference::setup(&model, params, shape, &out, insecure_seed, &step);
            bar.finish_and_clear();
            let done = done.with_context(|| format!("setting up keys for {}", model.display()))?;
            let info = &done.info;
            let size = match &info.halo2 {
                Some(circuit) => format!("{} rows of 2^{}", info.constraints, circuit.k),
                None => format!("{} constraints", info.constraints),
            };
            println!(
                "keys for model {} ({} inputs, {} outputs, scale 2^{}, {size}) written to {} in {:.1} s",
                info.model_id,
                info.inputs,
                info.outputs,
                info.quantisation.scale,
                out.display(),
                bar.elapsed().as_secs_f64()
            );
            if let Some(circuit) = &info.halo2 {
                let of = match info.binding {
                    Binding::Fixed => "the model commitment",
                    Binding::Hashed => "the architecture's key",
                };
                println!("halo2 verifying key digest ({of}) {}", circuit.vk_digest);
            }
            if let Some(commitment) = &info.commitment {
                println!("weights commitment (Poseidon) {commitment}");
            }
            for file in &done.files {
                println!("wrote {}", file.display());
            }
        }
        InferCommand::Prove {
            model,
            input,
            system,
            keys,
            out,
        } => {
            let accel = ramjet_node::rollup::accelerator()?;
            let bar = steps_bar(6);
            let step = |m: &str| advance(&bar, m);
            let proved = inference::prove(&model, &input, &keys, system, &out, accel, &step);
            bar.finish_and_clear();
            let proved = proved
                .with_context(|| format!("proving {} on {}", model.display(), input.display()))?;
            for (phase, seconds) in &proved.phases {
                println!("{phase:<12} {:>9.3} s", seconds);
            }
            let output = proved
                .private
                .as_ref()
                .and_then(|p| p.output.clone())
                .unwrap_or_else(|| proved.output.output.clone());
            println!("output {output:?}");
            if let Some(class) = ramjet_prover::inference::argmax(&output) {
                println!("class  {class}");
            }
            for (what, hash) in [
                ("input", &proved.output.input_hash),
                ("output", &proved.output.output_hash),
            ] {
                if let Some(hash) = hash {
                    println!("{what} hash (public; the values are in private.json) {hash}");
                }
            }
            for file in &proved.files {
                println!("wrote {}", file.display());
            }
        }
        InferCommand::Verify {
            keys,
            proof,
            public,
            model,
            input,
            reveal,
            system,
        } => {
            let expect = inference::Expect {
                model: model.as_deref(),
                input: input.as_deref(),
                reveal: reveal.as_deref(),
            };
            let verified = inference::verify(&keys, system, &proof, &public, expect)?;
            let on = match &verified.input {
                inference::Section::Values(_) => "the proved input".to_owned(),
                inference::Section::Hashed { hash } => format!("the input with hash {hash}"),
            };
            println!(
                "proof OK: model {} gives output {} (class {}) on {on}",
                verified.info.model_id,
                verified.output,
                verified
                    .output
                    .class()
                    .map_or_else(|| "not public".to_owned(), |c| c.to_string())
            );
        }
        InferCommand::Compare {
            proofs,
            keys,
            system,
            model,
            input,
            json,
        } => {
            let comparison = inference::compare::compare(
                &keys,
                system,
                &proofs,
                model.as_deref(),
                input.as_deref(),
            )?;
            print_comparison(&comparison);
            if let Some(path) = json {
                comparison.write(&path)?;
                println!("wrote {}", path.display());
            }
            if !comparison.agreed() {
                anyhow::bail!(
                    "no majority: at most {} of {} proofs agree on one output",
                    comparison.agreeing,
                    comparison.proofs
                );
            }
        }
        InferCommand::Accuracy { model, data, quant } => {
            let params = quant.params();
            let result = inference::measure_accuracy(&model, params, &data)?;
            println!(
                "{} samples: float {:.2} % ({} correct), quantised at 2^{} {:.2} % ({} correct), \
                 same class on {}",
                result.samples,
                result.float_percent(),
                result.float_correct,
                params.scale,
                result.quantised_percent(),
                result.quantised_correct,
                result.agreeing
            );
        }
    }
    Ok(())
}

/// The majority check's table: one line per proof, then the verdict.
fn print_comparison(comparison: &inference::compare::Comparison) {
    use inference::compare::ClaimStatus;
    let class = |c: Option<usize>| c.map_or_else(|| "-".to_owned(), |c| c.to_string());
    println!("model {}", comparison.model_id);
    for claim in &comparison.claims {
        let verdict = match &claim.status {
            ClaimStatus::Counted {
                output,
                class: c,
                agrees,
            } => format!(
                "verifies, class {} {}{output}",
                class(*c),
                if *agrees {
                    "(majority) "
                } else {
                    "(DISSENTS) "
                }
            ),
            ClaimStatus::Rejected { reason } => format!("REJECTED: {reason}"),
            ClaimStatus::Duplicate { of } => {
                format!("verifies, but is a copy of {} (not counted)", of.display())
            }
            ClaimStatus::OtherInput { output } => {
                format!("verifies, but about another input (not counted): {output}")
            }
        };
        println!("  {}: {verdict}", claim.dir.display());
    }
    println!(
        "{} of {} proofs verify; {} agree on one output",
        comparison.verified, comparison.proofs, comparison.agreeing
    );
    match &comparison.majority {
        Some(output) => println!(
            "majority: class {} {output} ({} of {})",
            class(comparison.majority_class),
            comparison.agreeing,
            comparison.proofs
        ),
        None => println!("no majority"),
    }
}

/// `--input-visibility` / `--output-visibility`.
fn parse_visibility(value: &str) -> Result<Visibility, String> {
    match value {
        "public" => Ok(Visibility::Public),
        "hashed" => Ok(Visibility::Hashed),
        other => Err(format!("`{other}` is not public or hashed")),
    }
}

/// A progress bar of `steps` steps on stderr, with the current step and the time so far.
fn steps_bar(steps: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(steps);
    bar.set_style(
        indicatif::ProgressStyle::with_template("[{bar:20}] {pos}/{len} {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Moves `bar` to its next step, showing `message`.
fn advance(bar: &indicatif::ProgressBar, message: &str) {
    if bar.message().is_empty() {
        bar.set_message(message.to_owned());
    } else {
        bar.inc(1);
        bar.set_message(message.to_owned());
    }
}

/// A spinner on stderr with the current step and the time so far.
fn spinner() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// A multi-threaded tokio runtime for the networked commands.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run_node(args: NodeArgs) -> anyhow::Result<()> {
    let overrides = ConfigOverrides {
        data_dir: args.data_dir,
        key_file: args.key_file,
        mode: args.mode,
        chain: args.chain,
        listen: (!args.listen.is_empty()).then_some(args.listen),
        bootstrap: args.bootstrap,
        api_listen: args.api_listen,
        metrics_listen: args.metrics_listen,
        backend: args.backend,
    };
    let config = NodeConfig::load(args.config.as_deref(), &overrides)?;
    if args.print_config {
        print!("{}", config.to_toml_string()?);
        return Ok(());
    }
    runtime()?.block_on(daemon::run(config))?;
    Ok(())
}
