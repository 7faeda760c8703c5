//! What `pacer apply` leaves behind: the JSON report (`--report`), the JMeter result file
//! (`--jtl`) and the few-line summary printed at the end.
//!
//! The JSON report is one object with one field per line and `failed_items` streamed one item per
//! line, so a run where every item fails still writes its report in constant memory. The JTL file
//! is JMeter's CSV result format with its header row, one line per request, so JMeter's own report
//! generator (`jmeter -g FILE.jtl -o DIR`) and other JTL readers accept it.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The JSON report of one `pacer apply` run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Data rows in the input (valid or not).
    pub items_total: u64,
    /// Items the server accepted, in this run or an earlier run of the same journal.
    pub items_succeeded: u64,
    /// Items given up on; each is listed in `failed_items`.
    pub items_failed: u64,
    /// Items not sent on purpose (invalid rows under `--skip-invalid`).
    pub items_skipped: u64,
    /// Items still pending when the run stopped (Ctrl-C, a fatal error): a rerun sends them.
    pub items_remaining: u64,
    /// Items that were in flight when an earlier run was killed: each may have been written twice.
    pub items_possibly_sent_twice: u64,
    /// HTTP requests this run sent (retries included, token requests excluded).
    pub requests_sent: u64,
    /// Responses per HTTP status, e.g. `{"200": 498, "429": 2}`.
    pub responses_by_status: BTreeMap<u16, u64>,
    /// Requests that got no response, by kind: `timeout`, `connection_reset`, `connect_refused`...
    pub transport_errors: BTreeMap<String, u64>,
    /// 429 responses.
    pub throttled: u64,
    /// Requests that were retries of an earlier attempt.
    pub retries: u64,
    /// OAuth tokens minted during the run.
    pub tokens_minted: u64,
    /// Wall time of the run, in seconds.
    pub elapsed_s: f64,
    /// Wall time of the sending alone, in seconds: from the executor's start to the last answer.
    /// `elapsed_s` also counts validation, the journal's load and authentication.
    pub sending_s: f64,
    /// The server's earliest possible completion time, when the limit is known.
    pub ideal_s: Option<f64>,
    /// The `--deadline`, in seconds.
    pub deadline_s: Option<f64>,
    /// Whether the run finished within the deadline; `None` without a deadline.
    pub met_deadline: Option<bool>,
    /// Whether the run resumed an earlier journal.
    pub resumed: bool,
    pub input: String,
    pub journal: String,
    pub method: String,
    pub path_template: String,
    /// Request latency percentiles (seconds), from an HDR histogram; `None` without requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    /// Every `--threshold`, judged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<Judged>,
    /// The schedule update's own figures (phases, uploads, operations, agents verified), when
    /// the run took the business unit's bulk path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk: Option<serde_json::Value>,
    /// The whole run's figures and this runner's, when it was one of several runners sharing a
    /// queue and a budget (`--coordinator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinator: Option<serde_json::Value>,
    /// The dress rehearsal on a mirror of the organization that ran first (`--rehearse`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<serde_json::Value>,
    /// Every failed item with its reason, in line order.
    pub failed_items: Vec<FailedItem>,
}

/// Latency percentiles of a run's requests, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub count: u64,
    pub p50_s: f64,
    pub p90_s: f64,
    pub p99_s: f64,
    pub max_s: f64,
}

/// A failed item as the report lists it: the journal's own record.
pub use pacer_journal::FailedItem;

/// Every failed item of a journal, in line order, read a page of 1,000 at a time.
pub fn failed_items(
    journal: &pacer_journal::Journal,
) -> impl Iterator<Item = Result<FailedItem, pacer_journal::Error>> + '_ {
    let mut after = 0u64;
    let mut page: std::vec::IntoIter<pacer_journal::FailedItem> = Vec::new().into_iter();
    let mut exhausted = false;
    std::iter::from_fn(move || {
        loop {
            if let Some(item) = page.next() {
                after = item.line;
                return Some(Ok(item));
            }
            if exhausted {
                return None;
            }
            match journal.failed_page(after, 1_000) {
                Ok(items) => {
                    exhausted = items.len() < 1_000;
                    page = items.into_iter();
                }
                Err(err) => {
                    exhausted = true;
                    return Some(Err(err));
                }
            }
        }
    })
}

