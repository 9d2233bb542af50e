//! The `ramjet node` configuration: defaults, the example file, TOML round trips, every problem
//! reported at once (syntax, unknown keys, types, ranges, flags), genesis files and key files.

use std::collections::BTreeSet;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use libp2p::PeerId;
use ramjet_node::config::{
    ConfigError, ConfigOverrides, GenesisFile, GenesisFileError, GenesisOutput, Mode, NodeConfig,
};
use ramjet_node::identity::Identity;
use ramjet_node::tx::{AssetId, ContractHash, KeyHash};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/node-config.example.toml")
}

/// Loads `text` from a file in `dir`; the error's problems, or a panic if it loaded.
fn problems_of(dir: &Path, text: &str, overrides: &ConfigOverrides) -> Vec<String> {
    let path = dir.join("ramjet.toml");
    fs::write(&path, text).unwrap();
    match NodeConfig::load(Some(&path), overrides) {
        Ok(config) => panic!("expected problems, loaded {config:#?}"),
        Err(error) => {
            assert_eq!(error.path.as_deref(), Some(path.as_path()));
            error.problems
        }
    }
}

/// A config whose data directory is inside `dir` (so no test touches the working directory).
fn in_dir(dir: &Path) -> String {
    format!(
        "[node]\ndata_dir = {:?}\n",
        dir.join("data").to_str().unwrap()
    )
}

fn has(problems: &[String], needle: &str) -> bool {
    problems.iter().any(|p| p.contains(needle))
}

fn genesis_file(chain_id: u32) -> GenesisFile {
    GenesisFile {
        chain_id,
        outputs: vec![
            GenesisOutput {
                key_hash: KeyHash([0x11; 32]),
                asset: AssetId([0x22; 32]),
                amount: 1_000_000,
                data: None,
                contract: None,
            },
            GenesisOutput {
                key_hash: KeyHash([0x33; 32]),
                asset: AssetId([0x44; 32]),
                amount: 7,
                data: Some(vec![1, 2, 3]),
                contract: Some(ContractHash([0x55; 32])),
            },
        ],
    }
}

#[test]
fn defaults_validate_and_no_file_means_defaults() {
    assert_eq!(NodeConfig::default().problems(), Vec::<String>::new());
    let loaded = NodeConfig::load(None, &ConfigOverrides::default()).unwrap();
    assert_eq!(loaded, NodeConfig::default());
    assert_eq!(loaded.node.mode, Mode::Validator);
    assert_eq!(
        loaded.node.key_path(),
        PathBuf::from("ramjet-data/node.key")
    );
    assert_eq!(
        loaded.api.listen,
        "127.0.0.1:7700".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        loaded.metrics.listen,
        "127.0.0.1:9600".parse::<SocketAddr>().unwrap()
    );
    let genesis = loaded.genesis().unwrap();
    assert_eq!(genesis.chain_id, loaded.protocol.ledger.chain_id);
    assert!(genesis.outputs.is_empty());
}

#[test]
fn the_example_file_equals_the_defaults() {
    let loaded = NodeConfig::load(Some(&example_path()), &ConfigOverrides::default()).unwrap();
    assert_eq!(loaded, NodeConfig::default());
}

/// Every key of `table`, as `section.sub.key`.
fn keys(table: &toml::Table, prefix: &str, out: &mut BTreeSet<String>) {
    for (key, value) in table {
        let name = format!("{prefix}{key}");
        match value {
            toml::Value::Table(inner) => keys(inner, &format!("{name}."), out),
            _ => {
                out.insert(name);
            }
        }
    }
}

#[test]
fn the_example_file_sets_every_field_and_comments_each() {
    let text = fs::read_to_string(example_path()).unwrap();
    let mut in_example = BTreeSet::new();
    keys(&text.parse::<toml::Table>().unwrap(), "", &mut in_example);
    let defaults = NodeConfig::default().to_toml_string().unwrap();
    let mut in_defaults = BTreeSet::new();
    keys(
        &defaults.parse::<toml::Table>().unwrap(),
        "",
        &mut in_defaults,
    );
    assert_eq!(
        in_example, in_defaults,
        "the example must list every default field"
    );
    // The optional settings (unset by default) are shown commented out.
    for optional in ["key_file", "genesis", "admin_token", "backend", "profile"] {
        assert!(
            text.contains(&format!("\n# {optional} = ")),
            "{optional} not shown"
        );
    }
    // A comment line directly above every setting.
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let setting = !line.trim().is_empty() && !line.starts_with('#') && !line.starts_with('[');
        if setting {
            assert!(
                i > 0 && lines[i - 1].starts_with('#'),
                "no comment above line {}: {line}",
                i + 1
            );
        }
    }
}

