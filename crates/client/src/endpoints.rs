//! Where requests go: the API base URL and the token URL, from a region, a domain or an override.
//!
//! The login URL is derived from the API URL as the official SDKs do: a leading `api.` in the
//! host becomes `login.`; a host without `api.` (a local emulator) is its own login host. Plain
//! http is refused unless the host is loopback or `allow_insecure_http` is set.

use std::net::IpAddr;

use url::Url;

use crate::error::{Error, Result};

/// What the user gave: every field is optional, the API URL overrides the region.
#[derive(Debug, Clone, Default)]
pub struct EndpointOptions<'a> {
    /// A region name (`us-east-1`) or domain (`mypurecloud.com`), e.g. from `GENESYSCLOUD_REGION`.
    pub region: Option<&'a str>,
    /// `--api-url`: the API base URL (an emulator, say).
    pub api_url: Option<&'a str>,
    /// `--login-url`: the login base URL, when it cannot be derived from the API URL.
    pub login_url: Option<&'a str>,
    /// `--allow-insecure-http`: plain http to hosts that are not loopback.
    pub allow_insecure_http: bool,
}

/// The resolved URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The API base, without a trailing slash: `https://api.mypurecloud.com`.
    pub api_base: String,
    /// The login base, without a trailing slash: `https://login.mypurecloud.com`.
    pub login_base: String,
    /// `{login_base}/oauth/token`.
    pub token_url: String,
}

impl Endpoints {
    /// Resolves the options; see the module documentation for the rules.
    pub fn resolve(options: &EndpointOptions<'_>) -> Result<Endpoints> {
        let api = match (options.api_url, options.region) {
            (Some(url), _) => parse_base(url, options.allow_insecure_http)?,
            (None, Some(region)) => {
                let hosts = pacer_genesys::region::resolve(region)
                    .ok_or_else(|| Error::UnknownRegion(region.to_string()))?;
                parse_base(&hosts.api_base_url(), options.allow_insecure_http)?
            }
            (None, None) => return Err(Error::NoRegion),
        };
        let login = match options.login_url {
            Some(url) => parse_base(url, options.allow_insecure_http)?,
            None => {
                let mut login = api.clone();
                let host = api.host_str().unwrap_or_default();
                if let Some(domain) = host.strip_prefix("api.") {
                    login
                        .set_host(Some(&format!("login.{domain}")))
                        .map_err(|e| Error::BadUrl {
                            url: api.to_string(),
                            reason: e.to_string(),
                        })?;
                }
                // The API path prefix, if any, is not the login server's.
                login.set_path("");
                login
            }
        };
        let api_base = trimmed(&api);
        let login_base = trimmed(&login);
        let token_url = format!("{login_base}/oauth/token");
        Ok(Endpoints {
            api_base,
            login_base,
            token_url,
        })
    }

    /// The full URL of an API path such as `/api/v2/users`.
    pub fn api_url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.api_base)
        } else {
            format!("{}/{path}", self.api_base)
        }
    }
}

/// Parses a base URL and applies the scheme rules.
fn parse_base(text: &str, allow_insecure_http: bool) -> Result<Url> {
    let bad = |reason: &str| Error::BadUrl {
        url: text.to_string(),
        reason: reason.to_string(),
    };
    let url = Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a base URL takes no query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in a URL"));
    }
    check_scheme(&url, allow_insecure_http)?;
    Ok(url)
}

/// Refuses schemes other than https, and http to hosts that are not loopback unless allowed.
pub(crate) fn check_scheme(url: &Url, allow_insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(Error::InsecureHttp {
            host: url.host_str().unwrap_or_default().to_string(),
        }),
        other => Err(Error::BadUrl {
            url: url.to_string(),
            reason: format!("the scheme must be https or http, not {other}"),
        }),
    }
}

/// `localhost` (and `*.localhost`), 127.0.0.0/8 and ::1.
pub(crate) fn is_loopback(url: &Url) -> bool {
    url.host_str().is_some_and(is_loopback_host)
}

/// Whether a host (a name, an IPv4 address or a bracketed IPv6 one) is loopback.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let host = host.to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

fn trimmed(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(region: Option<&str>, api: Option<&str>, login: Option<&str>) -> Result<Endpoints> {
        Endpoints::resolve(&EndpointOptions {
            region,
            api_url: api,
            login_url: login,
            allow_insecure_http: false,
        })
    }

    #[test]
    fn regions_and_domains_resolve_to_api_and_login() {
        let e = resolve(Some("us-east-1"), None, None).unwrap();
        assert_eq!(e.api_base, "https://api.mypurecloud.com");
        assert_eq!(e.token_url, "https://login.mypurecloud.com/oauth/token");
        let e = resolve(Some("mypurecloud.de"), None, None).unwrap();
        assert_eq!(e.login_base, "https://login.mypurecloud.de");
        assert!(matches!(
            resolve(Some("atlantis"), None, None),
            Err(Error::UnknownRegion(_))
        ));
        assert!(matches!(resolve(None, None, None), Err(Error::NoRegion)));
    }

    #[test]
    fn the_api_url_overrides_the_region_and_derives_the_login_url() {
        let e = resolve(
            Some("us-east-1"),
            Some("https://api.euw2.pure.cloud/"),
            None,
        )
        .unwrap();
        assert_eq!(e.api_base, "https://api.euw2.pure.cloud");
        assert_eq!(e.token_url, "https://login.euw2.pure.cloud/oauth/token");
        let e = resolve(None, Some("http://127.0.0.1:8080"), None).unwrap();
        assert_eq!(e.api_base, "http://127.0.0.1:8080");
        assert_eq!(e.token_url, "http://127.0.0.1:8080/oauth/token");
        assert_eq!(
            e.api_url("/api/v2/users"),
            "http://127.0.0.1:8080/api/v2/users"
        );
        let e = resolve(
            None,
            Some("http://localhost:9/prefix"),
            Some("http://[::1]:7"),
        )
        .unwrap();
        assert_eq!(
            e.api_url("api/v2/users"),
            "http://localhost:9/prefix/api/v2/users"
        );
        assert_eq!(e.token_url, "http://[::1]:7/oauth/token");
    }

    #[test]
    fn plain_http_is_refused_off_loopback_unless_allowed() {
        let err = resolve(None, Some("http://api.example.com"), None).unwrap_err();
        assert!(
            matches!(err, Error::InsecureHttp { ref host } if host == "api.example.com"),
            "{err}"
        );
        assert!(err.to_string().contains("--allow-insecure-http"));
        let err = resolve(
            None,
            Some("https://api.example.com"),
            Some("http://10.0.0.1"),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InsecureHttp { .. }), "{err}");
        let allowed = Endpoints::resolve(&EndpointOptions {
            api_url: Some("http://api.example.com"),
            allow_insecure_http: true,
            ..EndpointOptions::default()
        })
        .unwrap();
        assert_eq!(allowed.token_url, "http://login.example.com/oauth/token");
        assert!(resolve(None, Some("http://127.8.9.10:1"), None).is_ok());
        assert!(matches!(
            resolve(None, Some("ftp://api.x.com"), None),
            Err(Error::BadUrl { .. })
        ));
        assert!(matches!(
            resolve(None, Some("not a url"), None),
            Err(Error::BadUrl { .. })
        ));
        assert!(matches!(
            resolve(None, Some("https://id:pw@api.x.com"), None),
            Err(Error::BadUrl { .. })
        ));
    }
}
