//! The upload's bytes: `UpdateScheduleUploadSchema` as gzip JSON, compressed as the entries are
//! planned ([`PartWriter`]) and split into parts where one would pass the storage's size cap or
//! the agents an update may hold (each part then goes as its own update, one after the other).

use std::io::{Read as _, Write as _};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use pacer_genesys::wfm::{
    BuUpdateAgentScheduleUploadSchema, UpdateScheduleUploadSchema, VersionedMetadata,
};

/// What deflate and gzip may add to the bytes not yet flushed, at most: a stored block's header
/// per 16 KB, the final block, the `]}` that closes the JSON and the gzip trailer.
const SLACK: u64 = 64;

/// One upload, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The gzip JSON.
    pub data: Bytes,
    /// Its size before compression.
    pub json_bytes: usize,
    /// The schedule's version its metadata names.
    pub version: u64,
    /// The agents it holds.
    pub agents: usize,
}

impl Part {
    /// The same part against schedule version `version`: itself when it already names it, else
    /// inflated and compressed again with the new metadata (the version of a part after the
    /// first is the one the update before it left).
    pub fn with_version(&self, version: u64) -> Part {
        if version == self.version {
            return self.clone();
        }
        encode(version, &self.entries())
    }

    /// The part's entries, read back from its bytes (to narrow a refused part down or to plan
    /// it again after a conflict).
    pub fn entries(&self) -> Vec<BuUpdateAgentScheduleUploadSchema> {
        let mut json = Vec::with_capacity(self.json_bytes);
        let read = flate2::read::GzDecoder::new(&self.data[..]).read_to_end(&mut json);
        // The part's bytes are this module's own gzip JSON: they read back.
        read.ok()
            .and_then(|_| serde_json::from_slice::<UpdateScheduleUploadSchema>(&json).ok())
            .map(|schema| schema.agent_schedules)
            .unwrap_or_default()
    }
}

/// The gzip JSON of `entries` against schedule version `version`, in one part whatever its size.
pub fn encode(version: u64, entries: &[BuUpdateAgentScheduleUploadSchema]) -> Part {
    let mut writer = PartWriter::new(version, u64::MAX, usize::MAX);
    for entry in entries {
        writer.push(entry);
    }
    writer.finish().pop().unwrap_or_else(|| empty(version))
}

