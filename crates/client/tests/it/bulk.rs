//! The schedule update end to end against the real emulator (genesys profile, its limits on) on
//! 127.0.0.1:0, through a real notification socket.

use std::time::Duration;

use pacer_client::bulk::{
    self, BulkJournal, BulkOutcome, BulkProgress, BulkSettings, Desired, DesiredShift, OnConflict,
    Pending, Phase, Step,
};
use pacer_client::{
    Call, Credentials, Executor, ExecutorConfig, HttpClient, HttpConfig, Method, Secret, Target,
    TokenConfig, TokenManager,
};
use pacer_emulator::{AppState, Config, Overrides, Probability, Profile};

/// A journal in memory: the steps recorded, the last update's key, and what it says is pending.
#[derive(Default)]
struct Memory {
    steps: Vec<String>,
    /// The agents whose images were journaled, in order.
    imaged: Vec<String>,
    /// How many agents' images were journaled when each update was about to leave.
    imaged_at_send: Vec<usize>,
    last: Option<Pending>,
    pending: Option<Pending>,
}

impl BulkJournal for Memory {
    fn pending(&mut self, _week: &str) -> Option<Pending> {
        self.pending.take()
    }

    fn refused(&mut self, _week: &str) -> Vec<Vec<String>> {
        Vec::new()
    }

    fn hold_pre_image(&self) -> pacer_client::bulk::images::HoldPreImage {
        <[u8]>::to_vec
    }

    fn record(&mut self, step: Step<'_>) -> Result<(), String> {
        self.steps.push(match step {
            Step::UpdateSending {
                agents,
                key,
                schedule_id,
                base_version,
                ..
            } => {
                self.last = Some(Pending {
                    schedule_id: schedule_id.into(),
                    key: key.into(),
                    operation_id: None,
                    base_version,
                });
                self.imaged_at_send.push(self.imaged.len());
                format!("sending {agents}")
            }
            Step::UpdateAccepted { .. } => "accepted".into(),
            Step::UpdateEnded { status, .. } => format!("ended {status}"),
            // The images and the versions read back are undo's, not the update's steps.
            Step::Images { images, .. } => {
                self.imaged
                    .extend(images.iter().map(|i| i.user_id.to_ascii_lowercase()));
                return Ok(());
            }
            Step::Verified { .. } => return Ok(()),
            Step::Refused { agents, .. } => format!("refused {}", agents.len()),
        });
        Ok(())
    }
}

struct Quiet;

impl BulkProgress for Quiet {
    fn phase(&mut self, _phase: Phase, _detail: &str) {}
}

