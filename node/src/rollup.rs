//! `ramjet rollup`: key setup, proving a batch of transfers, verifying the proof, and example
//! batches.
//!
//! Files (documented with an example in `docs/prover.md`; an example batch is in
//! `prover/examples/`):
//! - a **key directory**, written by [`setup`]: `proving_key.bin`, `verifying_key.bin` (arkworks
//!   compressed bytes) and `circuit.json` (`{"depth", "txs", "constraints", "public_inputs"}`);
//! - a **batch file**, read by [`prove`]: the state before the batch and the transfers,
//!   `{"state": {"depth", "root", "accounts": [...]}, "transfers": [...]}`;
//! - a **proof directory**, written by [`prove`]: `proof.bin` (arkworks compressed), `public.json`
//!   (the public inputs old root, new root and batch commitment, as snarkjs writes public
//!   signals) and `state.json` (the state after the batch, to build the next batch on).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_snark::SNARK;
use ark_std::UniformRand;
use ramjet_accel::{Accelerator, CostModel};
use ramjet_prover::formats;
use ramjet_prover::groth16::{Phase, Prover};
use ramjet_prover::rollup::{Batch, RollupCircuit, State, demo};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::proofs::{self, PROVING_KEY, VERIFYING_KEY};
use crate::{NodeError, Result};

/// What a key directory's `circuit.json` says the keys were made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitInfo {
    /// Always `"rollup"`.
    pub circuit: String,
    /// Depth of the account tree.
    pub depth: usize,
    /// Transfers per batch.
    pub txs: usize,
    /// R1CS constraints.
    pub constraints: usize,
    /// Names of the public inputs, in order.
    pub public_inputs: Vec<String>,
}

/// The name of a key directory's description file.
pub const CIRCUIT_INFO: &str = "circuit.json";

/// A batch file: the state the transfers apply to, and the transfers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchFile {
    /// The state before the batch.
    pub state: State,
    /// The transfers, in order.
    #[serde(flatten)]
    pub batch: Batch,
}

/// Something long-running reports its steps here (a progress bar in the binary).
pub trait Progress {
    /// A new step begins.
    fn step(&self, message: &str);
}

impl<F: Fn(&str)> Progress for F {
    fn step(&self, message: &str) {
        self(message)
    }
}

/// `ramjet rollup setup`: generates Groth16 keys for batches of `txs` transfers over an account
/// tree of `depth`, into `out`. With `seed`, the setup's secret randomness comes from the seed —
/// reproducible, and therefore only for tests; without, from the operating system.
pub fn setup(
    txs: usize,
    depth: usize,
    out: &Path,
    seed: Option<u64>,
    progress: &dyn Progress,
) -> Result<CircuitInfo> {
    if txs == 0 {
        return Err(invalid("--txs must be at least 1"));
    }
    progress.step("building the circuit");
    let blank = RollupCircuit::blank(depth, txs)?;
    let constraints = count_constraints(blank.clone())?;
    progress.step(&format!(
        "generating keys for {constraints} constraints (ark-groth16 setup)"
    ));
    let mut rng = match seed {
        Some(seed) => ChaCha20Rng::seed_from_u64(seed),
        None => ChaCha20Rng::from_entropy(),
    };
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(blank, &mut rng)
        .map_err(ramjet_prover::ProverError::from)?;
    progress.step("writing the keys");
    create_dir(out)?;
    formats::write_proving_key(out.join(PROVING_KEY), &pk)?;
    formats::write_verifying_key(out.join(VERIFYING_KEY), &vk)?;
    let info = CircuitInfo {
        circuit: "rollup".to_owned(),
        depth,
        txs,
        constraints,
        public_inputs: vec!["old_root".into(), "new_root".into(), "commitment".into()],
    };
    write_json(&out.join(CIRCUIT_INFO), &info)?;
    Ok(info)
}

