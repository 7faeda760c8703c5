//! The strategies page of `compare` and `simulate`: per scenario a table and bar charts.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::run::thresholds_table;
use super::{STYLE, escape, svg};
use crate::report::Report;

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
