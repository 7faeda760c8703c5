//! `pacer apply --business-unit` end to end on the genesys profile: the schedule update writes
//! every agent once, a rerun sends nothing, a dry run writes nothing, bad rows are refused with
//! their line and field, and a kill at any phase is finished by the rerun without a second update.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::Duration;

use pacer_emulator::{Overrides, Profile};

use crate::support::{Dir, Emu, genesys_config, pacer, run};

fn genesys(agents: u32, processing: Duration) -> Emu {
    Emu::with_config(genesys_config(Overrides {
        agents: Some(agents),
        bulk_processing: Some(processing),
        ..Overrides::default()
    }))
}

/// Two shifts a row each for the first `count` agents, in the week of 2026-12-07.
fn shifts_csv(emu: &Emu, count: u32, hour: u32) -> String {
    let mut text = String::from("userId,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for i in 0..count {
        for day in ["2026-12-08", "2026-12-09"] {
            text.push_str(&format!(
                "{},2026-12-07,{day}T{hour:02}:00:00Z,480,Work\n",
                emu.agent(i)
            ));
        }
    }
    text
}

fn report(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_schedule_update_writes_every_agent_once_and_a_rerun_sends_nothing() {
    let emu = genesys(200, Duration::from_millis(200));
    let dir = Dir::new("bulk-once");
    let file = dir.write("in.csv", &shifts_csv(&emu, 200, 9));
    let report_path = dir.path("report.json");
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--business-unit",
        "North",
        "--report",
        report_path.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("bulk path: business unit North"),
        "{stderr}"
    );
    assert!(stderr.contains("200 agents written"), "{stderr}");
    let stats = emu.stats();
    assert_eq!((stats.users_written, stats.max_writes_per_user), (200, 1));
    assert_eq!(stats.updates_started, 1);
    assert!(
        stats.requests_total <= 12,
        "{} requests",
        stats.requests_total
    );
    let first = report(&report_path);
    assert_eq!(first["bulk"]["agents_written"], 200);
    assert_eq!(first["items_succeeded"], 400, "every row is done");
    assert_eq!(
        first["bulk"]["weeks"][0]["uploads"][0]["learned_by"],
        "notification"
    );

    let mut status = std::process::Command::new(env!("CARGO_BIN_EXE_pacer"));
    status.args([
        "status",
        "--journal",
        dir.path("in.csv.pacer.sqlite").to_str().unwrap(),
    ]);
    let (code, stdout, _) = run(status, &dir.0);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("400 items: 400 done"), "{stdout}");
    assert!(
        stdout.contains("schedule update of the week of 2026-12-07: 200 agents, operation"),
        "{stdout}"
    );
    assert!(stdout.contains(": Complete"), "{stdout}");

    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("0 agents written, 200 unchanged"),
        "{stderr}"
    );
    assert_eq!(emu.stats().updates_started, 1);
}

#[test]
fn a_dry_run_writes_nothing_and_plans_what_the_run_does() {
    let emu = genesys(50, Duration::from_millis(100));
    let dir = Dir::new("bulk-dry");
    let file = dir.write("in.csv", &shifts_csv(&emu, 30, 9));
    let report_path = dir.path("report.json");
    let base = ["apply", file.to_str().unwrap(), "--business-unit", "North"];
    let mut dry = base.to_vec();
    dry.push("--dry-run");
    let (code, _, stderr) = run(pacer(&emu.base, &dry), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("0 added, 30 changed, 0 unchanged"),
        "{stderr}"
    );
    assert!(
        stderr.contains("would send 5 API requests and 1 upload"),
        "{stderr}"
    );
    let stats = emu.stats();
    assert_eq!((stats.writes_total, stats.uploads), (0, 0));
    let before = stats.requests_total;

    let mut real = base.to_vec();
    real.extend(["--report", report_path.to_str().unwrap()]);
    let (code, _, stderr) = run(pacer(&emu.base, &real), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let done = report(&report_path);
    assert_eq!(done["bulk"]["weeks"][0]["changed"], 30);
    // The writes took the planned requests on top of the reads a dry run makes too.
    let reads = before - 1;
    assert_eq!(emu.stats().requests_total - before, reads + 5 + 1);
}

#[test]
fn rows_the_unit_refuses_are_named_by_line_and_field_and_nothing_is_sent() {
    let emu = genesys(20, Duration::from_millis(100));
    let dir = Dir::new("bulk-bad");
    let text = format!(
        "userId,weekDate,startDate,lengthMinutes,activityCodeId\n\
         {a},2026-12-07,2026-12-08T09:00:00Z,480,Work\n\
         {b},2026-12-08,2026-12-08T09:00:00Z,480,Work\n\
         {a},2026-12-07,2026-12-20T09:00:00Z,480,Work\n\
         {b},2026-12-14,2026-12-15T09:00:00Z,60,Nap\n",
        a = emu.agent(0),
        b = emu.agent(1)
    );
    let file = dir.write("in.csv", &text);
    let args = ["apply", file.to_str().unwrap(), "--business-unit", "North"];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("[DIR]/in.csv:3: weekDate: 2026-12-08 is a Tuesday"),
        "{stderr}"
    );
    assert!(stderr.contains("[DIR]/in.csv:4: startDate:"), "{stderr}");
    assert!(
        stderr.contains("[DIR]/in.csv:5: activityCodeId: `Nap`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 findings against business unit North; nothing was sent"),
        "{stderr}"
    );
    assert_eq!(emu.stats().uploads, 0);

    let (code, _, stderr) = run(
        pacer(
            &emu.base,
            &[
                "apply",
                file.to_str().unwrap(),
                "--business-unit",
                "Atlantis",
                "--restart",
            ],
        ),
        &dir.0,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no business unit is named or numbered `Atlantis`"),
        "{stderr}"
    );
}

#[test]
fn a_per_agent_run_on_the_real_api_stops_early_and_names_the_bulk_path() {
    // The limits API says 300 a minute: the first window's sends all leave before the first
    // answers are in, and the rest are not sent.
    let emu = Emu::start(Profile::Genesys, 600);
    let dir = Dir::new("bulk-404");
    let agents: Vec<String> = (0..600).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &crate::support::csv_for(&agents));
    let (code, _, stderr) = run(pacer(&emu.base, &["apply", file.to_str().unwrap()]), &dir.0);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("stopped early: the first 20 items all failed with 404"),
        "{stderr}"
    );
    assert!(stderr.contains("--business-unit NAME"), "{stderr}");
    assert!(
        emu.stats().requests_total < 400,
        "{}",
        emu.stats().requests_total
    );
}

#[test]
fn a_kill_at_any_phase_is_finished_by_the_rerun_without_a_second_update() {
    for phase in ["upload:", "update:", "wait:", "verify:"] {
        let emu = genesys(100, Duration::from_millis(1500));
        let dir = Dir::new(&format!("bulk-kill-{}", phase.trim_end_matches(':')));
        let file = dir.write("in.csv", &shifts_csv(&emu, 100, 9));
        let args = ["apply", file.to_str().unwrap(), "--business-unit", "North"];
        let mut child = pacer(&emu.base, &args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        for line in BufReader::new(stderr).lines() {
            if line.unwrap().contains(phase) {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
        assert_eq!(code, 0, "killed at {phase}: {stderr}");
        let stats = emu.stats();
        assert_eq!(stats.users_written, 100, "killed at {phase}: {stderr}");
        assert_eq!(stats.max_writes_per_user, 1, "killed at {phase}: {stderr}");
        assert!(
            stats.updates_started <= 1,
            "killed at {phase}: {} updates",
            stats.updates_started
        );
    }
}
