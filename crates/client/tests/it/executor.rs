//! The executor end to end against the real emulator on 127.0.0.1:0, in virtual time.

use std::time::Duration;

use pacer_client::{
    Credentials, Event, Executor, ExecutorConfig, HttpClient, HttpConfig, Job, Method, Observer,
    Progress, Secret, TokenConfig, TokenManager,
};
use pacer_emulator::{AppState, Config, Profile};

const SCHEDULE: &str = r#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0","description":"Work"}]}]}"#;

/// Records every event, as a journal would.
#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    last: Progress,
}

impl Observer for Recorder {
    fn events(&mut self, events: &[Event]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.events.extend_from_slice(events);
        Ok(())
    }

    fn progress(&mut self, progress: &Progress) {
        self.last = progress.clone();
    }
}

struct Setup {
    state: AppState,
    executor: Executor,
    jobs: Vec<Job>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn setup(config: Config, items: u32) -> Setup {
    let state = AppState::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(pacer_emulator::serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    let http = HttpClient::new(&HttpConfig::default()).unwrap();
    let tokens = TokenManager::new(
        http.clone(),
        format!("{base}/oauth/token"),
        Credentials::new("pacer-demo", Secret::new("pacer-demo-secret")),
        TokenConfig::default(),
    );
    let executor = Executor::new(
        ExecutorConfig::new(Method::PUT, "/api/v2/wfm/usersettings/{userId}/schedule"),
        http,
        tokens,
        base,
    );
    let jobs = (0..items)
        .map(|i| Job {
            line: u64::from(i) + 2,
            user_id: state.agent_id(i).unwrap(),
            body: bytes::Bytes::from_static(SCHEDULE.as_bytes()),
        })
        .collect();
    Setup {
        state,
        executor,
        jobs,
        _shutdown: tx,
    }
}

#[tokio::test(start_paused = true)]
async fn seed_profile_writes_every_agent_once_near_the_ideal_time() {
    let mut config = Config::profile(Profile::Seed);
    config.agents = 200;
    let Setup {
        state,
        mut executor,
        jobs,
        _shutdown,
    } = setup(config, 120).await;
    let mut recorder = Recorder::default();
    let started = tokio::time::Instant::now();
    let summary = executor
        .run(jobs, &mut recorder, std::future::pending())
        .await;
    let elapsed = started.elapsed();
    eprintln!(
        "elapsed {elapsed:?} requests {} throttled {}",
        summary.progress.requests, summary.progress.throttled
    );

    assert!(!summary.interrupted, "{summary:?}");
    assert_eq!(summary.progress.succeeded, 120, "{summary:?}");
    assert_eq!(summary.progress.failed, 0);
    let stats = state.stats();
    assert_eq!(stats.users_written, 120);
    assert_eq!(stats.max_writes_per_user, 1);
    assert!(summary.progress.throttled <= 2, "{summary:?}");
    // The bucket holds 10 and refills 5 a second: (120 - 10) / 5 = 22 s at best.
    let ideal = Duration::from_secs(22);
    assert!(elapsed >= ideal, "{elapsed:?} beats the server's bound");
    assert!(
        elapsed.as_secs_f64() <= ideal.as_secs_f64() * 1.10,
        "{elapsed:?} is more than 10% over the ideal {ideal:?}: {summary:?}"
    );
    let done = recorder
        .events
        .iter()
        .filter(|e| matches!(e, Event::Done { .. }))
        .count();
    assert_eq!(done, 120);
    // Every send was announced before its outcome.
    let sending = recorder
        .events
        .iter()
        .filter(|e| matches!(e, Event::Sending { .. }))
        .count() as u64;
    assert_eq!(sending, summary.progress.requests);
}

#[tokio::test(start_paused = true)]
async fn seed_profile_with_the_org_limits_read_first_still_respects_the_burst() {
    // The limits API says 300 a minute but not that the bucket holds only 10: the first request
    // goes alone, and its X-RateLimit headers shape the rest.
    let mut config = Config::profile(Profile::Seed);
    config.agents = 200;
    let Setup {
        state,
        mut executor,
        jobs,
        _shutdown,
    } = setup(config, 120).await;
    assert_eq!(executor.read_org_limits().await.unwrap(), Some(300));
    let mut recorder = Recorder::default();
    let started = tokio::time::Instant::now();
    let summary = executor
        .run(jobs, &mut recorder, std::future::pending())
        .await;
    let elapsed = started.elapsed();
    eprintln!(
        "elapsed {elapsed:?} requests {} throttled {}",
        summary.progress.requests, summary.progress.throttled
    );
    assert_eq!(summary.progress.succeeded, 120, "{summary:?}");
    assert_eq!(state.stats().max_writes_per_user, 1);
    assert!(summary.progress.throttled <= 2, "{summary:?}");
    // The org limits request took one token from the bucket: (121 - 10) / 5 = 22.2 s at best.
    assert!(
        elapsed.as_secs_f64() <= 22.2 * 1.10,
        "{elapsed:?} is more than 10% over the ideal: {summary:?}"
    );
    let ideal = executor.ideal(120, elapsed).expect("the limit is known");
    assert!((21.0..=23.0).contains(&ideal.as_secs_f64()), "{ideal:?}");
}

#[tokio::test(start_paused = true)]
async fn unknown_agent_fails_without_retry_and_the_rest_complete() {
    let mut config = Config::profile(Profile::Seed);
    config.agents = 20;
    let Setup {
        state,
        mut executor,
        mut jobs,
        _shutdown,
    } = setup(config, 5).await;
    jobs.push(Job {
        line: 99,
        user_id: "00000000-0000-4000-8000-000000000000".into(),
        body: bytes::Bytes::from_static(SCHEDULE.as_bytes()),
    });
    let mut recorder = Recorder::default();
    let summary = executor
        .run(jobs, &mut recorder, std::future::pending())
        .await;
    assert_eq!(summary.progress.succeeded, 5);
    assert_eq!(summary.progress.failed, 1);
    let failed: Vec<&Event> = recorder
        .events
        .iter()
        .filter(|e| matches!(e, Event::Failed { .. }))
        .collect();
    assert!(
        matches!(
            failed[0],
            Event::Failed {
                line: 99,
                status: Some(404),
                attempts: 1,
                ..
            }
        ),
        "{failed:?}"
    );
    assert_eq!(state.stats().users_written, 5);
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_sending_and_lets_in_flight_finish() {
    let mut config = Config::profile(Profile::Seed);
    config.agents = 100;
    let Setup {
        state,
        mut executor,
        jobs,
        _shutdown,
    } = setup(config, 100).await;
    let mut recorder = Recorder::default();
    let summary = executor
        .run(
            jobs,
            &mut recorder,
            tokio::time::sleep(Duration::from_secs(5)),
        )
        .await;
    assert!(summary.interrupted);
    let done = summary.progress.succeeded;
    assert!(done > 10 && done < 100, "{summary:?}");
    // Nothing was lost: every request sent has its outcome, and the server saw exactly those.
    assert_eq!(state.stats().users_written, done);
    assert_eq!(summary.progress.in_flight, 0);
}
