//! The strategies page of `compare` and `simulate`: per scenario a verdict, the headline chart
//! of agents written over time, a table and bar charts, each strategy in its own colour.

use std::fmt::Write as _;

use plotters::style::RGBColor;

use super::bars::{count_bars, time_bars};
use super::run::thresholds_table;
use super::written::written_over_time;
use super::{STYLE, escape};
use crate::report::Report;

/// The most points a strategy's line keeps.
const MAX_POINTS: usize = 300;

/// One strategy's figures, in `compare` and `simulate`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StrategyRow {
    pub strategy: String,
    pub elapsed_s: f64,
    pub requests: u64,
    pub throttled: u64,
    pub written: u64,
    pub lost: u64,
    /// Agents written over time, cumulative: (seconds from the start, written so far); empty
    /// when the strategy's run does not say.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub written_over_time: Vec<(f64, u64)>,
}

impl StrategyRow {
    /// Whether this is one of pacer's own strategies, drawn strongest.
    pub fn is_pacer(&self) -> bool {
        self.strategy.starts_with("pacer")
    }
}

/// A strategy's line from the times each item was written, in order: at most [`MAX_POINTS`]
/// points, the last always kept.
pub fn curve_of_times(written_at: &[f64]) -> Vec<(f64, u64)> {
    thin(
        written_at
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, i as u64 + 1))
            .collect(),
    )
}

/// A strategy's line from cumulative counts over time: at most [`MAX_POINTS`] points.
pub fn curve_of_counts(progress: &[(f64, f64)]) -> Vec<(f64, u64)> {
    thin(
        progress
            .iter()
            .map(|(t, n)| (*t, n.round().max(0.0) as u64))
            .collect(),
    )
}

fn thin(points: Vec<(f64, u64)>) -> Vec<(f64, u64)> {
    let per = points.len().div_ceil(MAX_POINTS).max(1);
    if per == 1 {
        return points;
    }
    let last = points.last().copied();
    let mut kept: Vec<(f64, u64)> = points.into_iter().step_by(per).collect();
    if kept.last().copied() != last {
        kept.extend(last);
    }
    kept
}

/// Strategies run against one server, with the server's bound.
pub struct Section {
    pub title: String,
    pub rows: Vec<StrategyRow>,
    pub ideal_s: f64,
    /// What the reader must know of how the run differs from real time (a scaled `compare`).
    pub footnote: Option<String>,
}

/// The usual scripts' colours, muted, in the order their rows come.
const SCRIPTS: [RGBColor; 6] = [
    RGBColor(127, 127, 127),
    RGBColor(230, 145, 56),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(188, 189, 34),
    RGBColor(227, 119, 194),
];
/// pacer's colours, strong.
const PACER: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(23, 190, 207),
];
/// The server's bound, in every chart.
pub(super) const BOUND: RGBColor = RGBColor(214, 39, 40);

/// Each row's colour: pacer's strong ones to pacer's rows, the muted ones to the others, in
/// order, so that a strategy keeps its colour in every chart and in the table.
pub(super) fn colours(rows: &[StrategyRow]) -> Vec<RGBColor> {
    let (mut ours, mut theirs) = (0, 0);
    rows.iter()
        .map(|row| {
            if row.is_pacer() {
                ours += 1;
                PACER[(ours - 1) % PACER.len()]
            } else {
                theirs += 1;
                SCRIPTS[(theirs - 1) % SCRIPTS.len()]
            }
        })
        .collect()
}

/// The strategies' page: per section the verdict, the headline chart, the table and one bar
/// chart per figure; then the thresholds and the data as JSON.
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
    if let Some(first) = sections.first() {
        let _ = writeln!(page, "<p id=\"verdict\">{}</p>", escape(&verdict(first)));
    }
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

/// One sentence on what a section came to: pacer's runs against the server's bound, then the
/// usual scripts' best and worst.
pub fn verdict(section: &Section) -> String {
    let ideal = section.ideal_s;
    let (ours, theirs): (Vec<&StrategyRow>, Vec<&StrategyRow>) =
        section.rows.iter().partition(|r| r.is_pacer());
    let mut parts: Vec<String> = ours
        .iter()
        .map(|row| {
            let mut text = format!(
                "{}: {} of {} agents written in {:.1} s",
                row.strategy,
                row.written,
                row.written + row.lost,
                row.elapsed_s
            );
            if ideal > 0.0 {
                let _ = write!(text, ", {:.2} x the server's bound", row.elapsed_s / ideal);
            }
            let _ = write!(text, ", {} 429s", row.throttled);
            text.push_str(if row.lost == 0 {
                ", nothing lost"
            } else {
                ", some lost"
            });
            text
        })
        .collect();
    if !theirs.is_empty() {
        parts.push(scripts_verdict(&theirs, ideal));
    }
    let mut text = parts.join("; ");
    text.push('.');
    text
}

/// The usual scripts in a clause: the fastest of those that wrote every agent, and the most any
/// of them lost.
fn scripts_verdict(rows: &[&StrategyRow], ideal: f64) -> String {
    let complete = rows
        .iter()
        .filter(|r| r.lost == 0)
        .min_by(|a, b| a.elapsed_s.total_cmp(&b.elapsed_s));
    let most_lost = rows.iter().max_by_key(|r| r.lost).filter(|r| r.lost > 0);
    let mut text = match complete {
        Some(best) if ideal > 0.0 => format!(
            "the best of the usual scripts, {}, took {:.1} s ({:.2} x the bound) with {} 429s",
            best.strategy,
            best.elapsed_s,
            best.elapsed_s / ideal,
            best.throttled
        ),
        Some(best) => format!(
            "the best of the usual scripts, {}, took {:.1} s with {} 429s",
            best.strategy, best.elapsed_s, best.throttled
        ),
        None => "none of the usual scripts wrote every agent".to_string(),
    };
    if let Some(worst) = most_lost {
        let _ = write!(
            text,
            ", and {} lost {} of {}",
            worst.strategy,
            worst.lost,
            worst.written + worst.lost
        );
    }
    text
}

