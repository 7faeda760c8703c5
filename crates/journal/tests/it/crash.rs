//! A real crash: a child process writes to the journal and is killed with SIGKILL mid-run.
//!
//! The child is this test binary itself, run with `--ignored --exact crash::crash_child_writer`
//! and the journal path in `PACER_JOURNAL_CRASH_CHILD`. It prints `sent L` after committing the
//! in-flight mark of line L and `done L` after committing its outcome, so the parent knows what
//! the journal must hold whatever the moment of the kill.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pacer_journal::{Change, Journal, OpenKind};

use crate::{TempDir, spec, user};

const ENV: &str = "PACER_JOURNAL_CRASH_CHILD";
const ITEMS: u64 = 50_000;
const KILL_AFTER_DONE: usize = 300;

#[test]
#[ignore = "run by crash::sigkill_mid_run_loses_only_in_flight_outcomes as its child process"]
fn crash_child_writer() {
    let path = std::env::var_os(ENV).expect("PACER_JOURNAL_CRASH_CHILD names the journal");
    let journal = Journal::open(path.as_ref(), &spec(b"crash input"), false).unwrap();
    let mut out = std::io::stdout().lock();
    let mut cursor = journal.pending();
    let mut n = 0u64;
    while let Some(item) = cursor.next_item().unwrap() {
        journal.mark_in_flight(item.line).unwrap();
        writeln!(out, "sent {}", item.line).unwrap();
        out.flush().unwrap();
        // Every other outcome goes through a batch, as an executor that groups commits would.
        if n.is_multiple_of(2) {
            journal.mark_done(item.line, 200, Some("corr")).unwrap();
        } else {
            journal
                .record(&[Change::Done {
                    line: item.line,
                    status: 200,
                    correlation_id: None,
                }])
                .unwrap();
        }
        writeln!(out, "done {}", item.line).unwrap();
        out.flush().unwrap();
        n += 1;
    }
}

#[test]
fn sigkill_mid_run_loses_only_in_flight_outcomes() {
    let dir = TempDir::new("crash");
    let path = dir.path().join("run.sqlite");
    let mut journal = Journal::open(&path, &spec(b"crash input"), false).unwrap();
    let mut loader = journal.loader();
    for line in 1..=ITEMS {
        loader.push(line, &user(line)).unwrap();
    }
    loader.finish().unwrap();
    journal.close().unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash::crash_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    let mut sent = HashSet::new();
    let mut done = HashSet::new();
    let mut killed = false;
    // Bounded: the loop ends at the child's end of output, or after 60 s without a line.
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        if let Some(n) = line.strip_prefix("sent ") {
            sent.insert(n.parse::<u64>().unwrap());
        } else if let Some(n) = line.strip_prefix("done ") {
            done.insert(n.parse::<u64>().unwrap());
            if done.len() == KILL_AFTER_DONE && !killed {
                child.kill().unwrap();
                killed = true;
            }
        }
    }
    if !killed {
        let _ = child.kill();
    }
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(killed, "the child never reported {KILL_AFTER_DONE} items");
    assert!(
        !status.success(),
        "the child finished all {ITEMS} items before the kill: {status:?}"
    );
    assert!(done.len() < ITEMS as usize);

    let journal = Journal::open(&path, &spec(b"crash input"), false).unwrap();
    assert_eq!(journal.open_kind(), OpenKind::Resumed);
    let counts = journal.counts().unwrap();
    // Every outcome reported before the kill is in the journal; at most the one item between its
    // in-flight mark and its outcome is in flight; nothing else moved.
    for line in &done {
        assert_eq!(
            journal.state_of(*line).unwrap(),
            Some(pacer_journal::ItemState::Done),
            "{line}"
        );
    }
    assert!(counts.done >= done.len() as u64);
    assert!(counts.done <= sent.len() as u64 + 1);
    assert!(counts.in_flight <= 1, "{counts:?}");
    assert_eq!(counts.done + counts.in_flight + counts.pending, ITEMS);

    // The rerun finishes the job: only the possibly-sent item is sent a second time.
    let mut second_sends = 0;
    let mut possibly_sent = 0;
    let mut cursor = journal.pending();
    while let Some(item) = cursor.next_item().unwrap() {
        if sent.contains(&item.line) {
            second_sends += 1;
        }
        possibly_sent += u64::from(item.possibly_sent);
        journal.mark_in_flight(item.line).unwrap();
        journal.mark_done(item.line, 200, None).unwrap();
    }
    assert!(second_sends <= 1, "{second_sends} items were sent twice");
    assert_eq!(possibly_sent, counts.in_flight);
    assert_eq!(journal.counts().unwrap().done, ITEMS);
}
