//! Genesys Cloud regions: a region name or domain resolves to the API and login hosts.

/// One region: its AWS-style name and its domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub name: &'static str,
    pub domain: &'static str,
}

/// Every region the reference lists.
pub const REGIONS: &[Region] = &[
    Region {
        name: "us-east-1",
        domain: "mypurecloud.com",
    },
    Region {
        name: "us-east-2",
        domain: "use2.us-gov-pure.cloud",
    },
    Region {
        name: "us-west-2",
        domain: "usw2.pure.cloud",
    },
    Region {
        name: "ca-central-1",
        domain: "cac1.pure.cloud",
    },
    Region {
        name: "sa-east-1",
        domain: "sae1.pure.cloud",
    },
    Region {
        name: "mx-central-1",
        domain: "mxc1.pure.cloud",
    },
    Region {
        name: "eu-west-1",
        domain: "mypurecloud.ie",
    },
    Region {
        name: "eu-west-2",
        domain: "euw2.pure.cloud",
    },
    Region {
        name: "eu-central-1",
        domain: "mypurecloud.de",
    },
    Region {
        name: "eu-central-2",
        domain: "euc2.pure.cloud",
    },
    Region {
        name: "me-central-1",
        domain: "mec1.pure.cloud",
    },
    Region {
        name: "ap-south-1",
        domain: "aps1.pure.cloud",
    },
    Region {
        name: "ap-northeast-1",
        domain: "mypurecloud.jp",
    },
    Region {
        name: "ap-northeast-2",
        domain: "apne2.pure.cloud",
    },
    Region {
        name: "ap-northeast-3",
        domain: "apne3.pure.cloud",
    },
    Region {
        name: "ap-southeast-1",
        domain: "apse1.pure.cloud",
    },
    Region {
        name: "ap-southeast-2",
        domain: "mypurecloud.com.au",
    },
];

/// The two hosts a client talks to, as bare host names (no scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosts {
    /// `api.<domain>`.
    pub api: String,
    /// `login.<domain>`.
    pub login: String,
}

impl Hosts {
    /// `https://api.<domain>`.
    pub fn api_base_url(&self) -> String {
        format!("https://{}", self.api)
    }

    /// `https://login.<domain>`.
    pub fn login_base_url(&self) -> String {
        format!("https://{}", self.login)
    }
}

impl Region {
    /// Finds a listed region by name (`us-east-1`) or domain (`mypurecloud.com`), ignoring case.
    pub fn lookup(name_or_domain: &str) -> Option<&'static Region> {
        let wanted = name_or_domain.trim();
        REGIONS
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(wanted) || r.domain.eq_ignore_ascii_case(wanted))
    }

    /// The hosts of this region.
    pub fn hosts(&self) -> Hosts {
        hosts_for_domain(self.domain)
    }
}

/// Resolves a region name, a domain or an `api.` host to the API and login hosts.
///
/// A listed region name or domain is looked up; any other value that looks like a domain (it has
/// a dot and no spaces, slashes or colons) is taken as the domain of an unlisted region, so that
/// new regions work before this table learns them. Anything else gives `None`.
pub fn resolve(region_or_domain: &str) -> Option<Hosts> {
    let value = region_or_domain.trim();
    if let Some(region) = Region::lookup(value) {
        return Some(region.hosts());
    }
    let value = value.strip_prefix("api.").unwrap_or(value);
    let plausible = value.contains('.')
        && !value.starts_with('.')
        && !value.ends_with('.')
        && value
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-');
    plausible.then(|| hosts_for_domain(&value.to_ascii_lowercase()))
}

/// The login host the SDKs derive from an API host: `api.` swapped for `login.`.
///
/// A host without the `api.` prefix (a local emulator, say) is its own login host.
pub fn login_host_for_api_host(api_host: &str) -> String {
    match api_host.strip_prefix("api.") {
        Some(domain) => format!("login.{domain}"),
        None => api_host.to_string(),
    }
}

fn hosts_for_domain(domain: &str) -> Hosts {
    Hosts {
        api: format!("api.{domain}"),
        login: format!("login.{domain}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_domains_resolve_to_api_and_login_hosts() {
        let by_name = resolve("us-east-1").unwrap();
        assert_eq!(by_name.api, "api.mypurecloud.com");
        assert_eq!(by_name.login, "login.mypurecloud.com");
        assert_eq!(resolve("mypurecloud.ie").unwrap().api, "api.mypurecloud.ie");
        assert_eq!(
            resolve("EU-CENTRAL-1").unwrap().login,
            "login.mypurecloud.de"
        );
        assert_eq!(
            resolve("ap-southeast-2").unwrap().api_base_url(),
            "https://api.mypurecloud.com.au"
        );
        assert_eq!(REGIONS.len(), 17);
    }

    #[test]
    fn unlisted_domains_are_derived_and_garbage_is_refused() {
        assert_eq!(
            resolve("new1.pure.cloud").unwrap().login,
            "login.new1.pure.cloud"
        );
        assert_eq!(
            resolve("api.new1.pure.cloud").unwrap().api,
            "api.new1.pure.cloud"
        );
        assert!(resolve("nowhere").is_none());
        assert!(resolve("http://x.y").is_none());
        assert!(resolve("").is_none());
    }

    #[test]
    fn login_host_swaps_the_api_prefix() {
        assert_eq!(
            login_host_for_api_host("api.usw2.pure.cloud"),
            "login.usw2.pure.cloud"
        );
        assert_eq!(login_host_for_api_host("127.0.0.1:8080"), "127.0.0.1:8080");
    }
}
