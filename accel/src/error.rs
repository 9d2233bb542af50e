//! The crate's one error type.

use crate::Op;

/// Result alias for the accelerator crate.
pub type Result<T, E = AccelError> = std::result::Result<T, E>;

/// Everything that can go wrong in an accelerated operation.
///
/// Errors fall into two families, and the dispatcher treats them differently:
/// - **input errors** ([`AccelError::is_input_error`]): the caller's data is wrong; every backend
///   gives the same error for the same input, so the dispatcher returns it without a retry;
/// - **device faults** ([`AccelError::is_device_fault`]): the device failed; the dispatcher
///   retries on the CPU and marks the device degraded.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AccelError {
    /// The backend does not implement this operation.
    #[error("backend {backend} does not support {op}")]
    Unsupported {
        /// The backend asked.
        backend: String,
        /// The operation asked for.
        op: Op,
    },
    /// Two inputs that must have the same length do not.
    #[error("{what}: expected {expected} items, got {actual}")]
    LengthMismatch {
        /// What was being compared, e.g. "msm_g1 scalars vs bases".
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A packed buffer's offsets are not a valid partition of its data.
    #[error(
        "packed {what}: offset {index} ({offset}) is out of order or past the end ({len} bytes)"
    )]
    BadOffsets {
        /// Which packed buffer.
        what: &'static str,
        /// Index of the offending offset.
        index: usize,
        /// The offending offset.
        offset: usize,
        /// Length of the data buffer.
        len: usize,
    },
    /// The NTT cannot take this many elements.
    #[error("ntt: {len} elements is not a power of two in 1..=2^{max_log}")]
    NttSize {
        /// The length given.
        len: usize,
        /// Largest supported log2 size (the two-adicity of the BN254 scalar field).
        max_log: u32,
    },
    /// A coset offset of zero makes the NTT undefined.
    #[error("ntt: the coset offset must be non-zero")]
    ZeroCosetOffset,
    /// A base point of an MSM is not on the curve.
    #[error("{group} base {index} is not on the curve")]
    PointNotOnCurve {
        /// "G1" or "G2".
        group: &'static str,
        /// Index of the offending base.
        index: usize,
    },
    /// Resident bases were made by a different backend than the one asked to use them.
    #[error("resident bases made by {owner} cannot be used by {backend}")]
    ForeignResidentBases {
        /// Backend that made the handle.
        owner: String,
        /// Backend asked to use it.
        backend: String,
    },
    /// The device ran out of memory.
    #[error("device {backend} is out of memory ({requested_bytes} bytes requested)")]
    DeviceOutOfMemory {
        /// The backend.
        backend: String,
        /// What the operation asked for.
        requested_bytes: u64,
    },
    /// The device was lost (reset, unplugged, driver crash).
    #[error("device {backend} was lost: {reason}")]
    DeviceLost {
        /// The backend.
        backend: String,
        /// What the driver said.
        reason: String,
    },
    /// Any other device failure.
    #[error("device {backend} failed: {reason}")]
    Device {
        /// The backend.
        backend: String,
        /// What went wrong.
        reason: String,
    },
    /// Metrics could not be registered (e.g. the same names registered twice on one registry).
    #[error("metrics: {0}")]
    Metrics(String),
    /// A calibration profile could not be read or written.
    #[error("calibration profile {path}: {reason}")]
    Profile {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl AccelError {
    /// True for errors caused by the caller's input: retrying elsewhere gives the same error.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::LengthMismatch { .. }
                | Self::BadOffsets { .. }
                | Self::NttSize { .. }
                | Self::ZeroCosetOffset
                | Self::PointNotOnCurve { .. }
        )
    }

    /// True for failures of the device itself: the CPU can still do the work.
    pub fn is_device_fault(&self) -> bool {
        matches!(
            self,
            Self::DeviceOutOfMemory { .. } | Self::DeviceLost { .. } | Self::Device { .. }
        )
    }
}
