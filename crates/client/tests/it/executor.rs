//! The executor end to end against the real emulator on 127.0.0.1:0, in virtual time.

use std::time::Duration;

use pacer_client::{
    Credentials, Event, Executor, ExecutorConfig, HttpClient, HttpConfig, Job, Method, Observer,
    Progress, Secret, Summary, TokenConfig, TokenManager,
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

impl Recorder {
    /// How many recorded events match.
    fn count(&self, matches: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| matches(e)).count()
    }
}

/// An emulator of the seed profile and an executor pointed at it, with jobs for its first agents.
struct Setup {
    state: AppState,
    executor: Executor,
    jobs: Vec<Job>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Setup {
    /// Runs every job until done or `shutdown`; returns the summary, the events and the time taken.
    async fn run(
        &mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> (Summary, Recorder, Duration) {
        let mut recorder = Recorder::default();
        let started = tokio::time::Instant::now();
        let jobs = std::mem::take(&mut self.jobs);
        let summary = self.executor.run(jobs, &mut recorder, shutdown).await;
        (summary, recorder, started.elapsed())
    }
}

async fn setup(agents: u32, items: u32) -> Setup {
    let mut config = Config::profile(Profile::Seed);
    config.agents = agents;
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
    let mut setup = setup(200, 120).await;
    let (summary, recorder, elapsed) = setup.run(std::future::pending()).await;

    assert!(!summary.interrupted, "{summary:?}");
    assert_eq!(summary.progress.succeeded, 120, "{summary:?}");
    assert_eq!(summary.progress.failed, 0);
    let stats = setup.state.stats();
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
    assert_eq!(recorder.count(|e| matches!(e, Event::Done { .. })), 120);
    // Every send was announced before its outcome.
    let sending = recorder.count(|e| matches!(e, Event::Sending { .. }));
    assert_eq!(sending as u64, summary.progress.requests);
}

#[tokio::test(start_paused = true)]
async fn seed_profile_with_the_org_limits_read_first_still_respects_the_burst() {
    // The limits API says 300 a minute but not that the bucket holds only 10: the first request
    // goes alone, and its X-RateLimit headers shape the rest.
    let mut setup = setup(200, 120).await;
    assert_eq!(setup.executor.read_org_limits().await.unwrap(), Some(300));
    let (summary, _, elapsed) = setup.run(std::future::pending()).await;
    assert_eq!(summary.progress.succeeded, 120, "{summary:?}");
    assert_eq!(setup.state.stats().max_writes_per_user, 1);
    assert!(summary.progress.throttled <= 2, "{summary:?}");
    // The org limits request took one token from the bucket: (121 - 10) / 5 = 22.2 s at best.
    assert!(
        elapsed.as_secs_f64() <= 22.2 * 1.10,
        "{elapsed:?} is more than 10% over the ideal: {summary:?}"
    );
    let ideal = setup
        .executor
        .ideal(120, elapsed)
        .expect("the limit is known");
    assert!((21.0..=23.0).contains(&ideal.as_secs_f64()), "{ideal:?}");
}

#[tokio::test(start_paused = true)]
async fn unknown_agent_fails_without_retry_and_the_rest_complete() {
    let mut setup = setup(20, 5).await;
    setup.jobs.push(Job {
        line: 99,
        user_id: "00000000-0000-4000-8000-000000000000".into(),
        body: bytes::Bytes::from_static(SCHEDULE.as_bytes()),
    });
    let (summary, recorder, _) = setup.run(std::future::pending()).await;
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
    assert_eq!(setup.state.stats().users_written, 5);
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_sending_and_lets_in_flight_finish() {
    let mut setup = setup(100, 100).await;
    let (summary, _, _) = setup.run(tokio::time::sleep(Duration::from_secs(5))).await;
    assert!(summary.interrupted);
    let done = summary.progress.succeeded;
    assert!(done > 10 && done < 100, "{summary:?}");
    // Nothing was lost: every request sent has its outcome, and the server saw exactly those.
    assert_eq!(setup.state.stats().users_written, done);
    assert_eq!(summary.progress.in_flight, 0);
}
