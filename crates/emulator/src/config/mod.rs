//! The emulator's configuration: built-in profiles, the TOML file that overrides them, and the
//! command-line overrides applied last.
//!
//! Precedence, lowest first: the profile (`genesys` unless the file or `--profile` names another),
//! the file's keys, then the flags. Every key of the file is optional and unknown keys are errors;
//! errors name the file, the line and the key.
//!
//! `resolved` is the configuration the emulator runs with and its checks; `profile` the built-in
//! profiles; `file` the file read over a profile (`locate` finds a file's errors); `overrides`
//! the flags applied last. The tables each have their own room: `limiter`, `oauth`, `faults`
//! and `wfm` (with `business_units`, the units' names, zones and first days). `mirror` reads a
//! mirror file (`--mirror`), checked by `mirror_check`, over the profile and the file.

mod business_units;
mod faults;
mod file;
mod limiter;
mod locate;
mod mirror;
mod mirror_check;
mod oauth;
mod overrides;
mod profile;
mod resolved;
mod wfm;

pub use business_units::{StartDay, UnitConfig, UnitProblem, UnitSettings, ZoneName, ZoneSet};
pub use faults::{ErrorFault, FaultStatus, Faults, Maintenance};
pub use limiter::{
    LimiterConfig, MINT_LIMIT_KEY, MINT_NAMESPACE, ORG_LIMIT_KEY, PLATFORM_NAMESPACE,
    REQUEST_BYTES_KEY, Scope, TOKEN_LIMIT_KEY,
};
pub use mirror::{Layout, MirrorSource, UnitLayout};
pub use mirror_check::MAX_CODES;
pub use oauth::{ClientConfig, OAuthConfig};
pub use overrides::Overrides;
pub use profile::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, REQUEST_BYTES_MAX};
pub use resolved::{Config, MAX_AGENTS, Profile, Responses};
pub use wfm::WfmConfig;

pub use crate::style::{BodyStyle, HeaderStyle};
