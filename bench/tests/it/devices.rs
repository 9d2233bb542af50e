//! Runs with stand-in device backends (the CPU backend behind a device's `DeviceInfo`), so that
//! the device paths are checked on any machine: rows per (backend, baseline), labels, targets,
//! result checks, failures and detection notes.

use std::sync::Arc;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use indicatif::ProgressBar;
use ramjet_accel::{
    AccelError, Backend, BackendKind, CpuBackend, DeviceInfo, MerkleLeaves, MerkleTree, MsmBases,
    NttDirection, Op, Result, SigBatch, Verdicts, unsupported,
};
use ramjet_bench::plan::Preset;
use ramjet_bench::report::Report;
use ramjet_bench::{RunConfig, run_on};
use ramjet_kernels::Detection;

/// How a stand-in device answers `ntt`.
#[derive(Clone, Copy)]
enum Ntt {
    /// The CPU backend's result.
    Right,
    /// The CPU backend's result with its first element off by one.
    Wrong,
    /// `DeviceLost`.
    Lost,
}

/// A device backend that supports `merkle_sha256` and `ntt` only, computing on the CPU backend.
struct StandIn {
    info: DeviceInfo,
    cpu: CpuBackend,
    ntt: Ntt,
}

impl StandIn {
    fn shared(device: &str, emulated: bool, ntt: Ntt) -> Arc<dyn Backend> {
        Arc::new(Self {
            info: DeviceInfo {
                kind: BackendKind::Wgpu,
                device: device.to_owned(),
                memory_bytes: None,
                compute_units: 1,
                emulated,
                features: vec!["stand-in".to_owned()],
            },
            cpu: CpuBackend::new(),
            ntt,
        })
    }
}

impl Backend for StandIn {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn supports(&self, op: Op) -> bool {
        matches!(op, Op::MerkleSha256 | Op::Ntt)
    }

    fn ed25519_verify(&self, _batch: &SigBatch) -> Result<Verdicts> {
        Err(unsupported(self, Op::Ed25519Verify))
    }

    fn merkle_sha256(&self, leaves: MerkleLeaves<'_>) -> Result<MerkleTree<[u8; 32]>> {
        self.cpu.merkle_sha256(leaves)
    }

    fn merkle_poseidon(&self, _leaves: &[Fr]) -> Result<MerkleTree<Fr>> {
        Err(unsupported(self, Op::MerklePoseidon))
    }

    fn msm_g1(&self, _bases: MsmBases<'_, G1Affine>, _scalars: &[Fr]) -> Result<G1Projective> {
        Err(unsupported(self, Op::MsmG1))
    }

    fn msm_g2(&self, _bases: MsmBases<'_, G2Affine>, _scalars: &[Fr]) -> Result<G2Projective> {
        Err(unsupported(self, Op::MsmG2))
    }

    fn ntt(&self, values: &mut [Fr], direction: NttDirection, coset: Option<Fr>) -> Result<()> {
        match self.ntt {
            Ntt::Right => self.cpu.ntt(values, direction, coset),
            Ntt::Wrong => {
                self.cpu.ntt(values, direction, coset)?;
                values[0] += Fr::from(1u64);
                Ok(())
            }
            Ntt::Lost => Err(AccelError::DeviceLost {
                backend: self.info.id(),
                reason: "stand-in unplugged".to_owned(),
            }),
        }
    }
}

fn smoke(only: &[Op], devices: bool) -> RunConfig {
    RunConfig {
        preset: Preset::Smoke,
        only: Some(only.iter().map(|&op| op.into()).collect()),
        repeats: None,
        devices,
        prover: true,
        ezkl: None,
    }
}

/// Runs `config` with `backends` as the detected devices, checking that progress ends full.
fn run(config: &RunConfig, backends: Vec<Arc<dyn Backend>>, notes: &[&str]) -> Report {
    let progress = ProgressBar::hidden();
    let detection = Detection {
        backends,
        notes: notes.iter().map(|n| n.to_string()).collect(),
    };
    let report = run_on(config, detection, &progress).unwrap();
    assert_eq!(progress.position(), progress.length().unwrap());
    report
}

