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
    let mut headers = Headers::default();
    for source in text.lines().take(line) {
        headers.read(source.trim());
    }
    headers.current
}

/// The table headers met so far: the one in force, and how many of each array of tables.
#[derive(Default)]
struct Headers {
    current: String,
    counts: Vec<(String, usize)>,
}

impl Headers {
    /// Reads a trimmed line; true when it is a table header.
    fn read(&mut self, trimmed: &str) -> bool {
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|r| r.split("]]").next())
        {
            let name = name.trim().to_string();
            let index = match self.counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count - 1
                }
                None => {
                    self.counts.push((name.clone(), 1));
                    0
                }
            };
            // A nested array (e.g. [[oauth.clients]]) keeps its parent's path unchanged.
            self.current = format!("{name}[{index}]");
            true
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.split(']').next()) {
            self.current = name.trim().to_string();
            true
        } else {
            false
        }
    }
}

/// The line where `key` (a dotted path such as `agents`, `oauth.clients` or
/// `wfm.units[1].time_zone`) is set, else where the nearest table or key holding it is; 1 if
/// none is found.
fn line_of_key(text: &str, key: &str) -> usize {
    let mut key = key;
    loop {
        if let Some(line) = line_of_exact_key(text, key) {
            return line;
        }
        // An element of an inline array (`wfm.units[1]`) is found at its array's key.
        let parent = match key.rsplit_once('.') {
            Some((parent, _)) if !key.ends_with(']') => parent,
            _ => match key.rsplit_once('[') {
                Some((array, _)) => array,
                None => return 1,
            },
        };
        key = parent;
    }
}

/// The line where exactly `key` is set, or where its table's header is.
fn line_of_exact_key(text: &str, key: &str) -> Option<usize> {
    let (table, name) = match key.rsplit_once('.') {
        Some((table, name)) => (table, name),
        None => ("", key),
    };
    let mut headers = Headers::default();
    for (i, source) in text.lines().enumerate() {
        let trimmed = source.trim();
        if headers.read(trimmed) {
            if headers.current == key || headers.current.split('[').next() == Some(key) {
                return Some(i + 1);
            }
            continue;
        }
        if let Some((k, _)) = trimmed.split_once('=')
            && headers.current == table
            && k.trim() == name
        {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_arrays_of_tables_are_found_by_their_index() {
        let text = "[wfm]\nbusiness_units = 2\n\n[[wfm.units]]\ntime_zone = \"Asia/Tokyo\"\n\n\
                    [[wfm.units]]\nname = \"South\"\n";
        assert_eq!(line_of_key(text, "wfm.units[1].name"), 8);
        assert_eq!(line_of_key(text, "wfm.units[1]"), 7);
        assert_eq!(line_of_key(text, "wfm.units[0].time_zone"), 5);
        assert_eq!(line_of_key(text, "wfm.business_units"), 2);
        let inline = "[wfm]\nunits = [{ name = \"Nowhere\" }]\n";
        assert_eq!(line_of_key(inline, "wfm.units[0].name"), 2);
        assert_eq!(line_of_key(inline, "agents"), 1);
    }
}
