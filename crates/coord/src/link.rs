//! The runner's connection to Redis: every command with a time bound, the connection dropped on
//! a transport failure and reopened (at most twice a second) by the next command, and a notice
//! each time the coordinator is lost or back. Counts its round trips, for the cost benchmark.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{Cmd, FromRedisValue, Pipeline};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::scripts::Lua;

/// The longest one command may take before the coordinator counts as lost.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// The least time between two attempts to reconnect.
const RECONNECT_EVERY: Duration = Duration::from_millis(500);

/// What a runner should say about its coordinator.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// Redis was lost: the runner falls back to its share of the budget.
    Lost { reason: String },
    /// Redis is back: the shared budget and queue are used again.
    Back,
}

pub(crate) struct Link {
    client: redis::Client,
    /// The URL without its password.
    pub shown: String,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    online: AtomicBool,
    next_attempt: Mutex<Instant>,
    last_error: Mutex<String>,
    notices: Option<UnboundedSender<Notice>>,
    round_trips: AtomicU64,
    /// When Redis was last reached after being away (or first).
    online_since: Mutex<Instant>,
}

impl Link {
    /// Connects to `url` and checks that Redis answers.
    pub async fn open(url: &str, notices: Option<UnboundedSender<Notice>>) -> Result<Link> {
        let shown = redact(url);
        let client = redis::Client::open(url).map_err(|e| Error::BadUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        let unreachable = |reason: String| Error::Unreachable {
            url: shown.clone(),
            reason,
        };
        let mut conn =
            tokio::time::timeout(COMMAND_TIMEOUT, client.get_multiplexed_async_connection())
                .await
                .map_err(|_| unreachable(format!("no answer within {COMMAND_TIMEOUT:?}")))?
                .map_err(|e| unreachable(e.to_string()))?;
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        Ok(Link {
            client,
            shown,
            conn: tokio::sync::Mutex::new(Some(conn)),
            online: AtomicBool::new(true),
            next_attempt: Mutex::new(Instant::now()),
            last_error: Mutex::new(String::new()),
            notices,
            round_trips: AtomicU64::new(1),
            online_since: Mutex::new(Instant::now()),
        })
    }

    /// Whether the last command reached Redis.
    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::Relaxed)
    }

    /// How long Redis has answered since it was last away (or since the start).
    pub fn online_for(&self) -> std::time::Duration {
        self.online_since
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    /// Round trips to Redis so far.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// One command.
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        let mut conn = self.conn().await?;
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let result = tokio::time::timeout(COMMAND_TIMEOUT, cmd.query_async(&mut conn)).await;
        self.settle(result).await
    }

    /// Several commands in one round trip.
    pub async fn pipe<T: FromRedisValue>(&self, pipe: &Pipeline) -> Result<T> {
        let mut conn = self.conn().await?;
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let result = tokio::time::timeout(COMMAND_TIMEOUT, pipe.query_async(&mut conn)).await;
        self.settle(result).await
    }

    /// Runs `script` by its hash (EVALSHA), loading it once when Redis does not know it yet.
    pub async fn eval<T: FromRedisValue>(
        &self,
        script: &Lua,
        keys: &[&str],
        args: &[String],
    ) -> Result<T> {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(&script.hash).arg(keys.len()).arg(keys).arg(args);
        match self.query(&cmd).await {
            Err(err) if is_no_script(&err) => {
                self.load(script).await?;
                self.query(&cmd).await
            }
            other => other,
        }
    }

    /// Like [`Link::pipe`], for a pipeline of EVALSHA calls of `script`: loads it once when Redis
    /// does not know it yet, then sends the pipeline again.
    pub async fn pipe_script<T: FromRedisValue>(&self, script: &Lua, pipe: &Pipeline) -> Result<T> {
        match self.pipe(pipe).await {
            Err(err) if is_no_script(&err) => {
                self.load(script).await?;
                self.pipe(pipe).await
            }
            other => other,
        }
    }

    async fn load(&self, script: &Lua) -> Result<()> {
        let mut load = redis::cmd("SCRIPT");
        load.arg("LOAD").arg(script.source);
        self.query::<String>(&load).await.map(|_| ())
    }

    async fn conn(&self) -> Result<MultiplexedConnection> {
        let mut slot = self.conn.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        {
            let mut next = self.next_attempt.lock().unwrap_or_else(|e| e.into_inner());
            if Instant::now() < *next {
                return Err(self.offline());
            }
            *next = Instant::now() + RECONNECT_EVERY;
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        match tokio::time::timeout(
            COMMAND_TIMEOUT,
            self.client.get_multiplexed_async_connection(),
        )
        .await
        {
            Ok(Ok(conn)) => {
                *slot = Some(conn.clone());
                drop(slot);
                self.mark_online();
                Ok(conn)
            }
            Ok(Err(err)) => {
                drop(slot);
                self.mark_lost(err.to_string());
                Err(self.offline())
            }
            Err(_) => {
                drop(slot);
                self.mark_lost(format!("no answer within {COMMAND_TIMEOUT:?}"));
                Err(self.offline())
            }
        }
    }

    async fn settle<T>(
        &self,
        result: std::result::Result<redis::RedisResult<T>, tokio::time::error::Elapsed>,
    ) -> Result<T> {
        match result {
            Ok(Ok(value)) => {
                self.mark_online();
                Ok(value)
            }
            Ok(Err(err)) if is_transport(&err) => {
                self.drop_conn().await;
                self.mark_lost(err.to_string());
                Err(self.offline())
            }
            Ok(Err(err)) => Err(Error::Redis(err)),
            Err(_) => {
                self.drop_conn().await;
                self.mark_lost(format!("no answer within {COMMAND_TIMEOUT:?}"));
                Err(self.offline())
            }
        }
    }

    async fn drop_conn(&self) {
        *self.conn.lock().await = None;
    }

    fn offline(&self) -> Error {
        Error::Offline {
            url: self.shown.clone(),
            reason: self
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }

    fn mark_online(&self) {
        if !self.online.swap(true, Ordering::Relaxed) {
            *self.online_since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            if let Some(notices) = &self.notices {
                let _ = notices.send(Notice::Back);
            }
        }
    }

    fn mark_lost(&self, reason: String) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = reason.clone();
        if self.online.swap(false, Ordering::Relaxed)
            && let Some(notices) = &self.notices
        {
            let _ = notices.send(Notice::Lost { reason });
        }
    }
}

/// Whether Redis refused an EVALSHA for a script it does not hold.
fn is_no_script(err: &Error) -> bool {
    matches!(err, Error::Redis(err)
        if err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript))
}

/// Whether `err` says the connection is gone (rather than Redis refusing a command).
fn is_transport(err: &redis::RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_timeout()
}

/// `url` without a password: `redis://:secret@host:6379/0` shows as `redis://host:6379/0`.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{host}")
        }
        None => url
            .rsplit_once('@')
            .map_or(url, |(_, host)| host)
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn a_password_never_shows() {
        assert_eq!(
            redact("redis://:s3cret@10.0.0.1:6379/2"),
            "redis://10.0.0.1:6379/2"
        );
        assert_eq!(redact("redis://user:s3cret@host"), "redis://host");
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
