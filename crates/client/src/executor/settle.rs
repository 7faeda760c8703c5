//! What follows a finished request: its answer fed back to the pacer and the shared budget, the
//! retry policy's verdict, and the item done, failed, or queued again.

use std::time::Duration;

use pacer_core::pacer::{Feedback, Permit};
use pacer_core::retry::{Outcome, Verdict};
use pacer_core::signals::Signals;

use super::Executor;
use super::driver::Run;
use super::events::{Event, Progress};
use super::job::Work;
use super::request::{Finished, signals_of};
use crate::bearer::BearerToken;
use crate::error::Result;
use crate::http::Response;

/// What the retry policy and the observer need of a request's answer.
struct Answer {
    outcome: Outcome,
    signals: Option<Signals>,
    status: Option<u16>,
    correlation_id: Option<String>,
}

impl Executor {
    /// Feeds one finished request to the pacer and the retry policy, and queues what follows.
    pub(super) async fn settle(&mut self, finished: Finished, now: Duration, run: &mut Run) {
        let Finished {
            mut work,
            permit,
            token,
            result,
            record,
        } = finished;
        run.events.push(Event::Request(record));
        let answer = match self.feed_back(&result, permit, now, &mut run.progress) {
            Ok(answer) => answer,
            Err(reason) => {
                // No request left (the token could not be had): the item fails with the reason.
                let attempts = work.attempts.total + 1;
                run.fail(work.job.line, None, reason, attempts);
                return;
            }
        };
        let verdict = run.policy.decide(
            &mut work.attempts,
            answer.outcome,
            answer.signals.as_ref(),
            now,
            &mut run.rng,
        );
        self.follow(verdict, work, answer, token, now, run).await;
    }

    /// Counts the answer, tells the pacer (and the shared budget) what it signals, and classifies
    /// it; `Err` holds why no request left at all.
    fn feed_back(
        &mut self,
        result: &Result<Response>,
        permit: Permit,
        now: Duration,
        progress: &mut Progress,
    ) -> std::result::Result<Answer, String> {
        match result {
            Ok(response) => {
                *progress
                    .responses_by_status
                    .entry(response.status)
                    .or_default() += 1;
                if response.status == 429 {
                    progress.throttled += 1;
                }
                let signals = signals_of(response);
                if let Some(shared) = &self.shared {
                    shared.observe(response.status, &signals);
                }
                self.pacer
                    .complete(permit, now, Feedback::Response(&signals));
                Ok(Answer {
                    outcome: response.outcome(),
                    signals: Some(signals),
                    status: Some(response.status),
                    correlation_id: response.correlation_id.clone(),
                })
            }
            Err(err) => match err.transport_kind() {
                Some(kind) => {
                    progress.transport_errors += 1;
                    self.pacer.complete(permit, now, Feedback::TransportError);
                    Ok(Answer {
                        outcome: kind.outcome(),
                        signals: None,
                        status: None,
                        correlation_id: None,
                    })
                }
                None => {
                    self.pacer.complete(permit, now, Feedback::Cancelled);
                    Err(err.to_string())
                }
            },
        }
    }

    /// Does what the verdict says: the item done, failed, or queued again (after a renewed token
    /// when the server refused the old one). While stopping, an item to retry stays pending in the
    /// journal and is sent by the next run.
    async fn follow(
        &mut self,
        verdict: Verdict,
        work: Work,
        answer: Answer,
        token: Option<BearerToken>,
        now: Duration,
        run: &mut Run,
    ) {
        let line = work.job.line;
        let attempts = work.attempts.total;
        let status = answer.status;
        match verdict {
            Verdict::Done => {
                run.progress.succeeded += 1;
                run.events.push(Event::Done {
                    line,
                    status: status.unwrap_or(200),
                    correlation_id: answer.correlation_id,
                    attempts,
                });
            }
            Verdict::Retry { not_before, .. } if !run.stopping => {
                run.retries.push(not_before, work);
            }
            Verdict::Reauthenticate if !run.stopping => {
                let renewed = match &token {
                    Some(stale) => self.tokens.after_unauthorized(stale).await.map(|_| ()),
                    None => Ok(()),
                };
                match renewed {
                    Ok(()) => run.retries.push(now, work),
                    Err(err) => run.fail(line, status, err.to_string(), attempts),
                }
            }
            Verdict::Retry { .. } | Verdict::Reauthenticate => {}
            Verdict::Conflict => run.fail(
                line,
                status,
                "409 conflict: the server's copy changed; re-read it and run again".into(),
                attempts,
            ),
            Verdict::Fail { reason } => run.fail(line, status, reason, attempts),
            Verdict::Park { reason, .. } => {
                run.fail(line, status, format!("parked: {reason}"), attempts)
            }
        }
    }
}
