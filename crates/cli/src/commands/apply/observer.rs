//! What `pacer apply` does with the executor's events: the journal, the JTL file and the display.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pacer_client::{Event, Observer, Progress};
use pacer_core::planner::Plan;
use pacer_journal::{Change, Journal};

use super::early_stop::AlikeFailures;
use super::settings::Display;
use crate::latency::Latencies;
use crate::report::{JtlWriter, Sample, SampleOutcome};
use crate::timeline::Timeline;

/// How often plain progress lines are printed when there is no bar.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// Records every event in the journal (one transaction per batch), writes the JTL lines, and
/// keeps the display up to date.
pub struct ApplyObserver<'j> {
    journal: &'j Journal,
    jtl: Option<JtlWriter>,
    label: String,
    display: Display,
    bar: Option<ProgressBar>,
    total: u64,
    /// Items already finished before this run (resumed journals).
    done_before: u64,
    deadline: Option<Duration>,
    last_line: Option<Instant>,
    /// Transport failures by kind, for the report.
    pub transport_errors: BTreeMap<String, u64>,
    /// The first error of the JTL writer, which does not stop the run but is reported.
    pub jtl_error: Option<anyhow::Error>,
    /// The first outcomes, to stop a run whose items all fail alike.
    first: AlikeFailures,
    /// The latency of every answered request.
    pub latencies: Latencies,
    /// The run per second, for the HTML report.
    pub timeline: Timeline,
}

impl<'j> ApplyObserver<'j> {
    pub fn new(
        journal: &'j Journal,
        jtl: Option<JtlWriter>,
        label: String,
        display: Display,
        total: u64,
        done_before: u64,
        deadline: Option<Duration>,
    ) -> Self {
        let bar = (display == Display::Bar).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_position(done_before);
            bar
        });
        Self {
            journal,
            jtl,
            label,
            display,
            bar,
            total,
            done_before,
            deadline,
            last_line: None,
            transport_errors: BTreeMap::new(),
            jtl_error: None,
            first: AlikeFailures::default(),
            latencies: Latencies::default(),
            timeline: Timeline::default(),
        }
    }

    /// Takes the JTL writer back, to finish it.
    pub fn take_jtl(&mut self) -> Option<JtlWriter> {
        self.jtl.take()
    }

    /// Clears the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn write_jtl(&mut self, record: &pacer_client::RequestRecord) {
        let Some(jtl) = &mut self.jtl else { return };
        if let Err(err) = write_record(jtl, &self.label, record) {
            self.jtl_error.get_or_insert(err);
            self.jtl = None;
        }
    }
}

/// Writes one request as a JTL line, labelled `label` unless the record names its endpoint.
pub fn write_record(
    jtl: &mut JtlWriter,
    label: &str,
    record: &pacer_client::RequestRecord,
) -> anyhow::Result<()> {
    let thread = format!("pacer token {}", record.token_index + 1);
    let kind = record.error_kind.unwrap_or("");
    let outcome = match record.status {
        Some(status) => SampleOutcome::Status(status),
        None => SampleOutcome::NoResponse {
            kind,
            message: record.error.as_deref().unwrap_or(""),
        },
    };
    let failure = match record.status {
        Some(status) if (200..400).contains(&status) => String::new(),
        Some(status) => format!("HTTP {status}"),
        None => record.error.clone().unwrap_or_default(),
    };
    let sample = Sample {
        started_unix_ms: record.started_unix_ms,
        elapsed_ms: record.elapsed.as_millis() as u64,
        label: record.label.unwrap_or(label),
        outcome,
        thread_name: &thread,
        failure_message: &failure,
        bytes_received: record.bytes_received,
        bytes_sent: record.bytes_sent,
        in_flight: record.in_flight,
        url: &record.url,
        latency_ms: record.latency.as_millis() as u64,
        connect_ms: 0,
    };
    jtl.write(&sample)
}

