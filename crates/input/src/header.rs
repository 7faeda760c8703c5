//! A CSV file's header: its columns named and checked, and the layout they make.

use std::collections::HashMap;

use super::*;

/// The columns that name an agent; e-mail and name only in an input that allows them.
const KEY_COLUMNS: [KeyField; 3] = KeyField::ALL;

/// The columns that hold the schedule, in JSON or as a shift's (or activity's) cells.
const SCHEDULE_COLUMNS: &[&str] = &[
    "schedule",
    "weekDate",
    "startDate",
    "lengthMinutes",
    "activityCodeId",
    "description",
    "shiftStart",
    "shiftLengthMinutes",
];

/// The shift columns, every one but `schedule`.
const SHIFT_COLUMNS: &[&str] = SCHEDULE_COLUMNS.split_at(1).1;

/// The columns a header may have: userId (and, when `keyed`, email and name), then the
/// schedule's.
fn csv_columns(keyed: bool) -> Vec<&'static str> {
    KEY_COLUMNS
        .iter()
        .filter(|field| keyed || **field == KeyField::UserId)
        .map(|field| field.name())
        .chain(SCHEDULE_COLUMNS.iter().copied())
        .collect()
}

/// Works out the layout from the header row, or lists every problem with it; `keyed` says
/// whether agents may be named by e-mail or name.
pub(super) fn csv_layout(
    header: &csv::ByteRecord,
    keyed: bool,
) -> Result<Layout, Vec<(Column, String)>> {
    let mut problems = Vec::new();
    let found = known_columns(header, &csv_columns(keyed), &mut problems);
    let width = header.len();
    let keys = KeyColumns {
        user_id: found.get("userId").copied(),
        email: found.get("email").copied(),
        name: found.get("name").copied(),
        keyed,
    };
    if keys.fields().is_empty() {
        let names: Vec<String> = header
            .iter()
            .map(|raw| String::from_utf8_lossy(raw).into_owned())
            .collect();
        let needs = if keyed {
            "the header needs a userId, email or name column"
        } else {
            "the header has no userId column"
        };
        problems.push((
            Column::Index(1),
            format!("{needs} (it has: {})", names.join(", ")),
        ));
    }
    check_shape(&found, width, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(match found.get("schedule").copied() {
        Some(schedule) => Layout::CsvJson {
            width,
            keys,
            schedule,
        },
        None => Layout::CsvShift {
            width,
            keys,
            shift: ShiftColumns {
                week_date: found["weekDate"],
                start_date: found["startDate"],
                length: found["lengthMinutes"],
                code: found.get("activityCodeId").copied(),
                description: found.get("description").copied(),
                shift: found.get("shiftStart").map(|&start| ShiftOf {
                    start,
                    length: found["shiftLengthMinutes"],
                }),
            },
        },
    })
}

/// Each known column's index; a name that is not UTF-8, unknown (with a hint when only its case
/// is wrong) or repeated is a problem.
fn known_columns(
    header: &csv::ByteRecord,
    known: &[&'static str],
    problems: &mut Vec<(Column, String)>,
) -> HashMap<&'static str, usize> {
    let mut found: HashMap<&'static str, usize> = HashMap::new();
    for (i, raw) in header.iter().enumerate() {
        let column = Column::Index(i as u64 + 1);
        // A UTF-8 byte order mark may open the file.
        let raw = if i == 0 {
            raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
        } else {
            raw
        };
        let Ok(name) = std::str::from_utf8(raw) else {
            problems.push((column, "the column name is not UTF-8".into()));
            continue;
        };
        match known.iter().find(|known| **known == name) {
            Some(known) => {
                if found.insert(known, i).is_some() {
                    problems.push((column, format!("the column `{name}` appears twice")));
                }
            }
            None => {
                let hint = known
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(name))
                    .map(|known| format!(" (did you mean `{known}`? names are case-sensitive)"))
                    .unwrap_or_default();
                problems.push((
                    column,
                    format!(
                        "unknown column `{name}`{hint}; expected {}",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    found
}

/// The schedule's shape: a schedule column (JSON) or the shift columns, one of the two, and the
/// shift columns complete.
fn check_shape(
    found: &HashMap<&'static str, usize>,
    width: usize,
    problems: &mut Vec<(Column, String)>,
) {
    let has_shift = SHIFT_COLUMNS.iter().any(|name| found.contains_key(name));
    match (found.get("schedule").copied(), has_shift) {
        (Some(at), true) => problems.push((
            Column::Index(at as u64 + 1),
            "use either a schedule column (JSON) or shift columns, not both".into(),
        )),
        (None, false) => problems.push((
            Column::Index(width as u64 + 1),
            "the header needs a schedule column (JSON) or the columns weekDate, startDate, \
             lengthMinutes[, activityCodeId, description[, shiftStart, shiftLengthMinutes]]"
                .into(),
        )),
        (None, true) => check_shift_columns(found, width, problems),
        (Some(_), false) => {}
    }
}

/// The shift columns complete: the three a row always needs, a description only with its code,
/// and `shiftStart` with `shiftLengthMinutes` (a row of one activity, which needs its code).
fn check_shift_columns(
    found: &HashMap<&'static str, usize>,
    width: usize,
    problems: &mut Vec<(Column, String)>,
) {
    let end = Column::Index(width as u64 + 1);
    let at = |name: &str| Column::Index(found[name] as u64 + 1);
    for required in ["weekDate", "startDate", "lengthMinutes"] {
        if !found.contains_key(required) {
            problems.push((
                end.clone(),
                format!("the shift columns need a `{required}` column"),
            ));
        }
    }
    if found.contains_key("description") && !found.contains_key("activityCodeId") {
        problems.push((
            at("description"),
            "a description column needs an activityCodeId column".into(),
        ));
    }
    let pair = ["shiftStart", "shiftLengthMinutes"];
    for (this, other) in [(pair[0], pair[1]), (pair[1], pair[0])] {
        if found.contains_key(this) && !found.contains_key(other) {
            problems.push((
                at(this),
                format!("a {this} column needs a {other} column (the two come together)"),
            ));
        }
    }
    if found.contains_key("shiftStart") && !found.contains_key("activityCodeId") {
        problems.push((
            end,
            "with shiftStart and shiftLengthMinutes each row is one activity: the header needs \
             an activityCodeId column"
                .into(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &str) -> csv::ByteRecord {
        csv::ByteRecord::from(names.split(',').collect::<Vec<_>>())
    }

    fn refused(names: &str, keyed: bool) -> Vec<String> {
        match csv_layout(&header(names), keyed) {
            Ok(layout) => panic!("{names}: accepted as {layout:?}"),
            Err(problems) => problems
                .into_iter()
                .map(|(column, reason)| format!("{column}: {reason}"))
                .collect(),
        }
    }

    #[test]
    fn e_mail_and_name_columns_are_known_only_in_a_keyed_input() {
        let found = refused("email,weekDate,startDate,lengthMinutes", false);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("1: unknown column `email`"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("1: the header has no userId column (it has: email,"),
            "{found:?}"
        );
        let layout = csv_layout(&header("name,email,weekDate,startDate,lengthMinutes"), true);
        let Ok(Layout::CsvShift { keys, .. }) = layout else {
            panic!("{layout:?}")
        };
        assert_eq!(
            (keys.user_id, keys.email, keys.name),
            (None, Some(1), Some(0))
        );
        assert_eq!(keys.fields(), vec![KeyField::Email, KeyField::Name]);
    }

    #[test]
    fn a_keyed_header_needs_one_key_column() {
        let found = refused("weekDate,startDate,lengthMinutes", true);
        assert_eq!(
            found,
            vec![
                "1: the header needs a userId, email or name column (it has: weekDate, \
                 startDate, lengthMinutes)"
            ]
        );
        let found = refused("Email,weekDate,startDate,lengthMinutes", true);
        assert!(found[0].contains("did you mean `email`?"), "{found:?}");
    }

    #[test]
    fn shift_start_and_shift_length_come_together_and_with_a_code() {
        let found = refused("userId,weekDate,startDate,lengthMinutes,shiftStart", false);
        assert_eq!(
            found,
            vec![
                "5: a shiftStart column needs a shiftLengthMinutes column (the two come together)",
                "6: with shiftStart and shiftLengthMinutes each row is one activity: the header \
                 needs an activityCodeId column",
            ]
        );
        let found = refused(
            "userId,weekDate,startDate,lengthMinutes,activityCodeId,shiftLengthMinutes",
            false,
        );
        assert_eq!(
            found,
            vec![
                "6: a shiftLengthMinutes column needs a shiftStart column (the two come together)"
            ]
        );
        let found = refused(
            "userId,schedule,shiftStart,shiftLengthMinutes,activityCodeId",
            false,
        );
        assert_eq!(
            found,
            vec!["2: use either a schedule column (JSON) or shift columns, not both"]
        );
        let layout = csv_layout(
            &header(
                "userId,shiftStart,shiftLengthMinutes,weekDate,startDate,lengthMinutes,activityCodeId",
            ),
            false,
        );
        let Ok(Layout::CsvShift { shift, .. }) = layout else {
            panic!("{layout:?}")
        };
        let of = shift.shift.expect("the activity layout");
        assert_eq!((of.start, of.length, shift.code), (1, 2, Some(6)));
    }
}