/// How a `--threshold` was judged (see `thresholds`, which judges it): part of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judged {
    pub threshold: String,
    /// The metric's value; `None` when the run does not know it (no latency, no ideal).
    pub value: Option<f64>,
    pub passed: bool,
}

impl fmt::Display for Judged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value.map_or_else(
            || "unknown".to_string(),
            |v| {
                format!("{v:.4}")
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_string()
            },
        );
        write!(
            f,
            "threshold {} {}: {value}",
            self.threshold,
            if self.passed { "passed" } else { "FAILED" }
        )
    }
}

impl Report {
    /// Writes the report with `self.failed_items` to `path` (through a temporary file renamed
    /// into place, so a reader never sees half a report).
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        self.write_json_streaming(
            path,
            self.failed_items
                .iter()
                .cloned()
                .map(Ok::<_, std::convert::Infallible>),
        )
    }

    /// Writes the report to `path` with `failed` as its `failed_items` (ignoring
    /// `self.failed_items`), one item per line, without collecting them.
    pub fn write_json_streaming<E>(
        &self,
        path: &Path,
        failed: impl IntoIterator<Item = Result<FailedItem, E>>,
    ) -> anyhow::Result<()>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        use anyhow::Context as _;
        let tmp = temporary_sibling(path);
        let result = (|| -> anyhow::Result<()> {
            let file = File::create(&tmp)?;
            let mut out = BufWriter::new(file);
            let mut head = serde_json::to_value(self)?;
            let fields = head
                .as_object_mut()
                .expect("a report serializes to an object");
            fields.remove("failed_items");
            out.write_all(b"{\n")?;
            for (key, value) in fields.iter() {
                writeln!(out, "  {}: {},", serde_json::to_string(key)?, value)?;
            }
            out.write_all(b"  \"failed_items\": [")?;
            let mut first = true;
            for item in failed {
                let item = item.context("cannot read the failed items")?;
                out.write_all(if first { b"\n    " } else { b",\n    " })?;
                serde_json::to_writer(&mut out, &item)?;
                first = false;
            }
            out.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&tmp, path)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.with_context(|| format!("cannot write the report {}", path.display()))
    }

    /// What happened, in a few lines, for the end of the run.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let finished = self.items_succeeded + self.items_failed + self.items_skipped;
        out.push_str(&format!(
            "{} of {} items done, {} failed, {} skipped{} in {:.1} s",
            self.items_succeeded,
            self.items_total,
            self.items_failed,
            self.items_skipped,
            if self.items_remaining > 0 {
                format!(", {} not sent yet", self.items_remaining)
            } else {
                String::new()
            },
            self.elapsed_s,
        ));
        if let Some(ideal) = self
            .ideal_s
            .filter(|ideal| *ideal > 0.0 && self.items_remaining == 0)
        {
            out.push_str(&format!(
                " (ideal {ideal:.1} s, {:.2}x)",
                self.elapsed_s / ideal
            ));
        }
        out.push('\n');
        let statuses: Vec<String> = self
            .responses_by_status
            .iter()
            .map(|(status, n)| format!("{status}: {n}"))
            .chain(
                self.transport_errors
                    .iter()
                    .map(|(kind, n)| format!("{kind}: {n}")),
            )
            .collect();
        out.push_str(&format!(
            "{} requests ({}), {} throttled, {} retries, {} tokens minted\n",
            self.requests_sent,
            if statuses.is_empty() {
                "none answered".to_string()
            } else {
                statuses.join(", ")
            },
            self.throttled,
            self.retries,
            self.tokens_minted,
        ));
        if let Some(latency) = &self.latency {
            let ms = |s: f64| s * 1000.0;
            out.push_str(&format!(
                "latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n",
                ms(latency.p50_s),
                ms(latency.p90_s),
                ms(latency.p99_s),
                ms(latency.max_s)
            ));
        }
        match (self.deadline_s, self.met_deadline) {
            (Some(deadline), Some(true)) => {
                out.push_str(&format!("deadline {deadline:.0} s: met\n"))
            }
            (Some(deadline), _) => out.push_str(&format!("deadline {deadline:.0} s: missed\n")),
            (None, _) => {}
        }
        if self.items_possibly_sent_twice > 0 {
            out.push_str(&format!(
                "{} items were in flight when an earlier run stopped and were sent again\n",
                self.items_possibly_sent_twice
            ));
        }
        if finished < self.items_total && self.items_remaining > 0 {
            out.push_str("run the same command again to send the rest\n");
        }
        out
    }
}

