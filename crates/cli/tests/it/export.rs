//! `pacer export` and agents keyed by e-mail, end to end on the genesys profile: a week exported
//! and applied back unchanged sends no upload, one agent's moved shifts write that agent alone,
//! a file keyed by e-mail writes every agent, and an unknown e-mail is refused with its line.

use std::collections::BTreeSet;

use crate::support::{Dir, Emu, genesys, pacer, run};

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

fn apply(emu: &Emu, dir: &Dir, file: &std::path::Path) -> (i32, String) {
    let args = ["apply", file.to_str().unwrap(), "--business-unit", "North"];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    (code, stderr)
}

/// Adds an hour to a local time `2026-12-07T10:00:00-05:00` (no shift here crosses midnight).
fn hour_later(text: &str) -> String {
    let hour: u32 = text[11..13].parse().unwrap();
    format!("{}{:02}{}", &text[..11], hour + 1, &text[13..])
}

#[test]
fn an_exported_week_applies_back_unchanged_and_a_moved_agent_alone_is_written() {
    let emu = Emu::with_config(genesys(1500));
    let dir = Dir::new("export-round-trip");
    let text = export(&emu, &dir, "week.csv");
    let requests = emu.stats().requests_total;
    assert!(requests <= 15, "{requests} requests");
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "userId,email,name,weekDate,shiftStart,shiftLengthMinutes,startDate,lengthMinutes,activityCodeId,description"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let agents: BTreeSet<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(agents.len(), 1500);
    assert!(rows[0][4].ends_with("-05:00"), "local time: {:?}", rows[0]);
    assert!(rows.iter().any(|r| r[8] == "Break"), "activities by name");

    let file = dir.write("week.csv", &text);
    let (code, stderr) = apply(&emu, &dir, &file);
    assert_eq!(code, 0, "{stderr}");
    let stats = emu.stats();
    assert_eq!((stats.uploads, stats.updates_started), (0, 0), "{stderr}");

    let moved = rows[0][0];
    let mut edited = String::from(text.lines().next().unwrap());
    edited.push('\n');
    for row in &rows {
        let mut row: Vec<String> = row.iter().map(|c| c.to_string()).collect();
        if row[0] == moved {
            row[4] = hour_later(&row[4]);
            row[6] = hour_later(&row[6]);
        }
        edited.push_str(&row.join(","));
        edited.push('\n');
    }
    let file = dir.write("moved.csv", &edited);
    let (code, stderr) = apply(&emu, &dir, &file);
    assert_eq!(code, 0, "{stderr}");
    let stats = emu.stats();
    assert_eq!(stats.updates_started, 1, "{stderr}");
    assert_eq!((stats.users_written, stats.max_writes_per_user), (1, 1));

    let again = export(&emu, &dir, "again.csv");
    let held: Vec<&str> = again.lines().filter(|l| l.starts_with(moved)).collect();
    let wanted: Vec<&str> = edited.lines().filter(|l| l.starts_with(moved)).collect();
    assert_eq!(held, wanted, "the server holds the moved shifts");
}

#[test]
fn a_file_keyed_by_email_writes_every_agent_and_a_rerun_resolves_nothing_again() {
    let emu = Emu::with_config(genesys(1500));
    let dir = Dir::new("export-by-email");
    let mut text = String::from("email,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for i in 0..1500 {
        text.push_str(&format!(
            "agent{:05}@pacer-emulator.example,2026-12-07,2026-12-08T09:00,480,Work\n",
            i + 1
        ));
    }
    let file = dir.write("by-email.csv", &text);
    let (code, stderr) = apply(&emu, &dir, &file);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1500 agents written"), "{stderr}");
    let stats = emu.stats();
    assert!(
        stats.requests_total <= 30,
        "{} requests",
        stats.requests_total
    );
    println!(
        "1,500 agents keyed by e-mail: {} API requests",
        stats.requests_total
    );
    assert_eq!((stats.users_written, stats.max_writes_per_user), (1500, 1));

    let (code, stderr) = apply(&emu, &dir, &file);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 Users API requests"), "{stderr}");
    assert!(stderr.contains("1500 from the journal"), "{stderr}");
}

