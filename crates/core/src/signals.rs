//! Every rate-limit signal a response can carry, parsed from raw bytes into one model.
//!
//! A response is given as its status, its headers as `(name, value)` byte pairs and its body bytes.
//! The parser understands `Retry-After` (delta seconds or an HTTP-date), the Genesys 429 body (its
//! code, the seconds in its message and its `limit` object), `X-RateLimit-*` (with the reset read
//! as delta seconds or as an epoch, whichever it is), the three generations of the IETF RateLimit
//! draft and the legacy `inin-ratelimit-*` headers. It never panics, whatever the bytes: anything it
//! cannot read is simply absent from the result.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Bodies longer than this are not searched for a Genesys 429 (real ones are a few hundred bytes).
const MAX_BODY: usize = 64 * 1024;

/// A reset value above this many seconds is an epoch timestamp, not a delay (about 31 years).
const EPOCH_THRESHOLD_SECS: f64 = 1.0e9;

/// A reset value above this is an epoch in milliseconds.
const EPOCH_MILLIS_THRESHOLD: f64 = 1.0e12;

/// The longest delay believed from any header: anything longer is treated as this (one year).
const MAX_DELAY_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// Which header family advertised a quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderStyle {
    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset`.
    XRateLimit,
    /// IETF draft up to -06: `RateLimit-Limit`, `-Remaining`, `-Reset`, optional `RateLimit-Policy`.
    IetfSeparate,
    /// IETF draft -07: one field `RateLimit: limit=100, remaining=50, reset=5`.
    IetfCombined,
    /// IETF drafts -08 to -11: `RateLimit-Policy: "p";q=100;w=60` and `RateLimit: "p";r=50;t=30`.
    IetfStructured,
    /// Legacy Genesys `inin-ratelimit-allowed`, `-count`, `-reset` (removed in 2021).
    Inin,
}

/// A quota as the server advertises it in headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    /// The header family it came from.
    pub style: HeaderStyle,
    /// Requests allowed per window (or the bucket's capacity), when said.
    pub limit: Option<u32>,
    /// Requests still allowed now, when said.
    pub remaining: Option<u32>,
    /// Time until the quota is whole again, when said.
    pub reset_after: Option<Duration>,
    /// The window the limit counts over, when a policy says it.
    pub window: Option<Duration>,
}

/// The limit a Genesys 429 body names: `{"key","namespace","value"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedLimit {
    /// The limit's key, such as `client.credentials.token.rate.per.minute`.
    pub key: String,
    /// Its namespace, such as `platform.api`.
    pub namespace: Option<String>,
    /// Its value: requests per the key's period.
    pub value: Option<u64>,
}

impl NamedLimit {
    /// The period the key counts over, read from its suffix (`.per.minute` and the like).
    pub fn window(&self) -> Option<Duration> {
        let key = self.key.to_ascii_lowercase();
        let secs = if key.ends_with("per.second") {
            1
        } else if key.ends_with("per.minute") {
            60
        } else if key.ends_with("per.hour") {
            3_600
        } else if key.ends_with("per.day") {
            86_400
        } else {
            return None;
        };
        Some(Duration::from_secs(secs))
    }

    /// Whether the key names a per-token limit rather than an endpoint or organization limit.
    pub fn is_token_limit(&self) -> bool {
        self.key.to_ascii_lowercase().contains("token.rate")
    }
}

/// What a Genesys (or seed-style) error body says about a throttle.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThrottleBody {
    /// The error code, such as `too.many.requests.retry.after`.
    pub code: Option<String>,
    /// The seconds in the message (`Retry the request in [42] seconds`), when present.
    pub message_seconds: Option<u64>,
    /// The limit named by the body, when present.
    pub limit: Option<NamedLimit>,
}

/// Every rate-limit signal of one response.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signals {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` delay, resolved against the response's `Date` (or the caller's clock).
    pub retry_after: Option<Duration>,
    /// The advertised quota; when several header families are present the most precise wins
    /// (IETF structured, then combined, then separate, then `X-RateLimit`, then `inin`).
    pub quota: Option<Quota>,
    /// The parsed error body, for responses whose body is a JSON error.
    pub body: Option<ThrottleBody>,
}

