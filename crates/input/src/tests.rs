//! Tests of the input's public behaviour: formats, findings, rows, rejects and fingerprints.

use super::*;
use pacer_journal::Fingerprint;
use serde_json::Value;

mod activities;
mod keyed;
mod measure;
mod support;

use support::*;

const A: &str = "3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a93";
const B: &str = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
const C: &str = "ffffffff-0000-4000-8000-000000000001";
const SCHEDULE: &str = r#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0","description":"Work"}]}]}"#;

#[test]
fn formats_come_from_the_extension_or_the_flag() {
    assert_eq!(Format::from_path(Path::new("a.CSV")), Some(Format::Csv));
    assert_eq!(
        Format::from_path(Path::new("a.ndjson")),
        Some(Format::JsonLines)
    );
    assert_eq!(
        Format::from_path(Path::new("a.jsonl")),
        Some(Format::JsonLines)
    );
    assert_eq!(Format::from_path(Path::new("a.txt")), None);
    let dir = TempDir::new();
    let path = dir.file("agents.txt", "userId\n");
    let err = Input::open(&path, None).unwrap_err();
    assert!(err.to_string().contains("--format"), "{err}");
    assert!(Input::open(&path, Some(Format::Csv)).is_ok());
}

#[test]
fn uuids_parse_in_any_case_and_other_shapes_are_refused() {
    assert_eq!(parse_uuid(A), parse_uuid(&A.to_uppercase()));
    assert_eq!(parse_uuid("00000000-0000-0000-0000-000000000001"), Some(1));
    assert!(parse_uuid("3f2b6c1e8d4a4e0b9a512c7d1e5f0a93").is_none());
    assert!(parse_uuid("3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a9g").is_none());
    assert!(parse_uuid("3f2b6c1e-8d4a-4e0b-9a512-c7d1e5f0a93").is_none());
    assert!(parse_uuid("agent-1").is_none());
}

#[test]
fn a_csv_with_a_schedule_column_yields_its_json_as_the_body() {
    let content = format!(
        "userId,schedule\n{A},{}\n{B},{}\n",
        csv_json_cell(SCHEDULE),
        csv_json_cell(SCHEDULE)
    );
    let rows = valid_rows("agents.csv", &content);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].line, rows[0].user_id.as_str()), (2, A));
    assert_eq!(rows[1].line, 3);
    assert_eq!(rows[0].body, SCHEDULE.as_bytes());
}

#[test]
fn a_csv_with_shift_columns_builds_the_schedule_body() {
    let content = format!(
        "userId,weekDate,startDate,lengthMinutes,activityCodeId,description\n\
         {A},2026-12-07,2026-12-07T08:00:00Z,480,0,Work\n\
         {B}, 2026-12-07 ,2026-12-07T09:00:00Z,240,7,\n"
    );
    let rows = valid_rows("agents.csv", &content);
    let body: Value = serde_json::from_slice(&rows[0].body).unwrap();
    assert_eq!(body, serde_json::from_str::<Value>(SCHEDULE).unwrap());
    let body: Value = serde_json::from_slice(&rows[1].body).unwrap();
    assert_eq!(body["shifts"][0]["activities"][0]["activityCodeId"], "7");
    assert!(
        body["shifts"][0]["activities"][0]
            .get("description")
            .is_none()
    );
    // Every body is one the shared validator (and so the emulator) accepts.
    for row in &rows {
        pacer_genesys::parse_schedule(&row.body).unwrap();
    }
    let without_activities = valid_rows(
        "agents.csv",
        &format!(
            "userId,weekDate,startDate,lengthMinutes\n{C},2026-12-07,2026-12-07T08:00:00Z,60\n"
        ),
    );
    let body: Value = serde_json::from_slice(&without_activities[0].body).unwrap();
    assert_eq!(
        body["shifts"][0].get("activities"),
        Some(&Value::Array(vec![]))
    );
}

#[test]
fn json_lines_with_a_body_send_it_unchecked_as_a_schedule() {
    let (v, found) = check(
        "agents.jsonl",
        &format!(
            "{{\"userId\":\"{A}\",\"body\":{{\"title\":\"Agent\"}}}}\n{{\"userId\":\"{B}\",\"body\":[1]}}\n"
        ),
    );
    assert_eq!(found, vec!["FILE:2:body: must be a JSON object"]);
    assert_eq!((v.rows_valid, v.rows_invalid), (1, 1));
}

