//! The run's queue: a stream of the input's items read by one consumer group. The first runner
//! loads it; an item taken is leased to its runner (in the group's pending list) until it is
//! acknowledged after the server's 2xx (or its failure for good); a runner silent past the lease
//! has its items claimed by the others (XAUTOCLAIM), and a live one renews what it holds.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use redis::Value;

use crate::error::{Error, Result};
use crate::keys::{GROUP, Keys};
use crate::link::Link;
use crate::{Coordinator, scripts};

/// Items loaded per round trip.
const LOAD_BATCH: usize = 500;
/// Acknowledgements per script call (Lua's `unpack` takes a few thousand values at most).
const ACK_BATCH: usize = 500;
/// How often a joining runner looks whether the first has finished loading.
const LOAD_POLL: Duration = Duration::from_millis(10);
/// How long a joining runner waits for the first to finish loading.
const LOAD_WAIT: Duration = Duration::from_secs(60);

/// One item of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub line: u64,
    pub user_id: String,
    pub body: Bytes,
}

/// How this runner came into the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// It loaded the queue.
    Loaded,
    /// Another runner had loaded it (or is loading it) with the same input.
    Joined,
}

/// How an item ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed(String),
}

/// An acknowledgement waiting to be written.
#[derive(Debug, Clone)]
pub(crate) struct Ack {
    id: String,
    line: u64,
    outcome: Outcome,
}

/// The whole run's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunCounts {
    pub total: u64,
    pub done: u64,
    pub failed: u64,
    /// Items leased to a runner and not yet acknowledged.
    pub leased: u64,
    pub loaded: bool,
}

impl RunCounts {
    /// Every item is done or failed.
    pub fn finished(&self) -> bool {
        self.loaded && self.done + self.failed >= self.total
    }

    /// Items neither done nor failed.
    pub fn remaining(&self) -> u64 {
        self.total.saturating_sub(self.done + self.failed)
    }
}

impl Coordinator {
    /// Loads `items` into the run's queue if this runner is the first, or checks that the run
    /// holds the same input (`fingerprint`) and waits until it is loaded.
    pub async fn join(
        &self,
        fingerprint: &str,
        total: u64,
        items: impl Iterator<Item = QueueItem>,
    ) -> Result<Joined> {
        let inner = &self.inner;
        let keys = &inner.keys;
        let mut claim = redis::cmd("HSETNX");
        claim.arg(&keys.meta).arg("fingerprint").arg(fingerprint);
        let first: i64 = inner.link.query(&claim).await?;
        if first == 0 {
            let mut cmd = redis::cmd("HGET");
            cmd.arg(&keys.meta).arg("fingerprint");
            let theirs: String = inner.link.query(&cmd).await?;
            if theirs != fingerprint {
                return Err(Error::OtherInput {
                    run: inner.options.run.clone(),
                    theirs,
                    ours: fingerprint.to_string(),
                });
            }
            return self.wait_loaded().await.map(|()| Joined::Joined);
        }
        let mut group = redis::cmd("XGROUP");
        group
            .arg("CREATE")
            .arg(&keys.items)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM");
        match inner.link.query::<Value>(&group).await {
            Ok(_) => {}
            Err(Error::Redis(err)) if err.code() == Some("BUSYGROUP") => {}
            Err(err) => return Err(err),
        }
        let mut pipe = redis::pipe();
        let mut batched = 0;
        for item in items {
            pipe.cmd("XADD")
                .arg(&keys.items)
                .arg("*")
                .arg("line")
                .arg(item.line)
                .arg("user")
                .arg(&item.user_id)
                .arg("body")
                .arg(item.body.as_ref())
                .ignore();
            batched += 1;
            if batched == LOAD_BATCH {
                inner.link.pipe::<()>(&pipe).await?;
                pipe = redis::pipe();
                batched = 0;
            }
        }
        pipe.cmd("HSET")
            .arg(&keys.meta)
            .arg("total")
            .arg(total)
            .arg("loaded")
            .arg(1)
            .ignore();
        inner.link.pipe::<()>(&pipe).await?;
        Ok(Joined::Loaded)
    }

