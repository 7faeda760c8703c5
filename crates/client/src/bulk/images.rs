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

/// One agent of a part about to be sent: before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub user_id: String,
    /// Its version before the run; `None` when it had no schedule.
    pub pre_version: Option<u64>,
    pub pre: Option<ScheduleImage>,
    pub post: ScheduleImage,
    /// The version the run's write gives it: each write of an agent's schedule moves its version
    /// up by one from the version the upload names. Undo's guard: a higher version means another
    /// editor wrote after the run. `None` when it had no schedule.
    pub post_version: Option<u64>,
}

/// The images of a part's agents from what was read (`current`, by lowercase user id).
pub fn images_of(
    current: &HashMap<String, Current>,
    part: &[BuUpdateAgentScheduleUploadSchema],
) -> Vec<Image> {
    part.iter()
        .map(|entry| image_of(current.get(&entry.user_id.to_ascii_lowercase()), entry))
        .collect()
}

/// One agent's images: what it held (`held`, `None` when it had no schedule) and its entry.
pub fn image_of(held: Option<&Current>, entry: &BuUpdateAgentScheduleUploadSchema) -> Image {
    Image {
        user_id: entry.user_id.clone(),
        pre_version: held.map(|h| h.version),
        post_version: held.map(|h| h.version + 1),
        pre: held.map(|h| ScheduleImage {
            shifts: h.shifts.clone(),
            full_day_time_off_markers: h.time_off.clone(),
        }),
        post: ScheduleImage {
            shifts: entry.shifts.clone().unwrap_or_default(),
            full_day_time_off_markers: entry
                .full_day_time_off_markers
                .clone()
                .unwrap_or_else(|| held.map(|h| h.time_off.clone()).unwrap_or_default()),
        },
    }
}

/// [`image_of`] taking what it needs: what the agent held and its entry, moved in rather than
/// copied (the bulk path makes an image per agent it writes, as it reads it).
pub fn image_from(held: Option<Current>, entry: BuUpdateAgentScheduleUploadSchema) -> Image {
    let post_days = match (entry.full_day_time_off_markers, &held) {
        (Some(days), _) => days,
        (None, Some(h)) => h.time_off.clone(),
        (None, None) => Vec::new(),
    };
    Image {
        user_id: entry.user_id,
        pre_version: held.as_ref().map(|h| h.version),
        post_version: held.as_ref().map(|h| h.version + 1),
        pre: held.map(|h| ScheduleImage {
            shifts: h.shifts,
            full_day_time_off_markers: h.time_off,
        }),
        post: ScheduleImage {
            shifts: entry.shifts.unwrap_or_default(),
            full_day_time_off_markers: post_days,
        },
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
    fn an_image_taken_by_move_is_the_image_copied() {
        let held = Current {
            version: 4,
            shifts: vec![shift("2026-12-08T09:00:00Z")],
            time_off: vec![day("2026-12-09")],
        };
        let entry = |days: Option<Vec<BuFullDayTimeOffMarker>>| BuUpdateAgentScheduleUploadSchema {
            user_id: "U1".into(),
            shifts: Some(vec![shift("2026-12-08T10:00:00Z")]),
            full_day_time_off_markers: days,
            metadata: Some(VersionedMetadata::version(4)),
            delete: None,
        };
        for days in [None, Some(vec![day("2026-12-10")]), Some(Vec::new())] {
            let entry = entry(days);
            for held in [Some(held.clone()), None] {
                let copied = image_of(held.as_ref(), &entry);
                assert_eq!(image_from(held, entry.clone()), copied);
            }
        }
    }
}
