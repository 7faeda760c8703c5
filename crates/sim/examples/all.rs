//! Prints the results table of every built-in scenario and strategy: `cargo run -p pacer-sim --example all [ITEMS] [SEED]`.

use pacer_sim::{Scenario, Strategy, simulate, table};

fn main() {
    let mut args = std::env::args().skip(1);
    let items = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut results = Vec::new();
    for scenario in Scenario::builtins() {
        for strategy in Strategy::ALL {
            results.push(simulate(&scenario, strategy, items, seed));
        }
    }
    print!("{}", table(&results));
}
