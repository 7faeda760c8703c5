//! Wire types of the Genesys Cloud Platform API shared by pacer's client and its emulator.
//!
//! Every type here serializes to exactly the JSON the real API (or, for the `seed` profile, the
//! user thread's fictional API) sends, so that the client parses what the emulator writes and the
//! emulator answers what the official SDKs expect.

pub mod datetime;
pub mod errors;
pub mod limits;
pub mod notifications;
pub mod oauth;
pub mod region;
pub mod schedule;
pub mod users;
pub mod wfm;
pub mod zone;

pub use errors::{ApiError, LimitRef, SeedRateLimitBody};
pub use limits::{LimitEntity, OrgLimits};
pub use oauth::{OAuthError, TokenResponse};
pub use region::{Hosts, REGIONS, Region};
pub use schedule::{
    Activity, FullDayTimeOff, MAX_LENGTH_MINUTES, Schedule, ScheduleError, ScheduleMetadata,
    ScheduleRecord, Shift, Starts, parse_schedule, parse_schedule_with,
};
pub use users::{
    LIST_MAX_PAGE_SIZE, SEARCH_MAX_PAGE_SIZE, User, UserListing, UserSearchCriteria,
    UserSearchRequest, UsersSearchResponse,
};