#[test]
fn json_lines_yield_the_schedule_and_skip_blank_lines() {
    let content = format!(
        "{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\r\n\n{{\"schedule\":{SCHEDULE},\"userId\":\"{B}\"}}\n   \n"
    );
    let rows = valid_rows("agents.jsonl", &content);
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(rows[1].user_id, B);
    let body: Value = serde_json::from_slice(&rows[0].body).unwrap();
    assert_eq!(body, serde_json::from_str::<Value>(SCHEDULE).unwrap());
}

#[test]
fn a_valid_line_keeps_its_body_as_written_and_an_invalid_one_gets_every_finding() {
    // Valid: checked without a JSON tree, the schedule's own spacing and key order kept.
    let spaced = SCHEDULE.replace(",", ", ");
    let line = format!(r#"{{ "schedule": {spaced}, "userId": " {A} " }}"#);
    let checked = check_json_line(line.as_bytes());
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    assert_eq!(checked.key.shown(), A);
    assert_eq!(checked.body.as_deref(), Some(spaced.as_bytes()));
    // Invalid in two ways at once: the full check names both.
    let line = format!(r#"{{"userId":"nope","schedule":{SCHEDULE},"extra":1}}"#);
    let checked = check_json_line(line.as_bytes());
    let fields: Vec<String> = checked
        .problems
        .iter()
        .map(|(c, _)| format!("{c:?}"))
        .collect();
    assert_eq!(checked.problems.len(), 2, "{fields:?}");
    assert!(checked.body.is_none());
    // A schedule the type accepts but the rules refuse is refused, with its path.
    let bad = SCHEDULE.replace(
        "\"lengthMinutes\":480,\"activities\"",
        "\"lengthMinutes\":0,\"activities\"",
    );
    let line = format!(r#"{{"userId":"{A}","schedule":{bad}}}"#);
    let checked = check_json_line(line.as_bytes());
    assert_eq!(checked.problems.len(), 1);
    assert!(
        format!("{:?}", checked.problems[0].0).contains("shifts[0].lengthMinutes"),
        "{:?}",
        checked.problems
    );
}

#[test]
fn a_clean_file_is_reread_to_the_same_rows_as_the_full_check() {
    let spaced = format!("{{ \"userId\" : \" {A} \" , \"schedule\" : {SCHEDULE} }}");
    let body = format!("{{\"body\":{{\"a\":1}},\"userId\":\"{B}\"}}");
    let escaped = format!(
        "{{\"userId\":\"{}\",\"schedule\":{SCHEDULE}}}",
        C.replace('f', "\\u0066")
    );
    let content = format!("{spaced}\n{body}\n{escaped}\n");
    let dir = TempDir::new();
    let path = dir.file("agents.jsonl", &content);
    let input = Input::open(&path, None).unwrap();
    let validation = input.validate(&mut |f| panic!("{f}")).unwrap();
    let mut records = input.records().unwrap();
    let mut reread = input.rows(&validation).unwrap();
    while let Some(record) = records.next().unwrap() {
        let full = validation.layout.check(&record);
        let Some(Ok(Item::Valid(row))) = reread.next() else {
            panic!("line {} not valid on reread", record.line)
        };
        assert_eq!(row.user_id, full.key.shown(), "line {}", record.line);
        assert_eq!(row.key, full.key, "line {}", record.line);
        let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
        assert_eq!(
            parse(&row.body),
            parse(&full.body.unwrap()),
            "line {}",
            record.line
        );
    }
    assert!(reread.next().is_none());
    // A row that no longer reads as a valid one gets the full check, and its findings.
    let changed = dir.file("agents.jsonl", &format!("{{\"userId\":\"{A}\"}}\n"));
    let mut rows = Input::open(&changed, None)
        .unwrap()
        .rows(&validation)
        .unwrap();
    assert!(matches!(rows.next(), Some(Ok(Item::Invalid { .. }))));
    // And the pass ends by saying the file is not the one validated.
    assert!(matches!(rows.next(), Some(Err(InputError::Changed { .. }))));
    assert!(rows.next().is_none());
}

#[test]
fn validation_fingerprints_the_bytes_it_read() {
    let dir = TempDir::new();
    let content = format!("{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\n");
    let path = dir.file("agents.jsonl", &content);
    let input = Input::open(&path, None).unwrap();
    let validation = input.validate(&mut |f| panic!("{f}")).unwrap();
    assert_eq!(
        validation.fingerprint,
        Fingerprint::of_bytes(content.as_bytes())
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let dir = TempDir::new();
    let err = Input::open(&dir.0.join("nope.csv"), None).unwrap_err();
    assert!(matches!(err, InputError::Read { .. }));
    assert!(err.to_string().contains("nope.csv"), "{err}");
}

#[test]
fn an_empty_file_is_refused() {
    let (v, found) = check("agents.csv", "");
    assert!(v.fatal && !v.is_clean());
    assert_eq!(found, vec!["FILE:1:1: the file is empty"]);
    let (v, found) = check("agents.jsonl", "");
    assert!(v.fatal);
    assert_eq!(found, vec!["FILE:1:1: the file is empty"]);
    let (v, found) = check("agents.jsonl", "\n\n  \n");
    assert!(v.fatal);
    assert_eq!(found, vec!["FILE:1:1: the file is empty"]);
    let (v, found) = check("agents.csv", "userId,schedule\n");
    assert!(v.fatal);
    assert_eq!(found, vec!["FILE:1:1: the file has a header but no rows"]);
}

#[test]
fn a_header_without_user_id_is_refused() {
    let (v, found) = check("agents.csv", &format!("id,schedule\n{A},{{}}\n"));
    assert!(v.fatal);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].starts_with("FILE:1:1: unknown column `id`"),
        "{found:?}"
    );
    assert_eq!(
        found[1],
        "FILE:1:1: the header has no userId column (it has: id, schedule)"
    );
    let (_, found) = check("agents.csv", &format!("userid,schedule\n{A},{{}}\n"));
    assert!(found[0].contains("did you mean `userId`?"), "{found:?}");
}

#[test]
fn bad_json_in_a_cell_is_refused_with_its_column() {
    let content = format!(
        "userId,schedule\n{A},{}\n{B},{}\n",
        csv_json_cell("{\"weekDate\":"),
        csv_json_cell(SCHEDULE)
    );
    let (v, found) = check("agents.csv", &content);
    assert_eq!((v.rows_total, v.rows_valid, v.rows_invalid), (2, 1, 1));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("FILE:2:2: bad JSON in the schedule cell: EOF while parsing"),
        "{found:?}"
    );
}

#[test]
fn bad_json_on_a_line_is_refused_with_its_column() {
    let content = format!(
        "{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\n{{\"userId\": \"{B}\", \"schedule\": {{,}}}}\n"
    );
    let (v, found) = check("agents.jsonl", &content);
    assert_eq!((v.rows_valid, v.rows_invalid), (1, 1));
    assert_eq!(found, vec!["FILE:2:65: bad JSON: key must be a string"]);
    let (_, found) = check("agents.jsonl", "[1,2]\n");
    assert_eq!(
        found,
        vec!["FILE:1:1: each line must be a JSON object {\"userId\": ..., \"schedule\": {...}}"]
    );
}

#[test]
fn a_bad_date_is_refused_with_its_field() {
    let bad = SCHEDULE.replacen("2026-12-07T08:00:00Z", "2026-12-07T25:00:00Z", 1);
    let (_, found) = check(
        "agents.jsonl",
        &format!("{{\"userId\":\"{A}\",\"schedule\":{bad}}}\n"),
    );
    assert_eq!(
        found,
        vec!["FILE:1:schedule.shifts[0].startDate: time of day out of range"]
    );
    let (_, found) = check(
        "agents.csv",
        &format!(
            "userId,weekDate,startDate,lengthMinutes\n{A},2026-02-30,2026-12-07T08:00:00Z,60\n"
        ),
    );
    assert_eq!(found, vec!["FILE:2:2: weekDate day is not in the month"]);
    let bad = SCHEDULE.replacen("\"2026-12-07\"", "\"07/12/2026\"", 1);
    let (_, found) = check(
        "agents.csv",
        &format!("userId,schedule\n{A},{}\n", csv_json_cell(&bad)),
    );
    assert_eq!(
        found,
        vec!["FILE:2:2: schedule weekDate: must be a date YYYY-MM-DD"]
    );
}

#[test]
fn a_duplicate_agent_is_refused_on_every_later_line() {
    let row = |id: &str| format!("{id},2026-12-07,2026-12-07T08:00:00Z,60\n");
    let content = format!(
        "userId,weekDate,startDate,lengthMinutes\n{}{}{}{}",
        row(A),
        row(B),
        row(&A.to_uppercase()),
        row(A)
    );
    let (v, found) = check("agents.csv", &content);
    assert_eq!((v.rows_total, v.rows_valid, v.rows_invalid), (4, 1, 3));
    let upper = A.to_uppercase();
    assert_eq!(
        found,
        vec![
            format!(
                "FILE:4:1: duplicate agent {upper}: also on line 2; each agent may appear once"
            ),
            format!("FILE:5:1: duplicate agent {A}: also on line 2; each agent may appear once"),
        ]
    );
    let line = format!("{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\n");
    let (v, found) = check("agents.jsonl", &format!("{line}{line}"));
    assert_eq!(v.rows_invalid, 2);
    assert_eq!(
        found,
        vec![format!(
            "FILE:2:userId: duplicate agent {A}: also on line 1; each agent may appear once"
        )]
    );
}

#[test]
fn a_row_with_extra_columns_is_refused() {
    let content = format!(
        "userId,weekDate,startDate,lengthMinutes\n{A},2026-12-07,2026-12-07T08:00:00Z,60,oops\n{B},2026-12-07\n"
    );
    let (v, found) = check("agents.csv", &content);
    assert_eq!(v.rows_invalid, 2);
    assert_eq!(
        found,
        vec![
            "FILE:2:5: the row has 5 fields and the header has 4 (extra columns)",
            "FILE:3:3: the row has 2 fields and the header has 4 (missing columns)",
        ]
    );
    let (_, found) = check(
        "agents.jsonl",
        &format!("{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE},\"extra\":1}}\n"),
    );
    assert_eq!(
        found,
        vec![
            "FILE:1:extra: unknown field `extra`: a line holds only userId and schedule (or body)"
        ]
    );
}

#[test]
fn user_ids_must_be_uuids_and_the_message_says_so() {
    let (_, found) = check(
        "agents.jsonl",
        &format!("{{\"userId\":\"agent-7\",\"schedule\":{SCHEDULE}}}\n"),
    );
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("FILE:1:userId: userId `agent-7` is not a UUID"),
        "{found:?}"
    );
    let (_, found) = check(
        "agents.jsonl",
        &format!("{{\"userId\":7,\"schedule\":{SCHEDULE}}}\n"),
    );
    assert_eq!(found, vec!["FILE:1:userId: must be a string (a UUID)"]);
}

