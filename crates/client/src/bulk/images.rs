//! Each agent's images for undo: what it held before a run's update (as read) and what the run
//! sent, in one JSON shape the journal keeps; and undo's wanted schedules made from them.

use std::collections::HashMap;

use pacer_genesys::wfm::{
    BuAgentScheduleShift, BuFullDayTimeOffMarker, BuUpdateAgentScheduleUploadSchema,
};
use serde::{Deserialize, Serialize};

use super::plan::{Current, Desired, DesiredActivity, DesiredShift, Guard};
use super::time_off::DesiredTimeOff;

/// An agent's schedule in a week: its shifts and full days off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleImage {
    #[serde(default)]
    pub shifts: Vec<BuAgentScheduleShift>,
    #[serde(default)]
    pub full_day_time_off_markers: Vec<BuFullDayTimeOffMarker>,
}

/// One agent of a part about to be sent: before and after, each as the journal keeps it, JSON
/// with the schedule's `shifts` and `fullDayTimeOffMarkers` (read as a [`ScheduleImage`], which
/// ignores the other fields of an agent kept as the server or the upload wrote it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub user_id: String,
    /// Its version before the run; `None` when it had no schedule.
    pub pre_version: Option<u64>,
    /// What it held before the run, JSON bytes (kept as they came from the server, which sent
    /// them valid UTF-8: they are not checked again) as the run's journal holds them (see
    /// [`HoldPreImage`]); `None` when it had no schedule.
    pub pre: Option<Vec<u8>>,
    /// What the run sent for it.
    pub post: String,
    /// The version the run's write gives it: each write of an agent's schedule moves its version
    /// up by one from the version the upload names. Undo's guard: a higher version means another
    /// editor wrote after the run. `None` when it had no schedule.
    pub post_version: Option<u64>,
}

/// How a run holds an agent's pre-image from the moment it is read until its journal records
/// it: the JSON bytes copied as they came, or packed at once in the journal's own format (a
/// third of the size), as [`BulkJournal::hold_pre_image`](super::BulkJournal::hold_pre_image)
/// says.
pub type HoldPreImage = fn(&[u8]) -> Vec<u8>;

/// An image's JSON (the wire types serialize infallibly).
fn json(image: &ScheduleImage) -> String {
    serde_json::to_string(image).unwrap_or_default()
}

/// The images of a part's agents from what was read (`current`, by lowercase user id).
pub fn images_of(
    current: &HashMap<String, Current>,
    part: &[BuUpdateAgentScheduleUploadSchema],
    hold: HoldPreImage,
) -> Vec<Image> {
    part.iter()
        .map(|entry| {
            image_of(
                current.get(&entry.user_id.to_ascii_lowercase()),
                entry,
                hold,
            )
        })
        .collect()
}

/// One agent's images: what it held (`held`, `None` when it had no schedule) and its entry.
pub fn image_of(
    held: Option<&Current>,
    entry: &BuUpdateAgentScheduleUploadSchema,
    hold: HoldPreImage,
) -> Image {
    Image {
        user_id: entry.user_id.clone(),
        pre_version: held.map(|h| h.version),
        post_version: held.map(|h| h.version + 1),
        pre: held.map(|h| {
            hold(
                json(&ScheduleImage {
                    shifts: h.shifts.clone(),
                    full_day_time_off_markers: h.time_off.clone(),
                })
                .as_bytes(),
            )
        }),
        post: json(&ScheduleImage {
            shifts: entry.shifts.clone().unwrap_or_default(),
            full_day_time_off_markers: entry
                .full_day_time_off_markers
                .clone()
                .unwrap_or_else(|| held.map(|h| h.time_off.clone()).unwrap_or_default()),
        }),
    }
}

/// The bytes an agent came in, kept as its images rather than written again: the agent as the
/// server sent it (a download's element), and its entry as the upload holds it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written<'w> {
    pub read: Option<&'w [u8]>,
    pub entry: &'w [u8],
}

/// [`image_of`] for an agent as it is read and planned: the server's bytes of it as its
/// pre-image, and its entry's bytes as its post-image when they say all of it (an entry without
/// days off keeps the ones it held: its post-image then says them).
pub fn image_from(
    held: Option<&Current>,
    entry: &BuUpdateAgentScheduleUploadSchema,
    written: Written<'_>,
    hold: HoldPreImage,
) -> Image {
    let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).ok();
    let keeps_days =
        entry.full_day_time_off_markers.is_none() && held.is_some_and(|h| !h.time_off.is_empty());
    let post = (!keeps_days).then(|| text(written.entry)).flatten();
    let pre = held.is_some().then(|| written.read.map(hold)).flatten();
    match (pre, post) {
        (Some(pre), Some(post)) => Image {
            user_id: entry.user_id.clone(),
            pre_version: held.map(|h| h.version),
            post_version: held.map(|h| h.version + 1),
            pre: Some(pre),
            post,
        },
        (pre, post) => {
            let mut image = image_of(held, entry, hold);
            image.pre = pre.or(image.pre);
            image.post = post.unwrap_or(image.post);
            image
        }
    }
}

