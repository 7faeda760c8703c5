//! `pacer apply` end to end: every agent written once, resume, reports.

use pacer_emulator::Profile;

use crate::support::{Dir, Emu, csv_for, pacer, run};

#[test]
fn writes_every_agent_once_and_a_rerun_sends_nothing() {
    let emu = Emu::start(Profile::Seed, 20);
    let dir = Dir::new("once");
    let agents: Vec<String> = (0..8).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &csv_for(&agents));
    let report = dir.path("report.json");
    let jtl = dir.path("run.jtl");
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--jtl",
        jtl.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let stats = emu.stats();
    assert_eq!(stats.users_written, 8);
    assert_eq!(stats.max_writes_per_user, 1);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["items_total"], 8);
    assert_eq!(report["items_succeeded"], 8);
    assert_eq!(report["items_failed"], 0);
    assert_eq!(report["tokens_minted"], 1);
    let lines = std::fs::read_to_string(&jtl).unwrap();
    assert!(
        lines.starts_with("timeStamp,elapsed,label,responseCode"),
        "{lines}"
    );
    assert_eq!(
        lines.lines().count() as u64,
        1 + report["requests_sent"].as_u64().unwrap()
    );

    // `pacer status` reads the journal: finished, 8 done.
    let mut status = std::process::Command::new(env!("CARGO_BIN_EXE_pacer"));
    status.args([
        "status",
        "--journal",
        dir.path("in.csv.pacer.sqlite").to_str().unwrap(),
    ]);
    let (code, stdout, _) = run(status, &dir.0);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains(": finished"), "{stdout}");
    assert!(stdout.contains("8 items: 8 done, 0 failed"), "{stdout}");

    // The same command again: the journal says everything is done, nothing is sent.
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("resuming"), "{stderr}");
    assert_eq!(emu.stats().writes_total, 8);
}

#[test]
fn secrets_and_tokens_stay_out_of_every_output_of_both_paths() {
    let emu = Emu::with_config({
        let mut config = pacer_emulator::Config::profile(Profile::Seed);
        pacer_emulator::Overrides {
            agents: Some(4),
            bulk_processing: Some(std::time::Duration::from_millis(100)),
            ..pacer_emulator::Overrides::default()
        }
        .apply(&mut config)
        .unwrap();
        config
    });
    let dir = Dir::new("secrets");
    let per_agent = dir.write("in.csv", &csv_for(&[emu.agent(0), emu.agent(1)]));
    let week = pacer_genesys::datetime::week_start(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            / 86_400,
        0,
    );
    let monday = pacer_genesys::datetime::format_days(week);
    let tuesday = pacer_genesys::datetime::format_days(week + 1);
    let bulk = dir.write(
        "week.csv",
        &format!(
            "userId,weekDate,startDate,lengthMinutes\n{},{monday},{tuesday}T09:00:00Z,60\n",
            emu.agent(2)
        ),
    );
    let mut texts: Vec<(String, String)> = Vec::new();
    for (name, file, extra) in [
        ("per-agent", &per_agent, vec![]),
        ("bulk", &bulk, vec!["--business-unit", "North"]),
    ] {
        let out = |what: &str| dir.path(&format!("{name}.{what}"));
        let mut args = vec![
            "apply".to_string(),
            file.to_str().unwrap().into(),
            "--json".into(),
        ];
        for (flag, what) in [
            ("--report", "json"),
            ("--jtl", "jtl"),
            ("--html", "html"),
            ("--metrics", "prom"),
        ] {
            args.push(flag.into());
            args.push(out(what).to_str().unwrap().into());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // pacer has no log levels; RUST_LOG is set in case a dependency ever reads it.
        let mut command = pacer(&emu.base, &args);
        command.env("RUST_LOG", "trace");
        let (code, stdout, stderr) = run(command, &dir.0);
        assert_eq!(code, 0, "{name}: {stderr}");
        texts.push((format!("{name} stdout"), stdout));
        texts.push((format!("{name} stderr"), stderr));
        for what in ["json", "jtl", "html", "prom"] {
            texts.push((
                format!("{name} {what}"),
                std::fs::read_to_string(out(what)).unwrap(),
            ));
        }
        let journal = dir.path(&format!(
            "{}.pacer.sqlite",
            file.file_name().unwrap().to_str().unwrap()
        ));
        texts.push((
            format!("{name} journal"),
            String::from_utf8_lossy(&std::fs::read(journal).unwrap()).into_owned(),
        ));
    }
    let tokens = emu.state.minted_tokens();
    assert!(tokens.len() >= 2, "each run minted a token");
    for (name, text) in &texts {
        assert!(
            !text.contains("pacer-demo-secret"),
            "the secret is in the {name}"
        );
        for token in &tokens {
            assert!(
                !text.contains(token.as_str()),
                "a bearer token is in the {name}"
            );
        }
    }
}

#[test]
fn a_deadline_the_limits_cannot_meet_aborts_before_any_write() {
    let emu = Emu::start(Profile::Seed, 40);
    let dir = Dir::new("deadline");
    let agents: Vec<String> = (0..40).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &csv_for(&agents));
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--deadline",
        "2s",
        "--deadline-policy",
        "abort",
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("deadline cannot be met"), "{stderr}");
    assert!(stderr.contains("plan: 40 items need at least"), "{stderr}");
    assert_eq!(emu.stats().writes_total, 0, "{stderr}");
}

