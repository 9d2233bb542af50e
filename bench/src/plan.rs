//! What a run measures: the size presets, the cases they hold and the target ratios.

use std::fmt;
use std::str::FromStr;

use ramjet_accel::{BackendKind, DeviceInfo, Op};
use serde::{Deserialize, Serialize};

/// A set of problem sizes and repeat counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The target sizes: what the reported ratios are about.
    Full,
    /// Smaller sizes and fewer repeats, for a run of well under two minutes on two cores.
    Quick,
    /// Tiny sizes for the end-to-end test: checks the plumbing, measures nothing of interest.
    Smoke,
}

impl Preset {
    /// The preset's name, as given on the command line and written in the results.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Full => "full",
            Preset::Quick => "quick",
            Preset::Smoke => "smoke",
        }
    }

    /// Untimed runs of each implementation before the measured ones. The warm-up also pays for
    /// a device backend's one-time costs (shader compilation, twiddle tables).
    pub fn warmups(self) -> usize {
        1
    }

    /// The most measured runs of a device backend in each case, where the preset caps them: the
    /// quick preset gives devices [`QUICK_DEVICE_REPEATS`], since lavapipe takes seconds per call
    /// at its sizes; the smoke preset one, so that its test checks the cap.
    pub fn device_repeat_cap(self) -> Option<usize> {
        match self {
            Preset::Quick => Some(QUICK_DEVICE_REPEATS),
            Preset::Smoke => Some(1),
            Preset::Full => None,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "full" => Ok(Preset::Full),
            "quick" => Ok(Preset::Quick),
            "smoke" => Ok(Preset::Smoke),
            other => Err(format!(
                "unknown size preset `{other}` (full, quick or smoke)"
            )),
        }
    }
}

/// Measured runs per case of a device backend in the quick preset.
pub const QUICK_DEVICE_REPEATS: usize = 3;

/// One operation at one size, measured `repeats` times per implementation (`device_repeats` for
/// device backends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// The operation.
    pub op: Op,
    /// Problem size: signatures, leaves, points or field elements.
    pub size: usize,
    /// Measured runs of ramjet's CPU backend and of each baseline.
    pub repeats: usize,
    /// Measured runs of each device backend: at most `repeats`, fewer where the preset caps them.
    pub device_repeats: usize,
}

impl Case {
    /// Measured runs of the ramjet backend described by `info`.
    pub fn repeats_of(&self, info: &DeviceInfo) -> usize {
        if info.kind == BackendKind::Cpu {
            self.repeats
        } else {
            self.device_repeats
        }
    }
}

/// The cases of a preset, in run order, restricted to `only` when it is given, with every repeat
/// count (devices' included) replaced by `repeats` when that is given.
pub fn cases(preset: Preset, only: Option<&[Op]>, repeats: Option<usize>) -> Vec<Case> {
    let case = |op, log2_or_size: Size, repeats| Case {
        op,
        size: log2_or_size.items(),
        repeats,
        device_repeats: repeats,
    };
    use Size::{Items, Pow2};
    let all = match preset {
        // A batch of 1024 signatures takes ~10 ms: many samples spread it over a second or two, so
        // that a short stall of one core (seen on shared VMs) does not decide the median.
        Preset::Full => vec![
            case(Op::Ed25519Verify, Items(1024), 41),
            case(Op::MerkleSha256, Pow2(20), 7),
            case(Op::MsmG1, Pow2(16), 9),
            case(Op::MsmG1, Pow2(18), 5),
            case(Op::MsmG2, Pow2(12), 7),
            case(Op::Ntt, Pow2(20), 7),
            case(Op::MerklePoseidon, Pow2(12), 7),
        ],
        Preset::Quick => vec![
            case(Op::Ed25519Verify, Items(1024), 21),
            case(Op::MerkleSha256, Pow2(20), 5),
            case(Op::MsmG1, Pow2(16), 5),
            case(Op::MsmG1, Pow2(18), 3),
            case(Op::MsmG2, Pow2(12), 5),
            case(Op::Ntt, Pow2(20), 5),
            case(Op::MerklePoseidon, Pow2(12), 5),
        ],
        Preset::Smoke => vec![
            case(Op::Ed25519Verify, Items(16), 2),
            case(Op::MerkleSha256, Pow2(8), 2),
            case(Op::MsmG1, Pow2(8), 2),
            case(Op::MsmG2, Pow2(4), 2),
            case(Op::Ntt, Pow2(8), 2),
            case(Op::MerklePoseidon, Pow2(4), 2),
        ],
    };
    all.into_iter()
        .filter(|c| only.is_none_or(|ops| ops.contains(&c.op)))
        .map(|c| {
            let device_repeats = repeats.unwrap_or(
                preset
                    .device_repeat_cap()
                    .map_or(c.repeats, |cap| cap.min(c.repeats)),
            );
            Case {
                repeats: repeats.unwrap_or(c.repeats).max(1),
                device_repeats: device_repeats.max(1),
                ..c
            }
        })
        .collect()
}

/// A problem size written either way.
enum Size {
    Items(usize),
    Pow2(u32),
}

