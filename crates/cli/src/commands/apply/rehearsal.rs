//! `pacer apply --rehearse MIRROR`: the dress rehearsal. The same command first runs against a
//! local emulator serving the mirror of the organization (`pacer mirror`): the same units,
//! zones, start days, members, activity codes, limits and schedules, with the server's processing
//! sped up (which changes nothing but waiting). What it found is said (findings, plan, requests,
//! time, the projected real time); the real run starts only when the rehearsal ended clean.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pacer_client::{Credentials, EndpointOptions, Endpoints, Secret};
use pacer_emulator::{Config, Overrides, Profile};

use super::settings::{ApplySettings, Display};
use super::{Outcome, execute};
use crate::commands::rehearse::start_emulator;
use crate::exit::{self, Exit};

/// The rehearsal asked for.
#[derive(Debug, Clone)]
pub struct Rehearse {
    /// The mirror file.
    pub mirror: PathBuf,
    /// Stop after the rehearsal (`--rehearse-only`).
    pub only: bool,
}

/// How long an update processes in the rehearsal, and how long the projection assumes one takes
/// on the real service.
const REHEARSAL_PROCESSING: Duration = Duration::from_millis(200);
const REAL_PROCESSING: Duration = Duration::from_secs(3);

/// What the rehearsal came to.
pub struct Rehearsed {
    /// Whether it ended clean (exit 0).
    pub clean: bool,
    pub exit_code: u8,
    /// Its report section.
    pub section: serde_json::Value,
}

/// Runs the rehearsal of `settings` on a local emulator of the mirror, and says how it went.
pub async fn rehearse(settings: &ApplySettings, rehearse: &Rehearse) -> anyhow::Result<Rehearsed> {
    let started = Instant::now();
    let mut config = Config::profile(Profile::Genesys);
    Overrides {
        mirror: Some(rehearse.mirror.clone()),
        bulk_processing: Some(REHEARSAL_PROCESSING),
        ..Overrides::default()
    }
    .apply(&mut config)
    .map_err(|err| Exit::usage(format!("--rehearse: {err}")))?;
    let emulator = start_emulator(config).await?;
    let folder = std::env::temp_dir().join(format!("pacer-rehearsal-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let local = local_settings(settings, &emulator, &folder)?;
    say(
        settings,
        &format!(
            "rehearsal on the mirror {} (served on {}): the same command, nothing sent to the real organization",
            rehearse.mirror.display(),
            emulator.base
        ),
    );
    let result = Box::pin(execute(&local, std::future::pending())).await;
    let stats = emulator.state.stats();
    let elapsed = started.elapsed();
    let projected = elapsed.as_secs_f64()
        + stats.updates_started as f64
            * (REAL_PROCESSING.as_secs_f64() - REHEARSAL_PROCESSING.as_secs_f64());
    let (exit_code, error, report) = match result {
        Ok(Outcome {
            report, exit_code, ..
        }) => (exit_code, None, Some(report)),
        Err(err) => (exit::code_for(&err), Some(format!("{err:#}")), None),
    };
    let _ = std::fs::remove_dir_all(&folder);
    let clean = exit_code == exit::OK;
    let section = serde_json::json!({
        "mirror": rehearse.mirror.display().to_string(),
        "clean": clean,
        "exit_code": exit_code,
        "error": error,
        "requests": stats.requests_total,
        "uploads": stats.uploads,
        "updates": stats.updates_started,
        "agents_written": stats.users_written,
        "elapsed_s": elapsed.as_secs_f64(),
        "projected_real_s": projected,
        "report": report,
    });
    say(
        settings,
        &format!(
            "rehearsal {}: {} API requests, {} updates, {} agents written, {:.1} s; the real run should take about {:.0} s ({} s a schedule update)",
            if clean {
                "ended clean"
            } else {
                "did not end clean"
            },
            stats.requests_total,
            stats.updates_started,
            stats.users_written,
            elapsed.as_secs_f64(),
            projected,
            REAL_PROCESSING.as_secs()
        ),
    );
    if let Some(error) = section["error"].as_str() {
        say(settings, &format!("rehearsal: {error}"));
    }
    Ok(Rehearsed {
        clean,
        exit_code,
        section,
    })
}

/// The same command's settings against the local emulator: its URL and client, a journal of
/// its own, no report or other output files, quiet.
fn local_settings(
    settings: &ApplySettings,
    emulator: &crate::commands::rehearse::Running,
    folder: &std::path::Path,
) -> anyhow::Result<ApplySettings> {
    let client = emulator.state.config().oauth.clients[0].clone();
    let endpoints = Endpoints::resolve(&EndpointOptions {
        api_url: Some(&emulator.base),
        ..Default::default()
    })?;
    Ok(ApplySettings {
        endpoints,
        credentials: Credentials::new(client.id.clone(), Secret::new(client.secret.clone())),
        allow_insecure_http: false,
        ca_file: None,
        journal: folder.join("rehearsal.pacer.sqlite"),
        restart: true,
        rejects: folder.join("rejects.csv"),
        report: None,
        jtl: None,
        html: None,
        metrics: None,
        thresholds: Vec::new(),
        display: if settings.display == Display::Json {
            Display::Quiet
        } else {
            settings.display
        },
        coord: None,
        rehearse: None,
        rehearsal_report: None,
        ..settings.clone()
    })
}

fn say(settings: &ApplySettings, text: &str) {
    if settings.display != Display::Json {
        eprintln!("{text}");
    } else {
        println!(
            "{}",
            serde_json::json!({"event": "rehearsal", "text": text})
        );
    }
}

/// The refusal of the real run after a rehearsal that did not end clean.
pub fn stopped(rehearsed: &Rehearsed) -> anyhow::Error {
    let code = if rehearsed.exit_code == exit::OK {
        exit::FAILURE
    } else {
        rehearsed.exit_code
    };
    Exit::with_code(
        code,
        "the rehearsal did not end clean (above): nothing was sent to the real organization",
    )
}