#[test]
fn every_error_is_listed_not_only_the_first() {
    let content = format!(
        "userId,weekDate,startDate,lengthMinutes\n\
         nope,2026-12-07,2026-12-07T08:00:00Z,60\n\
         {A},2026-12-07,2026-12-07T08:00:00Z,0\n\
         {B},2026-12-07,2026-12-07T08:00:00Z,ten\n\
         {C},2026-12-07,2026-12-07T08:00:00Z,60\n"
    );
    let (v, found) = check("agents.csv", &content);
    assert_eq!((v.rows_valid, v.rows_invalid, v.findings), (1, 3, 3));
    assert!(
        found[0].starts_with("FILE:2:1: userId `nope` is not a UUID"),
        "{found:?}"
    );
    assert_eq!(
        found[1],
        "FILE:3:4: lengthMinutes must be between 1 and 1440"
    );
    assert_eq!(
        found[2],
        "FILE:4:4: lengthMinutes must be a whole number 1..1440, got `ten`"
    );
}

#[test]
fn skip_invalid_yields_valid_rows_and_writes_the_rejects() {
    let dir = TempDir::new();
    let row = |id: &str, len: &str| format!("{id},2026-12-07,2026-12-07T08:00:00Z,{len}\n");
    let path = dir.file(
        "agents.csv",
        &format!(
            "userId,weekDate,startDate,lengthMinutes\n{}{}{}{}",
            row(A, "60"),
            row(B, "0"),
            row(C, "60"),
            row(A, "30")
        ),
    );
    let input = Input::open(&path, None).unwrap();
    let validation = input.validate(&mut |_| {}).unwrap();
    assert!(!validation.is_clean() && !validation.fatal);
    let items: Vec<Item> = input
        .rows(&validation)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let valid: Vec<u64> = items
        .iter()
        .filter_map(|item| match item {
            Item::Valid(row) => Some(row.line),
            Item::Invalid { .. } => None,
        })
        .collect();
    assert_eq!(valid, vec![4]);
    let rejects = dir.0.join("rejects.csv");
    assert_eq!(input.write_rejects(&validation, &rejects).unwrap(), 3);
    let text = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "line,reason,raw");
    assert_eq!(
        lines[1],
        format!("2,duplicate agent {A},\"{A},2026-12-07,2026-12-07T08:00:00Z,60\"")
    );
    assert_eq!(
        lines[2],
        format!(
            "3,column 4: lengthMinutes must be between 1 and 1440,\"{B},2026-12-07,2026-12-07T08:00:00Z,0\""
        )
    );
    assert!(lines[3].starts_with("5,duplicate agent"), "{lines:?}");
}

