//! Tests of the CSV rows of one activity (with `shiftStart` and `shiftLengthMinutes`) and of full
//! days of time off.

use super::*;

const HEADER: &str = "userId,weekDate,shiftStart,shiftLengthMinutes,startDate,lengthMinutes,activityCodeId,description";

fn plain(input: Input) -> Input {
    input
}

fn repeats(input: Input) -> Input {
    input.allowing_repeated_agents()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn each_row_of_the_activity_layout_is_one_activity_of_its_shift() {
    let content = format!(
        "{HEADER}\n\
         {A},2026-12-07,2026-12-07T08:00:00Z,480,2026-12-07T08:00:00Z,240,work,Work\n\
         {A},2026-12-07,2026-12-07T08:00:00Z,480,2026-12-07T12:00:00Z,30,break,\n\
         {A},2026-12-07,2026-12-07T08:00:00Z,480,2026-12-07T12:30:00Z,210,work,Work\n\
         {A},2026-12-07,,,2026-12-09,480,vacation,Holiday\n"
    );
    let (_, found, items) = run("agents.csv", &content, repeats);
    let rows = valid(&found, items);
    assert_eq!(
        json(&rows[0].body),
        json(
            br#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z",
                "lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z",
                "lengthMinutes":240,"activityCodeId":"work","description":"Work"}]}]}"#
        )
    );
    // An empty description is left out.
    assert_eq!(
        json(&rows[1].body),
        json(
            br#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z",
                "lengthMinutes":480,"activities":[{"startDate":"2026-12-07T12:00:00Z",
                "lengthMinutes":30,"activityCodeId":"break"}]}]}"#
        )
    );
    assert_eq!(
        json(&rows[3].body),
        json(
            br#"{"weekDate":"2026-12-07","shifts":[],"fullDayTimeOffMarkers":[
                {"businessUnitDate":"2026-12-09","lengthMinutes":480,
                 "activityCodeId":"vacation","description":"Holiday"}]}"#
        )
    );
    // Every body is one the shared validator (and so the emulator) accepts.
    for row in &rows {
        pacer_genesys::parse_schedule(&row.body).unwrap();
    }
}

#[test]
fn a_row_of_one_activity_puts_each_problem_on_its_column() {
    let row = |shift_start: &str, shift_len: &str, start: &str, len: &str, code: &str| {
        format!("{A},2026-12-07,{shift_start},{shift_len},{start},{len},{code},\n")
    };
    let t = "2026-12-07T08:00:00Z";
    let content = format!(
        "{HEADER}\n{}{}{}{}{}{}{}",
        row(t, "480", t, "60", ""),
        row("2026-12-07T08:00", "480", t, "60", "work"),
        row(t, "eight", t, "60", "work"),
        row(t, "0", t, "60", "work"),
        row(t, "480", "2026-12-07T8:00:00Z", "60", "work"),
        row(t, "480", t, "1441", "work"),
        row("", "", t, "60", "work"),
    );
    let (v, found, _) = run("agents.csv", &content, repeats);
    assert_eq!(v.rows_invalid, 7, "{found:?}");
    let found: Vec<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(found[0], "FILE:2:7: activityCodeId must not be empty");
    assert!(
        found[1].starts_with("FILE:3:3: shiftStart must be an ISO-8601 date-time"),
        "{found:?}"
    );
    assert_eq!(
        found[2],
        "FILE:4:4: shiftLengthMinutes must be a whole number 1..1440, got `eight`"
    );
    assert_eq!(
        found[3],
        "FILE:5:4: shiftLengthMinutes must be between 1 and 1440"
    );
    assert!(found[4].starts_with("FILE:6:5: startDate "), "{found:?}");
    assert_eq!(
        found[5],
        "FILE:7:6: lengthMinutes must be between 1 and 1440"
    );
    // An empty shift is named by both its cells.
    assert_eq!(
        found[6],
        "FILE:8:4: shiftLengthMinutes must be a whole number 1..1440, got ``"
    );
    assert!(
        found[7].starts_with("FILE:8:3: shiftStart must be an ISO-8601 date-time"),
        "{found:?}"
    );
    assert_eq!(found.len(), 8);
}

#[test]
fn a_shift_start_may_be_a_wall_clock_time_where_a_start_date_may() {
    let content =
        format!("{HEADER}\n{A},2026-12-07,2026-12-07T08:00,480,2026-12-07T08:00,60,work,\n");
    let (v, found, _) = run("agents.csv", &content, plain);
    assert_eq!(v.rows_invalid, 1);
    assert!(found[0].starts_with("FILE:2:3: shiftStart "), "{found:?}");
    let (_, found, items) = run("agents.csv", &content, |input| input.allowing_wall_clock());
    assert_eq!(valid(&found, items).len(), 1);
}