struct Emu {
    state: AppState,
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn emulator(agents: u32, edit: impl FnOnce(&mut Overrides)) -> Emu {
    let mut config = Config::profile(Profile::Genesys);
    let mut overrides = Overrides {
        agents: Some(agents),
        today: Some("2026-12-09".into()),
        bulk_processing: Some(Duration::from_millis(100)),
        ..Overrides::default()
    };
    edit(&mut overrides);
    overrides.apply(&mut config).unwrap();
    let state = AppState::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(pacer_emulator::serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Emu {
        state,
        base,
        _stop: tx,
    }
}

fn executor(emu: &Emu) -> Executor {
    let http = HttpClient::new(&HttpConfig::default()).unwrap();
    let tokens = TokenManager::new(
        http.clone(),
        format!("{}/oauth/token", emu.base),
        Credentials::new("pacer-demo", Secret::new("pacer-demo-secret")),
        TokenConfig::default(),
    );
    Executor::new(
        ExecutorConfig::new(Method::PUT, "/unused"),
        http,
        tokens,
        emu.base.clone(),
    )
}

/// One shift on the week's Tuesday at `hour` for each of the first `count` agents.
fn desired(emu: &Emu, count: u32, hour: u32) -> Vec<Desired> {
    (0..count)
        .map(|i| Desired {
            line: u64::from(i) + 2,
            user_id: emu.state.agent_id(i).unwrap(),
            week: "2026-12-07".into(),
            shifts: vec![DesiredShift {
                line: u64::from(i) + 2,
                start: format!("2026-12-08T{hour:02}:00:00Z"),
                length_minutes: 480,
                activities: Vec::new(),
            }],
            time_off: None,
            remove: false,
            guard: None,
        })
        .collect()
}

fn settings() -> BulkSettings {
    BulkSettings {
        poll_every: Duration::from_millis(100),
        ..BulkSettings::new("North")
    }
}

async fn apply(
    emu: &Emu,
    settings: &BulkSettings,
    wanted: &[Desired],
    journal: &mut Memory,
) -> BulkOutcome {
    let mut exec = executor(emu);
    bulk::run(&mut exec, settings, wanted, journal, &mut Quiet)
        .await
        .unwrap()
}

fn states(outcome: &BulkOutcome) -> Vec<&'static str> {
    let mut states: Vec<&str> = outcome.agents.iter().map(|a| a.state).collect();
    states.dedup();
    states
}

#[tokio::test]
async fn a_published_week_is_written_in_updates_of_at_most_1000_agents_and_a_rerun_sends_nothing() {
    let emu = emulator(1500, |_| {}).await;
    let wanted = desired(&emu, 1500, 9);
    let mut journal = Memory::default();
    let outcome = apply(&emu, &settings(), &wanted, &mut journal).await;
    assert!(outcome.findings.is_empty(), "{:?}", outcome.findings);
    assert_eq!(states(&outcome), ["written"]);
    assert_eq!(outcome.weeks[0].changed, 1500);
    assert_eq!(outcome.weeks[0].parts[0].learned_by, "notification");
    // Genesys notifies only the first 1,000 agents of a published change: two updates, the
    // first full.
    assert_eq!(
        journal.steps,
        [
            "sending 1000",
            "accepted",
            "ended Complete",
            "sending 500",
            "accepted",
            "ended Complete"
        ]
    );
    let stats = emu.state.stats();
    assert_eq!((stats.users_written, stats.max_writes_per_user), (1500, 1));
    assert!(
        stats.requests_total <= 14,
        "{} requests",
        stats.requests_total
    );

    let again = apply(&emu, &settings(), &wanted, &mut Memory::default()).await;
    assert_eq!(states(&again), ["unchanged"]);
    assert_eq!(emu.state.stats().updates_started, 2);
}

#[tokio::test]
async fn a_unit_read_one_management_unit_at_a_time_uploads_exactly_its_changed_agents_once() {
    // Three management units (1,500, 1,500 and 1,000 agents): the plan is made a management unit
    // at a time, and the upload must be the one a whole plan made: every changed agent, in the
    // input's order, in one part, its images journaled before the update leaves.
    let emu = emulator(4000, |_| {}).await;
    let settings = BulkSettings {
        max_agents_per_update: 10_000,
        ..settings()
    };
    apply(
        &emu,
        &settings,
        &desired(&emu, 3000, 9),
        &mut Memory::default(),
    )
    .await;
    let mut wanted = desired(&emu, 4000, 9);
    for (i, w) in wanted.iter_mut().enumerate() {
        if i % 3 == 0 {
            w.shifts[0].start = "2026-12-08T10:00:00Z".into();
        }
    }
    let changed: Vec<String> = wanted
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 == 0 || *i >= 3000)
        .map(|(_, w)| w.user_id.to_ascii_lowercase())
        .collect();
    let mut journal = Memory::default();
    let outcome = apply(&emu, &settings, &wanted, &mut journal).await;
    let week = &outcome.weeks[0];
    assert_eq!(
        (week.changed, week.unchanged, week.added),
        (changed.len(), 4000 - changed.len(), 0)
    );
    assert_eq!(journal.steps[0], format!("sending {}", changed.len()));
    assert_eq!(week.parts.len(), 1);
    assert_eq!(journal.imaged, changed);
    assert_eq!(journal.imaged_at_send, [changed.len()]);
    let written = outcome
        .agents
        .iter()
        .filter(|a| a.state == "written")
        .count();
    let unchanged = outcome
        .agents
        .iter()
        .filter(|a| a.state == "unchanged")
        .count();
    assert_eq!((written, unchanged), (changed.len(), 4000 - changed.len()));
    // The outcome keeps the input's order.
    let order: Vec<u64> = outcome.agents.iter().map(|a| a.line).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    let stats = emu.state.stats();
    assert_eq!(stats.max_writes_per_user, 2);
    assert_eq!(stats.updates_started, 2);
}

