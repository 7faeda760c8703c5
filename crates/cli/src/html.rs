//! The HTML report (`--html FILE`): one self-contained page, readable offline and without
//! JavaScript: the summary, the thresholds, charts drawn by plotters' SVG backend and inlined
//! (rates over time with the server's limit, 429s and errors, requests in flight, latency
//! percentiles, the bulk path's phases), and the report's data as JSON for scripts.

use std::fmt::Write as _;

use plotters::prelude::*;

use crate::report::Report;
use crate::timeline::Timeline;

/// The most points a chart draws: a long run's seconds are merged into this many buckets.
const MAX_BUCKETS: usize = 400;
const SIZE: (u32, u32) = (860, 260);

/// The whole page.
pub fn render(title: &str, report: &Report, timeline: &Timeline) -> anyhow::Result<String> {
    let timeline = timeline.downsampled(MAX_BUCKETS);
    let mut charts = vec![
        (
            "Requests and items done per second",
            rates(report, &timeline)?,
        ),
        ("429s and other errors per second", errors(&timeline)?),
        ("Requests in flight", in_flight(&timeline)?),
    ];
    if let Some(latency) = latency(report)? {
        charts.push(("Latency percentiles (ms)", latency));
    }
    if let Some(phases) = phases(report)? {
        charts.push(("The schedule update's phases", phases));
    }
    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    page.push_str(&summary_table(report));
    page.push_str(&thresholds_table(report));
    for (name, svg) in &charts {
        let _ = write!(
            page,
            "<section class=\"chart\"><h2>{}</h2>\n{svg}\n</section>\n",
            escape(name)
        );
    }
    let data = serde_json::to_string(&serde_json::json!({"report": report, "timeline": timeline}))?
        .replace("</", "<\\/");
    let _ = write!(
        page,
        "<script type=\"application/json\" id=\"pacer-report\">{data}</script>\n</body></html>\n"
    );
    Ok(page)
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}\
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f3f3f3}\
.pass{color:#176b1f}.fail{color:#b00020;font-weight:bold}section.chart svg{max-width:100%;height:auto}";

fn summary_table(report: &Report) -> String {
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

fn thresholds_table(report: &Report) -> String {
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
fn svg(
    draw: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        draw(root.clone())?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(out.replace(" xmlns=\"http://www.w3.org/2000/svg\"", ""))
}

/// One chart of series over the run's time: each series a name, a colour and a value per bucket;
/// `line` a horizontal reference drawn dashed-free in red.
fn over_time(
    timeline: &Timeline,
    y_label: &str,
    series: &[(&str, RGBColor, Vec<f64>)],
    line: Option<(&str, f64)>,
) -> anyhow::Result<String> {
    let step = timeline.bucket_s.max(1e-9);
    let end = (timeline.buckets.len().max(1) as f64) * step;
    let top = series
        .iter()
        .flat_map(|(_, _, values)| values.iter().copied())
        .chain(line.map(|(_, v)| v))
        .fold(1.0_f64, f64::max)
        * 1.1;
    svg(|root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..end, 0.0..top)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("seconds from the first request")
            .y_desc(y_label)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for (name, color, values) in series {
            let points = values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as f64 * step, *v));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], *color));
        }
        if let Some((name, value)) = line {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, value), (end, value)],
                    RED.stroke_width(1),
                ))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .label(name)
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })
}

fn per_second(timeline: &Timeline, pick: impl Fn(&crate::timeline::Bucket) -> u64) -> Vec<f64> {
    timeline
        .buckets
        .iter()
        .map(|b| pick(b) as f64 / timeline.bucket_s.max(1e-9))
        .collect()
}