impl Signals {
    /// The delay the server asked for: `Retry-After`, else the seconds in the Genesys message.
    pub fn wait_hint(&self) -> Option<Duration> {
        self.retry_after.or_else(|| {
            self.body
                .as_ref()
                .and_then(|b| b.message_seconds)
                .map(Duration::from_secs)
        })
    }

    /// The limit the body names, if any.
    pub fn named_limit(&self) -> Option<&NamedLimit> {
        self.body.as_ref().and_then(|b| b.limit.as_ref())
    }
}

/// What the parser needs to know besides the response: the wall clock, for HTTP-dates and epochs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseContext {
    /// The caller's wall clock when the response arrived. The response's own `Date` header is
    /// preferred (it is the server's clock, so skew does not matter); this is the fallback.
    pub now: Option<SystemTime>,
}

/// Parses every signal of a response. Never panics.
pub fn parse(status: u16, headers: &[(&[u8], &[u8])], body: &[u8], ctx: ParseContext) -> Signals {
    let mut fields = Fields::default();
    for (name, value) in headers {
        fields.take(name, value);
    }
    // Most responses carry no rate-limit signal at all: their Date is not parsed for nothing.
    let now = if fields.retry_after.is_some() || fields.has_quota() {
        fields
            .date
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
            .or(ctx.now)
    } else {
        ctx.now
    };
    let retry_after = fields.retry_after.and_then(|v| parse_retry_after(v, now));
    let quota = fields.quota(now);
    // Only an error's body can say why it was refused; a success's body is the API's answer.
    let body = if status >= 400 && body_starts_with_brace(body) {
        parse_body(body)
    } else {
        None
    };
    Signals {
        status,
        retry_after,
        quota,
        body,
    }
}

/// The header values the parser cares about, borrowed from the input.
#[derive(Default)]
struct Fields<'a> {
    date: Option<&'a [u8]>,
    retry_after: Option<&'a [u8]>,
    x_limit: Option<&'a [u8]>,
    x_remaining: Option<&'a [u8]>,
    x_reset: Option<&'a [u8]>,
    ietf_limit: Option<&'a [u8]>,
    ietf_remaining: Option<&'a [u8]>,
    ietf_reset: Option<&'a [u8]>,
    ietf_policy: Option<&'a [u8]>,
    ietf_combined: Option<&'a [u8]>,
    inin_allowed: Option<&'a [u8]>,
    inin_count: Option<&'a [u8]>,
    inin_reset: Option<&'a [u8]>,
}

impl<'a> Fields<'a> {
    fn take(&mut self, name: &[u8], value: &'a [u8]) {
        let slot = match () {
            _ if name.eq_ignore_ascii_case(b"date") => &mut self.date,
            _ if name.eq_ignore_ascii_case(b"retry-after") => &mut self.retry_after,
            _ if name.eq_ignore_ascii_case(b"x-ratelimit-limit") => &mut self.x_limit,
            _ if name.eq_ignore_ascii_case(b"x-ratelimit-remaining") => &mut self.x_remaining,
            _ if name.eq_ignore_ascii_case(b"x-ratelimit-reset") => &mut self.x_reset,
            _ if name.eq_ignore_ascii_case(b"ratelimit-limit") => &mut self.ietf_limit,
            _ if name.eq_ignore_ascii_case(b"ratelimit-remaining") => &mut self.ietf_remaining,
            _ if name.eq_ignore_ascii_case(b"ratelimit-reset") => &mut self.ietf_reset,
            _ if name.eq_ignore_ascii_case(b"ratelimit-policy") => &mut self.ietf_policy,
            _ if name.eq_ignore_ascii_case(b"ratelimit") => &mut self.ietf_combined,
            _ if name.eq_ignore_ascii_case(b"inin-ratelimit-allowed") => &mut self.inin_allowed,
            _ if name.eq_ignore_ascii_case(b"inin-ratelimit-count") => &mut self.inin_count,
            _ if name.eq_ignore_ascii_case(b"inin-ratelimit-reset") => &mut self.inin_reset,
            _ => return,
        };
        // The first occurrence wins: a repeated field is either identical or suspicious.
        if slot.is_none() {
            *slot = Some(value);
        }
    }

