//! The upload's bytes: `UpdateScheduleUploadSchema` as gzip JSON, split into parts when one would
//! pass the storage's size cap (each part then goes as its own update, one after the other).

use std::io::Write as _;

use bytes::Bytes;
use pacer_genesys::wfm::{
    BuUpdateAgentScheduleUploadSchema, UpdateScheduleUploadSchema, VersionedMetadata,
};

/// One upload, ready to send.
#[derive(Debug, Clone)]
pub struct Part {
    /// The gzip JSON.
    pub data: Bytes,
    /// Its size before compression.
    pub json_bytes: usize,
}

/// The gzip JSON of `entries` against schedule version `version`.
pub fn encode(version: u64, entries: &[BuUpdateAgentScheduleUploadSchema]) -> Part {
    let json = json(version, entries);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(&json);
    let data = encoder.finish().unwrap_or_default();
    Part {
        data: Bytes::from(data),
        json_bytes: json.len(),
    }
}

/// The upload's JSON (`UpdateScheduleUploadSchema`) before compression.
pub fn json(version: u64, entries: &[BuUpdateAgentScheduleUploadSchema]) -> Vec<u8> {
    let schema = UpdateScheduleUploadSchema {
        metadata: VersionedMetadata::version(version),
        agent_schedules: entries.to_vec(),
        description: None,
        published: None,
    };
    // The wire types serialize infallibly, and writing to a Vec cannot fail.
    serde_json::to_vec(&schema).unwrap_or_default()
}

/// Splits `entries` into the fewest halves whose gzip stays within `max_bytes` and that hold at
/// most `max_agents` agents; the version of each part after the first is filled in when it is
/// sent. An agent alone past the cap is one part all the same (the storage then refuses it, and
/// says so).
pub fn split(
    entries: &[BuUpdateAgentScheduleUploadSchema],
    max_bytes: u64,
    max_agents: usize,
) -> Vec<std::ops::Range<usize>> {
    let mut parts = Vec::new();
    let mut stack = Vec::new();
    stack.push(0..entries.len());
    while let Some(range) = stack.pop() {
        let fits = range.len() <= max_agents.max(1)
            && encode(0, &entries[range.clone()]).data.len() as u64 <= max_bytes;
        if fits || range.len() <= 1 {
            parts.push(range);
        } else {
            let middle = range.start + range.len() / 2;
            // Pushed second, the first half is split or kept first: parts stay in input order.
            stack.push(middle..range.end);
            stack.push(range.start..middle);
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn entry(i: usize) -> BuUpdateAgentScheduleUploadSchema {
        BuUpdateAgentScheduleUploadSchema {
            user_id: format!("user-{i:05}-{}", "x".repeat(i % 17)),
            shifts: Some(Vec::new()),
            full_day_time_off_markers: None,
            metadata: Some(VersionedMetadata::version(i as u64)),
            delete: None,
        }
    }

    #[test]
    fn uploads_are_gzip_json_and_split_under_the_cap_in_order() {
        let entries: Vec<_> = (0..2000).map(entry).collect();
        let part = encode(7, &entries);
        let mut json = String::new();
        flate2::read::GzDecoder::new(&part.data[..])
            .read_to_string(&mut json)
            .unwrap();
        assert!(
            json.starts_with(
                r#"{"metadata":{"version":7},"agentSchedules":[{"userId":"user-00000-""#
            )
        );
        assert_eq!(json.len(), part.json_bytes);
        let whole = split(&entries, u64::MAX, usize::MAX);
        assert_eq!(whole, vec![0..2000]);
        let cap = part.data.len() as u64 / 3;
        let parts = split(&entries, cap, usize::MAX);
        assert!(parts.len() >= 3, "{parts:?}");
        let mut next = 0;
        for range in &parts {
            assert_eq!(range.start, next);
            next = range.end;
            assert!(encode(0, &entries[range.clone()]).data.len() as u64 <= cap);
        }
        assert_eq!(next, 2000);
    }

    #[test]
    fn no_part_holds_more_agents_than_the_cap() {
        let entries: Vec<_> = (0..1500).map(entry).collect();
        let parts = split(&entries, u64::MAX, 1000);
        assert_eq!(parts, vec![0..750, 750..1500]);
        assert_eq!(split(&entries, u64::MAX, 1500), vec![0..1500]);
    }
}
