//! pacer-emulator: a faithful emulator of the Genesys Cloud Platform API on the routes pacer uses.
//!
//! It serves OAuth client credentials, the users listing, the organization's limits, Workforce
//! Management's business units and asynchronous schedule update with the notification service
//! that tells its completion, and (in the `seed` profile) the seed thread's per-agent schedule
//! route, behind layered rate limits whose
//! models come from `pacer_core::limiter`, with seeded faults and counters for tests and benches.
//!
//! ```no_run
//! # async fn demo() -> Result<(), pacer_emulator::EmulatorError> {
//! let config = pacer_emulator::Config::profile(pacer_emulator::Profile::Seed);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(pacer_emulator::EmulatorError::Serve)?;
//! pacer_emulator::run(listener, config, std::future::pending()).await
//! # }
//! ```

mod agents;
mod api;
pub mod config;
mod conn;
mod emulator_routes;
mod error;
mod faults;
mod hash;
mod http;
mod limits;
mod metrics;
pub mod mirror;
mod names;
mod notify;
mod platform;
mod respond;
pub mod route;
mod state;
mod stats;
mod style;
pub mod tls;
pub mod units;
mod wfm;

use std::future::Future;

pub use agents::{format_uuid, parse_uuid};
pub use config::{
    BodyStyle, ClientConfig, Config, ErrorFault, Faults, HeaderStyle, LimiterConfig, Maintenance,
    Overrides, Profile, Scope, StartDay, UnitConfig, UnitProblem, UnitSettings, WfmConfig,
    ZoneName, ZoneSet,
};
pub use error::EmulatorError;
pub use state::{AppState, ManualClock};
pub use stats::StatsReport;
pub use tls::TlsIdentity;
pub use units::{Latency, Probability, Rate};

/// The emulator's reader of schedule uploads, public so that the fuzz targets can reach it.
pub mod uploads {
    pub use crate::wfm::upload::{ActivityUpload, AgentUpload, Head, ShiftUpload, inflate, read};
}

/// The emulator's HTTP application for `state`.
pub fn app(state: AppState) -> axum::Router {
    api::router(state)
}

/// Serves `config` on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), EmulatorError> {
    serve(listener, AppState::new(config)?, shutdown).await
}

/// Like [`run`], with a state the caller built (and may keep, e.g. to read counters or to move a
/// manual clock in tests).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), EmulatorError> {
    let service = app(state).into_make_service_with_connect_info::<conn::Conn>();
    axum::serve(conn::ResettableListener(listener), service)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(EmulatorError::Serve)
}

/// Like [`serve`], over TLS with `identity`: HTTPS and WSS on the one port, and the URLs the
/// emulator hands out (a channel's `connectUri`, upload and download URLs) say https and wss.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    state: AppState,
    identity: &TlsIdentity,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), EmulatorError> {
    let listener = tls::TlsListener::new(
        conn::ResettableListener(listener),
        identity.server_config()?,
    )
    .map_err(EmulatorError::Serve)?;
    let service = app(state).into_make_service_with_connect_info::<conn::Conn>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(EmulatorError::Serve)
}

/// The lines printed at start: the base URL (https with `tls`), the demo client's credentials,
/// the limits and the organization (a mirror's, when one is served).
pub fn banner(config: &Config, addr: std::net::SocketAddr, tls: bool) -> String {
    let client = &config.oauth.clients[0];
    let scheme = if tls { "https" } else { "http" };
    let mut text = format!(
        "pacer emulator ({} profile) listening on {scheme}://{addr}\n\
         OAuth token URL: {scheme}://{addr}/oauth/token\n\
         client id: {}\nclient secret: {}\nagents: {}\n",
        config.profile, client.id, client.secret, config.agents
    );
    if config.limiters.is_empty() {
        text.push_str("rate limits: off\n");
    }
    for limiter in &config.limiters {
        let spec = &limiter.spec;
        text.push_str(&format!(
            "rate limit: {} ({:?} scope): {} {} per {} (burst {})\n",
            limiter.key,
            limiter.scope,
            spec.algorithm,
            spec.limit,
            units::format_duration(spec.window),
            spec.burst
        ));
    }
    if let Some(source) = &config.mirror {
        let mirror = &source.mirror;
        text.push_str(&format!(
            "mirror: {} (taken {} from {}): {} business unit(s), {} agents{}\n",
            source.file,
            mirror.taken_at,
            mirror.source,
            mirror.business_units.len(),
            mirror.users.len(),
            if mirror.with_names {
                ", with names"
            } else {
                ""
            }
        ));
    }
    let wfm = &config.wfm;
    text.push_str(&format!(
        "wfm: {} business unit(s); a schedule update takes {} (GET /api/v2/workforcemanagement/businessunits)\n",
        wfm.business_units,
        units::format_duration(wfm.bulk_processing)
    ));
    text.push_str(
        "stats: GET /__emulator/stats, reset: POST /__emulator/reset, metrics: GET /metrics\n",
    );
    text
}
