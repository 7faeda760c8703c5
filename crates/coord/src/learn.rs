//! What one response teaches the shared budget, as a lone pacer learns it: whose quota its
//! headers describe (this runner's token's, or a shared limit's), what that says of the shared
//! limit's shape (a token bucket's capacity, a fixed window's end, what the server has left), and
//! what a 429 closes (the shared gate, or only this runner's own token's budget).

use std::time::Duration;

use pacer_core::signals::{Quota, Signals};

use crate::budget::SharedLimit;
use crate::shape::{Model, Shape};

/// How long the gate closes after a 429 that names no wait.
const DEFAULT_GATE: Duration = Duration::from_secs(1);

/// The quota this runner's own token advertises: the first one it sees (a token's budget is
/// the smallest at the start of a run, so its headers come first), unless it is a shared one's.
#[derive(Debug, Default)]
pub(crate) struct Own {
    limit: Option<u32>,
}

/// What to change in a shared limit's model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// A token bucket of `burst` (0: to estimate from what passed), with `left` (`None`: nothing).
    Bucket { burst: u64, left: Option<u64> },
    /// A count per window's headers: `left`, whole again in `reset` when said.
    Sync { left: u64, reset: Option<Duration> },
    /// A count per window refused for `wait`; whole again in `reset` when headers say.
    Throttle {
        wait: Duration,
        reset: Option<Duration>,
    },
}

impl Op {
    /// The script's arguments: the operation and its two numbers.
    pub(crate) fn args(&self) -> (&'static str, i64, i64) {
        let micros = |d: Option<Duration>| d.map_or(-1, |d| d.as_micros() as i64);
        match self {
            Op::Bucket { burst, left } => ("bucket", *burst as i64, left.map_or(-1, |l| l as i64)),
            Op::Sync { left, reset } => ("sync", *left as i64, micros(*reset)),
            Op::Throttle { wait, reset } => ("throttle", wait.as_micros() as i64, micros(*reset)),
        }
    }
}

/// What one response teaches.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Lessons {
    /// Close the shared gate for this long.
    pub gate: Option<Duration>,
    /// A limit a 429 names, to declare (kept if stricter than the known one).
    pub named: Option<SharedLimit>,
    /// What to change in a known shared limit's model.
    pub op: Option<(String, Op)>,
    /// The server refused a shared limit: this runner drops its lease.
    pub refused: bool,
    /// The op only follows the server's state in a shape already known (headers of an admitted
    /// request): a runner may space these out.
    pub follows: bool,
}

impl Lessons {
    pub(crate) fn is_empty(&self) -> bool {
        *self == Lessons::default()
    }
}

/// Whose budget a quota describes.
enum Whose<'m> {
    Nobody,
    Own,
    /// A shared count per window, by its count.
    Window(&'m Model),
    /// A shared limit's token bucket, by its capacity.
    Bucket(&'m Model, u64),
}

/// What the response of `status` with `signals` teaches, given the shared limits' `models`.
pub(crate) fn lessons(status: u16, signals: &Signals, models: &[Model], own: &mut Own) -> Lessons {
    let quota = signals.quota.as_ref();
    let whose = quota.map_or(Whose::Nobody, |q| whose(q, models, own));
    if status == 429 {
        return refusal(signals, quota, whose, models);
    }
    let (Some(q), Some(left)) = (quota, quota.and_then(|q| q.remaining)) else {
        return Lessons::default();
    };
    let (op, follows) = match whose {
        Whose::Window(m) => {
            let op = Op::Sync {
                left: u64::from(left),
                reset: q.reset_after,
            };
            ((m.name.clone(), op), m.shape != Shape::Window)
        }
        Whose::Bucket(m, burst) => {
            let op = Op::Bucket {
                burst,
                left: Some(u64::from(left)),
            };
            (
                (m.name.clone(), op),
                m.shape == Shape::Bucket && m.burst == burst,
            )
        }
        Whose::Nobody | Whose::Own => return Lessons::default(),
    };
    Lessons {
        op: Some(op),
        follows,
        ..Lessons::default()
    }
}

/// Whose budget `quota` describes: a shared count per window has its count; a shared bucket its
/// capacity, which is neither this runner's own token's nor above the count per window it refills.
fn whose<'m>(quota: &Quota, models: &'m [Model], own: &mut Own) -> Whose<'m> {
    let (Some(limit), Some(_)) = (quota.limit, quota.remaining) else {
        return Whose::Nobody;
    };
    let value = u64::from(limit);
    if let Some(m) = models
        .iter()
        .find(|m| m.shape.is_window() && m.limit == value)
    {
        return Whose::Window(m);
    }
    if let Some(m) = models
        .iter()
        .find(|m| m.shape == Shape::Bucket && m.burst == value)
    {
        return Whose::Bucket(m, value);
    }
    match own.limit {
        None => {
            own.limit = Some(limit);
            Whose::Own
        }
        Some(mine) if mine == limit => Whose::Own,
        Some(_) => models
            .iter()
            .find(|m| value < m.limit)
            .map_or(Whose::Nobody, |m| Whose::Bucket(m, value)),
    }
}

