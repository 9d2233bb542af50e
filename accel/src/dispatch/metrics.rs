//! Per-backend, per-operation metrics, registered on a registry the caller injects.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use crate::{AccelError, Op, Result, TransferStats};

/// The dispatcher's metrics. Labels: `backend` (a backend id, `kind:device`) and `op`.
#[derive(Clone, Debug)]
pub struct AccelMetrics {
    /// Calls completed by a backend.
    pub calls: IntCounterVec,
    /// Items processed (signatures, leaves, points, elements).
    pub items: IntCounterVec,
    /// Device faults.
    pub failures: IntCounterVec,
    /// Calls redone on the CPU after a device fault or a failed audit; `backend` is the device.
    pub fallbacks: IntCounterVec,
    /// Audited calls, and audits whose device result differed from the CPU's.
    pub audits: IntCounterVec,
    /// Audits that found a device result different from the CPU's.
    pub audit_mismatches: IntCounterVec,
    /// Call latency in seconds.
    pub latency: HistogramVec,
    /// Host-to-device copies per device backend (label `backend` only).
    pub uploads: IntCounterVec,
    /// Bytes copied host-to-device per device backend.
    pub upload_bytes: IntCounterVec,
    /// Device-to-host copies per device backend.
    pub readbacks: IntCounterVec,
    /// Bytes copied device-to-host per device backend.
    pub readback_bytes: IntCounterVec,
}

impl AccelMetrics {
    /// Creates the metrics and registers them on `registry`.
    pub fn register(registry: &Registry) -> Result<Self> {
        let counter_with = |name: &str, help: &str, labels: &[&str]| -> Result<IntCounterVec> {
            let c = IntCounterVec::new(Opts::new(name, help), labels).map_err(metrics_error)?;
            registry
                .register(Box::new(c.clone()))
                .map_err(metrics_error)?;
            Ok(c)
        };
        let counter = |name: &str, help: &str| counter_with(name, help, &["backend", "op"]);
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "ramjet_accel_latency_seconds",
                "Latency of accelerated calls",
            )
            .buckets(prometheus::exponential_buckets(1e-5, 4.0, 12).map_err(metrics_error)?),
            &["backend", "op"],
        )
        .map_err(metrics_error)?;
        registry
            .register(Box::new(latency.clone()))
            .map_err(metrics_error)?;
        Ok(Self {
            calls: counter(
                "ramjet_accel_calls_total",
                "Calls completed per backend and operation",
            )?,
            items: counter(
                "ramjet_accel_items_total",
                "Items processed per backend and operation",
            )?,
            failures: counter(
                "ramjet_accel_failures_total",
                "Device faults per backend and operation",
            )?,
            fallbacks: counter(
                "ramjet_accel_fallbacks_total",
                "Calls redone on the CPU after a device fault or failed audit",
            )?,
            audits: counter(
                "ramjet_accel_audits_total",
                "Device results checked against the CPU",
            )?,
            audit_mismatches: counter(
                "ramjet_accel_audit_mismatches_total",
                "Device results that differed from the CPU's",
            )?,
            latency,
            uploads: counter_with(
                "ramjet_accel_uploads_total",
                "Host-to-device copies per device backend",
                &["backend"],
            )?,
            upload_bytes: counter_with(
                "ramjet_accel_upload_bytes_total",
                "Bytes copied host-to-device per device backend",
                &["backend"],
            )?,
            readbacks: counter_with(
                "ramjet_accel_readbacks_total",
                "Device-to-host copies per device backend",
                &["backend"],
            )?,
            readback_bytes: counter_with(
                "ramjet_accel_readback_bytes_total",
                "Bytes copied device-to-host per device backend",
                &["backend"],
            )?,
        })
    }

    pub(crate) fn completed(&self, backend: &str, op: Op, items: usize, seconds: f64) {
        let labels = [backend, op.name()];
        self.calls.with_label_values(&labels).inc();
        self.items.with_label_values(&labels).inc_by(items as u64);
        self.latency.with_label_values(&labels).observe(seconds);
    }

    pub(crate) fn transferred(&self, backend: &str, delta: &TransferStats) {
        let labels = [backend];
        self.uploads
            .with_label_values(&labels)
            .inc_by(delta.uploads);
        self.upload_bytes
            .with_label_values(&labels)
            .inc_by(delta.upload_bytes);
        self.readbacks
            .with_label_values(&labels)
            .inc_by(delta.readbacks);
        self.readback_bytes
            .with_label_values(&labels)
            .inc_by(delta.readback_bytes);
    }

    /// Calls completed by `backend` for `op` so far.
    pub fn calls_of(&self, backend: &str, op: Op) -> u64 {
        self.calls.with_label_values(&[backend, op.name()]).get()
    }

    /// Items (signatures, leaves, points, values) of the calls completed by `backend` for `op`.
    pub fn items_of(&self, backend: &str, op: Op) -> u64 {
        self.items.with_label_values(&[backend, op.name()]).get()
    }

    /// Calls of `backend` for `op` audited so far, and how many of them differed from the CPU.
    pub fn audits_of(&self, backend: &str, op: Op) -> (u64, u64) {
        let labels = [backend, op.name()];
        (
            self.audits.with_label_values(&labels).get(),
            self.audit_mismatches.with_label_values(&labels).get(),
        )
    }

    /// Fallbacks from `backend` for `op` so far.
    pub fn fallbacks_of(&self, backend: &str, op: Op) -> u64 {
        self.fallbacks
            .with_label_values(&[backend, op.name()])
            .get()
    }
}

fn metrics_error(e: prometheus::Error) -> AccelError {
    AccelError::Metrics(e.to_string())
}
