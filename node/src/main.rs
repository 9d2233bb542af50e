//! The `ramjet` binary.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use ramjet_accel::CalibrationProfile;
use ramjet_accel::calibrate::Effort;
use ramjet_node::{Detected, detect, devices};

/// ramjet: a hardware-accelerated proving and execution appliance.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the accelerator backends found on this machine; with --calibrate, measure each
    /// operation on each backend and save the profile the dispatcher reads.
    Devices {
        /// Measure every operation on every backend and write the calibration profile.
        #[arg(long)]
        calibrate: bool,
        /// With --calibrate: small sizes, one repeat (seconds instead of a minute).
        #[arg(long, requires = "calibrate")]
        quick: bool,
        /// Where the profile is written (default: $RAMJET_PROFILE, else
        /// $XDG_CONFIG_HOME/ramjet/calibration.json, else ~/.config/ramjet/calibration.json).
        #[arg(long)]
        profile: Option<PathBuf>,
        /// Print the backends as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RAMJET_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Devices {
            calibrate,
            quick,
            profile,
            json,
        } => {
            let Detected { backends, notes } = detect();
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &devices::to_json(&backends, &notes))?;
                println!();
            } else {
                devices::write_table(&mut out, &backends)?;
                devices::write_notes(&mut out, &notes)?;
            }
            if calibrate {
                let path = profile.unwrap_or_else(CalibrationProfile::default_path);
                let effort = if quick { Effort::Quick } else { Effort::Full };
                let profile = devices::calibrate(&backends, effort, &path)
                    .with_context(|| format!("calibrating into {}", path.display()))?;
                println!();
                devices::write_profile(&mut out, &profile)?;
                println!("\ncalibration profile written to {}", path.display());
            }
        }
    }
    Ok(())
}
