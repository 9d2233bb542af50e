//! The command line of `ramjet-bench`.

use std::path::PathBuf;

use clap::Parser;

use crate::plan::{self, Preset, Subject};

/// Measures ramjet's CPU backend, and every device backend found (wgpu adapters; lavapipe's rows
/// are marked CPU-emulated), against the libraries a user would pick instead, and ramjet's
/// Groth16 prover against ark-groth16's on the rollup circuit; writes `results.json`,
/// `results.md` and `ratios.svg`.
#[derive(Debug, Clone, Parser)]
#[command(name = "ramjet-bench", version)]
pub struct Args {
    /// Smaller sizes and fewer repeats (device backends: at most 3 measured runs per case, at the
    /// same sizes; the prover: its 2-transfer case only, about 15 s): the whole run in well under
    /// two minutes on two cores.
    #[arg(long)]
    pub quick: bool,

    /// Directory for the results (created if missing).
    #[arg(long, value_name = "DIR", default_value = "bench-results")]
    pub out: PathBuf,

    /// Only these operations (ed25519_verify, merkle_sha256, merkle_poseidon, msm_g1, msm_g2,
    /// ntt), the Groth16 prover cases (groth16) and/or the proof-of-inference cases
    /// (inference), comma-separated.
    #[arg(long, value_name = "OP[,OP]", value_delimiter = ',', value_parser = plan::parse_subject)]
    pub only: Option<Vec<Subject>>,

    /// Measured runs per implementation in every case, instead of the preset's (device backends
    /// included).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub repeats: Option<u32>,

    /// Measure ramjet's CPU backend only: do not look for device backends (wgpu adapters,
    /// lavapipe included).
    #[arg(long)]
    pub no_devices: bool,

    /// Skip the Groth16 prover cases (ramjet's prover against ark-groth16 on the rollup circuit)
    /// and the proof-of-inference cases (several minutes each in the full preset), even when
    /// --only names them.
    #[arg(long)]
    pub no_prover: bool,

    /// Run EZKL (the Python package, e.g. after `pip install ezkl==23.0.5 onnx` in a venv) with
    /// this Python interpreter on the proof-of-inference models, as their baseline.
    #[arg(long, value_name = "PYTHON")]
    pub ezkl: Option<PathBuf>,

    /// Size preset (full, quick, smoke), overriding --quick; `smoke` is for tests.
    #[arg(long, value_name = "PRESET", hide = true)]
    pub sizes: Option<Preset>,
}

impl Args {
    /// The size preset: `--sizes` if given, else quick or full.
    pub fn preset(&self) -> Preset {
        self.sizes.unwrap_or(if self.quick {
            Preset::Quick
        } else {
            Preset::Full
        })
    }
}

#[cfg(test)]
mod tests {
    use ramjet_accel::Op;

    use super::*;

    #[test]
    fn flags_parse() {
        let args = Args::try_parse_from([
            "ramjet-bench",
            "--quick",
            "--only",
            "msm_g1,ntt",
            "--repeats",
            "4",
            "--out",
            "x",
        ])
        .unwrap();
        assert_eq!(args.preset(), Preset::Quick);
        assert_eq!(
            args.only,
            Some(vec![Subject::Op(Op::MsmG1), Subject::Op(Op::Ntt)])
        );
        assert_eq!(args.repeats, Some(4));
        assert_eq!(args.out, PathBuf::from("x"));
        assert!(!args.no_devices);

        let args = Args::try_parse_from(["ramjet-bench", "--quick", "--sizes", "smoke"]).unwrap();
        assert_eq!(args.preset(), Preset::Smoke);
        let args = Args::try_parse_from(["ramjet-bench", "--no-devices"]).unwrap();
        assert!(args.no_devices);
        assert!(!crate::RunConfig::from(&args).devices);
        assert!(crate::RunConfig::from(&args).prover);

        let args = Args::try_parse_from(["ramjet-bench", "--only", "groth16,ntt"]).unwrap();
        assert_eq!(
            args.only,
            Some(vec![Subject::Groth16, Subject::Op(Op::Ntt)])
        );
        let args = Args::try_parse_from(["ramjet-bench", "--no-prover"]).unwrap();
        assert!(args.no_prover);
        assert!(!crate::RunConfig::from(&args).prover);
        assert_eq!(
            Args::try_parse_from(["ramjet-bench"]).unwrap().out,
            PathBuf::from("bench-results")
        );
    }

    #[test]
    fn bad_flags_are_refused() {
        assert!(Args::try_parse_from(["ramjet-bench", "--only", "fft"]).is_err());
        assert!(Args::try_parse_from(["ramjet-bench", "--repeats", "0"]).is_err());
        assert!(Args::try_parse_from(["ramjet-bench", "--sizes", "huge"]).is_err());
    }
}