#[test]
fn an_unknown_email_is_refused_with_its_line_and_nothing_is_sent() {
    let emu = Emu::with_config(genesys(50));
    let dir = Dir::new("export-unknown-email");
    let text = "email,weekDate,startDate,lengthMinutes\n\
                agent00001@pacer-emulator.example,2026-12-07,2026-12-08T09:00,480\n\
                nobody@pacer-emulator.example,2026-12-07,2026-12-08T09:00,480\n";
    let file = dir.write("unknown.csv", text);
    let (code, stderr) = apply(&emu, &dir, &file);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "unknown.csv:3: email: `nobody@pacer-emulator.example` is the e-mail of no user"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    let stats = emu.stats();
    assert_eq!((stats.uploads, stats.updates_started), (0, 0));
}

#[test]
fn a_name_several_users_bear_and_keys_of_two_people_are_refused_with_their_lines() {
    let emu = Emu::with_config(genesys(600));
    let dir = Dir::new("export-ambiguous-name");
    // Every 500th agent bears the name of the agent before it: `Agent 00499` is two people.
    let text = format!(
        "userId,email,name,weekDate,startDate,lengthMinutes\n\
         ,,Agent 00001,2026-12-07,2026-12-08T09:00,480\n\
         ,,Agent 00499,2026-12-07,2026-12-08T09:00,480\n\
         {},agent00002@pacer-emulator.example,,2026-12-07,2026-12-08T09:00,480\n\
         {},,Agent 00004,2026-12-07,2026-12-08T09:00,480\n",
        emu.agent(0),
        emu.agent(2)
    );
    let file = dir.write("names.csv", &text);
    let (code, stderr) = apply(&emu, &dir, &file);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("names.csv:3: name: `Agent 00499` is the name of 2 users ("),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "names.csv:4: email: the row's email agent00002@pacer-emulator.example (user {}) and its userId {} name different users",
            emu.agent(1),
            emu.agent(0)
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "names.csv:5: name: `Agent 00004` is not the name of the row's userId {}",
            emu.agent(2)
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("names.csv:2:"), "{stderr}");
    assert_eq!(emu.stats().uploads, 0);
}

#[test]
fn a_full_day_off_is_written_exported_and_applied_back_unchanged() {
    let emu = Emu::with_config(genesys(10));
    let dir = Dir::new("export-time-off");
    let agent = emu.agent(3);
    let text = format!(
        "userId,weekDate,shiftStart,shiftLengthMinutes,startDate,lengthMinutes,activityCodeId,description\n\
         {agent},2026-12-07,2026-12-08T09:00,480,2026-12-08T09:00,240,Work,\n\
         {agent},2026-12-07,2026-12-08T09:00,480,2026-12-08T13:00,240,Training,Onboarding\n\
         {agent},2026-12-07,,,2026-12-10,480,Time Off,Vacation\n"
    );
    let file = dir.write("time-off.csv", &text);
    let (code, stderr) = apply(&emu, &dir, &file);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 agents written"), "{stderr}");

    let exported = export(&emu, &dir, "week.csv");
    let rows: Vec<&str> = exported.lines().filter(|l| l.starts_with(&agent)).collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows[1].ends_with(",2026-12-08T13:00:00-05:00,240,Training,Onboarding"),
        "{rows:?}"
    );
    assert!(
        rows[2].ends_with(",,,2026-12-10,480,Time Off,Vacation"),
        "{rows:?}"
    );

    let file = dir.write("week.csv", &exported);
    let (code, stderr) = apply(&emu, &dir, &file);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(emu.stats().updates_started, 1, "{stderr}");
}

#[test]
fn an_exported_week_in_json_lines_applies_back_unchanged() {
    let emu = Emu::with_config(genesys(40));
    let dir = Dir::new("export-jsonl");
    let text = export(&emu, &dir, "week.jsonl");
    assert_eq!(text.lines().count(), 40);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(
        first["email"]
            .as_str()
            .unwrap()
            .ends_with("@pacer-emulator.example")
    );
    assert_eq!(first["schedule"]["weekDate"], "2026-12-07");
    assert_eq!(
        first["schedule"]["shifts"][0]["activities"][1]["activityCodeId"],
        "Break"
    );
    let file = dir.write("week.jsonl", &text);
    let (code, stderr) = apply(&emu, &dir, &file);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(emu.stats().uploads, 0, "{stderr}");
}
