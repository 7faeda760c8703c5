//! The kill matrix: a per-agent run of 1,000 agents and a schedule update, each SIGKILLed at
//! points spread over the run (`PACER_CRASH_AT`, see `pacer-crashpoint`), then run again: every
//! agent is written, an agent is written twice only when it was in flight at the kill (per
//! agent), and no update is sent twice (bulk). Prints a table of the figures.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;
use std::time::Duration;

use pacer_emulator::{Config, Overrides, Profile, StatsReport};

use crate::support::{Dir, Emu, csv_for, pacer, run};

const AGENTS: u32 = 1_000;
const BULK_AGENTS: u32 = 300;

/// One cell of the matrix, as the table prints it.
struct Row {
    path: &'static str,
    point: &'static str,
    requests_before: u64,
    written_before: u64,
    in_flight: u64,
    written: u64,
    doubled: u64,
    updates: u64,
    code: i32,
}

impl Row {
    /// The figures of a kill at `point`, from the emulator's counters before and after the rerun.
    fn new(
        path: &'static str,
        point: &'static str,
        before: &StatsReport,
        after: &StatsReport,
        in_flight: u64,
        code: i32,
    ) -> Row {
        Row {
            path,
            point,
            requests_before: before.requests_total,
            written_before: before.users_written,
            in_flight,
            written: after.users_written,
            doubled: after.writes_total - after.users_written,
            updates: after.updates_started,
            code,
        }
    }
}

fn emulator(profile: Profile, agents: u32) -> Emu {
    let mut config = Config::profile(profile);
    Overrides {
        agents: Some(agents),
        no_limits: true,
        today: Some("2026-12-09".into()),
        bulk_processing: Some(Duration::from_millis(800)),
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    Emu::with_config(config)
}

/// Runs `args` with the crash point armed: the run must die by SIGKILL there.
fn killed_at(emu: &Emu, args: &[&str], point: &str) {
    let status = pacer(&emu.base, args)
        .env(pacer_crashpoint::ENV, point)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the run did not reach {point}: {status}"
    );
}

fn per_agent(point: &'static str) -> Row {
    let emu = emulator(Profile::Seed, AGENTS);
    let dir = Dir::new(&format!("kill-{}", point.replace(['@', '.'], "-")));
    let agents: Vec<String> = (0..AGENTS).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &csv_for(&agents));
    let report = dir.path("report.json");
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    killed_at(&emu, &args, point);
    let before = emu.stats();
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    let after = emu.stats();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let in_flight = report["items_possibly_sent_twice"].as_u64().unwrap();
    let row = Row::new("per agent", point, &before, &after, in_flight, code);
    assert_eq!(code, 0, "killed at {point}: {stderr}");
    assert_eq!(
        row.written,
        u64::from(AGENTS),
        "killed at {point}: {stderr}"
    );
    assert!(
        row.doubled <= row.in_flight && after.max_writes_per_user <= 2,
        "killed at {point}: {} doubled, {} in flight",
        row.doubled,
        row.in_flight
    );
    row
}

fn bulk(point: &'static str) -> Row {
    let emu = emulator(Profile::Genesys, BULK_AGENTS);
    let dir = Dir::new(&format!("kill-{}", point.replace(['@', '.'], "-")));
    let mut text = String::from("userId,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for i in 0..BULK_AGENTS {
        text.push_str(&format!(
            "{},2026-12-07,2026-12-08T09:00:00Z,480,Work\n",
            emu.agent(i)
        ));
    }
    let file = dir.write("in.csv", &text);
    let args = ["apply", file.to_str().unwrap(), "--business-unit", "North"];
    killed_at(&emu, &args, point);
    let before = emu.stats();
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    let after = emu.stats();
    let row = Row::new("bulk", point, &before, &after, 0, code);
    assert_eq!(code, 0, "killed at {point}: {stderr}");
    assert_eq!(
        row.written,
        u64::from(BULK_AGENTS),
        "killed at {point}: {stderr}"
    );
    assert_eq!(row.doubled, 0, "killed at {point}: {stderr}");
    assert!(
        row.updates <= 1,
        "killed at {point}: {} updates",
        row.updates
    );
    row
}

#[test]
fn a_run_killed_at_any_point_is_finished_by_the_rerun_without_loss_or_double() {
    let mut rows = Vec::new();
    for point in [
        "per-agent.start",
        "request@1",
        "journal.batch@3",
        "request@250",
        "request@500",
        "journal.batch@40",
        "request@1000",
    ] {
        rows.push(per_agent(point));
    }
    for point in [
        "bulk.upload",
        "bulk.uploaded",
        "bulk.update",
        "bulk.accepted",
        "bulk.wait",
        "bulk.verify",
    ] {
        rows.push(bulk(point));
    }
    println!(
        "{:<10} {:<18} {:>13} {:>13} {:>9} {:>8} {:>8} {:>8} {:>5}",
        "path",
        "killed at",
        "sent before",
        "written before",
        "in flight",
        "written",
        "doubled",
        "updates",
        "exit"
    );
    for r in &rows {
        println!(
            "{:<10} {:<18} {:>13} {:>13} {:>9} {:>8} {:>8} {:>8} {:>5}",
            r.path,
            r.point,
            r.requests_before,
            r.written_before,
            r.in_flight,
            r.written,
            r.doubled,
            r.updates,
            r.code
        );
    }
}
