//! Warming up: before serving, each device the router may send an operation to runs a small
//! call of it, checked against the CPU. A device's first call can cost far more than the next
//! ones (a wgpu adapter compiles its kernels then: minutes for Ed25519 on a cold Mesa shader
//! cache), and a service would rather pay that at start-up than on its first request. A device
//! that fails or disagrees is degraded as after an audit mismatch, so the CPU serves instead.

use std::time::Duration;

use crate::Op;
use crate::inputs::Sample;

use super::{Accelerator, MAX_BACKOFF, Route};

/// Items in a warm-up call: enough for a real batch, small enough to cost nothing on the CPU.
const WARM_UP_ITEMS: usize = 4;

/// How one device's warm-up of one operation went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarmUpOutcome {
    /// The device answered as the CPU did.
    Ready,
    /// The device failed (the error) or answered differently: it is degraded for the longest
    /// back-off, and the CPU serves the operation meanwhile.
    Disabled(String),
}

/// One device's warm-up of one operation.
#[derive(Debug, Clone)]
pub struct WarmUp {
    /// Backend id.
    pub backend: String,
    /// The operation.
    pub op: Op,
    /// How long the device's call took (its kernels' compilation included).
    pub elapsed: Duration,
    /// The verdict.
    pub outcome: WarmUpOutcome,
}

impl Accelerator {
    /// Warms up every device the router may send each of `ops` to: the forced device, or every
    /// usable device (emulated ones only when allowed). The CPU needs none. `progress` is told
    /// each warm-up before it starts (backend id, operation) and the result is one entry per
    /// warm-up. Blocking: run it on a blocking thread in async code.
    pub fn warm_up(&self, ops: &[Op], mut progress: impl FnMut(&str, Op)) -> Vec<WarmUp> {
        let mut done = Vec::new();
        for &op in ops {
            let devices: Vec<usize> = match self.forced {
                Some(Route::Device(i)) => vec![i],
                Some(Route::Cpu) => Vec::new(),
                None => (0..self.devices.len())
                    .filter(|&i| {
                        let info = self.devices[i].backend.info();
                        self.allow_emulated || !info.emulated
                    })
                    .collect(),
            };
            let devices: Vec<usize> = devices
                .into_iter()
                .filter(|&i| self.devices[i].backend.supports(op))
                .collect();
            if devices.is_empty() {
                continue;
            }
            let sample = Sample::of(op, WARM_UP_ITEMS);
            let reference = sample.run(&*self.cpu).map(|(answer, _)| answer);
            for i in devices {
                let slot = &self.devices[i];
                progress(&slot.id, op);
                let started = std::time::Instant::now();
                let outcome = match (sample.run(&*slot.backend), &reference) {
                    (Ok((answer, _)), Ok(expected)) if answer == *expected => WarmUpOutcome::Ready,
                    (Ok(_), Ok(_)) => {
                        WarmUpOutcome::Disabled("its answer differs from the CPU's".to_owned())
                    }
                    (Err(e), _) => WarmUpOutcome::Disabled(e.to_string()),
                    (Ok(_), Err(e)) => WarmUpOutcome::Disabled(format!("the CPU failed: {e}")),
                };
                self.record_transfers(slot);
                if let WarmUpOutcome::Disabled(reason) = &outcome {
                    tracing::error!(backend = %slot.id, %op, %reason, "warm-up failed; device disabled");
                    self.degrade(slot, MAX_BACKOFF);
                }
                done.push(WarmUp {
                    backend: slot.id.clone(),
                    op,
                    elapsed: started.elapsed(),
                    outcome,
                });
            }
        }
        done
    }
}
