//! The node processes: spawned as `ramjet node --config …` in their own process group (so that a
//! Ctrl-C in the terminal reaches only `ramjet devnet`, which then stops them in order), stopped
//! with SIGTERM and, after a grace period, SIGKILL; a [`Cluster`] dropped while its nodes run
//! (an error, a panic) stops them too, so no node outlives the command. A devnet killed with
//! SIGKILL runs none of that: its nodes are started with [`EXIT_WITH_PARENT`] set to its process
//! id, and stop on their own within a second once their parent is gone.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::plan::{NodePlan, file_error};
use crate::daemon::EXIT_WITH_PARENT;
use crate::{NodeError, Result};

/// How long nodes get to stop after SIGTERM before they are killed.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
/// How often a stopping cluster checks its children.
const POLL: Duration = Duration::from_millis(50);

/// One running node.
#[derive(Debug)]
struct NodeProcess {
    index: usize,
    child: Child,
    log: PathBuf,
    exit: Option<ExitStatus>,
}

/// How a node stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// The node's index.
    pub index: usize,
    /// Its exit status, in words (`exit status: 0`, `signal: 9 (SIGKILL)`).
    pub status: String,
    /// It did not stop within [`STOP_GRACE`] of SIGTERM and was killed.
    pub killed: bool,
    /// It had already exited before it was asked to stop.
    pub exited_early: bool,
}

/// The running nodes; dropping it stops them (SIGTERM, then SIGKILL after [`STOP_GRACE`]).
#[derive(Debug)]
pub struct Cluster {
    nodes: Vec<NodeProcess>,
    stopped: bool,
}

impl Cluster {
    /// Spawns `program node --config <config>` for each node, stdout and stderr appended to its
    /// log. If one fails to spawn, those already running are stopped.
    ///
    /// # Errors
    /// [`NodeError::File`] if a log cannot be created, [`NodeError::Devnet`] if a process
    /// cannot be spawned.
    pub fn spawn(program: &Path, nodes: &[NodePlan]) -> Result<Cluster> {
        let mut cluster = Cluster {
            nodes: Vec::with_capacity(nodes.len()),
            stopped: false,
        };
        for node in nodes {
            let log = File::create(&node.log).map_err(|e| file_error(&node.log, e))?;
            let err = log.try_clone().map_err(|e| file_error(&node.log, e))?;
            let child = Command::new(program)
                .arg("node")
                .arg("--config")
                .arg(&node.config)
                .current_dir(&node.dir)
                // Plain text logs (tracing colours its output otherwise).
                .env("NO_COLOR", "1")
                .env(EXIT_WITH_PARENT, std::process::id().to_string())
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(err)
                .process_group(0)
                .spawn()
                .map_err(|e| {
                    NodeError::Devnet(format!(
                        "cannot start node {} ({} node --config {}): {e}",
                        node.index,
                        program.display(),
                        node.config.display()
                    ))
                })?;
            cluster.nodes.push(NodeProcess {
                index: node.index,
                child,
                log: node.log.clone(),
                exit: None,
            });
        }
        Ok(cluster)
    }

