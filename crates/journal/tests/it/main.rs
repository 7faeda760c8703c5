//! Integration tests of pacer-journal: opening rules, item states, resumption and real crashes.

mod crash;
mod journal;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use pacer_journal::{Fingerprint, RunSpec};

/// A directory under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pacer-journal-it-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create the test directory");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A run spec for input bytes `input`, sending the default schedule PUT.
pub fn spec(input: &[u8]) -> RunSpec {
    RunSpec {
        input_path: "agents.csv".into(),
        fingerprint: Fingerprint::of_bytes(input),
        method: "PUT".into(),
        path_template: "/api/v2/wfm/usersettings/{userId}/schedule".into(),
        settings: serde_json::json!({"tokens": 1, "deadline_s": 300}),
    }
}

/// A user id for line `line`, shaped like the UUIDs Genesys uses.
pub fn user(line: u64) -> String {
    format!("00000000-0000-4000-8000-{line:012}")
}
