//! The shared budget: permits leased from the ADMIT script (every shared limit in the shape the
//! runners know of it, behind the gate a 429 closes), limits declared or learned into Redis, what
//! responses teach of their shapes, and the local share used while Redis is away.

use std::sync::atomic::Ordering;
use std::time::Duration;

use pacer_client::{Admission, SharedBudget, SharedFuture};
use pacer_core::signals::Signals;
use tokio::time::Instant;

use crate::error::Result;
use crate::learn::{self, Lessons, Op};
use crate::lease::{GiveBack, Lease};
use crate::shape::Model;
use crate::{Coordinator, scripts};

/// The least time between two applications of headers that only follow a known shape.
const SYNC_EVERY: Duration = Duration::from_millis(50);

/// A limit every runner shares: an organization-wide or per-endpoint limit.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedLimit {
    /// Its key, such as `org.api.rate.per.minute`.
    pub name: String,
    /// Requests per window.
    pub limit: u64,
    pub window: Duration,
    /// Learned from a 429 (else declared, by the limits API or the user).
    pub learned: bool,
}

/// The shared limits as last read from Redis.
#[derive(Debug, Default)]
pub(crate) struct Known {
    pub generation: u64,
    pub models: Vec<Model>,
}

/// The ADMIT script's answer.
struct Grant {
    granted: u64,
    wait_us: u64,
    life_us: u64,
    generation: u64,
    now_us: u64,
    used_ppm: u64,
    limited: bool,
}

impl Coordinator {
    /// Puts `limits` in the run's budget, as counts per window whose shape the runners will
    /// learn (a stricter one already there is kept; the same one keeps what was learned of it).
    pub async fn declare(&self, limits: &[SharedLimit]) -> Result<()> {
        let inner = &self.inner;
        for limit in limits {
            let model = Model::window(&limit.name, limit.limit, limit.window, limit.learned);
            let _: i64 = inner
                .link
                .eval(
                    &scripts::DECLARE,
                    &[&inner.keys.limits, &inner.keys.generation],
                    &[limit.name.clone(), model.encode()],
                )
                .await?;
        }
        self.read_limits().await
    }

    /// Rereads the shared limits and their generation.
    pub(crate) async fn read_limits(&self) -> Result<()> {
        let inner = &self.inner;
        let mut pipe = redis::pipe();
        pipe.cmd("HGETALL")
            .arg(&inner.keys.limits)
            .cmd("GET")
            .arg(&inner.keys.generation);
        let (all, generation): (Vec<(String, String)>, Option<u64>) =
            inner.link.pipe(&pipe).await?;
        let mut models: Vec<Model> = all
            .iter()
            .filter_map(|(name, line)| Model::decode(name, line))
            .collect();
        models.sort_by(|a, b| a.name.cmp(&b.name));
        if !models.is_empty() {
            // A lease taken while no limit was known counted nothing: it ends now.
            self.permits().end_unlimited();
        }
        *inner.known.lock().unwrap_or_else(|e| e.into_inner()) = Known {
            generation: generation.unwrap_or(0),
            models,
        };
        Ok(())
    }

    fn models(&self) -> Vec<Model> {
        let known = self.inner.known.lock().unwrap_or_else(|e| e.into_inner());
        known.models.clone()
    }

    /// The shared limits as last read: name and what is known of each.
    pub fn known_limits(&self) -> Vec<String> {
        self.models()
            .iter()
            .map(|model| format!("{}: {model}", model.name))
            .collect()
    }

    /// The local share while Redis is away, in requests per minute (`None` when no shared limit
    /// is known).
    pub fn fallback_share_per_min(&self) -> Option<f64> {
        let rate = self.strictest(self.inner.options.margin)?;
        Some(rate * 60.0 / f64::from(self.runners_alive()))
    }

    /// The strictest shared limit's sustained rate in requests per second, as the server counts
    /// it (without the margin kept in reserve); `None` when none is known.
    pub fn shared_rate_per_sec(&self) -> Option<f64> {
        self.strictest(0.0)
    }