    /// The process id of each node, by index.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes.iter().map(|n| n.child.id()).collect()
    }

    /// The first node found to have exited, with its status and the tail of its log.
    pub fn exited(&mut self) -> Option<(usize, String)> {
        for node in &mut self.nodes {
            if node.exit.is_none()
                && let Ok(Some(status)) = node.child.try_wait()
            {
                node.exit = Some(status);
            }
            if let Some(status) = node.exit {
                return Some((
                    node.index,
                    format!(
                        "node {} exited ({status}); last lines of {}:\n{}",
                        node.index,
                        node.log.display(),
                        log_tail(&node.log, 20)
                    ),
                ));
            }
        }
        None
    }

    /// The log of node `index`.
    pub fn log(&self, index: usize) -> &Path {
        &self.nodes[index].log
    }

    /// Stops every node: SIGTERM, up to `grace` for them to exit, then SIGKILL.
    pub async fn stop(&mut self, grace: Duration) -> Vec<Stopped> {
        let early = self.terminate();
        let deadline = Instant::now() + grace;
        while !self.poll_exited() && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }
        self.finish(early)
    }

    /// [`Cluster::stop`], blocking the thread (for `Drop`).
    fn stop_blocking(&mut self, grace: Duration) -> Vec<Stopped> {
        let early = self.terminate();
        let deadline = Instant::now() + grace;
        while !self.poll_exited() && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
        self.finish(early)
    }

    /// Sends SIGTERM to every node still running; returns which had already exited.
    fn terminate(&mut self) -> Vec<bool> {
        self.stopped = true;
        self.poll_exited();
        self.nodes
            .iter()
            .map(|node| {
                if node.exit.is_none() {
                    sigterm(node.child.id());
                }
                node.exit.is_some()
            })
            .collect()
    }

    /// Reaps exited nodes; `true` when none is left running.
    fn poll_exited(&mut self) -> bool {
        let mut all = true;
        for node in &mut self.nodes {
            if node.exit.is_none() {
                match node.child.try_wait() {
                    Ok(Some(status)) => node.exit = Some(status),
                    Ok(None) => all = false,
                    Err(_) => {}
                }
            }
        }
        all
    }

    /// Kills the nodes still running and reports how each stopped.
    fn finish(&mut self, early: Vec<bool>) -> Vec<Stopped> {
        self.nodes
            .iter_mut()
            .zip(early)
            .map(|(node, exited_early)| {
                let killed = node.exit.is_none();
                if killed {
                    let _ = node.child.kill();
                    node.exit = node.child.wait().ok();
                }
                Stopped {
                    index: node.index,
                    status: node
                        .exit
                        .map_or_else(|| "unknown".to_owned(), |s| s.to_string()),
                    killed,
                    exited_early,
                }
            })
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !self.stopped {
            self.stop_blocking(STOP_GRACE);
        }
    }
}

/// Sends SIGTERM to `pid` (with the `kill` program: the standard library only sends SIGKILL).
fn sigterm(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The last `lines` lines of the file at `path` (at most its last 64 KiB), or why it cannot be
/// read.
pub fn log_tail(path: &Path, lines: usize) -> String {
    const MAX: u64 = 64 * 1024;
    let read = || -> std::io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(MAX)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let tail = &all[all.len().saturating_sub(lines)..];
            if tail.is_empty() {
                "  (the log is empty)".to_owned()
            } else {
                tail.iter()
                    .map(|l| format!("  | {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }
        Err(e) => format!("  (cannot read {}: {e})", path.display()),
    }
}

/// The resident memory of process `pid` in KiB (`VmRSS` in `/proc/<pid>/status`), if it runs.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

/// The `VmRSS:` value of a `/proc/<pid>/status` text, in KiB.
pub fn parse_vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_parsed() {
        let status = "Name:\tramjet\nVmPeak:\t  200 kB\nVmRSS:\t   81234 kB\nThreads:\t9\n";
        assert_eq!(parse_vm_rss(status), Some(81234));
        assert_eq!(parse_vm_rss("Name: x\n"), None);
        assert!(rss_kib(std::process::id()).unwrap() > 0);
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.log");
        let text: String = (0..50).map(|i| format!("line {i}\n")).collect();
        fs::write(&path, text).unwrap();
        let tail = log_tail(&path, 3);
        assert_eq!(tail, "  | line 47\n  | line 48\n  | line 49");
        assert!(log_tail(&dir.path().join("missing"), 3).contains("cannot read"));
    }

    #[test]
    fn dropping_a_cluster_stops_its_processes() {
        let dir = tempfile::tempdir().unwrap();
        let node = NodePlan {
            index: 0,
            dir: dir.path().to_owned(),
            data_dir: dir.path().join("data"),
            key_file: dir.path().join("node.key"),
            config: dir.path().join("config.toml"),
            log: dir.path().join("node.log"),
            p2p_port: 1,
            api_port: 2,
            metrics_port: 3,
            peer_id: String::new(),
        };
        // A stand-in for the binary: `sh node --config FILE` runs the script `node`, which
        // sleeps until SIGTERM.
        fs::write(dir.path().join("node"), "exec sleep 30\n").unwrap();
        let mut cluster = Cluster::spawn(Path::new("/bin/sh"), &[node]).unwrap();
        let pid = cluster.pids()[0];
        assert!(cluster.exited().is_none());
        let started = Instant::now();
        drop(cluster);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(rss_kib(pid).is_none(), "process {pid} still runs");
    }
}
