//! The emulator's reading of a schedule upload: `UpdateScheduleUploadSchema` borrowed from the
//! inflated text (strings without escapes are not copied) and handed over one agent at a time,
//! so that checking an upload of ten thousand agents never holds them all parsed at once.

use std::borrow::Cow;
use std::fmt;
use std::io::Read as _;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The most bytes an upload may inflate to: a guard against a compression bomb.
const MAX_INFLATED: u64 = 256 * 1024 * 1024;

/// What an upload says besides its agents.
#[derive(Debug, Default)]
pub struct Head<'a> {
    /// `metadata.version`: the schedule's version the upload was made against.
    pub version: u64,
    pub description: Option<Cow<'a, str>>,
    pub published: Option<bool>,
    /// How many agents it holds.
    pub agents: usize,
}

/// `{"version": N}`.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Version {
    pub version: u64,
}

/// `BuUpdateAgentScheduleUploadSchema`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentUpload<'a> {
    #[serde(borrow)]
    pub user_id: Cow<'a, str>,
    #[serde(default, borrow)]
    pub shifts: Option<Vec<ShiftUpload<'a>>>,
    /// `None` leaves the agent's full days of time off as they are; a list replaces them.
    #[serde(default, borrow)]
    pub full_day_time_off_markers: Option<Vec<MarkerUpload<'a>>>,
    #[serde(default)]
    pub metadata: Option<Version>,
    #[serde(default)]
    pub delete: Option<bool>,
}

/// One uploaded shift.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftUpload<'a> {
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub start_date: Cow<'a, str>,
    pub length_minutes: u32,
    #[serde(default, borrow)]
    pub activities: Vec<ActivityUpload<'a>>,
    #[serde(default)]
    pub delete: Option<bool>,
}

/// One uploaded activity.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityUpload<'a> {
    #[serde(borrow)]
    pub start_date: Cow<'a, str>,
    pub length_minutes: u32,
    #[serde(borrow)]
    pub activity_code_id: Cow<'a, str>,
    #[serde(default, borrow)]
    pub description: Cow<'a, str>,
}

/// One uploaded `BuFullDayTimeOffMarker`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkerUpload<'a> {
    #[serde(borrow)]
    pub business_unit_date: Cow<'a, str>,
    pub length_minutes: u32,
    #[serde(default, borrow)]
    pub description: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub activity_code_id: Cow<'a, str>,
    #[serde(default)]
    pub paid: Option<bool>,
    #[serde(default, borrow)]
    pub time_off_request_id: Option<Cow<'a, str>>,
}

/// Inflates gzip data, refusing more than a quarter of a gigabyte.
pub fn inflate(data: &[u8]) -> Result<Vec<u8>, String> {
    // The gzip trailer's last four bytes are the inflated size (modulo 2^32): a first guess of
    // the capacity, so that the text is not copied while it grows.
    let size = data
        .len()
        .checked_sub(4)
        .and_then(|at| data[at..].try_into().ok())
        .map_or(0, u32::from_le_bytes);
    let mut out = Vec::with_capacity((u64::from(size).min(MAX_INFLATED)) as usize);
    flate2::read::GzDecoder::new(data)
        .take(MAX_INFLATED)
        .read_to_end(&mut out)
        .map_err(|err| format!("the upload is not valid gzip data ({err})"))?;
    Ok(out)
}

/// Reads an inflated upload (`UpdateScheduleUploadSchema`), handing each agent to `on_agent` as
/// soon as it is read, so that the agents are never all held at once; the first error of
/// `on_agent` stops the reading and is returned as it is.
pub fn read<'a>(
    text: &'a [u8],
    mut on_agent: impl FnMut(usize, AgentUpload<'a>) -> Result<(), String>,
) -> Result<Head<'a>, String> {
    let mut refused = None;
    let mut guarded = |i: usize, agent: AgentUpload<'a>| {
        on_agent(i, agent).map_err(|reason| refused = Some(reason))
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let head = UploadSeed {
        on_agent: &mut guarded,
    }
    .deserialize(&mut de)
    .and_then(|head| de.end().map(|()| head));
    match (head, refused) {
        (_, Some(reason)) => Err(reason),
        (Ok(Some(head)), None) => Ok(head),
        (Ok(None), None) => Err("missing field `metadata`".into()),
        (Err(err), None) => Err(err.to_string()),
    }
}

/// Reads the upload's object; `None` when it has no `metadata`.
struct UploadSeed<'f, F> {
    on_agent: &'f mut F,
}

