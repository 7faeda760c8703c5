//! Rate-limit signals: any status, headers and body parse without panic, and the pacer that
//! learns from them keeps its promises (a wait is always in the future, time never overflows).

use std::time::{Duration, SystemTime};

use pacer_core::pacer::{Acquire, Feedback, Pacer, PacerConfig, Route};
use pacer_core::signals::{self, ParseContext};

use crate::draw::Draw;

/// Up to eight responses, each `status(2) latency(1) headers.. \n\n body \0`, parsed and fed to
/// one pacer in turn.
pub fn run(data: &[u8]) {
    let mut draw = Draw::new(data);
    let mut pacer = Pacer::new(PacerConfig::default());
    let token = pacer.scope("token");
    let endpoint = pacer.scope("endpoint");
    let route = Route::new(token, Some(endpoint));
    let mut now = Duration::from_secs(1);
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
    for _ in 0..8 {
        if draw.is_empty() {
            break;
        }
        let status = 100 + draw.u16() % 500;
        let latency = Duration::from_millis(u64::from(draw.byte()) * 10);
        let mut headers = Vec::new();
        loop {
            let line = draw.line();
            if line.is_empty() || headers.len() >= 16 {
                break;
            }
            let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
            let value = line.get(colon + 1..).unwrap_or(&[]);
            headers.push((&line[..colon], value));
        }
        let body = draw.line();
        let parsed = signals::parse(status, &headers, body, ParseContext { now: Some(wall) });
        if status < 400 {
            assert!(parsed.body.is_none(), "a success's body is no throttle");
        }
        if let Some(wait) = parsed.wait_hint() {
            assert!(wait <= Duration::from_secs(366 * 24 * 3600), "{wait:?}");
        }
        match pacer.acquire(route, now) {
            Acquire::Send(permit) => {
                now += latency;
                pacer.complete(permit, now, Feedback::Response(&parsed));
            }
            Acquire::Wait(until) => {
                assert!(until > now, "a wait until {until:?} at {now:?}");
                now = until;
            }
            Acquire::AtCapacity => now += latency,
        }
    }
}