/// What a 429 teaches: nothing shared when it is this runner's own token's; else the limit
/// that refused, its shape, and the gate.
fn refusal(
    signals: &Signals,
    quota: Option<&Quota>,
    whose: Whose<'_>,
    models: &[Model],
) -> Lessons {
    let named = signals.named_limit();
    if named.is_some_and(|n| n.is_token_limit()) {
        return Lessons::default();
    }
    if named.is_none() && matches!(whose, Whose::Own) {
        return Lessons::default();
    }
    let wait = signals.wait_hint().unwrap_or(DEFAULT_GATE);
    let learned = named.and_then(|n| {
        Some(SharedLimit {
            name: n.key.clone(),
            limit: n.value?,
            window: n.window()?,
            learned: true,
        })
    });
    let by_name = named.and_then(|n| models.iter().find(|m| m.name == n.key));
    let target = by_name.or(match whose {
        Whose::Window(m) | Whose::Bucket(m, _) => Some(m),
        Whose::Nobody | Whose::Own => (models.len() == 1).then(|| &models[0]),
    });
    let Some(model) = target else {
        return Lessons {
            gate: Some(wait),
            named: learned,
            ..Lessons::default()
        };
    };
    let reset = quota.and_then(|q| q.reset_after);
    let (op, gate) = match whose {
        Whose::Bucket(m, burst) if m.name == model.name => (bucket_empty(burst), None),
        Whose::Window(m) if m.name == model.name => (Op::Throttle { wait, reset }, Some(wait)),
        _ if model.shape == Shape::Bucket => (bucket_empty(model.burst), None),
        // A count per window refused after a short wait refills continuously: a bucket, as a
        // lone pacer learns it.
        _ if wait * 4 < model.window_len() => (bucket_empty(0), None),
        _ => (Op::Throttle { wait, reset: None }, Some(wait)),
    };
    Lessons {
        gate,
        named: learned,
        op: Some((model.name.clone(), op)),
        refused: true,
        follows: false,
    }
}