    async fn wait_loaded(&self) -> Result<()> {
        let started = tokio::time::Instant::now();
        let mut tick = tokio::time::interval(LOAD_POLL);
        while started.elapsed() < LOAD_WAIT {
            tick.tick().await;
            if self.counts().await?.loaded {
                return Ok(());
            }
        }
        Err(Error::NotLoaded {
            run: self.inner.options.run.clone(),
            waited: LOAD_WAIT,
        })
    }

    /// Takes up to `max` items: first those leased to a runner silent past the lease (looked
    /// for at most every quarter lease, or when nothing new is left), then new ones. Each is
    /// leased to this runner until acknowledged.
    pub async fn take(&self, max: usize) -> Result<Vec<(String, QueueItem)>> {
        let due = {
            let mut last = self
                .inner
                .last_reclaim
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let due = last.is_none_or(|at| at.elapsed() >= self.inner.options.lease / 4);
            if due {
                *last = Some(tokio::time::Instant::now());
            }
            due
        };
        let mut taken = if due {
            self.reclaim(max).await?
        } else {
            Vec::new()
        };
        if taken.len() < max {
            taken.extend(self.read_new(max - taken.len()).await?);
        }
        if taken.is_empty() && !due {
            taken = self.reclaim(max).await?;
        }
        let mut leases = self.inner.leases.lock().unwrap_or_else(|e| e.into_inner());
        for (id, item) in &taken {
            leases.insert(item.line, id.clone());
        }
        Ok(taken)
    }

    /// Items leased to a runner silent past the lease, claimed for this one (XAUTOCLAIM). Not
    /// within a lease of Redis coming back: the other runners could not renew their leases while
    /// it was away, and must have the time to.
    async fn reclaim(&self, max: usize) -> Result<Vec<(String, QueueItem)>> {
        let inner = &self.inner;
        if inner.link.online_for() < inner.options.lease {
            return Ok(Vec::new());
        }
        let mut claim = redis::cmd("XAUTOCLAIM");
        claim
            .arg(&inner.keys.items)
            .arg(GROUP)
            .arg(&inner.options.runner)
            .arg(inner.options.lease.as_millis() as u64)
            .arg("0-0")
            .arg("COUNT")
            .arg(max);
        match inner.link.query::<Value>(&claim).await? {
            Value::Array(parts) if parts.len() >= 2 => entries(&parts[1]),
            other => Err(Error::Reply(format!("XAUTOCLAIM answered {other:?}"))),
        }
    }

    /// Items no runner has had yet (XREADGROUP `>`).
    async fn read_new(&self, max: usize) -> Result<Vec<(String, QueueItem)>> {
        let inner = &self.inner;
        let mut read = redis::cmd("XREADGROUP");
        read.arg("GROUP")
            .arg(GROUP)
            .arg(&inner.options.runner)
            .arg("COUNT")
            .arg(max)
            .arg("STREAMS")
            .arg(&inner.keys.items)
            .arg(">");
        let mut taken = Vec::new();
        if let Value::Array(streams) = inner.link.query::<Value>(&read).await? {
            for stream in streams {
                if let Value::Array(pair) = stream
                    && pair.len() == 2
                {
                    taken.extend(entries(&pair[1])?);
                }
            }
        }
        Ok(taken)
    }

    /// Resets the lease of every item this runner holds (XCLAIM to itself, idle time zero).
    pub(crate) async fn renew(&self) -> Result<()> {
        let inner = &self.inner;
        let ids: Vec<String> = inner
            .leases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for chunk in ids.chunks(500) {
            let mut claim = redis::cmd("XCLAIM");
            claim
                .arg(&inner.keys.items)
                .arg(GROUP)
                .arg(&inner.options.runner)
                .arg(0)
                .arg(chunk)
                .arg("JUSTID");
            let _: Value = inner.link.query(&claim).await?;
        }
        Ok(())
    }

