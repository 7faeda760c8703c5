//! pacer-sim: a discrete-event simulator that runs client strategies against server models.
//!
//! Virtual time only (a binary heap of events, no async runtime, no sleeping). The server models
//! are built from `pacer_core::limiter`, the very code the emulator enforces, with latency
//! distributions, 5xx faults, maintenance windows and hidden limits. The `pacer` strategy is the
//! real `pacer_core::pacer` and `pacer_core::retry`, not a copy.
//!
//! ```
//! use pacer_sim::{Scenario, Strategy, simulate};
//! let scenario = Scenario::builtin("seed").unwrap();
//! let result = simulate(&scenario, Strategy::Pacer, 100, 1);
//! assert_eq!(result.completed, 100);
//! ```

mod engine;
mod error;
mod report;
pub mod scenario;
mod server;
mod strategies;

pub use engine::Counters;
pub use error::SimError;
pub use report::{RunResult, table};
pub use scenario::Scenario;
pub use server::{Response, Server};
pub use strategies::Strategy;

use pacer_core::rng::Rng;

/// Runs one strategy against one scenario with `items` items and `seed`, and reports the result.
pub fn simulate(scenario: &Scenario, strategy: Strategy, items: u64, seed: u64) -> RunResult {
    let mut root = Rng::new(seed);
    let server = Server::new(scenario, root.fork());
    let world = engine::World::new(server, items, root.fork());
    let mut client = strategy.client(scenario);
    let counters = world.run(client.as_mut());
    let ideal = scenario.ideal(items);
    RunResult::new(scenario, strategy, items, &counters, ideal)
}
