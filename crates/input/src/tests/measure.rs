//! A measurement of the input's two passes over a million rows, run by hand.

use super::*;

/// Not a test but a measurement: validates and streams a million generated rows in both
/// formats and prints the time and the peak resident memory. Run with
/// `cargo test --release -p pacer-input tests::measure -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement for BENCHMARKS.md, run by hand"]
fn measure_a_million_rows() {
    use std::io::Write as _;
    let dir = TempDir::new();
    const ROWS: u64 = 1_000_000;
    for format in [Format::Csv, Format::JsonLines] {
        let path = dir.0.join(match format {
            Format::Csv => "million.csv",
            Format::JsonLines => "million.jsonl",
        });
        let mut out = std::io::BufWriter::new(File::create(&path).unwrap());
        if format == Format::Csv {
            writeln!(
                out,
                "userId,weekDate,startDate,lengthMinutes,activityCodeId,description"
            )
            .unwrap();
        }
        for i in 0..ROWS {
            let id = format!("00000000-0000-4000-8000-{i:012x}");
            match format {
                Format::Csv => writeln!(out, "{id},2026-12-07,2026-12-07T08:00:00Z,480,0,Work"),
                Format::JsonLines => {
                    writeln!(out, "{{\"userId\":\"{id}\",\"schedule\":{SCHEDULE}}}")
                }
            }
            .unwrap();
        }
        out.flush().unwrap();
        drop(out);
        let size = std::fs::metadata(&path).unwrap().len();
        let input = Input::open(&path, None).unwrap();
        let started = std::time::Instant::now();
        let validation = input.validate(&mut |f| panic!("{f}")).unwrap();
        let validated = started.elapsed();
        assert!(validation.is_clean());
        let started = std::time::Instant::now();
        let mut bytes = 0usize;
        for item in input.rows(&validation).unwrap() {
            match item.unwrap() {
                Item::Valid(row) => bytes += row.body.len(),
                Item::Invalid { reason, .. } => panic!("{reason}"),
            }
        }
        let streamed = started.elapsed();
        let peak = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(|l| l[6..].trim().to_string())
            })
            .unwrap_or_default();
        println!(
            "{format:?}: {ROWS} rows, {:.0} MB: validate {:.2} s, stream {:.2} s ({} MB of bodies), peak RSS so far {peak}",
            size as f64 / 1e6,
            validated.as_secs_f64(),
            streamed.as_secs_f64(),
            bytes / 1_000_000
        );
    }
}