impl<'de, F> DeserializeSeed<'de> for UploadSeed<'_, F>
where
    F: FnMut(usize, AgentUpload<'de>) -> Result<(), ()>,
{
    type Value = Option<Head<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F> Visitor<'de> for UploadSeed<'_, F>
where
    F: FnMut(usize, AgentUpload<'de>) -> Result<(), ()>,
{
    type Value = Option<Head<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an UpdateScheduleUploadSchema object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut head = Head::default();
        let mut version = None;
        let mut agents_seen = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "metadata" => {
                    if version.is_some() {
                        return Err(de::Error::duplicate_field("metadata"));
                    }
                    version = Some(map.next_value::<Version>()?.version);
                }
                "agentSchedules" => {
                    // A second list would hand agents over again from index 0.
                    if std::mem::replace(&mut agents_seen, true) {
                        return Err(de::Error::duplicate_field("agentSchedules"));
                    }
                    head.agents = map.next_value_seed(AgentsSeed {
                        on_agent: &mut *self.on_agent,
                    })?;
                }
                "description" => head.description = map.next_value()?,
                "published" => head.published = map.next_value()?,
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(version.map(|version| Head { version, ..head }))
    }
}

/// Reads `agentSchedules` one agent at a time; its value is how many there were.
struct AgentsSeed<'f, F> {
    on_agent: &'f mut F,
}

impl<'de, F> DeserializeSeed<'de> for AgentsSeed<'_, F>
where
    F: FnMut(usize, AgentUpload<'de>) -> Result<(), ()>,
{
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F> Visitor<'de> for AgentsSeed<'_, F>
where
    F: FnMut(usize, AgentUpload<'de>) -> Result<(), ()>,
{
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of agent schedules")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut count = 0;
        while let Some(agent) = seq.next_element::<AgentUpload<'de>>()? {
            (self.on_agent)(count, agent)
                .map_err(|()| de::Error::custom("an agent was refused"))?;
            count += 1;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacer_genesys::wfm::{
        BuAgentScheduleActivity, BuAgentScheduleShift, BuFullDayTimeOffMarker,
        BuUpdateAgentScheduleUploadSchema, UpdateScheduleUploadSchema, VersionedMetadata,
    };

    #[test]
    fn a_second_list_of_agents_or_metadata_is_refused() {
        // Found by the `upload_reader` fuzz target: a repeated key handed agents over again.
        let twice = br#"{"metadata":{"version":3},"agentSchedules":[{"userId":"a"}],"agentSchedules":[{"userId":"b"}]}"#;
        let mut seen = Vec::new();
        let err = read(twice, |i, _| {
            seen.push(i);
            Ok(())
        })
        .unwrap_err();
        assert!(err.contains("duplicate field `agentSchedules`"), "{err}");
        assert_eq!(seen, [0]);
        let err = read(
            br#"{"metadata":{"version":3},"metadata":{"version":4}}"#,
            |_, _| Ok(()),
        )
        .unwrap_err();
        assert!(err.contains("duplicate field `metadata`"), "{err}");
    }

    #[test]
    fn what_the_wire_types_write_reads_back_borrowed() {
        let written = UpdateScheduleUploadSchema {
            metadata: VersionedMetadata::version(4),
            agent_schedules: vec![BuUpdateAgentScheduleUploadSchema {
                user_id: "u1".into(),
                shifts: Some(vec![BuAgentScheduleShift {
                    id: Some("s1".into()),
                    start_date: "2026-12-07T08:00:00Z".into(),
                    length_minutes: 60,
                    activities: vec![BuAgentScheduleActivity {
                        start_date: "2026-12-07T08:00:00Z".into(),
                        length_minutes: 60,
                        activity_code_id: "c".into(),
                        description: "a \"quoted\" one".into(),
                        paid: None,
                    }],
                    manually_edited: None,
                    delete: None,
                }]),
                full_day_time_off_markers: Some(vec![BuFullDayTimeOffMarker {
                    business_unit_date: "2026-12-08".into(),
                    length_minutes: 480,
                    description: None,
                    activity_code_id: "t".into(),
                    paid: Some(true),
                    time_off_request_id: Some("r1".into()),
                }]),
                metadata: Some(VersionedMetadata::version(2)),
                delete: None,
            }],
            description: Some("d".into()),
            published: Some(true),
        };
        let text = serde_json::to_vec(&written).unwrap();
        let mut agents = Vec::new();
        let head = read(&text, |i, agent| {
            agents.push((i, agent));
            Ok(())
        })
        .unwrap();
        assert_eq!((head.version, head.agents), (4, 1));
        assert_eq!(head.published, Some(true));
        let (i, agent) = &agents[0];
        assert_eq!(*i, 0);
        assert!(matches!(agent.user_id, Cow::Borrowed("u1")));
        assert_eq!(agent.metadata.unwrap().version, 2);
        let shift = &agent.shifts.as_ref().unwrap()[0];
        assert_eq!(shift.activities[0].description, "a \"quoted\" one");
        let marker = &agent.full_day_time_off_markers.as_ref().unwrap()[0];
        assert!(matches!(
            marker.business_unit_date,
            Cow::Borrowed("2026-12-08")
        ));
        assert_eq!((marker.length_minutes, marker.paid), (480, Some(true)));
        assert!(marker.description.is_none());
        assert_eq!(marker.time_off_request_id.as_deref(), Some("r1"));
    }

    #[test]
    fn refusals_and_bad_documents_are_errors() {
        let missing = read(b"{\"agentSchedules\": []}", |_, _| Ok(()));
        assert!(missing.unwrap_err().contains("metadata"));
        let text =
            br#"{"metadata":{"version":1},"agentSchedules":[{"userId":"a"},{"userId":"b"}]}"#;
        let refused = read(
            text,
            |i, _| {
                if i == 1 { Err("no b".into()) } else { Ok(()) }
            },
        );
        assert_eq!(refused.unwrap_err(), "no b");
        let trailing = read(b"{\"metadata\":{\"version\":1}} trailing", |_, _| Ok(()));
        assert!(trailing.is_err());
        assert!(read(b"[]", |_, _| Ok(())).is_err());
        assert!(inflate(b"not gzip").is_err());
    }
}
