//! `pacer emulate`: runs the Genesys Cloud emulator on loopback until Ctrl-C (or SIGTERM).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use pacer_core::limiter::Algorithm;
use pacer_emulator::{
    AppState, Config, EmulatorError, ErrorFault, Latency, Maintenance, Overrides, Probability,
    Profile, Rate, TlsIdentity,
};

use crate::exit::{self, Exit};

/// Arguments of `pacer emulate`.
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// Built-in starting point: `genesys` (the real API) or `seed` (the seed thread's world).
    #[arg(long, value_name = "genesys|seed")]
    pub profile: Option<Profile>,
    /// TOML file overriding the profile (see the README for its keys).
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Number of agents (users) in the emulated organization [default: 1000].
    #[arg(long, value_name = "N")]
    pub agents: Option<u32>,
    /// The per-token limit's rate, e.g. `300/min`, `5/s`, `300/60s`.
    #[arg(long, value_name = "N/PERIOD")]
    pub token_rate: Option<Rate>,
    /// The per-token limit's burst (token bucket capacity).
    #[arg(long, value_name = "N")]
    pub burst: Option<u32>,
    /// The per-token limit's algorithm.
    #[arg(
        long,
        value_name = "fixed-window|sliding-window|token-bucket|concurrency"
    )]
    pub algorithm: Option<Algorithm>,
    /// Added latency: fixed (`40ms`) or uniform (`20ms..80ms`).
    #[arg(long, value_name = "MIN..MAX")]
    pub latency: Option<Latency>,
    /// Turns every rate limit off (for benchmarks); `--org-rate` may then add the org-wide one.
    #[arg(long)]
    pub no_limits: bool,
    /// An organization-wide limit shared by every token, e.g. `600/min`: a layer above the
    /// per-token one, answering 429 in the profile's style and listed by the limits API.
    #[arg(long, value_name = "N/PERIOD")]
    pub org_rate: Option<Rate>,
    /// The shape of `--org-rate`: a fixed window (its whole count at each window's start), a
    /// sliding window, or a token bucket [default: fixed-window].
    #[arg(
        long,
        value_name = "fixed-window|sliding-window|token-bucket",
        requires = "org_rate"
    )]
    pub org_algorithm: Option<Algorithm>,
    /// The burst of a token-bucket `--org-rate` [default: one second of its rate].
    #[arg(long, value_name = "N", requires = "org_rate")]
    pub org_burst: Option<u32>,
    /// Seed for agent ids, tokens and faults, so that a run can be replayed [default: 1].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Injects an error at a rate, e.g. `503=0.02` or `503=0.02:5s` (with Retry-After); repeatable.
    #[arg(long = "error-rate", value_name = "STATUS=RATE[:RETRY_AFTER]")]
    pub error_rates: Vec<ErrorFault>,
    /// Probability of resetting a request's connection instead of answering.
    #[arg(long, value_name = "P")]
    pub reset_rate: Option<Probability>,
    /// A maintenance window answering 503 with Retry-After, e.g. `10m+2m`; repeatable.
    #[arg(long, value_name = "START+DURATION")]
    pub maintenance: Vec<Maintenance>,
    /// Revokes every token minted before this time since start, e.g. `30m`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub revoke_tokens_at: Option<Duration>,
    /// WFM business units (North, South, ...); the second starts its weeks on Sunday [default: 1].
    #[arg(long, value_name = "N")]
    pub business_units: Option<u32>,
    /// How long a schedule update takes to process, e.g. `3s` [default: 3s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub bulk_processing: Option<Duration>,
    /// Probability that a schedule update ends `Error` whatever it holds.
    #[arg(long, value_name = "P")]
    pub bulk_error_rate: Option<Probability>,
    /// A failed update names the agent at fault (the `seed` profile's way); the real API's is
    /// a bare `Error` (the `genesys` profile's).
    #[arg(long, overrides_with = "no_error_detail")]
    pub error_detail: bool,
    /// A failed update names no agent, whatever the profile.
    #[arg(long, overrides_with = "error_detail")]
    pub no_error_detail: bool,
    /// Probability that a notification is lost and its socket dropped (1 without a value).
    #[arg(long, value_name = "P", num_args = 0..=1, default_missing_value = "1")]
    pub drop_notifications: Option<Probability>,
    /// Time between heartbeats on a notification socket [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub heartbeat: Option<Duration>,
    /// The emulator's today, `YYYY-MM-DD`, so that the weeks of its schedules repeat
    /// [default: the system's date].
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// Serves the organization of a mirror file (`pacer mirror`): its users as the agents (over
    /// `--agents`), its business units, management units, activity codes, schedules and limits;
    /// everything else stays the profile's.
    #[arg(long, value_name = "FILE")]
    pub mirror: Option<PathBuf>,
    /// Serves HTTPS and WSS on the port (the base URL and every URL handed out say https and
    /// wss), with a certificate for 127.0.0.1, localhost and ::1 made at start by a CA of its own.
    #[arg(long)]
    pub tls: bool,
    /// Writes the CA of the certificate made at start here (PEM), for `--ca-file` or
    /// `SSL_CERT_FILE`.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls",
        conflicts_with = "tls_cert"
    )]
    pub tls_ca_out: Option<PathBuf>,
    /// Serves this certificate chain (PEM, the server's first) instead of one made at start.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_key"])]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_cert"])]
    pub tls_key: Option<PathBuf>,
    /// Runs every rate limit K times faster (1 to 100): each window K times shorter for the same
    /// count, so that Retry-After and reset headers shrink with it (in whole seconds, at least
    /// one); the limits API answers K times each count, per its nominal minute.
    #[arg(long, value_name = "K")]
    pub speed: Option<f64>,
}

