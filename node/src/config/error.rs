//! [`ConfigError`]: every problem found while loading a configuration, at once.

use std::fmt;
use std::path::PathBuf;

/// Why a configuration could not be loaded: every problem found, one line each, naming the
/// setting (`network.max_peers = 0: must be at least 1`) or the command-line flag that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file loaded; `None` when the configuration came from defaults and flags only.
    pub path: Option<PathBuf>,
    /// What is wrong, one line each, in the order found: syntax, then each section, then the
    /// checks across sections.
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "config {}: ", path.display())?,
            None => f.write_str("config (defaults and flags): ")?,
        }
        let n = self.problems.len();
        write!(f, "{n} problem{}:", if n == 1 { "" } else { "s" })?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_counts_and_indents_every_problem() {
        let error = ConfigError {
            path: Some(PathBuf::from("ramjet.toml")),
            problems: vec!["a.b = 0: bad".into(), "c.d = 1: worse".into()],
        };
        assert_eq!(
            error.to_string(),
            "config ramjet.toml: 2 problems:\n  a.b = 0: bad\n  c.d = 1: worse"
        );
        let one = ConfigError {
            path: None,
            problems: vec!["--mode = \"x\": bad".into()],
        };
        assert_eq!(
            one.to_string(),
            "config (defaults and flags): 1 problem:\n  --mode = \"x\": bad"
        );
    }
}
