//! Wire types of Workforce Management's business units, schedules and the asynchronous schedule
//! update (`/api/v2/workforcemanagement`), named as the official SDKs name their models.
//!
//! Optional fields are left out when empty, as the real API and the SDKs do; every type reads
//! leniently (unknown fields ignored, most fields defaulted) so that the client parses any answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The path prefix of every WFM route.
pub const WFM_PREFIX: &str = "/api/v2/workforcemanagement";

/// The notification topic of a business unit's schedule operations.
pub fn schedules_topic(business_unit_id: &str) -> String {
    format!("v2.workforcemanagement.businessunits.{business_unit_id}.schedules")
}

/// The notification topic of a user's asynchronous agent-schedule queries.
pub fn schedule_query_topic(user_id: &str) -> String {
    format!("v2.workforcemanagement.users.{user_id}.schedules.query")
}

/// Olson time zones without daylight saving time, with their offset from UTC in minutes: the
/// emulator's `seed` profile gives its business units these zones (the `genesys` profile gives
/// real zones with daylight saving time). Weeks are computed by `zone`, never from these offsets.
pub const FIXED_OFFSET_ZONES: [(&str, i32); 9] = [
    ("Etc/UTC", 0),
    ("America/Phoenix", -7 * 60),
    ("Asia/Kolkata", 5 * 60 + 30),
    ("Asia/Tokyo", 9 * 60),
    ("America/Bogota", -5 * 60),
    ("Africa/Johannesburg", 2 * 60),
    ("Asia/Dubai", 4 * 60),
    ("Asia/Singapore", 8 * 60),
    ("UTC", 0),
];

/// A listing: `{entities: [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entities<T> {
    #[serde(default = "Vec::new")]
    pub entities: Vec<T>,
}

/// A reference by id (`UserReference`, `BusinessUnitReference`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

impl IdRef {
    /// A reference without a self URI.
    pub fn new(id: impl Into<String>) -> Self {
        IdRef {
            id: id.into(),
            self_uri: None,
        }
    }
}

/// A named reference (`Division`, `ManagementUnitReference` with a name, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// `BusinessUnitListItem` of `GET /businessunits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessUnitListItem {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub authorized: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<NamedRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// `BusinessUnitResponse` of `GET /businessunits/{buId}` (settings only with `expand`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessUnit {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<NamedRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<BusinessUnitSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// `BusinessUnitSettingsResponse`, the parts pacer uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessUnitSettings {
    /// `Sunday` through `Saturday`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_day_of_week: Option<String>,
    /// An Olson time zone, e.g. `Europe/London`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// `ManagementUnitListing`'s entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagementUnit {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_unit: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// `AgentManagementUnitReference` of `GET /agents/{agentId}/managementunit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentManagementUnitReference {
    pub user: IdRef,
    pub management_unit: IdRef,
    pub business_unit: IdRef,
}

/// `BusinessUnitActivityCode`, the parts pacer uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityCode {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub default_code: bool,
    /// `OnQueueWork`, `Break`, `Meal`, `Meeting`, `OffQueueWork`, `TimeOff`, `Training` or
    /// `Unavailable`.
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_in_minutes: Option<u32>,
    #[serde(default)]
    pub counts_as_paid_time: bool,
    #[serde(default)]
    pub counts_as_work_time: bool,
}

/// `WfmVersionedEntityMetadata`: the version guards against concurrent edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionedMetadata {
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
}

impl VersionedMetadata {
    /// Metadata with only a version, as an upload carries it.
    pub fn version(version: u64) -> Self {
        VersionedMetadata {
            version,
            modified_by: None,
            date_modified: None,
        }
    }
}

/// `BuScheduleMetadata` (and the list's `BuScheduleListItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuScheduleMetadata {
    pub id: String,
    /// The first day of the schedule's first week, `YYYY-MM-DD`.
    pub week_date: String,
    #[serde(default = "one")]
    pub week_count: u32,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub published: bool,
    pub metadata: VersionedMetadata,
    /// Present with `expand=managementUnits.agents` (agents listed) or on a completed operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_units: Option<Vec<BuManagementUnitScheduleSummary>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

fn one() -> u32 {
    1
}

