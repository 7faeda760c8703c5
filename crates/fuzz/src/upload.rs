//! The schedule upload, both ends: the JSON the client builds the emulator reads back the same
//! (agents, shifts and activities, in order), and any bytes the storage is handed read or refuse
//! without panic.

use pacer_client::bulk::upload;
use pacer_emulator::uploads;
use pacer_genesys::wfm::{
    BuAgentScheduleActivity, BuAgentScheduleShift, BuUpdateAgentScheduleUploadSchema,
    VersionedMetadata,
};

use crate::draw::Draw;

/// Agents drawn from the bytes, written as the client writes an upload, read by the emulator.
pub fn run_roundtrip(data: &[u8]) {
    let mut draw = Draw::new(data);
    let version = u64::from(draw.u32());
    let mut entries = Vec::new();
    while !draw.is_empty() && entries.len() < 16 {
        entries.push(agent(&mut draw));
    }
    // The JSON the client builds is what the emulator reads. Its gzip (flate2's, a few hundred
    // kilobytes of compressor state a time) is left to the unit tests and to `upload_reader`,
    // which fuzzes inflating: here it would cut the executions fifty-fold.
    let text = upload::json(version, &entries);
    let mut read = 0;
    let head = uploads::read(&text, |i, agent| {
        let sent = &entries[i];
        assert_eq!(agent.user_id, sent.user_id.as_str());
        assert_eq!(agent.delete, sent.delete);
        assert_eq!(
            agent.metadata.map(|m| m.version),
            sent.metadata.as_ref().map(|m| m.version)
        );
        let shifts = agent.shifts.unwrap_or_default();
        let sent_shifts = sent.shifts.as_deref().unwrap_or_default();
        assert_eq!(shifts.len(), sent_shifts.len());
        for (shift, sent) in shifts.iter().zip(sent_shifts) {
            assert_eq!(shift.start_date, sent.start_date.as_str());
            assert_eq!(shift.length_minutes, sent.length_minutes);
            assert_eq!(shift.id.as_deref(), sent.id.as_deref());
            assert_eq!(shift.activities.len(), sent.activities.len());
            for (activity, sent) in shift.activities.iter().zip(&sent.activities) {
                assert_eq!(activity.activity_code_id, sent.activity_code_id.as_str());
                assert_eq!(activity.description, sent.description.as_str());
                assert_eq!(activity.start_date, sent.start_date.as_str());
                assert_eq!(activity.length_minutes, sent.length_minutes);
            }
        }
        read += 1;
        Ok(())
    })
    .expect("the client's upload reads");
    assert_eq!(head.version, version);
    assert_eq!(head.agents, entries.len());
    assert_eq!(read, entries.len());
}

/// Any bytes handed to the storage: gzip when they say so, else read as the inflated text.
pub fn run_reader(data: &[u8]) {
    let inflated;
    let text = if data.starts_with(&[0x1f, 0x8b]) {
        match uploads::inflate(data) {
            Ok(text) => {
                inflated = text;
                &inflated[..]
            }
            Err(_) => return,
        }
    } else {
        data
    };
    let mut seen = 0;
    if let Ok(head) = uploads::read(text, |i, _| {
        assert_eq!(i, seen, "agents are handed over in order");
        seen += 1;
        Ok(())
    }) {
        assert_eq!(head.agents, seen);
    }
}

fn agent(draw: &mut Draw<'_>) -> BuUpdateAgentScheduleUploadSchema {
    let flags = draw.byte();
    let user_id = draw.text(48);
    let shifts = (flags & 1 == 1).then(|| {
        let count = draw.byte() % 4;
        (0..count).map(|_| shift(draw)).collect()
    });
    BuUpdateAgentScheduleUploadSchema {
        user_id,
        shifts,
        full_day_time_off_markers: None,
        metadata: (flags & 2 == 2).then(|| VersionedMetadata::version(u64::from(draw.u32()))),
        delete: (flags & 4 == 4).then_some(flags & 8 == 8),
    }
}

fn shift(draw: &mut Draw<'_>) -> BuAgentScheduleShift {
    let flags = draw.byte();
    let start_date = draw.text(40);
    let length_minutes = draw.u32();
    let count = draw.byte() % 4;
    let activities = (0..count)
        .map(|_| BuAgentScheduleActivity {
            start_date: draw.text(40),
            length_minutes: draw.u32(),
            activity_code_id: draw.text(40),
            description: draw.text(80),
            paid: None,
        })
        .collect();
    BuAgentScheduleShift {
        id: (flags & 1 == 1).then(|| draw.text(40)),
        start_date,
        length_minutes,
        activities,
        manually_edited: None,
        delete: (flags & 2 == 2).then_some(flags & 4 == 4),
    }
}
