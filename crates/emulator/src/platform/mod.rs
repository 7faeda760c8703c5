//! The Platform API's routes beside WFM and notifications, answered after the pipeline of `api`:
//! OAuth, users, the organization's limits, and the seed thread's per-agent schedule.

pub mod oauth;
pub mod org_limits;
pub mod user_schedule;
pub mod users;
