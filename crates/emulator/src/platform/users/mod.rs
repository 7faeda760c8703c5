//! The users routes: one user by id, the paged listing of every agent as a user, and (in
//! `search`) the users search; every route shows an agent as the same `User`.

mod search;

use axum::response::Response;
use pacer_genesys::errors::codes;
use pacer_genesys::{LIST_MAX_PAGE_SIZE, User, UserListing};

use crate::agents::format_uuid;
use crate::respond::{CorrelationId, api_error, json_value, user_not_found};
use crate::state::Inner;

pub use search::search_users;

/// The default page of `GET /api/v2/users` and of the search.
const DEFAULT_PAGE_SIZE: u32 = 25;

/// `GET /api/v2/users/{userId}`: the agent the path names.
pub fn user_by_id(inner: &Inner, segment: &str, cid: &CorrelationId) -> Response {
    match inner.agents.find(segment) {
        Some(agent) => json_value(200, &user(inner, agent), cid),
        None => user_not_found(cid),
    }
}

/// `GET /api/v2/users`: one page of the agents.
pub fn list_users_page(inner: &Inner, query: Option<&str>, cid: &CorrelationId) -> Response {
    let (size, number) = match paging(query) {
        Ok(paging) => paging,
        Err(message) => return api_error(400, codes::BAD_REQUEST, &message, cid),
    };
    let total = inner.agents.len() as u64;
    let page_count = total.div_ceil(u64::from(size)) as u32;
    let start = u64::from(number - 1) * u64::from(size);
    let end = (start + u64::from(size)).min(total);
    let entities = (start..end.max(start))
        .map(|agent| user(inner, agent as u32))
        .collect();
    let uri = |n: u32| format!("/api/v2/users?pageSize={size}&pageNumber={n}");
    let listing = UserListing {
        entities,
        page_size: size,
        page_number: number,
        total,
        page_count,
        first_uri: Some(uri(1)),
        self_uri: Some(uri(number)),
        next_uri: (number < page_count).then(|| uri(number + 1)),
        previous_uri: (number > 1).then(|| uri(number - 1)),
        last_uri: Some(uri(page_count.max(1))),
    };
    json_value(200, &listing, cid)
}

/// Agent number `agent` as a user.
fn user(inner: &Inner, agent: u32) -> User {
    let id = format_uuid(inner.agents.id(agent));
    let email = inner.agents.email(agent);
    User {
        self_uri: Some(format!("/api/v2/users/{id}")),
        id,
        name: inner.agents.name(agent),
        username: Some(email.clone()),
        email: Some(email),
        state: Some("active".into()),
        version: Some(1),
    }
}

/// Reads `pageSize` and `pageNumber` from a query string.
fn paging(query: Option<&str>) -> Result<(u32, u32), String> {
    let (mut size, mut number) = (DEFAULT_PAGE_SIZE, 1);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let parse = |value: &str| {
            value
                .parse::<u32>()
                .map_err(|_| format!("Invalid value for {name}: {value}"))
        };
        match name {
            "pageSize" => size = parse(value)?,
            "pageNumber" => number = parse(value)?,
            _ => {}
        }
    }
    if !(1..=LIST_MAX_PAGE_SIZE).contains(&size) {
        return Err(format!(
            "pageSize must be between 1 and {LIST_MAX_PAGE_SIZE}"
        ));
    }
    if number == 0 {
        return Err("pageNumber must be at least 1".into());
    }
    Ok((size, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_and_bounds() {
        assert_eq!(paging(None), Ok((25, 1)));
        assert_eq!(
            paging(Some("pageSize=100&pageNumber=3&sortOrder=ASC")),
            Ok((100, 3))
        );
        assert!(paging(Some("pageSize=0")).is_err());
        assert!(paging(Some("pageSize=501")).is_err());
        assert!(paging(Some("pageNumber=0")).is_err());
        assert!(paging(Some("pageNumber=x")).is_err());
    }
}
