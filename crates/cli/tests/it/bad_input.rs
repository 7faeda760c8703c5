//! Every bad input of `pacer apply` gets a clear message naming the file, line and field, exit 2,
//! and nothing is sent.

use pacer_emulator::Profile;

use crate::support::{Dir, Emu, SCHEDULE, csv_for, pacer, run};

/// Runs `apply` on `input` and checks that it exits 2 and sent nothing; returns stderr.
fn refused(name: &str, input: &str) -> String {
    let emu = Emu::start(Profile::Seed, 10);
    let dir = Dir::new(name);
    let file = if input.starts_with('{') {
        dir.write("in.jsonl", input)
    } else {
        dir.write("in.csv", input)
    };
    let (code, _, stderr) = run(pacer(&emu.base, &["apply", file.to_str().unwrap()]), &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(emu.stats().writes_total, 0, "{stderr}");
    assert_eq!(
        emu.stats().requests_total,
        0,
        "nothing is sent, not even a token request: {stderr}"
    );
    stderr
}

#[test]
fn missing_file() {
    let emu = Emu::start(Profile::Seed, 1);
    let dir = Dir::new("missing");
    let (code, _, stderr) = run(
        pacer(
            &emu.base,
            &["apply", dir.path("nope.csv").to_str().unwrap()],
        ),
        &dir.0,
    );
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @r"
    pacer: error: cannot read [DIR]/nope.csv
      caused by: No such file or directory (os error 2)
    ");
}

#[test]
fn empty_file() {
    insta::assert_snapshot!(refused("empty", ""));
}

#[test]
fn header_without_user_id() {
    insta::assert_snapshot!(refused("header", "agent,schedule\nx,{}\n"));
}

#[test]
fn bad_json_in_a_cell() {
    let emu = Emu::start(Profile::Seed, 2);
    let text = format!("userId,schedule\n{},\"{{not json\"\n", emu.agent(0));
    drop(emu);
    insta::assert_snapshot!(refused("cell", &text));
}

#[test]
fn bad_json_line() {
    let text =
        "{\"userId\": \"00000000-0000-4000-8000-000000000001\", \"schedule\": {\"weekDate\": }\n";
    insta::assert_snapshot!(refused("line", text));
}

#[test]
fn bad_date() {
    let bad = SCHEDULE.replace(
        "2026-12-07T08:00:00Z\",\"lengthMinutes\":480,\"activities\"",
        "2026-13-07T08:00:00Z\",\"lengthMinutes\":480,\"activities\"",
    );
    let text =
        format!("{{\"userId\":\"00000000-0000-4000-8000-000000000001\",\"schedule\":{bad}}}\n");
    insta::assert_snapshot!(refused("date", &text));
}

#[test]
fn duplicate_agent() {
    let agent = "00000000-0000-4000-8000-000000000001".to_string();
    insta::assert_snapshot!(refused("duplicate", &csv_for(&[agent.clone(), agent])));
}

#[test]
fn row_with_extra_columns() {
    let mut text = csv_for(&["00000000-0000-4000-8000-000000000001".to_string()]);
    text.push_str("00000000-0000-4000-8000-000000000002,\"{}\",extra\n");
    insta::assert_snapshot!(refused("extra", &text));
}

#[test]
fn wrong_credentials_are_one_clear_line_and_nothing_is_sent() {
    let emu = Emu::start(Profile::Seed, 2);
    let dir = Dir::new("credentials");
    let file = dir.write("in.csv", &csv_for(&[emu.agent(0)]));
    let mut command = pacer(&emu.base, &["apply", file.to_str().unwrap()]);
    command.env("GENESYSCLOUD_OAUTHCLIENT_SECRET", "wrong-secret");
    let (code, _, stderr) = run(command, &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(emu.stats().writes_total, 0);
    assert!(
        !stderr.contains("wrong-secret"),
        "the secret leaked: {stderr}"
    );
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("pacer: error"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("refused the OAuth client"), "{stderr}");
}

#[test]
fn unreachable_api() {
    let dir = Dir::new("unreachable");
    let file = dir.write(
        "in.csv",
        &csv_for(&["00000000-0000-4000-8000-000000000001".to_string()]),
    );
    // Port 9 on loopback (discard) is closed here: the connection is refused at once.
    let (code, _, stderr) = run(
        pacer("http://127.0.0.1:9", &["apply", file.to_str().unwrap()]),
        &dir.0,
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(stderr.contains("127.0.0.1:9"), "{stderr}");
}

#[test]
fn journal_from_another_input_is_refused_unless_restart() {
    let emu = Emu::start(Profile::Seed, 4);
    let dir = Dir::new("journal");
    let journal = dir.path("run.sqlite");
    let first = dir.write("a.csv", &csv_for(&[emu.agent(0)]));
    let second = dir.write("b.csv", &csv_for(&[emu.agent(1)]));
    let args = |input: &std::path::Path| {
        vec![
            "apply".to_string(),
            input.display().to_string(),
            "--journal".into(),
            journal.display().to_string(),
        ]
    };
    let a = args(&first);
    let (code, _, stderr) = run(
        pacer(&emu.base, &a.iter().map(String::as_str).collect::<Vec<_>>()),
        &dir.0,
    );
    assert_eq!(code, 0, "{stderr}");
    let b = args(&second);
    let (code, _, stderr) = run(
        pacer(&emu.base, &b.iter().map(String::as_str).collect::<Vec<_>>()),
        &dir.0,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--restart"), "{stderr}");
    assert_eq!(emu.stats().users_written, 1);
    let mut b = b.clone();
    b.push("--restart".into());
    let (code, _, stderr) = run(
        pacer(&emu.base, &b.iter().map(String::as_str).collect::<Vec<_>>()),
        &dir.0,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(emu.stats().users_written, 2);
}

#[test]
fn a_journal_in_use_by_another_run_is_refused_and_nothing_is_sent() {
    let emu = Emu::start(Profile::Seed, 2);
    let dir = Dir::new("in-use");
    let journal = dir.path("run.sqlite");
    let input = dir.write("a.csv", &csv_for(&[emu.agent(0)]));
    let args = [
        "apply".to_string(),
        input.display().to_string(),
        "--journal".into(),
        journal.display().to_string(),
        "--restart".into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    // Another run holds the journal (its lock, as a running apply holds it).
    let held = std::fs::File::open(&journal).unwrap();
    held.lock().unwrap();
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("in use by another run"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert_eq!(emu.stats().writes_total, 1);
    drop(held);
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(emu.stats().writes_total, 2);
}

#[test]
fn emulate_refuses_impossible_limits_and_malformed_config_with_exit_2() {
    let dir = Dir::new("emulate");
    let run_emulate = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_pacer"))
            .arg("emulate")
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).replace(&dir.0.display().to_string(), "[DIR]"),
        )
    };
    let (code, stderr) = run_emulate(&["--burst", "0", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("burst"), "{stderr}");
    let (code, stderr) = run_emulate(&["--token-rate", "5/0s", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2), "{stderr}");
    let config = dir.write(
        "emu.toml",
        "profile = \"seed\"\n\n[faults]\nlatncy = \"20ms\"\n",
    );
    let (code, stderr) = run_emulate(&[
        "--config",
        config.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("[DIR]/emu.toml:4"),
        "the file and line are named: {stderr}"
    );
    assert!(stderr.contains("latncy"), "the key is named: {stderr}");
    let (code, stderr) = run_emulate(&["--no-such-flag"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn help_lists_every_command() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pacer"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}
