//! The `pacer` binary: parses arguments, runs one command, and maps its outcome to an exit code.

mod args;
mod commands;
mod exit;
mod html;
mod latency;
mod metrics;
mod report;
mod thresholds;
mod timeline;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Args, Command};

/// mimalloc in place of the system's allocator: the bulk path makes and frees millions of small
/// values (every agent's shifts parsed, planned, imaged and forgotten), where glibc's allocator
/// spent a third of the run's CPU merging its free lists (BENCHMARKS.md, the bulk path at scale).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (option 15 in both v2 and the v3 this binary builds; the
/// binding names the options around it, not this one): how long freed memory stays committed
/// before it goes back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long a client command keeps freed memory, in milliseconds. v3's default is a second, which
/// put a 100,000-agent run's peak at 133 MB, past its bound; at once (0), every page freed and
/// used again faulted back in, zeroed (8% of the bulk path's main thread). 10 ms cost 3 MB of
/// peak and saved about 4% of the CPU, measured side by side (BENCHMARKS.md, the bulk path at
/// scale).
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// Freed memory goes back to the system after [`PURGE_DELAY_MS`]: a run that reads a unit's
/// schedules and forgets them keeps its resident memory close to what it holds.
fn return_freed_memory_soon() {
    // SAFETY: setting an option is sound at any time; the allocator reads it on its next purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            // Clap prints help and version to stdout with success, and usage errors with exit 2.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    // The emulator keeps mimalloc's own delay: a server that renders and drops large answers all
    // day would otherwise fault its pages in again for every one.
    if !matches!(args.command, Command::Emulate(_)) {
        return_freed_memory_soon();
    }
    match run(args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("pacer: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(exit::code_for(&err))
        }
    }
}

/// Runs the chosen command and returns its exit code.
fn run(args: Args) -> anyhow::Result<u8> {
    use commands::{apply, compare, demo, emulate, export, mirror, simulate, status, undo};
    match args.command {
        Command::Apply(args) => apply::run(*args),
        Command::Compare(args) => compare::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Emulate(args) => emulate::run(*args),
        Command::Export(args) => export::run(*args),
        Command::Mirror(args) => mirror::run(*args),
        Command::Status(args) => status::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Undo(args) => undo::run(*args),
    }
}
