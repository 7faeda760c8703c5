//! A schedule update the server refuses with a bare `Error` (as the real API does, naming no
//! agent), narrowed down end to end: with 3 of 1,500 agents refused, the run writes the other
//! 1,497, names the 3 with their lines, and exits 3; a kill during the search and a rerun finish
//! it without the search starting over.

use std::time::Duration;

use pacer_emulator::Overrides;

use crate::support::{Dir, Emu, genesys_config, pacer, run};

fn genesys(agents: u32) -> Emu {
    let mut config = genesys_config(Overrides {
        agents: Some(agents),
        bulk_processing: Some(Duration::from_millis(20)),
        no_limits: true,
        ..Overrides::default()
    });
    config.wfm.per_agent_processing = Duration::ZERO;
    Emu::with_config(config)
}

/// A JSON POST to one of the emulator's test routes; the answer's status line.
fn post_json(base: &str, path: &str, body: &str) -> String {
    use std::io::{Read as _, Write as _};
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or_default().to_string()
}

const REFUSED: [u32; 3] = [10, 700, 1403];

fn refusing(emu: &Emu) {
    let ids: Vec<String> = REFUSED
        .iter()
        .map(|&i| format!("\"{}\"", emu.agent(i)))
        .collect();
    let body = format!("{{\"userIds\": [{}]}}", ids.join(","));
    let status = post_json(&emu.base, "/__emulator/wfm/refuse", &body);
    assert!(status.contains("200"), "{status}");
}

fn input(emu: &Emu, dir: &Dir) -> std::path::PathBuf {
    let mut text = String::from("userId,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for i in 0..1500 {
        text.push_str(&format!(
            "{},2026-12-07,2026-12-08T07:00,480,Work\n",
            emu.agent(i)
        ));
    }
    dir.write("in.csv", &text)
}

fn assert_narrowed(emu: &Emu, stderr: &str) {
    let stats = emu.stats();
    assert_eq!(stats.users_written, 1497, "{stderr}");
    assert_eq!(stats.max_writes_per_user, 1, "{stderr}");
    for i in REFUSED {
        let agent = emu.agent(i);
        assert!(
            stderr.contains(&format!(
                "in.csv:{}: {agent} failed: the server refuses",
                i + 2
            )),
            "agent {i} named with its line: {stderr}"
        );
    }
}

#[test]
fn three_refused_agents_of_1500_are_named_and_the_other_1497_written() {
    let emu = genesys(1500);
    refusing(&emu);
    let dir = Dir::new("narrow-1500");
    let file = input(&emu, &dir);
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--business-unit",
        "North",
        "--max-agents-per-update",
        "1500",
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 3, "{stderr}");
    assert_narrowed(&emu, &stderr);
    let updates = emu.stats().updates_started;
    assert!(updates <= 70, "{updates} updates");
    println!("3 refused of 1,500: {updates} updates");
}

#[test]
fn a_narrowing_killed_midway_resumes_without_starting_over() {
    use std::os::unix::process::ExitStatusExt as _;
    let emu = genesys(1500);
    refusing(&emu);
    let dir = Dir::new("narrow-kill");
    let file = input(&emu, &dir);
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--business-unit",
        "North",
        "--max-agents-per-update",
        "1500",
    ];
    let status = pacer(&emu.base, &args)
        .env(pacer_crashpoint::ENV, "bulk.upload@12")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(9), "{status}");
    let before = emu.stats().updates_started;
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 3, "{stderr}");
    assert_narrowed(&emu, &stderr);
    let after = emu.stats().updates_started - before;
    // Uninterrupted, the search takes 40 updates: the rerun went on from the journaled refusals
    // instead of starting over (which would take 40 more), and sent no refused set again.
    assert!(
        before > 0 && before + after <= 41,
        "{before} updates before the kill, {after} after"
    );
}
