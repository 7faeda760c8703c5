//! The run's figures as Prometheus text (`--metrics FILE`), for people who scrape: the same
//! numbers as the JSON report, in the exposition format a `/metrics` endpoint serves.

use std::fmt::Write as _;

use crate::report::Report;

/// The exposition text of a report.
pub fn prometheus(report: &Report) -> String {
    let mut out = Exposition(String::with_capacity(2048));
    counts(&mut out, report);
    times(&mut out, report);
    thresholds(&mut out, report);
    out.0
}

/// The text format being written: one family after another.
struct Exposition(String);

impl Exposition {
    /// One metric family: its help, its type, and its samples (labels, value).
    fn family(&mut self, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(self.0, "{name}{labels} {value}");
        }
    }
}

/// A family's one sample without labels.
fn one(value: f64) -> Vec<(String, f64)> {
    vec![(String::new(), value)]
}

/// Items by state, requests, answers by status, transport errors, 429s and retries.
fn counts(out: &mut Exposition, report: &Report) {
    let items = [
        ("done", report.items_succeeded),
        ("failed", report.items_failed),
        ("skipped", report.items_skipped),
        ("remaining", report.items_remaining),
    ];
    let items: Vec<(String, f64)> = items
        .iter()
        .map(|(state, n)| (format!("{{state=\"{state}\"}}"), *n as f64))
        .collect();
    out.family(
        "pacer_items",
        "gauge",
        "Items of the input by state.",
        &items,
    );
    out.family(
        "pacer_requests_total",
        "counter",
        "HTTP requests sent, retries included.",
        &one(report.requests_sent as f64),
    );
    let statuses: Vec<(String, f64)> = report
        .responses_by_status
        .iter()
        .map(|(status, n)| (format!("{{status=\"{status}\"}}"), *n as f64))
        .collect();
    out.family(
        "pacer_responses_total",
        "counter",
        "Answers by HTTP status.",
        &statuses,
    );
    let transport: Vec<(String, f64)> = report
        .transport_errors
        .iter()
        .map(|(kind, n)| (format!("{{kind=\"{}\"}}", escape(kind)), *n as f64))
        .collect();
    out.family(
        "pacer_transport_errors_total",
        "counter",
        "Requests without an answer, by kind.",
        &transport,
    );
    out.family(
        "pacer_throttled_total",
        "counter",
        "429 answers.",
        &one(report.throttled as f64),
    );
    out.family(
        "pacer_retries_total",
        "counter",
        "Requests that retried an earlier attempt.",
        &one(report.retries as f64),
    );
}

/// The run's wall time, the server's ideal and the latency quantiles.
fn times(out: &mut Exposition, report: &Report) {
    out.family(
        "pacer_elapsed_seconds",
        "gauge",
        "The run's wall time.",
        &one(report.elapsed_s),
    );
    if let Some(ideal) = report.ideal_s {
        out.family(
            "pacer_ideal_seconds",
            "gauge",
            "The server's earliest possible time for the run.",
            &one(ideal),
        );
    }
    if let Some(latency) = &report.latency {
        let quantiles = [
            ("0.5", latency.p50_s),
            ("0.9", latency.p90_s),
            ("0.99", latency.p99_s),
            ("1", latency.max_s),
        ];
        let samples: Vec<(String, f64)> = quantiles
            .iter()
            .map(|(q, v)| (format!("{{quantile=\"{q}\"}}"), *v))
            .collect();
        out.family(
            "pacer_latency_seconds",
            "gauge",
            "Time to the response's headers, by quantile (1 is the largest).",
            &samples,
        );
        out.family(
            "pacer_latency_samples",
            "gauge",
            "Requests the latency quantiles count.",
            &one(latency.count as f64),
        );
    }
}

/// Each `--threshold`, passed (1) or failed (0).
fn thresholds(out: &mut Exposition, report: &Report) {
    let judged: Vec<(String, f64)> = report
        .thresholds
        .iter()
        .map(|j| {
            (
                format!("{{threshold=\"{}\"}}", escape(&j.threshold)),
                f64::from(u8::from(j.passed)),
            )
        })
        .collect();
    out.family(
        "pacer_threshold_passed",
        "gauge",
        "1 for a --threshold that passed, 0 for one that failed.",
        &judged,
    );
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Latency;

    #[test]
    fn the_report_becomes_exposition_text() {
        let report = Report {
            items_succeeded: 9,
            items_failed: 1,
            requests_sent: 12,
            throttled: 2,
            responses_by_status: [(200, 10), (429, 2)].into_iter().collect(),
            latency: Some(Latency {
                count: 12,
                p50_s: 0.02,
                p90_s: 0.05,
                p99_s: 0.2,
                max_s: 0.3,
            }),
            thresholds: vec![crate::report::Judged {
                threshold: "failed==0".into(),
                value: Some(1.0),
                passed: false,
            }],
            ..Report::default()
        };
        let text = prometheus(&report);
        assert!(
            text.contains("# TYPE pacer_requests_total counter\npacer_requests_total 12\n"),
            "{text}"
        );
        assert!(text.contains("pacer_items{state=\"failed\"} 1\n"), "{text}");
        assert!(
            text.contains("pacer_responses_total{status=\"429\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("pacer_latency_seconds{quantile=\"0.99\"} 0.2\n"),
            "{text}"
        );
        assert!(
            text.contains("pacer_threshold_passed{threshold=\"failed==0\"} 0\n"),
            "{text}"
        );
    }
}