#[tokio::test]
async fn a_published_week_is_read_back_in_one_streamed_search_not_a_query_per_management_unit() {
    // Three management units, each answer past the inline size: the reads take a query (and a
    // streamed download) per management unit, the read-back one search of the published week.
    let emu = emulator(4000, |_| {}).await;
    let settings = BulkSettings {
        max_agents_per_update: 10_000,
        ..settings()
    };
    let mut exec = executor(&emu);
    let wanted = desired(&emu, 4000, 11);
    let outcome = bulk::run(
        &mut exec,
        &settings,
        &wanted,
        &mut Memory::default(),
        &mut Quiet,
    )
    .await
    .unwrap();
    assert_eq!(states(&outcome), ["written"]);
    let records = exec.take_call_records();
    let count = |label: &str| {
        records
            .iter()
            .filter(|r| r.label == Some(label) && r.status == Some(200))
            .count()
    };
    assert_eq!(count("POST agentschedules/query"), 3);
    assert_eq!(count("POST agentschedules/search"), 1);
    assert_eq!(count("GET download"), 4);
    // A second run with other hours plans every agent from the streamed reads again: each is
    // written once more, once.
    let again = desired(&emu, 4000, 12);
    let outcome = apply(&emu, &settings, &again, &mut Memory::default()).await;
    assert_eq!(states(&outcome), ["written"]);
    assert_eq!(emu.state.stats().max_writes_per_user, 2);
}

#[tokio::test]
async fn bad_input_is_refused_whole_with_lines_and_fields() {
    let emu = emulator(20, |_| {}).await;
    let mut wanted = desired(&emu, 3, 9);
    wanted[1].week = "2026-12-08".into();
    wanted[2].shifts[0].start = "2026-12-20T09:00:00Z".into();
    let outcome = apply(&emu, &settings(), &wanted, &mut Memory::default()).await;
    let found: Vec<(u64, &str)> = outcome.findings.iter().map(|f| (f.line, f.field)).collect();
    assert_eq!(found, [(3, "weekDate"), (4, "startDate")]);
    assert_eq!(emu.state.stats().uploads, 0);
}

#[tokio::test]
async fn an_agent_the_unit_does_not_hold_is_found_after_a_clean_input_and_nothing_is_sent() {
    // Guards the check after the reads, which (the input alone being clean) checks membership
    // only.
    let emu = emulator(20, |_| {}).await;
    let mut wanted = desired(&emu, 3, 9);
    wanted[1].user_id = "00000000-0000-4000-8000-000000000000".into();
    let outcome = apply(&emu, &settings(), &wanted, &mut Memory::default()).await;
    let found: Vec<(u64, &str, &str)> = outcome
        .findings
        .iter()
        .map(|f| (f.line, f.field, f.reason.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            3,
            "userId",
            "00000000-0000-4000-8000-000000000000 is not an agent of business unit North"
        )]
    );
    assert_eq!(emu.state.stats().uploads, 0);
}

#[tokio::test]
async fn a_dry_run_writes_nothing() {
    let emu = emulator(20, |_| {}).await;
    let wanted = desired(&emu, 5, 9);
    let outcome = apply(
        &emu,
        &BulkSettings {
            dry_run: true,
            ..settings()
        },
        &wanted,
        &mut Memory::default(),
    )
    .await;
    assert_eq!(states(&outcome), ["planned"]);
    assert_eq!(outcome.weeks[0].changed, 5);
    assert_eq!(outcome.planned_requests, 5);
    let stats = emu.state.stats();
    assert_eq!((stats.uploads, stats.writes_total), (0, 0));
}

