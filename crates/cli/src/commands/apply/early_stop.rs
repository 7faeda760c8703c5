//! Stopping a per-agent run early when its first items all fail alike: twenty 404s in a row mean
//! the route does not exist here, and sending the rest would only repeat it.

use pacer_client::Event;

/// Items that must fail alike, with none done, before the run stops.
pub const ALIKE: u64 = 20;

/// Counts the first outcomes of a run.
#[derive(Debug, Default)]
pub struct AlikeFailures {
    done: u64,
    failed: u64,
    /// The status every failure so far had (`None` inside: no response), while they agree.
    status: Option<Option<u16>>,
    mixed: bool,
}

impl AlikeFailures {
    /// Takes one event into account.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Done { .. } => self.done += 1,
            Event::Failed { status, .. } => {
                self.failed += 1;
                match self.status {
                    None => self.status = Some(*status),
                    Some(seen) if seen != *status => self.mixed = true,
                    Some(_) => {}
                }
            }
            _ => {}
        }
    }

    /// Why the run should stop, once the first [`ALIKE`] items all failed with one status.
    pub fn reason(&self, request: &str) -> Option<String> {
        if self.done > 0 || self.mixed || self.failed < ALIKE {
            return None;
        }
        let status = self.status.flatten();
        Some(match status {
            Some(404) => format!(
                "the first {ALIKE} items all failed with 404 Not Found: {request} does not exist on this API, so the run stopped early. \
                 Genesys Cloud has no per-agent schedule route: schedules change through the business unit's schedule update, \
                 `pacer apply FILE --business-unit NAME` (the route of the seed thread exists only on the emulator's seed profile)"
            ),
            Some(status) => format!(
                "the first {ALIKE} items all failed with {status}, so the run stopped early; the failed items say why"
            ),
            None => format!(
                "the first {ALIKE} items all failed without an answer, so the run stopped early; the failed items say why"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(status: Option<u16>) -> Event {
        Event::Failed {
            line: 1,
            status,
            reason: String::new(),
            attempts: 1,
        }
    }

    #[test]
    fn twenty_alike_failures_stop_the_run_and_anything_else_does_not() {
        let mut first = AlikeFailures::default();
        for _ in 0..19 {
            first.observe(&failed(Some(404)));
        }
        assert!(first.reason("PUT /x").is_none());
        first.observe(&failed(Some(404)));
        let reason = first.reason("PUT /x").unwrap();
        assert!(reason.contains("--business-unit"), "{reason}");

        let mut mixed = AlikeFailures::default();
        mixed.observe(&failed(Some(400)));
        for _ in 0..30 {
            mixed.observe(&failed(Some(404)));
        }
        assert!(mixed.reason("PUT /x").is_none());

        let mut some_done = AlikeFailures::default();
        some_done.observe(&Event::Done {
            line: 1,
            status: 200,
            correlation_id: None,
            attempts: 1,
        });
        for _ in 0..30 {
            some_done.observe(&failed(Some(404)));
        }
        assert!(some_done.reason("PUT /x").is_none());
    }
}