#[test]
fn a_start_date_alone_is_a_full_day_of_time_off() {
    // In the layout of one shift a row, as in that of one activity a row.
    let content = format!(
        "userId,weekDate,startDate,lengthMinutes,activityCodeId,description\n\
         {A},2026-12-07,2026-12-08,0,unpaid,\n\
         {B},2026-12-07,2026-12-09,1440,vacation,Holiday\n"
    );
    let (_, found, items) = run("agents.csv", &content, plain);
    let rows = valid(&found, items);
    assert_eq!(
        json(&rows[0].body),
        json(
            br#"{"weekDate":"2026-12-07","shifts":[],"fullDayTimeOffMarkers":[
                {"businessUnitDate":"2026-12-08","lengthMinutes":0,"activityCodeId":"unpaid"}]}"#
        )
    );
    assert_eq!(
        json(&rows[1].body)["fullDayTimeOffMarkers"][0]["lengthMinutes"],
        1440
    );
}

#[test]
fn a_full_day_of_time_off_puts_each_problem_on_its_column() {
    let row = |shift_start: &str, date: &str, len: &str, code: &str| {
        format!("{A},2026-12-07,{shift_start},,{date},{len},{code},\n")
    };
    let content = format!(
        "{HEADER}\n{}{}{}{}{}",
        row("", "2026-12-09", "1441", "vacation"),
        row("", "2026-12-09", "all", "vacation"),
        row("", "2026-12-09", "480", ""),
        row("", "2026-02-30", "480", "vacation"),
        row("2026-12-09T08:00:00Z", "2026-12-09", "480", "vacation"),
    );
    let (v, found, _) = run("agents.csv", &content, repeats);
    assert_eq!(v.rows_invalid, 5, "{found:?}");
    assert_eq!(
        found,
        vec![
            "FILE:2:6: lengthMinutes must be between 0 and 1440",
            "FILE:3:6: lengthMinutes must be a whole number 0..1440, got `all`",
            "FILE:4:7: activityCodeId must not be empty",
            "FILE:5:5: startDate day is not in the month",
            "FILE:6:3: shiftStart must be empty on a full-day time off (a startDate that is a \
             date alone); give startDate its time of day for an activity",
        ]
    );
    // A layout without codes cannot say which time off a day is.
    let (_, found, _) = run(
        "agents.csv",
        &format!("userId,weekDate,startDate,lengthMinutes\n{A},2026-12-07,2026-12-09,480\n"),
        plain,
    );
    assert_eq!(
        found,
        vec![
            "FILE:2:3: a full-day time off (a startDate that is a date alone) needs its \
             time-off code, and the header has no activityCodeId column"
        ]
    );
}

#[test]
fn json_lines_may_hold_full_days_of_time_off() {
    let day = r#"{"weekDate":"2026-12-07","shifts":[],"fullDayTimeOffMarkers":[{"businessUnitDate":"2026-12-09","lengthMinutes":480,"activityCodeId":"vacation"}]}"#;
    let content = format!(
        "{{\"userId\":\"{A}\",\"schedule\":{day}}}\n{{\"userId\":\"{B}\",\"schedule\":{}}}\n",
        day.replace("480", "-1")
    );
    let (v, found, items) = run("agents.jsonl", &content, plain);
    assert_eq!(v.rows_invalid, 1);
    assert_eq!(
        found,
        vec!["FILE:2:schedule.fullDayTimeOffMarkers[0].lengthMinutes: must be between 0 and 1440"]
    );
    let Item::Valid(row) = &items[0] else {
        panic!("{items:?}")
    };
    assert_eq!(row.body, day.as_bytes());
}

#[test]
fn the_module_docs_example_reads_as_documented() {
    let docs = include_str!("../lib.rs");
    let start = docs.find("//! ```text\n").expect("the example") + "//! ```text\n".len();
    let end = start + docs[start..].find("//! ```").expect("its end");
    let example: String = docs[start..end]
        .lines()
        .map(|line| format!("{}\n", line.trim_start_matches("//! ")))
        .collect();
    let (_, found, items) = run("week.csv", &example, |input| {
        input
            .allowing_agent_keys()
            .allowing_wall_clock()
            .allowing_repeated_agents()
    });
    let rows = valid(&found, items);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|row| row.user_id == "ann@example.com"));
    assert_eq!(
        json(&rows[1].body)["shifts"][0]["activities"][0]["activityCodeId"],
        "break"
    );
    assert_eq!(
        json(&rows[3].body)["fullDayTimeOffMarkers"][0]["businessUnitDate"],
        "2026-12-09"
    );
}
