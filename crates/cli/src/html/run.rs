//! The run page's parts: the summary and thresholds tables, and the charts of the run over time
//! (rates against the server's limit, errors, requests in flight, latency, the bulk path's phases).

use std::fmt::Write as _;

use plotters::prelude::*;

use super::{escape, over_time, svg};
use crate::report::Report;
use crate::timeline::Timeline;

pub(super) fn summary_table(report: &Report) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("items", report.items_total.to_string()),
        ("done", report.items_succeeded.to_string()),
        ("failed", report.items_failed.to_string()),
        ("not sent", report.items_remaining.to_string()),
        ("elapsed", format!("{:.1} s", report.elapsed_s)),
    ];
    if let Some(ideal) = report.ideal_s {
        rows.push((
            "ideal (server's bound)",
            format!("{ideal:.1} s ({:.2}x)", report.elapsed_s / ideal.max(1e-9)),
        ));
    }
    rows.push(("requests", report.requests_sent.to_string()));
    rows.push(("429s", report.throttled.to_string()));
    rows.push(("retries", report.retries.to_string()));
    if let (Some(deadline), Some(met)) = (report.deadline_s, report.met_deadline) {
        rows.push((
            "deadline",
            format!("{deadline:.0} s: {}", if met { "met" } else { "missed" }),
        ));
    }
    if let Some(l) = &report.latency {
        rows.push((
            "latency p50 / p90 / p99 / max",
            format!(
                "{:.1} / {:.1} / {:.1} / {:.1} ms",
                l.p50_s * 1e3,
                l.p90_s * 1e3,
                l.p99_s * 1e3,
                l.max_s * 1e3
            ),
        ));
    }
    let mut out = String::from("<table id=\"summary\"><tr><th>run</th><th></th></tr>\n");
    for (name, value) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(name),
            escape(&value)
        );
    }
    out.push_str("</table>\n");
    out
}

pub(super) fn thresholds_table(report: &Report) -> String {
    if report.thresholds.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<table id=\"thresholds\"><tr><th>threshold</th><th>value</th><th>result</th></tr>\n",
    );
    for judged in &report.thresholds {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&judged.threshold),
            judged
                .value
                .map_or_else(|| "unknown".into(), |v| format!("{v:.4}")),
            if judged.passed { "pass" } else { "fail" },
            if judged.passed { "passed" } else { "FAILED" }
        );
    }
    out.push_str("</table>\n");
    out
}

/// Draws with `draw` into an SVG string, without the namespace URL (inline SVG needs none, and
/// the page refers to no address at all).
fn per_second(timeline: &Timeline, pick: impl Fn(&crate::timeline::Bucket) -> u64) -> Vec<f64> {
    timeline
        .buckets
        .iter()
        .map(|b| pick(b) as f64 / timeline.bucket_s.max(1e-9))
        .collect()
}

pub(super) fn rates(report: &Report, timeline: &Timeline) -> anyhow::Result<String> {
    // The server's limit, as the rate its ideal time implies.
    let limit = report
        .ideal_s
        .filter(|i| *i > 0.0)
        .map(|ideal| ("server's limit", report.items_total as f64 / ideal));
    over_time(
        timeline,
        "per second",
        &[
            ("requests sent", BLUE, per_second(timeline, |b| b.sent)),
            ("answered 2xx", GREEN, per_second(timeline, |b| b.ok)),
        ],
        limit,
    )
}

pub(super) fn errors(timeline: &Timeline) -> anyhow::Result<String> {
    over_time(
        timeline,
        "per second",
        &[
            (
                "429",
                RGBColor(230, 120, 0),
                per_second(timeline, |b| b.throttled),
            ),
            (
                "other errors",
                RGBColor(150, 0, 150),
                per_second(timeline, |b| b.errors),
            ),
        ],
        None,
    )
}

pub(super) fn in_flight(timeline: &Timeline) -> anyhow::Result<String> {
    let values = timeline
        .buckets
        .iter()
        .map(|b| f64::from(b.in_flight_max))
        .collect();
    over_time(
        timeline,
        "requests",
        &[("most in flight", BLUE, values)],
        None,
    )
}

/// The four percentiles as one line from p50 to max.
pub(super) fn latency(report: &Report) -> anyhow::Result<Option<String>> {
    let Some(l) = report.latency else {
        return Ok(None);
    };
    let values = [l.p50_s, l.p90_s, l.p99_s, l.max_s].map(|s| s * 1e3);
    let top = values.iter().copied().fold(1.0_f64, f64::max) * 1.1;
    let names = ["p50", "p90", "p99", "max"];
    let chart = svg(|root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5_f64..3.5, 0.0..top)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_labels(4)
            .x_label_formatter(&|x| {
                names
                    .get(x.round() as usize)
                    .copied()
                    .unwrap_or("")
                    .to_string()
            })
            .y_desc("ms")
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                Rectangle::new([(i as f64 - 0.3, 0.0), (i as f64 + 0.3, *v)], BLUE.filled())
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })?;
    Ok(Some(chart))
}

/// The bulk path's phases as bars on the run's time line.
pub(super) fn phases(report: &Report) -> anyhow::Result<Option<String>> {
    let Some(phases) = report
        .bulk
        .as_ref()
        .and_then(|b| b["phases"].as_array())
        .filter(|p| !p.is_empty())
    else {
        return Ok(None);
    };
    let spans: Vec<(String, f64, f64)> = phases
        .iter()
        .map(|p| {
            let name = p["phase"].as_str().unwrap_or("").to_string();
            (
                name,
                p["start_s"].as_f64().unwrap_or(0.0),
                p["end_s"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    let end = spans.iter().map(|s| s.2).fold(0.1_f64, f64::max) * 1.05;
    let names: Vec<String> = {
        let mut names: Vec<String> = Vec::new();
        for (name, _, _) in &spans {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    };
    let rows = names.len() as f64;
    let chart = svg(|root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..end, -0.5..rows - 0.5)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .y_labels(names.len())
            .y_label_formatter(&|y| {
                names
                    .get(y.round().max(0.0) as usize)
                    .cloned()
                    .unwrap_or_default()
            })
            .x_desc("seconds from the start")
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(spans.iter().map(|(name, start, stop)| {
                let row = names.iter().position(|n| n == name).unwrap_or(0) as f64;
                let stop = stop.max(start + end * 0.002);
                Rectangle::new([(*start, row - 0.35), (stop, row + 0.35)], BLUE.filled())
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })?;
    Ok(Some(chart))
}
