//! The API routes the emulator serves, and the patterns a limiter uses to say which it covers.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

/// One API route (OAuth, the `/__emulator` routes and `/metrics` are not rate-limited routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `GET /api/v2/users`.
    ListUsers,
    /// `GET /api/v2/users/{userId}`.
    GetUser,
    /// `POST /api/v2/users/search`.
    SearchUsers,
    /// `GET /api/v2/organizations/limits/namespaces/{namespace}`.
    OrgLimits,
    /// `PUT /api/v2/wfm/usersettings/{userId}/schedule` (the seed thread's fiction).
    PutSchedule,
    /// `GET /api/v2/wfm/usersettings/{userId}/schedule` (the seed thread's fiction).
    GetSchedule,
    /// `GET /api/v2/workforcemanagement/businessunits`.
    BusinessUnits,
    /// `GET /api/v2/workforcemanagement/businessunits/{businessUnitId}`.
    BusinessUnit,
    /// `GET .../businessunits/{businessUnitId}/managementunits`.
    ManagementUnits,
    /// `GET .../businessunits/{businessUnitId}/activitycodes`.
    ActivityCodes,
    /// `GET /api/v2/workforcemanagement/managementunits/{managementUnitId}/users`.
    ManagementUnitUsers,
    /// `GET /api/v2/workforcemanagement/agents/{agentId}/managementunit`.
    AgentManagementUnit,
    /// `GET .../businessunits/{businessUnitId}/weeks/{weekId}/schedules`.
    WeekSchedules,
    /// `POST .../businessunits/{businessUnitId}/weeks/{weekId}/schedules`.
    CreateSchedule,
    /// `GET .../weeks/{weekId}/schedules/{scheduleId}`.
    WeekSchedule,
    /// `POST .../schedules/{scheduleId}/agentschedules/query`.
    QueryAgentSchedules,
    /// `POST .../businessunits/{businessUnitId}/agentschedules/search`.
    SearchAgentSchedules,
    /// `POST .../schedules/{scheduleId}/update/uploadurl`.
    UploadUrl,
    /// `POST .../schedules/{scheduleId}/update`.
    UpdateSchedule,
    /// `POST /api/v2/notifications/channels`.
    CreateChannel,
    /// `GET /api/v2/notifications/channels/{channelId}/subscriptions`.
    GetSubscriptions,
    /// `PUT` of the same: replaces the topics.
    PutSubscriptions,
    /// `POST` of the same: adds topics.
    PostSubscriptions,
    /// `DELETE` of the same: removes every topic.
    DeleteSubscriptions,
}

/// The path of a channel's subscriptions.
const SUBSCRIPTIONS: &str = "/api/v2/notifications/channels/{channelId}/subscriptions";

impl Route {
    /// Every route, in a fixed order (the index is the route's number).
    pub const ALL: [Route; 24] = [
        Route::ListUsers,
        Route::GetUser,
        Route::SearchUsers,
        Route::OrgLimits,
        Route::PutSchedule,
        Route::GetSchedule,
        Route::BusinessUnits,
        Route::BusinessUnit,
        Route::ManagementUnits,
        Route::ActivityCodes,
        Route::ManagementUnitUsers,
        Route::AgentManagementUnit,
        Route::WeekSchedules,
        Route::CreateSchedule,
        Route::WeekSchedule,
        Route::QueryAgentSchedules,
        Route::SearchAgentSchedules,
        Route::UploadUrl,
        Route::UpdateSchedule,
        Route::CreateChannel,
        Route::GetSubscriptions,
        Route::PutSubscriptions,
        Route::PostSubscriptions,
        Route::DeleteSubscriptions,
    ];

