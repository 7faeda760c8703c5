//! The fault matrix: `pacer apply` against an emulator injecting one fault at a time (5xx
//! answers, connection resets, a maintenance window of the whole API, token revocation mid-run,
//! 2 s of latency, a dropped notification socket, an update ending `Error`). For each: items
//! written, lost (neither written nor reported failed), doubled, and the exit code, all asserted;
//! a table of the figures is printed.

use std::time::Duration;

use pacer_emulator::{Config, Overrides, Profile, StatsReport};

use crate::support::{Dir, Emu, csv_for, pacer, run};

const AGENTS: u32 = 300;

/// One fault, and what the run must come to under it.
struct Case {
    name: &'static str,
    bulk: bool,
    faults: Overrides,
    /// The exit code the run must end with.
    code: i32,
    /// Whether every agent must be written (else every agent must be reported failed).
    written: bool,
    /// Whether the fault happened at all during the run (else the case proves nothing).
    happened: fn(&Observed) -> bool,
    /// Closes every notification socket this long after its channel is made.
    socket_lifetime: Option<Duration>,
}

/// What a case's `happened` looks at.
struct Observed {
    stats: StatsReport,
    report: serde_json::Value,
    seconds: f64,
}

/// What one case measured.
struct Figures {
    written: u64,
    failed: u64,
    lost: u64,
    doubled: u64,
    requests: u64,
    code: i32,
    seconds: f64,
}

fn emulator(case: &Case) -> Emu {
    let mut config = Config::profile(if case.bulk {
        Profile::Genesys
    } else {
        Profile::Seed
    });
    Overrides {
        agents: Some(AGENTS),
        no_limits: true,
        today: Some("2026-12-09".into()),
        bulk_processing: Some(Duration::from_millis(500)),
        ..Overrides::default()
    }
    .apply(&mut config)
    .unwrap();
    case.faults.apply(&mut config).unwrap();
    if let Some(lifetime) = case.socket_lifetime {
        config.wfm.channel_lifetime = lifetime;
    }
    Emu::with_config(config)
}

fn input(emu: &Emu, bulk: bool) -> String {
    if !bulk {
        let agents: Vec<String> = (0..AGENTS).map(|i| emu.agent(i)).collect();
        return csv_for(&agents);
    }
    let mut text = String::from("userId,weekDate,startDate,lengthMinutes,activityCodeId\n");
    for i in 0..AGENTS {
        text.push_str(&format!(
            "{},2026-12-07,2026-12-08T09:00:00Z,480,Work\n",
            emu.agent(i)
        ));
    }
    text
}

fn measure(case: &Case) -> Figures {
    let emu = emulator(case);
    let dir = Dir::new(&format!("fault-{}", case.name.replace(' ', "-")));
    let file = dir.write("in.csv", &input(&emu, case.bulk));
    let report = dir.path("report.json");
    let mut args = vec![
        "apply",
        file.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    if case.bulk {
        args.extend(["--business-unit", "North"]);
    }
    let started = std::time::Instant::now();
    let (code, _, stderr) = run(pacer(&emu.base, &args), &dir.0);
    let seconds = started.elapsed().as_secs_f64();
    let stats = emu.stats();
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&report).unwrap_or_else(|_| panic!("{}: {stderr}", case.name)),
    )
    .unwrap();
    let failed = report["items_failed"].as_u64().unwrap();
    let figures = Figures {
        written: stats.users_written,
        failed,
        lost: u64::from(AGENTS).saturating_sub(stats.users_written + failed),
        doubled: stats.writes_total - stats.users_written,
        requests: stats.requests_total,
        code,
        seconds,
    };
    let observed = Observed {
        stats,
        report,
        seconds,
    };
    assert!(
        (case.happened)(&observed),
        "{}: the fault never happened: {:?} {}",
        case.name,
        observed.stats,
        observed.report
    );
    assert_eq!(figures.code, case.code, "{}: {stderr}", case.name);
    assert_eq!(figures.lost, 0, "{}: {stderr}", case.name);
    assert_eq!(figures.doubled, 0, "{}: {stderr}", case.name);
    if case.written {
        assert_eq!(
            figures.written,
            u64::from(AGENTS),
            "{}: {stderr}",
            case.name
        );
    } else {
        assert_eq!(
            (figures.written, figures.failed),
            (0, u64::from(AGENTS)),
            "{}: {stderr}",
            case.name
        );
    }
    figures
}