/// `BuManagementUnitScheduleSummary`: a management unit of a schedule, with its agents on request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuManagementUnitScheduleSummary {
    pub management_unit: IdRef,
    #[serde(default)]
    pub agent_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<Vec<IdRef>>,
}

/// `BuCreateBlankScheduleRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuCreateBlankScheduleRequest {
    pub description: String,
    #[serde(default = "one")]
    pub week_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_term_forecast: Option<IdRef>,
}

/// `BuQueryAgentSchedulesRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuQueryAgentSchedulesRequest {
    pub management_unit_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_ids: Option<Vec<String>>,
}

/// The state of an asynchronous operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperationStatus {
    Processing,
    Complete,
    Canceled,
    Error,
}

/// `BuAsyncAgentSchedulesQueryResponse`: inline, by download URL, or `Processing` until a
/// notification on the user's query topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuAsyncAgentSchedulesQueryResponse {
    pub status: OperationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<BuAgentSchedulesQueryResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

/// `BuAgentSchedulesQueryResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuAgentSchedulesQueryResponse {
    #[serde(default)]
    pub agent_schedules: Vec<BuAgentScheduleQueryResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_unit_time_zone: Option<String>,
}

/// `BuAgentScheduleQueryResponse`: one agent's schedule as the read side shows it (`user.id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuAgentScheduleQueryResponse {
    pub user: IdRef,
    #[serde(default)]
    pub shifts: Vec<BuAgentScheduleShift>,
    #[serde(default)]
    pub full_day_time_off_markers: Vec<BuFullDayTimeOffMarker>,
    pub metadata: VersionedMetadata,
}

/// `BuFullDayTimeOffMarker`: a whole day of time off, by the business unit's date rather than by
/// an instant (the fields a schedule upload writes and the reads show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuFullDayTimeOffMarker {
    /// The day, `YYYY-MM-DD`, in the business unit's time zone.
    pub business_unit_date: String,
    pub length_minutes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// An activity code of category `TimeOff`.
    pub activity_code_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_off_request_id: Option<String>,
}

/// `BuAgentScheduleShift` on the read side, and the upload's shift (`delete` only there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuAgentScheduleShift {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub start_date: String,
    pub length_minutes: u32,
    #[serde(default)]
    pub activities: Vec<BuAgentScheduleActivity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manually_edited: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<bool>,
}

/// `BuAgentScheduleActivity`: all four fields are required in an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuAgentScheduleActivity {
    pub start_date: String,
    pub length_minutes: u32,
    pub activity_code_id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<bool>,
}

/// `BuSearchAgentSchedulesRequest`: the business unit's published agent schedules in a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuSearchAgentSchedulesRequest {
    pub start_date: String,
    pub end_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ids: Option<Vec<String>>,
}

/// `BuAsyncAgentSchedulesSearchResponse`: inline or by download URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuAsyncAgentSchedulesSearchResponse {
    pub status: OperationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<BuAgentSchedulesSearchResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

/// `BuAgentSchedulesSearchResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuAgentSchedulesSearchResponse {
    #[serde(default)]
    pub agent_schedules: Vec<BuAgentScheduleSearchResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_unit_time_zone: Option<String>,
    #[serde(default)]
    pub published_schedules: Vec<BuSchedulePublishedReference>,
}

/// `BuAgentScheduleSearchResponse`: an agent's published shifts (no version on this side).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuAgentScheduleSearchResponse {
    pub user: IdRef,
    #[serde(default)]
    pub shifts: Vec<BuAgentScheduleShift>,
    #[serde(default)]
    pub full_day_time_off_markers: Vec<BuFullDayTimeOffMarker>,
}

/// `BuAgentSchedulePublishedScheduleReference`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuSchedulePublishedReference {
    pub id: String,
    pub week_date: String,
    #[serde(default = "one")]
    pub week_count: u32,
}

/// `UploadUrlRequestBody`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrlRequestBody {
    /// The size of the gzip data that will be uploaded.
    pub content_length_bytes: u64,
}

/// `UpdateScheduleUploadResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateScheduleUploadResponse {
    pub upload_key: String,
    pub url: String,
    /// Headers the upload must carry, exactly.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub upload_body_schema: Option<serde_json::Value>,
}

