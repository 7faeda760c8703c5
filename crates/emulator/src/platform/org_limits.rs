//! `GET /api/v2/organizations/limits/namespaces/{namespace}`: the limits of a namespace, as the
//! configuration sets them (and `request.bytes.max` in the platform's).

use axum::response::Response;
use pacer_genesys::errors::codes;
use pacer_genesys::{LimitEntity, OrgLimits};

use crate::config::PLATFORM_NAMESPACE;
use crate::respond::{CorrelationId, api_error, json_value};
use crate::state::Inner;

/// The limits of `namespace`, or its 404.
pub fn org_limits_page(inner: &Inner, namespace: &str, cid: &CorrelationId) -> Response {
    let mut entities: Vec<LimitEntity> = Vec::new();
    let config = &inner.config;
    for limiter in config
        .limiters
        .iter()
        .chain(config.oauth.mint_limit.as_ref())
    {
        if limiter.namespace == namespace && !entities.iter().any(|e| e.key == limiter.key) {
            entities.push(LimitEntity {
                key: limiter.key.clone(),
                namespace: limiter.namespace.clone(),
                value: u64::from(limiter.spec.limit),
            });
        }
    }
    if namespace == PLATFORM_NAMESPACE {
        entities.push(LimitEntity {
            key: "request.bytes.max".into(),
            namespace: PLATFORM_NAMESPACE.into(),
            value: config.request_bytes_max as u64,
        });
    }
    if entities.is_empty() {
        let message = format!("The limits namespace {namespace} was not found.");
        return api_error(404, codes::NOT_FOUND, &message, cid);
    }
    json_value(200, &OrgLimits { entities }, cid)
}