    /// Acknowledges `line` (done after the server's 2xx, or failed for good); written at once
    /// when Redis is there, else kept until it is back.
    pub fn ack(&self, line: u64, outcome: Outcome) {
        let inner = &self.inner;
        let Some(id) = inner
            .leases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&line)
        else {
            return;
        };
        if outcome == Outcome::Done {
            inner.written.fetch_add(1, Ordering::Relaxed);
        }
        inner
            .acks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Ack { id, line, outcome });
        inner.flush.notify_one();
    }

    /// Writes the waiting acknowledgements, one round trip for all (a script call per batch of
    /// [`ACK_BATCH`]).
    pub async fn flush_acks(&self) -> Result<()> {
        let inner = &self.inner;
        let acks = std::mem::take(&mut *inner.acks.lock().unwrap_or_else(|e| e.into_inner()));
        if acks.is_empty() {
            return Ok(());
        }
        let keys = &inner.keys;
        let mut pipe = redis::pipe();
        for batch in acks.chunks(ACK_BATCH) {
            let done: Vec<&Ack> = batch
                .iter()
                .filter(|a| a.outcome == Outcome::Done)
                .collect();
            let cmd = pipe
                .cmd("EVALSHA")
                .arg(&scripts::ACKS.hash)
                .arg(3)
                .arg(&keys.items)
                .arg(&keys.done)
                .arg(&keys.failed)
                .arg(GROUP)
                .arg(&inner.options.runner)
                .arg(done.len());
            for ack in &done {
                cmd.arg(&ack.id).arg(ack.line);
            }
            for ack in batch {
                if let Outcome::Failed(reason) = &ack.outcome {
                    cmd.arg(&ack.id).arg(ack.line).arg(reason);
                }
            }
            cmd.ignore();
        }
        let result = inner.link.pipe_script::<()>(&scripts::ACKS, &pipe).await;
        if result.is_err() {
            // Kept for the next flush, in front of any newer ones.
            let mut waiting = inner.acks.lock().unwrap_or_else(|e| e.into_inner());
            let newer = std::mem::replace(&mut *waiting, acks);
            waiting.extend(newer);
        }
        result
    }

    /// Acknowledgements not yet written (Redis away).
    pub fn acks_waiting(&self) -> usize {
        self.inner
            .acks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// The whole run's counts.
    pub async fn counts(&self) -> Result<RunCounts> {
        read_counts(&self.inner.link, &self.inner.keys).await
    }
}

/// The counts of the run whose keys are `keys`.
pub(crate) async fn read_counts(link: &Link, keys: &Keys) -> Result<RunCounts> {
    let mut pipe = redis::pipe();
    pipe.cmd("HMGET")
        .arg(&keys.meta)
        .arg("total")
        .arg("loaded")
        .cmd("HLEN")
        .arg(&keys.done)
        .cmd("HLEN")
        .arg(&keys.failed)
        .cmd("XPENDING")
        .arg(&keys.items)
        .arg(GROUP);
    let (meta, done, failed, pending): (Vec<Option<u64>>, u64, u64, Value) =
        match link.pipe(&pipe).await {
            Ok(answer) => answer,
            // A run nobody loaded has no stream: XPENDING refuses it.
            Err(Error::Redis(_)) => return Ok(RunCounts::default()),
            Err(err) => return Err(err),
        };
    let leased = match pending {
        Value::Array(parts) => match parts.first() {
            Some(Value::Int(n)) => *n as u64,
            _ => 0,
        },
        _ => 0,
    };
    Ok(RunCounts {
        total: meta.first().copied().flatten().unwrap_or(0),
        loaded: meta.get(1).copied().flatten() == Some(1),
        done,
        failed,
        leased,
    })
}

/// Reads a list of stream entries (`[[id, [field, value, ...]], ...]`); entries deleted
/// meanwhile come as nil and are skipped.
fn entries(value: &Value) -> Result<Vec<(String, QueueItem)>> {
    let Value::Array(list) = value else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(list.len());
    for entry in list {
        let Value::Array(pair) = entry else { continue };
        let [Value::BulkString(id), Value::Array(fields)] = pair.as_slice() else {
            continue;
        };
        let mut line = None;
        let mut user_id = None;
        let mut body = None;
        for field in fields.chunks(2) {
            let [Value::BulkString(name), Value::BulkString(value)] = field else {
                continue;
            };
            match name.as_slice() {
                b"line" => line = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()),
                b"user" => user_id = String::from_utf8(value.clone()).ok(),
                b"body" => body = Some(Bytes::from(value.clone())),
                _ => {}
            }
        }
        let (Some(line), Some(user_id), Some(body)) = (line, user_id, body) else {
            return Err(Error::Reply(
                "a queue entry without line, user or body".into(),
            ));
        };
        out.push((
            String::from_utf8_lossy(id).into_owned(),
            QueueItem {
                line,
                user_id,
                body,
            },
        ));
    }
    Ok(out)
}
