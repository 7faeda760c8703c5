//! HTTPS and WSS end to end: `pacer emulate --tls` serves both on one port with a certificate it
//! makes; `apply` trusts its CA through `--ca-file` or `SSL_CERT_FILE` on the bulk path (upload,
//! update, the notification over WSS) and the per-agent one; a certificate it does not trust
//! stops the run with exit 2 before anything is sent.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use pacer_emulator::{Config, Profile, TlsIdentity};

use crate::support::{Dir, Emu, csv_for, genesys, pacer, run};

/// One shift for each of `agents`, in the week of 2026-12-07.
fn shifts_csv(agents: &[String]) -> String {
    let mut text = String::from("userId,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for agent in agents {
        text.push_str(&format!(
            "{agent},2026-12-07,2026-12-08T09:00:00Z,480,Work\n"
        ));
    }
    text
}

/// `pacer` as [`pacer`] makes it, trusting nothing from the environment's `SSL_CERT_FILE`.
fn pacer_tls(api: &str, args: &[&str]) -> Command {
    let mut command = pacer(api, args);
    command.env_remove("SSL_CERT_FILE");
    command
}

fn bulk_args<'a>(file: &'a str, report: &'a str) -> Vec<&'a str> {
    vec![
        "apply",
        file,
        "--business-unit",
        "North",
        "--report",
        report,
    ]
}

fn report(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_bulk_path_writes_200_agents_over_https_and_wss_with_the_ca_file() {
    let dir = Dir::new("tls-bulk");
    let ca = dir.path("ca.pem");
    let emu = Emu::with_tls(genesys(200), &ca);
    assert!(emu.base.starts_with("https://127.0.0.1:"), "{}", emu.base);
    let agents: Vec<String> = (0..200).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &shifts_csv(&agents));
    let report_path = dir.path("report.json");
    let mut args = bulk_args(file.to_str().unwrap(), report_path.to_str().unwrap());
    args.extend(["--ca-file", ca.to_str().unwrap()]);
    let (code, _, stderr) = run(pacer_tls(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("200 agents written"), "{stderr}");
    let stats = emu.stats();
    assert_eq!((stats.users_written, stats.max_writes_per_user), (200, 1));
    assert_eq!((stats.uploads, stats.updates_started), (1, 1));
    let done = report(&report_path);
    // The update's end came over the WSS socket, not by polling.
    assert_eq!(
        done["bulk"]["weeks"][0]["uploads"][0]["learned_by"],
        "notification"
    );
}

#[test]
fn ssl_cert_file_is_trusted_as_the_ca_file_is() {
    let dir = Dir::new("tls-env");
    let ca = dir.path("ca.pem");
    let emu = Emu::with_tls(genesys(200), &ca);
    let agents: Vec<String> = (0..200).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &shifts_csv(&agents));
    let report_path = dir.path("report.json");
    let args = bulk_args(file.to_str().unwrap(), report_path.to_str().unwrap());
    let mut command = pacer_tls(&emu.base, &args);
    command.env("SSL_CERT_FILE", &ca);
    let (code, _, stderr) = run(command, &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(emu.stats().users_written, 200);
    assert_eq!(
        report(&report_path)["bulk"]["weeks"][0]["uploads"][0]["learned_by"],
        "notification"
    );
}

#[test]
fn an_untrusted_certificate_exits_2_naming_the_host_and_nothing_is_sent() {
    let dir = Dir::new("tls-untrusted");
    let ca = dir.path("ca.pem");
    let emu = Emu::with_tls(genesys(20), &ca);
    let agents: Vec<String> = (0..20).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &shifts_csv(&agents));
    let report_path = dir.path("report.json");
    // Another CA than the one that signed the emulator's certificate.
    let wrong = dir.write(
        "wrong.pem",
        &TlsIdentity::generate().unwrap().ca_pem().unwrap(),
    );
    let bulk = bulk_args(file.to_str().unwrap(), report_path.to_str().unwrap());
    let mut with_wrong = bulk.clone();
    with_wrong.extend(["--ca-file", wrong.to_str().unwrap()]);
    let seed = dir.write("seed.csv", &csv_for(&agents));
    let per_agent = ["apply", seed.to_str().unwrap()];
    for args in [&bulk[..], &with_wrong[..], &per_agent[..]] {
        let (code, stdout, stderr) = run(pacer_tls(&emu.base, args), &dir.0);
        assert_eq!(code, 2, "{args:?}\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("the TLS certificate of 127.0.0.1 is not trusted")
                && stderr.contains("--ca-file")
                && stderr.contains("SSL_CERT_FILE")
                && stderr.contains("nothing was sent"),
            "{stderr}"
        );
    }
    // Every handshake failed: no request reached the emulator, so no write either.
    let stats = emu.stats();
    assert_eq!((stats.requests_total, stats.writes_total), (0, 0));
    assert_eq!(stats.tokens_minted, 0);
}

