//! Horizontal bar charts of the strategies' figures: one bar per strategy in its colour, its
//! full name on the left, its value at the bar's end, whole numbers for counts.

use plotters::prelude::*;

use super::strategies::BOUND;
use super::svg_sized;

/// Pixels for the names on the left: wide enough for the longest strategy's name.
const NAMES_WIDTH: u32 = 250;

/// The chart's height for `rows` bars.
fn height(rows: usize) -> u32 {
    70 + 34 * rows.max(1) as u32
}

/// Counts, one bar per strategy, on an axis of whole numbers named `unit`.
pub(super) fn count_bars(
    names: &[&str],
    colours: &[RGBColor],
    values: &[u64],
    unit: &str,
) -> anyhow::Result<String> {
    let top = values.iter().copied().max().unwrap_or(0);
    let top = (top + top / 6).max(5);
    let rows = names.len();
    svg_sized((860, height(rows)), |root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(NAMES_WIDTH)
            .build_cartesian_2d(0u64..top, (0..rows).into_segmented())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows)
            .y_label_formatter(&|v| name_at(names, v))
            .x_desc(unit)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                let mut bar = Rectangle::new(
                    [
                        (0, SegmentValue::Exact(i)),
                        (*v, SegmentValue::Exact(i + 1)),
                    ],
                    colour_at(colours, i).filled(),
                );
                bar.set_margin(6, 6, 0, 0);
                bar
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                Text::new(
                    v.to_string(),
                    (*v, SegmentValue::CenterOf(i)),
                    ("sans-serif", 13).into_font().color(&BLACK),
                )
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })
}

/// Seconds, one bar per strategy, with the server's bound as a vertical line.
pub(super) fn time_bars(
    names: &[&str],
    colours: &[RGBColor],
    values: &[f64],
    bound: f64,
) -> anyhow::Result<String> {
    let top = values.iter().copied().fold(bound, f64::max).max(1.0) * 1.15;
    let rows = names.len();
    svg_sized((860, height(rows)), |root| {
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(NAMES_WIDTH)
            .build_cartesian_2d(0.0..top, (0..rows).into_segmented())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows)
            .y_label_formatter(&|v| name_at(names, v))
            .x_desc("seconds")
            .x_label_formatter(&|x| super::seconds(*x, top))
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (*v, SegmentValue::Exact(i + 1)),
                    ],
                    colour_at(colours, i).filled(),
                );
                bar.set_margin(6, 6, 0, 0);
                bar
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                Text::new(
                    format!("{v:.1} s"),
                    (*v, SegmentValue::CenterOf(i)),
                    ("sans-serif", 13).into_font().color(&BLACK),
                )
            }))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if bound > 0.0 {
            chart
                .draw_series(LineSeries::new(
                    [
                        (bound, SegmentValue::Exact(0)),
                        (bound, SegmentValue::Exact(rows)),
                    ],
                    BOUND.stroke_width(2),
                ))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .label(format!("the server's bound, {bound:.1} s"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BOUND));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(())
    })
}

/// The name on a bar's row, whole.
fn name_at(names: &[&str], value: &SegmentValue<usize>) -> String {
    match value {
        SegmentValue::CenterOf(i) => names.get(*i).map(|n| n.to_string()).unwrap_or_default(),
        _ => String::new(),
    }
}

fn colour_at(colours: &[RGBColor], i: usize) -> RGBColor {
    colours.get(i).copied().unwrap_or(BLUE)
}
