//! Parsing a configuration file into a [`NodeConfig`] while collecting every problem: syntax
//! errors (toml's recovering parser), unknown sections, and in each section every unknown key and
//! every value of the wrong type.
//!
//! Each top-level section is deserialised on its own, so one bad section hides nothing in the
//! others. Within a section serde stops at the first error; the key it names is then removed (it
//! keeps its default) and the section deserialised again, until it goes through.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::NodeConfig;

/// The top-level sections, in the order they are documented.
pub(super) const SECTIONS: [&str; 6] = ["node", "network", "api", "metrics", "protocol", "accel"];

/// Most errors collected from one section before giving up on it (each costs one more pass).
const MAX_ERRORS_PER_SECTION: usize = 64;

/// `text` as a configuration (defaults where it says nothing) and every problem found in it.
pub(super) fn parse(text: &str) -> (NodeConfig, Vec<String>) {
    let (root, syntax) = DeTable::parse_recoverable(text);
    let mut problems: Vec<String> = syntax
        .iter()
        .map(|e| match e.span() {
            Some(span) => format!("{}: {}", position(text, span.start), one_line(e.message())),
            None => one_line(e.message()),
        })
        .collect();
    let mut config = NodeConfig::default();
    for (key, value) in root.get_ref() {
        let name: &str = key.get_ref();
        let value = value.clone();
        let p = &mut problems;
        match name {
            "node" => config.node = section(name, value, text, p),
            "network" => config.network = section(name, value, text, p),
            "api" => config.api = section(name, value, text, p),
            "metrics" => config.metrics = section(name, value, text, p),
            "protocol" => config.protocol = section(name, value, text, p),
            "accel" => config.accel = section(name, value, text, p),
            other => p.push(format!(
                "{other} ({}): unknown section; the sections are {}",
                position(text, key.span().start),
                SECTIONS.join(", ")
            )),
        }
    }
    (config, problems)
}

/// Deserialises section `name`, pushing one problem per bad key; bad keys keep their defaults.
fn section<T: DeserializeOwned + Default>(
    name: &str,
    mut value: Spanned<DeValue<'_>>,
    text: &str,
    problems: &mut Vec<String>,
) -> T {
    for _ in 0..MAX_ERRORS_PER_SECTION {
        let error = match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(section) => return section,
            Err(error) => error,
        };
        let message = one_line(error.message());
        let Some(span) = error.span() else {
            problems.push(format!("{name}: {message}"));
            return T::default();
        };
        let found = match value.get_ref() {
            DeValue::Table(table) => find(table, span.start),
            _ => None,
        };
        let Some(path) = found else {
            problems.push(format!(
                "{name} ({}): {message}",
                position(text, span.start)
            ));
            return T::default();
        };
        problems.push(format!(
            "{name}{} ({}): {message}",
            path.display(),
            position(text, span.start)
        ));
        if let DeValue::Table(table) = value.get_mut() {
            path.remove_from(table);
        }
    }
    problems.push(format!(
        "{name}: more than {MAX_ERRORS_PER_SECTION} problems; stopped checking this section"
    ));
    T::default()
}

/// Where an error is in a section: the keys from the section down to the bad one, and the index
/// in the bad key's array when the error is inside one.
struct KeyPath {
    keys: Vec<String>,
    index: Option<usize>,
}

impl KeyPath {
    /// `.a.b` or `.a.b[2]`.
    fn display(&self) -> String {
        let mut s = String::new();
        for key in &self.keys {
            s.push('.');
            s.push_str(key);
        }
        if let Some(i) = self.index {
            s.push_str(&format!("[{i}]"));
        }
        s
    }

    /// Removes the bad key (the whole array when the error is in one of its items).
    fn remove_from(&self, mut table: &mut DeTable<'_>) {
        let Some((last, parents)) = self.keys.split_last() else {
            return;
        };
        for key in parents {
            match table.get_mut(key.as_str()).map(Spanned::get_mut) {
                Some(DeValue::Table(inner)) => table = inner,
                _ => return,
            }
        }
        table.remove(last.as_str());
    }
}

/// The innermost key whose name or value covers byte `pos`, searching nested tables first (the
/// span of a table opened by a `[a.b]` header does not cover its keys).
fn find(table: &DeTable<'_>, pos: usize) -> Option<KeyPath> {
    for (key, value) in table {
        if let DeValue::Table(inner) = value.get_ref()
            && let Some(mut path) = find(inner, pos)
        {
            path.keys.insert(0, key.get_ref().to_string());
            return Some(path);
        }
        if covers(&key.span(), pos) || covers(&value.span(), pos) {
            let index = match value.get_ref() {
                DeValue::Array(items) => items.iter().position(|item| covers(&item.span(), pos)),
                _ => None,
            };
            return Some(KeyPath {
                keys: vec![key.get_ref().to_string()],
                index,
            });
        }
    }
    None
}

fn covers(span: &std::ops::Range<usize>, pos: usize) -> bool {
    span.start <= pos && pos < span.end.max(span.start + 1)
}

/// `line L, column C` (both from 1; columns count characters) of byte `pos` in `text`.
pub(super) fn position(text: &str, pos: usize) -> String {
    let pos = pos.min(text.len());
    let before = text.get(..pos).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    format!("line {line}, column {column}")
}

/// The message on one line (toml's messages may span several).
fn one_line(message: &str) -> String {
    message.trim().split('\n').collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(position(text, 0), "line 1, column 1");
        assert_eq!(position(text, 6), "line 2, column 1");
        // 'é' is two bytes but one column.
        assert_eq!(position(text, 9), "line 2, column 3");
    }

    #[test]
    fn every_bad_key_of_one_section_is_reported() {
        let text = "[network]\nmax_peers = \"many\"\nmin_peers = true\nbogus = 1\n";
        let (config, mut problems) = parse(text);
        // The order depends on toml's map (sorted, or file order with `preserve_order`).
        problems.sort();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].starts_with("network.bogus (line 4, column 1): unknown field"));
        assert!(problems[1].starts_with("network.max_peers (line 2, column 13): invalid type"));
        assert!(problems[2].starts_with("network.min_peers (line 3, column 13): invalid type"));
        assert_eq!(config.network, crate::net::NetConfig::default());
    }

    #[test]
    fn nested_tables_and_array_items_are_named() {
        let text =
            "[protocol.ledger]\nchain_id = -1\n[network]\nlisten = [\"/ip4/1.2.3.4/tcp/1\", 5]\n";
        let (_, mut problems) = parse(text);
        problems.sort();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].starts_with("network.listen[1] (line 4, column 33)"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with("protocol.ledger.chain_id (line 2, column 12)"),
            "{problems:#?}"
        );
    }
}
