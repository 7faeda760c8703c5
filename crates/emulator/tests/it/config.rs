//! Configuration files and flags: bad input names file, line and key; impossible limits are refused.

use std::io::Write as _;

use pacer_emulator::{Config, EmulatorError, Overrides, Profile};

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pacer-emulator-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

#[test]
fn a_bad_config_file_names_file_line_and_key() {
    let path = temp_file(
        "bad.toml",
        "profile = \"seed\"\nagents = 10\n\n[[limiters]]\nkey = \"token\"\nalgorithm = \"token-bucket\"\nlimit = 300\nwindow = \"1m\"\nburst = 0\n",
    );
    let overrides = Overrides {
        config: Some(path.clone()),
        ..Overrides::default()
    };
    let err = Config::resolve(&overrides).unwrap_err();
    let EmulatorError::Config {
        file, line, key, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (file.as_str(), *line, key.as_str()),
        (path.display().to_string().as_str(), 9, "limiters[0].burst")
    );
    assert!(err.is_usage());
    assert!(
        err.to_string()
            .starts_with(&format!("{}:9: limiters[0].burst:", path.display())),
        "{err}"
    );
}

#[test]
fn unknown_keys_are_errors() {
    let (line, key, message) = file_error(
        "unknown.toml",
        "[responses]\nrate_limit_headers = \"none\"\nstyle = \"x\"\n",
    );
    assert_eq!((line, key.as_str()), (3, "responses.style"), "{message}");
}

/// The line, key and message of the error a file with `text` gives; it must be a usage error.
fn file_error(name: &str, text: &str) -> (usize, String, String) {
    let path = temp_file(name, text);
    let err = Config::from_file(&path, None).unwrap_err();
    assert!(err.is_usage());
    match err {
        EmulatorError::Config {
            line, key, message, ..
        } => (line, key, message),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_file_is_refused_as_bad_input() {
    let err = Config::from_file(std::path::Path::new("/nonexistent/pacer.toml"), None).unwrap_err();
    assert!(matches!(err, EmulatorError::ReadConfig { .. }));
    assert!(
        err.is_usage(),
        "the user named a file that cannot be read: exit 2"
    );
    assert!(err.to_string().contains("/nonexistent/pacer.toml"));
}

#[test]
fn zero_burst_and_zero_window_are_refused() {
    let burst = Overrides {
        burst: Some(0),
        ..Overrides::default()
    };
    assert!(Config::resolve(&burst).unwrap_err().is_usage());
    let window = "5/0s".parse::<pacer_emulator::Rate>();
    assert!(
        window.is_err(),
        "a zero window cannot even be written as a rate"
    );
    let path = temp_file(
        "window.toml",
        "[[limiters]]\nkey = \"k\"\nalgorithm = \"fixed-window\"\nlimit = 5\nwindow = \"0s\"\n",
    );
    let err = Config::from_file(&path, None).unwrap_err();
    assert!(
        matches!(&err, EmulatorError::Config { line: 5, key, .. } if key == "limiters[0].window"),
        "{err:?}"
    );
}

#[test]
fn flags_win_over_the_file_and_the_file_over_the_profile() {
    let path = temp_file(
        "layers.toml",
        "profile = \"seed\"\nagents = 7\n[faults]\nlatency = \"1ms..2ms\"\n",
    );
    let overrides = Overrides {
        config: Some(path),
        agents: Some(9),
        token_rate: Some("60/min".parse().unwrap()),
        ..Overrides::default()
    };
    let config = Config::resolve(&overrides).unwrap();
    assert_eq!(config.profile, Profile::Seed);
    assert_eq!(config.agents, 9);
    assert_eq!(config.limiters[0].spec.limit, 60);
    assert_eq!(
        config.limiters[0].spec.burst, 10,
        "a token bucket keeps its burst"
    );
    assert_eq!(config.faults.latency.to_string(), "1ms..2ms");
    let profile_flag = Overrides {
        config: overrides.config.clone(),
        profile: Some(Profile::Genesys),
        ..Overrides::default()
    };
    assert_eq!(
        Config::resolve(&profile_flag).unwrap().profile,
        Profile::Genesys
    );
}

#[test]
fn a_units_unknown_zone_day_or_name_is_refused_with_its_key() {
    let units = |body: &str| format!("[wfm]\nbusiness_units = 2\n\n[[wfm.units]]\n{body}");
    let cases = [
        (
            "name = \"South\"\ntime_zone = \"Mars/Olympus_Mons\"\n",
            6,
            "wfm.units[0].time_zone",
            "Mars/Olympus_Mons",
        ),
        (
            "start_day = \"Funday\"\n",
            5,
            "wfm.units[0].start_day",
            "Funday",
        ),
        (
            "name = \"Nowhere\"\ntime_zone = \"Asia/Tokyo\"\n",
            5,
            "wfm.units[0].name",
            "no business unit is named `Nowhere`",
        ),
    ];
    for (i, (body, at, wanted, says)) in cases.into_iter().enumerate() {
        let (line, key, message) = file_error(&format!("units-{i}.toml"), &units(body));
        assert_eq!((line, key.as_str()), (at, wanted), "{message}");
        assert!(message.contains(says), "{message}");
    }
}

#[test]
fn the_seed_profile_keeps_utc_and_a_file_keeps_the_profiles_zones() {
    let path = temp_file(
        "seed-wfm.toml",
        "profile = \"seed\"\n[wfm]\nbusiness_units = 3\n",
    );
    let config = Config::from_file(&path, None).unwrap();
    let units = config.wfm.unit_settings().unwrap();
    let zones: Vec<&str> = units.iter().map(|u| u.zone.name()).collect();
    assert_eq!(zones, ["Etc/UTC", "America/Phoenix", "Asia/Kolkata"]);
    let genesys = Config::profile(Profile::Genesys);
    let units = genesys.wfm.unit_settings().unwrap();
    assert_eq!(units[0].zone.name(), "America/New_York");
}
