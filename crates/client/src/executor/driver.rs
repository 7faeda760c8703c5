//! The driver loop of a run: each turn fills every permit the pacer grants, hands the batch of
//! events to the observer before anything leaves, launches the requests, reports progress, then
//! sleeps until the earliest of a response, the pacer's next moment, the next retry, or a stop.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use pacer_core::pacer::{Feedback, Permit};
use pacer_core::retry::{Attempts, RetryPolicy};
use pacer_core::rng::Rng;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

use super::events::{Event, Observer, Progress, Summary};
use super::job::Work;
use super::request::{Finished, Outgoing, request_url};
use super::retry_queue::RetryQueue;
use super::source::{JobSource, Next};
use super::{Executor, Job};

/// How often the live plan is recomputed.
const PLAN_EVERY: Duration = Duration::from_millis(250);

/// One run's state between the turns of the driver loop.
pub(super) struct Run {
    start: Instant,
    /// The run's time bound: no request leaves after it.
    deadline: Instant,
    pub(super) policy: RetryPolicy,
    pub(super) rng: Rng,
    pub(super) retries: RetryQueue,
    /// An item the pacer had no permit for yet; it goes first next turn.
    held: Option<Work>,
    tasks: JoinSet<Finished>,
    pub(super) progress: Progress,
    /// Events not yet handed to the observer.
    pub(super) events: Vec<Event>,
    /// The source said `Later`: its `changed` may wake the loop.
    source_later: bool,
    input_done: bool,
    /// No new request leaves; those in flight are let finish.
    pub(super) stopping: bool,
    interrupted: bool,
    observer_error: Option<String>,
    stopped_early: Option<String>,
    /// The token slot asked first for the next permit (round robin).
    next_token: usize,
    last_plan: Option<Duration>,
}

/// A request granted a permit in this turn, not yet launched.
struct Launch {
    work: Work,
    permit: Permit,
    index: usize,
}

impl Executor {
    /// Like [`Executor::run`], pulling jobs from `source`, which may have none for a while.
    pub async fn run_source<S>(
        &mut self,
        jobs: &mut dyn JobSource,
        observer: &mut dyn Observer,
        shutdown: S,
    ) -> Summary
    where
        S: Future<Output = ()>,
    {
        let mut run = self.begin();
        tokio::pin!(shutdown);
        loop {
            let now = run.start.elapsed();
            run.check_time_bound();
            let (mut launches, wake) = self.fill(&mut run, jobs, now);
            self.hand_over(&mut run, observer, &mut launches, now);
            for launch in launches {
                self.launch(&mut run, launch);
            }
            self.report_progress(&mut run, observer, now);
            if run.is_over() {
                break;
            }
            self.wait(&mut run, jobs, wake, &mut shutdown).await;
            // The outcomes settled here are recorded at the top of the next turn, in the same
            // transaction as the sends that turn starts: one commit per turn.
        }
        self.finish(run, observer)
    }

    /// A run's state at its start.
    fn begin(&self) -> Run {
        let start = Instant::now();
        Run {
            start,
            deadline: start + self.config.max_run_time,
            policy: RetryPolicy::new(self.config.retry.clone()),
            rng: Rng::new(self.config.seed),
            retries: RetryQueue::default(),
            held: None,
            tasks: JoinSet::new(),
            progress: Progress::default(),
            events: Vec::new(),
            source_later: false,
            input_done: false,
            stopping: false,
            interrupted: false,
            observer_error: None,
            stopped_early: None,
            next_token: 0,
            last_plan: None,
        }
    }

    /// Hands out every permit the pacer grants now, to the held item, the due retries, then new
    /// jobs; returns the launches and when to look again (`None`: only a response or the source
    /// can change anything).
    fn fill(
        &mut self,
        run: &mut Run,
        jobs: &mut dyn JobSource,
        now: Duration,
    ) -> (Vec<Launch>, Option<Duration>) {
        let mut launches = Vec::new();
        if run.stopping {
            return (launches, None);
        }
        loop {
            let Some(work) = run.next_work(jobs, now) else {
                return (launches, run.retries.next_at());
            };
            match self.acquire(&mut run.next_token, now) {
                Ok((permit, index)) => {
                    run.events.push(Event::Sending {
                        line: work.job.line,
                        attempt: work.attempts.total + 1,
                    });
                    launches.push(Launch {
                        work,
                        permit,
                        index,
                    });
                }
                Err(until) => {
                    run.held = Some(work);
                    return (launches, until);
                }
            }
        }
    }

    /// Gives the turn's events to the observer before any of its requests leaves. When the
    /// observer fails, nothing of the batch was recorded, so nothing of it is sent.
    fn hand_over(
        &mut self,
        run: &mut Run,
        observer: &mut dyn Observer,
        launches: &mut Vec<Launch>,
        now: Duration,
    ) {
        if run.events.is_empty() {
            return;
        }
        if let Err(err) = observer.events(&run.events) {
            run.observer_error.get_or_insert(err.to_string());
            run.stopping = true;
            run.interrupted = true;
            for launch in launches.drain(..) {
                self.pacer.complete(launch.permit, now, Feedback::Cancelled);
            }
        }
        run.events.clear();
        if let Some(reason) = observer.stop_reason().filter(|_| !run.stopping) {
            run.stopped_early = Some(reason);
            run.stopping = true;
        }
    }