/// Killed with SIGKILL in the middle of a run, a rerun of the same command finishes the job:
/// every agent written, none twice except those in flight at the kill.
#[test]
fn a_run_killed_with_sigkill_is_finished_by_a_rerun() {
    let mut config = pacer_emulator::Config::profile(Profile::Seed);
    config.agents = 300;
    // 50 writes a second, so that the run lasts a few seconds and the kill lands in its middle.
    config.token_limiter_mut().unwrap().spec.limit = 3000;
    let emu = Emu::with_config(config);
    let dir = Dir::new("sigkill");
    let agents: Vec<String> = (0..200).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &csv_for(&agents));
    let args = ["apply", file.to_str().unwrap()];
    let mut child = pacer(&emu.base, &args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded: 20 s) until part of the work is done, then kill without warning.
    for _ in 0..2_000 {
        if emu.stats().writes_total >= 40 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = emu.stats().writes_total;
    assert!(
        (40..200).contains(&before),
        "the kill landed at {before} writes"
    );

    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("resuming"), "{stderr}");
    let stats = emu.stats();
    assert_eq!(stats.users_written, 200, "{stderr}");
    assert!(stats.max_writes_per_user <= 2, "{stderr}");
    // Only the requests in flight at the kill may have been written twice.
    let doubled = stats.writes_total - 200;
    eprintln!("killed at {before} writes; {doubled} written twice; {stderr}");
    assert!(doubled <= 64, "{doubled} agents written twice: {stderr}");
}

#[test]
fn thresholds_judge_the_run_and_a_failed_one_exits_6() {
    let emu = Emu::start(Profile::Seed, 20);
    let dir = Dir::new("thresholds");
    let agents: Vec<String> = (0..5).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &csv_for(&agents));
    let report = dir.path("report.json");
    let metrics = dir.path("run.prom");
    let passing = [
        "apply",
        file.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--metrics",
        metrics.to_str().unwrap(),
        "--threshold",
        "failed==0",
        "--threshold",
        "p99_latency<30s",
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &passing), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("threshold failed==0 passed: 0"), "{stderr}");
    assert!(stderr.contains("latency p50"), "{stderr}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["thresholds"][1]["passed"], true);
    assert!(written["latency"]["p99_s"].as_f64().unwrap() > 0.0);
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(text.contains("pacer_requests_total 5\n"), "{text}");

    let failing = [
        "apply",
        file.to_str().unwrap(),
        "--restart",
        "--threshold",
        "requests<2",
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &failing), &dir.0);
    assert_eq!(code, 6, "{stderr}");
    assert!(
        stderr.contains("threshold requests<2 FAILED: 5"),
        "{stderr}"
    );

    let unknown = ["apply", file.to_str().unwrap(), "--threshold", "speed>1"];
    let (code, _, stderr) = run(pacer(&emu.base, &unknown), &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`speed` is not a metric (known: elapsed"),
        "{stderr}"
    );
}
