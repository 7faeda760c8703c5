//! The business unit's asynchronous schedule update, the way Genesys Cloud changes schedules:
//! resolve the unit, read each week's schedule and its agents, check the input against them,
//! plan each agent's change, upload the changed agents as gzip JSON, ask for the update, wait
//! for its end on the notification socket (or by polling the schedule), and read the agents back.
//!
//! Every API request goes through [`Executor::call`](crate::Executor::call): the same pacer,
//! retry policy and token manager as a per-agent run. `api` holds the typed requests, `check`
//! the input's sans-IO checks and its times placed, `plan` the sans-IO diff, `upload` the gzip
//! parts, `socket` the notification socket, and
//! `workflow` the phases.

mod agents;
mod api;
mod check;
pub mod directory;
mod download;
pub mod export;
pub mod images;
pub mod mirror;
mod narrow;
mod plan;
mod read;
mod send;
pub mod socket;
pub mod time_off;
pub mod units;
pub mod upload;
mod verify;
mod wait;
mod workflow;

use std::time::Duration;

pub use pacer_genesys::zone::Ambiguous;

pub use api::Unit;
pub use check::{place_times, week_bounds};
pub use plan::{Change, Desired, DesiredActivity, DesiredShift, Finding, Guard};
pub use time_off::DesiredTimeOff;
pub use workflow::{Resolved, resolve, run, run_resolved};

/// What to do when another editor changed the schedule or an agent since it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Read again and send once more (the default).
    Retry,
    /// Stop and say what changed.
    Abort,
}

/// How the update runs.
#[derive(Debug, Clone)]
pub struct BulkSettings {
    /// The business unit's name or id.
    pub business_unit: String,
    /// The schedule to write; else the week's published schedule, else the first.
    pub schedule: Option<String>,
    /// The schedule to write in a given week, before `schedule` (undo writes each week's
    /// schedule the run wrote).
    pub schedule_by_week: std::collections::BTreeMap<String, String>,
    /// Creates a blank schedule for a week that has none.
    pub create_schedule: bool,
    pub on_conflict: OnConflict,
    /// Everything up to the upload, then the plan; nothing is written.
    pub dry_run: bool,
    /// The largest gzip upload sent in one part.
    pub upload_max_bytes: u64,
    /// The most agents one update of a published schedule holds: Genesys notifies only the first
    /// 1,000 agents of a published change (1,000 by default).
    pub max_agents_per_update: usize,
    /// The longest wait for one operation's end.
    pub wait_limit: Duration,
    /// How often the schedule is polled while the socket is down.
    pub poll_every: Duration,
    /// A socket silent this long (no heartbeat) is reopened.
    pub heartbeat_timeout: Duration,
    /// Plain ws (and http) to hosts other than loopback.
    pub allow_insecure: bool,
    /// Which instant a wall-clock time the autumn change repeats stands for; by default such a
    /// time is a finding.
    pub ambiguous: Ambiguous,
}

impl BulkSettings {
    /// Defaults for a unit: retry conflicts once, 10 MB parts, 10 minutes per operation.
    pub fn new(business_unit: impl Into<String>) -> Self {
        BulkSettings {
            business_unit: business_unit.into(),
            schedule: None,
            schedule_by_week: std::collections::BTreeMap::new(),
            create_schedule: false,
            on_conflict: OnConflict::Retry,
            dry_run: false,
            upload_max_bytes: 10 * 1024 * 1024,
            max_agents_per_update: 1000,
            wait_limit: Duration::from_secs(600),
            poll_every: Duration::from_secs(2),
            heartbeat_timeout: Duration::from_secs(75),
            allow_insecure: false,
            ambiguous: Ambiguous::Refuse,
        }
    }
}

/// An update sent (or about to be) whose end a run did not see: a rerun waits for it, or learns
/// it never landed, instead of sending it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub schedule_id: String,
    pub key: String,
    /// Set once the update was accepted.
    pub operation_id: Option<String>,
    /// The schedule's version the upload was made against.
    pub base_version: u64,
}