    fn strictest(&self, margin: f64) -> Option<f64> {
        self.models()
            .iter()
            .map(|model| model.rate_per_sec(margin))
            .min_by(f64::total_cmp)
    }

    /// One permit: from this runner's lease, or from a new one.
    async fn admit_shared(&self) -> Admission {
        let inner = &self.inner;
        {
            let mut permits = self.permits();
            let now = Instant::now();
            if permits.take(now) {
                return Admission::Go;
            }
            // Permits reserved ahead, or refused lately: wait as long, without asking again.
            if let Some(wait) = permits.starts_in(now).or(permits.refused_for(now)) {
                return Admission::Wait(wait);
            }
        }
        inner.waiting.fetch_add(1, Ordering::Relaxed);
        let _turn = inner.refill.lock().await;
        let waiting = inner.waiting.fetch_sub(1, Ordering::Relaxed);
        // Another request may have taken a lease meanwhile.
        let now = Instant::now();
        let (want, back) = {
            let mut permits = self.permits();
            if permits.take(now) {
                return Admission::Go;
            }
            if let Some(wait) = permits.starts_in(now) {
                return Admission::Wait(wait);
            }
            let life = permits.last_life();
            (permits.want(now, waiting, life), permits.end())
        };
        match self.lease(want, back).await {
            Ok(grant) if grant.granted > 0 => {
                self.took(&grant, now, Instant::now()).await;
                let mut permits = self.permits();
                let now = Instant::now();
                if permits.take(now) {
                    Admission::Go
                } else {
                    // Reserved ahead; or the lease ran out before its first permit (a very slow
                    // reply), and the next turn asks again.
                    Admission::Wait(permits.starts_in(now).unwrap_or(Duration::from_micros(1)))
                }
            }
            Ok(grant) => {
                let wait = Duration::from_micros(grant.wait_us.max(1));
                self.permits().refused(now + wait);
                Admission::Wait(wait)
            }
            Err(_) => self.admit_alone(),
        }
    }

    fn permits(&self) -> std::sync::MutexGuard<'_, crate::lease::Permits> {
        self.inner.permits.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks ADMIT for `want` permits (0: only gives `back`).
    async fn lease(&self, want: u64, back: Option<GiveBack>) -> Result<Grant> {
        let inner = &self.inner;
        let back = back.unwrap_or(GiveBack {
            at_us: 0,
            count: 0,
            life_us: 0,
            generation: 0,
        });
        let args = [
            inner.keys.state_prefix.clone(),
            want.to_string(),
            ((inner.options.margin.clamp(0.0, 0.5) * 1e6) as u64).to_string(),
            self.runners_alive().to_string(),
            back.at_us.to_string(),
            back.count.to_string(),
            back.life_us.to_string(),
            back.generation.to_string(),
        ];
        let keys = [
            inner.keys.limits.as_str(),
            &inner.keys.gate,
            &inner.keys.generation,
        ];
        let reply: Vec<i64> = inner.link.eval(&scripts::ADMIT, &keys, &args).await?;
        let at = |i: usize| reply.get(i).copied().unwrap_or(0).max(0) as u64;
        Ok(Grant {
            granted: at(0),
            wait_us: at(1),
            life_us: at(2),
            generation: at(3),
            now_us: at(4),
            used_ppm: at(5),
            limited: at(6) > 0,
        })
    }

    /// Takes a lease granted to a request sent at `sent` and answered at `received`, and
    /// rereads the limits when they changed since last read.
    async fn took(&self, grant: &Grant, sent: Instant, received: Instant) {
        let inner = &self.inner;
        *inner.fallback.lock().unwrap_or_else(|e| e.into_inner()) = None;
        inner.used_ppm.store(grant.used_ppm, Ordering::Relaxed);
        // Redis granted it between the request's departure and its answer: its permits are used
        // no sooner than their moment counted from the answer, and no later than their life
        // counted from the departure.
        let ahead = Duration::from_micros(grant.wait_us);
        self.permits().grant(Lease {
            left: grant.limited.then_some(grant.granted),
            from: received + ahead,
            until: sent + ahead + Duration::from_micros(grant.life_us),
            at_us: grant.now_us,
            life_us: grant.life_us,
            generation: grant.generation,
        });
        let stale = inner
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .generation
            != grant.generation;
        if stale {
            let _ = self.read_limits().await;
        }
    }

