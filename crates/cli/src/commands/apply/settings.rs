//! The settings `pacer apply`'s arguments resolve to, and the choice of its path.
//!
//! Resolution reads the environment (`GENESYSCLOUD_*`) and the secret's source, checks every
//! value, and fails with a usage error (exit 2) before anything is opened or sent.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use pacer_client::bulk::directory::Choice;
use pacer_client::bulk::{Ambiguous, OnConflict};
use pacer_client::{Credentials, EndpointOptions, Endpoints, Method, Secret};
use pacer_core::limiter::{Algorithm, LimitSpec};

use super::args::{
    AmbiguousArg, ApplyArgs, DeadlinePolicy, FormatArg, ModeArg, OnConflictArg, WindowArg,
};
use crate::commands::connection;
use crate::exit::Exit;
use crate::thresholds::Threshold;
use pacer_emulator::units::{Rate, parse_duration};
use pacer_input::Format;

/// The schedule update's settings, when the run takes that path.
#[derive(Debug, Clone)]
pub struct BulkOptions {
    /// The (first) business unit.
    pub business_unit: String,
    /// Every business unit named, in order: several run side by side.
    pub business_units: Vec<String>,
    pub week: Option<String>,
    pub schedule: Option<String>,
    /// Each week's schedule by id, before `schedule` (undo's).
    pub schedule_by_week: std::collections::BTreeMap<String, String>,
    pub create_schedule: bool,
    pub on_conflict: OnConflict,
    /// Which instant a repeated wall-clock time stands for (else it is a finding).
    pub ambiguous: Ambiguous,
    /// How agents keyed by e-mail or name are looked up.
    pub users_by: Choice,
    /// The most agents one update of a published schedule holds.
    pub max_agents_per_update: usize,
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// A live bar on a terminal.
    Bar,
    /// A plain line every few seconds.
    Lines,
    /// One JSON event per line on standard output.
    Json,
    /// Nothing while running (runs that `demo` starts side by side and sums up itself).
    Quiet,
}

/// Everything `pacer apply` needs, checked.
#[derive(Debug, Clone)]
pub struct ApplySettings {
    pub input: PathBuf,
    pub format: Option<Format>,
    pub endpoints: Endpoints,
    pub credentials: Credentials,
    pub tokens: u32,
    pub allow_insecure_http: bool,
    /// `--ca-file`: a CA trusted beside the system's store and the web's roots.
    pub ca_file: Option<PathBuf>,
    pub method: Method,
    pub path_template: String,
    pub declared: Option<LimitSpec>,
    pub max_in_flight: u32,
    pub max_wait: Duration,
    pub timeout: Duration,
    pub journal: PathBuf,
    pub restart: bool,
    pub skip_invalid: bool,
    pub rejects: PathBuf,
    pub deadline: Option<Duration>,
    pub deadline_policy: DeadlinePolicy,
    pub report: Option<PathBuf>,
    pub jtl: Option<PathBuf>,
    pub html: Option<PathBuf>,
    pub metrics: Option<PathBuf>,
    pub thresholds: Vec<Threshold>,
    pub display: Display,
    pub seed: u64,
    /// `Some` when the run takes the business unit's schedule update.
    pub bulk: Option<BulkOptions>,
    /// Why the run takes the path it takes, said at its start.
    pub path_reason: String,
    pub dry_run: bool,
    /// `Some` when the run is one of several runners sharing a queue and a budget.
    pub coord: Option<super::coordinated::CoordSettings>,
    /// `Some` when a dress rehearsal on a mirror of the organization runs first.
    pub rehearse: Option<super::rehearsal::Rehearse>,
    /// The rehearsal's section of the report, once it ran.
    pub rehearsal_report: Option<serde_json::Value>,
}