#[test]
fn a_byte_order_mark_does_not_hide_the_user_id_column() {
    let content = format!(
        "\u{feff}userId,weekDate,startDate,lengthMinutes\n{A},2026-12-07,2026-12-07T08:00:00Z,60\n"
    );
    assert_eq!(valid_rows("agents.csv", &content).len(), 1);
    let line = format!("\u{feff}{{\"userId\":\"{A}\",\"schedule\":{SCHEDULE}}}\n");
    assert_eq!(valid_rows("agents.jsonl", &line).len(), 1);
}

#[test]
fn findings_name_the_physical_line_past_quoted_newlines() {
    let content = format!(
        "userId,schedule\n{A},\"{{\n\"\"weekDate\"\": 1}}\"\nnot-a-uuid,\"{}\"\n",
        SCHEDULE.replace('"', "\"\"")
    );
    let (validation, found) = check("quoted.csv", &content);
    assert_eq!(validation.rows_total, 2);
    assert!(found[0].starts_with("FILE:2:2:"), "{found:?}");
    // The second row starts on the file's fourth line: the quoted newline counts.
    assert!(found[1].starts_with("FILE:4:1:"), "{found:?}");
}

#[test]
fn wall_clock_starts_are_valid_only_where_the_schedule_update_reads_them() {
    let csv = format!(
        "userId,weekDate,startDate,lengthMinutes\n{A},2026-10-26,2026-11-01T09:00,480\n{B},2026-10-26,2026-10-31 09:00,480\n"
    );
    let jsonl = format!(
        "{{\"userId\":\"{C}\",\"schedule\":{{\"weekDate\":\"2026-10-26\",\"shifts\":[{{\"startDate\":\"2026-11-01T09:00\",\"lengthMinutes\":60}}]}}}}\n"
    );
    // Where a start is sent as written (the per-agent route), it needs its offset.
    let (validation, found) = check("wall.csv", &csv);
    assert_eq!(validation.rows_invalid, 2, "{found:?}");
    assert!(found[0].contains("startDate"), "{found:?}");
    let (validation, _) = check("wall.jsonl", &jsonl);
    assert_eq!(validation.rows_invalid, 1);
    // The schedule update reads it in the business unit's zone: both formats, both passes.
    for (name, content, rows) in [("wall.csv", &csv, 2), ("wall.jsonl", &jsonl, 1)] {
        let dir = TempDir::new();
        let path = dir.file(name, content);
        let input = Input::open(&path, None).unwrap().allowing_wall_clock();
        let validation = input
            .validate(&mut |f| panic!("unexpected finding {f}"))
            .unwrap();
        assert!(validation.is_clean());
        let valid = input
            .rows(&validation)
            .unwrap()
            .filter(|item| matches!(item, Ok(Item::Valid(_))))
            .count();
        assert_eq!(valid, rows);
    }
}
