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
    let spans = phase_spans(report);
    if spans.is_empty() {
        return Ok(None);
    }
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

/// The page's first sentence: what the run came to, against the server's bound.
pub(super) fn verdict(report: &Report) -> String {
    let what = if report.bulk.is_some() {
        "agents' rows"
    } else {
        "items"
    };
    let mut text = format!(
        "{} of {} {what} done in {:.1} s",
        report.items_succeeded, report.items_total, report.elapsed_s
    );
    if let Some(ideal) = report.ideal_s.filter(|i| *i > 0.0) {
        let _ = write!(
            text,
            ", {:.2} x the server's bound ({ideal:.1} s)",
            report.elapsed_s / ideal
        );
    }
    let _ = write!(
        text,
        ", {} requests, {} 429s",
        report.requests_sent, report.throttled
    );
    let lost = report.items_failed + report.items_remaining;
    if lost == 0 {
        text.push_str(", nothing lost.");
    } else {
        let _ = write!(
            text,
            ", {} failed and {} not sent.",
            report.items_failed, report.items_remaining
        );
    }
    text
}

/// Items done over the run's time, cumulative: per second on the per-agent path; on the bulk
/// path the agents' rows land as each update ends.
pub fn progress(report: &Report, timeline: &Timeline) -> Vec<(f64, f64)> {
    match &report.bulk {
        Some(bulk) => bulk_done(bulk, report.items_succeeded),
        None => {
            // A bucket's items are counted at its end, but never after the run's.
            let step = timeline.bucket_s.max(1e-9);
            let last = report.elapsed_s;
            let mut total = 0.0;
            timeline
                .buckets
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    total += b.ok as f64;
                    (((i + 1) as f64 * step).min(last), total)
                })
                .collect()
        }
    }
}

/// Items done over the run's time, cumulative, against the ideal line the server's bound
/// draws; on the bulk path the schedule update's phases shade the time they took.
pub(super) fn done_over_time(report: &Report, timeline: &Timeline) -> anyhow::Result<String> {
    let done = progress(report, timeline);
    let spans = phase_spans(report);
    let ideal = report.ideal_s.filter(|i| *i > 0.0);
    let end = done
        .last()
        .map_or(0.0, |p| p.0)
        .max(ideal.unwrap_or(0.0))
        .max(report.elapsed_s)
        .max(spans.iter().map(|s| s.2).fold(0.0, f64::max))
        .max(1.0);
    let total = report.items_total.max(1);
    let top = total + total.div_ceil(20);
    svg(|root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..end, 0u64..top)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("seconds from the start")
            .x_label_formatter(&|x| super::seconds(*x, end))
            .y_desc("items done")
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // The bulk path's phases shade the time they took, one colour per phase.
        let mut named: Vec<&str> = Vec::new();
        for (name, start, stop) in &spans {
            let first = !named.contains(&name.as_str());
            let colour = Palette99::pick(phase_index(&mut named, name) + 3).mix(0.18);
            let stop = stop.max(start + end * 0.003);
            let band = chart
                .draw_series([Rectangle::new([(*start, 0), (stop, top)], colour.filled())])
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if first {
                band.label(format!("phase: {name}")).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 16, y + 5)], colour.filled())
                });
            }
        }
        let points = std::iter::once((0.0, 0)).chain(done.iter().map(|(t, n)| (*t, *n as u64)));
        chart
            .draw_series(LineSeries::new(points, BLUE.stroke_width(3)))
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .label("this run")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(3)));
        if let Some(ideal) = ideal {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, 0), (ideal, report.items_total)],
                    RED.stroke_width(1),
                ))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .label("ideal (the server's bound)")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })
}

/// The index of a phase's name among those seen, adding it when new.
fn phase_index<'a>(named: &mut Vec<&'a str>, name: &'a str) -> usize {
    match named.iter().position(|n| *n == name) {
        Some(index) => index,
        None => {
            named.push(name);
            named.len() - 1
        }
    }
}

/// The bulk path's phases as (name, start, end) in seconds from the start; none per agent.
fn phase_spans(report: &Report) -> Vec<(String, f64, f64)> {
    report
        .bulk
        .as_ref()
        .and_then(|b| b["phases"].as_array())
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["phase"].as_str().unwrap_or("").to_string(),
                p["start_s"].as_f64().unwrap_or(0.0),
                p["end_s"].as_f64().unwrap_or(0.0),
            )
        })
        .collect()
}

/// The bulk path's rows done over time: each completed update's agents' rows at the end of its
/// wait (the k-th wait phase ends the k-th upload that got an operation).
fn bulk_done(bulk: &serde_json::Value, rows_done: u64) -> Vec<(f64, f64)> {
    let waits: Vec<f64> = bulk["phases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["phase"] == "wait")
        .filter_map(|p| p["end_s"].as_f64())
        .collect();
    let uploads = bulk["weeks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|w| w["uploads"].as_array().into_iter().flatten())
        .filter(|u| !u["operation_id"].is_null());
    // The items are the input's rows: an agent's rows land with it.
    let agents = bulk["agents_written"].as_f64().unwrap_or(0.0);
    let rows_per_agent = if agents > 0.0 {
        rows_done as f64 / agents
    } else {
        1.0
    };
    // A step: nothing lands while an update runs, its rows all at once when it ends.
    let mut total = 0.0;
    let mut points = Vec::new();
    for (end, upload) in waits.iter().zip(uploads) {
        points.push((*end, total));
        if upload["status"] == "Complete" {
            total += upload["agents"].as_f64().unwrap_or(0.0) * rows_per_agent;
        }
        points.push((*end, total));
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bulk_paths_rows_land_as_a_step_when_each_update_ends() {
        let bulk = serde_json::json!({
            "agents_written": 3,
            "phases": [
                {"phase": "upload", "start_s": 0.1, "end_s": 0.2},
                {"phase": "wait", "start_s": 0.3, "end_s": 3.0},
                {"phase": "wait", "start_s": 3.1, "end_s": 6.0},
            ],
            "weeks": [{"uploads": [
                {"operation_id": "a", "status": "Complete", "agents": 2},
                {"operation_id": "b", "status": "Complete", "agents": 1},
            ]}],
        });
        assert_eq!(
            bulk_done(&bulk, 6),
            vec![(3.0, 0.0), (3.0, 4.0), (6.0, 4.0), (6.0, 6.0)],
            "two rows per agent, nothing before each update ends"
        );
    }
}
