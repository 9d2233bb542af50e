//! Where a proof's time goes: per-phase timings, and their Prometheus metrics.

use std::fmt;
use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounter, Opts, Registry};

use crate::Result;

/// A phase of a proof, as labelled in `ramjet_prover_phase_seconds{phase}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Circuit synthesis (constraint generation, LC inlining, matrices).
    Synthesis,
    /// The whole R1CS-to-QAP witness map, its NTTs included.
    WitnessMap,
    /// The seven NTTs of the witness map, together.
    Ntt,
    /// The MSM of `a_query[1..]` (G1).
    MsmA,
    /// The MSM of `b_g1_query[1..]` (G1); skipped when `r = 0`.
    MsmBG1,
    /// The MSM of `b_g2_query[1..]` (G2).
    MsmBG2,
    /// The MSM of `l_query` over the witness (G1).
    MsmL,
    /// The MSM of `h_query` over the quotient's coefficients (G1).
    MsmH,
    /// Final assembly of `A`, `B`, `C`.
    Assembly,
    /// The whole proof.
    Total,
}

impl Phase {
    /// Every phase, in pipeline order.
    pub const ALL: [Phase; 10] = [
        Phase::Synthesis,
        Phase::WitnessMap,
        Phase::Ntt,
        Phase::MsmA,
        Phase::MsmBG1,
        Phase::MsmBG2,
        Phase::MsmL,
        Phase::MsmH,
        Phase::Assembly,
        Phase::Total,
    ];

    /// The phase's label value.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Synthesis => "synthesis",
            Phase::WitnessMap => "witness_map",
            Phase::Ntt => "ntt",
            Phase::MsmA => "msm_a",
            Phase::MsmBG1 => "msm_b_g1",
            Phase::MsmBG2 => "msm_b_g2",
            Phase::MsmL => "msm_l",
            Phase::MsmH => "msm_h",
            Phase::Assembly => "assembly",
            Phase::Total => "total",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How long each phase of one proof took (wall-clock).
///
/// `ntt` is part of `witness_map`; `total` covers everything from the start of the call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProofTimings {
    /// Circuit synthesis; `None` when the prover was given an already-synthesized circuit.
    pub synthesis: Option<Duration>,
    /// The witness map: constraint evaluation and check, NTTs, pointwise quotient.
    pub witness_map: Duration,
    /// The seven NTTs within the witness map.
    pub ntt: Duration,
    /// MSM of `a_query`.
    pub msm_a: Duration,
    /// MSM of `b_g1_query`; `None` when `r = 0` (the G1 `B` is not needed).
    pub msm_b_g1: Option<Duration>,
    /// MSM of `b_g2_query`.
    pub msm_b_g2: Duration,
    /// MSM of `l_query`.
    pub msm_l: Duration,
    /// MSM of `h_query`.
    pub msm_h: Duration,
    /// Final assembly.
    pub assembly: Duration,
    /// The whole proof.
    pub total: Duration,
}

impl ProofTimings {
    /// The duration of `phase`, `None` when the phase did not run.
    pub fn of(&self, phase: Phase) -> Option<Duration> {
        match phase {
            Phase::Synthesis => self.synthesis,
            Phase::WitnessMap => Some(self.witness_map),
            Phase::Ntt => Some(self.ntt),
            Phase::MsmA => Some(self.msm_a),
            Phase::MsmBG1 => self.msm_b_g1,
            Phase::MsmBG2 => Some(self.msm_b_g2),
            Phase::MsmL => Some(self.msm_l),
            Phase::MsmH => Some(self.msm_h),
            Phase::Assembly => Some(self.assembly),
            Phase::Total => Some(self.total),
        }
    }

    /// The phases that ran, with their durations, in pipeline order.
    pub fn phases(&self) -> impl Iterator<Item = (Phase, Duration)> + '_ {
        Phase::ALL
            .into_iter()
            .filter_map(|phase| self.of(phase).map(|d| (phase, d)))
    }

    /// All five MSMs together.
    pub fn msm_total(&self) -> Duration {
        self.msm_a + self.msm_b_g1.unwrap_or_default() + self.msm_b_g2 + self.msm_l + self.msm_h
    }
}

/// The prover's Prometheus metrics, registered on a registry the caller passes:
///
/// - `ramjet_prover_phase_seconds{phase}` (histogram): one observation per phase that ran, per
///   proof (labels: [`Phase::name`]);
/// - `ramjet_prover_proofs_total` (counter): proofs produced.
#[derive(Debug, Clone)]
pub struct ProverMetrics {
    phase_seconds: HistogramVec,
    proofs: IntCounter,
}

impl ProverMetrics {
    /// Creates the metrics and registers them on `registry`. Registering twice on one registry
    /// fails ([`ProverError::Metrics`](crate::ProverError::Metrics)); share the returned value
    /// (it is a cheap clone) instead.
    pub fn register(registry: &Registry) -> Result<Self> {
        let phase_seconds = HistogramVec::new(
            HistogramOpts::new(
                "ramjet_prover_phase_seconds",
                "Wall-clock time of each phase of a Groth16 proof",
            )
            .buckets(prometheus::exponential_buckets(1e-4, 2.5, 16)?),
            &["phase"],
        )?;
        let proofs = IntCounter::with_opts(Opts::new(
            "ramjet_prover_proofs_total",
            "Groth16 proofs produced",
        ))?;
        registry.register(Box::new(phase_seconds.clone()))?;
        if let Err(e) = registry.register(Box::new(proofs.clone())) {
            // Leave the registry as it was.
            let _ = registry.unregister(Box::new(phase_seconds));
            return Err(e.into());
        }
        Ok(Self {
            phase_seconds,
            proofs,
        })
    }

    /// Records one finished proof.
    pub(super) fn record(&self, timings: &ProofTimings) {
        for (phase, duration) in timings.phases() {
            self.phase_seconds
                .with_label_values(&[phase.name()])
                .observe(duration.as_secs_f64());
        }
        self.proofs.inc();
    }

    /// Proofs produced so far.
    pub fn proofs(&self) -> u64 {
        self.proofs.get()
    }

    /// Number of observations of `phase` so far.
    pub fn phase_count(&self, phase: Phase) -> u64 {
        self.phase_seconds
            .with_label_values(&[phase.name()])
            .get_sample_count()
    }

    /// Total seconds observed for `phase` so far.
    pub fn phase_seconds(&self, phase: Phase) -> f64 {
        self.phase_seconds
            .with_label_values(&[phase.name()])
            .get_sample_sum()
    }
}
