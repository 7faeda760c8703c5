//! `pacer undo` end to end on the genesys profile: a run that wrote 1,500 agents is put back as
//! it read before, but for the agent another editor touched since, which is left and named.

use crate::support::{Dir, Emu, genesys, pacer, run};

/// A bodiless POST to one of the emulator's test routes; the answer's status line.
fn post(base: &str, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or_default().to_string()
}

fn export(emu: &Emu, dir: &Dir, name: &str) -> String {
    let out = dir.path(name);
    let args = [
        "export",
        "--business-unit",
        "North",
        "--week",
        "2026-12-07",
        "--output",
        out.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn undo_restores_every_agent_but_the_one_another_editor_changed_since() {
    let emu = Emu::with_config(genesys(1500));
    let dir = Dir::new("undo-1500");
    let before = export(&emu, &dir, "before.csv");
    let mut text = String::from("userId,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for i in 0..1500 {
        text.push_str(&format!(
            "{},2026-12-07,2026-12-08T06:00,600,Training\n",
            emu.agent(i)
        ));
    }
    let file = dir.write("in.csv", &text);
    let journal = dir.path("in.csv.pacer.sqlite");
    let report = dir.path("report.json");
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--business-unit",
        "North",
        "--report",
        report.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let schedule = report["bulk"]["weeks"][0]["schedule_id"].as_str().unwrap();
    let touched = emu.agent(7);
    let status = post(
        &emu.base,
        &format!("/__emulator/schedules/{schedule}/touch?agentId={touched}"),
    );
    assert!(status.contains("200"), "{status}");

    let status = ["status", "--journal", journal.to_str().unwrap()];
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pacer"));
    command.args(status);
    let (_, stdout, _) = run(command, &dir.0);
    assert!(
        stdout.contains("undo: each written agent's schedule before the run is kept (1500 agents)"),
        "{stdout}"
    );

    let requests = emu.stats().requests_total;
    let args = ["undo", "--journal", journal.to_str().unwrap()];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&touched),
        "the touched agent is named: {stderr}"
    );
    assert!(stderr.contains("changed by another editor"), "{stderr}");
    let undo_requests = emu.stats().requests_total - requests;
    assert!(undo_requests <= 15, "{undo_requests} requests");

    let after = export(&emu, &dir, "after.csv");
    let others = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with(&touched))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(others(&after), others(&before), "the 1,499 read as before");
    assert!(
        after
            .lines()
            .any(|l| l.starts_with(&touched) && l.contains(",Training,")),
        "the touched agent keeps the run's shift"
    );

    // A second undo finds every agent as it was (or left): it sends no update.
    let updates = emu.stats().updates_started;
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(emu.stats().updates_started, updates, "{stderr}");
}

/// Runs `args` with the crash point armed: the run must die by SIGKILL there.
fn killed_at(emu: &Emu, args: &[&str], point: &str) {
    use std::os::unix::process::ExitStatusExt as _;
    let status = pacer(&emu.base, args)
        .env(pacer_crashpoint::ENV, point)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "undo did not reach {point}: {status}"
    );
}

#[test]
fn an_undo_killed_at_any_phase_is_finished_by_the_rerun_without_a_second_update() {
    for point in [
        "bulk.upload",
        "bulk.uploaded",
        "bulk.update",
        "bulk.accepted",
        "bulk.wait",
        "bulk.verify",
    ] {
        let emu = Emu::with_config(genesys(300));
        let dir = Dir::new(&format!("undo-kill-{}", point.replace('.', "-")));
        let before = export(&emu, &dir, "before.csv");
        let mut text = String::from("userId,weekDate,startDate,lengthMinutes\n");
        for i in 0..300 {
            text.push_str(&format!(
                "{},2026-12-07,2026-12-09T07:00,300\n",
                emu.agent(i)
            ));
        }
        let file = dir.write("in.csv", &text);
        let args = ["apply", file.to_str().unwrap(), "--business-unit", "North"];
        let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
        assert_eq!(code, 0, "{stderr}");
        let journal = dir.path("in.csv.pacer.sqlite");
        let undo = ["undo", "--journal", journal.to_str().unwrap()];
        let updates = emu.stats().updates_started;
        killed_at(&emu, &undo, point);
        let (code, _, stderr) = run(pacer(&emu.base, &undo), &dir.0);
        assert_eq!(code, 0, "killed at {point}: {stderr}");
        let sent = emu.stats().updates_started - updates;
        assert!(sent <= 1, "killed at {point}: {sent} updates");
        assert_eq!(export(&emu, &dir, "after.csv"), before, "killed at {point}");
    }
}