fn strategies_section(index: usize, section: &Section) -> anyhow::Result<String> {
    let rows = &section.rows;
    let colours = colours(rows);
    let mut out = format!("<h2>{}</h2>\n", escape(&section.title));
    if index > 0 {
        let _ = writeln!(
            out,
            "<p class=\"verdict\">{}</p>",
            escape(&verdict(section))
        );
    }
    if rows.iter().any(|r| !r.written_over_time.is_empty()) {
        let _ = write!(
            out,
            "<section class=\"chart headline\"><h3>Agents written over time, against the server's bound</h3>\n{}\n</section>\n",
            written_over_time(section, &colours)?
        );
    }
    out.push_str(&table(index, section, &colours));
    let names: Vec<&str> = rows.iter().map(|r| r.strategy.as_str()).collect();
    let counts = |pick: fn(&StrategyRow) -> u64| rows.iter().map(pick).collect::<Vec<u64>>();
    let times: Vec<f64> = rows.iter().map(|r| r.elapsed_s).collect();
    let charts = [
        (
            "Time to the last agent (s), against the server's bound",
            time_bars(&names, &colours, &times, section.ideal_s)?,
        ),
        (
            "Requests sent",
            count_bars(&names, &colours, &counts(|r| r.requests), "requests")?,
        ),
        (
            "429 answers",
            count_bars(&names, &colours, &counts(|r| r.throttled), "429 answers")?,
        ),
        (
            "Agents lost (never written)",
            count_bars(&names, &colours, &counts(|r| r.lost), "agents")?,
        ),
    ];
    for (name, svg) in &charts {
        let _ = write!(
            out,
            "<section class=\"chart\"><h3>{}</h3>\n{svg}\n</section>\n",
            escape(name)
        );
    }
    if let Some(note) = &section.footnote {
        let _ = writeln!(out, "<p class=\"footnote\">{}</p>", escape(note));
    }
    Ok(out)
}

/// The section's table, each strategy's name beside its colour.
fn table(index: usize, section: &Section, colours: &[RGBColor]) -> String {
    let id = if index == 0 {
        " id=\"summary\"".to_string()
    } else {
        format!(" id=\"summary-{index}\"")
    };
    let mut out = format!(
        "<table{id}><tr><th>strategy</th><th>time</th><th>requests</th><th>429s</th><th>written</th><th>lost</th></tr>\n"
    );
    for (row, colour) in section.rows.iter().zip(colours) {
        let RGBColor(r, g, b) = *colour;
        let _ = writeln!(
            out,
            "<tr><td><span class=\"swatch\" style=\"background:#{r:02x}{g:02x}{b:02x}\"></span>{}</td><td>{:.1} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&row.strategy),
            row.elapsed_s,
            row.requests,
            row.throttled,
            row.written,
            row.lost
        );
    }
    let RGBColor(r, g, b) = BOUND;
    let _ = writeln!(
        out,
        "<tr><td><span class=\"swatch\" style=\"background:#{r:02x}{g:02x}{b:02x}\"></span>ideal (server's bound)</td><td>{:.1} s</td><td></td><td></td><td></td><td></td></tr></table>",
        section.ideal_s
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, elapsed_s: f64, written: u64, lost: u64, throttled: u64) -> StrategyRow {
        StrategyRow {
            strategy: name.into(),
            elapsed_s,
            requests: written + throttled,
            throttled,
            written,
            lost,
            written_over_time: Vec::new(),
        }
    }

    #[test]
    fn the_verdict_puts_pacer_against_the_bound_and_the_scripts_best_and_worst() {
        let section = Section {
            title: "t".into(),
            rows: vec![
                row("JMeter, 50 threads, no retry", 2.0, 40, 160, 160),
                row("Retry-After + jitter, 5 tries", 30.0, 200, 0, 900),
                row("pacer, per agent", 12.0, 200, 0, 0),
            ],
            ideal_s: 12.0,
            footnote: None,
        };
        assert_eq!(
            verdict(&section),
            "pacer, per agent: 200 of 200 agents written in 12.0 s, 1.00 x the server's bound, \
             0 429s, nothing lost; the best of the usual scripts, Retry-After + jitter, 5 tries, \
             took 30.0 s (2.50 x the bound) with 900 429s, and JMeter, 50 threads, no retry lost \
             160 of 200."
        );
    }

    #[test]
    fn a_strategy_keeps_its_colour_and_pacer_gets_the_strong_ones() {
        let rows = [
            row("a", 1.0, 1, 0, 0),
            row("pacer, per agent", 1.0, 1, 0, 0),
            row("b", 1.0, 1, 0, 0),
        ];
        assert_eq!(colours(&rows), vec![SCRIPTS[0], PACER[0], SCRIPTS[1]]);
    }

    #[test]
    fn a_long_line_is_thinned_and_keeps_its_end() {
        let times: Vec<f64> = (0..1000).map(|i| f64::from(i) / 10.0).collect();
        let curve = curve_of_times(&times);
        assert!(curve.len() <= MAX_POINTS + 1);
        assert_eq!(curve.first(), Some(&(0.0, 1)));
        assert_eq!(curve.last(), Some(&(99.9, 1000)));
    }
}
