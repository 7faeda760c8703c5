//! Several business units in one `pacer apply`: each agent written through its own unit's
//! schedule update, every unit checked before anything is sent, one report with a section each.

use std::time::Duration;

use pacer_emulator::Overrides;

use crate::support::{Dir, Emu, genesys_config, pacer, run};

fn three_units(processing: Duration) -> Emu {
    Emu::with_config(genesys_config(Overrides {
        agents: Some(1500),
        business_units: Some(3),
        bulk_processing: Some(processing),
        ..Overrides::default()
    }))
}

/// One shift for each of the 1,500 agents in its unit's week: North (New York) and East (Sydney)
/// start their weeks on Monday, South (London) on Sunday. Wall-clock times, each unit's own.
fn input(emu: &Emu, stranger: Option<&str>) -> String {
    let mut text = String::from("userId,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for i in 0..1500 {
        let week = if (500..1000).contains(&i) {
            "2026-12-06"
        } else {
            "2026-12-07"
        };
        text.push_str(&format!(
            "{},{week},2026-12-08T07:00,480,Work\n",
            emu.agent(i)
        ));
    }
    if let Some(id) = stranger {
        text.push_str(&format!("{id},2026-12-07,2026-12-08T07:00,480,Work\n"));
    }
    text
}

#[test]
fn three_units_are_written_side_by_side_in_one_run_with_a_report_section_each() {
    let emu = three_units(Duration::from_millis(500));
    let dir = Dir::new("units-three");
    let file = dir.write("in.csv", &input(&emu, None));
    let report = dir.path("report.json");
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--business-unit",
        "North",
        "--business-unit",
        "South",
        "--business-unit",
        "East",
        "--report",
        report.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let stats = emu.stats();
    assert_eq!((stats.users_written, stats.max_writes_per_user), (1500, 1));
    assert_eq!(stats.updates_started, 3);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let bulk = &report["bulk"];
    assert_eq!(bulk["agents_written"], 1500);
    assert_eq!(
        bulk["business_units"],
        serde_json::json!(["North", "South", "East"])
    );
    let sections = bulk["units"].as_array().unwrap();
    assert_eq!(sections.len(), 3);
    assert_eq!(sections[1]["time_zone"], "Europe/London");
    assert_eq!(sections[1]["agents_written"], 500);
    assert_eq!(report["items_succeeded"], 1500);
}

#[test]
fn an_agent_of_none_of_the_units_is_refused_before_anything_is_sent() {
    let emu = three_units(Duration::from_millis(100));
    let dir = Dir::new("units-stranger");
    let stranger = "00000000-0000-4000-8000-000000000001";
    let file = dir.write("in.csv", &input(&emu, Some(stranger)));
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--business-unit",
        "North",
        "--business-unit",
        "South",
        "--business-unit",
        "East",
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "in.csv:1502: userId: {stranger} is an agent of none of the business units North, South, East"
        )),
        "{stderr}"
    );
    assert_eq!(emu.stats().uploads, 0);
}

#[test]
fn a_run_over_three_units_is_undone_unit_by_unit_in_one_undo() {
    let emu = three_units(Duration::from_millis(100));
    let dir = Dir::new("units-undo");
    let file = dir.write("in.csv", &input(&emu, None));
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--business-unit",
        "North",
        "--business-unit",
        "South",
        "--business-unit",
        "East",
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let journal = dir.path("in.csv.pacer.sqlite");
    let undo = ["undo", "--journal", journal.to_str().unwrap()];
    let (code, _, stderr) = run(pacer(&emu.base, &undo), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let stats = emu.stats();
    assert_eq!(stats.updates_started, 6, "{stderr}");
    assert_eq!(
        stats.max_writes_per_user, 2,
        "every agent written, then put back"
    );
    // Put back as it was: applying the run's file again writes every agent anew.
    let (code, _, stderr) = run(
        pacer(&emu.base, &[&args[..], &["--restart"]].concat()),
        &dir.0,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(emu.stats().updates_started, 9, "{stderr}");
}
