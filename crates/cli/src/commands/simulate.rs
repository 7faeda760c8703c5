//! `pacer simulate`: runs client strategies against server models in virtual time and reports
//! completion time, the server's ideal, their ratio, requests, 429s and losses.

use std::path::Path;

use pacer_sim::{RunResult, Scenario, Strategy, simulate, table};

use crate::exit::{self, Exit};

/// The most items one run may simulate (memory grows by about 20 bytes per item).
const MAX_ITEMS: u64 = 50_000_000;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table.
    Table,
    /// A JSON array with one object per scenario and strategy.
    Json,
}

/// Arguments of `pacer simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// A built-in scenario (seed, genesys, hidden, noisy, maintenance) or a scenario TOML file;
    /// repeat for several. Every built-in scenario when absent.
    #[arg(long, value_name = "FILE.toml|NAME")]
    pub scenario: Vec<String>,
    /// Items per run; each scenario's own count (500 for the built-ins) when absent.
    #[arg(long, value_name = "N")]
    pub items: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Strategies to run (naive, retry-after, exp-backoff, fixed-delay, aws-adaptive, pacer),
    /// repeated or comma-separated; all when absent.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub strategy: Vec<String>,
    /// The seed of every random draw; each scenario's own seed when absent.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Writes the results as one self-contained HTML page: per scenario, every strategy on the
    /// same axes.
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
}

/// Settings resolved from the arguments: everything checked before anything runs.
#[derive(Debug)]
struct Settings {
    scenarios: Vec<Scenario>,
    strategies: Vec<Strategy>,
    items: Option<u64>,
    seed: Option<u64>,
    format: Format,
    html: Option<std::path::PathBuf>,
}

fn resolve(args: SimulateArgs) -> anyhow::Result<Settings> {
    let scenarios = if args.scenario.is_empty() {
        Scenario::builtins()
    } else {
        args.scenario
            .iter()
            .map(|s| load_scenario(s))
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let strategies = if args.strategy.is_empty() {
        Strategy::ALL.to_vec()
    } else {
        args.strategy
            .iter()
            .map(|s| {
                s.trim()
                    .parse::<Strategy>()
                    .map_err(|e| Exit::usage(e.to_string()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    if let Some(items) = args.items
        && (items == 0 || items > MAX_ITEMS)
    {
        return Err(Exit::usage(format!(
            "--items must be between 1 and {MAX_ITEMS}, not {items}"
        )));
    }
    Ok(Settings {
        scenarios,
        strategies,
        items: args.items,
        seed: args.seed,
        format: args.format,
        html: args.html,
    })
}

/// A built-in name, or a path to a TOML file (anything ending in `.toml` or containing a slash).
fn load_scenario(arg: &str) -> anyhow::Result<Scenario> {
    let looks_like_file = arg.ends_with(".toml") || arg.contains('/') || arg.contains('\\');
    if !looks_like_file {
        return Scenario::builtin(arg).map_err(|e| Exit::usage(e.to_string()));
    }
    let path = Path::new(arg);
    let text = std::fs::read_to_string(path)
        .map_err(|e| Exit::usage(format!("cannot read scenario file {}: {e}", path.display())))?;
    Scenario::from_toml(&text).map_err(|e| {
        let mut message = format!("scenario file {}: {e}", path.display());
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        Exit::usage(message)
    })
}

fn run_all(settings: &Settings) -> Vec<RunResult> {
    let mut results = Vec::new();
    for scenario in &settings.scenarios {
        let items = settings.items.unwrap_or(scenario.items);
        let seed = settings.seed.unwrap_or(scenario.seed);
        for strategy in &settings.strategies {
            results.push(simulate(scenario, *strategy, items, seed));
        }
    }
    results
}

/// Runs `pacer simulate`.
pub fn run(args: SimulateArgs) -> anyhow::Result<u8> {
    let settings = resolve(args)?;
    let results = run_all(&settings);
    match settings.format {
        Format::Table => print!("{}", table(&results)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&results)?),
    }
    if let Some(path) = &settings.html {
        std::fs::write(path, html_page(&results)?)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(exit::OK)
}

/// The results, one section per scenario.
fn html_page(results: &[RunResult]) -> anyhow::Result<String> {
    let mut sections: Vec<crate::html::Section> = Vec::new();
    for result in results {
        if sections.last().is_none_or(|s| s.title != result.scenario) {
            sections.push(crate::html::Section {
                title: result.scenario.clone(),
                rows: Vec::new(),
                ideal_s: result.ideal_s,
                footnote: None,
            });
        }
        if let Some(section) = sections.last_mut() {
            section.rows.push(crate::html::StrategyRow {
                strategy: result.strategy.clone(),
                elapsed_s: result.elapsed_s,
                requests: result.requests,
                throttled: result.throttled,
                written: result.completed,
                lost: result.lost,
                written_over_time: result.written_over_time.clone(),
            });
        }
    }
    crate::html::render_strategies("pacer simulate (virtual time)", &sections, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(scenario: &[&str], strategy: &[&str], items: Option<u64>) -> SimulateArgs {
        SimulateArgs {
            scenario: scenario.iter().map(|s| s.to_string()).collect(),
            items,
            format: Format::Json,
            strategy: strategy.iter().map(|s| s.to_string()).collect(),
            seed: None,
            html: None,
        }
    }

    #[test]
    fn defaults_to_every_builtin_and_strategy() {
        let s = resolve(args(&[], &[], None)).unwrap();
        assert_eq!(s.scenarios.len(), 5);
        assert_eq!(s.strategies.len(), 6);
    }

    #[test]
    fn unknown_names_and_bad_counts_are_usage_errors() {
        for bad in [
            args(&["nope"], &[], None),
            args(&[], &["yolo"], None),
            args(&[], &[], Some(0)),
            args(&["/nonexistent/x.toml"], &[], None),
        ] {
            let err = resolve(bad).unwrap_err();
            assert_eq!(exit::code_for(&err), exit::USAGE, "{err}");
        }
    }

    #[test]
    fn a_scenario_file_runs_and_reports_the_issue_fields() {
        let dir = std::env::temp_dir().join(format!("pacer-sim-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tiny.toml");
        std::fs::write(
            &path,
            "name = \"tiny\"\nitems = 20\n[server]\nheaders = \"x-ratelimit\"\n[[server.limits]]\nalgorithm = \"token-bucket\"\nlimit = 60\nwindow_s = 60\nburst = 5\n",
        )
        .unwrap();
        let s = resolve(args(&[path.to_str().unwrap()], &["pacer"], None)).unwrap();
        let results = run_all(&s);
        std::fs::remove_dir_all(&dir).unwrap();
        let json = serde_json::to_value(&results).unwrap();
        let obj = json[0].as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "completed",
                "elapsed_s",
                "ideal_s",
                "items",
                "lost",
                "max_attempts",
                "ratio",
                "requests",
                "scenario",
                "strategy",
                "throttled"
            ]
        );
        assert_eq!(obj["completed"], 20);
        assert_eq!(obj["scenario"], "tiny");
    }
}