/// An upload of no agent.
fn empty(version: u64) -> Part {
    let mut part = Open::new(version);
    part.close(version)
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

/// Writes entries as they come into gzip parts, each within `max_bytes` compressed and
/// `max_agents` agents, in order; only the compressed bytes are held. An agent alone past the
/// cap is one part all the same (the storage then refuses it, and says so).
pub struct PartWriter {
    version: u64,
    max_bytes: u64,
    max_agents: usize,
    open: Option<Open>,
    parts: Vec<Part>,
    /// One entry's JSON, reused.
    scratch: Vec<u8>,
}

/// The part being written.
struct Open {
    encoder: GzEncoder<Vec<u8>>,
    json_bytes: usize,
    /// JSON written since the encoder's output was last exact (its last flush).
    unflushed: u64,
    agents: usize,
}

impl Open {
    fn new(version: u64) -> Open {
        let mut open = Open {
            encoder: GzEncoder::new(Vec::new(), Compression::fast()),
            json_bytes: 0,
            unflushed: 0,
            agents: 0,
        };
        open.write(
            format!(r#"{{"metadata":{{"version":{version}}},"agentSchedules":["#).as_bytes(),
        );
        open
    }

    fn write(&mut self, bytes: &[u8]) {
        // Writing to a Vec cannot fail.
        let _ = self.encoder.write_all(bytes);
        self.json_bytes += bytes.len();
        self.unflushed += bytes.len() as u64;
    }

    /// The compressed size once `more` JSON bytes are added, at most.
    fn bound(&self, more: usize) -> u64 {
        self.encoder.get_ref().len() as u64 + self.unflushed + more as u64 + SLACK
    }

    /// Makes the compressed size so far exact (a sync flush).
    fn flush(&mut self) {
        let _ = self.encoder.flush();
        self.unflushed = 0;
    }

    fn close(&mut self, version: u64) -> Part {
        self.write(b"]}");
        let encoder = std::mem::replace(
            &mut self.encoder,
            GzEncoder::new(Vec::new(), Compression::none()),
        );
        let mut data = encoder.finish().unwrap_or_default();
        data.shrink_to_fit();
        Part {
            data: Bytes::from(data),
            json_bytes: self.json_bytes,
            version,
            agents: self.agents,
        }
    }
}

impl PartWriter {
    pub fn new(version: u64, max_bytes: u64, max_agents: usize) -> PartWriter {
        PartWriter {
            version,
            max_bytes,
            max_agents: max_agents.max(1),
            open: None,
            parts: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Adds one agent's entry, closing the part first when it would not fit.
    pub fn push(&mut self, entry: &BuUpdateAgentScheduleUploadSchema) {
        self.scratch.clear();
        // The wire types serialize infallibly.
        let _ = serde_json::to_writer(&mut self.scratch, entry);
        let more = self.scratch.len() + 1;
        if let Some(open) = self.open.as_mut()
            && (open.agents >= self.max_agents || !fits(open, more, self.max_bytes))
        {
            let part = open.close(self.version);
            self.parts.push(part);
            self.open = None;
        }
        let open = self.open.get_or_insert_with(|| Open::new(self.version));
        if open.agents > 0 {
            open.write(b",");
        }
        open.write(&self.scratch);
        open.agents += 1;
    }

    /// The JSON of the entry pushed last, as the upload holds it.
    pub fn last_entry(&self) -> &[u8] {
        &self.scratch
    }

    /// The agents written so far.
    pub fn agents(&self) -> usize {
        self.parts.iter().map(|p| p.agents).sum::<usize>()
            + self.open.as_ref().map_or(0, |o| o.agents)
    }

    /// Every part, in order (none when no agent was written).
    pub fn finish(mut self) -> Vec<Part> {
        if let Some(mut open) = self.open.take() {
            self.parts.push(open.close(self.version));
        }
        self.parts
    }
}

/// Whether `more` JSON bytes keep the open part within `max_bytes`: by a bound first, and when
/// the bound passes the cap, by the exact size after a flush.
fn fits(open: &mut Open, more: usize, max_bytes: u64) -> bool {
    if open.bound(more) <= max_bytes {
        return true;
    }
    open.flush();
    open.bound(more) <= max_bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> BuUpdateAgentScheduleUploadSchema {
        BuUpdateAgentScheduleUploadSchema {
            user_id: format!("user-{i:05}-{}", "x".repeat(i % 17)),
            shifts: Some(Vec::new()),
            full_day_time_off_markers: None,
            metadata: Some(VersionedMetadata::version(i as u64)),
            delete: None,
        }
    }

    fn inflate(part: &Part) -> String {
        let mut json = String::new();
        flate2::read::GzDecoder::new(&part.data[..])
            .read_to_string(&mut json)
            .unwrap();
        json
    }

    #[test]
    fn an_upload_is_the_schemas_gzip_json() {
        let entries: Vec<_> = (0..2000).map(entry).collect();
        let part = encode(7, &entries);
        let json = inflate(&part);
        assert_eq!(json.as_bytes(), super::json(7, &entries).as_slice());
        assert_eq!(json.len(), part.json_bytes);
        assert_eq!((part.version, part.agents), (7, 2000));
        assert_eq!(part.entries(), entries);
        assert_eq!(
            inflate(&encode(3, &[])),
            r#"{"metadata":{"version":3},"agentSchedules":[]}"#
        );
    }

    #[test]
    fn a_streamed_upload_is_split_at_the_size_cap_in_order() {
        let entries: Vec<_> = (0..5000).map(entry).collect();
        let whole = encode(7, &entries);
        let cap = whole.data.len() as u64 / 3;
        let mut writer = PartWriter::new(7, cap, usize::MAX);
        for e in &entries {
            writer.push(e);
        }
        let parts = writer.finish();
        assert!((3..=5).contains(&parts.len()), "{} parts", parts.len());
        let mut again = Vec::new();
        for part in &parts {
            assert!(part.data.len() as u64 <= cap, "{} > {cap}", part.data.len());
            assert_eq!(inflate(part).len(), part.json_bytes);
            let read = part.entries();
            assert_eq!(read.len(), part.agents);
            again.extend(read);
        }
        assert_eq!(again, entries);
    }

    #[test]
    fn no_part_holds_more_agents_than_the_cap() {
        let entries: Vec<_> = (0..2500).map(entry).collect();
        let mut writer = PartWriter::new(1, u64::MAX, 1000);
        for e in &entries {
            writer.push(e);
        }
        assert_eq!(writer.agents(), 2500);
        let counts: Vec<usize> = writer.finish().iter().map(|p| p.agents).collect();
        assert_eq!(counts, vec![1000, 1000, 500]);
    }

    #[test]
    fn an_agent_alone_past_the_cap_is_a_part_of_its_own() {
        let mut writer = PartWriter::new(1, 10, usize::MAX);
        writer.push(&entry(1));
        writer.push(&entry(2));
        let parts = writer.finish();
        assert_eq!(
            parts.iter().map(|p| p.agents).collect::<Vec<_>>(),
            vec![1, 1]
        );
    }

    #[test]
    fn a_part_against_another_version_names_it() {
        let entries: Vec<_> = (0..10).map(entry).collect();
        let part = encode(4, &entries);
        assert_eq!(part.with_version(4), part);
        let moved = part.with_version(9);
        assert_eq!((moved.version, moved.entries()), (9, entries.clone()));
        assert_eq!(
            inflate(&moved).as_bytes(),
            super::json(9, &entries).as_slice()
        );
    }
}