/// What [`prove`] produced.
#[derive(Debug)]
pub struct Proved {
    /// The files written: proof, public inputs, state after the batch.
    pub files: Vec<PathBuf>,
    /// Seconds per prover phase, in pipeline order.
    pub phases: Vec<(&'static str, f64)>,
    /// The accelerator backend each kind of work ran on.
    pub routes: Vec<(&'static str, String)>,
}

/// `ramjet rollup prove`: applies the batch in `batch_file` natively — refusing it, with the
/// transfer and the reason, before any proving work if a transfer does not apply — then proves it
/// with the keys in `keys` on `accel`, checks the proof, and writes the proof directory `out`.
pub fn prove(
    batch_file: &Path,
    keys: &Path,
    out: &Path,
    accel: Arc<Accelerator>,
    progress: &dyn Progress,
) -> Result<Proved> {
    progress.step("reading the batch");
    let file: BatchFile = read_json(batch_file, "a rollup batch file")?;
    let info: CircuitInfo = read_json(&keys.join(CIRCUIT_INFO), "a rollup circuit.json")?;
    if (file.state.depth(), file.batch.len()) != (info.depth, info.txs) {
        return Err(invalid(&format!(
            "{}: the batch has {} transfers at depth {}, but the keys in {} are for {} transfers \
             at depth {}",
            batch_file.display(),
            file.batch.len(),
            file.state.depth(),
            keys.display(),
            info.txs,
            info.depth
        )));
    }
    progress.step("applying the transfers");
    let applied = file.state.apply(&file.batch)?;
    progress.step("reading the proving key");
    let pk = formats::read_proving_key(keys.join(PROVING_KEY))?;
    let prover = Prover::new(Arc::clone(&accel));
    progress.step("preparing the key (validating the bases)");
    let key = prover.prepare(pk)?;
    progress.step("proving");
    let public_inputs = applied.public_inputs.to_vec();
    let circuit = RollupCircuit::from_applied(&applied);
    let mut rng = ChaCha20Rng::from_entropy();
    let r = Fr::rand(&mut rng);
    let s = Fr::rand(&mut rng);
    let (proof, timings) = prover.prove_timed(&key, circuit, r, s)?;
    progress.step("checking the proof");
    proofs::check(key.verifying_key(), &proof, &public_inputs)?;
    create_dir(out)?;
    let files = vec![
        out.join("proof.bin"),
        out.join("public.json"),
        out.join("state.json"),
    ];
    formats::write_proof(&files[0], &proof)?;
    formats::write_public_inputs_json(&files[1], &public_inputs)?;
    write_json(&files[2], &applied.state)?;
    let routes = [
        ("ntt", ramjet_accel::Op::Ntt, key.domain_size()),
        ("msm_g1", ramjet_accel::Op::MsmG1, key.domain_size()),
        ("msm_g2", ramjet_accel::Op::MsmG2, key.domain_size()),
    ]
    .into_iter()
    .map(|(name, op, items)| (name, accel.route_of(op, items)))
    .collect();
    Ok(Proved {
        files,
        phases: timings
            .phases()
            .map(|(phase, d): (Phase, _)| (phase.name(), d.as_secs_f64()))
            .collect(),
        routes,
    })
}

/// `ramjet rollup example`: a valid batch of `txs` transfers over a random genesis of a tree of
/// `depth` (keys derived from `seed`), written to `out` as a batch file.
pub fn example(txs: usize, depth: usize, seed: u64, out: &Path) -> Result<()> {
    let (state, batch) = demo::random_batch(depth, txs, seed)?;
    write_json(out, &BatchFile { state, batch })
}

/// The accelerator `ramjet rollup prove` uses: every backend found, routed by the calibration
/// profile when there is one (`ramjet devices --calibrate`), else by the defaults.
pub fn accelerator() -> Result<Arc<Accelerator>> {
    let cost = CostModel::load_or_defaults(&ramjet_accel::CalibrationProfile::default_path())?;
    let accel = Accelerator::builder()
        .devices(ramjet_kernels::detect())
        .cost_model(cost)
        .build()?;
    Ok(Arc::new(accel))
}

fn count_constraints(circuit: RollupCircuit) -> Result<usize> {
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
    let cs = ConstraintSystem::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    circuit
        .generate_constraints(cs.clone())
        .map_err(ramjet_prover::ProverError::from)?;
    Ok(cs.num_constraints())
}

fn invalid(message: &str) -> NodeError {
    NodeError::Prover(ramjet_prover::ProverError::RollupInvalid(
        message.to_owned(),
    ))
}

pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| NodeError::File {
        path: dir.to_owned(),
        reason: e.to_string(),
    })
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| NodeError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| NodeError::File {
        path: path.to_owned(),
        reason: format!("not {what}: {e}"),
    })
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| NodeError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    std::fs::write(path, text + "\n").map_err(|e| NodeError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}