    /// Whether any quota header is present.
    fn has_quota(&self) -> bool {
        [
            self.x_limit,
            self.x_remaining,
            self.x_reset,
            self.ietf_limit,
            self.ietf_remaining,
            self.ietf_reset,
            self.ietf_policy,
            self.ietf_combined,
            self.inin_allowed,
            self.inin_count,
            self.inin_reset,
        ]
        .iter()
        .any(Option::is_some)
    }

    fn quota(&self, now: Option<SystemTime>) -> Option<Quota> {
        if let Some(combined) = self.ietf_combined.and_then(text) {
            if let Some(q) = parse_structured(combined, self.ietf_policy.and_then(text)) {
                return Some(q);
            }
            if let Some(q) = parse_combined(combined) {
                return Some(q);
            }
        }
        if self.ietf_limit.is_some() || self.ietf_remaining.is_some() || self.ietf_reset.is_some() {
            let window = self
                .ietf_policy
                .and_then(text)
                .and_then(policy_window_draft6);
            let q = Quota {
                style: HeaderStyle::IetfSeparate,
                limit: self.ietf_limit.and_then(parse_u32),
                remaining: self.ietf_remaining.and_then(parse_u32),
                reset_after: self.ietf_reset.and_then(parse_delay),
                window,
            };
            if q.limit.is_some() || q.remaining.is_some() || q.reset_after.is_some() {
                return Some(q);
            }
        }
        if self.x_limit.is_some() || self.x_remaining.is_some() || self.x_reset.is_some() {
            let q = Quota {
                style: HeaderStyle::XRateLimit,
                limit: self.x_limit.and_then(parse_u32),
                remaining: self.x_remaining.and_then(parse_u32),
                reset_after: self.x_reset.and_then(|v| parse_reset_maybe_epoch(v, now)),
                window: None,
            };
            if q.limit.is_some() || q.remaining.is_some() || q.reset_after.is_some() {
                return Some(q);
            }
        }
        if self.inin_allowed.is_some() || self.inin_count.is_some() || self.inin_reset.is_some() {
            let limit = self.inin_allowed.and_then(parse_u32);
            let count = self.inin_count.and_then(parse_u32);
            let q = Quota {
                style: HeaderStyle::Inin,
                limit,
                remaining: limit.zip(count).map(|(l, c)| l.saturating_sub(c)),
                reset_after: self.inin_reset.and_then(parse_delay),
                window: None,
            };
            if q.limit.is_some() || q.reset_after.is_some() {
                return Some(q);
            }
        }
        None
    }
}

fn body_starts_with_brace(body: &[u8]) -> bool {
    body.iter()
        .take(64)
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

/// The value as trimmed UTF-8 text, or nothing.
fn text(value: &[u8]) -> Option<&str> {
    std::str::from_utf8(value).ok().map(str::trim)
}

fn parse_u32(value: &[u8]) -> Option<u32> {
    let t = text(value)?;
    // Some servers send `100, 100;w=60` in the limit field (draft -06 allowed a policy there).
    let first = t.split([',', ';']).next()?.trim();
    first
        .parse::<u64>()
        .ok()
        .map(|v| v.min(u64::from(u32::MAX)) as u32)
}

/// Parses a non-negative number of seconds, integer or decimal, capped at a year.
fn parse_seconds(t: &str) -> Option<f64> {
    let t = t.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    v.is_finite().then_some(v)
}

fn seconds_to_duration(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(secs.min(MAX_DELAY_SECS)).ok()
}

fn parse_delay(value: &[u8]) -> Option<Duration> {
    seconds_to_duration(parse_seconds(text(value)?)?)
}

/// `Retry-After`: delta seconds, or an HTTP-date read against `now` (the past means zero).
fn parse_retry_after(value: &[u8], now: Option<SystemTime>) -> Option<Duration> {
    let t = text(value)?;
    if let Some(secs) = parse_seconds(t) {
        return seconds_to_duration(secs);
    }
    let at = httpdate::parse_http_date(t).ok()?;
    let now = now?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(max_delay()),
    )
}

