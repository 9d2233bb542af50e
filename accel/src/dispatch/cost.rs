//! The cost model: how long an operation of a given size takes on a given backend.
//!
//! Each (backend, operation) pair has a fixed latency and a throughput:
//! `time(items) = latency + items / throughput`. `ramjet devices --calibrate` measures both and
//! saves them as a [`CalibrationProfile`]; without a profile, conservative defaults apply, chosen
//! so that a device is used only for batches large enough to amortise its launch cost, and an
//! emulated device (lavapipe, a simulated FPGA) is never preferred to the CPU.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{AccelError, BackendKind, DeviceInfo, Op, Result};

/// Latency and throughput of one operation on one backend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OpCost {
    /// Fixed cost of a call, in microseconds (launch, transfer set-up, thread wake-up).
    pub latency_us: f64,
    /// Items per second once running (signatures, leaves, points, field elements).
    pub items_per_sec: f64,
}

impl OpCost {
    /// Estimated seconds for `items` items.
    pub fn seconds(&self, items: usize) -> f64 {
        self.latency_us * 1e-6 + items as f64 / self.items_per_sec.max(f64::MIN_POSITIVE)
    }

    /// Fits `latency + items / throughput` through two measurements `(items, seconds)`, the
    /// smaller first. Degenerate measurements are clamped to a non-negative latency and a
    /// positive throughput.
    pub fn fit(small: (usize, f64), large: (usize, f64)) -> Self {
        let (n1, t1) = (small.0 as f64, small.1);
        let (n2, t2) = (large.0 as f64, large.1);
        let per_item = if n2 > n1 {
            ((t2 - t1) / (n2 - n1)).max(1e-12)
        } else {
            t2 / n2.max(1.0)
        };
        let latency = (t2 - per_item * n2).max(0.0);
        Self {
            latency_us: latency * 1e6,
            items_per_sec: 1.0 / per_item,
        }
    }
}

/// What `ramjet devices --calibrate` writes and the dispatcher reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CalibrationProfile {
    /// Format version.
    pub version: u32,
    /// Measured costs: backend id (`kind:device`) → operation → cost.
    pub costs: BTreeMap<String, BTreeMap<Op, OpCost>>,
}

impl CalibrationProfile {
    /// Current format version.
    pub const VERSION: u32 = 1;

    /// The default location: `$RAMJET_PROFILE`, else `$XDG_CONFIG_HOME/ramjet/calibration.json`,
    /// else `$HOME/.config/ramjet/calibration.json`.
    pub fn default_path() -> PathBuf {
        if let Some(p) = std::env::var_os("RAMJET_PROFILE") {
            return PathBuf::from(p);
        }
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from("."));
        config.join("ramjet").join("calibration.json")
    }

    /// Reads a profile.
    pub fn load(path: &Path) -> Result<Self> {
        let err = |reason: String| AccelError::Profile {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let profile: Self = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        if profile.version != Self::VERSION {
            return Err(err(format!(
                "format version {} is not the supported version {}; run `ramjet devices --calibrate` again",
                profile.version,
                Self::VERSION
            )));
        }
        for (backend, ops) in &profile.costs {
            for (op, cost) in ops {
                let finite = cost.latency_us.is_finite() && cost.items_per_sec.is_finite();
                if !finite || cost.latency_us < 0.0 || cost.items_per_sec <= 0.0 {
                    return Err(err(format!(
                        "{backend} {op}: latency must be ≥ 0 and throughput > 0"
                    )));
                }
            }
        }
        Ok(profile)
    }

    /// Writes the profile atomically (a temporary file renamed over the target), creating the
    /// directory if needed.
    pub fn save(&self, path: &Path) -> Result<()> {
        let err = |reason: String| AccelError::Profile {
            path: path.display().to_string(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| err(e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
    }

    /// Records one measurement.
    pub fn set(&mut self, backend: &DeviceInfo, op: Op, cost: OpCost) {
        self.version = Self::VERSION;
        self.costs.entry(backend.id()).or_default().insert(op, cost);
    }
}

/// Estimates the cost of an operation on a backend: calibrated where the profile has an entry,
/// defaults otherwise.
#[derive(Debug, Clone, Default)]
pub struct CostModel {
    profile: CalibrationProfile,
}

impl CostModel {
    /// Defaults only.
    pub fn defaults() -> Self {
        Self::default()
    }

    /// Calibrated costs, defaults where the profile is silent.
    pub fn from_profile(profile: CalibrationProfile) -> Self {
        Self { profile }
    }

    /// The profile at `path` if there is a file there, defaults if there is none. A file that
    /// exists but cannot be read or parsed is an error, not silently ignored.
    pub fn load_or_defaults(path: &Path) -> Result<Self> {
        if path.exists() {
            CalibrationProfile::load(path).map(Self::from_profile)
        } else {
            tracing::info!(path = %path.display(), "no calibration profile; using default costs");
            Ok(Self::defaults())
        }
    }

    /// The cost used for `op` on `backend`.
    pub fn cost(&self, backend: &DeviceInfo, op: Op) -> OpCost {
        self.profile
            .costs
            .get(&backend.id())
            .and_then(|ops| ops.get(&op))
            .copied()
            .unwrap_or_else(|| default_cost(backend, op))
    }

    /// Estimated seconds for `items` items of `op` on `backend`.
    pub fn seconds(&self, backend: &DeviceInfo, op: Op, items: usize) -> f64 {
        self.cost(backend, op).seconds(items)
    }
}

/// Uncalibrated defaults: order-of-magnitude figures for one modern core, scaled by the number of
/// compute units for the CPU; a device is assumed worth 64 cores at a 1 ms launch cost, and an
/// emulated device half a core, so that it is never picked without a calibration saying so.
fn default_cost(backend: &DeviceInfo, op: Op) -> OpCost {
    let per_core = match op {
        Op::Ed25519Verify => 25_000.0,
        Op::MerkleSha256 => 4_000_000.0,
        Op::MerklePoseidon => 100_000.0,
        Op::MsmG1 => 600_000.0,
        Op::MsmG2 => 200_000.0,
        Op::Ntt => 10_000_000.0,
    };
    let cpu = per_core * f64::from(backend.compute_units.max(1));
    match (backend.kind, backend.emulated) {
        (BackendKind::Cpu, _) => OpCost {
            latency_us: 5.0,
            items_per_sec: cpu,
        },
        (_, true) => OpCost {
            latency_us: 1000.0,
            items_per_sec: per_core / 2.0,
        },
        (_, false) => OpCost {
            latency_us: 1000.0,
            items_per_sec: per_core * 64.0,
        },
    }
}