impl ApplySettings {
    /// Resolves the arguments against the environment.
    pub fn resolve(args: ApplyArgs) -> anyhow::Result<ApplySettings> {
        let endpoints = connection::endpoints(&args.connection)?;
        let credentials = connection::credentials(&args.connection)?;
        let method = route(&args)?;
        let declared = declared_limit(&args)?;
        let Timing {
            max_wait,
            timeout,
            deadline,
        } = timing(&args)?;
        let (bulk, path_reason) = choose_path(&args)?;
        let coord = coordination(&args, bulk.is_some())?;
        let thresholds = crate::thresholds::parse_all(&args.thresholds)?;
        let journal = args.journal.clone().unwrap_or_else(|| match &coord {
            Some(coord) => super::coordinated::default_journal(&args.input, &coord.options),
            None => pacer_journal::default_path(&args.input),
        });
        let rejects = args
            .rejects
            .clone()
            .unwrap_or_else(|| default_rejects(&args.input));
        let display = display(&args);
        Ok(ApplySettings {
            input: args.input,
            format: args.format.map(|f| match f {
                FormatArg::Csv => Format::Csv,
                FormatArg::Jsonl => Format::JsonLines,
            }),
            endpoints,
            credentials,
            tokens: args.tokens,
            allow_insecure_http: args.connection.allow_insecure_http,
            ca_file: args.connection.ca_file.clone(),
            method,
            path_template: args.path,
            declared,
            max_in_flight: args.max_in_flight,
            max_wait,
            timeout,
            journal,
            restart: args.restart,
            skip_invalid: args.skip_invalid,
            rejects,
            deadline,
            deadline_policy: args.deadline_policy,
            report: args.report,
            jtl: args.jtl,
            html: args.html,
            metrics: args.metrics,
            thresholds,
            display,
            seed: args.seed,
            bulk,
            path_reason,
            dry_run: args.dry_run,
            coord,
            rehearse: args
                .rehearse
                .clone()
                .map(|mirror| super::rehearsal::Rehearse {
                    mirror,
                    only: args.rehearse_only,
                }),
            rehearsal_report: None,
        })
    }

    /// Settings for a run of `input` against an emulator at `api_base` with the demo client, as
    /// `demo` and `compare` make them: per agent on the seed route, journal beside the input.
    pub fn for_emulator(
        api_base: &str,
        client: &pacer_emulator::ClientConfig,
        input: PathBuf,
    ) -> anyhow::Result<ApplySettings> {
        let endpoints = Endpoints::resolve(&EndpointOptions {
            api_url: Some(api_base),
            ..Default::default()
        })?;
        let journal = pacer_journal::default_path(&input);
        let _ = std::fs::remove_file(&journal);
        let credentials = Credentials::new(client.id.clone(), Secret::new(client.secret.clone()));
        Ok(ApplySettings {
            restart: true,
            ..ApplySettings::with_defaults(endpoints, credentials, input, journal)
        })
    }

    /// The default settings of a run of `input` with `journal`: per agent on the seed route, lines
    /// of progress, no report.
    pub fn with_defaults(
        endpoints: Endpoints,
        credentials: Credentials,
        input: PathBuf,
        journal: PathBuf,
    ) -> ApplySettings {
        let mut rejects = input.clone().into_os_string();
        rejects.push(".rejects.csv");
        ApplySettings {
            format: None,
            endpoints,
            credentials,
            tokens: 1,
            allow_insecure_http: false,
            ca_file: None,
            method: Method::PUT,
            path_template: "/api/v2/wfm/usersettings/{userId}/schedule".into(),
            declared: None,
            max_in_flight: 64,
            max_wait: Duration::from_secs(180),
            timeout: Duration::from_secs(60),
            journal,
            restart: false,
            skip_invalid: false,
            rejects: rejects.into(),
            deadline: None,
            deadline_policy: DeadlinePolicy::Warn,
            report: None,
            jtl: None,
            html: None,
            metrics: None,
            thresholds: Vec::new(),
            display: Display::Lines,
            seed: 0x7061_6365,
            bulk: None,
            path_reason: "per-agent path: the seed thread's route".into(),
            dry_run: false,
            coord: None,
            rehearse: None,
            rehearsal_report: None,
            input,
        }
    }

    /// The same, through business unit `unit`'s schedule update.
    pub fn bulk_for_emulator(
        api_base: &str,
        client: &pacer_emulator::ClientConfig,
        input: PathBuf,
        unit: &str,
    ) -> anyhow::Result<ApplySettings> {
        Ok(ApplySettings {
            bulk: Some(BulkOptions {
                business_unit: unit.to_string(),
                business_units: vec![unit.to_string()],
                week: None,
                schedule: None,
                schedule_by_week: Default::default(),
                create_schedule: false,
                on_conflict: OnConflict::Retry,
                ambiguous: Ambiguous::Refuse,
                users_by: Choice::Cheaper,
                max_agents_per_update: 1000,
            }),
            path_reason: format!("bulk path: business unit {unit}'s schedule update"),
            ..ApplySettings::for_emulator(api_base, client, input)?
        })
    }