#[test]
fn a_per_agent_run_writes_every_agent_over_https() {
    let dir = Dir::new("tls-per-agent");
    let ca = dir.path("ca.pem");
    let mut config = Config::profile(Profile::Seed);
    config.agents = 20;
    let emu = Emu::with_tls(config, &ca);
    let agents: Vec<String> = (0..20).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &csv_for(&agents));
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--ca-file",
        ca.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(pacer_tls(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let stats = emu.stats();
    assert_eq!((stats.users_written, stats.max_writes_per_user), (20, 1));
}

/// `pacer emulate` as a child process; killed when dropped.
struct Emulator(Child);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn pacer_emulate_tls_writes_its_ca_and_says_https_and_apply_trusts_it() {
    let dir = Dir::new("tls-emulate");
    let ca = dir.path("ca.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pacer"))
        .args([
            "emulate",
            "--profile",
            "genesys",
            "--tls",
            "--tls-ca-out",
            ca.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--agents",
            "200",
            "--today",
            "2026-12-09",
            "--bulk-processing",
            "200ms",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let _emulator = Emulator(child);
    let first = lines.next().unwrap().unwrap();
    let base = first
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(base.starts_with("https://127.0.0.1:"), "{first}");
    let banner: Vec<String> = lines.by_ref().take(8).map(Result::unwrap).collect();
    assert!(
        banner
            .iter()
            .any(|l| l.starts_with("OAuth token URL: https://")),
        "{banner:?}"
    );
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----"),
    );
    // The emulator's agents are the genesys profile's, seeded as the library seeds them.
    let mut config = genesys(200);
    config.listen = "127.0.0.1:0".parse().unwrap();
    let state = pacer_emulator::AppState::new(config).unwrap();
    let agents: Vec<String> = (0..200).map(|i| state.agent_id(i).unwrap()).collect();
    let file = dir.write("in.csv", &shifts_csv(&agents));
    let report_path = dir.path("report.json");
    let mut args = bulk_args(file.to_str().unwrap(), report_path.to_str().unwrap());
    args.extend(["--ca-file", ca.to_str().unwrap()]);
    let (code, _, stderr) = run(pacer_tls(&base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let done = report(&report_path);
    assert_eq!(done["bulk"]["agents_written"], 200, "{done}");
    assert_eq!(
        done["bulk"]["weeks"][0]["uploads"][0]["learned_by"],
        "notification"
    );
}

#[test]
fn emulate_refuses_a_certificate_file_it_cannot_read_and_tls_files_without_tls() {
    let dir = Dir::new("tls-bad-files");
    let missing = dir.path("missing.pem");
    let key = dir.write("key.pem", "not a key\n");
    let emulate = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pacer"));
        command
            .arg("emulate")
            .args(["--listen", "127.0.0.1:0"])
            .args(args);
        run(command, &dir.0)
    };
    let (code, _, stderr) = emulate(&[
        "--tls",
        "--tls-cert",
        missing.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("[DIR]/missing.pem"), "{stderr}");
    let (code, _, stderr) = emulate(&["--tls-ca-out", "ca.pem"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--tls"), "{stderr}");
}