fn cases() -> Vec<Case> {
    let case = |name, bulk, faults, code, written, happened| Case {
        name,
        bulk,
        faults,
        code,
        written,
        happened,
        socket_lifetime: None,
    };
    let injected: fn(&Observed) -> bool = |o| o.stats.faults_injected > 0;
    vec![
        case(
            "5% 500 and 503",
            false,
            Overrides {
                error_rates: vec!["500=0.05".parse().unwrap(), "503=0.05".parse().unwrap()],
                ..Overrides::default()
            },
            0,
            true,
            injected,
        ),
        case(
            "5% resets",
            false,
            Overrides {
                reset_rate: Some("0.05".parse().unwrap()),
                ..Overrides::default()
            },
            0,
            true,
            |o| o.stats.connections_reset > 0,
        ),
        case(
            "maintenance 3 s",
            false,
            Overrides {
                maintenance: vec!["300ms+3s".parse().unwrap()],
                ..Overrides::default()
            },
            0,
            true,
            injected,
        ),
        case(
            "tokens revoked",
            false,
            Overrides {
                revoke_tokens_at: Some(Duration::from_millis(400)),
                ..Overrides::default()
            },
            0,
            true,
            |o| o.stats.tokens_minted >= 2,
        ),
        case(
            "2 s latency",
            false,
            Overrides {
                latency: Some("2s".parse().unwrap()),
                ..Overrides::default()
            },
            0,
            true,
            |o| o.seconds >= 2.0,
        ),
        case(
            "bulk: 20% 503",
            true,
            Overrides {
                error_rates: vec!["503=0.2".parse().unwrap()],
                ..Overrides::default()
            },
            0,
            true,
            injected,
        ),
        case(
            "bulk: notifications lost",
            true,
            Overrides {
                drop_notifications: Some("1".parse().unwrap()),
                ..Overrides::default()
            },
            0,
            true,
            |o| o.stats.notifications_dropped > 0,
        ),
        case(
            "bulk: update Error",
            true,
            Overrides {
                bulk_error_rate: Some("1".parse().unwrap()),
                ..Overrides::default()
            },
            3,
            false,
            |o| o.stats.updates_failed > 0,
        ),
        Case {
            socket_lifetime: Some(Duration::from_millis(200)),
            ..case(
                "bulk: socket closed",
                true,
                Overrides::default(),
                0,
                true,
                |o| o.report["bulk"]["weeks"][0]["uploads"][0]["learned_by"] == "polling",
            )
        },
    ]
}

#[test]
fn every_fault_ends_with_nothing_lost_nothing_doubled_and_the_exit_code_it_promises() {
    let cases = cases();
    // Two cases at a time: the machine has two cores, and most of a case is waiting.
    let figures: Vec<Figures> = std::thread::scope(|scope| {
        let mut out = Vec::new();
        for pair in cases.chunks(2) {
            let handles: Vec<_> = pair
                .iter()
                .map(|case| scope.spawn(move || measure(case)))
                .collect();
            out.extend(handles.into_iter().map(|h| h.join().unwrap()));
        }
        out
    });
    println!(
        "{:<22} {:>8} {:>7} {:>5} {:>8} {:>9} {:>5} {:>8}",
        "fault", "written", "failed", "lost", "doubled", "requests", "exit", "seconds"
    );
    for (case, f) in cases.iter().zip(&figures) {
        println!(
            "{:<22} {:>8} {:>7} {:>5} {:>8} {:>9} {:>5} {:>8.1}",
            case.name, f.written, f.failed, f.lost, f.doubled, f.requests, f.code, f.seconds
        );
    }
}