#[test]
fn a_changed_config_round_trips_through_toml() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig::default();
    config.node.mode = Mode::Observer;
    config.node.data_dir = dir.path().join("data");
    config.node.key_file = Some(dir.path().join("my.key"));
    config.node.pow_bits = 3;
    config.network.chain = "testnet-2".into();
    config.network.listen = vec!["/ip4/127.0.0.1/tcp/9000".into()];
    config.network.initial_trust = 0.25;
    config.api.admin_token = Some("0123456789abcdef-secret".into());
    config.api.listen = "[::1]:7001".parse().unwrap();
    config.api.max_batch = 4096;
    config.metrics.enabled = false;
    config.protocol.ledger.chain_id = 42;
    config.protocol.consensus.weight_band = 0.1;
    config.accel.backend = Some("cpu".into());
    config.accel.single_signature = true;
    let text = config.to_toml_string().unwrap();
    let back = NodeConfig::from_toml_str(&text, &ConfigOverrides::default()).unwrap();
    assert_eq!(back, config);
    assert_ne!(back, NodeConfig::default());
}

#[test]
fn three_bad_values_in_three_sections_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n[network]\nmin_peers = 0\nmax_peers = 0\n[api]\nmax_batch = 100000\n[protocol.ledger]\nbatch_max_signatures = 0\n",
        in_dir(dir.path())
    );
    let problems = problems_of(dir.path(), &text, &ConfigOverrides::default());
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(has(&problems, "network.max_peers = 0: must be at least 1"));
    assert!(has(
        &problems,
        "api.max_batch = 100000: must be between 1 and 65536"
    ));
    assert!(has(
        &problems,
        "protocol.ledger.batch_max_signatures must be at least 1"
    ));
}

#[test]
fn type_errors_in_one_section_do_not_hide_problems_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}mode = \"boss\"\n[network]\nmax_peers = \"many\"\nban_secs = 0\n[metrics]\nlisten = \"127.0.0.1:7700\"\n",
        in_dir(dir.path())
    );
    let problems = problems_of(dir.path(), &text, &ConfigOverrides::default());
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(has(
        &problems,
        "node.mode (line 3, column 8): unknown variant `boss`"
    ));
    assert!(has(
        &problems,
        "network.max_peers (line 5, column 13): invalid type"
    ));
    assert!(has(&problems, "network.ban_secs = 0: must be positive"));
    assert!(has(
        &problems,
        "metrics.listen = 127.0.0.1:7700: same port as api.listen = 127.0.0.1:7700"
    ));
}

#[test]
fn a_syntax_error_is_reported_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}\n[network]\nmax_peers = = 3\n", in_dir(dir.path()));
    let path = dir.path().join("ramjet.toml");
    fs::write(&path, &text).unwrap();
    let error = NodeConfig::load(Some(&path), &ConfigOverrides::default()).unwrap_err();
    assert!(
        error
            .problems
            .iter()
            .any(|p| p.starts_with("line 5, column 13: ")),
        "{error}"
    );
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!("config {}: ", path.display())),
        "{shown}"
    );
    assert!(shown.contains(" problem"), "{shown}");
}

#[test]
fn unknown_keys_and_sections_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n[network]\nmax_peer = 3\n[protocol.ledger]\nchainid = 1\n[storage]\npath = \"x\"\n",
        in_dir(dir.path())
    );
    let problems = problems_of(dir.path(), &text, &ConfigOverrides::default());
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(has(
        &problems,
        "network.max_peer (line 5, column 1): unknown field `max_peer`"
    ));
    assert!(has(
        &problems,
        "protocol.ledger.chainid (line 7, column 1): unknown field `chainid`"
    ));
    assert!(has(
        &problems,
        "storage (line 8, column 2): unknown section"
    ));
}

