//! `ramjet devnet` as a user runs it: three real node processes on this machine.

use std::process::Command;

#[test]
fn devnet_refuses_a_directory_that_is_not_a_devnet() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("notes.txt"), "mine").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ramjet"))
        .args(["devnet", "--nodes", "2", "--duration", "1", "--dir"])
        .arg(root.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does not look like a devnet directory"),
        "{stderr}"
    );
    assert!(root.path().join("notes.txt").exists());
}

#[test]
fn devnet_runs_three_nodes_and_they_agree() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("devnet");
    let out = Command::new(env!("CARGO_BIN_EXE_ramjet"))
        .args([
            "devnet",
            "--nodes",
            "3",
            "--duration",
            "5",
            "--tps",
            "100",
            "--double-spends",
            "3",
            "--accounts",
            "16",
            "--dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text = std::fs::read_to_string(dir.join("summary.json"))
        .unwrap_or_else(|e| panic!("no summary ({e})\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(summary["ok"], true, "{text}");
    assert!(
        summary["totals"]["accepted"].as_u64().unwrap() > 0,
        "{text}"
    );
    assert_eq!(summary["double_spend_checks"]["attempted"], 3, "{text}");
    assert_eq!(summary["double_spend_checks"]["passed"], true, "{text}");
    assert_eq!(summary["utxo_digests_equal"], true, "{text}");
    let nodes = summary["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    for node in nodes {
        assert!(node["peers"].as_u64().unwrap() >= 1, "{text}");
        assert!(node["rss_peak_kib"].as_u64().unwrap() > 0, "{text}");
    }
    assert!(stdout.contains("result      OK"), "{stdout}");
    // The nodes' stores are removed after a successful run; logs and configs stay.
    assert!(!dir.join("node-0/data").exists());
    assert!(dir.join("node-0/node.log").is_file());
    assert!(dir.join("node-0/config.toml").is_file());
}

/// The process ids of the live (not zombie) `ramjet node` processes whose config is under `dir`.
fn live_nodes_under(dir: &std::path::Path) -> Vec<u32> {
    let dir = dir.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_node = args.get(1).is_some_and(|a| a == "node")
            && args
                .iter()
                .any(|a| a.starts_with(&dir) && a.ends_with("config.toml"));
        // The state is the field after the command name, which is in parentheses.
        let zombie = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| {
                stat.rsplit(')')
                    .next()
                    .map(|rest| rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if is_node && !zombie {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn nodes_stop_when_their_devnet_is_killed() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("devnet");
    let mut devnet = Command::new(env!("CARGO_BIN_EXE_ramjet"))
        .args([
            "devnet",
            "--nodes",
            "2",
            "--duration",
            "120",
            "--tps",
            "20",
            "--double-spends",
            "1",
            "--accounts",
            "4",
            "--dir",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut nodes = live_nodes_under(&dir);
    while nodes.len() < 2 && started.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(200));
        nodes = live_nodes_under(&dir);
    }
    if nodes.len() < 2 {
        // Not left running (and writing into a deleted directory) after the test.
        let _ = devnet.kill();
        let _ = devnet.wait();
        panic!("the devnet's two nodes never started (found {nodes:?})");
    }
    // SIGKILL: the devnet's own clean-up (stopping its nodes) does not run.
    devnet.kill().unwrap();
    devnet.wait().unwrap();
    let killed = std::time::Instant::now();
    while !live_nodes_under(&dir).is_empty()
        && killed.elapsed() < std::time::Duration::from_secs(30)
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let left = live_nodes_under(&dir);
    for pid in &left {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    assert!(
        left.is_empty(),
        "nodes {left:?} outlived their devnet by 30 s"
    );
    for node in ["node-0", "node-1"] {
        let log = std::fs::read_to_string(dir.join(node).join("node.log")).unwrap();
        assert!(log.contains("is gone: stopping"), "{node}'s log:\n{log}");
    }
}