fn max_delay() -> Duration {
    Duration::from_secs(MAX_DELAY_SECS as u64)
}

/// `X-RateLimit-Reset`: seconds to reset at some vendors, an epoch (seconds or milliseconds) at
/// others. Values no window could last (over about 31 years) are epochs, read against `now`.
fn parse_reset_maybe_epoch(value: &[u8], now: Option<SystemTime>) -> Option<Duration> {
    let secs = parse_seconds(text(value)?)?;
    if secs < EPOCH_THRESHOLD_SECS {
        return seconds_to_duration(secs);
    }
    let epoch_secs = if secs >= EPOCH_MILLIS_THRESHOLD {
        secs / 1000.0
    } else {
        secs
    };
    let at = UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(epoch_secs).ok()?)?;
    let now = now?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(max_delay()),
    )
}

/// Splits a structured-field list on commas outside double quotes.
fn split_list(t: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in t.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&t[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&t[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty())
}

/// One list member: its bare item (a name or a number) and its `;key=value` parameters.
fn split_member(member: &str) -> (&str, Vec<(&str, &str)>) {
    let mut pieces = member.split(';');
    let item = pieces.next().unwrap_or("").trim();
    let params = pieces
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim(), v.trim().trim_matches('"')))
        })
        .collect();
    (item, params)
}

fn param<'a>(params: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| *v)
}

fn str_u32(v: &str) -> Option<u32> {
    v.trim()
        .parse::<u64>()
        .ok()
        .map(|v| v.min(u64::from(u32::MAX)) as u32)
}

fn str_delay(v: &str) -> Option<Duration> {
    seconds_to_duration(parse_seconds(v)?)
}

/// Drafts -08 to -11: `RateLimit: "p";r=50;t=30` with `RateLimit-Policy: "p";q=100;w=60`.
/// When several policies are reported, the one with the least remaining is the binding one.
fn parse_structured(combined: &str, policy: Option<&str>) -> Option<Quota> {
    let mut best: Option<Quota> = None;
    for member in split_list(combined) {
        let (name, params) = split_member(member);
        let Some(remaining) = param(&params, "r").and_then(str_u32) else {
            continue;
        };
        let reset_after = param(&params, "t").and_then(str_delay);
        let (limit, window) = policy
            .and_then(|p| {
                split_list(p).find_map(|pm| {
                    let (pname, pparams) = split_member(pm);
                    (pname == name).then(|| {
                        (
                            param(&pparams, "q").and_then(str_u32),
                            param(&pparams, "w").and_then(str_delay),
                        )
                    })
                })
            })
            .unwrap_or((None, None));
        let quota = Quota {
            style: HeaderStyle::IetfStructured,
            limit,
            remaining: Some(remaining),
            reset_after,
            window,
        };
        if best
            .as_ref()
            .is_none_or(|b| b.remaining.unwrap_or(u32::MAX) > remaining)
        {
            best = Some(quota);
        }
    }
    best
}

/// Draft -07: `RateLimit: limit=100, remaining=50, reset=5`.
fn parse_combined(combined: &str) -> Option<Quota> {
    let mut quota = Quota {
        style: HeaderStyle::IetfCombined,
        limit: None,
        remaining: None,
        reset_after: None,
        window: None,
    };
    for member in split_list(combined) {
        let Some((k, v)) = member.split(';').next().and_then(|m| m.split_once('=')) else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "limit" => quota.limit = str_u32(v),
            "remaining" => quota.remaining = str_u32(v),
            "reset" => quota.reset_after = str_delay(v),
            _ => {}
        }
    }
    (quota.limit.is_some() || quota.remaining.is_some() || quota.reset_after.is_some())
        .then_some(quota)
}

/// Draft -06 policy `100;w=60` (possibly a list such as `10;w=1, 100;w=60`): the first window.
fn policy_window_draft6(policy: &str) -> Option<Duration> {
    split_list(policy).find_map(|m| {
        let (_, params) = split_member(m);
        param(&params, "w").and_then(str_delay)
    })
}