#[test]
fn overrides_replace_file_values() {
    let dir = tempfile::tempdir().unwrap();
    let peer = PeerId::random();
    let file_peer = format!("/ip4/10.0.0.1/tcp/7600/p2p/{peer}");
    let flag_peer = format!("/ip4/10.0.0.2/udp/7600/quic-v1/p2p/{}", PeerId::random());
    let text = format!(
        "{}mode = \"light\"\n[network]\nchain = \"filenet\"\nbootstrap = [{file_peer:?}]\n\
         [api]\nlisten = \"127.0.0.1:8000\"\n",
        in_dir(dir.path())
    );
    let path = dir.path().join("ramjet.toml");
    fs::write(&path, text).unwrap();
    let overrides = ConfigOverrides {
        data_dir: Some(dir.path().join("other")),
        key_file: Some(dir.path().join("flag.key")),
        mode: Some("observer".into()),
        listen: Some(vec!["/ip4/127.0.0.1/tcp/7601".into()]),
        bootstrap: vec![flag_peer.clone()],
        api_listen: Some("127.0.0.1:8100".into()),
        metrics_listen: Some("127.0.0.1:8200".into()),
        chain: Some("flagnet".into()),
        backend: Some("cpu".into()),
    };
    let config = NodeConfig::load(Some(&path), &overrides).unwrap();
    assert_eq!(config.node.mode, Mode::Observer);
    assert_eq!(config.node.data_dir, dir.path().join("other"));
    assert_eq!(config.node.key_path(), dir.path().join("flag.key"));
    assert_eq!(config.network.listen, vec!["/ip4/127.0.0.1/tcp/7601"]);
    assert_eq!(config.network.bootstrap, vec![file_peer, flag_peer]);
    assert_eq!(config.network.chain, "flagnet");
    assert_eq!(config.api.listen.port(), 8100);
    assert_eq!(config.metrics.listen.port(), 8200);
    assert_eq!(config.accel.backend.as_deref(), Some("cpu"));
}

#[test]
fn bad_overrides_are_reported_with_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let overrides = ConfigOverrides {
        mode: Some("boss".into()),
        listen: Some(vec!["/dns4/example.com/tcp/1".into()]),
        bootstrap: vec!["/ip4/10.0.0.1/tcp/1".into()],
        api_listen: Some("localhost".into()),
        metrics_listen: Some("127.0.0.1:7700".into()),
        chain: Some("Bad Chain".into()),
        backend: Some("gpu0".into()),
        ..ConfigOverrides::default()
    };
    let problems = problems_of(dir.path(), &in_dir(dir.path()), &overrides);
    assert_eq!(problems.len(), 7, "{problems:#?}");
    assert!(has(&problems, "--mode = \"boss\": unknown mode \"boss\""));
    assert!(has(
        &problems,
        "--api-listen = \"localhost\": not a socket address"
    ));
    assert!(has(
        &problems,
        "network.listen[0] = \"/dns4/example.com/tcp/1\""
    ));
    assert!(has(&problems, "(from --listen)"));
    assert!(has(
        &problems,
        "network.bootstrap[0] = \"/ip4/10.0.0.1/tcp/1\": must end in /p2p/<peer id> (from --bootstrap)"
    ));
    assert!(has(&problems, "network.chain = \"Bad Chain\""));
    assert!(has(&problems, "(from --chain)"));
    // The API keeps its default port after the bad flag, so the metrics flag collides with it.
    assert!(has(
        &problems,
        "metrics.listen = 127.0.0.1:7700 (from --metrics-listen): same port as api.listen"
    ));
    assert!(has(&problems, "accel.backend = \"gpu0\""));
    assert!(has(&problems, "(from --backend)"));
}

#[test]
fn api_limits_and_the_admin_token_are_checked_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}[api]\nadmin_token = \"short-secret\"\nrate_limit_per_sec = 0\nrate_limit_burst = 0\n\
         max_message_size = 10\n",
        in_dir(dir.path())
    );
    let problems = problems_of(dir.path(), &text, &ConfigOverrides::default());
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(has(
        &problems,
        "api.admin_token: 12 characters, must be at least 16"
    ));
    assert!(!has(&problems, "short-secret"));
    assert!(has(
        &problems,
        "api.rate_limit_per_sec = 0: must be at least 1"
    ));
    assert!(has(
        &problems,
        "api.rate_limit_burst = 0: must be at least 1"
    ));
    assert!(has(&problems, "api.max_message_size = 10"));
    // The same ports are fine when one of the two servers is off.
    let text = format!(
        "{}[api]\nlisten = \"127.0.0.1:9600\"\n[metrics]\nenabled = false\n",
        in_dir(dir.path())
    );
    assert!(NodeConfig::from_toml_str(&text, &ConfigOverrides::default()).is_ok());
}

#[test]
fn a_missing_config_file_names_the_path_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let error: ConfigError =
        NodeConfig::load(Some(&path), &ConfigOverrides::default()).unwrap_err();
    let shown = error.to_string();
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    assert!(shown.contains("No such file or directory"), "{shown}");
}

