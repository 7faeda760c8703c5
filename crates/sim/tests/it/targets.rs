//! One test per built-in scenario: pacer's ratio, 429s and losses, and how it compares with every
//! other strategy, exactly as the results report them.

use pacer_sim::{RunResult, Scenario, Strategy, simulate};

const ITEMS: u64 = 500;

/// Runs every strategy on a built-in scenario and checks pacer's targets.
fn check(name: &str, max_ratio: f64, max_throttled_share: f64) {
    let scenario = Scenario::builtin(name).unwrap();
    let results: Vec<RunResult> = Strategy::ALL
        .into_iter()
        .map(|s| simulate(&scenario, s, ITEMS, scenario.seed))
        .collect();
    let pacer = results.iter().find(|r| r.strategy == "pacer").unwrap();
    assert_eq!(pacer.completed, ITEMS, "{pacer:?}");
    assert_eq!(pacer.lost, 0, "{pacer:?}");
    assert!(
        pacer.ratio <= max_ratio,
        "ratio {} > {max_ratio}: {pacer:?}",
        pacer.ratio
    );
    assert!(
        pacer.ratio >= 1.0,
        "faster than the ideal is impossible: {pacer:?}"
    );
    let max_throttled = (ITEMS as f64 * max_throttled_share).floor() as u64;
    assert!(
        pacer.throttled <= max_throttled,
        "{} 429s > {max_throttled}: {pacer:?}",
        pacer.throttled
    );
    for other in results.iter().filter(|r| r.strategy != "pacer") {
        let faster = pacer.elapsed_s <= other.elapsed_s;
        let calmer = pacer.throttled <= other.throttled;
        let writes_more = pacer.completed > other.completed;
        assert!(
            faster || calmer || writes_more,
            "pacer neither beats nor ties {other:?}"
        );
        let loses_both = other.elapsed_s < pacer.elapsed_s && other.throttled < pacer.throttled;
        assert!(
            !loses_both || writes_more,
            "pacer loses on time and 429s to {other:?}"
        );
    }
}

#[test]
fn seed_meets_the_advertised_targets() {
    check("seed", 1.03, 0.005);
}

#[test]
fn genesys_meets_the_declared_targets() {
    check("genesys", 1.03, 0.005);
}

#[test]
fn hidden_meets_the_hidden_limit_targets() {
    check("hidden", 1.15, 0.03);
}

#[test]
fn noisy_meets_the_advertised_targets() {
    check("noisy", 1.03, 0.005);
}

#[test]
fn maintenance_meets_the_advertised_targets() {
    check("maintenance", 1.03, 0.005);
}
