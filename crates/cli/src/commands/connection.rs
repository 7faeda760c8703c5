//! How a command reaches Genesys Cloud: the flags every API command shares (the API and login
//! URLs, the region, the OAuth client), resolved against the environment, and the first token
//! minted before anything else is sent.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use pacer_client::{
    Credentials, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION, EndpointOptions, Endpoints,
    HttpClient, HttpConfig, Secret, TokenConfig, TokenManager, TrustConfig,
};

use crate::exit::Exit;

/// Where the API is and who the client is.
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// The API base URL (an emulator, say); overrides the region.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,

    /// The login base URL, when it cannot be derived from the API URL (`api.` becomes `login.`).
    #[arg(long, value_name = "URL")]
    pub login_url: Option<String>,

    /// A region name (us-east-1) or domain (mypurecloud.com) [env: GENESYSCLOUD_REGION].
    #[arg(long)]
    pub region: Option<String>,

    /// The OAuth client id [env: GENESYSCLOUD_OAUTHCLIENT_ID]. The secret is never a flag: it
    /// comes from GENESYSCLOUD_OAUTHCLIENT_SECRET, --client-secret-file or --client-secret-stdin.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the client secret from the first line of this file.
    #[arg(long, value_name = "FILE", conflicts_with = "client_secret_stdin")]
    pub client_secret_file: Option<PathBuf>,

    /// Read the client secret from the first line of standard input.
    #[arg(long)]
    pub client_secret_stdin: bool,

    /// Allow plain http to hosts that are not loopback.
    #[arg(long)]
    pub allow_insecure_http: bool,

    /// Trust the CAs of this PEM file (several certificates may follow one another) beside the
    /// system's store and the web's roots: a company's CA, or a TLS-inspecting proxy's. The file
    /// SSL_CERT_FILE names is trusted too.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

/// What minting a token takes, resolved.
pub struct Connect<'a> {
    pub endpoints: &'a Endpoints,
    pub credentials: &'a Credentials,
    pub timeout: Duration,
    pub tokens: u32,
    pub allow_insecure_http: bool,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
}

/// The API's and the login's URLs, from the flags or the region (flag, then environment).
pub fn endpoints(args: &ConnectionArgs) -> anyhow::Result<Endpoints> {
    let region = args.region.clone().or_else(|| env(ENV_REGION));
    Endpoints::resolve(&EndpointOptions {
        region: region.as_deref(),
        api_url: args.api_url.as_deref(),
        login_url: args.login_url.as_deref(),
        allow_insecure_http: args.allow_insecure_http,
    })
    .map_err(Exit::usage)
}

/// The OAuth client: its id from the flag or the environment, its secret from a file, standard
/// input or the environment (never a flag's value).
pub fn credentials(args: &ConnectionArgs) -> anyhow::Result<Credentials> {
    let client_id = args
        .client_id
        .clone()
        .or_else(|| env(ENV_CLIENT_ID))
        .ok_or_else(|| {
            Exit::usage(format!(
                "no OAuth client id: pass --client-id or set {ENV_CLIENT_ID}"
            ))
        })?;
    let secret = if let Some(file) = &args.client_secret_file {
        Secret::from_file(file).map_err(Exit::usage)?
    } else if args.client_secret_stdin {
        Secret::from_reader(std::io::stdin().lock(), "standard input").map_err(Exit::usage)?
    } else {
        Secret::from_env(ENV_CLIENT_SECRET).ok_or_else(|| {
            Exit::usage(format!(
                "no OAuth client secret: set {ENV_CLIENT_SECRET}, or pass --client-secret-file FILE or --client-secret-stdin"
            ))
        })?
    };
    Ok(Credentials::new(client_id, secret))
}

/// An environment variable's value, when it is set to something other than blanks.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Mints the first token (or the pool's) before the first API request: refused credentials stop
/// the run here, with nothing sent.
pub async fn authenticate(
    settings: &Connect<'_>,
    say: &dyn Fn(&str),
) -> anyhow::Result<(HttpClient, TokenManager)> {
    let http = HttpClient::new(&HttpConfig {
        request_timeout: settings.timeout,
        allow_insecure_http: settings.allow_insecure_http,
        trust: TrustConfig::with_system(settings.ca_file.clone()),
        ..HttpConfig::default()
    })
    .map_err(Exit::usage)?;
    let tokens = TokenManager::new(
        http.clone(),
        settings.endpoints.token_url.clone(),
        settings.credentials.clone(),
        TokenConfig {
            pool_size: settings.tokens as usize,
            ..TokenConfig::default()
        },
    );
    if settings.tokens > 1 {
        say(&format!(
            "warning: {} tokens each have their own per-token budget, but organization-wide limits still apply to all of them together",
            settings.tokens
        ));
    }
    if let Err(err) = tokens.warm_up().await {
        return Err(match err {
            pacer_client::Error::InvalidClient { .. }
            | pacer_client::Error::UntrustedCertificate { .. } => {
                Exit::usage(format!("{err}; nothing was sent"))
            }
            other => anyhow::Error::new(other).context(format!(
                "cannot get a token from {}; nothing was sent",
                settings.endpoints.token_url
            )),
        });
    }
    Ok((http, tokens))
}