fn rates(report: &Report, timeline: &Timeline) -> anyhow::Result<String> {
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

fn errors(timeline: &Timeline) -> anyhow::Result<String> {
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

fn in_flight(timeline: &Timeline) -> anyhow::Result<String> {
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
fn latency(report: &Report) -> anyhow::Result<Option<String>> {
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
fn phases(report: &Report) -> anyhow::Result<Option<String>> {
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

/// One strategy's figures, in `compare` and `simulate`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StrategyRow {
    pub strategy: String,
    pub elapsed_s: f64,
    pub requests: u64,
    pub throttled: u64,
    pub written: u64,
    pub lost: u64,
}

/// Strategies run against one server, with the server's bound.
pub struct Section {
    pub title: String,
    pub rows: Vec<StrategyRow>,
    pub ideal_s: f64,
}

/// The strategies' page: per section the table and one bar chart per figure, every strategy on
/// the same axes; then the thresholds and the data as JSON.
pub fn render_strategies(
    title: &str,
    sections: &[Section],
    thresholds: &[crate::report::Judged],
) -> anyhow::Result<String> {
    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>{STYLE}</style></head><body>\n<h1>{t}</h1>\n",
        t = escape(title)
    );
    let report = Report {
        thresholds: thresholds.to_vec(),
        ..Report::default()
    };
    page.push_str(&thresholds_table(&report));
    for (index, section) in sections.iter().enumerate() {
        page.push_str(&strategies_section(index, section)?);
    }
    let data: Vec<serde_json::Value> = sections
        .iter()
        .map(|s| serde_json::json!({"title": s.title, "ideal_s": s.ideal_s, "strategies": s.rows}))
        .collect();
    let data = serde_json::to_string(&data)?.replace("</", "<\\/");
    let _ = write!(
        page,
        "<script type=\"application/json\" id=\"pacer-report\">{data}</script>\n</body></html>\n"
    );
    Ok(page)
}

fn strategies_section(index: usize, section: &Section) -> anyhow::Result<String> {
    let rows = &section.rows;
    let names: Vec<String> = rows.iter().map(|r| r.strategy.clone()).collect();
    let figure = |pick: fn(&StrategyRow) -> f64| rows.iter().map(pick).collect::<Vec<f64>>();
    let charts = [
        (
            "Time (s), against the server's bound",
            bars(&names, &figure(|r| r.elapsed_s), Some(section.ideal_s))?,
        ),
        (
            "Requests sent",
            bars(&names, &figure(|r| r.requests as f64), None)?,
        ),
        (
            "429 answers",
            bars(&names, &figure(|r| r.throttled as f64), None)?,
        ),
        (
            "Items lost (never written)",
            bars(&names, &figure(|r| r.lost as f64), None)?,
        ),
    ];
    let mut out = format!("<h2>{}</h2>\n", escape(&section.title));
    let id = if index == 0 {
        " id=\"summary\"".to_string()
    } else {
        format!(" id=\"summary-{index}\"")
    };
    let _ = writeln!(
        out,
        "<table{id}><tr><th>strategy</th><th>time</th><th>requests</th><th>429s</th><th>written</th><th>lost</th></tr>"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{:.1} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&row.strategy),
            row.elapsed_s,
            row.requests,
            row.throttled,
            row.written,
            row.lost
        );
    }
    let _ = writeln!(
        out,
        "<tr><td>ideal (server's bound)</td><td>{:.1} s</td><td></td><td></td><td></td><td></td></tr></table>",
        section.ideal_s
    );
    for (name, svg) in &charts {
        let _ = write!(
            out,
            "<section class=\"chart\"><h3>{}</h3>\n{svg}\n</section>\n",
            escape(name)
        );
    }
    Ok(out)
}

/// One bar per strategy; `line` a horizontal reference (the ideal).
fn bars(names: &[String], values: &[f64], line: Option<f64>) -> anyhow::Result<String> {
    let top = values.iter().copied().chain(line).fold(1.0_f64, f64::max) * 1.15;
    let count = names.len() as f64;
    svg(|root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5..count - 0.5, 0.0..top)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_labels(names.len())
            .x_label_formatter(&|x| {
                let name = names
                    .get(x.round().max(0.0) as usize)
                    .cloned()
                    .unwrap_or_default();
                name.chars().take(18).collect()
            })
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                Rectangle::new([(i as f64 - 0.3, 0.0), (i as f64 + 0.3, *v)], BLUE.filled())
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(value) = line {
            chart
                .draw_series(LineSeries::new(
                    [(-0.5, value), (count - 0.5, value)],
                    RED.stroke_width(1),
                ))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(())
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Latency;
    use crate::timeline::Bucket;

    #[test]
    fn the_page_holds_the_summary_one_svg_per_chart_the_data_and_no_address() {
        let report = Report {
            items_total: 100,
            items_succeeded: 100,
            requests_sent: 102,
            throttled: 2,
            elapsed_s: 20.5,
            ideal_s: Some(20.0),
            latency: Some(Latency {
                count: 102,
                p50_s: 0.01,
                p90_s: 0.02,
                p99_s: 0.05,
                max_s: 0.1,
            }),
            bulk: Some(serde_json::json!({"phases": [
                {"phase": "read", "start_s": 0.0, "end_s": 0.4},
                {"phase": "wait", "start_s": 0.5, "end_s": 3.5}]})),
            ..Report::default()
        };
        let timeline = Timeline {
            start_unix_ms: 0,
            bucket_s: 1.0,
            buckets: (0..21)
                .map(|i| Bucket {
                    sent: 5,
                    ok: 5 - u64::from(i == 3),
                    throttled: u64::from(i == 3),
                    errors: 0,
                    in_flight_max: 2,
                })
                .collect(),
        };
        let page = render("pacer run </script>", &report, &timeline).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<table id=\"summary\">"));
        assert_eq!(
            page.matches("<svg").count(),
            5,
            "three time charts, latency and phases"
        );
        assert!(!page.contains("http://") && !page.contains("https://"));
        let data_start = page.find("id=\"pacer-report\">").unwrap();
        let data = &page[data_start + 18..page.rfind("</script>").unwrap()];
        let value: serde_json::Value = serde_json::from_str(&data.replace("<\\/", "</")).unwrap();
        assert_eq!(value["report"]["requests_sent"], 102);
        assert!(page.contains("pacer run &lt;/script&gt;"));
    }
}
