//! A client nobody here wrote: Genesys's official Python SDK drives the schedule path, and its
//! models (which check enum values and types) deserialize every answer.

use crate::support::start;
use crate::wfm::wfm_config;

#[tokio::test]
async fn the_official_python_sdk_reads_every_answer_of_the_schedule_path() {
    let emu = start(wfm_config(20, |_| {})).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/official_sdk.py");
    let base = emu.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args([
                script,
                &base,
                "pacer-demo",
                "pacer-demo-secret",
                "2026-12-07",
            ])
            .output()
    })
    .await
    .unwrap()
    .expect("python3 runs (scripts/test.sh installs what the tests need)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("ok"),
        "the official SDK failed (pip install purecloudplatformclientv2, or run scripts/test.sh):\n{stdout}\n{stderr}"
    );
    let stats = emu.stats().await;
    assert_eq!((stats.uploads, stats.updates_started), (1, 1));
}
