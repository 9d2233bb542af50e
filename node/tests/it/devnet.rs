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
