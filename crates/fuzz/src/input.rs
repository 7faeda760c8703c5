//! The input readers of `pacer apply`: any bytes, as CSV or JSON Lines, validate without panic,
//! and the second pass agrees with the first (as many rows, the same valid ones, bodies that are
//! JSON objects, findings on lines the file has).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use pacer_input::{Format, Input, Item};

/// The input as a CSV file, read as `pacer apply` reads it for either path.
pub fn run_csv(data: &[u8]) {
    // Repeated agents allowed (the schedule update's reading) on inputs of odd length: each
    // check costs several passes, and the fuzzer varies the length freely.
    check(data, Format::Csv, data.len() % 2 == 1);
}

/// The input as a JSON Lines file.
pub fn run_jsonl(data: &[u8]) {
    check(data, Format::JsonLines, false);
}

fn check(data: &[u8], format: Format, repeats: bool) {
    let file = Scratch::write(data);
    let mut input = Input::open(&file.0, Some(format)).expect("the file was just written");
    if repeats {
        input = input.allowing_repeated_agents();
    }
    let lines = data.split(|&b| b == b'\n').count() as u64;
    let mut findings = 0u64;
    let validation = input
        .validate(&mut |finding| {
            findings += 1;
            assert!(
                finding.line <= lines.max(1),
                "{finding} past the file's {lines} lines"
            );
        })
        .expect("a readable file");
    assert_eq!(findings, validation.findings);
    assert_eq!(
        validation.rows_valid + validation.rows_invalid,
        validation.rows_total
    );
    if validation.fatal {
        return;
    }
    let (mut valid, mut invalid) = (0u64, 0u64);
    for item in input.rows(&validation).expect("the same file") {
        match item.expect("the same bytes") {
            Item::Valid(row) => {
                valid += 1;
                // JSON by its grammar, where numbers have no bound (`1e400` is JSON, and the
                // body is sent as written): a raw value, not a `Value` of f64s.
                let body: &serde_json::value::RawValue =
                    serde_json::from_slice(&row.body).expect("a valid row's body is JSON");
                assert!(body.get().starts_with('{'), "a body is an object: {body}");
                assert!(row.line >= 1 && row.line <= lines);
            }
            Item::Invalid { .. } => invalid += 1,
        }
    }
    assert_eq!(valid, validation.rows_valid);
    assert_eq!(invalid, validation.rows_invalid);
}

/// A file of this process's own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn write(data: &[u8]) -> Scratch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let name = format!(
            "pacer-fuzz-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        std::fs::write(&path, data).expect("a scratch file");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