/// A bucket the server just found empty: no gate, since the bucket's model waits exactly as long
/// as it refills (a Retry-After rounded up to whole seconds would idle every runner for longer).
fn bucket_empty(burst: u64) -> Op {
    Op::Bucket { burst, left: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacer_core::signals::{ParseContext, parse};

    fn org() -> Model {
        Model::window(
            "org.api.rate.per.minute",
            6000,
            Duration::from_secs(60),
            false,
        )
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Signals {
        let headers: Vec<(&[u8], &[u8])> = headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        parse(status, &headers, body.as_bytes(), ParseContext::default())
    }

    fn quota(status: u16, limit: &str, remaining: &str, reset: &str) -> Signals {
        let mut headers = vec![
            ("x-ratelimit-limit", limit),
            ("x-ratelimit-remaining", remaining),
            ("x-ratelimit-reset", reset),
        ];
        if status == 429 {
            headers.push(("retry-after", "1"));
        }
        answer(status, &headers, "")
    }

    #[test]
    fn the_first_quota_is_the_tokens_and_a_smaller_other_one_a_shared_bucket() {
        let models = [org()];
        let mut own = Own::default();
        assert!(lessons(200, &quota(200, "10", "9", "1"), &models, &mut own).is_empty());
        assert!(
            lessons(429, &quota(429, "10", "0", "1"), &models, &mut own).is_empty(),
            "a 429 of this runner's token stays with it"
        );
        let seen = lessons(200, &quota(200, "100", "0", "1"), &models, &mut own);
        assert_eq!(
            seen.op,
            Some((
                org().name,
                Op::Bucket {
                    burst: 100,
                    left: Some(0)
                }
            ))
        );
        assert!(seen.gate.is_none() && !seen.refused);
        let refused = lessons(429, &quota(429, "100", "0", "1"), &models, &mut own);
        assert_eq!(
            refused.op,
            Some((
                org().name,
                Op::Bucket {
                    burst: 100,
                    left: None
                }
            ))
        );
        assert!(
            refused.refused && refused.gate.is_none(),
            "a bucket's model waits"
        );
        assert!(!seen.follows, "a shape newly seen goes at once");
        let mut bucket = org();
        bucket.shape = Shape::Bucket;
        bucket.burst = 100;
        let known = lessons(200, &quota(200, "100", "3", "1"), &[bucket], &mut own);
        assert!(known.follows, "the known shape's state may be spaced out");
    }

    #[test]
    fn a_windows_headers_sync_it_and_its_refusal_closes_the_gate() {
        let models = [org()];
        let mut own = Own::default();
        let seen = lessons(200, &quota(200, "6000", "12", "7"), &models, &mut own);
        assert_eq!(
            seen.op,
            Some((
                org().name,
                Op::Sync {
                    left: 12,
                    reset: Some(Duration::from_secs(7))
                }
            ))
        );
        let refused = lessons(429, &quota(429, "6000", "0", "7"), &models, &mut own);
        assert_eq!(refused.gate, Some(Duration::from_secs(1)));
        assert!(matches!(
            refused.op,
            Some((_, Op::Throttle { reset: Some(_), .. }))
        ));
    }

    #[test]
    fn a_named_refusal_teaches_its_limit_and_its_wait_the_shape() {
        let body = |key: &str, value: u32| {
            format!(
                r#"{{"message":"Rate limit exceeded the maximum. Retry the request in [3] seconds","code":"too.many.requests.retry.after","status":429,"limit":{{"key":"{key}","namespace":"platform.api","value":{value}}}}}"#
            )
        };
        let mut own = Own::default();
        let token = answer(
            429,
            &[],
            &body("client.credentials.token.rate.per.minute", 300),
        );
        assert!(lessons(429, &token, &[org()], &mut own).is_empty());
        let unknown = answer(
            429,
            &[("retry-after", "3")],
            &body("org.api.rate.per.minute", 600),
        );
        let taught = lessons(429, &unknown, &[], &mut own);
        assert_eq!(taught.gate, Some(Duration::from_secs(3)));
        assert_eq!(taught.named.map(|l| l.limit), Some(600));
        // A known count per window refused for 3 s of its 60: it refills continuously.
        let short = lessons(429, &unknown, &[org()], &mut own);
        assert_eq!(
            short.op,
            Some((
                org().name,
                Op::Bucket {
                    burst: 0,
                    left: None
                }
            ))
        );
        assert_eq!(short.gate, None);
        let long = answer(
            429,
            &[("retry-after", "40")],
            &body("org.api.rate.per.minute", 6000),
        );
        let window = lessons(429, &long, &[org()], &mut own);
        assert_eq!(window.gate, Some(Duration::from_secs(40)));
        assert!(matches!(
            window.op,
            Some((_, Op::Throttle { reset: None, .. }))
        ));
    }

    #[test]
    fn a_bare_429_with_no_limit_known_closes_the_gate() {
        let taught = lessons(429, &answer(429, &[], ""), &[], &mut Own::default());
        assert_eq!(taught.gate, Some(DEFAULT_GATE));
        assert!(taught.op.is_none());
    }
}