#[test]
fn genesis_files_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    let file = genesis_file(9);
    file.save(&path).unwrap();
    let loaded = GenesisFile::load(&path).unwrap();
    assert_eq!(loaded, file);
    let genesis = loaded.to_genesis();
    assert_eq!(genesis.chain_id, 9);
    assert_eq!(genesis.outputs.len(), 2);
    assert!(genesis.outputs.iter().all(|o| o.address.chain_id == 9));
    assert_eq!(genesis.outputs[1].data.as_deref(), Some(&[1u8, 2, 3][..]));
    assert_eq!(GenesisFile::from_genesis(&genesis).unwrap(), file);
    // The JSON is the documented shape, hashes in hex.
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["chain_id"], 9);
    assert_eq!(json["outputs"][0]["key_hash"], "11".repeat(32));
    assert_eq!(json["outputs"][0]["asset"], "22".repeat(32));
    assert_eq!(json["outputs"][0]["amount"], 1_000_000);
    assert!(json["outputs"][0].get("data").is_none());
}

#[test]
fn a_genesis_hash_of_the_wrong_length_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    let json = format!(
        r#"{{ "chain_id": 1, "outputs": [{{ "key_hash": "{}", "asset": "{}", "amount": 5 }}] }}"#,
        "11".repeat(32),
        "22".repeat(33)
    );
    fs::write(&path, json).unwrap();
    let error = GenesisFile::load(&path).unwrap_err();
    assert!(matches!(error, GenesisFileError::Json { .. }), "{error:?}");
    let shown = error.to_string();
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    assert!(shown.contains("33 bytes, expected exactly 32"), "{shown}");
    // Through the config, it is one more problem.
    let text = format!(
        "{}genesis = {:?}\n",
        in_dir(dir.path()),
        path.to_str().unwrap()
    );
    let problems = problems_of(dir.path(), &text, &ConfigOverrides::default());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("node.genesis: genesis file "),
        "{problems:#?}"
    );
}

#[test]
fn a_genesis_on_another_chain_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    genesis_file(5).save(&path).unwrap();
    let config = |chain_id: u32| {
        format!(
            "{}genesis = {:?}\n[protocol.ledger]\nchain_id = {chain_id}\n",
            in_dir(dir.path()),
            path.to_str().unwrap()
        )
    };
    let problems = problems_of(dir.path(), &config(6), &ConfigOverrides::default());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("its chain_id 5 differs from protocol.ledger.chain_id = 6"),
        "{problems:#?}"
    );
    let ok = NodeConfig::from_toml_str(&config(5), &ConfigOverrides::default()).unwrap();
    assert_eq!(ok.genesis().unwrap(), genesis_file(5).to_genesis());
    // A missing genesis file is a problem too.
    fs::remove_file(&path).unwrap();
    let problems = problems_of(dir.path(), &config(5), &ConfigOverrides::default());
    assert!(
        has(&problems, "node.genesis: genesis file"),
        "{problems:#?}"
    );
}

#[cfg(unix)]
#[test]
fn a_key_file_that_is_there_must_be_usable() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("node.key");
    let text = format!(
        "{}key_file = {:?}\n",
        in_dir(dir.path()),
        key.to_str().unwrap()
    );
    let load = || NodeConfig::from_toml_str(&text, &ConfigOverrides::default());
    // Missing: fine, it will be created.
    assert!(load().is_ok());
    // Garbage.
    fs::write(&key, b"not a key").unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    let error = load().unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert!(error.problems[0].starts_with("node.key_file: "), "{error}");
    assert!(error.problems[0].contains("corrupt key file"), "{error}");
    // Readable by others.
    Identity::from_secret([7; 32], 0)
        .unwrap()
        .write(&key)
        .unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let error = load().unwrap_err();
    assert!(
        error.problems[0].contains("readable or writable by group or others"),
        "{error}"
    );
    // Cannot be read at all (a directory, which even root cannot read as a file).
    fs::remove_file(&key).unwrap();
    fs::create_dir(&key).unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o700)).unwrap();
    let error = load().unwrap_err();
    assert!(error.problems[0].starts_with("node.key_file: "), "{error}");
    // A good key file.
    fs::remove_dir(&key).unwrap();
    Identity::from_secret([7; 32], 0)
        .unwrap()
        .write(&key)
        .unwrap();
    assert!(load().is_ok());
}

#[test]
fn modes_parse_and_print() {
    for (text, mode) in [
        ("validator", Mode::Validator),
        ("observer", Mode::Observer),
        ("light", Mode::Light),
    ] {
        assert_eq!(text.parse::<Mode>().unwrap(), mode);
        assert_eq!(mode.to_string(), text);
    }
    assert!("Validator".parse::<Mode>().is_err());
}