/// What `--tls` and its files ask for, apart from the emulator's configuration.
struct TlsArgs {
    tls: bool,
    ca_out: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

impl TlsArgs {
    /// The identity to serve with, the CA written where asked; `None` for plain HTTP.
    fn identity(&self) -> anyhow::Result<Option<TlsIdentity>> {
        if !self.tls {
            return Ok(None);
        }
        let identity = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => TlsIdentity::from_pem_files(cert, key).map_err(classify)?,
            _ => TlsIdentity::generate().map_err(classify)?,
        };
        if let (Some(out), Some(pem)) = (&self.ca_out, identity.ca_pem()) {
            std::fs::write(out, pem)
                .with_context(|| format!("cannot write the CA to {}", out.display()))?;
        }
        Ok(Some(identity))
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    pacer_emulator::units::parse_duration(text)
}

impl EmulateArgs {
    /// The TLS flags, taken out, and the emulator's configuration.
    fn split(mut self) -> (TlsArgs, Overrides) {
        let tls = TlsArgs {
            tls: self.tls,
            ca_out: self.tls_ca_out.take(),
            cert: self.tls_cert.take(),
            key: self.tls_key.take(),
        };
        (tls, self.overrides())
    }

    fn overrides(self) -> Overrides {
        Overrides {
            profile: self.profile,
            config: self.config,
            listen: self.listen,
            agents: self.agents,
            seed: self.seed,
            token_rate: self.token_rate,
            burst: self.burst,
            algorithm: self.algorithm,
            latency: self.latency,
            no_limits: self.no_limits,
            org_rate: self.org_rate,
            org_algorithm: self.org_algorithm,
            org_burst: self.org_burst,
            error_rates: self.error_rates,
            reset_rate: self.reset_rate,
            maintenance: self.maintenance,
            revoke_tokens_at: self.revoke_tokens_at,
            business_units: self.business_units,
            bulk_processing: self.bulk_processing,
            bulk_error_rate: self.bulk_error_rate,
            error_detail: (self.error_detail || self.no_error_detail).then_some(self.error_detail),
            drop_notifications: self.drop_notifications,
            heartbeat: self.heartbeat,
            today: self.today,
            mirror: self.mirror,
            speed: self.speed,
        }
    }
}

/// Maps an emulator error to the CLI's: configuration and flag errors exit 2.
fn classify(err: EmulatorError) -> anyhow::Error {
    if err.is_usage() {
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        Exit::usage(message)
    } else {
        anyhow::Error::new(err)
    }
}

pub fn run(args: EmulateArgs) -> anyhow::Result<u8> {
    let (tls, overrides) = args.split();
    let config = Config::resolve(&overrides).map_err(classify)?;
    let identity = tls.identity()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener
            .local_addr()
            .context("cannot read the listening address")?;
        let mut stdout = std::io::stdout();
        let banner = pacer_emulator::banner(&config, addr, identity.is_some());
        let _ = stdout.write_all(banner.as_bytes());
        if let Some(out) = &tls.ca_out {
            let _ = writeln!(stdout, "TLS CA (PEM): {}", out.display());
        }
        let _ = stdout.flush();
        let state = AppState::new(config).map_err(classify)?;
        match &identity {
            Some(identity) => {
                pacer_emulator::serve_tls(listener, state, identity, stop_signal()).await
            }
            None => pacer_emulator::serve(listener, state, stop_signal()).await,
        }
        .map_err(classify)?;
        eprintln!("pacer emulator stopped");
        Ok(exit::OK)
    })
}

/// Completes on Ctrl-C, or on SIGTERM where there is one.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
