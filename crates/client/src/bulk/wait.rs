//! Waiting for an update's end: the notification socket opened once, its events, polling the
//! schedule's version while it is down (and once as it comes back, and now and then while it is
//! up: an event sent while it was down is gone), and finishing an update a killed run left.

use std::time::Duration;

use pacer_genesys::wfm::OperationStatus;
use tokio::time::Instant;

use super::api::{Unit, UpdateAnswer};
use super::socket::{self, SocketEvent};
use super::workflow::{Ended, Run};
use super::{Pending, Phase, Step};
use crate::error::Result;

/// How often the schedule is polled while the socket is up: a net for an event lost anyway.
const POLL_WHILE_LISTENING: Duration = Duration::from_secs(30);

impl Run<'_> {
    /// Opens the notification socket on the unit's schedules topic, once.
    pub(super) async fn ensure_socket(&mut self, unit: &Unit) -> Result<()> {
        if self.socket.is_some() {
            return Ok(());
        }
        let topic = pacer_genesys::wfm::schedules_topic(&unit.id);
        let channel = self.api().create_channel().await?;
        self.api()
            .subscribe(&channel.id, std::slice::from_ref(&topic))
            .await?;
        let tls = self.exec.tls().await;
        let notifications = socket::open(
            &channel.connect_uri,
            topic,
            self.settings.heartbeat_timeout,
            self.settings.allow_insecure,
            tls,
        )
        .await?;
        self.socket = Some(notifications);
        self.socket_down = false;
        Ok(())
    }

    /// Waits for operation `operation_id` to end: its event on the socket, or, while the socket
    /// is down (or always, with `always_poll`), the schedule's version moving past
    /// `base_version`.
    pub(super) async fn wait(
        &mut self,
        unit: &Unit,
        week: &str,
        schedule: &str,
        operation_id: &str,
        base_version: u64,
        always_poll: bool,
    ) -> Result<Ended> {
        let deadline = Instant::now() + self.settings.wait_limit;
        let poll = self.settings.poll_every;
        // Notifications come at most once: an event sent while the socket was down is gone. So
        // the schedule is polled while the socket is down, once as soon as it is back, and now
        // and then while it is up.
        let mut next_poll = Instant::now()
            + if self.socket.is_some() && !self.socket_down && !always_poll {
                POLL_WHILE_LISTENING
            } else {
                poll
            };
        loop {
            let listening = self.socket.is_some() && !self.socket_down && !always_poll;
            let event = async {
                match self.socket.as_mut() {
                    Some(socket) => socket.events.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                event = event => {
                    if let Some(ended) = self.on_event(event, operation_id, &mut next_poll) {
                        return Ok(ended);
                    }
                }
                () = tokio::time::sleep_until(next_poll) => {
                    next_poll = Instant::now() + if listening { POLL_WHILE_LISTENING } else { poll };
                    let now = self.api().schedule(unit, week, schedule).await?;
                    if now.metadata.version > base_version {
                        self.outcome.polled = true;
                        return Ok(Ended {
                            status: "Complete".into(),
                            message: None,
                            learned_by: "polling",
                            version: Some(now.metadata.version),
                        });
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    return Ok(Ended {
                        status: "Unknown".into(),
                        message: Some(format!(
                            "no end of operation {operation_id} was seen within {} s",
                            self.settings.wait_limit.as_secs()
                        )),
                        learned_by: "timeout",
                        version: None,
                    });
                }
            }
        }
    }

    /// Takes one event of the notification socket: the operation's end, or the socket going up
    /// (poll at once: an event may have passed while it was down) or down (poll from now on).
    fn on_event(
        &mut self,
        event: Option<SocketEvent>,
        operation_id: &str,
        next_poll: &mut Instant,
    ) -> Option<Ended> {
        let poll = self.settings.poll_every;
        match event {
            Some(SocketEvent::Schedule(n)) if n.operation_id == operation_id => {
                return Some(Ended {
                    status: status_name(n.status).into(),
                    message: n.error.clone().map(|e| e.message),
                    learned_by: "notification",
                    version: n.result.as_ref().map(|r| r.metadata.version),
                });
            }
            Some(SocketEvent::Schedule(_)) => {}
            Some(SocketEvent::Up) => {
                if self.socket_down {
                    *next_poll = Instant::now();
                }
                self.socket_down = false;
            }
            Some(SocketEvent::Down { reason, gave_up }) => {
                self.socket_down = true;
                *next_poll = (*next_poll).min(Instant::now() + poll);
                self.outcome.socket_drops += 1;
                self.progress.phase(
                    Phase::Wait,
                    &format!("the notification socket is down ({reason}); polling the schedule"),
                );
                if gave_up {
                    self.socket = None;
                }
            }
            None => {
                self.socket = None;
                self.socket_down = true;
                *next_poll = (*next_poll).min(Instant::now() + poll);
            }
        }
        None
    }

    /// Finishes an update a killed run left: waits for it when it was accepted; else sends the
    /// same key again, which the service refuses when the first request did land.
    pub(super) async fn finish_pending(
        &mut self,
        unit: &Unit,
        week: &str,
        pending: &Pending,
    ) -> Result<()> {
        self.progress.phase(
            Phase::Wait,
            &format!(
                "finishing the update a previous run left (key {})",
                short(&pending.key)
            ),
        );
        self.ensure_socket(unit).await?;
        let operation_id = match &pending.operation_id {
            Some(id) => Some(id.clone()),
            None => match self
                .api()
                .update(unit, week, &pending.schedule_id, &pending.key)
                .await?
            {
                UpdateAnswer::Accepted { operation_id } => {
                    self.record(Step::UpdateAccepted {
                        week,
                        key: &pending.key,
                        operation_id: &operation_id,
                    })?;
                    Some(operation_id)
                }
                UpdateAnswer::KeyRefused { message } if message.contains("already used") => None,
                UpdateAnswer::KeyRefused { message } | UpdateAnswer::Conflict { message } => {
                    return self.end_update(week, &pending.key, "NotApplied", &message);
                }
            },
        };
        // The event may have passed while no run listened: the schedule's version tells.
        let ended = self
            .wait_version(
                unit,
                week,
                &pending.schedule_id,
                operation_id.as_deref(),
                pending.base_version,
            )
            .await?;
        self.end_update(
            week,
            &pending.key,
            &ended.status,
            ended.message.as_deref().unwrap_or(""),
        )
    }

    /// Like [`Run::wait`], polling from the start and all along: the operation's event may have
    /// passed while no run listened, and its id may be unknown.
    pub(super) async fn wait_version(
        &mut self,
        unit: &Unit,
        week: &str,
        schedule: &str,
        operation_id: Option<&str>,
        base_version: u64,
    ) -> Result<Ended> {
        let now = self.api().schedule(unit, week, schedule).await?;
        if now.metadata.version > base_version {
            return Ok(Ended {
                status: "Complete".into(),
                message: None,
                learned_by: "resumed",
                version: Some(now.metadata.version),
            });
        }
        self.wait(
            unit,
            week,
            schedule,
            operation_id.unwrap_or(""),
            base_version,
            true,
        )
        .await
    }
}

fn status_name(status: OperationStatus) -> &'static str {
    match status {
        OperationStatus::Processing => "Processing",
        OperationStatus::Complete => "Complete",
        OperationStatus::Canceled => "Canceled",
        OperationStatus::Error => "Error",
    }
}

/// The start of an id, enough to tell it in a message.
fn short(id: &str) -> &str {
    &id[..id.len().min(8)]
}
