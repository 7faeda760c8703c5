//! The example scenario files in `crates/sim/scenarios/` parse and pacer finishes them.

use pacer_sim::{Scenario, Strategy, simulate};

fn load(name: &str) -> Scenario {
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    Scenario::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn declared_fixed_window_runs_as_bursts_without_a_429() {
    let r = simulate(&load("declared"), Strategy::Pacer, 500, 1);
    assert_eq!((r.completed, r.lost, r.throttled), (500, 0, 0));
    assert!(r.ratio <= 1.03, "{r:?}");
}

#[test]
fn discovery_pays_its_429s_once_then_settles() {
    // A bucket with no headers and no limit in 429 bodies: every 429 comes while discovering.
    let small = simulate(&load("dark"), Strategy::Pacer, 500, 1);
    let large = simulate(&load("dark"), Strategy::Pacer, 5_000, 1);
    assert_eq!(small.lost + large.lost, 0);
    assert!(
        large.throttled <= small.throttled + 2,
        "{small:?} {large:?}"
    );
    assert!(large.ratio <= 1.05, "{large:?}");
}

#[test]
fn a_limit_named_in_the_first_429_body_is_learned() {
    let r = simulate(&load("genesys-unknown"), Strategy::Pacer, 1_000, 1);
    assert_eq!(r.lost, 0);
    // The 429s are the requests in flight when the first one came back; none later.
    let longer = simulate(&load("genesys-unknown"), Strategy::Pacer, 3_000, 1);
    assert_eq!(longer.throttled, r.throttled, "{r:?} {longer:?}");
}
