//! Opening rules, state changes, counts and pagination of the journal.

use pacer_journal::{Change, Counts, Error, ItemState, Journal, OpenKind};

use crate::{TempDir, spec, user};

fn loaded(dir: &TempDir, input: &[u8], items: u64) -> Journal {
    let path = dir.path().join("run.sqlite");
    let mut journal = Journal::open(&path, &spec(input), false).unwrap();
    let mut loader = journal.loader();
    for line in 2..items + 2 {
        loader.push(line, &user(line)).unwrap();
    }
    assert_eq!(loader.finish().unwrap(), items);
    journal
}

#[test]
fn a_new_journal_counts_every_state() {
    let dir = TempDir::new("counts");
    let journal = loaded(&dir, b"input", 6);
    assert_eq!(journal.open_kind(), OpenKind::Created);
    assert!(journal.items_loaded().unwrap());
    assert_eq!(
        journal.counts().unwrap(),
        Counts {
            total: 6,
            pending: 6,
            ..Counts::default()
        }
    );
    journal.mark_in_flight(2).unwrap();
    journal.mark_done(2, 200, Some("corr-2")).unwrap();
    journal.mark_in_flight(3).unwrap();
    journal
        .mark_failed(
            3,
            Some(400),
            "400 schedule.shifts[0].startDate: bad date",
            Some("c3"),
        )
        .unwrap();
    journal.mark_in_flight(4).unwrap();
    journal
        .mark_failed(4, None, "timeout after 3 attempts", None)
        .unwrap();
    journal.mark_skipped(5, "invalid row").unwrap();
    journal.mark_in_flight(6).unwrap();
    let counts = journal.counts().unwrap();
    assert_eq!(
        counts,
        Counts {
            total: 6,
            pending: 1,
            in_flight: 1,
            done: 1,
            failed: 2,
            skipped: 1
        }
    );
    assert_eq!(counts.remaining(), 2);
    let by_status = journal.status_counts().unwrap();
    assert_eq!(
        by_status.into_iter().collect::<Vec<_>>(),
        vec![(200, 1), (400, 1)]
    );
    assert_eq!(journal.state_of(5).unwrap(), Some(ItemState::Skipped));
    assert_eq!(journal.state_of(99).unwrap(), None);
}

#[test]
fn resume_after_a_simulated_crash_sends_only_what_is_left() {
    let dir = TempDir::new("resume");
    let path = dir.path().join("run.sqlite");
    let journal = loaded(&dir, b"input", 5);
    journal.mark_in_flight(2).unwrap();
    journal.mark_done(2, 200, Some("a")).unwrap();
    journal.mark_in_flight(3).unwrap();
    journal.mark_in_flight(4).unwrap();
    journal.mark_done(4, 200, Some("b")).unwrap();
    // A crash: the connection is never closed and the write-ahead log is never checkpointed.
    journal.abandon();

    let journal = Journal::open(&path, &spec(b"input"), false).unwrap();
    assert_eq!(journal.open_kind(), OpenKind::Resumed);
    assert_eq!(journal.possibly_sent_at_open(), 1);
    let left: Vec<_> = journal.pending().collect::<Result<_, _>>().unwrap();
    let lines: Vec<_> = left
        .iter()
        .map(|item| (item.line, item.possibly_sent, item.attempts))
        .collect();
    assert_eq!(lines, vec![(3, true, 1), (5, false, 0), (6, false, 0)]);
    assert_eq!(left[0].user_id, user(3));
}