    /// Gives back what the current lease left unused once it has run out (for the keeper, while
    /// this runner sends nothing).
    pub(crate) async fn give_back_idle(&self) -> Result<()> {
        let back = self.permits().end_if_over(Instant::now());
        if back.is_some() {
            self.lease(0, back).await?;
        }
        Ok(())
    }

    /// Gives back the current lease's unused permits at once (this runner has finished).
    pub(crate) async fn give_back_all(&self) -> Result<()> {
        let back = self.permits().end();
        if back.is_some() {
            self.lease(0, back).await?;
        }
        Ok(())
    }

    /// What [`SharedBudget::observe`] does in the background, awaited: what the response teaches
    /// the shared budget (see `learn.rs`).
    pub async fn observe_now(&self, status: u16, signals: &Signals) {
        let lessons = self.lessons_of(status, signals);
        self.apply(lessons).await;
    }

    fn lessons_of(&self, status: u16, signals: &Signals) -> Lessons {
        if status != 429 && signals.quota.is_none() {
            return Lessons::default();
        }
        let lessons = {
            let known = self.inner.known.lock().unwrap_or_else(|e| e.into_inner());
            let mut own = self.inner.own.lock().unwrap_or_else(|e| e.into_inner());
            learn::lessons(status, signals, &known.models, &mut own)
        };
        if lessons.refused {
            // What this runner holds of the refused limit is not sent: the server has none left.
            self.permits().end();
        }
        lessons
    }

    /// Closes the gate, declares a named limit, and changes a model, as `lessons` say.
    async fn apply(&self, lessons: Lessons) {
        let inner = &self.inner;
        if let Some(wait) = lessons.gate {
            let _: Result<i64> = inner
                .link
                .eval(
                    &scripts::GATE,
                    &[&inner.keys.gate],
                    &[
                        wait.as_millis().max(1).to_string(),
                        inner.options.runner.clone(),
                    ],
                )
                .await;
        }
        if let Some(limit) = lessons.named {
            let _ = self.declare(&[limit]).await;
        }
        if let Some((name, op)) = lessons.op {
            let _ = self.learn(&name, &op).await;
        }
    }

    /// Applies `op` to the model of `name` (LEARN), and rereads the limits when it changed.
    async fn learn(&self, name: &str, op: &Op) -> Result<()> {
        let inner = &self.inner;
        let (what, a, b) = op.args();
        let changed: i64 = inner
            .link
            .eval(
                &scripts::LEARN,
                &[&inner.keys.limits, &inner.keys.generation],
                &[
                    inner.keys.state_prefix.clone(),
                    name.to_string(),
                    what.to_string(),
                    ((inner.options.margin.clamp(0.0, 0.5) * 1e6) as u64).to_string(),
                    self.runners_alive().to_string(),
                    a.to_string(),
                    b.to_string(),
                ],
            )
            .await?;
        if changed == 1 {
            self.read_limits().await?;
        }
        Ok(())
    }
}

impl SharedBudget for Coordinator {
    fn admit(&self) -> SharedFuture<'_, Admission> {
        Box::pin(self.admit_shared())
    }

    fn observe(&self, status: u16, signals: &Signals) {
        let lessons = self.lessons_of(status, signals);
        if lessons.is_empty() {
            return;
        }
        let inner = &self.inner;
        let follows = lessons.follows;
        if follows {
            // Headers that only follow the server's state: one at a time, spaced out.
            let mut last = inner.last_sync.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| at.elapsed() < SYNC_EVERY)
                || inner.syncing.swap(true, Ordering::AcqRel)
            {
                return;
            }
            *last = Some(Instant::now());
        }
        let coordinator = self.clone();
        tokio::spawn(async move {
            coordinator.apply(lessons).await;
            if follows {
                coordinator.inner.syncing.store(false, Ordering::Release);
            }
        });
    }
}
