//! Tests of agents named by e-mail or name, in an input that allows them.

use super::*;

fn keyed(input: Input) -> Input {
    input.allowing_agent_keys()
}

fn plain(input: Input) -> Input {
    input
}

fn key(user_id: Option<&str>, email: Option<&str>, name: Option<&str>) -> AgentKey {
    AgentKey {
        user_id: user_id.map(str::to_string),
        email: email.map(str::to_string),
        name: name.map(str::to_string),
    }
}

const SHIFT: &str = "2026-12-07,2026-12-07T08:00:00Z,60";

#[test]
fn a_keyed_csv_names_each_agent_by_its_user_id_else_email_else_name() {
    let content = format!(
        "userId,email,name,weekDate,startDate,lengthMinutes\n\
         {A},ann@example.com,Ann,{SHIFT}\n\
         , bob@example.com ,Bob,{SHIFT}\n\
         ,,Cy Young,{SHIFT}\n"
    );
    let (_, found, items) = run("agents.csv", &content, keyed);
    let rows = valid(&found, items);
    let shown: Vec<&str> = rows.iter().map(|row| row.user_id.as_str()).collect();
    assert_eq!(shown, vec![A, "bob@example.com", "Cy Young"]);
    assert_eq!(
        rows[0].key,
        key(Some(A), Some("ann@example.com"), Some("Ann"))
    );
    assert_eq!(rows[1].key, key(None, Some("bob@example.com"), Some("Bob")));
    assert_eq!(rows[2].key, key(None, None, Some("Cy Young")));
    // A header of e-mails alone is enough.
    let (_, found, items) = run(
        "agents.csv",
        &format!("email,weekDate,startDate,lengthMinutes\nann@example.com,{SHIFT}\n"),
        keyed,
    );
    assert_eq!(
        valid(&found, items)[0].key,
        key(None, Some("ann@example.com"), None)
    );
}

#[test]
fn without_the_flag_e_mails_and_names_stay_unknown() {
    let (v, found, _) = run(
        "agents.csv",
        &format!("userId,email,weekDate,startDate,lengthMinutes\n{A},ann@example.com,{SHIFT}\n"),
        plain,
    );
    assert!(v.fatal);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("FILE:1:2: unknown column `email`; expected userId, schedule,"),
        "{found:?}"
    );
    let (v, found, _) = run(
        "agents.csv",
        &format!("name,weekDate,startDate,lengthMinutes\nAnn,{SHIFT}\n"),
        plain,
    );
    assert!(v.fatal);
    assert_eq!(
        found[1],
        "FILE:1:1: the header has no userId column (it has: name, weekDate, startDate, \
         lengthMinutes)"
    );
    let line = format!("{{\"email\":\"ann@example.com\",\"schedule\":{SCHEDULE}}}\n");
    let (_, found, _) = run("agents.jsonl", &line, plain);
    assert_eq!(
        found,
        vec![
            "FILE:1:email: unknown field `email`: a line holds only userId and schedule (or body)",
            "FILE:1:userId: is required",
        ]
    );
    let (_, found, _) = run("agents.jsonl", &line, keyed);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_keyed_header_without_any_key_column_is_refused() {
    let (v, found, _) = run(
        "agents.csv",
        &format!("weekDate,startDate,lengthMinutes\n{SHIFT}\n"),
        keyed,
    );
    assert!(v.fatal);
    assert_eq!(
        found,
        vec![
            "FILE:1:1: the header needs a userId, email or name column (it has: weekDate, \
             startDate, lengthMinutes)"
        ]
    );
}

#[test]
fn a_row_must_name_its_agent_and_each_key_must_be_well_formed() {
    let content = format!(
        "weekDate,startDate,lengthMinutes,email,name,userId\n\
         {SHIFT},,,\n\
         {SHIFT},ann at example.com,Ann,\n\
         {SHIFT},,Bob,agent-7\n"
    );
    let (v, found, items) = run("agents.csv", &content, keyed);
    assert_eq!((v.rows_valid, v.rows_invalid), (0, 3));
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(
        found[0],
        "FILE:2:6: userId, email and name are all empty; the row must name its agent by at \
         least one"
    );
    assert_eq!(
        found[1],
        "FILE:3:4: email `ann at example.com` is not an e-mail address"
    );
    assert!(
        found[2].starts_with("FILE:4:6: userId `agent-7` is not a UUID"),
        "{found:?}"
    );
    // An invalid row is known by the key it gives: its userId, else its e-mail, else its name.
    let shown: Vec<&str> = items
        .iter()
        .map(|item| match item {
            Item::Invalid { user_id, .. } => user_id.as_str(),
            Item::Valid(row) => panic!("line {} valid", row.line),
        })
        .collect();
    assert_eq!(shown, vec!["", "ann at example.com", "agent-7"]);
    let lines = [
        r#"{"schedule":S}"#,
        r#"{"email":"ann","schedule":S}"#,
        r#"{"name":7,"email":null,"schedule":S}"#,
    ]
    .map(|line| line.replace('S', SCHEDULE))
    .join("\n");
    let (_, found, _) = run("agents.jsonl", &lines, keyed);
    assert_eq!(
        found,
        vec![
            "FILE:1:userId: userId, email and name are all empty; the row must name its agent \
             by at least one",
            "FILE:2:email: email `ann` is not an e-mail address",
            "FILE:3:name: must be a string",
            "FILE:3:userId: userId, email and name are all empty; the row must name its agent \
             by at least one",
        ]
    );
}

