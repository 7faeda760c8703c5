//! Measures the journal on a large run: loading items, marking them one commit at a time and in
//! batches, counting, and the peak resident memory of the whole process.
//!
//! `cargo run --release -p pacer-journal --example journal_bench -- [ITEMS] [DIR]`
//! (defaults: 1,000,000 items in the system's temporary directory).

use std::time::Instant;

use pacer_journal::{Change, Fingerprint, Journal, RunSpec};

fn main() {
    let mut args = std::env::args().skip(1);
    let items: u64 = args
        .next()
        .map(|a| a.parse().expect("ITEMS is a number"))
        .unwrap_or(1_000_000);
    let dir = args
        .next()
        .map(Into::into)
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("pacer-journal-bench-{}.sqlite", std::process::id()));
    let spec = RunSpec {
        input_path: "bench.csv".into(),
        fingerprint: Fingerprint::of_bytes(b"bench"),
        method: "PUT".into(),
        path_template: "/api/v2/wfm/usersettings/{userId}/schedule".into(),
        settings: serde_json::json!({"tokens": 1}),
    };

    let mut journal = Journal::open(&path, &spec, true).expect("open the journal");
    let started = Instant::now();
    let mut loader = journal.loader();
    for line in 2..items + 2 {
        let user = format!("00000000-0000-4000-8000-{line:012}");
        loader.push(line, &user).expect("push");
    }
    loader.finish().expect("finish");
    report("load", items, started);

    // One commit per change, as a caller that does not batch: in flight, then done.
    let single = (items / 10).min(100_000);
    let started = Instant::now();
    let mut cursor = journal.pending();
    let mut lines = Vec::with_capacity(single as usize);
    for _ in 0..single {
        lines.push(cursor.next_item().expect("page").expect("an item").line);
    }
    drop(cursor);
    for &line in &lines {
        journal.mark_in_flight(line).expect("in flight");
        journal
            .mark_done(line, 200, Some("corr-0123456789"))
            .expect("done");
    }
    report("single commits (2 per item)", single, started);

    // Batches of 64 changes per transaction, as an executor that groups commits: the in-flight
    // marks of a batch, then its outcomes.
    let started = Instant::now();
    let mut cursor = journal.pending();
    let mut batch = Vec::with_capacity(64);
    let mut done = 0u64;
    loop {
        batch.clear();
        while batch.len() < 64 {
            match cursor.next_item().expect("page") {
                Some(item) => batch.push(item.line),
                None => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        let marks: Vec<Change<'_>> = batch
            .iter()
            .map(|&line| Change::InFlight { line })
            .collect();
        journal.record(&marks).expect("in flight batch");
        let outcomes: Vec<Change<'_>> = batch
            .iter()
            .map(|&line| Change::Done {
                line,
                status: 200,
                correlation_id: Some("corr-0123456789"),
            })
            .collect();
        journal.record(&outcomes).expect("done batch");
        done += batch.len() as u64;
    }
    drop(cursor);
    report("batches of 64 (2 commits per batch)", done, started);

    let started = Instant::now();
    let counts = journal.counts().expect("counts");
    println!(
        "counts: {counts:?} in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    journal.close().expect("close");
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("journal file: {:.1} MB", size as f64 / 1e6);
    println!("peak resident memory: {}", peak_rss());
    let _ = std::fs::remove_file(&path);
}

fn report(what: &str, items: u64, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what}: {items} items in {secs:.2} s = {:.0} items/s",
        items as f64 / secs
    );
}

/// `VmHWM` from /proc/self/status (Linux), or a note that it is not available.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l[6..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown (no /proc/self/status)".into())
}
