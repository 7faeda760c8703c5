//! The export's two layouts, both read back by `pacer apply`: CSV with one row per activity
//! (rows of one agent, week and `shiftStart` make one shift) and one row per full-day time off,
//! or JSON Lines with one agent's week per line. Times are the unit's local time with offsets,
//! activity codes are named (by id only where two codes share a name).

use std::io::Write;

use pacer_client::bulk::Unit;
use pacer_client::bulk::export::{Export, ExportedAgent};
use pacer_genesys::datetime::parse_seconds;
use pacer_genesys::wfm::{BuAgentScheduleActivity, BuAgentScheduleShift};
use serde_json::json;

use super::Counts;
use super::args::OutputFormat;

/// The CSV header: keys, week, the shift, then the activity.
pub const CSV_HEADER: [&str; 10] = [
    "userId",
    "email",
    "name",
    "weekDate",
    "shiftStart",
    "shiftLengthMinutes",
    "startDate",
    "lengthMinutes",
    "activityCodeId",
    "description",
];

/// Writes the whole export in `format`.
pub fn write(out: &mut dyn Write, format: OutputFormat, export: &Export) -> anyhow::Result<Counts> {
    match format {
        OutputFormat::Csv => write_csv(out, export),
        OutputFormat::Jsonl => write_jsonl(out, export),
    }
}

fn write_csv(out: &mut dyn Write, export: &Export) -> anyhow::Result<Counts> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(CSV_HEADER)?;
    let mut counts = Counts {
        agents: 0,
        shifts: 0,
        rows: 0,
    };
    let unit = &export.unit;
    for week in &export.weeks {
        for agent in &week.agents {
            counts.agents += 1;
            let keys = [
                agent.user_id.as_str(),
                agent.email.as_deref().unwrap_or(""),
                agent.name.as_deref().unwrap_or(""),
                week.week.as_str(),
            ];
            for shift in &agent.shifts {
                counts.shifts += 1;
                let shift_start = local(unit, &shift.start_date);
                let shift_length = shift.length_minutes.to_string();
                for activity in activities(unit, shift) {
                    let (code, description) = label(unit, &activity);
                    let mut row: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                    row.extend([
                        shift_start.clone(),
                        shift_length.clone(),
                        local(unit, &activity.start_date),
                        activity.length_minutes.to_string(),
                        code,
                        description,
                    ]);
                    csv.write_record(&row)?;
                    counts.rows += 1;
                }
            }
            for marker in &agent.full_day_time_off_markers {
                let mut row: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                row.extend([
                    String::new(),
                    String::new(),
                    marker.business_unit_date.clone(),
                    marker.length_minutes.to_string(),
                    code_label(unit, &marker.activity_code_id),
                    description_label(
                        unit,
                        &marker.activity_code_id,
                        marker.description.as_deref().unwrap_or(""),
                    ),
                ]);
                csv.write_record(&row)?;
                counts.rows += 1;
            }
        }
    }
    csv.flush()?;
    Ok(counts)
}

fn write_jsonl(out: &mut dyn Write, export: &Export) -> anyhow::Result<Counts> {
    let mut counts = Counts {
        agents: 0,
        shifts: 0,
        rows: 0,
    };
    let unit = &export.unit;
    for week in &export.weeks {
        for agent in &week.agents {
            counts.agents += 1;
            counts.shifts += agent.shifts.len();
            counts.rows += 1;
            let line = agent_line(unit, &week.week, agent);
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(counts)
}

/// One agent's week as a JSON line: its keys and its schedule in the upload's shape.
fn agent_line(unit: &Unit, week: &str, agent: &ExportedAgent) -> serde_json::Value {
    let shifts: Vec<serde_json::Value> = agent
        .shifts
        .iter()
        .map(|shift| {
            let activities: Vec<serde_json::Value> = activities(unit, shift)
                .iter()
                .map(|a| {
                    let (code, description) = label(unit, a);
                    let mut value = json!({
                        "startDate": local(unit, &a.start_date),
                        "lengthMinutes": a.length_minutes,
                        "activityCodeId": code,
                    });
                    if !description.is_empty() {
                        value["description"] = json!(description);
                    }
                    value
                })
                .collect();
            json!({
                "startDate": local(unit, &shift.start_date),
                "lengthMinutes": shift.length_minutes,
                "activities": activities,
            })
        })
        .collect();
    let mut schedule = json!({"weekDate": week, "shifts": shifts});
    if !agent.full_day_time_off_markers.is_empty() {
        let markers: Vec<serde_json::Value> = agent
            .full_day_time_off_markers
            .iter()
            .map(|m| {
                let mut value = json!({
                    "businessUnitDate": m.business_unit_date,
                    "lengthMinutes": m.length_minutes,
                    "activityCodeId": code_label(unit, &m.activity_code_id),
                });
                let description = description_label(
                    unit,
                    &m.activity_code_id,
                    m.description.as_deref().unwrap_or(""),
                );
                if !description.is_empty() {
                    value["description"] = json!(description);
                }
                value
            })
            .collect();
        schedule["fullDayTimeOffMarkers"] = json!(markers);
    }
    let mut line = json!({"userId": agent.user_id});
    if let Some(email) = &agent.email {
        line["email"] = json!(email);
    }
    if let Some(name) = &agent.name {
        line["name"] = json!(name);
    }
    line["schedule"] = schedule;
    line
}

/// A shift's activities by start; a shift without any is one activity of the unit's default
/// work code over the whole shift, which is what `apply` sends for it.
fn activities(unit: &Unit, shift: &BuAgentScheduleShift) -> Vec<BuAgentScheduleActivity> {
    if shift.activities.is_empty() {
        let code = unit.default_code();
        return vec![BuAgentScheduleActivity {
            start_date: shift.start_date.clone(),
            length_minutes: shift.length_minutes,
            activity_code_id: code.map(|c| c.id.clone()).unwrap_or_default(),
            description: String::new(),
            paid: None,
        }];
    }
    let mut sorted = shift.activities.clone();
    sorted.sort_by_key(|a| parse_seconds(&a.start_date).unwrap_or(i64::MIN));
    sorted
}

/// An activity's code (named) and its description (empty when it is the code's name).
fn label(unit: &Unit, activity: &BuAgentScheduleActivity) -> (String, String) {
    (
        code_label(unit, &activity.activity_code_id),
        description_label(unit, &activity.activity_code_id, &activity.description),
    )
}

/// An activity code by its name, or by its id when its name is not the unit's only one.
fn code_label(unit: &Unit, id: &str) -> String {
    match unit.code_name(id) {
        Some(name)
            if unit
                .codes
                .iter()
                .filter(|c| c.name.eq_ignore_ascii_case(name))
                .count()
                == 1 =>
        {
            name.to_string()
        }
        _ => id.to_string(),
    }
}

/// A description, left empty when it is the activity code's name (`apply` fills that in).
fn description_label(unit: &Unit, code_id: &str, description: &str) -> String {
    if unit.code_name(code_id) == Some(description) {
        String::new()
    } else {
        description.to_string()
    }
}

/// An instant as the API wrote it, in the unit's local time with its offset.
fn local(unit: &Unit, text: &str) -> String {
    match parse_seconds(text) {
        Ok(at) => unit.zone.local(at),
        Err(_) => text.to_string(),
    }
}