#[test]
fn a_keyed_file_is_reread_to_the_same_rows_as_the_full_check() {
    let lines = [
        format!(r#"{{ "email" : " Ann@Example.com " , "schedule" : {SCHEDULE} }}"#),
        format!(r#"{{"name":"Bob \u0042","userId":null,"schedule":{SCHEDULE}}}"#),
        format!(r#"{{"userId":"{B}","email":"cy@example.com","name":"","body":{{"a":1}}}}"#),
    ];
    let csv = format!(
        "name,schedule,email\nDee,{cell},\n,{cell},eve@example.com\n",
        cell = csv_json_cell(SCHEDULE)
    );
    for (name, content) in [("agents.jsonl", lines.join("\n")), ("agents.csv", csv)] {
        let dir = TempDir::new();
        let path = dir.file(name, &content);
        let input = Input::open(&path, None).unwrap().allowing_agent_keys();
        let validation = input.validate(&mut |f| panic!("{f}")).unwrap();
        let mut records = input.records().unwrap();
        input.skip_header(&mut records).unwrap();
        let mut reread = input.rows(&validation).unwrap();
        let mut count = 0;
        while let Some(record) = records.next().unwrap() {
            // The light reread knows the row, and reads it as the full check does.
            let (light, _) = validation.layout.reread(&record).expect("a light row");
            let full = validation.layout.check(&record);
            assert_eq!(light, full.key, "{name} line {}", record.line);
            let Some(Ok(Item::Valid(row))) = reread.next() else {
                panic!("{name} line {} not valid on reread", record.line)
            };
            assert_eq!(row.key, full.key);
            assert_eq!(row.user_id, full.key.shown());
            assert_eq!(Some(row.body), full.body);
            count += 1;
        }
        assert!(reread.next().is_none());
        assert!(count >= 2, "{name}");
    }
    let (_, found, items) = run("agents.jsonl", &lines.join("\n"), keyed);
    let rows = valid(&found, items);
    assert_eq!(rows[0].key, key(None, Some("Ann@Example.com"), None));
    assert_eq!(rows[1].user_id, "Bob B");
    assert_eq!(rows[2].key, key(Some(B), Some("cy@example.com"), None));
}

#[test]
fn a_duplicate_agent_is_found_by_its_email_or_name_in_any_case() {
    let content = format!(
        "userId,email,name,weekDate,startDate,lengthMinutes\n\
         ,Ann@Example.com,Ann,{SHIFT}\n\
         ,,Bob,{SHIFT}\n\
         ,ann@example.COM,,{SHIFT}\n\
         ,,BOB,{SHIFT}\n\
         {A},ann@example.com,,{SHIFT}\n"
    );
    let (v, found, items) = run("agents.csv", &content, keyed);
    // The row with a userId is keyed by it: the e-mail it also gives is not compared.
    assert_eq!((v.rows_valid, v.rows_invalid), (1, 4));
    assert_eq!(
        found,
        vec![
            "FILE:4:2: duplicate agent ann@example.COM: also on line 2; each agent may appear \
             once",
            "FILE:5:3: duplicate agent BOB: also on line 3; each agent may appear once",
        ]
    );
    let reasons: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            Item::Invalid { reason, .. } => Some(reason.clone()),
            Item::Valid(_) => None,
        })
        .collect();
    assert_eq!(reasons[0], "duplicate agent Ann@Example.com");
    let line = |email: &str| format!("{{\"email\":\"{email}\",\"schedule\":{SCHEDULE}}}\n");
    let (_, found, _) = run(
        "agents.jsonl",
        &format!("{}{}", line("a@b"), line("A@B")),
        keyed,
    );
    assert_eq!(
        found,
        vec!["FILE:2:email: duplicate agent A@B: also on line 1; each agent may appear once"]
    );
    // Where an agent may repeat, no row is a duplicate.
    let (v, found, _) = run("agents.csv", &content, |input| {
        input.allowing_agent_keys().allowing_repeated_agents()
    });
    assert!(v.is_clean(), "{found:?}");
}
