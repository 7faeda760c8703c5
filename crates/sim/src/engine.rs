//! The discrete-event core: virtual time, a binary heap of events, requests in flight and counters.
//!
//! A request sent at `t` with round trip `rtt` reaches the server at `t + rtt/2`, where the server
//! model decides its response, and the response reaches the client at `t + rtt`. Nothing sleeps and
//! nothing reads a clock: time jumps from one event to the next.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use pacer_core::rng::Rng;

use crate::server::{Response, Server};

/// Virtual time after which a run is stopped and its unfinished items counted as lost (30 days).
const MAX_VIRTUAL_TIME: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrive(usize),
    Respond(usize),
    Wake(u64),
}

struct InFlight {
    item: u32,
    tag: u64,
    rtt: Duration,
    response: Option<Response>,
}

/// Counters of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests sent.
    pub requests: u64,
    /// Responses with status 429.
    pub throttled: u64,
    /// Items written.
    pub completed: u64,
    /// Items given up (failed, parked, or left when the run stopped).
    pub lost: u64,
    /// The most attempts any one item took.
    pub max_attempts: u32,
    /// When the last item was finished (written or given up).
    pub elapsed: Duration,
    /// Items written over time, cumulative: a point every [`PROGRESS_POINTS`]th of the items,
    /// and the last one written.
    pub progress: Vec<(Duration, u64)>,
}

/// About how many points a run's progress keeps, whatever its number of items.
pub const PROGRESS_POINTS: u64 = 300;

/// The world a client strategy acts in.
pub struct World {
    now: Duration,
    seq: u64,
    queue: BinaryHeap<Reverse<(Duration, u64, Event)>>,
    server: Server,
    in_flight: Vec<Option<InFlight>>,
    free: Vec<usize>,
    /// The client's own randomness (jitter), separate from the server's.
    pub rng: Rng,
    items: u64,
    next_item: u64,
    attempts: Vec<u32>,
    finished: Vec<bool>,
    counters: Counters,
    /// When the latest item was written, and how many were by then.
    last_done: (Duration, u64),
}

/// A client strategy, driven by the world's events.
pub trait Client {
    /// Called once at time zero.
    fn start(&mut self, world: &mut World);
    /// A response to a request sent with `tag` for `item` has arrived.
    fn on_response(&mut self, world: &mut World, item: u32, tag: u64, response: Response);
    /// A wake-up asked for with `tag` is due.
    fn on_wake(&mut self, world: &mut World, tag: u64);
}

impl World {
    /// A world of `items` items against `server`.
    pub fn new(server: Server, items: u64, rng: Rng) -> Self {
        let n = usize::try_from(items).unwrap_or(usize::MAX);
        Self {
            now: Duration::ZERO,
            seq: 0,
            queue: BinaryHeap::new(),
            server,
            in_flight: Vec::new(),
            free: Vec::new(),
            rng,
            items,
            next_item: 0,
            attempts: vec![0; n],
            finished: vec![false; n],
            counters: Counters::default(),
            last_done: (Duration::ZERO, 0),
        }
    }

    /// The virtual time.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Items in the run.
    pub fn items(&self) -> u64 {
        self.items
    }

    /// The next item nobody has taken yet.
    pub fn take_item(&mut self) -> Option<u32> {
        (self.next_item < self.items).then(|| {
            self.next_item += 1;
            (self.next_item - 1) as u32
        })
    }

    fn push(&mut self, at: Duration, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, event)));
    }

    /// Sends a request for `item` now; its response comes back with `tag`.
    pub fn send(&mut self, item: u32, tag: u64) {
        let rtt = self.server.round_trip();
        let slot = InFlight {
            item,
            tag,
            rtt,
            response: None,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.in_flight[id] = Some(slot);
                id
            }
            None => {
                self.in_flight.push(Some(slot));
                self.in_flight.len() - 1
            }
        };
        self.counters.requests += 1;
        let a = &mut self.attempts[item as usize];
        *a += 1;
        self.counters.max_attempts = self.counters.max_attempts.max(*a);
        self.push(self.now + rtt / 2, Event::Arrive(id));
    }

    /// Asks for `on_wake(tag)` at `at` (or now, if `at` has passed).
    pub fn wake_at(&mut self, at: Duration, tag: u64) {
        self.push(at.max(self.now), Event::Wake(tag));
    }

    /// Marks an item written.
    pub fn done(&mut self, item: u32) {
        if !std::mem::replace(&mut self.finished[item as usize], true) {
            self.counters.completed += 1;
            self.counters.elapsed = self.now;
            let stride = (self.items / PROGRESS_POINTS).max(1);
            if self.counters.completed.is_multiple_of(stride)
                || self.counters.completed == self.items
            {
                self.counters
                    .progress
                    .push((self.now, self.counters.completed));
            }
            self.last_done = (self.now, self.counters.completed);
        }
    }

    /// Marks an item given up.
    pub fn lose(&mut self, item: u32) {
        if !std::mem::replace(&mut self.finished[item as usize], true) {
            self.counters.lost += 1;
            self.counters.elapsed = self.now;
        }
    }

    fn all_finished(&self) -> bool {
        self.counters.completed + self.counters.lost >= self.items
    }

    /// Runs `client` to the end and returns the counters.
    pub fn run(mut self, client: &mut dyn Client) -> Counters {
        client.start(&mut self);
        while let Some(Reverse((at, _, event))) = self.queue.pop() {
            if self.all_finished() || at > MAX_VIRTUAL_TIME {
                break;
            }
            self.now = at;
            match event {
                Event::Arrive(id) => {
                    let response = self.server.handle(at);
                    let slot = self.in_flight[id].as_mut().expect("a request in flight");
                    let back = slot.rtt - slot.rtt / 2;
                    slot.response = Some(response);
                    self.push(at + back, Event::Respond(id));
                }
                Event::Respond(id) => {
                    self.server.release(at);
                    let slot = self.in_flight[id].take().expect("a request in flight");
                    self.free.push(id);
                    let response = slot.response.expect("answered before it returns");
                    if response.status == 429 {
                        self.counters.throttled += 1;
                    }
                    client.on_response(&mut self, slot.item, slot.tag, response);
                }
                Event::Wake(tag) => client.on_wake(&mut self, tag),
            }
        }
        // The progress ends with the last item written, wherever its stride fell.
        if self.last_done.1 > 0 && self.counters.progress.last() != Some(&self.last_done) {
            self.counters.progress.push(self.last_done);
        }
        // Items nobody finished (the client stalled or time ran out) are lost.
        let unfinished = self.items - self.counters.completed - self.counters.lost;
        if unfinished > 0 {
            self.counters.lost += unfinished;
            self.counters.elapsed = self.now;
        }
        self.counters
    }
}
