//! The host and the source a run was made on: CPU, memory, OS, git commit and time.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use ramjet_accel::DeviceInfo;
use serde::{Deserialize, Serialize};

/// The host, as far as the timings depend on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name.
    pub cpu_model: String,
    /// Physical cores, where `/proc/cpuinfo` tells.
    pub physical_cores: Option<usize>,
    /// Hardware threads available to the process.
    pub threads: usize,
    /// Threads of rayon's pool, which ramjet's CPU backend and arkworks use.
    pub rayon_threads: u32,
    /// Instruction-set features ramjet's CPU backend reports.
    pub cpu_features: Vec<String>,
    /// Host memory in bytes, where known.
    pub memory_bytes: Option<u64>,
    /// Operating system (distribution name where known).
    pub os: String,
    /// Kernel release, where known.
    pub kernel: Option<String>,
}

impl Machine {
    /// Describes the host from the CPU backend's `info` and the OS.
    pub fn detect(info: &DeviceInfo) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Self {
            cpu_model: info.device.clone(),
            physical_cores: physical_cores(&cpuinfo),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            rayon_threads: info.compute_units,
            cpu_features: info.features.clone(),
            memory_bytes: info.memory_bytes,
            os: os_name(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .ok()
                .map(|s| s.trim().to_owned()),
        }
    }

    /// One line: `model, 2 cores / 4 threads, 16.0 GiB, Linux 6.1 (features)`.
    pub fn summary(&self) -> String {
        let cores = self
            .physical_cores
            .map_or_else(String::new, |c| format!("{c} cores / "));
        let memory = self.memory_bytes.map_or_else(
            || "memory unknown".to_owned(),
            |b| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        );
        let kernel = self.kernel.as_deref().unwrap_or("unknown kernel");
        let features = if self.cpu_features.is_empty() {
            "none detected".to_owned()
        } else {
            self.cpu_features.join(", ")
        };
        format!(
            "{}, {cores}{} threads (rayon {}), {memory}, {} (kernel {kernel}); features: {features}",
            self.cpu_model, self.threads, self.rayon_threads, self.os
        )
    }
}

/// The 1-minute load average, from `/proc/loadavg` where there is one.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Distinct (physical id, core id) pairs in `/proc/cpuinfo`.
fn physical_cores(cpuinfo: &str) -> Option<usize> {
    let mut cores = HashSet::new();
    for block in cpuinfo.split("\n\n") {
        let field = |name: &str| {
            block
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_owned())
        };
        if let Some(core) = field("core id") {
            cores.insert((field("physical id"), core));
        }
    }
    (!cores.is_empty()).then_some(cores.len())
}

fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_owned())
}

/// The git commit of the source tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// `git rev-parse HEAD`, or `unknown` outside a git checkout.
    pub hash: String,
    /// Whether tracked files differ from the commit; `None` when unknown.
    pub dirty: Option<bool>,
}

impl Commit {
    /// Asks git about the checkout holding this crate, or else the current directory.
    pub fn detect() -> Self {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = if manifest.exists() {
            manifest
        } else {
            Path::new(".")
        };
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        };
        match git(&["rev-parse", "HEAD"]) {
            Some(hash) if !hash.is_empty() => Self {
                hash,
                dirty: git(&["status", "--porcelain", "--untracked-files=no"])
                    .map(|s| !s.is_empty()),
            },
            _ => Self {
                hash: "unknown".to_owned(),
                dirty: None,
            },
        }
    }

    /// `hash`, `hash (dirty)` or `unknown`.
    pub fn summary(&self) -> String {
        match self.dirty {
            Some(true) => format!("{} (dirty)", self.hash),
            _ => self.hash.clone(),
        }
    }
}

/// The current time, UTC, as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_timestamp(secs)
}

/// `secs` after the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_timestamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01, counted in 400-year eras of 146 097 days
/// with years starting in March, so that the leap day is the last day of a year.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_known_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(utc_timestamp(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn cores_are_counted_once_per_physical_core() {
        let cpuinfo = "processor\t: 0\nphysical id\t: 0\ncore id\t: 0\n\n\
                       processor\t: 1\nphysical id\t: 0\ncore id\t: 0\n\n\
                       processor\t: 2\nphysical id\t: 0\ncore id\t: 1\n";
        assert_eq!(physical_cores(cpuinfo), Some(2));
        assert_eq!(physical_cores(""), None);
    }
}