    /// The HTTP method.
    pub fn method(self) -> &'static str {
        match self {
            Route::PutSchedule | Route::PutSubscriptions => "PUT",
            Route::SearchUsers
            | Route::CreateSchedule
            | Route::QueryAgentSchedules
            | Route::SearchAgentSchedules
            | Route::UploadUrl
            | Route::UpdateSchedule
            | Route::CreateChannel
            | Route::PostSubscriptions => "POST",
            Route::DeleteSubscriptions => "DELETE",
            _ => "GET",
        }
    }

    /// The path template, as the API reference writes it.
    pub fn template(self) -> &'static str {
        match self {
            Route::ListUsers => "/api/v2/users",
            Route::GetUser => "/api/v2/users/{userId}",
            Route::SearchUsers => "/api/v2/users/search",
            Route::OrgLimits => "/api/v2/organizations/limits/namespaces/{namespace}",
            Route::PutSchedule | Route::GetSchedule => "/api/v2/wfm/usersettings/{userId}/schedule",
            Route::BusinessUnits => "/api/v2/workforcemanagement/businessunits",
            Route::BusinessUnit => "/api/v2/workforcemanagement/businessunits/{businessUnitId}",
            Route::ManagementUnits => {
                "/api/v2/workforcemanagement/businessunits/{businessUnitId}/managementunits"
            }
            Route::ActivityCodes => {
                "/api/v2/workforcemanagement/businessunits/{businessUnitId}/activitycodes"
            }
            Route::ManagementUnitUsers => {
                "/api/v2/workforcemanagement/managementunits/{managementUnitId}/users"
            }
            Route::AgentManagementUnit => {
                "/api/v2/workforcemanagement/agents/{agentId}/managementunit"
            }
            Route::WeekSchedules | Route::CreateSchedule => {
                "/api/v2/workforcemanagement/businessunits/{businessUnitId}/weeks/{weekId}/schedules"
            }
            Route::WeekSchedule => {
                "/api/v2/workforcemanagement/businessunits/{businessUnitId}/weeks/{weekId}/schedules/{scheduleId}"
            }
            Route::QueryAgentSchedules => {
                "/api/v2/workforcemanagement/businessunits/{businessUnitId}/weeks/{weekId}/schedules/{scheduleId}/agentschedules/query"
            }
            Route::UploadUrl => {
                "/api/v2/workforcemanagement/businessunits/{businessUnitId}/weeks/{weekId}/schedules/{scheduleId}/update/uploadurl"
            }
            Route::UpdateSchedule => {
                "/api/v2/workforcemanagement/businessunits/{businessUnitId}/weeks/{weekId}/schedules/{scheduleId}/update"
            }
            Route::SearchAgentSchedules => {
                "/api/v2/workforcemanagement/businessunits/{businessUnitId}/agentschedules/search"
            }
            Route::CreateChannel => "/api/v2/notifications/channels",
            Route::GetSubscriptions
            | Route::PutSubscriptions
            | Route::PostSubscriptions
            | Route::DeleteSubscriptions => SUBSCRIPTIONS,
        }
    }

    /// The route's position in [`Route::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// True when the path names a user, so that user-scoped limiters apply.
    pub fn has_user(self) -> bool {
        matches!(
            self,
            Route::GetUser | Route::PutSchedule | Route::GetSchedule
        )
    }

    /// True for the routes that exist only in the seed thread's world.
    pub fn is_seed_only(self) -> bool {
        matches!(self, Route::PutSchedule | Route::GetSchedule)
    }

    /// True for the Workforce Management routes of the real API.
    pub fn is_wfm(self) -> bool {
        self.template().starts_with("/api/v2/workforcemanagement/")
    }

    /// True for the notification service's routes.
    pub fn is_notifications(self) -> bool {
        self.template().starts_with("/api/v2/notifications/")
    }

    /// The values of the template's `{...}` segments in `path`, in order.
    pub fn params(self, path: &str) -> Vec<&str> {
        let mut values = Vec::new();
        let mut parts = path.split('/');
        for expected in self.template().split('/') {
            let Some(actual) = parts.next() else { break };
            if expected.starts_with('{') {
                values.push(actual);
            }
        }
        values
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method(), self.template())
    }
}

/// Which routes a limiter covers: `*`, `METHOD /template`, `/template` (any method), or a
/// template prefix ending in `*` such as `/api/v2/wfm/*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    text: String,
    method: Option<String>,
    path: String,
}

impl RoutePattern {
    /// Parses a pattern; it must match at least one route.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let (method, path) = match trimmed.split_once(' ') {
            Some((m, p)) => (Some(m.trim().to_ascii_uppercase()), p.trim().to_string()),
            None => (None, trimmed.to_string()),
        };
        let pattern = RoutePattern {
            text: trimmed.to_string(),
            method,
            path,
        };
        if !Route::ALL.iter().any(|r| pattern.matches(*r)) {
            let known: Vec<String> = Route::ALL.iter().map(|r| r.to_string()).collect();
            return Err(format!(
                "route `{trimmed}` matches no route the emulator serves (known: {})",
                known.join(", ")
            ));
        }
        Ok(pattern)
    }

    /// The pattern covering every API route.
    pub fn all() -> Self {
        RoutePattern {
            text: "*".into(),
            method: None,
            path: "*".into(),
        }
    }

    /// Whether the pattern covers `route`.
    pub fn matches(&self, route: Route) -> bool {
        if self.method.as_deref().is_some_and(|m| m != route.method()) {
            return false;
        }
        match self.path.strip_suffix('*') {
            Some(prefix) => route.template().starts_with(prefix),
            None => route.template() == self.path,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl<'de> Deserialize<'de> for RoutePattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        RoutePattern::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_methods_templates_and_prefixes() {
        assert!(RoutePattern::all().matches(Route::PutSchedule));
        let put = RoutePattern::parse("PUT /api/v2/wfm/usersettings/{userId}/schedule").unwrap();
        assert!(put.matches(Route::PutSchedule));
        assert!(!put.matches(Route::GetSchedule));
        let any = RoutePattern::parse("/api/v2/wfm/usersettings/{userId}/schedule").unwrap();
        assert!(any.matches(Route::GetSchedule));
        let prefix = RoutePattern::parse("GET /api/v2/users*").unwrap();
        assert!(prefix.matches(Route::ListUsers) && prefix.matches(Route::GetUser));
        assert!(!prefix.matches(Route::OrgLimits));
        assert!(!prefix.matches(Route::SearchUsers));
        let users = RoutePattern::parse("/api/v2/users*").unwrap();
        assert!(users.matches(Route::SearchUsers));
        let search = RoutePattern::parse("POST /api/v2/users/search").unwrap();
        assert!(search.matches(Route::SearchUsers) && !search.matches(Route::GetUser));
        assert!(RoutePattern::parse("/api/v2/nothing").is_err());
        assert!(RoutePattern::parse("POST /api/v2/users").is_err());
    }

    #[test]
    fn route_indexes_follow_all() {
        for (i, route) in Route::ALL.iter().enumerate() {
            assert_eq!(route.index(), i);
        }
    }
}
