//! The organization's limits, read from the limits API before a run and given to the pacer.

use std::time::Duration;

use http::Method;
use pacer_core::pacer::{Acquire, Feedback, Route};

use super::Executor;
use super::request::signals_of;
use crate::error::Result;

impl Executor {
    /// Reads the organization's per-token limit from the limits API, if the API serves it, and
    /// gives it to the pacer. Returns the limit found. A refusal or an unknown route is not an
    /// error: the pacer then learns the limit from the responses.
    pub async fn read_org_limits(&mut self) -> Result<Option<u32>> {
        let token = self.tokens.get(0).await?;
        let url = format!(
            "{}/api/v2/organizations/limits/namespaces/platform.api",
            self.api_base
        );
        // The request counts against the token's budget like any other, and its answer may carry
        // rate-limit headers: it goes through the pacer.
        let permit = match self
            .pacer
            .acquire(Route::new(self.token_scopes[0], None), Duration::ZERO)
        {
            Acquire::Send(permit) => permit,
            Acquire::Wait(_) | Acquire::AtCapacity => return Ok(None),
        };
        let response = match self.http.send(Method::GET, &url, None, Some(&token)).await {
            Ok(response) => response,
            Err(err) => {
                self.pacer
                    .complete(permit, Duration::ZERO, Feedback::TransportError);
                return match err.transport_kind() {
                    Some(_) => Ok(None),
                    None => Err(err),
                };
            }
        };
        let signals = signals_of(&response);
        let limits = (response.status == 200)
            .then(|| serde_json::from_slice::<pacer_genesys::OrgLimits>(&response.body).ok())
            .flatten();
        if let Some(limits) = &limits {
            self.listed_limits = limits
                .entities
                .iter()
                .map(|e| (e.key.clone(), e.value))
                .collect();
        }
        let value = limits
            .and_then(|limits| limits.value_of("client.credentials.token.rate.per.minute"))
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v > 0);
        if let Some(value) = value {
            for scope in &self.token_scopes {
                self.pacer
                    .org_limit(*scope, value, Duration::from_secs(60), Duration::ZERO);
            }
        }
        // After the count is known, the headers (if any) refine its shape.
        self.pacer
            .complete(permit, Duration::ZERO, Feedback::Response(&signals));
        Ok(value)
    }
}