    /// What minting this run's tokens takes.
    pub fn connect(&self) -> connection::Connect<'_> {
        connection::Connect {
            endpoints: &self.endpoints,
            credentials: &self.credentials,
            timeout: self.timeout,
            tokens: self.tokens,
            allow_insecure_http: self.allow_insecure_http,
            ca_file: self.ca_file.clone(),
        }
    }

    /// The settings worth keeping in the journal: nothing secret.
    pub fn journal_json(&self) -> serde_json::Value {
        serde_json::json!({
            "api_base": self.endpoints.api_base,
            "tokens": self.tokens,
            "declared_rate": self.declared.map(|s| format!("{}/{}s {} burst {}", s.limit, s.window.as_secs_f64(), s.algorithm, s.burst)),
            "max_in_flight": self.max_in_flight,
            "deadline_s": self.deadline.map(|d| d.as_secs_f64()),
            "deadline_policy": self.deadline_policy,
            "skip_invalid": self.skip_invalid,
        })
    }
}

/// The per-agent request's method, once its path is checked.
fn route(args: &ApplyArgs) -> anyhow::Result<Method> {
    let method: Method =
        args.method.to_ascii_uppercase().parse().map_err(|_| {
            Exit::usage(format!("--method: `{}` is not an HTTP method", args.method))
        })?;
    if !args.path.starts_with('/') || !args.path.contains("{userId}") {
        return Err(Exit::usage(format!(
            "--path: `{}` must start with / and contain {{userId}}",
            args.path
        )));
    }
    Ok(method)
}

/// The limit per token the user declared with `--rate`, `--window` and `--burst`.
fn declared_limit(args: &ApplyArgs) -> anyhow::Result<Option<LimitSpec>> {
    let Some(text) = &args.rate else {
        return Ok(None);
    };
    let Rate { limit, window } = text
        .parse()
        .map_err(|reason| Exit::usage(format!("--rate: {reason}")))?;
    let algorithm = match args.window {
        WindowArg::TokenBucket => Algorithm::TokenBucket,
        WindowArg::FixedWindow => Algorithm::FixedWindow,
        WindowArg::SlidingWindow => Algorithm::SlidingWindow,
    };
    let burst = args
        .burst
        .unwrap_or_else(|| default_burst(algorithm, limit, window));
    let spec = LimitSpec {
        algorithm,
        limit,
        window,
        burst,
    };
    spec.validate()
        .map_err(|err| Exit::usage(format!("--rate/--burst: {err}")))?;
    Ok(Some(spec))
}

/// The run's durations, checked.
struct Timing {
    max_wait: Duration,
    timeout: Duration,
    deadline: Option<Duration>,
}

/// Reads `--max-wait`, `--timeout` and `--deadline`; the last two must be longer than zero.
fn timing(args: &ApplyArgs) -> anyhow::Result<Timing> {
    let duration = |flag: &str, text: &str| {
        parse_duration(text).map_err(|reason| Exit::usage(format!("--{flag}: {reason}")))
    };
    let max_wait = duration("max-wait", &args.max_wait)?;
    let timeout = duration("timeout", &args.timeout)?;
    if timeout.is_zero() {
        return Err(Exit::usage("--timeout: must be longer than zero"));
    }
    let deadline = match &args.deadline {
        Some(text) => {
            let deadline = duration("deadline", text)?;
            if deadline.is_zero() {
                return Err(Exit::usage("--deadline: must be longer than zero"));
            }
            Some(deadline)
        }
        None => None,
    };
    Ok(Timing {
        max_wait,
        timeout,
        deadline,
    })
}

/// The coordinator's settings, refused with the schedule update and with `--dry-run`.
fn coordination(
    args: &ApplyArgs,
    bulk: bool,
) -> anyhow::Result<Option<super::coordinated::CoordSettings>> {
    let coord = args.coord.resolve()?;
    if coord.is_some() && bulk {
        return Err(Exit::usage(
            "--coordinator: the schedule update sends one request per week and unit; run it from one runner (or pass --mode per-agent)",
        ));
    }
    if coord.is_some() && args.dry_run {
        return Err(Exit::usage(
            "--dry-run: a coordinated run cannot be rehearsed; run it without --coordinator",
        ));
    }
    Ok(coord)
}