#[test]
fn each_supporting_device_gets_a_row_per_baseline_without_target() {
    let gpu = StandIn::shared("Stand-in GPU", false, Ntt::Right);
    let emulated = StandIn::shared("stand-in pipe", true, Ntt::Right);
    let report = run(
        &smoke(&[Op::Ed25519Verify, Op::Ntt], true),
        vec![gpu, emulated],
        &[],
    );
    let ids: Vec<String> = report.devices.iter().map(DeviceInfo::id).collect();
    assert_eq!(ids, ["wgpu:Stand-in GPU", "wgpu:stand-in pipe"]);

    // ed25519: the CPU backend only (the devices lack it), against both baselines.
    let ed25519: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.op == "ed25519_verify")
        .collect();
    assert_eq!(ed25519.len(), 2);
    assert!(ed25519.iter().all(|r| !r.is_device()));

    // ntt: the CPU backend first, then each device, in detection order.
    let ntt: Vec<_> = report.rows.iter().filter(|r| r.op == "ntt").collect();
    let labels: Vec<&str> = ntt
        .iter()
        .map(|r| r.ramjet.implementation.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "ramjet cpu",
            "ramjet wgpu:Stand-in GPU",
            "ramjet wgpu:stand-in pipe [CPU-emulated]"
        ]
    );
    assert_eq!(ntt[0].target, Some(1.2));
    for device_row in &ntt[1..] {
        assert!(device_row.is_device());
        assert_eq!((device_row.target, device_row.reached), (None, None));
        assert!(device_row.outputs_agree);
        assert_eq!(device_row.baseline.implementation, "arkworks fft_in_place");
    }
    assert!(!ntt[1].emulated && ntt[2].emulated);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("CPU-emulated: wgpu:stand-in pipe "))
    );
    assert!(!report.notes.iter().any(|n| n.starts_with("WARNING: ntt")));
}

#[test]
fn a_device_giving_a_different_result_is_reported_not_hidden() {
    let wrong = StandIn::shared("wrong pipe", true, Ntt::Wrong);
    let report = run(&smoke(&[Op::Ntt], true), vec![wrong], &[]);
    let [cpu, device] = &report.rows[..] else {
        panic!("{:?}", report.rows);
    };
    assert!(cpu.outputs_agree);
    assert!(!device.outputs_agree);
    assert!(report.notes.iter().any(|n| {
        n.starts_with("WARNING: ntt")
            && n.contains("wgpu:wrong pipe [CPU-emulated]")
            && n.contains("different results")
    }));
}

#[test]
fn a_failing_device_is_dropped_from_its_case_and_the_run_goes_on() {
    let lost = StandIn::shared("lost GPU", false, Ntt::Lost);
    let report = run(&smoke(&[Op::Ntt, Op::MerkleSha256], true), vec![lost], &[]);
    let device_ops: Vec<&str> = report
        .rows
        .iter()
        .filter(|r| r.is_device())
        .map(|r| r.op.as_str())
        .collect();
    assert_eq!(device_ops, ["merkle_sha256"]);
    assert_eq!(report.rows.iter().filter(|r| !r.is_device()).count(), 2);
    assert!(report.notes.iter().any(|n| {
        n.starts_with("WARNING: ntt")
            && n.contains("ramjet wgpu:lost GPU")
            && n.contains("stand-in unplugged")
    }));
}

#[test]
fn devices_are_left_out_when_not_wanted() {
    let gpu = StandIn::shared("Stand-in GPU", false, Ntt::Right);
    let report = run(&smoke(&[Op::Ntt], false), vec![gpu], &[]);
    assert!(report.devices.is_empty());
    assert_eq!(report.rows.len(), 1);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n == "Device backends were not measured (--no-devices).")
    );
}

#[test]
fn with_no_device_the_cpu_backend_runs_alone_and_the_notes_say_why() {
    let report = run(
        &smoke(&[Op::Ntt], true),
        Vec::new(),
        &["no wgpu adapter found for Backends(VULKAN)"],
    );
    assert!(report.devices.is_empty());
    assert_eq!(report.rows.len(), 1);
    assert!(!report.rows[0].is_device());
    assert!(report.notes.iter().any(
        |n| n == "No device backend was measured: no wgpu adapter found for Backends(VULKAN)."
    ));
}

#[test]
fn a_preset_capping_devices_runs_them_fewer_times_at_the_same_size() {
    // The smoke preset caps devices at one measured run against the others' two.
    let gpu = StandIn::shared("Stand-in GPU", false, Ntt::Right);
    let report = run(&smoke(&[Op::MerkleSha256], true), vec![gpu], &[]);
    let [cpu, device] = &report.rows[..] else {
        panic!("{:?}", report.rows);
    };
    assert_eq!((cpu.ramjet.samples, cpu.baseline.samples), (2, 2));
    assert_eq!((device.ramjet.samples, device.baseline.samples), (1, 2));
    assert_eq!(cpu.size, device.size);
    assert!(report.notes.iter().any(|n| n.starts_with("samples:")));

    // `--repeats` sets every count, the devices' included.
    let gpu = StandIn::shared("Stand-in GPU", false, Ntt::Right);
    let config = RunConfig {
        repeats: Some(3),
        ..smoke(&[Op::MerkleSha256], true)
    };
    let report = run(&config, vec![gpu], &[]);
    assert!(report.rows.iter().all(|r| r.ramjet.samples == 3));
}