    /// Spawns one request as a task, counted in flight.
    fn launch(&mut self, run: &mut Run, launch: Launch) {
        let Launch {
            work,
            permit,
            index,
        } = launch;
        if work.attempts.total > 0 {
            run.progress.retries += 1;
        }
        run.progress.requests += 1;
        run.progress.in_flight += 1;
        let url = match &self.base_url {
            Ok(base) => Ok(request_url(
                base,
                &self.config.path_template,
                &work.job.user_id,
            )),
            Err(reason) => Err(crate::Error::BadUrl {
                url: self.api_base.clone(),
                reason: reason.clone(),
            }),
        };
        let text = match &url {
            Ok(url) => url.as_str().to_owned(),
            Err(_) => self.api_base.clone(),
        };
        let outgoing = Outgoing {
            work,
            permit,
            index,
            in_flight: run.progress.in_flight,
            http: self.http.clone(),
            tokens: self.tokens.clone(),
            shared: self.shared.clone(),
            method: self.config.method.clone(),
            url,
            text,
            deadline: run.deadline,
        };
        run.tasks.spawn(outgoing.send());
    }

    /// Tells the observer the counts so far, with the live plan at most every [`PLAN_EVERY`].
    fn report_progress(&self, run: &mut Run, observer: &mut dyn Observer, now: Duration) {
        run.progress.elapsed = run.start.elapsed();
        run.progress.input_done = run.input_done;
        run.progress.budget = Some(self.pacer.view(self.token_scopes[0], now));
        if run
            .last_plan
            .is_none_or(|at: Duration| now.saturating_sub(at) >= PLAN_EVERY)
        {
            run.last_plan = Some(now);
            run.progress.plan = self.live_plan(&run.progress, now);
        }
        observer.progress(&run.progress);
    }

    /// Waits for a response, the pacer's next moment, the next retry, more from the source, or
    /// a stop; settles every response already in.
    async fn wait<S>(
        &mut self,
        run: &mut Run,
        jobs: &mut dyn JobSource,
        wake: Option<Duration>,
        shutdown: &mut Pin<&mut S>,
    ) where
        S: Future<Output = ()>,
    {
        let sleep_until = wake
            .map(|at| run.start + at)
            .unwrap_or(run.deadline)
            .min(run.deadline);
        tokio::select! {
            biased;
            joined = run.tasks.join_next(), if !run.tasks.is_empty() => {
                self.settle_ready(run, joined).await;
            }
            _ = tokio::time::sleep_until(sleep_until), if !run.stopping => {}
            _ = jobs.changed(), if run.source_later && !run.stopping && run.held.is_none() => {}
            _ = shutdown.as_mut(), if !run.stopping => {
                run.stopping = true;
                run.interrupted = true;
            }
        }
    }

    /// Settles `joined` and every other response that is already in, so that under load the
    /// journal commits many outcomes in one transaction.
    async fn settle_ready(
        &mut self,
        run: &mut Run,
        joined: Option<std::result::Result<Finished, JoinError>>,
    ) {
        let mut next = joined;
        while let Some(joined) = next {
            let finished = match joined {
                Ok(finished) => finished,
                Err(err) => std::panic::resume_unwind(err.into_panic()),
            };
            run.progress.in_flight -= 1;
            let now = run.start.elapsed();
            self.settle(finished, now, run).await;
            next = run.tasks.try_join_next();
        }
    }

    /// The last progress report, and the summary of how the run ended.
    fn finish(&self, mut run: Run, observer: &mut dyn Observer) -> Summary {
        run.progress.elapsed = run.start.elapsed();
        run.progress.input_done = run.input_done;
        run.progress.budget = Some(self.pacer.view(self.token_scopes[0], run.start.elapsed()));
        run.progress.plan = self.live_plan(&run.progress, run.start.elapsed());
        observer.progress(&run.progress);
        Summary {
            progress: run.progress,
            interrupted: run.interrupted,
            observer_error: run.observer_error,
            stopped_early: run.stopped_early,
        }
    }
}

impl Run {
    /// Stops sending once the run's time bound is reached.
    fn check_time_bound(&mut self) {
        if Instant::now() >= self.deadline && !self.stopping {
            self.stopping = true;
            self.interrupted = true;
        }
    }

    /// The next item to send: the held one, a due retry, or the source's next job.
    fn next_work(&mut self, jobs: &mut dyn JobSource, now: Duration) -> Option<Work> {
        if let Some(work) = self.held.take() {
            return Some(work);
        }
        if let Some(work) = self.retries.pop_due(now) {
            return Some(work);
        }
        self.next_job(jobs).map(|job| Work {
            job,
            attempts: Attempts::default(),
        })
    }

    /// The source's next job, noting whether it has nothing now or nothing ever again.
    fn next_job(&mut self, jobs: &mut dyn JobSource) -> Option<Job> {
        self.source_later = false;
        if self.input_done {
            return None;
        }
        match jobs.next() {
            Next::Job(job) => {
                self.progress.items_started += 1;
                Some(job)
            }
            Next::Later => {
                self.source_later = true;
                None
            }
            Next::Done => {
                self.input_done = true;
                None
            }
        }
    }

    /// Whether the loop ends: nothing in flight, and a stop asked or nothing left to send. A stop
    /// with items left marks the run interrupted.
    fn is_over(&mut self) -> bool {
        if !self.tasks.is_empty() {
            return false;
        }
        let drained = self.input_done && self.held.is_none() && self.retries.is_empty();
        if !(self.stopping || drained) {
            return false;
        }
        if self.stopping && !drained {
            self.interrupted = true;
        }
        true
    }

    /// Counts an item failed for good and tells the observer why.
    pub(super) fn fail(&mut self, line: u64, status: Option<u16>, reason: String, attempts: u32) {
        self.progress.failed += 1;
        self.events.push(Event::Failed {
            line,
            status,
            reason,
            attempts,
        });
    }
}
