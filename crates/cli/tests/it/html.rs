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
        "200",
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
        (Some(200), Some(0))
    );
    assert!(pacer["throttled"].as_u64().unwrap() <= 2);
    assert_eq!(strategies[5]["written"], 200);
    for strategy in strategies {
        let line = strategy["written_over_time"].as_array().unwrap();
        assert_eq!(
            line.last().unwrap()[1],
            strategy["written"],
            "each line ends at what its strategy wrote: {strategy}"
        );
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(
        page.contains("Run at x20"),
        "the footnote says how x20 differs"
    );

    let dom = dump_dom(&dir, &html);
    // The verdict is the page's first paragraph.
    let first = dom.find("<p").expect(&dom);
    assert!(
        dom[first..]
            .starts_with("<p id=\"verdict\">pacer, per agent: 200 of 200 agents written in "),
        "{dom}"
    );
    // The headline chart: agents written over time, one line per strategy in its own colour.
    let start = dom.find("Agents written over time").expect(&dom);
    let headline = &dom[start..start + dom[start..].find("</section>").unwrap()];
    let mut colours: Vec<&str> = headline
        .split("<polyline")
        .skip(1)
        .filter(|element| {
            element.contains("stroke-width=\"2\"") || element.contains("stroke-width=\"4\"")
        })
        .filter_map(|element| element.split("stroke=\"").nth(1)?.split('"').next())
        .filter(|colour| *colour != "#D62728")
        .collect();
    colours.sort_unstable();
    colours.dedup();
    assert_eq!(colours.len(), 6, "one colour per strategy: {colours:?}");
    // Every strategy's full name is in the charts, and no count reads like 700.0.
    let texts = svg_texts(&dom);
    for strategy in strategies {
        let name = strategy["strategy"].as_str().unwrap();
        assert!(
            texts.iter().filter(|t| t.as_str() == name).count() >= 5,
            "{name} named whole in the headline and the four bar charts: {texts:?}"
        );
    }
    let counts_start = dom.find("<h3>Requests sent</h3>").unwrap();
    for text in svg_texts(&dom[counts_start..]) {
        assert!(
            !(text.ends_with(".0") && text[..text.len() - 2].chars().all(|c| c.is_ascii_digit())),
            "a count reads {text}"
        );
    }
}

/// The page as headless Chromium sees it, its scripts run.
fn dump_dom(dir: &Dir, html: &std::path::Path) -> String {
    let profile = dir.path("chromium-profile");
    let dom = chromium()
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium runs (scripts/test.sh installs Debian's chromium)");
    String::from_utf8_lossy(&dom.stdout).into_owned()
}

/// The texts of every SVG `<text>` element, trimmed, with `'` unescaped.
fn svg_texts(dom: &str) -> Vec<String> {
    dom.split("<text")
        .skip(1)
        .filter_map(|element| {
            let body = element.split_once('>')?.1;
            let text = body.split("</text>").next()?;
            Some(text.trim().replace("&apos;", "'").replace("&amp;", "&"))
        })
        .collect()
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
    assert_eq!(
        page.matches("<svg").count(),
        10,
        "the headline and four bar charts per scenario"
    );
    assert_eq!(page.matches("Agents written over time").count(), 2);
    assert!(page.contains("<table id=\"summary\">") && page.contains("<table id=\"summary-1\">"));
    assert!(!page.contains("http://") && !page.contains("https://"));
}
