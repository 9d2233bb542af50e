//! Where the heap goes in one whole prove of the 784-56-10 MLP with hashed weights (Groth16):
//! the proving key read and prepared, then the key's first proof, with the live and peak heap
//! of every tracing span of the prover (synthesis, witness map, each MSM) printed as it closes.
//!
//! ```text
//! cargo run --release -p ramjet-bench --example inference_memory [-- fixed|hashed] [KEY_CACHE]
//! ```
//!
//! The proving key is made once (seeded setup) and cached in `KEY_CACHE` (default
//! `$TMPDIR/ramjet-inference-memory-<binding>.pk`); its bytes are read before the measure starts,
//! as `ramjet-bench` does.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, ProvingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use ramjet_accel::Accelerator;
use ramjet_bench::memory::{self, CountingAllocator};
use ramjet_prover::groth16::Prover;
use ramjet_prover::inference::hashed::{HashedInferenceCircuit, WeightWidths};
use ramjet_prover::inference::{InferenceCircuit, LoadedModel, QuantParams, demo};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tracing::span;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Prints each span's heap when it closes: live at entry and exit, and its own peak.
struct HeapLayer {
    /// Per open span: its label, the live heap at entry, and the peak outside it.
    open: Mutex<HashMap<span::Id, (String, usize, usize)>>,
    depth: AtomicUsize,
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for HeapLayer {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, _: Context<'_, S>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                let _ = write!(self.0, " {}={value:?}", field.name());
            }
        }
        let mut fields = Fields(attrs.metadata().name().to_owned());
        attrs.record(&mut fields);
        self.open
            .lock()
            .expect("not poisoned")
            .insert(id.clone(), (fields.0, 0, 0));
    }

    fn on_enter(&self, id: &span::Id, _: Context<'_, S>) {
        let (live, outer_peak) = memory::begin_nested();
        self.depth.fetch_add(1, Ordering::Relaxed);
        if let Some(entry) = self.open.lock().expect("not poisoned").get_mut(id) {
            entry.1 = live;
            entry.2 = outer_peak;
        }
    }

    fn on_exit(&self, id: &span::Id, _: Context<'_, S>) {
        let depth = self.depth.fetch_sub(1, Ordering::Relaxed);
        if let Some((label, entry, outer_peak)) = self.open.lock().expect("not poisoned").get(id) {
            let (live, peak) = memory::end_nested(*outer_peak);
            println!(
                "{:indent$}{label}: live {:.1} -> {:.1} MiB, peak {:.1} MiB",
                "",
                mib(*entry),
                mib(live),
                mib(peak),
                indent = 2 * (depth - 1)
            );
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let binding = args.next().unwrap_or_else(|| "hashed".to_owned());
    let cache = args.next().map_or_else(
        || std::env::temp_dir().join(format!("ramjet-inference-memory-{binding}.pk")),
        std::path::PathBuf::from,
    );
    let hashed = match binding.as_str() {
        "hashed" => true,
        "fixed" => false,
        other => return Err(format!("binding {other}: fixed or hashed").into()),
    };

    const MLP_SEED: u64 = 0x6d6c_7037_3834; // ramjet-bench's
    let onnx = demo::random_mlp_onnx(&[784, 56, 10], MLP_SEED)?;
    let loaded = LoadedModel::from_onnx(&onnx, QuantParams::default())?;
    let model = loaded.quantised;
    let input = model.quantise_input(&demo::random_input(784, MLP_SEED + 1))?;
    let widths = WeightWidths::fitting(&model);

    enum Circuit {
        Fixed(InferenceCircuit),
        Hashed(HashedInferenceCircuit),
    }
    impl ark_relations::gr1cs::ConstraintSynthesizer<Fr> for Circuit {
        fn generate_constraints(
            self,
            cs: ark_relations::gr1cs::ConstraintSystemRef<Fr>,
        ) -> Result<(), ark_relations::gr1cs::SynthesisError> {
            match self {
                Circuit::Fixed(c) => c.generate_constraints(cs),
                Circuit::Hashed(c) => c.generate_constraints(cs),
            }
        }
    }
    let blank = || -> Result<Circuit, Box<dyn std::error::Error>> {
        Ok(if hashed {
            Circuit::Hashed(HashedInferenceCircuit::blank(Arc::clone(&model), widths)?)
        } else {
            Circuit::Fixed(InferenceCircuit::blank(Arc::clone(&model)))
        })
    };
    let (circuit, again, public) = if hashed {
        let c = HashedInferenceCircuit::new(Arc::clone(&model), widths, input)?;
        let public = c.public_inputs()?.expect("assigned");
        (Circuit::Hashed(c.clone()), Circuit::Hashed(c), public)
    } else {
        let c = InferenceCircuit::new(Arc::clone(&model), input)?;
        let public = c.public_inputs()?.expect("assigned");
        (Circuit::Fixed(c.clone()), Circuit::Fixed(c), public)
    };

    let key_bytes = match std::fs::read(&cache) {
        Ok(bytes) => bytes,
        Err(_) => {
            println!("setup (cached in {})", cache.display());
            let mut rng = ChaCha20Rng::seed_from_u64(7);
            let (pk, _) = Groth16::<Bn254>::circuit_specific_setup(blank()?, &mut rng)?;
            let mut bytes = Vec::new();
            pk.serialize_uncompressed(&mut bytes)?;
            std::fs::write(&cache, &bytes)?;
            bytes
        }
    };
    println!("key: {:.1} MiB serialized", mib(key_bytes.len()));

    let layer = HeapLayer {
        open: Mutex::new(HashMap::new()),
        depth: AtomicUsize::new(0),
    };
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        // The prover's spans only: arkworks' gadgets open a span per call (target `gr1cs`).
        .with(
            tracing_subscriber::filter::Targets::new()
                .with_target("ramjet_prover", tracing::Level::DEBUG)
                .with_target("inference_memory", tracing::Level::INFO),
        );
    tracing::subscriber::set_global_default(subscriber)?;

    let prover = Prover::new(Arc::new(Accelerator::cpu_only()));
    let (base, _) = memory::begin_nested();
    let started = std::time::Instant::now();
    let proof = tracing::info_span!("whole_prove").in_scope(
        || -> Result<_, Box<dyn std::error::Error>> {
            let pk = tracing::info_span!("read_key").in_scope(|| {
                ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(&key_bytes[..])
            })?;
            let vk = pk.vk.clone();
            let key = tracing::info_span!("prepare_key").in_scope(|| prover.prepare(pk))?;
            let proof =
                prover.prove_with_randomness(&key, circuit, Fr::from(3u64), Fr::from(5u64))?;
            Ok((proof, vk, key, again))
        },
    )?;
    let elapsed = started.elapsed();
    let (_, peak) = memory::end_nested(0);
    let peak = peak - base;
    let (proof, vk, key, again) = proof;
    // A later proof with the same key: the assignment alone is synthesized.
    let (_, timings) = prover.prove_timed(&key, again, Fr::from(3u64), Fr::from(5u64))?;
    println!("a later proof's phases: {timings:?}");
    let valid = Groth16::<Bn254>::verify(&vk, &public, &proof)?;
    println!(
        "whole prove ({binding}): {:.2} s, peak {:.1} MiB ({:.0} MB) above the {:.1} MiB live before; proof valid: {valid}",
        elapsed.as_secs_f64(),
        mib(peak),
        peak as f64 / 1e6,
        mib(base)
    );
    if !valid {
        return Err("the proof does not verify".into());
    }
    Ok(())
}
