//! Replays every fuzz target's corpus (`fuzz/corpus/<target>/`) and its regressions (the crashes
//! once found, `fuzz/regressions/<target>/`) through the same functions cargo-fuzz runs.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in ["corpus", "regressions"] {
        let dir = fuzz_dir().join(folder).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            files.push(entry.expect("a readable folder").path());
        }
    }
    files.sort();
    files
}

#[test]
fn every_target_has_a_corpus_and_replays_it_without_a_failure() {
    for target in pacer_fuzz::TARGETS {
        let files = inputs(target.name);
        assert!(!files.is_empty(), "{} has no corpus", target.name);
        for file in files {
            let data = std::fs::read(&file).expect("a corpus file");
            let result = std::panic::catch_unwind(|| (target.run)(&data));
            assert!(
                result.is_ok(),
                "{} fails on {}",
                target.name,
                file.display()
            );
        }
    }
}

#[test]
fn every_target_survives_empty_and_odd_inputs() {
    let odd: [&[u8]; 5] = [b"", b"\n", b"\0\0\0\0", b"\xff\xfe\n\n\n", &[b'{'; 300]];
    for target in pacer_fuzz::TARGETS {
        for data in odd {
            (target.run)(data);
        }
    }
}
