//! `pacer mirror`: an organization's shape read, read only, into a versioned JSON file that
//! `pacer emulate --mirror` serves and `pacer apply --rehearse` rehearses on: limits, business
//! units (zone, start day, activity codes, management units and members, published schedules),
//! and (asked for) the agents' shifts and the members' names and e-mails. No token or secret is
//! stored.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use pacer_client::bulk::mirror::{self, MirrorSettings, Shape};
use pacer_client::bulk::{BulkProgress, Phase};
use pacer_client::{Executor, ExecutorConfig, Method};
use pacer_core::retry::RetryConfig;
use pacer_emulator::mirror::{
    MIRROR_VERSION, Mirror, MirrorAgentSchedule, MirrorLimit, MirrorManagementUnit, MirrorSchedule,
    MirrorUnit, MirrorUser,
};
use pacer_emulator::units::parse_duration;
use pacer_genesys::datetime::WEEKDAYS;

use super::connection::{self, Connect, ConnectionArgs, authenticate};
use crate::exit::{self, Exit};

/// Arguments of `pacer mirror`.
#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The file to write (JSON).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,

    /// Only this business unit (name or id); repeat for several. Every one by default.
    #[arg(long = "business-unit", value_name = "NAME|ID")]
    pub business_units: Vec<String>,

    /// Also read the agents' shifts in the published schedules.
    #[arg(long)]
    pub with_schedules: bool,

    /// Also keep the members' names and e-mails (personal data; ids only by default).
    #[arg(long)]
    pub with_names: bool,

    /// No line as each phase begins.
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// The longest wait for one response.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub timeout: String,

    /// The longest Retry-After a request waits before it gives up.
    #[arg(long, default_value = "180s", value_name = "DURATION")]
    pub max_wait: String,
}

/// Runs `pacer mirror`.
pub fn run(args: MirrorArgs) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(execute(args))
}

async fn execute(args: MirrorArgs) -> anyhow::Result<u8> {
    let started = Instant::now();
    let endpoints = connection::endpoints(&args.connection)?;
    let credentials = connection::credentials(&args.connection)?;
    let duration = |flag: &str, text: &str| -> anyhow::Result<Duration> {
        parse_duration(text).map_err(|err| Exit::usage(format!("{flag}: {err}")))
    };
    let connect = Connect {
        endpoints: &endpoints,
        credentials: &credentials,
        timeout: duration("--timeout", &args.timeout)?,
        tokens: 1,
        allow_insecure_http: args.connection.allow_insecure_http,
        ca_file: args.connection.ca_file.clone(),
    };
    let (http, tokens) = authenticate(&connect, &|text| eprintln!("{text}")).await?;
    let mut config = ExecutorConfig::new(Method::GET, "/api/v2/workforcemanagement");
    config.retry = RetryConfig {
        max_wait: duration("--max-wait", &args.max_wait)?,
        ..RetryConfig::default()
    };
    let mut executor = Executor::new(config, http, tokens.clone(), endpoints.api_base.clone());
    let settings = MirrorSettings {
        business_units: args.business_units.clone(),
        with_schedules: args.with_schedules,
        with_names: args.with_names,
    };
    let mut progress = Phases {
        shown: !args.no_progress,
        started,
    };
    let shape = mirror::read(&mut executor, &settings, &mut progress)
        .await
        .map_err(|err| match err {
            pacer_client::Error::Workflow(message) => Exit::usage(message),
            other => anyhow::Error::new(other).context("the mirror stopped"),
        })?;
    let records: Vec<_> = executor
        .take_call_records()
        .into_iter()
        .filter(|r| !matches!(r.label, Some("GET download" | "PUT upload")))
        .collect();
    let writes = records
        .iter()
        .filter(|r| r.label.is_some_and(|l| !l.starts_with("GET ")))
        .count();
    let file = to_mirror(&shape, &settings, &source(&endpoints.api_base));
    write(&args.output, &file)?;
    eprintln!(
        "mirrored {} business units, {} management units, {} agents, {} published schedules{}, {} limits to {}: {} API requests ({} of them read-only POST queries), {:.1}s",
        file.business_units.len(),
        file.business_units
            .iter()
            .map(|u| u.management_units.len())
            .sum::<usize>(),
        file.users.len(),
        file.business_units
            .iter()
            .map(|u| u.schedules.len())
            .sum::<usize>(),
        if args.with_schedules {
            " with their shifts"
        } else {
            ""
        },
        file.limits.len(),
        args.output.display(),
        records.len() as u64 + tokens.tokens_minted(),
        writes,
        started.elapsed().as_secs_f64()
    );
    Ok(exit::OK)
}