/// One agent of an earlier run to put back as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    /// A number for messages (undo has no input file: the agent's place in the run).
    pub line: u64,
    pub week: String,
    pub user_id: String,
    /// What it held before the run; `None`: the run added it, undo removes it.
    pub pre: Option<ScheduleImage>,
    /// What the run sent for it.
    pub post: ScheduleImage,
    /// Its version once the run's update landed, when the run read it back.
    pub post_version: Option<u64>,
}

/// Undo's wanted schedules: each agent as it was, guarded by what the run left (its version
/// after the run, else what the run sent) unless `force`.
pub fn undo_desired(restores: &[Restore], force: bool) -> Vec<Desired> {
    restores
        .iter()
        .map(|r| {
            let guard = (!force).then(|| match r.post_version {
                Some(version) => Guard::Version(version),
                None => Guard::Content(r.post.clone()),
            });
            let (shifts, time_off) = match &r.pre {
                Some(pre) => (
                    desired_shifts(r.line, &pre.shifts),
                    desired_days(r.line, &pre.full_day_time_off_markers),
                ),
                None => (Vec::new(), Vec::new()),
            };
            Desired {
                line: r.line,
                user_id: r.user_id.clone(),
                week: r.week.clone(),
                shifts,
                time_off: Some(time_off),
                remove: r.pre.is_none(),
                guard,
            }
        })
        .collect()
}

/// Shifts as read, as wanted again (codes by id, descriptions as they were).
fn desired_shifts(line: u64, shifts: &[BuAgentScheduleShift]) -> Vec<DesiredShift> {
    shifts
        .iter()
        .map(|s| DesiredShift {
            line,
            start: s.start_date.clone(),
            length_minutes: s.length_minutes,
            activities: s
                .activities
                .iter()
                .map(|a| DesiredActivity {
                    start: a.start_date.clone(),
                    length_minutes: a.length_minutes,
                    code: Some(a.activity_code_id.clone()),
                    description: Some(a.description.clone()),
                })
                .collect(),
        })
        .collect()
}

fn desired_days(line: u64, days: &[BuFullDayTimeOffMarker]) -> Vec<DesiredTimeOff> {
    days.iter()
        .map(|d| DesiredTimeOff {
            line,
            date: d.business_unit_date.clone(),
            length_minutes: d.length_minutes,
            code: d.activity_code_id.clone(),
            description: d.description.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacer_genesys::wfm::VersionedMetadata;

    fn day(date: &str) -> BuFullDayTimeOffMarker {
        serde_json::from_value(serde_json::json!({
            "businessUnitDate": date, "lengthMinutes": 480, "activityCodeId": "off"
        }))
        .unwrap()
    }

    fn shift(start: &str) -> BuAgentScheduleShift {
        serde_json::from_value(serde_json::json!({
            "startDate": start, "lengthMinutes": 480, "activities": []
        }))
        .unwrap()
    }

    #[test]
    fn an_image_kept_as_the_bytes_it_came_in_reads_as_the_image_written_again() {
        let held = Current {
            version: 4,
            shifts: vec![shift("2026-12-08T09:00:00Z")],
            time_off: vec![day("2026-12-09")],
        };
        let read = |held: &Current| {
            serde_json::json!({
                "user": {"id": "U1"},
                "shifts": held.shifts,
                "fullDayTimeOffMarkers": held.time_off,
                "metadata": {"version": held.version},
            })
            .to_string()
        };
        let entry = |days: Option<Vec<BuFullDayTimeOffMarker>>| BuUpdateAgentScheduleUploadSchema {
            user_id: "U1".into(),
            shifts: Some(vec![shift("2026-12-08T10:00:00Z")]),
            full_day_time_off_markers: days,
            metadata: Some(VersionedMetadata::version(4)),
            delete: None,
        };
        let parsed = |text: &str| serde_json::from_str::<ScheduleImage>(text).unwrap();
        for days in [None, Some(vec![day("2026-12-10")]), Some(Vec::new())] {
            let entry = entry(days);
            let entry_json = serde_json::to_vec(&entry).unwrap();
            for held in [Some(held.clone()), None] {
                let read = held.as_ref().map(read);
                let written = Written {
                    read: read.as_deref().map(str::as_bytes),
                    entry: &entry_json,
                };
                let kept = image_from(held.as_ref(), &entry, written, <[u8]>::to_vec);
                let again = image_of(held.as_ref(), &entry, <[u8]>::to_vec);
                let pre = |image: &Image| {
                    let bytes = image.pre.as_deref()?;
                    Some(serde_json::from_slice::<ScheduleImage>(bytes).unwrap())
                };
                assert_eq!(pre(&kept), pre(&again));
                assert_eq!(parsed(&kept.post), parsed(&again.post));
                assert_eq!(
                    (kept.pre_version, kept.post_version),
                    (again.pre_version, again.post_version)
                );
            }
        }
    }
}