fn temporary_sibling(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "report".into());
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// The header row of JMeter's CSV result format, in JMeter's default column order.
pub const JTL_HEADER: &str = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,\
dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect";

/// How one request ended, for the JTL file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleOutcome<'a> {
    /// An HTTP response with this status.
    Status(u16),
    /// No response: `kind` such as `timeout` or `connection_reset`, and a message.
    NoResponse { kind: &'a str, message: &'a str },
}

/// One request, as a line of the JTL file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample<'a> {
    /// When the request started, in milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// From the start of the request to the end of the response, in milliseconds.
    pub elapsed_ms: u64,
    /// What JMeter groups by: the method and path template, e.g. `PUT /api/v2/users/{userId}`.
    pub label: &'a str,
    pub outcome: SampleOutcome<'a>,
    /// Who sent it, e.g. `pacer token 1` (JMeter's thread name).
    pub thread_name: &'a str,
    /// Why the request counts as failed; empty for a success.
    pub failure_message: &'a str,
    /// Bytes received: response headers and body.
    pub bytes_received: u64,
    /// Bytes sent: request headers and body.
    pub bytes_sent: u64,
    /// Requests in flight when this one was sent (JMeter's `grpThreads` and `allThreads`).
    pub in_flight: u32,
    /// The full URL requested.
    pub url: &'a str,
    /// Time to the first byte of the response, in milliseconds.
    pub latency_ms: u64,
    /// Time to set up the connection, in milliseconds (0 when a pooled one was reused).
    pub connect_ms: u64,
}

impl Sample<'_> {
    /// JMeter counts a response as a success when its status is 2xx or 3xx.
    pub fn success(&self) -> bool {
        matches!(self.outcome, SampleOutcome::Status(status) if (200..400).contains(&status))
    }
}

/// Writes a JTL file one line per request; call [`finish`](Self::finish) to flush it.
pub struct JtlWriter {
    out: csv::Writer<BufWriter<File>>,
    path: PathBuf,
    lines: u64,
}

impl JtlWriter {
    /// Creates (or truncates) the file and writes the header row.
    pub fn create(path: &Path) -> anyhow::Result<JtlWriter> {
        use anyhow::Context as _;
        let file = File::create(path)
            .with_context(|| format!("cannot create the JTL file {}", path.display()))?;
        let mut writer = JtlWriter {
            out: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(BufWriter::new(file)),
            path: path.to_path_buf(),
            lines: 0,
        };
        writer
            .out
            .write_record(JTL_HEADER.split(','))
            .with_context(|| format!("cannot write the JTL file {}", path.display()))?;
        Ok(writer)
    }

    /// Appends one request.
    pub fn write(&mut self, sample: &Sample<'_>) -> anyhow::Result<()> {
        use anyhow::Context as _;
        let (code, message) = match sample.outcome {
            SampleOutcome::Status(status) => {
                (status.to_string(), reason_phrase(status).to_string())
            }
            SampleOutcome::NoResponse { kind, message } => (
                format!("Non HTTP response code: {kind}"),
                format!("Non HTTP response message: {message}"),
            ),
        };
        let in_flight = sample.in_flight.to_string();
        self.out
            .write_record([
                sample.started_unix_ms.to_string().as_str(),
                &sample.elapsed_ms.to_string(),
                sample.label,
                &code,
                &message,
                sample.thread_name,
                "text",
                if sample.success() { "true" } else { "false" },
                sample.failure_message,
                &sample.bytes_received.to_string(),
                &sample.bytes_sent.to_string(),
                &in_flight,
                &in_flight,
                sample.url,
                &sample.latency_ms.to_string(),
                "0",
                &sample.connect_ms.to_string(),
            ])
            .with_context(|| format!("cannot write the JTL file {}", self.path.display()))?;
        self.lines += 1;
        Ok(())
    }