/// A step the caller's journal records, each before the run goes on.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<'a> {
    /// The update request for `key` is about to leave.
    UpdateSending {
        week: &'a str,
        schedule_id: &'a str,
        key: &'a str,
        base_version: u64,
        agents: usize,
    },
    /// The update was accepted as an operation.
    UpdateAccepted {
        week: &'a str,
        key: &'a str,
        operation_id: &'a str,
    },
    /// A part's agents as read and as about to be sent, recorded before its update leaves. The
    /// journal may take them (to write them beside the run); the caller clears what is left.
    Images {
        week: &'a str,
        schedule_id: &'a str,
        images: &'a mut Vec<images::Image>,
    },
    /// A set of agents whose update the server refused (ended `Error`): some agent of it is at
    /// fault. Recorded before the narrowing goes on, so that a rerun resumes it.
    Refused { week: &'a str, agents: &'a [String] },
    /// The versions the written agents of a week read back with.
    Verified {
        week: &'a str,
        versions: &'a [(String, u64)],
    },
    /// The update ended (`Complete`, `Error`, or `NotApplied` when it never landed).
    UpdateEnded {
        week: &'a str,
        key: &'a str,
        status: &'a str,
        message: &'a str,
    },
}

/// The caller's journal of the update.
pub trait BulkJournal {
    /// The update of `week` whose end was not seen, if any.
    fn pending(&mut self, week: &str) -> Option<Pending>;
    /// The sets of agents whose updates the server refused in `week` (lowercase user ids).
    fn refused(&mut self, week: &str) -> Vec<Vec<String>>;
    /// Records a step durably; an error stops the run before anything more is sent.
    fn record(&mut self, step: Step<'_>) -> std::result::Result<(), String>;
    /// How the run holds each agent's pre-image until [`Step::Images`] hands it over: copied as
    /// read, or packed as this journal keeps it.
    fn hold_pre_image(&self) -> images::HoldPreImage;
}

/// The phases of the update, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Resolve,
    Read,
    Plan,
    Upload,
    Update,
    Wait,
    Verify,
}

impl Phase {
    /// The phase's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Resolve => "resolve",
            Phase::Read => "read",
            Phase::Plan => "plan",
            Phase::Upload => "upload",
            Phase::Update => "update",
            Phase::Wait => "wait",
            Phase::Verify => "verify",
        }
    }
}

/// Hears of the update's phases as they begin.
pub trait BulkProgress {
    fn phase(&mut self, phase: Phase, detail: &str);
}

/// One phase's span, from the run's start.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseSpan {
    pub phase: Phase,
    pub week: Option<String>,
    pub start: Duration,
    pub end: Duration,
}

/// One upload of a week and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct PartOutcome {
    pub agents: usize,
    pub gzip_bytes: usize,
    pub json_bytes: usize,
    pub operation_id: Option<String>,
    /// `Complete`, `Error`, or `NotApplied`.
    pub status: String,
    /// How the end was learned: `notification`, `polling`, or `resumed`.
    pub learned_by: String,
    pub message: Option<String>,
}

/// One week of the update.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekOutcome {
    pub week: String,
    /// The week's bounds in the unit's local time with their offsets (its first local midnight,
    /// and the one seven days later), when the week's date reads.
    pub local_bounds: Option<(String, String)>,
    pub schedule_id: Option<String>,
    /// The schedule was created by this run (or would be, in a dry run).
    pub created: bool,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Agents taken out of the schedule.
    pub removed: usize,
    /// Agents left alone because another editor changed them (their guard failed).
    pub left: usize,
    /// Agents the server refused even alone, found by narrowing refused parts down.
    pub refused: usize,
    pub parts: Vec<PartOutcome>,
    /// Conflicts met and read again.
    pub conflicts: u32,
}

/// How one agent ended.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentOutcome {
    pub line: u64,
    pub user_id: String,
    pub week: String,
    pub change: Change,
    /// `written`, `removed`, `unchanged`, `left`, `differs`, `failed`, or `planned` (a dry run).
    pub state: &'static str,
    pub reason: Option<String>,
}

/// What the update did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BulkOutcome {
    pub unit_id: String,
    pub unit_name: String,
    /// The unit's IANA time zone.
    pub unit_time_zone: String,
    pub weeks: Vec<WeekOutcome>,
    pub agents: Vec<AgentOutcome>,
    /// Problems of the input against the unit: when any, nothing was sent.
    pub findings: Vec<Finding>,
    pub phases: Vec<PhaseSpan>,
    /// Times the notification socket went down.
    pub socket_drops: u32,
    /// Whether an end was learned by polling because the socket was down.
    pub polled: bool,
    pub dry_run: bool,
    /// API requests the writes would take (a dry run's estimate).
    pub planned_requests: u32,
}

impl BulkOutcome {
    /// Agents that did not end written or unchanged.
    pub fn failed(&self) -> usize {
        self.agents
            .iter()
            .filter(|a| !matches!(a.state, "written" | "removed" | "unchanged" | "planned"))
            .count()
    }
}