impl Size {
    fn items(self) -> usize {
        match self {
            Size::Items(n) => n,
            Size::Pow2(log2) => 1 << log2,
        }
    }
}

/// The ratio (baseline median / ramjet median) ramjet aims for against `baseline`, if it has one.
pub fn target_ratio(op: Op, baseline: &str) -> Option<f64> {
    match (op, baseline) {
        (Op::Ed25519Verify, crate::workloads::signatures::CONSENSUS_BATCH) => Some(1.8),
        (Op::MerkleSha256, _) => Some(1.8),
        (Op::MsmG1, _) => Some(1.5),
        (Op::Ntt, _) => Some(1.2),
        _ => None,
    }
}

/// The target of a row comparing the ramjet backend described by `backend` with `baseline`: the
/// targets are about ramjet's CPU backend, so rows of device backends have none.
pub fn row_target(backend: &DeviceInfo, op: Op, baseline: &str) -> Option<f64> {
    if backend.kind == BackendKind::Cpu {
        target_ratio(op, baseline)
    } else {
        None
    }
}

/// Parses an operation by its contract name (`msm_g1`, `ntt`, ...).
pub fn parse_op(name: &str) -> Result<Op, String> {
    Op::ALL
        .into_iter()
        .find(|op| op.name() == name.trim())
        .ok_or_else(|| {
            let known: Vec<_> = Op::ALL.iter().map(|op| op.name()).collect();
            format!("unknown operation `{name}` (one of {})", known.join(", "))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_and_full_cover_every_operation() {
        for preset in [Preset::Full, Preset::Quick, Preset::Smoke] {
            let cases = cases(preset, None, None);
            for op in Op::ALL {
                assert!(cases.iter().any(|c| c.op == op), "{preset} lacks {op}");
            }
        }
    }

    #[test]
    fn only_and_repeats_restrict_the_plan() {
        let cases = cases(Preset::Full, Some(&[Op::MsmG1]), Some(3));
        assert_eq!(cases.len(), 2);
        assert!(cases.iter().all(|c| c.op == Op::MsmG1 && c.repeats == 3));
        assert_eq!(cases[0].size, 1 << 16);
        assert_eq!(cases[1].size, 1 << 18);
    }

    #[test]
    fn the_quick_preset_caps_device_repeats_unless_repeats_are_given() {
        for case in cases(Preset::Quick, None, None) {
            assert_eq!(case.device_repeats, case.repeats.min(QUICK_DEVICE_REPEATS));
        }
        assert!(
            cases(Preset::Quick, None, None)
                .iter()
                .any(|c| c.device_repeats < c.repeats)
        );
        for case in cases(Preset::Full, None, None) {
            assert_eq!(case.device_repeats, case.repeats);
        }
        for case in cases(Preset::Smoke, None, None) {
            assert_eq!((case.repeats, case.device_repeats), (2, 1));
        }
        for case in cases(Preset::Quick, None, Some(7)) {
            assert_eq!((case.repeats, case.device_repeats), (7, 7));
        }
        let case = cases(Preset::Quick, Some(&[Op::Ntt]), None)[0];
        let cpu = device(BackendKind::Cpu, false);
        let lavapipe = device(BackendKind::Wgpu, true);
        assert_eq!(case.repeats_of(&cpu), case.repeats);
        assert_eq!(case.repeats_of(&lavapipe), case.device_repeats);
    }

    #[test]
    fn only_the_cpu_backend_has_targets() {
        let cpu = device(BackendKind::Cpu, false);
        assert_eq!(row_target(&cpu, Op::Ntt, "arkworks"), Some(1.2));
        for other in [
            device(BackendKind::Wgpu, true),
            device(BackendKind::Wgpu, false),
            device(BackendKind::Cuda, false),
        ] {
            assert_eq!(row_target(&other, Op::Ntt, "arkworks"), None);
            assert_eq!(row_target(&other, Op::MerkleSha256, "sha2"), None);
        }
    }

    fn device(kind: BackendKind, emulated: bool) -> DeviceInfo {
        DeviceInfo {
            kind,
            device: "test device".to_owned(),
            memory_bytes: None,
            compute_units: 2,
            emulated,
            features: Vec::new(),
        }
    }

    #[test]
    fn operations_parse_by_name() {
        assert_eq!(parse_op("msm_g2"), Ok(Op::MsmG2));
        assert!(parse_op("fft").is_err());
        assert_eq!("quick".parse(), Ok(Preset::Quick));
    }

    #[test]
    fn targets_follow_the_brief() {
        assert_eq!(
            target_ratio(
                Op::Ed25519Verify,
                crate::workloads::signatures::CONSENSUS_BATCH
            ),
            Some(1.8)
        );
        assert_eq!(
            target_ratio(
                Op::Ed25519Verify,
                crate::workloads::signatures::DALEK_STRICT_LOOP
            ),
            None
        );
        assert_eq!(target_ratio(Op::MsmG2, "arkworks"), None);
        assert_eq!(target_ratio(Op::Ntt, "arkworks"), Some(1.2));
    }
}