/// `UpdateScheduleUploadSchema`: the gzip JSON body of the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateScheduleUploadSchema {
    /// The schedule's version as last read (required).
    pub metadata: VersionedMetadata,
    #[serde(default)]
    pub agent_schedules: Vec<BuUpdateAgentScheduleUploadSchema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<bool>,
}

/// `BuUpdateAgentScheduleUploadSchema`: one agent of an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuUpdateAgentScheduleUploadSchema {
    pub user_id: String,
    /// The agent's new shifts; `None` leaves them as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shifts: Option<Vec<BuAgentScheduleShift>>,
    /// The agent's full days of time off; `None` leaves them as they are, a list replaces them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_day_time_off_markers: Option<Vec<BuFullDayTimeOffMarker>>,
    /// Required when the agent already has a schedule: its version as last read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<VersionedMetadata>,
    /// Removes the agent from the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<bool>,
}

/// `ProcessScheduleUpdateUploadRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessScheduleUpdateUploadRequest {
    pub upload_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_unit_ids_for_added_team_users: Option<Vec<String>>,
}

/// `BuAsyncScheduleResponse` of the update request; `result` only when `Complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuAsyncScheduleResponse {
    pub status: OperationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    #[serde(default)]
    pub result: Option<BuScheduleMetadata>,
}

/// The event body on a business unit's schedules topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuScheduleNotification {
    pub status: OperationStatus,
    pub operation_id: String,
    /// `Update`, `Import`, `Copy` or `Delete`.
    pub event_type: String,
    #[serde(default)]
    pub result: Option<BuScheduleMetadata>,
    /// Why an operation ended `Error` (the emulator's addition; the real topic may omit it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<OperationError>,
}

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationError {
    pub message: String,
}

/// The event body on a user's schedule-query topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSchedulesQueryNotification {
    pub status: OperationStatus,
    pub operation_id: String,
    pub business_unit_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_field_names_are_used() {
        let upload = UpdateScheduleUploadSchema {
            metadata: VersionedMetadata::version(3),
            agent_schedules: vec![BuUpdateAgentScheduleUploadSchema {
                user_id: "u1".into(),
                shifts: Some(vec![BuAgentScheduleShift {
                    id: None,
                    start_date: "2026-12-07T08:00:00Z".into(),
                    length_minutes: 480,
                    activities: vec![BuAgentScheduleActivity {
                        start_date: "2026-12-07T08:00:00Z".into(),
                        length_minutes: 480,
                        activity_code_id: "a".into(),
                        description: "Work".into(),
                        paid: None,
                    }],
                    manually_edited: None,
                    delete: None,
                }]),
                full_day_time_off_markers: None,
                metadata: Some(VersionedMetadata::version(1)),
                delete: None,
            }],
            description: None,
            published: None,
        };
        let json = serde_json::to_string(&upload).unwrap();
        assert_eq!(
            json,
            r#"{"metadata":{"version":3},"agentSchedules":[{"userId":"u1","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"a","description":"Work"}]}],"metadata":{"version":1}}]}"#
        );
        let back: UpdateScheduleUploadSchema = serde_json::from_str(&json).unwrap();
        assert_eq!(back, upload);
        let answer: BuAsyncScheduleResponse =
            serde_json::from_str(r#"{"status":"Processing","operationId":"op","result":null}"#)
                .unwrap();
        assert_eq!(answer.status, OperationStatus::Processing);
        let marker: BuFullDayTimeOffMarker = serde_json::from_str(
            r#"{"businessUnitDate":"2026-12-08","lengthMinutes":480,"activityCodeId":"t","paid":true}"#,
        )
        .unwrap();
        assert_eq!((marker.length_minutes, marker.paid), (480, Some(true)));
        assert_eq!(
            serde_json::to_string(&marker).unwrap(),
            r#"{"businessUnitDate":"2026-12-08","lengthMinutes":480,"activityCodeId":"t","paid":true}"#
        );
        assert_eq!(
            schedules_topic("bu"),
            "v2.workforcemanagement.businessunits.bu.schedules"
        );
    }
}
