//! `ramjet devices`: what accelerators this machine has, and what each operation costs on them.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use ramjet_accel::calibrate::{self, Effort};
use ramjet_accel::{Backend, CalibrationProfile, DeviceInfo, Op};

use crate::Result;

/// Writes the table of backends: kind, device, memory, threads or compute units, features.
pub fn write_table(out: &mut impl Write, backends: &[Arc<dyn Backend>]) -> Result<()> {
    writeln!(
        out,
        "{:<6} {:<40} {:>10} {:>8}  {:<8} FEATURES",
        "KIND", "DEVICE", "MEMORY", "THREADS", "EMULATED"
    )?;
    for b in backends {
        let info = b.info();
        writeln!(
            out,
            "{:<6} {:<40} {:>10} {:>8}  {:<8} {}",
            info.kind.to_string(),
            info.device,
            info.memory_bytes
                .map(human_bytes)
                .unwrap_or_else(|| "unknown".into()),
            info.compute_units,
            if info.emulated { "yes" } else { "no" },
            info.features.join(",")
        )?;
    }
    Ok(())
}

/// Writes why devices were skipped or not found, one `note:` line each.
pub fn write_notes(out: &mut impl Write, notes: &[String]) -> Result<()> {
    for note in notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}

/// The backends, and the notes on devices skipped or not found, as JSON (for scripts).
pub fn to_json(backends: &[Arc<dyn Backend>], notes: &[String]) -> serde_json::Value {
    let infos: Vec<&DeviceInfo> = backends.iter().map(|b| b.info()).collect();
    serde_json::json!({ "backends": infos, "notes": notes })
}

/// Measures every operation on every backend with a progress bar on stderr, saves the profile at
/// `path` and returns it.
pub fn calibrate(
    backends: &[Arc<dyn Backend>],
    effort: Effort,
    path: &Path,
) -> Result<CalibrationProfile> {
    let total: usize = backends
        .iter()
        .map(|b| Op::ALL.iter().filter(|&&op| b.supports(op)).count())
        .sum();
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} calibrating [{bar:30}] {pos}/{len} {msg} ({elapsed})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message("starting");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let profile = calibrate::calibrate(backends, effort, |step| {
        bar.set_position(step.done as u64);
        match &step.outcome {
            Ok(_) => bar.set_message(format!("{} {}", step.op, step.backend)),
            Err(e) => bar.println(format!(
                "{} on {} failed: {e} (defaults will apply)",
                step.op, step.backend
            )),
        }
    });
    bar.finish_with_message("done");
    profile.save(path)?;
    Ok(profile)
}

/// Writes a profile as a table: per backend and operation, the fitted latency and throughput.
pub fn write_profile(out: &mut impl Write, profile: &CalibrationProfile) -> Result<()> {
    writeln!(
        out,
        "{:<40} {:<16} {:>12} {:>16}",
        "BACKEND", "OPERATION", "LATENCY", "THROUGHPUT"
    )?;
    for (backend, ops) in &profile.costs {
        for (op, cost) in ops {
            writeln!(
                out,
                "{:<40} {:<16} {:>10.1}µs {:>12.0} /s",
                backend,
                op.name(),
                cost.latency_us,
                cost.items_per_sec
            )?;
        }
    }
    Ok(())
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_picks_the_unit() {
        assert_eq!(human_bytes(512), "512.0 B");
        assert_eq!(human_bytes(24 * 1024 * 1024 * 1024), "24.0 GiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }

    #[test]
    fn the_table_lists_every_backend() {
        let backends = crate::detect_backends();
        let mut out = Vec::new();
        write_table(&mut out, &backends).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1 + backends.len());
        assert!(text.lines().nth(1).unwrap().starts_with("cpu"), "{text}");
    }
}
