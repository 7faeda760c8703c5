//! `pacer mirror` end to end: an organization's shape read without writing anything, into a
//! versioned file with its units (zones, start days), management units, members, activity codes,
//! published schedules and limits, and no personal data unless asked for.

use pacer_emulator::{Config, Overrides, Profile};

use crate::support::{Dir, Emu, pacer, run};

fn org() -> Emu {
    let mut config = Config::profile(Profile::Genesys);
    Overrides {
        agents: Some(2000),
        business_units: Some(3),
        org_rate: Some("600/min".parse().unwrap()),
        today: Some("2026-12-09".into()),
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    Emu::with_config(config)
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
