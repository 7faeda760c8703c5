//! The HTML report (`--html FILE`): one self-contained page, readable offline and without
//! JavaScript: the summary, the thresholds, charts drawn by plotters' SVG backend and inlined
//! (rates over time with the server's limit, 429s and errors, requests in flight, latency
//! percentiles, the bulk path's phases), and the report's data as JSON for scripts.

use std::fmt::Write as _;

use plotters::prelude::*;

use crate::report::Report;
use crate::timeline::Timeline;

mod bars;
mod run;
mod strategies;
mod written;

pub use run::progress;
use run::*;
pub use strategies::{Section, StrategyRow, curve_of_counts, curve_of_times, render_strategies};

/// The most points a chart draws: a long run's seconds are merged into this many buckets.
const MAX_BUCKETS: usize = 400;
const SIZE: (u32, u32) = (860, 260);

/// The whole page.
pub fn render(title: &str, report: &Report, timeline: &Timeline) -> anyhow::Result<String> {
    let timeline = timeline.downsampled(MAX_BUCKETS);
    let mut charts = vec![
        (
            "Items done over time, against the ideal",
            done_over_time(report, &timeline)?,
        ),
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
    let _ = writeln!(page, "<p id=\"verdict\">{}</p>", escape(&verdict(report)));
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

pub(super) const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}\
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f3f3f3}\
.pass{color:#176b1f}.fail{color:#b00020;font-weight:bold}section.chart svg{max-width:100%;height:auto}\
#verdict,.verdict{font-size:1.15em;max-width:60em}.footnote{font-size:.9em;color:#555;max-width:60em}\
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.4em;vertical-align:middle}";

pub(super) fn svg(
    draw: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    svg_sized(SIZE, draw)
}

/// A tick on an axis of seconds that runs to `end`: whole seconds once the axis is long enough
/// for them, tenths below.
pub(super) fn seconds(value: f64, end: f64) -> String {
    if end >= 20.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// An SVG of `size` pixels, drawn by `draw`, without the namespace's address.
pub(super) fn svg_sized(
    size: (u32, u32),
    draw: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        draw(root.clone())?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(out.replace(" xmlns=\"http://www.w3.org/2000/svg\"", ""))
}

/// One chart of series over the run's time: each series a name, a colour and a value per bucket;
/// `line` a horizontal reference drawn dashed-free in red.
pub(super) fn over_time(
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
            // Counts read as whole numbers once the axis is tall enough to hold them.
            .y_label_formatter(&|y| {
                if top >= 10.0 {
                    format!("{y:.0}")
                } else {
                    format!("{y}")
                }
            })
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

pub(super) fn escape(text: &str) -> String {
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
            6,
            "items done against the ideal, three time charts, latency and phases"
        );
        assert!(!page.contains("http://") && !page.contains("https://"));
        let data_start = page.find("id=\"pacer-report\">").unwrap();
        let data = &page[data_start + 18..page.rfind("</script>").unwrap()];
        let value: serde_json::Value = serde_json::from_str(&data.replace("<\\/", "</")).unwrap();
        assert_eq!(value["report"]["requests_sent"], 102);
        assert!(page.contains("pacer run &lt;/script&gt;"));
    }
}
