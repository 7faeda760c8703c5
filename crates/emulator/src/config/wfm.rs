//! The settings of the WFM schedule path: the organization's shape, processing times, transfer
//! limits, notification timing and this path's faults (the `[wfm]` table of the config file).

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::business_units::{UnitConfig, UnitSettings, ZoneSet, resolve_units};
use crate::units::{DurationText, Probability};

/// Settings of the business units, the schedule update and the notification service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WfmConfig {
    /// Business units, named North, South, East and so on.
    pub business_units: u32,
    /// Most agents in one management unit (Genesys documents 1,500).
    pub management_unit_agents: u32,
    /// How long an update takes to process, whatever its size.
    #[serde(deserialize_with = "duration")]
    pub bulk_processing: Duration,
    /// Added to the processing time for each agent of the upload.
    #[serde(deserialize_with = "duration")]
    pub per_agent_processing: Duration,
    /// The largest upload the storage accepts (413 past it).
    pub upload_bytes_max: u64,
    /// How long an upload key stays valid.
    #[serde(deserialize_with = "duration")]
    pub upload_key_lifetime: Duration,
    /// Agent-schedule queries with more agents than this answer by download URL.
    pub inline_query_agents: u32,
    /// How long an asynchronous agent-schedule query takes.
    #[serde(deserialize_with = "duration")]
    pub query_processing: Duration,
    /// Time between heartbeats on a notification socket.
    #[serde(deserialize_with = "duration")]
    pub heartbeat: Duration,
    /// How long a notification channel lives.
    #[serde(deserialize_with = "duration")]
    pub channel_lifetime: Duration,
    /// Probability that an update operation ends `Error` whatever its content.
    pub bulk_error_rate: Probability,
    /// Probability that a notification is not delivered and its socket is dropped instead.
    pub drop_notifications: Probability,
    /// Whether an update that fails an agent's check says which agent and why in its
    /// notification's `error`; `None` leaves it to the profile (see [`Config::error_detail`]).
    /// A stale schedule or agent version is told either way.
    ///
    /// [`Config::error_detail`]: super::Config::error_detail
    pub error_detail: Option<bool>,
    /// Today, `YYYY-MM-DD`, so that runs repeat; the system clock's date when not set.
    pub today: Option<String>,
    /// The `[[wfm.units]]` entries: a unit's time zone and first day of the week.
    pub units: Vec<UnitConfig>,
    /// The zones units get when no entry sets one: the profile's, which the file cannot change.
    #[serde(skip)]
    pub zones: ZoneSet,
}

impl Default for WfmConfig {
    fn default() -> Self {
        WfmConfig {
            business_units: 1,
            management_unit_agents: 1500,
            bulk_processing: Duration::from_secs(3),
            per_agent_processing: Duration::ZERO,
            upload_bytes_max: 10 * 1024 * 1024,
            upload_key_lifetime: Duration::from_secs(600),
            inline_query_agents: 500,
            query_processing: Duration::from_millis(200),
            heartbeat: Duration::from_secs(30),
            channel_lifetime: Duration::from_secs(86_400),
            bulk_error_rate: Probability(0.0),
            drop_notifications: Probability(0.0),
            error_detail: None,
            today: None,
            units: Vec::new(),
            zones: ZoneSet::default(),
        }
    }
}

impl WfmConfig {
    /// Checks values no server could use.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |key: &str, message: &str| Err((key.to_string(), message.to_string()));
        if self.business_units == 0 || self.business_units > 1000 {
            return err("wfm.business_units", "must be 1..=1000");
        }
        if self.management_unit_agents == 0 {
            return err("wfm.management_unit_agents", "must be at least 1");
        }
        if self.heartbeat.is_zero() {
            return err("wfm.heartbeat", "must be longer than zero");
        }
        if self.channel_lifetime.is_zero() || self.upload_key_lifetime.is_zero() {
            return err("wfm.channel_lifetime", "lifetimes must be longer than zero");
        }
        if let Some(today) = &self.today {
            pacer_genesys::datetime::check_date(today)
                .map_err(|reason| ("wfm.today".to_string(), format!("`{today}` {reason}")))?;
        }
        self.unit_settings()
            .map_err(|problem| (problem.key, problem.message))?;
        Ok(())
    }

    /// Each business unit's name, zone and first day of the week: the profile's, with the
    /// `[[wfm.units]]` entries over them.
    pub fn unit_settings(&self) -> Result<Vec<UnitSettings>, super::business_units::UnitProblem> {
        resolve_units(self.business_units, self.zones, &self.units)
    }
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    DurationText::deserialize(d).map(|d| d.0)
}
