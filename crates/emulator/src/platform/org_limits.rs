//! `GET /api/v2/organizations/limits/namespaces/{namespace}`: the limits of a namespace, as the
//! configuration sets them (and `request.bytes.max` in the platform's), or as a mirror read them
//! for a namespace it holds.

use axum::response::Response;
use pacer_genesys::errors::codes;
use pacer_genesys::{LimitEntity, OrgLimits};

use crate::config::{Config, PLATFORM_NAMESPACE, REQUEST_BYTES_KEY};
use crate::respond::{CorrelationId, api_error, json_value};
use crate::state::Inner;

/// The limits of `namespace`, or its 404.
pub fn org_limits_page(inner: &Inner, namespace: &str, cid: &CorrelationId) -> Response {
    let config = &inner.config;
    let mut entities = mirrored(config, namespace);
    for entity in enforced(config, namespace) {
        match entities.iter_mut().find(|e| e.key == entity.key) {
            // A flag may have changed a mirrored limit: the answer tells the one enforced.
            Some(mirrored) => mirrored.value = entity.value,
            None => entities.push(entity),
        }
    }
    if entities.is_empty() {
        let message = format!("The limits namespace {namespace} was not found.");
        return api_error(404, codes::NOT_FOUND, &message, cid);
    }
    json_value(200, &OrgLimits { entities }, cid)
}

/// The mirror's entities of `namespace`, in its order (none without a mirror).
fn mirrored(config: &Config, namespace: &str) -> Vec<LimitEntity> {
    let Some(source) = &config.mirror else {
        return Vec::new();
    };
    source
        .mirror
        .limits
        .iter()
        .filter(|limit| limit.namespace == namespace)
        .map(|limit| LimitEntity {
            key: limit.key.clone(),
            namespace: limit.namespace.clone(),
            value: limit.value,
        })
        .collect()
}

/// The limits of `namespace` the emulator enforces: its limiters' (each key once, as the count
/// per nominal window: K times the count under `--speed K`, whose windows are K times shorter)
/// and, in the platform's, `request.bytes.max`.
fn enforced(config: &Config, namespace: &str) -> Vec<LimitEntity> {
    let mut entities: Vec<LimitEntity> = Vec::new();
    for limiter in config
        .limiters
        .iter()
        .chain(config.oauth.mint_limit.as_ref())
    {
        if limiter.namespace == namespace && !entities.iter().any(|e| e.key == limiter.key) {
            entities.push(LimitEntity {
                key: limiter.key.clone(),
                namespace: limiter.namespace.clone(),
                value: config.nominal_count(limiter.spec.limit),
            });
        }
    }
    if namespace == PLATFORM_NAMESPACE {
        entities.push(LimitEntity {
            key: REQUEST_BYTES_KEY.into(),
            namespace: PLATFORM_NAMESPACE.into(),
            value: config.request_bytes_max as u64,
        });
    }
    entities
}
