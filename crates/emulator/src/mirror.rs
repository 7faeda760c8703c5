//! A mirror of an organization's shape, as `pacer mirror` reads it (read-only) and
//! `pacer emulate --mirror FILE` serves it: its limits, business units (zone, start day, activity
//! codes, management units and their members, schedules) and users. Versioned JSON; it holds no
//! token or secret, and users' names and e-mails only when they were asked for.

use pacer_genesys::wfm::{ActivityCode, BuAgentScheduleShift, BuFullDayTimeOffMarker};
use serde::{Deserialize, Serialize};

/// The mirror format this code writes and reads.
pub const MIRROR_VERSION: u32 = 1;

/// An organization's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mirror {
    /// [`MIRROR_VERSION`].
    pub version: u32,
    /// When it was read, RFC 3339.
    pub taken_at: String,
    /// The API's host it was read from (no path, no credentials).
    pub source: String,
    /// Whether users' names and e-mails were kept (personal data: only when asked for).
    pub with_names: bool,
    /// Whether the agents' shifts were read.
    pub with_schedules: bool,
    /// The limits API's entities of the namespaces pacer uses.
    #[serde(default)]
    pub limits: Vec<MirrorLimit>,
    #[serde(default)]
    pub business_units: Vec<MirrorUnit>,
    /// Every user of the management units (members), in no particular order.
    #[serde(default)]
    pub users: Vec<MirrorUser>,
}

/// One entity of the limits API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MirrorLimit {
    pub namespace: String,
    pub key: String,
    pub value: u64,
}

/// A business unit with its settings, codes, management units and schedules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MirrorUnit {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division_id: Option<String>,
    /// An IANA time zone.
    pub time_zone: String,
    /// `Monday` .. `Sunday`.
    pub start_day_of_week: String,
    #[serde(default)]
    pub activity_codes: Vec<ActivityCode>,
    #[serde(default)]
    pub management_units: Vec<MirrorManagementUnit>,
    /// The published weeks' schedules (and their agents' shifts, with schedules).
    #[serde(default)]
    pub schedules: Vec<MirrorSchedule>,
}

/// A management unit and its members' user ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MirrorManagementUnit {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub members: Vec<String>,
}

/// A schedule's metadata, and its agents when they were read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MirrorSchedule {
    pub id: String,
    /// `YYYY-MM-DD`, the unit's start day.
    pub week_date: String,
    pub week_count: u32,
    pub published: bool,
    #[serde(default)]
    pub description: String,
    /// `metadata.version`.
    pub version: u64,
    /// `None`: not read (the emulator then seeds its own shifts, as for a profile's schedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<Vec<MirrorAgentSchedule>>,
}

/// One agent's schedule in a mirrored schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MirrorAgentSchedule {
    pub user_id: String,
    pub version: u64,
    #[serde(default)]
    pub shifts: Vec<BuAgentScheduleShift>,
    #[serde(default)]
    pub full_day_time_off_markers: Vec<BuFullDayTimeOffMarker>,
}

/// A user: its id, and its name and e-mail only in a mirror taken with names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MirrorUser {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_reads_back_what_it_wrote() {
        let mirror = Mirror {
            version: MIRROR_VERSION,
            taken_at: "2026-12-05T12:00:00Z".into(),
            source: "api.example.com".into(),
            with_names: false,
            with_schedules: false,
            limits: vec![MirrorLimit {
                namespace: "platform.api".into(),
                key: "client.credentials.token.rate.per.minute".into(),
                value: 300,
            }],
            business_units: Vec::new(),
            users: vec![MirrorUser {
                id: "u1".into(),
                name: None,
                email: None,
            }],
        };
        let text = serde_json::to_string(&mirror).unwrap();
        assert!(
            text.contains(r#""takenAt":"2026-12-05T12:00:00Z""#),
            "{text}"
        );
        assert!(
            !text.contains("email"),
            "no personal data without names: {text}"
        );
        assert_eq!(serde_json::from_str::<Mirror>(&text).unwrap(), mirror);
    }
}
