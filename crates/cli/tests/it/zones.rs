//! Business units in real time zones, end to end on the genesys profile: North keeps New York's
//! time, so its weeks run from local midnight to local midnight (169 hours across the autumn
//! change), wall-clock rows are read in New York, and a time New York skips is refused by line.

use std::time::Duration;

use pacer_emulator::{Config, Overrides, Profile};

use crate::support::{Dir, Emu, pacer, run};

fn genesys(today: &str) -> Emu {
    let mut config = Config::profile(Profile::Genesys);
    Overrides {
        agents: Some(20),
        today: Some(today.into()),
        bulk_processing: Some(Duration::from_millis(100)),
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    Emu::with_config(config)
}

/// A shift-per-row CSV of the week of `week`: (agent, start) pairs, an hour each.
fn rows(emu: &Emu, week: &str, shifts: &[(u32, &str)]) -> String {
    let mut text = String::from("userId,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for (agent, start) in shifts {
        text.push_str(&format!("{},{week},{start},60,Work\n", emu.agent(*agent)));
    }
    text
}

#[test]
fn north_weeks_end_at_new_york_midnights_across_the_autumn_change() {
    let emu = genesys("2026-10-27");
    let dir = Dir::new("zones-autumn");
    let apply = |file: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["apply", file.to_str().unwrap(), "--business-unit", "North"];
        args.extend_from_slice(extra);
        run(pacer(&emu.base, &args), &dir.0)
    };

    // A minute outside either bound: refused by line, nothing uploaded.
    let outside = dir.write(
        "outside.csv",
        &rows(
            &emu,
            "2026-10-26",
            &[(0, "2026-10-26T03:59:00Z"), (1, "2026-11-02T05:01:00Z")],
        ),
    );
    let (code, _, stderr) = apply(&outside, &[]);
    assert_eq!(code, 2, "{stderr}");
    for (line, start) in [
        (2, "2026-10-25T23:59:00-04:00"),
        (3, "2026-11-02T00:01:00-05:00"),
    ] {
        assert!(
            stderr.contains(&format!(
                "[DIR]/outside.csv:{line}: startDate: {start} is outside the week of 2026-10-26 \
                 (from 2026-10-26T00:00:00-04:00 to 2026-11-02T00:00:00-05:00, America/New_York)"
            )),
            "{stderr}"
        );
    }
    assert_eq!(emu.stats().uploads, 0);

    // Half an hour inside either bound, and wall-clock rows on both sides of the change.
    let inside = dir.write(
        "inside.csv",
        &rows(
            &emu,
            "2026-10-26",
            &[
                (0, "2026-10-26T04:30:00Z"),
                (1, "2026-11-02T04:30:00Z"),
                (2, "2026-11-01T09:00"),
                (3, "2026-10-31 09:00"),
            ],
        ),
    );
    let (code, _, stderr) = apply(&inside, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(emu.stats().users_written, 4);

    // The server holds 09:00 in New York as 14:00Z after the change and 13:00Z before it: the
    // same shifts written as instants are found unchanged.
    let instants = dir.write(
        "instants.csv",
        &rows(
            &emu,
            "2026-10-26",
            &[(2, "2026-11-01T14:00:00Z"), (3, "2026-10-31T13:00:00Z")],
        ),
    );
    let (code, _, stderr) = apply(&instants, &["--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("0 added, 0 changed, 2 unchanged"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "week of 2026-10-26 (2026-10-26T00:00:00-04:00 to 2026-11-02T00:00:00-05:00)"
        ),
        "{stderr}"
    );
}

#[test]
fn the_repeated_hour_needs_a_choice_and_gets_the_one_given() {
    let emu = genesys("2026-10-27");
    let dir = Dir::new("zones-fold");
    let file = dir.write(
        "fold.csv",
        &rows(&emu, "2026-10-26", &[(0, "2026-11-01T01:30")]),
    );
    let apply = |extra: &[&str]| {
        let mut args = vec!["apply", file.to_str().unwrap(), "--business-unit", "North"];
        args.extend_from_slice(extra);
        run(pacer(&emu.base, &args), &dir.0)
    };
    let (code, _, stderr) = apply(&[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "[DIR]/fold.csv:2: startDate: 2026-11-01T01:30 happens twice in America/New_York"
        ),
        "{stderr}"
    );
    assert_eq!(emu.stats().uploads, 0);

    let (code, _, stderr) = apply(&["--ambiguous", "later", "--restart"]);
    assert_eq!(code, 0, "{stderr}");
    let later = dir.write(
        "later.csv",
        &rows(&emu, "2026-10-26", &[(0, "2026-11-01T06:30:00Z")]),
    );
    let (code, _, stderr) = run(
        pacer(
            &emu.base,
            &[
                "apply",
                later.to_str().unwrap(),
                "--business-unit",
                "North",
                "--dry-run",
            ],
        ),
        &dir.0,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("0 added, 0 changed, 1 unchanged"),
        "{stderr}"
    );
}

#[test]
fn a_time_new_york_skips_is_a_finding_naming_its_line_and_nothing_is_sent() {
    let emu = genesys("2027-03-09");
    let dir = Dir::new("zones-spring");
    let file = dir.write(
        "gap.csv",
        &rows(
            &emu,
            "2027-03-08",
            &[(0, "2027-03-09T09:00"), (1, "2027-03-14T02:30")],
        ),
    );
    let args = ["apply", file.to_str().unwrap(), "--business-unit", "North"];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "[DIR]/gap.csv:3: startDate: 2027-03-14T02:30 does not exist in America/New_York"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 finding against business unit North; nothing was sent"),
        "{stderr}"
    );
    let stats = emu.stats();
    assert_eq!((stats.uploads, stats.writes_total), (0, 0));
}
