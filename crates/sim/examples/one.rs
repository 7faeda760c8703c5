//! Runs one scenario and strategy: `cargo run -p pacer-sim --example one SCENARIO STRATEGY [ITEMS] [SEED]`.

use pacer_sim::{Scenario, simulate, table};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = Scenario::builtin(&args[0]).expect("scenario");
    let strategy = args[1].parse().expect("strategy");
    let items = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(500);
    let seed = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    print!("{}", table(&[simulate(&scenario, strategy, items, seed)]));
}