    /// Requests written so far.
    #[cfg(test)]
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Flushes buffered lines to the file (for Ctrl-C: the file is then complete so far).
    pub fn flush(&mut self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        self.out
            .flush()
            .with_context(|| format!("cannot write the JTL file {}", self.path.display()))
    }

    /// Flushes and closes the file.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.flush()
    }
}

/// The reason phrase JMeter shows next to a status.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn temp_file(name: &str) -> (PathBuf, impl Drop) {
        struct Dir(PathBuf);
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pacer-report-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        (dir.join(name), Dir(dir))
    }

    fn report() -> Report {
        Report {
            items_total: 500,
            items_succeeded: 497,
            items_failed: 2,
            items_skipped: 1,
            requests_sent: 503,
            responses_by_status: BTreeMap::from([(200, 497), (404, 2), (429, 2)]),
            transport_errors: BTreeMap::from([("timeout".to_string(), 2)]),
            throttled: 2,
            retries: 4,
            tokens_minted: 1,
            elapsed_s: 99.25,
            sending_s: 98.5,
            ideal_s: Some(98.0),
            deadline_s: Some(300.0),
            met_deadline: Some(true),
            input: "agents.csv".into(),
            journal: "agents.csv.pacer.sqlite".into(),
            method: "PUT".into(),
            path_template: "/api/v2/wfm/usersettings/{userId}/schedule".into(),
            latency: None,
            thresholds: Vec::new(),
            bulk: None,
            coordinator: None,
            failed_items: vec![
                FailedItem {
                    line: 7,
                    user_id: "3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a93".into(),
                    status: Some(404),
                    reason: "404 user not found".into(),
                    attempts: 1,
                    correlation_id: Some("c-7".into()),
                },
                FailedItem {
                    line: 9,
                    user_id: "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d".into(),
                    status: None,
                    reason: "timeout after 3 attempts".into(),
                    attempts: 3,
                    correlation_id: None,
                },
            ],
            ..Report::default()
        }
    }

    #[test]
    fn the_json_report_has_the_issue_fields_and_round_trips() {
        let (path, _dir) = temp_file("report.json");
        let report = report();
        report.write_json(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        for field in [
            "items_total",
            "items_succeeded",
            "items_failed",
            "items_skipped",
            "requests_sent",
            "responses_by_status",
            "throttled",
            "retries",
            "tokens_minted",
            "elapsed_s",
            "sending_s",
            "ideal_s",
            "deadline_s",
            "met_deadline",
            "failed_items",
        ] {
            assert!(value.get(field).is_some(), "missing {field} in {text}");
        }
        assert_eq!(value["responses_by_status"]["429"], 2);
        assert_eq!(value["failed_items"][0]["reason"], "404 user not found");
        assert_eq!(value["failed_items"][1]["status"], serde_json::Value::Null);
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
        // One field per line and one failed item per line.
        assert!(
            text.lines().any(|l| l.starts_with("    {\"line\":7,")),
            "{text}"
        );
        assert!(
            !path
                .with_file_name(format!("report.json.tmp-{}", std::process::id()))
                .exists()
        );
    }

    #[test]
    fn failed_items_stream_from_an_iterator_and_an_empty_list_is_valid_json() {
        let (path, _dir) = temp_file("report.json");
        let mut report = report();
        report.failed_items.clear();
        report.write_json(&path).unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(value["failed_items"], serde_json::json!([]));

        let many = (1..=10_000u64).map(|line| {
            Ok::<_, std::io::Error>(FailedItem {
                line,
                user_id: format!("u{line}"),
                status: Some(404),
                reason: "404".into(),
                attempts: 1,
                correlation_id: None,
            })
        });
        report.write_json_streaming(&path, many).unwrap();
        let back: Report = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back.failed_items.len(), 10_000);
        assert_eq!(back.failed_items[9_999].line, 10_000);
    }

    #[test]
    fn a_failing_failed_items_source_leaves_no_half_report() {
        let (path, _dir) = temp_file("report.json");
        let broken = std::iter::once(Err::<FailedItem, _>(std::io::Error::other("disk gone")));
        let err = report().write_json_streaming(&path, broken).unwrap_err();
        assert!(format!("{err:#}").contains("disk gone"), "{err:#}");
        assert!(!path.exists());
    }

    #[test]
    fn failed_items_are_read_from_the_journal_in_pages() {
        let (path, _dir) = temp_file("run.sqlite");
        let spec = pacer_journal::RunSpec {
            input_path: "agents.csv".into(),
            fingerprint: pacer_journal::Fingerprint::of_bytes(b"x"),
            method: "PUT".into(),
            path_template: "/x/{userId}".into(),
            settings: serde_json::json!({}),
        };
        let mut journal = pacer_journal::Journal::open(&path, &spec, false).unwrap();
        let mut loader = journal.loader();
        for line in 1..=2_500 {
            loader.push(line, &format!("u{line}")).unwrap();
        }
        loader.finish().unwrap();
        for line in (1..=2_500).filter(|l| l % 2 == 0) {
            journal
                .mark_failed(line, Some(404), "404 not found", None)
                .unwrap();
        }
        let items: Vec<FailedItem> = failed_items(&journal).map(Result::unwrap).collect();
        assert_eq!(items.len(), 1_250);
        assert_eq!(items[0].line, 2);
        assert_eq!(items[1_249].line, 2_500);
        assert!(items.windows(2).all(|w| w[0].line < w[1].line));
    }

    #[test]
    fn the_summary_says_what_happened_in_a_few_lines() {
        let summary = report().summary();
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(
            lines[0],
            "497 of 500 items done, 2 failed, 1 skipped in 99.2 s (ideal 98.0 s, 1.01x)"
        );
        assert_eq!(
            lines[1],
            "503 requests (200: 497, 404: 2, 429: 2, timeout: 2), 2 throttled, 4 retries, 1 tokens minted"
        );
        assert_eq!(lines[2], "deadline 300 s: met");
        assert_eq!(lines.len(), 3);
        let stopped = Report {
            items_total: 10,
            items_succeeded: 4,
            items_remaining: 6,
            ..Report::default()
        };
        assert!(
            stopped.summary().contains("run the same command again"),
            "{}",
            stopped.summary()
        );
    }

    #[test]
    fn the_jtl_file_has_jmeters_header_and_one_line_per_request() {
        let (path, _dir) = temp_file("run.jtl");
        let mut jtl = JtlWriter::create(&path).unwrap();
        let ok = Sample {
            started_unix_ms: 1_767_000_000_000,
            elapsed_ms: 42,
            label: "PUT /api/v2/wfm/usersettings/{userId}/schedule",
            outcome: SampleOutcome::Status(200),
            thread_name: "pacer token 1",
            failure_message: "",
            bytes_received: 310,
            bytes_sent: 612,
            in_flight: 3,
            url: "http://127.0.0.1:8080/api/v2/wfm/usersettings/u1/schedule",
            latency_ms: 40,
            connect_ms: 0,
        };
        jtl.write(&ok).unwrap();
        jtl.write(&Sample {
            outcome: SampleOutcome::Status(429),
            failure_message: "throttled, retry after 1 s, by \"token\"",
            ..ok
        })
        .unwrap();
        jtl.write(&Sample {
            outcome: SampleOutcome::NoResponse {
                kind: "timeout",
                message: "no answer in 30 s",
            },
            failure_message: "timeout",
            ..ok
        })
        .unwrap();
        assert_eq!(jtl.lines(), 3);
        jtl.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], JTL_HEADER);
        assert_eq!(
            lines[1],
            "1767000000000,42,PUT /api/v2/wfm/usersettings/{userId}/schedule,200,OK,pacer token 1,\
             text,true,,310,612,3,3,http://127.0.0.1:8080/api/v2/wfm/usersettings/u1/schedule,40,0,0"
        );
        // Every line parses back into the header's 17 columns.
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.len() == 17));
        assert_eq!(&rows[1][3], "429");
        assert_eq!(&rows[1][4], "Too Many Requests");
        assert_eq!(&rows[1][7], "false");
        assert_eq!(&rows[1][8], "throttled, retry after 1 s, by \"token\"");
        assert_eq!(&rows[2][3], "Non HTTP response code: timeout");
        assert_eq!(&rows[2][7], "false");
    }
}
