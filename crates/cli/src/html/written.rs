//! The strategies page's headline chart: agents written over time, one line per strategy in its
//! colour (pacer's strongest), the server's bound as a reference line, and a strategy that lost
//! agents ending where it gave up with the count lost beside it.

use plotters::prelude::*;

use super::strategies::{BOUND, Section};
use super::svg_sized;

/// The chart's size: taller than the others, it tells the story.
const SIZE: (u32, u32) = (860, 400);
/// Pixels on the right for the legend, so that it hides no line.
const LEGEND_WIDTH: u32 = 265;

pub(super) fn written_over_time(section: &Section, colours: &[RGBColor]) -> anyhow::Result<String> {
    let rows = &section.rows;
    let total = rows
        .iter()
        .map(|r| r.written + r.lost)
        .max()
        .unwrap_or(0)
        .max(1);
    let end = rows
        .iter()
        .map(|r| r.elapsed_s)
        .fold(section.ideal_s, f64::max)
        .max(1.0)
        * 1.05;
    let top = total + total.div_ceil(12);
    svg_sized(SIZE, |root| {
        let (plot, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..end, 0u64..top)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("seconds from the start")
            .x_label_formatter(&|x| super::seconds(*x, end))
            .y_desc("agents written")
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if section.ideal_s > 0.0 {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, 0), (section.ideal_s, total)],
                    BOUND.stroke_width(2),
                ))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        // The usual scripts first, so that pacer's lines are drawn over them.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|i| rows[*i].is_pacer());
        for i in order {
            let row = &rows[i];
            if row.written_over_time.is_empty() {
                continue;
            }
            let colour = colours.get(i).copied().unwrap_or(BLUE);
            let width = if row.is_pacer() { 4 } else { 2 };
            let mut points = vec![(0.0, 0)];
            points.extend(row.written_over_time.iter().copied());
            // The line runs on to the strategy's end: where it finished, or gave up.
            let last = points.last().map_or(0, |p| p.1);
            points.push((row.elapsed_s.max(points.last().map_or(0.0, |p| p.0)), last));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(width)))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if row.lost > 0 {
                let at = (row.elapsed_s, last);
                chart
                    .draw_series([
                        Cross::new(at, 6, colour.stroke_width(3)).into_dyn(),
                        Text::new(
                            format!("{} lost", row.lost),
                            at,
                            ("sans-serif", 14).into_font().color(&colour),
                        )
                        .into_dyn(),
                    ])
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
        draw_legend(&legend, section, colours)
    })
}

/// The legend beside the chart: each strategy's line and full name, then the bound's.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    section: &Section,
    colours: &[RGBColor],
) -> anyhow::Result<()> {
    let font = ("sans-serif", 13).into_font();
    let mut y = 24;
    let mut entry = |colour: RGBColor, width: u32, text: String| -> anyhow::Result<()> {
        area.draw(&PathElement::new(
            vec![(4, y), (28, y)],
            colour.stroke_width(width),
        ))
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        area.draw(&Text::new(text, (34, y - 7), font.clone().color(&BLACK)))
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        y += 24;
        Ok(())
    };
    for (i, row) in section.rows.iter().enumerate() {
        let colour = colours.get(i).copied().unwrap_or(BLUE);
        let width = if row.is_pacer() { 4 } else { 2 };
        entry(colour, width, row.strategy.clone())?;
    }
    if section.ideal_s > 0.0 {
        entry(
            BOUND,
            2,
            format!("the server's bound, {:.1} s", section.ideal_s),
        )?;
    }
    Ok(())
}
