//! The bodies of pacer's fuzz targets, one function per parser, each checking what must hold for
//! any input (no panic, and the properties its module states).
//!
//! `fuzz/` (a cargo-fuzz project, nightly, libFuzzer) calls these functions; on stable,
//! `cargo test -p pacer-fuzz` replays the corpus kept in `fuzz/corpus/<target>/` and the crashes
//! once found in `fuzz/regressions/<target>/` through the same functions.

mod draw;
pub mod emulator;
pub mod input;
pub mod notification;
pub mod signals;
pub mod upload;

/// A fuzz target: its name (the folder of its corpus) and its body.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
}

/// Every target, by name.
pub const TARGETS: &[Target] = &[
    Target {
        name: "signals",
        run: signals::run,
    },
    Target {
        name: "input_csv",
        run: input::run_csv,
    },
    Target {
        name: "input_jsonl",
        run: input::run_jsonl,
    },
    Target {
        name: "upload_roundtrip",
        run: upload::run_roundtrip,
    },
    Target {
        name: "upload_reader",
        run: upload::run_reader,
    },
    Target {
        name: "notification",
        run: notification::run,
    },
    Target {
        name: "emulator_request",
        run: emulator::run,
    },
];
