//! The emulator's counters over HTTP: `GET /__emulator/stats` (JSON), `POST /__emulator/reset`,
//! and `GET /metrics` (Prometheus text exposition).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::respond::{CORRELATION_HEADER, empty, json_value};
use crate::state::AppState;
use crate::stats::StatsReport;

/// `GET /__emulator/stats`: the counters as JSON.
pub async fn stats(State(state): State<AppState>) -> Response {
    json_value(200, &state.stats(), &state.inner.cids.next())
}

/// `POST /__emulator/reset`: counters and stored state cleared.
pub async fn reset(State(state): State<AppState>) -> Response {
    state.reset();
    empty(204, &state.inner.cids.next())
}

/// `GET /metrics`: Prometheus text exposition of the counters.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let text = exposition(&state.stats());
    let mut response = Response::new(Body::from(text));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    headers.insert(CORRELATION_HEADER.clone(), state.inner.cids.next().header());
    response
}

/// The counters in Prometheus text, one family after another.
fn exposition(report: &StatsReport) -> String {
    let mut text = String::with_capacity(2048);
    let plain = |v: u64| vec![(String::new(), v)];
    family(
        &mut text,
        "pacer_emulator_requests_total",
        "Requests to API and OAuth routes.",
        "counter",
        &plain(report.requests_total),
    );
    family(
        &mut text,
        "pacer_emulator_responses_total",
        "Answers by HTTP status.",
        "counter",
        &labelled("status", &report.responses_by_status),
    );
    family(
        &mut text,
        "pacer_emulator_throttled_total",
        "429 answers by refusing limit.",
        "counter",
        &labelled("limit", &report.throttled_by_limit),
    );
    let totals = [
        (
            "pacer_emulator_tokens_minted_total",
            "Tokens minted.",
            "counter",
            report.tokens_minted,
        ),
        (
            "pacer_emulator_writes_total",
            "Successful schedule writes.",
            "counter",
            report.writes_total,
        ),
        (
            "pacer_emulator_rejected_writes_total",
            "Schedule writes not answered 200.",
            "counter",
            report.rejected_writes,
        ),
        (
            "pacer_emulator_users_written",
            "Distinct agents written.",
            "gauge",
            report.users_written,
        ),
        (
            "pacer_emulator_max_writes_per_user",
            "Most writes to one agent.",
            "gauge",
            report.max_writes_per_user,
        ),
        (
            "pacer_emulator_faults_injected_total",
            "Injected error answers.",
            "counter",
            report.faults_injected,
        ),
        (
            "pacer_emulator_connections_reset_total",
            "Connections reset on purpose.",
            "counter",
            report.connections_reset,
        ),
    ];
    for (name, help, kind, value) in totals {
        family(&mut text, name, help, kind, &plain(value));
    }
    text
}

/// The samples of a family with one label, one sample for each of `counts`.
fn labelled(label: &str, counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    counts
        .iter()
        .map(|(key, value)| (format!("{{{label}=\"{key}\"}}"), *value))
        .collect()
}

/// Writes one family: its help and type lines, then a line for each sample (labels, value).
fn family(text: &mut String, name: &str, help: &str, kind: &str, samples: &[(String, u64)]) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(text, "{name}{labels} {value}");
    }
}
