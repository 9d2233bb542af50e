//! The peak heap of one whole halo2 prove (`Params::new`, both keys, `create_proof`, as
//! `ramjet-bench` measures its inference cases) of the 784-56-10 MLP for every binding and
//! input/output visibility: what `ramjet-bench` does not cover, since its cases have both
//! sections public.
//!
//! ```text
//! cargo run -p ramjet-bench --example halo2_design_memory [-- fixed|hashed [public|input|output|both]]
//! ```
//!
//! Without arguments it measures all eight designs in turn. The model and input are the
//! bench's (`demo::random_mlp_onnx(&[784, 56, 10], seed)`, seeded random pixels), quantised
//! at the default `2^7`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use ramjet_bench::memory::{self, CountingAllocator};
use ramjet_prover::inference::halo2::{Design, params, verify_instance};
use ramjet_prover::inference::hashed::WeightWidths;
use ramjet_prover::inference::{IoVisibility, LoadedModel, QuantParams, Visibility, demo};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The bench's seed for the MLP's weights (its input uses the next one).
const MLP_SEED: u64 = 0x6d6c_7037_3834;

const VISIBILITIES: [(&str, IoVisibility); 4] = [
    ("public", IoVisibility::PUBLIC),
    (
        "input",
        IoVisibility {
            input: Visibility::Hashed,
            output: Visibility::Public,
        },
    ),
    (
        "output",
        IoVisibility {
            input: Visibility::Public,
            output: Visibility::Hashed,
        },
    ),
    (
        "both",
        IoVisibility {
            input: Visibility::Hashed,
            output: Visibility::Hashed,
        },
    ),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bindings: Vec<&str> = match args.first().map(String::as_str) {
        None => vec!["fixed", "hashed"],
        Some(b @ ("fixed" | "hashed")) => vec![b],
        Some(other) => {
            eprintln!("unknown binding {other:?}: fixed or hashed");
            return ExitCode::FAILURE;
        }
    };
    let visibilities: Vec<(&str, IoVisibility)> = match args.get(1) {
        None => VISIBILITIES.to_vec(),
        Some(name) => match VISIBILITIES.iter().find(|(n, _)| n == name) {
            Some(&v) => vec![v],
            None => {
                eprintln!("unknown visibility {name:?}: public, input, output or both");
                return ExitCode::FAILURE;
            }
        },
    };
    match run(&bindings, &visibilities) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    bindings: &[&str],
    visibilities: &[(&str, IoVisibility)],
) -> Result<(), Box<dyn std::error::Error>> {
    let onnx = demo::random_mlp_onnx(&[784, 56, 10], MLP_SEED)?;
    let loaded = LoadedModel::from_onnx(&onnx, QuantParams::default())?;
    let model = Arc::clone(&loaded.quantised);
    let input = model.quantise_input(&demo::random_input(784, MLP_SEED + 1))?;
    for &binding in bindings {
        for &(name, visibility) in visibilities {
            let design = match binding {
                "fixed" => Design::fixed(visibility),
                _ => Design::hashed(WeightWidths::fitting(&model), visibility),
            };
            let (rows, k) = (design.rows(&model)?, design.k(&model)?);
            let started = Instant::now();
            let (proved, peak) = memory::peak_during(|| {
                let p = params(k);
                let pk = design.proving_key(&p, &model)?;
                let proof = design.prove(&p, &pk, &model, input.clone())?;
                Ok::<_, ramjet_prover::ProverError>((p, pk, proof))
            });
            let elapsed = started.elapsed();
            let (p, pk, proof) = proved?;
            verify_instance(&p, pk.get_vk(), &proof.instance, &proof.bytes)?;
            let peak = peak.ok_or("the counting allocator is not installed")?;
            println!(
                "784-56-10 MLP, halo2, {binding} binding, hashed sections: {name}: {rows} rows, \
                 k = {k}; whole prove {:.1} s, peak heap {:.1} MiB ({:.0} MB), proof {} B, verified",
                elapsed.as_secs_f64(),
                peak as f64 / (1 << 20) as f64,
                peak as f64 / 1e6,
                proof.bytes.len()
            );
        }
    }
    Ok(())
}
