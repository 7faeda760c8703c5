//! Runs the emulator exactly as `pacer emulate` does (same library call, same multi-threaded
//! runtime), without building the whole CLI: scripts/bench-emulator.sh uses it.
//!
//! Usage: `serve [--profile genesys|seed] [--no-limits] [--agents N] [--listen ADDR]
//! [--token-rate N/PERIOD] [--burst N] [--seed N] [--bulk-processing DURATION] [--today DATE]`; it prints the same banner and stops on Ctrl-C.

use pacer_emulator::{Config, Overrides};

fn parse_args() -> Result<Overrides, String> {
    let mut overrides = Overrides::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--no-limits" {
            overrides.no_limits = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: String| format!("{flag}: {e}");
        match flag.as_str() {
            "--profile" => overrides.profile = Some(value.parse().map_err(bad)?),
            "--agents" => overrides.agents = Some(value.parse().map_err(|_| bad(value.clone()))?),
            "--listen" => overrides.listen = Some(value.parse().map_err(|_| bad(value.clone()))?),
            "--token-rate" => overrides.token_rate = Some(value.parse().map_err(bad)?),
            "--burst" => overrides.burst = Some(value.parse().map_err(|_| bad(value.clone()))?),
            "--seed" => overrides.seed = Some(value.parse().map_err(|_| bad(value.clone()))?),
            "--bulk-processing" => {
                overrides.bulk_processing =
                    Some(pacer_emulator::units::parse_duration(&value).map_err(bad)?)
            }
            "--today" => overrides.today = Some(value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(overrides)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::resolve(&parse_args()?)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        print!(
            "{}",
            pacer_emulator::banner(&config, listener.local_addr()?, false)
        );
        use std::io::Write as _;
        std::io::stdout().flush()?;
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        pacer_emulator::run(listener, config, stop).await?;
        Ok(())
    })
}