impl Observer for ApplyObserver<'_> {
    fn stop_reason(&mut self) -> Option<String> {
        self.first.reason(&self.label)
    }

    fn events(&mut self, events: &[Event]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut changes: Vec<Change<'_>> = Vec::with_capacity(events.len());
        let mut json = Vec::new();
        for event in events {
            self.first.observe(event);
            match event {
                Event::Sending { line, .. } => changes.push(Change::InFlight { line: *line }),
                Event::Done {
                    line,
                    status,
                    correlation_id,
                    ..
                } => changes.push(Change::Done {
                    line: *line,
                    status: *status,
                    correlation_id: correlation_id.as_deref(),
                }),
                Event::Failed {
                    line,
                    status,
                    reason,
                    ..
                } => changes.push(Change::Failed {
                    line: *line,
                    status: *status,
                    reason,
                    correlation_id: None,
                }),
                Event::Request(_) => {}
            }
            if self.display == Display::Json {
                json.push(event_json(event));
            }
        }
        if !changes.is_empty() {
            self.journal.record(&changes)?;
        }
        for event in events {
            if let Event::Request(record) = event {
                if record.status.is_some() {
                    self.latencies.record(record.latency);
                }
                self.timeline.record(record);
                if let Some(kind) = record.error_kind {
                    *self.transport_errors.entry(kind.to_string()).or_default() += 1;
                }
                self.write_jtl(record);
            }
        }
        if !json.is_empty() {
            let mut out = std::io::stdout().lock();
            for value in json {
                writeln!(out, "{value}")?;
            }
        }
        Ok(())
    }

    fn progress(&mut self, progress: &Progress) {
        let finished = self.done_before + progress.succeeded + progress.failed;
        let rate = if progress.elapsed.as_secs_f64() > 0.5 {
            (progress.succeeded + progress.failed) as f64 / progress.elapsed.as_secs_f64()
        } else {
            0.0
        };
        let eta = time_left(progress, rate);
        let eta_text = match eta {
            Some(eta) => format!("ETA {}", clock(eta)),
            None => "ETA --".to_string(),
        };
        let deadline_text = deadline_text(self.deadline, progress.plan.as_ref());
        let message = format!(
            "{:.1}/s, 429s {}, failed {}, in flight {}, {eta_text}{deadline_text}",
            rate, progress.throttled, progress.failed, progress.in_flight
        );
        match self.display {
            Display::Bar => {
                if let Some(bar) = &self.bar {
                    bar.set_position(finished);
                    bar.set_message(message);
                }
            }
            Display::Lines => {
                let due = self.last_line.is_none_or(|at| at.elapsed() >= LINE_EVERY);
                if due {
                    self.last_line = Some(Instant::now());
                    eprintln!(
                        "[{}] {finished}/{} done, {message}",
                        clock(progress.elapsed),
                        self.total
                    );
                }
            }
            Display::Quiet => {}
            Display::Json => {
                let due = self
                    .last_line
                    .is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
                if due {
                    self.last_line = Some(Instant::now());
                    let event = progress_json(progress, finished, self.total, rate, eta);
                    println!("{event}");
                }
            }
        }
    }
}

/// The time left by the plan's ETA (a time since the run's start). While the limit is still being
/// discovered an ETA would be a guess from the first cautious rate: none is given until the pacer
/// knows more or the run has a pace.
fn time_left(progress: &Progress, rate: f64) -> Option<Duration> {
    let discovering = rate == 0.0
        && progress
            .budget
            .as_ref()
            .is_some_and(|b| b.source == Some(pacer_core::pacer::Source::Discovered));
    progress
        .plan
        .as_ref()
        .filter(|_| !discovering)
        .map(|plan| plan.eta.saturating_sub(progress.elapsed))
}

/// The deadline and whether the plan meets it, as the progress line ends; empty without one.
fn deadline_text(deadline: Option<Duration>, plan: Option<&Plan>) -> String {
    match (deadline, plan) {
        (Some(deadline), Some(plan)) => {
            if plan.eta <= deadline {
                format!(" (deadline {}: on time)", clock(deadline))
            } else {
                format!(
                    " (deadline {}: {} late)",
                    clock(deadline),
                    clock(plan.eta - deadline)
                )
            }
        }
        (Some(deadline), None) => format!(" (deadline {})", clock(deadline)),
        _ => String::new(),
    }
}

/// The progress as one JSON event.
fn progress_json(
    progress: &Progress,
    finished: u64,
    total: u64,
    rate: f64,
    eta: Option<Duration>,
) -> serde_json::Value {
    serde_json::json!({
        "event": "progress",
        "elapsed_s": progress.elapsed.as_secs_f64(),
        "done": finished,
        "total": total,
        "succeeded": progress.succeeded,
        "failed": progress.failed,
        "requests": progress.requests,
        "throttled": progress.throttled,
        "in_flight": progress.in_flight,
        "rate_per_s": rate,
        "eta_s": eta.map(|e| e.as_secs_f64()),
    })
}

/// One executor event as a JSON line.
fn event_json(event: &Event) -> serde_json::Value {
    match event {
        Event::Sending { line, attempt } => {
            serde_json::json!({"event": "sending", "line": line, "attempt": attempt})
        }
        Event::Request(r) => serde_json::json!({
            "event": "request",
            "line": r.line,
            "status": r.status,
            "error": r.error,
            "latency_ms": r.latency.as_millis() as u64,
            "elapsed_ms": r.elapsed.as_millis() as u64,
            "token": r.token_index,
        }),
        Event::Done {
            line,
            status,
            correlation_id,
            attempts,
        } => serde_json::json!({
            "event": "done", "line": line, "status": status, "correlation_id": correlation_id, "attempts": attempts,
        }),
        Event::Failed {
            line,
            status,
            reason,
            attempts,
        } => serde_json::json!({
            "event": "failed", "line": line, "status": status, "reason": reason, "attempts": attempts,
        }),
    }
}

/// `h:mm:ss` or `m:ss`.
pub fn clock(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}