/// The API's host, without scheme, path or credentials.
fn source(api_base: &str) -> String {
    let rest = api_base.split_once("://").map_or(api_base, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    host.rsplit_once('@').map_or(host, |(_, h)| h).to_string()
}

/// The shape as the mirror file holds it.
fn to_mirror(shape: &Shape, settings: &MirrorSettings, source: &str) -> Mirror {
    Mirror {
        version: MIRROR_VERSION,
        taken_at: now_utc(),
        source: source.to_string(),
        with_names: settings.with_names,
        with_schedules: settings.with_schedules,
        limits: shape
            .limits
            .iter()
            .map(|l| MirrorLimit {
                namespace: l.namespace.clone(),
                key: l.key.clone(),
                value: l.value,
            })
            .collect(),
        business_units: shape.units.iter().map(to_unit).collect(),
        users: shape
            .users
            .iter()
            .map(|u| MirrorUser {
                id: u.id.clone(),
                name: settings
                    .with_names
                    .then(|| u.name.clone())
                    .filter(|n| !n.is_empty()),
                email: if settings.with_names {
                    u.email.clone()
                } else {
                    None
                },
            })
            .collect(),
    }
}

fn to_unit(shape: &pacer_client::bulk::mirror::UnitShape) -> MirrorUnit {
    let unit = &shape.unit;
    MirrorUnit {
        id: unit.id.clone(),
        name: unit.name.clone(),
        division_id: unit.division_id.clone(),
        time_zone: unit.zone.name().to_string(),
        start_day_of_week: WEEKDAYS[unit.start_day].to_string(),
        activity_codes: unit.codes.clone(),
        management_units: unit
            .management_units
            .iter()
            .zip(&shape.members)
            .map(|(mu, members)| MirrorManagementUnit {
                id: mu.id.clone(),
                name: mu.name.clone(),
                members: members.clone(),
            })
            .collect(),
        schedules: shape
            .schedules
            .iter()
            .map(|(s, agents)| MirrorSchedule {
                id: s.id.clone(),
                week_date: s.week_date.clone(),
                week_count: s.week_count,
                published: s.published,
                description: s.description.clone(),
                version: s.metadata.version,
                agents: agents.as_ref().map(|agents| {
                    agents
                        .iter()
                        .map(|a| MirrorAgentSchedule {
                            user_id: a.user.id.clone(),
                            version: a.metadata.version,
                            shifts: a.shifts.clone(),
                            full_day_time_off_markers: a.full_day_time_off_markers.clone(),
                        })
                        .collect()
                }),
            })
            .collect(),
    }
}

/// Now, RFC 3339 in UTC.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    pacer_genesys::datetime::format_seconds(secs)
}

/// Writes the mirror whole: a temporary file renamed at the end.
fn write(path: &std::path::Path, mirror: &Mirror) -> anyhow::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let text = serde_json::to_vec_pretty(mirror)?;
    let wrap = |err: std::io::Error| {
        anyhow::Error::new(err).context(format!("cannot write {}", path.display()))
    };
    std::fs::write(&partial, text).map_err(wrap)?;
    std::fs::rename(&partial, path).map_err(wrap)
}

/// Says each phase as it begins.
struct Phases {
    shown: bool,
    started: Instant,
}

impl BulkProgress for Phases {
    fn phase(&mut self, phase: Phase, detail: &str) {
        if self.shown {
            eprintln!(
                "[{:6.1}s] {}: {detail}",
                self.started.elapsed().as_secs_f64(),
                phase.as_str()
            );
        }
    }
}
