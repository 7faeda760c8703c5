//! The HTML report of a real run, opened in a real headless Chromium: the page renders (the
//! screenshot is not blank), its DOM holds the summary table and one SVG per chart, and the file
//! refers to no address a browser would load.

use std::process::Command;

use pacer_emulator::Profile;

use crate::support::{Dir, Emu, csv_for, pacer, run};

/// Debian's Chromium (scripts/test.sh and .ci/run install it when missing).
fn chromium() -> Command {
    let mut command = Command::new("chromium");
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1000,1600",
    ]);
    command
}

#[test]
fn the_html_report_of_a_run_renders_in_headless_chromium() {
    let emu = Emu::start(Profile::Seed, 40);
    let dir = Dir::new("html");
    let agents: Vec<String> = (0..30).map(|i| emu.agent(i)).collect();
    let file = dir.write("in.csv", &csv_for(&agents));
    let html = dir.path("report.html");
    let args = [
        "apply",
        file.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--threshold",
        "failed==0",
    ];
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("http://") && !page.contains("https://"));

    let url = format!("file://{}", html.display());
    let profile = dir.path("chromium-profile");
    let dom = chromium()
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs (scripts/test.sh installs Debian's chromium)");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<table id=\"summary\">"), "{dom}");
    assert!(dom.contains("<table id=\"thresholds\">"), "{dom}");
    assert_eq!(
        dom.matches("<svg").count(),
        5,
        "items done against the ideal, three charts over time and the latency"
    );
    // The verdict opens the page; the title names the file, not its folder.
    let verdict = dom
        .find("<p id=\"verdict\">30 of 30 items done in ")
        .expect(&dom);
    assert!(verdict < dom.find("<table id=\"summary\">").unwrap());
    assert!(dom.contains("nothing lost."), "{dom}");
    assert!(dom.contains("<title>pacer apply in.csv</title>"), "{dom}");
    assert!(
        dom.contains("<h1>pacer apply in.csv</h1>"),
        "no folder in the heading: {dom}"
    );
    assert!(
        dom.contains("Items done over time, against the ideal"),
        "{dom}"
    );
    assert!(
        dom.contains("ideal (the server") && dom.contains("this run"),
        "{dom}"
    );

    let shot = dir.path("shot.png");
    let status = chromium()
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&status.stderr));
    let decoder = png::Decoder::new(std::fs::File::open(&shot).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let pixels = &pixels[..info.buffer_size()];
    let channels = info.color_type.samples();
    let first = &pixels[..channels];
    let differing = pixels
        .chunks(channels)
        .filter(|pixel| *pixel != first)
        .count();
    assert!(
        differing > pixels.len() / channels / 100,
        "the screenshot is blank: {differing} pixels differ from the first"
    );
}

#[test]
fn compare_puts_every_strategy_in_one_table_and_one_page() {
    let dir = Dir::new("compare");
    let html = dir.path("compare.html");
    let report = dir.path("compare.json");
    let mut compare = Command::new(env!("CARGO_BIN_EXE_pacer"));
    compare.args([
        "compare",
        "--agents",
        "60",
        "--speed",
        "20",
        "--dir",
        dir.0.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--threshold",
        "throttled<=2",
    ]);
    let (code, stdout, stderr) = run(compare, &dir.0);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("JMeter, 50 threads, no retry"), "{stdout}");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let strategies = value["strategies"].as_array().unwrap();
    assert_eq!(strategies.len(), 6);
    let pacer = &strategies[4];
    assert_eq!(pacer["strategy"], "pacer, per agent");
    assert_eq!(
        (pacer["written"].as_u64(), pacer["lost"].as_u64()),
        (Some(60), Some(0))
    );
    assert!(pacer["throttled"].as_u64().unwrap() <= 2);
    assert_eq!(strategies[5]["written"], 60);
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg").count(), 4);
    assert!(!page.contains("http://") && !page.contains("https://"));
}

#[test]
fn simulate_draws_every_scenario_with_its_strategies_on_the_same_axes() {
    let dir = Dir::new("simulate-html");
    let html = dir.path("sim.html");
    let mut simulate = Command::new(env!("CARGO_BIN_EXE_pacer"));
    simulate.args([
        "simulate",
        "--scenario",
        "seed",
        "--scenario",
        "genesys",
        "--items",
        "100",
        "--html",
        html.to_str().unwrap(),
    ]);
    let (code, _, stderr) = run(simulate, &dir.0);
    assert_eq!(code, 0, "{stderr}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg").count(), 8, "four charts per scenario");
    assert!(page.contains("<table id=\"summary\">") && page.contains("<table id=\"summary-1\">"));
    assert!(!page.contains("http://") && !page.contains("https://"));
}