#[tokio::test]
async fn dropped_notifications_end_by_polling() {
    let emu = emulator(20, |o| o.drop_notifications = Some(Probability(1.0))).await;
    let wanted = desired(&emu, 5, 9);
    let outcome = apply(&emu, &settings(), &wanted, &mut Memory::default()).await;
    assert_eq!(states(&outcome), ["written"]);
    assert_eq!(outcome.weeks[0].parts[0].learned_by, "polling");
    assert!(outcome.polled && outcome.socket_drops >= 1);
}

#[tokio::test]
async fn an_event_lost_while_the_socket_was_down_is_found_as_soon_as_it_is_back() {
    // Regression: the socket came back (2 s of backoff) before the first poll, the event had
    // gone with the dropped socket, and the run listened until its wait limit.
    let emu = emulator(20, |o| o.drop_notifications = Some(Probability(1.0))).await;
    let wanted = desired(&emu, 5, 9);
    let slow_polls = BulkSettings {
        poll_every: Duration::from_secs(60),
        wait_limit: Duration::from_secs(30),
        ..BulkSettings::new("North")
    };
    let started = std::time::Instant::now();
    let outcome = apply(&emu, &slow_polls, &wanted, &mut Memory::default()).await;
    assert_eq!(states(&outcome), ["written"]);
    assert_eq!(outcome.weeks[0].parts[0].learned_by, "polling");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn failed_operations_fail_their_agents() {
    let emu = emulator(20, |o| o.bulk_error_rate = Some(Probability(1.0))).await;
    let wanted = desired(&emu, 4, 9);
    let outcome = apply(&emu, &settings(), &wanted, &mut Memory::default()).await;
    assert_eq!(states(&outcome), ["failed"]);
    assert_eq!(outcome.failed(), 4);
    assert_eq!(outcome.weeks[0].parts[0].status, "Error");
}

#[tokio::test]
async fn a_pending_update_is_finished_not_sent_again() {
    let emu = emulator(20, |_| {}).await;
    let wanted = desired(&emu, 3, 9);
    let mut first = Memory::default();
    apply(&emu, &settings(), &wanted, &mut first).await;
    // The rerun's journal says the update was about to leave when the run died: its key is used,
    // so the update landed, and nothing is sent again.
    let mut rerun = Memory {
        pending: first.last.clone(),
        ..Memory::default()
    };
    let outcome = apply(&emu, &settings(), &wanted, &mut rerun).await;
    assert_eq!(rerun.steps, ["ended Complete"]);
    assert_eq!(states(&outcome), ["unchanged"]);
    // The same when the operation's id was recorded too.
    let mut accepted = first.last.clone().unwrap();
    accepted.operation_id = Some("an-operation".into());
    let mut rerun = Memory {
        pending: Some(accepted),
        ..Memory::default()
    };
    apply(&emu, &settings(), &wanted, &mut rerun).await;
    assert_eq!(rerun.steps, ["ended Complete"]);
    let stats = emu.state.stats();
    assert_eq!((stats.updates_started, stats.max_writes_per_user), (1, 1));
}

#[tokio::test]
async fn an_upload_whose_update_never_left_is_sent_once() {
    let emu = emulator(20, |_| {}).await;
    let wanted = desired(&emu, 3, 9);
    // A first run that died after its upload, before the update left: the key is unused.
    let mut exec = executor(&emu);
    let (schedule, version) = published_schedule(&mut exec).await;
    let user = emu.state.agent_id(0).unwrap();
    let body = serde_json::json!({"metadata": {"version": version}, "agentSchedules": [
        {"userId": user, "metadata": {"version": 1}, "shifts": []}]});
    let key = upload_only(&mut exec, &schedule, &body).await;
    let mut rerun = Memory {
        pending: Some(Pending {
            schedule_id: schedule,
            key,
            operation_id: None,
            base_version: version,
        }),
        ..Memory::default()
    };
    let outcome = apply(&emu, &settings(), &wanted, &mut rerun).await;
    assert_eq!(
        rerun.steps[..2],
        ["accepted".to_string(), "ended Complete".into()]
    );
    assert_eq!(states(&outcome), ["written"]);
    assert_eq!(emu.state.stats().updates_started, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_editor_is_met_by_one_reread_or_an_abort() {
    for (on_conflict, expected) in [
        (OnConflict::Retry, "written"),
        (OnConflict::Abort, "failed"),
    ] {
        let emu = emulator(20, |_| {}).await;
        let wanted = desired(&emu, 3, 9);
        let (schedule, _) = published_schedule(&mut executor(&emu)).await;
        let mut editor = Editor {
            addr: emu.base.trim_start_matches("http://").to_string(),
            schedule,
            touched: false,
        };
        let mut exec = executor(&emu);
        let settings = BulkSettings {
            on_conflict,
            ..settings()
        };
        let outcome = bulk::run(
            &mut exec,
            &settings,
            &wanted,
            &mut Memory::default(),
            &mut editor,
        )
        .await
        .unwrap();
        assert!(editor.touched);
        assert_eq!(states(&outcome), [expected], "{on_conflict:?}");
        assert_eq!(
            outcome.weeks[0].conflicts,
            u32::from(on_conflict == OnConflict::Retry)
        );
        if on_conflict == OnConflict::Abort {
            let reason = outcome.agents[0].reason.as_deref().unwrap();
            assert!(reason.contains("changed since it was read"), "{reason}");
        }
    }
}

/// Touches the schedule (another editor) when the run starts its first upload.
struct Editor {
    addr: String,
    schedule: String,
    touched: bool,
}

impl BulkProgress for Editor {
    fn phase(&mut self, phase: Phase, _detail: &str) {
        if phase != Phase::Upload || self.touched {
            return;
        }
        self.touched = true;
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(&self.addr).unwrap();
        let request = format!(
            "POST /__emulator/schedules/{}/touch HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.schedule
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}

/// The published schedule of the North unit's week of 2026-12-07, and its version.
async fn published_schedule(exec: &mut Executor) -> (String, u64) {
    let units = get_json(exec, "/api/v2/workforcemanagement/businessunits").await;
    let bu = units["entities"][0]["id"].as_str().unwrap().to_string();
    let week = get_json(
        exec,
        &format!("/api/v2/workforcemanagement/businessunits/{bu}/weeks/2026-12-07/schedules"),
    )
    .await;
    let schedule = &week["entities"][0];
    (
        schedule["id"].as_str().unwrap().to_string(),
        schedule["metadata"]["version"].as_u64().unwrap(),
    )
}

async fn get_json(exec: &mut Executor, path: &str) -> serde_json::Value {
    let called = exec.call(&Call::get(path, "test")).await.unwrap();
    serde_json::from_slice(&called.response.body).unwrap()
}

/// Asks for an upload URL of the schedule and PUTs `body` there, gzip; returns the key.
async fn upload_only(exec: &mut Executor, schedule: &str, body: &serde_json::Value) -> String {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body.to_string().as_bytes()).unwrap();
    let data = encoder.finish().unwrap();
    let units = get_json(exec, "/api/v2/workforcemanagement/businessunits").await;
    let bu = units["entities"][0]["id"].as_str().unwrap();
    let path = format!(
        "/api/v2/workforcemanagement/businessunits/{bu}/weeks/2026-12-07/schedules/{schedule}/update/uploadurl"
    );
    let request = serde_json::json!({"contentLengthBytes": data.len()}).to_string();
    let called = exec
        .call(&Call::post(path, request.into(), "test"))
        .await
        .unwrap();
    let target: serde_json::Value = serde_json::from_slice(&called.response.body).unwrap();
    let mut headers = pacer_client::HeaderMap::new();
    for (name, value) in target["headers"].as_object().unwrap() {
        headers.insert(http_name(name), value.as_str().unwrap().parse().unwrap());
    }
    let put = Call {
        method: Method::PUT,
        target: Target::Storage {
            url: target["url"].as_str().unwrap().to_string(),
            headers,
        },
        body: Some(data.into()),
        endpoint: "test",
        sink: None,
    };
    assert_eq!(exec.call(&put).await.unwrap().response.status, 200);
    target["uploadKey"].as_str().unwrap().to_string()
}

fn http_name(name: &str) -> pacer_client::HeaderName {
    pacer_client::HeaderName::from_bytes(name.as_bytes()).unwrap()
}
