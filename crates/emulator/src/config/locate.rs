//! Where in a TOML file an error lies: the line and the dotted key (with array-of-tables
//! indexes, such as `limiters[1].burst`) of a parse error or of a value the file set.

use crate::error::EmulatorError;

/// A configuration file's text and the name it is known by in errors.
pub(super) struct Source<'a> {
    pub text: &'a str,
    pub file: &'a str,
}

impl Source<'_> {
    /// An error about the value the file set at `key`, located at the line that sets it.
    pub fn error(&self, key: &str, message: String) -> EmulatorError {
        EmulatorError::Config {
            file: self.file.to_string(),
            line: line_of_key(self.text, key),
            key: key.to_string(),
            message,
        }
    }
}

/// Turns a TOML error into one that names the file, the line and the dotted key.
pub(super) fn locate_toml_error(text: &str, file: &str, err: &toml::de::Error) -> EmulatorError {
    let message = err.message().trim().to_string();
    let offset = err.span().map_or(0, |span| span.start);
    let line = text[..offset.min(text.len())].matches('\n').count() + 1;
    let mut key = key_at_line(text, line);
    // Errors about a table (a missing or unknown field) name the field in the message.
    for marker in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.split(marker).nth(1)
            && let Some(field) = rest.split('`').next()
        {
            let table = table_at_line(text, line);
            key = if table.is_empty() {
                field.to_string()
            } else {
                format!("{table}.{field}")
            };
            if marker == "unknown field `" {
                key = key_named_on_line(text, line, field).unwrap_or(key);
            }
        }
    }
    EmulatorError::Config {
        file: file.to_string(),
        line,
        key,
        message,
    }
}

/// The dotted path of the key on line `line` (1-based), including its table header.
fn key_at_line(text: &str, line: usize) -> String {
    let table = table_at_line(text, line);
    let source = text.lines().nth(line - 1).unwrap_or("");
    let trimmed = source.trim_start();
    if trimmed.starts_with('[') {
        return table;
    }
    match trimmed.split_once('=') {
        Some((name, _)) => {
            let name = name.trim().trim_matches('"');
            if table.is_empty() {
                name.to_string()
            } else {
                format!("{table}.{name}")
            }
        }
        None => table,
    }
}

/// The dotted key on `line` whose last part is `field`, for errors that point at the key itself.
fn key_named_on_line(text: &str, line: usize, field: &str) -> Option<String> {
    let key = key_at_line(text, line);
    (key == field || key.ends_with(&format!(".{field}"))).then_some(key)
}

/// The table header in force at line `line`, with array-of-tables indexes (`limiters[1]`).
fn table_at_line(text: &str, line: usize) -> String {
    let mut current = String::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for source in text.lines().take(line) {
        let trimmed = source.trim();
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|r| r.split("]]").next())
        {
            let name = name.trim().to_string();
            let index = match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count - 1
                }
                None => {
                    counts.push((name.clone(), 1));
                    0
                }
            };
            // A nested array (e.g. [[oauth.clients]]) keeps its parent's path unchanged.
            current = format!("{name}[{index}]");
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.split(']').next()) {
            current = name.trim().to_string();
        }
    }
    current
}

/// The line where `key` (a dotted path such as `agents` or `oauth.clients`) is set; 1 if unknown.
fn line_of_key(text: &str, key: &str) -> usize {
    let (table, name) = match key.rsplit_once('.') {
        Some((table, name)) => (table, name),
        None => ("", key),
    };
    let mut current = String::new();
    for (i, source) in text.lines().enumerate() {
        let trimmed = source.trim();
        if trimmed.starts_with('[') {
            current = trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            if current == key {
                return i + 1;
            }
            continue;
        }
        if let Some((k, _)) = trimmed.split_once('=')
            && current == table
            && k.trim() == name
        {
            return i + 1;
        }
    }
    1
}
