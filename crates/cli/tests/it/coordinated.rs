//! Several `pacer apply` runners sharing one queue and one budget through a real redis-server:
//! four runners against an organization-wide limit, a runner killed mid-run, Redis stopped and
//! started again mid-run, and the refusals before anything is sent.

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, Stdio};

use pacer_coord::LocalRedis;
use pacer_emulator::{Config, Overrides, Profile};

use crate::support::{Dir, Emu, csv_for, pacer, run};

/// An emulator of the seed route (300/min per token) with an organization-wide limit above it.
fn emulator(agents: u32, org_rate: &str) -> Emu {
    emulator_with(agents, org_rate, "300/min")
}

fn emulator_with(agents: u32, org_rate: &str, token_rate: &str) -> Emu {
    let mut config = Config::profile(Profile::Seed);
    Overrides {
        agents: Some(agents),
        org_rate: Some(org_rate.parse().unwrap()),
        token_rate: Some(token_rate.parse().unwrap()),
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    Emu::with_config(config)
}

fn input(dir: &Dir, emu: &Emu, agents: u32) -> std::path::PathBuf {
    let ids: Vec<String> = (0..agents).map(|i| emu.agent(i)).collect();
    dir.write("in.csv", &csv_for(&ids))
}

/// The command of runner `name` of run `run`, with a lease of 2 s.
fn runner_command(
    emu: &Emu,
    redis: &LocalRedis,
    file: &std::path::Path,
    run: &str,
    name: &str,
) -> std::process::Command {
    let url = redis.url();
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--coordinator",
        &url,
        "--run",
        run,
        "--runner",
        name,
        "--lease",
        "2s",
    ];
    pacer(&emu.base, &args)
}

/// Starts runner `name` of run `run`, with its events on standard output.
fn runner(emu: &Emu, redis: &LocalRedis, file: &std::path::Path, run: &str, name: &str) -> Child {
    runner_command(emu, redis, file, run, name)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for a runner; its exit code and everything it printed.
fn finished(child: Child) -> (i32, String) {
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn four_runners_share_the_org_limit_and_write_every_agent_once() {
    let emu = emulator(200, "1200/min");
    let dir = Dir::new("coord-four");
    let redis = LocalRedis::start(&dir.path("redis")).unwrap();
    let file = input(&dir, &emu, 200);
    let started = std::time::Instant::now();
    let children: Vec<Child> = (1..=4)
        .map(|i| runner(&emu, &redis, &file, "four", &format!("r{i}")))
        .collect();
    for child in children {
        let (code, text) = finished(child);
        assert_eq!(code, 0, "{text}");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stats = emu.stats();
    assert_eq!((stats.users_written, stats.max_writes_per_user), (200, 1));
    let throttled = stats.responses_by_status.get("429").copied().unwrap_or(0);
    assert!(
        throttled * 100 <= stats.requests_total,
        "{throttled} 429s of {} requests",
        stats.requests_total
    );
    // The org limit is a fixed window of 1,200 a minute: all 200 fit in its first window, so the
    // four tokens (300 a minute each, a burst of 10) bound the run: 8 s at best.
    assert!(
        elapsed >= 7.5,
        "faster than the four tokens allow: {elapsed:.1} s"
    );

    let mut status = std::process::Command::new(env!("CARGO_BIN_EXE_pacer"));
    status.args(["status", "--coordinator", &redis.url(), "--run", "four"]);
    let (code, stdout, _) = run(status, &dir.0);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("200 items: 200 done, 0 failed"), "{stdout}");
    assert!(
        stdout.contains("org.api.rate.per.minute 1200/60s declared"),
        "{stdout}"
    );
    for i in 1..=4 {
        assert!(stdout.contains(&format!("r{i} ")), "{stdout}");
    }
}

#[test]
fn a_killed_runners_items_are_finished_by_the_others_after_its_lease() {
    // The organization's limit binds, not each runner's token.
    let emu = emulator_with(150, "3000/min", "6000/min");
    let dir = Dir::new("coord-kill");
    let redis = LocalRedis::start(&dir.path("redis")).unwrap();
    let file = input(&dir, &emu, 150);
    let started = std::time::Instant::now();
    let survivor = runner(&emu, &redis, &file, "kill", "survivor");
    // The other runner dies by SIGKILL as its 20th request is about to leave.
    let mut command = runner_command(&emu, &redis, &file, "kill", "killed");
    command.env(pacer_crashpoint::ENV, "request@20");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let killed = command.status().unwrap();
    assert_eq!(
        killed.signal(),
        Some(9),
        "the runner reached its 20th request"
    );
    let (code, text) = finished(survivor);
    assert_eq!(code, 0, "{text}");
    // 150 items at 50 a second take 3 s; the killed runner's leases expire after 2 s.
    let elapsed = started.elapsed().as_secs_f64();
    assert!(elapsed < 3.0 + 2.0 + 5.0, "{elapsed:.1} s");
    let stats = emu.stats();
    assert_eq!(stats.users_written, 150, "nothing lost");
    assert!(
        stats.writes_total - stats.users_written <= 8,
        "doubles at most what the killed runner held: {}",
        stats.writes_total - stats.users_written
    );
}

#[test]
fn redis_stopped_and_started_again_mid_run_loses_nothing_and_says_so() {
    let emu = emulator(240, "1200/min");
    let dir = Dir::new("coord-redis");
    let mut redis = LocalRedis::start(&dir.path("redis")).unwrap();
    let file = input(&dir, &emu, 240);
    let mut a = runner(&emu, &redis, &file, "flaky", "a");
    let b = runner(&emu, &redis, &file, "flaky", "b");
    let mut lines = BufReader::new(a.stdout.take().unwrap()).lines();
    let mut done = 0;
    for line in lines.by_ref() {
        if line.unwrap().contains(r#""event":"done""#) {
            done += 1;
            if done == 30 {
                break;
            }
        }
    }
    redis.stop();
    let mut lost = false;
    for line in lines.by_ref() {
        if line.unwrap().contains("coordinator lost") {
            lost = true;
            break;
        }
    }
    assert!(lost, "runner a says that Redis is gone");
    redis.restart().unwrap();
    let mut back = false;
    for line in lines.by_ref() {
        if line.unwrap().contains("coordinator back") {
            back = true;
            break;
        }
    }
    assert!(back, "runner a says that Redis is back");
    for _ in lines {}
    assert_eq!(a.wait().unwrap().code(), Some(0));
    let (code, text) = finished(b);
    assert_eq!(code, 0, "{text}");
    let stats = emu.stats();
    assert_eq!(stats.users_written, 240, "nothing lost");
    assert_eq!(stats.max_writes_per_user, 1, "nothing doubled");
}

#[test]
fn an_unreachable_coordinator_or_a_password_in_argv_is_refused_before_anything_is_sent() {
    let emu = emulator(5, "600/min");
    let dir = Dir::new("coord-refused");
    let file = input(&dir, &emu, 5);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--coordinator",
        &url,
        "--run",
        "x",
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach the coordinator at {url}")),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert_eq!(emu.stats().requests_total, 0);

    let secret_url = format!("redis://:hunter2@127.0.0.1:{port}");
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--coordinator",
        &secret_url,
        "--run",
        "x",
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("set PACER_COORDINATOR instead"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
