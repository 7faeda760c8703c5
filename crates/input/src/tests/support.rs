//! What the input's tests share: a temporary directory, and a file validated and read.

use super::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// A directory under the system's temporary directory, removed when dropped.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new() -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pacer-input-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(super) fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Validates `content` written to `name` and returns the validation and the findings as text.
pub(super) fn check(name: &str, content: &str) -> (Validation, Vec<String>) {
    let dir = TempDir::new();
    let path = dir.file(name, content);
    let input = Input::open(&path, None).unwrap();
    let mut found = Vec::new();
    let validation = input
        .validate(&mut |f| found.push(f.to_string().replace(&path.display().to_string(), "FILE")))
        .unwrap();
    (validation, found)
}

pub(super) fn valid_rows(name: &str, content: &str) -> Vec<Row> {
    let dir = TempDir::new();
    let path = dir.file(name, content);
    let input = Input::open(&path, None).unwrap();
    let validation = input
        .validate(&mut |f| panic!("unexpected finding {f}"))
        .unwrap();
    assert!(validation.is_clean());
    input
        .rows(&validation)
        .unwrap()
        .map(|item| match item.unwrap() {
            Item::Valid(row) => row,
            Item::Invalid { reason, .. } => panic!("invalid row: {reason}"),
        })
        .collect()
}

/// Validates `content` written to `name`, read as `configure` sets the input up; returns the
/// validation, the findings as text and every item of the second pass.
pub(super) fn run(
    name: &str,
    content: &str,
    configure: fn(Input) -> Input,
) -> (Validation, Vec<String>, Vec<Item>) {
    let dir = TempDir::new();
    let path = dir.file(name, content);
    let input = configure(Input::open(&path, None).unwrap());
    let mut found = Vec::new();
    let validation = input
        .validate(&mut |f| found.push(f.to_string().replace(&path.display().to_string(), "FILE")))
        .unwrap();
    let items = if validation.fatal {
        Vec::new()
    } else {
        input
            .rows(&validation)
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    (validation, found, items)
}

/// The valid rows of a second pass, after a first that found nothing.
pub(super) fn valid(found: &[String], items: Vec<Item>) -> Vec<Row> {
    assert!(found.is_empty(), "unexpected findings {found:?}");
    items
        .into_iter()
        .map(|item| match item {
            Item::Valid(row) => row,
            Item::Invalid { reason, .. } => panic!("invalid row: {reason}"),
        })
        .collect()
}

pub(super) fn csv_json_cell(json: &str) -> String {
    format!("\"{}\"", json.replace('"', "\"\""))
}
