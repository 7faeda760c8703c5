//! `pacer mirror` end to end: an organization's shape read without writing anything, into a
//! versioned file with its units (zones, start days), management units, members, activity codes,
//! published schedules and limits, and no personal data unless asked for.

use pacer_emulator::Overrides;

use crate::support::{Dir, Emu, genesys_config, pacer, run};

fn org() -> Emu {
    Emu::with_config(genesys_config(Overrides {
        agents: Some(2000),
        business_units: Some(3),
        org_rate: Some("600/min".parse().unwrap()),
        ..Overrides::default()
    }))
}

#[test]
fn a_mirror_reads_the_orgs_shape_and_writes_nothing() {
    let emu = org();
    let dir = Dir::new("mirror-shape");
    let out = dir.path("org.json");
    let args = ["mirror", "--output", out.to_str().unwrap()];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let stats = emu.stats();
    assert_eq!(
        (stats.writes_total, stats.uploads, stats.updates_started),
        (0, 0, 0)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("pacer-demo-secret"), "no secret");
    assert!(
        !text.contains("@pacer-emulator.example"),
        "no e-mail without --with-names"
    );
    let mirror: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(mirror["version"], 1);
    let units = mirror["businessUnits"].as_array().unwrap();
    let shape: Vec<(&str, &str, &str)> = units
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap(),
                u["timeZone"].as_str().unwrap(),
                u["startDayOfWeek"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("North", "America/New_York", "Monday"),
            ("South", "Europe/London", "Sunday"),
            ("East", "Australia/Sydney", "Monday")
        ]
    );
    let members: usize = units
        .iter()
        .flat_map(|u| u["managementUnits"].as_array().unwrap())
        .map(|m| m["members"].as_array().unwrap().len())
        .sum();
    assert_eq!(members, 2000);
    assert_eq!(mirror["users"].as_array().unwrap().len(), 2000);
    assert!(units[0]["activityCodes"].as_array().unwrap().len() >= 6);
    assert!(
        units[0]["schedules"][0]["agents"].is_null(),
        "no shifts unless asked"
    );
    let limits = mirror["limits"].as_array().unwrap();
    assert!(
        limits
            .iter()
            .any(|l| l["value"] == 600 && l["namespace"] == "platform.api"),
        "{limits:?}"
    );
}

/// `pacer mirror` of the emulator at `emu` into `name`, read back as JSON.
fn mirror_of(emu: &Emu, dir: &Dir, name: &str, extra: &[&str]) -> serde_json::Value {
    let out = dir.path(name);
    let args = [&["mirror", "--output", out.to_str().unwrap()][..], extra].concat();
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

/// The emulator serving the mirror `file`.
fn mirrored(file: &std::path::Path) -> Emu {
    Emu::with_config(genesys_config(Overrides {
        mirror: Some(file.to_path_buf()),
        ..Overrides::default()
    }))
}

#[test]
fn an_emulator_of_the_mirror_answers_every_route_the_mirror_reads_the_same() {
    let emu = org();
    let dir = Dir::new("mirror-twin");
    let first = mirror_of(
        &emu,
        &dir,
        "org.json",
        &["--with-schedules", "--with-names"],
    );
    let twin = mirrored(&dir.path("org.json"));
    let second = mirror_of(
        &twin,
        &dir,
        "twin.json",
        &["--with-schedules", "--with-names"],
    );
    for key in ["limits", "businessUnits", "users"] {
        assert_eq!(first[key], second[key], "{key} differs");
    }
}

#[test]
fn a_rehearsal_on_the_mirror_goes_first_and_a_file_it_refuses_writes_nothing() {
    let emu = org();
    let dir = Dir::new("mirror-rehearse");
    mirror_of(&emu, &dir, "org.json", &[]);
    let mirror = dir.path("org.json");
    // South starts its weeks on Sunday and holds agents 667 to 1333 of 2,000.
    let mut text = String::from("userId,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for i in 700..800 {
        text.push_str(&format!(
            "{},2026-12-06,2026-12-08T07:00,480,Work\n",
            emu.agent(i)
        ));
    }
    let good = dir.write("good.csv", &text);
    let args = [
        "apply",
        good.to_str().unwrap(),
        "--business-unit",
        "South",
        "--rehearse",
        mirror.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let rehearsal = stderr.find("rehearsal ended clean").expect(&stderr);
    let real = stderr.rfind("100 agents written").expect(&stderr);
    assert!(
        rehearsal < real,
        "the rehearsal first, then the real run: {stderr}"
    );
    assert_eq!(emu.stats().users_written, 100);

    // North's week is a Monday's: a row of South on a Monday is refused by the rehearsal.
    text.push_str(&format!(
        "{},2026-12-07,2026-12-08T07:00,480,Work\n",
        emu.agent(900)
    ));
    let bad = dir.write("bad.csv", &text);
    let before = emu.stats();
    let args = [
        "apply",
        bad.to_str().unwrap(),
        "--business-unit",
        "South",
        "--rehearse",
        mirror.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("rehearsal did not end clean"), "{stderr}");
    assert!(
        stderr.contains("nothing was sent to the real organization"),
        "{stderr}"
    );
    let after = emu.stats();
    assert_eq!(
        (after.uploads, after.writes_total, after.requests_total),
        (before.uploads, before.writes_total, before.requests_total),
        "the real organization saw nothing"
    );
}