/// The Genesys 429 body (or any JSON error body with `code`, `message` and `limit`).
fn parse_body(body: &[u8]) -> Option<ThrottleBody> {
    if body.len() > MAX_BODY {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    let code = obj.get("code").and_then(|c| c.as_str()).map(str::to_owned);
    let message_seconds = obj
        .get("message")
        .and_then(|m| m.as_str())
        .and_then(message_seconds);
    let limit = obj.get("limit").and_then(|l| l.as_object()).and_then(|l| {
        Some(NamedLimit {
            key: l.get("key")?.as_str()?.to_owned(),
            namespace: l
                .get("namespace")
                .and_then(|n| n.as_str())
                .map(str::to_owned),
            value: l.get("value").and_then(|v| v.as_u64()),
        })
    });
    (code.is_some() || message_seconds.is_some() || limit.is_some()).then_some(ThrottleBody {
        code,
        message_seconds,
        limit,
    })
}

/// The seconds in `... Retry the request in [42] seconds`, or in `... after 42 second(s)`,
/// capped at a year like every other delay.
fn message_seconds(message: &str) -> Option<u64> {
    message_seconds_uncapped(message).map(|secs| secs.min(MAX_DELAY_SECS as u64))
}

fn message_seconds_uncapped(message: &str) -> Option<u64> {
    if let Some(open) = message.find('[') {
        let rest = &message[open + 1..];
        if let Some(close) = rest.find(']')
            && let Ok(v) = rest[..close].trim().parse()
        {
            return Some(v);
        }
    }
    let lower = message.to_ascii_lowercase();
    let idx = lower.find(" second")?;
    let before = lower[..idx].trim_end();
    let digits_start = before
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    before[digits_start..].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_h(status: u16, headers: &[(&str, &str)], body: &str) -> Signals {
        let pairs: Vec<(&[u8], &[u8])> = headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        parse(status, &pairs, body.as_bytes(), ParseContext::default())
    }

    fn secs(s: u64) -> Option<Duration> {
        Some(Duration::from_secs(s))
    }

    #[test]
    fn a_wait_in_the_message_is_capped_at_a_year_like_the_headers() {
        // Found by the `signals` fuzz target: the wait hint passed a year.
        let body = r#"{"message":"Retry the request in [088888888888888888] seconds"}"#;
        let signals = parse_h(429, &[], body);
        assert_eq!(
            signals.wait_hint(),
            Some(Duration::from_secs(MAX_DELAY_SECS as u64))
        );
    }

    #[test]
    fn retry_after_seconds_zero_and_garbage() {
        assert_eq!(
            parse_h(429, &[("Retry-After", "42")], "").retry_after,
            secs(42)
        );
        assert_eq!(
            parse_h(429, &[("retry-after", " 0 ")], "").retry_after,
            secs(0)
        );
        assert_eq!(
            parse_h(429, &[("Retry-After", "soon")], "").retry_after,
            None
        );
        assert_eq!(parse_h(429, &[("Retry-After", "-5")], "").retry_after, None);
        assert_eq!(parse_h(429, &[("Retry-After", "")], "").retry_after, None);
        assert_eq!(
            parse_h(429, &[("Retry-After", "99999999999999999999999")], "").retry_after,
            Some(max_delay())
        );
    }

    #[test]
    fn retry_after_http_date_is_relative_to_the_date_header() {
        let s = parse_h(
            429,
            &[
                ("Date", "Wed, 21 Oct 2015 07:28:00 GMT"),
                ("Retry-After", "Wed, 21 Oct 2015 07:28:30 GMT"),
            ],
            "",
        );
        assert_eq!(s.retry_after, secs(30));
        // In the past: retry now.
        let s = parse_h(
            429,
            &[
                ("Date", "Wed, 21 Oct 2015 07:28:00 GMT"),
                ("Retry-After", "Wed, 21 Oct 2015 07:27:00 GMT"),
            ],
            "",
        );
        assert_eq!(s.retry_after, secs(0));
        // Without a Date header the caller's clock is used; without either, nothing is known.
        let pairs: &[(&[u8], &[u8])] = &[(b"Retry-After", b"Wed, 21 Oct 2015 07:28:30 GMT")];
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:20 GMT").unwrap();
        let s = parse(429, pairs, b"", ParseContext { now: Some(now) });
        assert_eq!(s.retry_after, secs(10));
        assert_eq!(
            parse(429, pairs, b"", ParseContext::default()).retry_after,
            None
        );
    }

    #[test]
    fn a_success_body_is_the_answer_not_a_throttle() {
        // A stored object may hold the very words of a throttle body; only errors are read.
        let body = r#"{"code":"too.many.requests","message":"Retry the request in [42] seconds"}"#;
        assert!(parse_h(200, &[], body).body.is_none());
        assert!(parse_h(429, &[], body).body.is_some());
        // A Date alone says nothing; with a quota it dates the reset.
        let date = ("Date", "Sun, 29 Nov 2026 10:00:00 GMT");
        assert!(parse_h(200, &[date], "").quota.is_none());
        let reset = ("X-RateLimit-Reset", "1795946460");
        let quota = parse_h(200, &[date, ("X-RateLimit-Remaining", "3"), reset], "").quota;
        assert_eq!(quota.unwrap().reset_after, secs(60));
    }

    #[test]
    fn genesys_body_code_seconds_and_limit() {
        let body = r#"{"message":"Rate limit exceeded the maximum. Retry the request in [42] seconds",
            "code":"too.many.requests.retry.after","status":429,"contextId":"c","details":[],"errors":[],
            "limit":{"key":"client.credentials.token.rate.per.minute","namespace":"platform.api","value":300}}"#;
        let s = parse_h(429, &[], body);
        let b = s.body.clone().unwrap();
        assert_eq!(b.code.as_deref(), Some("too.many.requests.retry.after"));
        assert_eq!(b.message_seconds, Some(42));
        let limit = b.limit.unwrap();
        assert_eq!(limit.value, Some(300));
        assert_eq!(limit.window(), secs(60));
        assert!(limit.is_token_limit());
        assert_eq!(s.wait_hint(), secs(42));
        // The seed thread's style of message.
        let s = parse_h(
            429,
            &[],
            r#"{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Retry after 3 second(s).","status":429}"#,
        );
        assert_eq!(s.body.unwrap().message_seconds, Some(3));
        // Not JSON, or JSON of another shape: no body signal.
        assert_eq!(parse_h(429, &[], "<html>").body, None);
        assert_eq!(parse_h(429, &[], "[1,2]").body, None);
    }

    #[test]
    fn x_ratelimit_reset_as_delay_or_epoch() {
        let s = parse_h(
            200,
            &[
                ("X-RateLimit-Limit", "300"),
                ("X-RateLimit-Remaining", "12"),
                ("X-RateLimit-Reset", "7"),
            ],
            "",
        );
        let q = s.quota.unwrap();
        assert_eq!(q.style, HeaderStyle::XRateLimit);
        assert_eq!(
            (q.limit, q.remaining, q.reset_after),
            (Some(300), Some(12), secs(7))
        );
        // GitHub style: an epoch, read against the Date header.
        let s = parse_h(
            200,
            &[
                ("Date", "Wed, 21 Oct 2015 07:28:00 GMT"),
                ("X-RateLimit-Limit", "5000"),
                ("X-RateLimit-Remaining", "4999"),
                ("X-RateLimit-Reset", "1445412500"),
            ],
            "",
        );
        assert_eq!(s.quota.unwrap().reset_after, secs(20));
        // An epoch in milliseconds.
        let s = parse_h(
            200,
            &[
                ("Date", "Wed, 21 Oct 2015 07:28:00 GMT"),
                ("X-RateLimit-Reset", "1445412490000"),
            ],
            "",
        );
        assert_eq!(s.quota.unwrap().reset_after, secs(10));
    }

    #[test]
    fn ietf_draft_generations() {
        let s = parse_h(
            200,
            &[
                ("RateLimit-Limit", "100"),
                ("RateLimit-Remaining", "50"),
                ("RateLimit-Reset", "5"),
                ("RateLimit-Policy", "100;w=60"),
            ],
            "",
        );
        let q = s.quota.unwrap();
        assert_eq!(q.style, HeaderStyle::IetfSeparate);
        assert_eq!(
            (q.limit, q.remaining, q.reset_after, q.window),
            (Some(100), Some(50), secs(5), secs(60))
        );

        let s = parse_h(
            200,
            &[("RateLimit", "limit=100, remaining=50, reset=5")],
            "",
        );
        let q = s.quota.unwrap();
        assert_eq!(q.style, HeaderStyle::IetfCombined);
        assert_eq!(
            (q.limit, q.remaining, q.reset_after),
            (Some(100), Some(50), secs(5))
        );

        let s = parse_h(
            200,
            &[
                (
                    "RateLimit-Policy",
                    "\"burst\";q=10;w=1, \"day\";q=1000;w=86400",
                ),
                ("RateLimit", "\"burst\";r=7;t=1, \"day\";r=3;t=3600"),
            ],
            "",
        );
        let q = s.quota.unwrap();
        assert_eq!(q.style, HeaderStyle::IetfStructured);
        assert_eq!(
            (q.limit, q.remaining, q.reset_after, q.window),
            (Some(1000), Some(3), secs(3600), secs(86_400))
        );
    }

    #[test]
    fn legacy_inin_headers() {
        let s = parse_h(
            200,
            &[
                ("inin-ratelimit-allowed", "300"),
                ("inin-ratelimit-count", "120"),
                ("inin-ratelimit-reset", "40"),
            ],
            "",
        );
        let q = s.quota.unwrap();
        assert_eq!(q.style, HeaderStyle::Inin);
        assert_eq!(
            (q.limit, q.remaining, q.reset_after),
            (Some(300), Some(180), secs(40))
        );
    }

    #[test]
    fn precedence_prefers_the_ietf_fields() {
        let s = parse_h(
            200,
            &[
                ("X-RateLimit-Remaining", "9"),
                ("RateLimit", "limit=10, remaining=4, reset=1"),
            ],
            "",
        );
        assert_eq!(s.quota.unwrap().remaining, Some(4));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_on_any_bytes(
            status in 0u16..1000,
            headers in proptest::collection::vec(
                (proptest::sample::select(vec![
                    b"Retry-After".to_vec(), b"Date".to_vec(), b"X-RateLimit-Reset".to_vec(),
                    b"X-RateLimit-Limit".to_vec(), b"X-RateLimit-Remaining".to_vec(),
                    b"RateLimit".to_vec(), b"RateLimit-Policy".to_vec(), b"RateLimit-Reset".to_vec(),
                    b"RateLimit-Limit".to_vec(), b"inin-ratelimit-count".to_vec(), b"x-other".to_vec(),
                ]), proptest::collection::vec(proptest::num::u8::ANY, 0..40)),
                0..8),
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
        ) {
            let pairs: Vec<(&[u8], &[u8])> = headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice())).collect();
            let _ = parse(status, &pairs, &body, ParseContext { now: Some(SystemTime::UNIX_EPOCH) });
            let _ = parse(status, &pairs, &body, ParseContext::default());
        }

        #[test]
        fn parsing_never_panics_on_plausible_text(
            value in "[0-9a-zA-Z ;=,\".:-]{0,40}",
            message in "[\\[\\]0-9a-z ]{0,40}",
        ) {
            let pairs: Vec<(&[u8], &[u8])> = vec![
                (b"Retry-After", value.as_bytes()), (b"RateLimit", value.as_bytes()),
                (b"RateLimit-Policy", value.as_bytes()), (b"X-RateLimit-Reset", value.as_bytes()),
                (b"Date", value.as_bytes()),
            ];
            let body = format!("{{\"code\":\"x\",\"message\":\"{message}\",\"limit\":{{\"key\":\"{value}\"}}}}");
            let _ = parse(429, &pairs, body.as_bytes(), ParseContext { now: Some(SystemTime::now()) });
        }
    }
}
