//! A client nobody here wrote: Genesys's official Python SDK drives the schedule path, and its
//! models (which check enum values and types) deserialize every answer, of the seeded organization
//! and of a mirrored one.

use pacer_emulator::Config;

use crate::mirror::mirror_config;
use std::path::Path;
use std::process::Output;

use crate::support::{Emu, start, start_tls};
use crate::wfm::wfm_config;

#[tokio::test]
async fn the_official_python_sdk_reads_every_answer_of_the_schedule_path() {
    let stdout = official_sdk(wfm_config(20, |_| {})).await;
    assert!(
        stdout.contains("management unit: North 1 agents: 20 codes: 6"),
        "{stdout}"
    );
}

/// The mirror's first unit is North in New York from Monday, with a Work code and a published
/// schedule of the week 2026-12-07 mirrored without its agents' shifts (so its agents are at
/// version 1), and its second user has an e-mail of its own: the script's expectations hold of it
/// as they do of the seeded organization.
#[tokio::test]
async fn the_official_python_sdk_reads_every_answer_of_a_mirrored_organization() {
    let stdout = official_sdk(mirror_config("sdk")).await;
    assert!(
        stdout.contains("management unit: North Sales agents: 2 codes: 4"),
        "{stdout}"
    );
    assert!(
        stdout.contains("schedule: s0000000-0000-4000-8000-000000000001 version 7"),
        "{stdout}"
    );
    assert!(
        stdout.contains("users search: 1 ada@example.org"),
        "{stdout}"
    );
}

/// Over HTTPS, the SDK given the emulator's CA as its `ssl_ca_cert` reads units, agents and the
/// rest, is handed a wss `connectUri` and an https upload URL; without the CA it refuses the
/// certificate before any request.
#[tokio::test]
async fn the_official_python_sdk_given_the_ca_reads_every_answer_over_https() {
    let (emu, ca) = start_tls(wfm_config(20, |_| {})).await;
    let dir = std::env::temp_dir().join(format!("pacer-sdk-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();

    let refused = run_script(&emu.base, None).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && stderr.contains("CERTIFICATE_VERIFY_FAILED"),
        "{stderr}"
    );
    assert_eq!(emu.stats().await.tokens_minted, 0);

    let stdout = check(&emu, run_script(&emu.base, Some(&ca_file)).await).await;
    assert!(
        stdout.contains("management unit: North 1 agents: 20 codes: 6"),
        "{stdout}"
    );
    assert!(stdout.contains("channel: wss: expires"), "{stdout}");
    assert!(stdout.contains("upload URL scheme: https"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs the script against an emulator of `config`: every step passes and one update is made;
/// what it printed.
async fn official_sdk(config: Config) -> String {
    let emu = start(config).await;
    let output = run_script(&emu.base, None).await;
    check(&emu, output).await
}

/// The script's run against `base`, trusting `ca_file` when given.
async fn run_script(base: &str, ca_file: Option<&Path>) -> Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/official_sdk.py");
    let mut command = std::process::Command::new("python3");
    command.args([
        script,
        base,
        "pacer-demo",
        "pacer-demo-secret",
        "2026-12-07",
    ]);
    if let Some(ca) = ca_file {
        command.arg(ca);
    }
    // Only the CA given is trusted: none from the environment.
    command
        .env_remove("SSL_CERT_FILE")
        .env_remove("REQUESTS_CA_BUNDLE");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("python3 runs (scripts/test.sh installs what the tests need)")
}

/// Every step passed and one update was made; what the script printed.
async fn check(emu: &Emu, output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("ok"),
        "the official SDK failed (pip install purecloudplatformclientv2, or run scripts/test.sh):\n{stdout}\n{stderr}"
    );
    let stats = emu.stats().await;
    assert_eq!((stats.uploads, stats.updates_started), (1, 1));
    stdout.into_owned()
}