/// The rejects file beside the input: `INPUT.rejects.csv`.
fn default_rejects(input: &std::path::Path) -> PathBuf {
    let mut name = input
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".rejects.csv");
    input.with_file_name(name)
}

/// JSON events when asked, a live bar on a terminal, plain lines otherwise.
fn display(args: &ApplyArgs) -> Display {
    if args.json {
        Display::Json
    } else if !args.no_progress && std::io::stderr().is_terminal() {
        Display::Bar
    } else {
        Display::Lines
    }
}

/// Chooses the path: the business unit's schedule update, or one request per row; and says why.
fn choose_path(args: &ApplyArgs) -> anyhow::Result<(Option<BulkOptions>, String)> {
    let bulk_only = [
        ("--week", args.week.is_some()),
        ("--schedule", args.schedule.is_some()),
        ("--create-schedule", args.create_schedule),
        ("--ambiguous", args.ambiguous.is_some()),
    ];
    let unit = match (args.mode, args.business_units.first()) {
        (ModeArg::PerAgent, Some(_)) => {
            return Err(Exit::usage(
                "--business-unit takes the schedule update path: it cannot go with --mode per-agent",
            ));
        }
        (ModeArg::Bulk, None) => {
            return Err(Exit::usage(
                "--mode bulk needs --business-unit NAME|ID: the schedule update writes one business unit's schedules",
            ));
        }
        (_, Some(_)) => args.business_units.join(", "),
        (_, None) => {
            if let Some((flag, _)) = bulk_only.iter().find(|(_, given)| *given) {
                return Err(Exit::usage(format!(
                    "{flag} belongs to the schedule update: pass --business-unit NAME|ID"
                )));
            }
            let reason = format!(
                "per-agent path: one {} request per row to {} (pass --business-unit NAME for Genesys Cloud's schedule update)",
                args.method.to_ascii_uppercase(),
                args.path
            );
            return Ok((None, reason));
        }
    };
    if let Some(week) = &args.week {
        pacer_genesys::datetime::check_date(week)
            .map_err(|reason| Exit::usage(format!("--week: `{week}` {reason}")))?;
    }
    let reason = format!(
        "bulk path: business unit {unit}'s schedule update (one upload per week, told done by notification){}",
        if args.mode == ModeArg::Auto {
            ", because --business-unit is given"
        } else {
            ""
        }
    );
    let options = BulkOptions {
        business_unit: args.business_units[0].clone(),
        business_units: args.business_units.clone(),
        week: args.week.clone(),
        schedule: args.schedule.clone(),
        schedule_by_week: Default::default(),
        create_schedule: args.create_schedule,
        on_conflict: match args.on_conflict {
            OnConflictArg::Retry => OnConflict::Retry,
            OnConflictArg::Abort => OnConflict::Abort,
        },
        ambiguous: match args.ambiguous {
            None => Ambiguous::Refuse,
            Some(AmbiguousArg::Earlier) => Ambiguous::Earlier,
            Some(AmbiguousArg::Later) => Ambiguous::Later,
        },
        users_by: args.users_by.choice(),
        max_agents_per_update: args.max_agents_per_update as usize,
    };
    Ok((Some(options), reason))
}

/// The burst of a declared limit given without `--burst`: a window's whole count, and for a token
/// bucket 20 ms of its rate (at least one send). That is evenly spaced sends at a few a second,
/// and at thousands a second a burst that the send loop's timer, which cannot space sends
/// microseconds apart, can use.
fn default_burst(algorithm: Algorithm, limit: u32, window: Duration) -> u32 {
    match algorithm {
        Algorithm::TokenBucket => {
            let per_second = f64::from(limit) / window.as_secs_f64();
            (per_second * 0.02).ceil().clamp(1.0, f64::from(limit)) as u32
        }
        _ => limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_bucket_without_a_burst_allows_twenty_milliseconds_of_its_rate() {
        let minute = Duration::from_secs(60);
        let second = Duration::from_secs(1);
        assert_eq!(default_burst(Algorithm::TokenBucket, 300, minute), 1);
        assert_eq!(default_burst(Algorithm::TokenBucket, 1_000, second), 20);
        assert_eq!(
            default_burst(Algorithm::TokenBucket, 1_000_000, second),
            20_000
        );
        assert_eq!(default_burst(Algorithm::FixedWindow, 300, minute), 300);
    }
}