#[test]
fn a_changed_input_is_refused_with_a_clear_message() {
    let dir = TempDir::new("mismatch");
    let path = dir.path().join("run.sqlite");
    drop(loaded(&dir, b"input one", 3));
    let err = Journal::open(&path, &spec(b"input two"), false).unwrap_err();
    assert!(matches!(err, Error::InputChanged { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("belongs to another input"), "{message}");
    assert!(message.contains("--restart"), "{message}");
    // The refused open changed nothing.
    let journal = Journal::open(&path, &spec(b"input one"), false).unwrap();
    assert_eq!(journal.counts().unwrap().total, 3);
}

#[test]
fn a_changed_request_is_refused() {
    let dir = TempDir::new("request");
    let path = dir.path().join("run.sqlite");
    drop(loaded(&dir, b"input", 2));
    let mut other = spec(b"input");
    other.path_template = "/api/v2/users/{userId}".into();
    let err = Journal::open(&path, &other, false).unwrap_err();
    assert!(matches!(err, Error::RequestChanged { .. }), "{err:?}");
    assert!(err.to_string().contains("/api/v2/users/{userId}"));
}

#[test]
fn restart_discards_the_previous_run() {
    let dir = TempDir::new("restart");
    let path = dir.path().join("run.sqlite");
    let journal = loaded(&dir, b"old", 4);
    journal.mark_in_flight(2).unwrap();
    journal.mark_done(2, 200, None).unwrap();
    drop(journal);
    let mut journal = Journal::open(&path, &spec(b"new"), true).unwrap();
    assert_eq!(journal.open_kind(), OpenKind::Restarted);
    assert_eq!(journal.counts().unwrap().total, 0);
    assert!(!journal.items_loaded().unwrap());
    assert_eq!(journal.run().unwrap().fingerprint, spec(b"new").fingerprint);
    let mut loader = journal.loader();
    loader.push(2, &user(2)).unwrap();
    loader.finish().unwrap();
    assert_eq!(journal.state_of(2).unwrap(), Some(ItemState::Pending));
}

#[test]
fn an_interrupted_load_can_run_again_and_keeps_states() {
    let dir = TempDir::new("reload");
    let path = dir.path().join("run.sqlite");
    let mut journal = Journal::open(&path, &spec(b"input"), false).unwrap();
    let mut loader = journal.loader();
    for line in 1..=3 {
        loader.push(line, &user(line)).unwrap();
    }
    drop(loader);
    assert!(!journal.items_loaded().unwrap());
    journal.mark_skipped(2, "invalid").unwrap();
    journal.abandon();

    let mut journal = Journal::open(&path, &spec(b"input"), false).unwrap();
    assert!(!journal.items_loaded().unwrap());
    let mut loader = journal.loader();
    for line in 1..=5 {
        loader.push(line, &user(line)).unwrap();
    }
    loader.finish().unwrap();
    assert!(journal.items_loaded().unwrap());
    let counts = journal.counts().unwrap();
    assert_eq!((counts.total, counts.pending, counts.skipped), (5, 4, 1));
}

#[test]
fn a_batch_naming_an_unknown_line_changes_nothing() {
    let dir = TempDir::new("batch");
    let journal = loaded(&dir, b"input", 3);
    let err = journal
        .record(&[Change::InFlight { line: 2 }, Change::InFlight { line: 999 }])
        .unwrap_err();
    assert!(
        matches!(err, Error::UnknownItem { line: 999, .. }),
        "{err:?}"
    );
    assert_eq!(journal.state_of(2).unwrap(), Some(ItemState::Pending));
    journal
        .record(&[
            Change::InFlight { line: 2 },
            Change::InFlight { line: 3 },
            Change::Done {
                line: 2,
                status: 200,
                correlation_id: Some("x"),
            },
        ])
        .unwrap();
    let counts = journal.counts().unwrap();
    assert_eq!((counts.done, counts.in_flight, counts.pending), (1, 1, 1));
}

#[test]
fn the_cursor_pages_through_many_items_and_merges_with_the_input() {
    let dir = TempDir::new("pages");
    let journal = loaded(&dir, b"input", 3_000);
    for line in (2..3_002).step_by(3) {
        journal.mark_in_flight(line).unwrap();
        journal.mark_done(line, 200, None).unwrap();
    }
    let pending: Vec<u64> = journal.pending().map(|item| item.unwrap().line).collect();
    assert_eq!(pending.len(), 2_000);
    assert!(pending.windows(2).all(|w| w[0] < w[1]));
    assert!(pending.iter().all(|line| (line - 2) % 3 != 0));

    // A second pass over the input, in line order, asks for each line in turn.
    let mut cursor = journal.pending();
    let mut to_send = 0;
    for line in 2..3_002 {
        if let Some(item) = cursor.take_line(line).unwrap() {
            assert_eq!(item.line, line);
            to_send += 1;
        }
    }
    assert_eq!(to_send, 2_000);
}

#[test]
fn failed_items_come_back_in_pages_and_can_be_retried() {
    let dir = TempDir::new("failed");
    let journal = loaded(&dir, b"input", 10);
    for line in [3, 5, 7, 9] {
        journal.mark_in_flight(line).unwrap();
        journal
            .mark_failed(line, Some(404), "404 user not found", Some("c"))
            .unwrap();
    }
    let first = journal.failed_page(0, 3).unwrap();
    assert_eq!(
        first.iter().map(|f| f.line).collect::<Vec<_>>(),
        vec![3, 5, 7]
    );
    assert_eq!(first[0].status, Some(404));
    assert_eq!(first[0].reason, "404 user not found");
    assert_eq!(first[0].attempts, 1);
    let rest = journal.failed_page(7, 3).unwrap();
    assert_eq!(rest.iter().map(|f| f.line).collect::<Vec<_>>(), vec![9]);
    assert_eq!(journal.retry_failed().unwrap(), 4);
    assert_eq!(journal.counts().unwrap().failed, 0);
    assert_eq!(journal.counts().unwrap().pending, 10);
}

#[test]
fn status_opens_an_existing_journal_and_refuses_other_files() {
    let dir = TempDir::new("existing");
    let path = dir.path().join("run.sqlite");
    let journal = loaded(&dir, b"input", 2);
    journal.mark_in_flight(2).unwrap();
    journal.close().unwrap();
    let journal = Journal::open_existing(&path).unwrap();
    assert_eq!(journal.possibly_sent_at_open(), 1);
    assert_eq!(journal.run().unwrap().method, "PUT");
    assert_eq!(journal.run().unwrap().settings["deadline_s"], 300);

    let missing = Journal::open_existing(&dir.path().join("nope.sqlite")).unwrap_err();
    assert!(matches!(missing, Error::Missing { .. }), "{missing:?}");

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "this is not a database, just some text that is long enough to matter",
    )
    .unwrap();
    let err = Journal::open_existing(&text).unwrap_err();
    assert!(matches!(err, Error::NotAJournal { .. }), "{err:?}");
    let err = Journal::open(&text, &spec(b"input"), false).unwrap_err();
    assert!(matches!(err, Error::NotAJournal { .. }), "{err:?}");

    let other = dir.path().join("other.sqlite");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
    drop(conn);
    let err = Journal::open(&other, &spec(b"input"), false).unwrap_err();
    assert!(err.to_string().contains("another SQLite database"), "{err}");
}

#[test]
fn secrets_in_settings_are_never_stored() {
    let dir = TempDir::new("secret");
    let mut with_secret = spec(b"input");
    with_secret.settings = serde_json::json!({"client_secret": "hunter2"});
    let err = Journal::open(&dir.path().join("run.sqlite"), &with_secret, false).unwrap_err();
    assert!(matches!(err, Error::SecretInSettings { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"));
    assert!(!dir.path().join("run.sqlite").exists());
}

#[test]
fn a_second_run_on_a_journal_in_use_is_refused_until_the_first_ends() {
    let dir = TempDir::new("in-use");
    let path = dir.path().join("run.sqlite");
    let first = Journal::open(&path, &spec(b"input"), false).unwrap();
    // Two runs on one journal could both send an item: the second is refused, restart or not.
    for restart in [false, true] {
        match Journal::open(&path, &spec(b"input"), restart) {
            Err(Error::InUse { path: held }) => assert_eq!(held, path),
            other => panic!("expected InUse, got {other:?}"),
        }
    }
    // `pacer status` reads a journal in use.
    let status = Journal::open_existing(&path).unwrap();
    assert_eq!(status.counts().unwrap().total, 0);
    drop(first);
    let second = Journal::open(&path, &spec(b"input"), false).unwrap();
    assert_eq!(second.open_kind(), OpenKind::Resumed);
}

#[test]
fn resolved_keys_survive_a_crash_and_a_resume() {
    let dir = TempDir::new("keys");
    let path = dir.path().join("run.sqlite");
    let journal = loaded(&dir, b"input", 2);
    let key = |kind: &str, key: &str, user: &str| pacer_journal::ResolvedKey {
        kind: kind.into(),
        key: key.into(),
        user_id: user.into(),
    };
    journal
        .record_keys(&[
            key("email", "ann@x.example", "u-1"),
            key("name", "bob", "u-2"),
        ])
        .unwrap();
    journal.abandon();
    let journal = Journal::open(&path, &spec(b"input"), false).unwrap();
    assert_eq!(
        journal.resolved_keys().unwrap(),
        vec![
            key("email", "ann@x.example", "u-1"),
            key("name", "bob", "u-2")
        ]
    );
}

#[test]
fn an_agents_first_pre_image_is_kept_and_its_post_image_replaced() {
    let dir = TempDir::new("images");
    let journal = loaded(&dir, b"input", 1);
    let image = |pre: Option<&'static str>, post: &'static str| pacer_journal::NewImage {
        user_id: "U-1",
        pre_version: pre.map(|_| 3),
        pre: pre.map(|json| pacer_journal::PreImage::Json(json.as_bytes())),
        post,
        post_version: Some(4),
    };
    journal
        .record_images("2026-12-07", "s", &[image(Some("before"), "first")])
        .unwrap();
    journal
        .record_images("2026-12-07", "s", &[image(Some("between"), "second")])
        .unwrap();
    let kept = journal.images().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (
            kept[0].pre.as_deref(),
            kept[0].post.as_str(),
            kept[0].user_id.as_str()
        ),
        (Some("before"), "second", "u-1")
    );
    assert_eq!(journal.image_count().unwrap(), 1);
    assert_eq!(kept[0].post_version, Some(4));
    journal
        .record_post_versions("2026-12-07", &[("u-1".into(), 5)])
        .unwrap();
    assert_eq!(journal.images().unwrap()[0].post_version, Some(5));
}

#[test]
fn a_pre_image_packed_by_the_journal_or_by_the_run_or_kept_as_text_reads_the_same() {
    let dir = TempDir::new("images-compressed");
    let journal = loaded(&dir, b"input", 1);
    let week = r#"{"shifts":[{"startDate":"2026-12-08T09:00:00Z","lengthMinutes":480}]}"#.repeat(5);
    fn image<'a>(user_id: &'a str, pre: &'a str) -> pacer_journal::NewImage<'a> {
        pacer_journal::NewImage {
            user_id,
            pre_version: Some(1),
            pre: Some(pacer_journal::PreImage::Json(pre.as_bytes())),
            post: "{}",
            post_version: Some(2),
        }
    }
    // A run may hand a pre-image over packed already, as it read it.
    let packed = pacer_journal::pack_pre_image(week.as_bytes());
    let handed_packed = pacer_journal::NewImage {
        pre: Some(pacer_journal::PreImage::Packed(&packed)),
        ..image("d", "")
    };
    journal
        .record_images(
            "2026-12-07",
            "s",
            &[image("a", &week), image("b", ""), handed_packed],
        )
        .unwrap();
    journal.close().unwrap();
    // An earlier version kept the JSON as text: the journal reads both.
    let path = dir.path().join("run.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let stored: i64 = conn
        .query_row(
            "SELECT length(pre) FROM images WHERE user_id = 'a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        stored < week.len() as i64 / 3,
        "{stored} bytes kept of {}",
        week.len()
    );
    conn.execute(
        "INSERT INTO images (week, user_id, schedule_id, pre_version, pre, post) VALUES ('2026-12-07', 'c', 's', 1, ?1, '{}')",
        [&week],
    )
    .unwrap();
    drop(conn);
    let journal = Journal::open_existing(&path).unwrap();
    let pres: Vec<Option<String>> = journal
        .images()
        .unwrap()
        .into_iter()
        .map(|i| i.pre)
        .collect();
    assert_eq!(
        pres,
        [
            Some(week.clone()),
            Some(String::new()),
            Some(week.clone()),
            Some(week)
        ]
    );
}

#[test]
fn refused_sets_read_back_by_week_in_order() {
    let dir = TempDir::new("refused");
    let journal = loaded(&dir, b"input", 1);
    journal
        .record_refused("2026-12-07", &["a".into(), "b".into()])
        .unwrap();
    journal.record_refused("2026-12-14", &["c".into()]).unwrap();
    journal.record_refused("2026-12-07", &["b".into()]).unwrap();
    assert_eq!(
        journal.refused("2026-12-07").unwrap(),
        vec![vec!["a".to_string(), "b".into()], vec!["b".to_string()]]
    );
}

#[test]
fn images_recorded_beside_the_run_are_read_once_committed() {
    let dir = TempDir::new("image-writer");
    let journal = loaded(&dir, b"input", 1);
    let mut writer = journal.image_writer().unwrap();
    let image = pacer_journal::NewImage {
        user_id: "U-2",
        pre_version: Some(1),
        pre: Some(pacer_journal::PreImage::Json(b"{\"shifts\":[]}")),
        post: "{}",
        post_version: Some(2),
    };
    writer.record_images("2026-12-07", "s", &[image]).unwrap();
    assert_eq!(journal.image_count().unwrap(), 0, "not yet committed");
    writer.commit().unwrap();
    let kept = journal.images().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].pre.as_deref(), Some("{\"shifts\":[]}"));
    assert_eq!(kept[0].post_version, Some(2));
}
