//! Thresholds as k6 has them (`--threshold 'throttled_rate<0.01'`): a metric of the run's report,
//! an operator and a value; each is judged passed or failed at the end of the run.

use serde::{Deserialize, Serialize};

use crate::report::{Judged, Report};

/// The metrics a threshold may name, with what each means (the README lists the same).
pub const METRICS: &[(&str, &str)] = &[
    (
        "elapsed",
        "the run's wall time, seconds (a duration such as 5m may be given)",
    ),
    ("sending", "the sending alone, seconds"),
    (
        "ideal_ratio",
        "elapsed over the server's ideal, when the limit is known",
    ),
    ("requests", "HTTP requests sent"),
    ("throttled", "429 answers"),
    ("throttled_rate", "429 answers over requests"),
    (
        "error_rate",
        "answers that were not 2xx, and requests without an answer, over requests",
    ),
    ("retries", "requests that retried an earlier attempt"),
    ("succeeded", "items done"),
    ("failed", "items failed"),
    ("remaining", "items not sent when the run stopped"),
    (
        "p50_latency",
        "median latency, seconds (a duration such as 250ms may be given)",
    ),
    ("p90_latency", "90th percentile latency, seconds"),
    ("p99_latency", "99th percentile latency, seconds"),
    ("max_latency", "largest latency, seconds"),
];

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
        }
    }
}

/// One threshold, as given.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The text as given, which names it in messages.
    pub text: String,
    pub metric: &'static str,
    pub op: Op,
    pub value: f64,
}

impl std::str::FromStr for Threshold {
    type Err = String;

    /// `METRIC OP VALUE`, e.g. `p99_latency<2s` or `failed == 0`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let ops = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        let (at, len, op) = ops
            .iter()
            .filter_map(|(s, op)| text.find(s).map(|at| (at, s.len(), *op)))
            .min_by_key(|(at, len, _)| (*at, usize::MAX - len))
            .ok_or_else(|| {
                format!("`{text}` is not METRIC OP VALUE (e.g. throttled_rate<0.01, elapsed<5m)")
            })?;
        let name = text[..at].trim();
        let value = text[at + len..].trim();
        let metric = METRICS
            .iter()
            .map(|(m, _)| *m)
            .find(|m| *m == name)
            .ok_or_else(|| {
                let known: Vec<&str> = METRICS.iter().map(|(m, _)| *m).collect();
                format!("`{name}` is not a metric (known: {})", known.join(", "))
            })?;
        let value = parse_value(value).ok_or_else(|| {
            format!("`{value}` is not a number or a duration (e.g. 0.01, 5m, 250ms)")
        })?;
        Ok(Threshold {
            text: text.trim().to_string(),
            metric,
            op,
            value,
        })
    }
}

/// Parses every `--threshold`, or the usage error of the first that cannot be.
pub fn parse_all(texts: &[String]) -> anyhow::Result<Vec<Threshold>> {
    texts
        .iter()
        .map(|text| {
            text.parse::<Threshold>()
                .map_err(|reason| crate::exit::Exit::usage(format!("--threshold: {reason}")))
        })
        .collect()
}

/// A number, or a duration in seconds (`250ms`, `2s`, `5m`).
fn parse_value(text: &str) -> Option<f64> {
    if let Ok(number) = text.parse::<f64>() {
        return number.is_finite().then_some(number);
    }
    pacer_emulator::units::parse_duration(text)
        .ok()
        .map(|d| d.as_secs_f64())
}

/// The value of `metric` in `report`.
pub fn value(report: &Report, metric: &str) -> Option<f64> {
    let requests = report.requests_sent as f64;
    let rate = |n: u64| (requests > 0.0).then(|| n as f64 / requests).or(Some(0.0));
    let latency = report.latency.as_ref();
    Some(match metric {
        "elapsed" => report.elapsed_s,
        "sending" => report.sending_s,
        "ideal_ratio" => report.elapsed_s / report.ideal_s.filter(|i| *i > 0.0)?,
        "requests" => requests,
        "throttled" => report.throttled as f64,
        "throttled_rate" => rate(report.throttled)?,
        "error_rate" => {
            let bad: u64 = report
                .responses_by_status
                .iter()
                .filter(|(status, _)| !(200..300).contains(*status))
                .map(|(_, n)| n)
                .sum::<u64>()
                + report.transport_errors.values().sum::<u64>();
            rate(bad)?
        }
        "retries" => report.retries as f64,
        "succeeded" => report.items_succeeded as f64,
        "failed" => report.items_failed as f64,
        "remaining" => report.items_remaining as f64,
        "p50_latency" => latency?.p50_s,
        "p90_latency" => latency?.p90_s,
        "p99_latency" => latency?.p99_s,
        "max_latency" => latency?.max_s,
        _ => return None,
    })
}

/// Judges every threshold against the report; an unknown value fails its threshold.
pub fn judge(report: &Report, thresholds: &[Threshold]) -> Vec<Judged> {
    thresholds
        .iter()
        .map(|t| {
            let value = value(report, t.metric);
            Judged {
                threshold: t.text.clone(),
                value,
                passed: value.is_some_and(|v| t.op.holds(v, t.value)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Latency;

    fn report() -> Report {
        Report {
            requests_sent: 200,
            throttled: 1,
            items_succeeded: 199,
            items_failed: 1,
            elapsed_s: 98.2,
            ideal_s: Some(98.0),
            latency: Some(Latency {
                count: 200,
                p50_s: 0.02,
                p90_s: 0.05,
                p99_s: 0.4,
                max_s: 1.5,
            }),
            responses_by_status: [(200, 199), (429, 1)].into_iter().collect(),
            ..Report::default()
        }
    }

    #[test]
    fn thresholds_parse_metrics_operators_numbers_and_durations() {
        let t: Threshold = "elapsed<5m".parse().unwrap();
        assert_eq!((t.metric, t.op, t.value), ("elapsed", Op::Lt, 300.0));
        let t: Threshold = " failed == 0 ".parse().unwrap();
        assert_eq!((t.metric, t.op, t.value), ("failed", Op::Eq, 0.0));
        let t: Threshold = "p99_latency<=250ms".parse().unwrap();
        assert_eq!((t.op, t.value), (Op::Le, 0.25));
        let unknown = "speed<1".parse::<Threshold>().unwrap_err();
        assert!(unknown.contains("known: elapsed, sending"), "{unknown}");
        assert!("elapsed".parse::<Threshold>().is_err());
        assert!("elapsed<soon".parse::<Threshold>().is_err());
    }

    #[test]
    fn each_threshold_is_judged_on_the_report() {
        let thresholds: Vec<Threshold> = [
            "throttled_rate<0.01",
            "elapsed<5m",
            "p99_latency<2s",
            "failed==0",
            "ideal_ratio<1.01",
            "error_rate<=0.005",
        ]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
        let judged = judge(&report(), &thresholds);
        let passed: Vec<bool> = judged.iter().map(|j| j.passed).collect();
        assert_eq!(passed, [true, true, true, false, true, true]);
        assert_eq!(judged[3].to_string(), "threshold failed==0 FAILED: 1");
        let no_latency = Report {
            latency: None,
            ..report()
        };
        let unknown = judge(&no_latency, &thresholds[2..3]);
        assert!(!unknown[0].passed);
        assert_eq!(
            unknown[0].to_string(),
            "threshold p99_latency<2s FAILED: unknown"
        );
    }
}
