//! `POST /api/v2/users/search`: the agents that `EXACT` and `TERMS` criteria on e-mail, name or id
//! name, found by reading each value back to agent numbers (derived ones parsed, a mirror's given
//! ones through maps; never by scanning the agents), and a page of them as users, in agent order.

use std::ops::Range;

use axum::body::Body;
use axum::response::Response;
use pacer_genesys::{
    SEARCH_MAX_PAGE_SIZE, UserSearchCriteria, UserSearchRequest, UsersSearchResponse,
};

use super::{DEFAULT_PAGE_SIZE, user};
use crate::agents::Agents;
use crate::http::{Ctx, Problem, read_json};
use crate::respond::json_value;
use crate::state::Inner;

/// The most values one `TERMS` criterion may list; the emulator refuses more with a 400 (the real
/// API does not publish its bound).
pub const TERMS_MAX_VALUES: usize = 100;

/// A field a criterion may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// `email`, or `username` (the same text in the emulator).
    Email,
    /// `name`, compared case-insensitively and whole.
    Name,
    /// `id`, the user's UUID in any case.
    Id,
}

impl Field {
    fn parse(text: &str) -> Option<Field> {
        match text {
            "email" | "username" => Some(Field::Email),
            "name" => Some(Field::Name),
            "id" => Some(Field::Id),
            _ => None,
        }
    }

    /// The agent numbers whose field equals `value` (derived names: at most two, and
    /// neighbours; given names: as many as share it).
    fn lookup(self, agents: &Agents, value: &str) -> Vec<u32> {
        match self {
            Field::Email => agents.find_email(value).into_iter().collect(),
            Field::Name => agents.with_name(value),
            Field::Id => agents.find(value).into_iter().collect(),
        }
    }
}

/// `POST /api/v2/users/search`: a page of the users every criterion matches.
pub async fn search_users(ctx: &Ctx<'_>, body: Body) -> Response {
    let answer = match read_json::<UserSearchRequest>(ctx, body).await {
        Ok(request) => answer(ctx.inner, &request),
        Err(problem) => Err(problem),
    };
    match answer {
        Ok(found) => json_value(200, &found, ctx.cid),
        Err(problem) => problem.answer(ctx.cid),
    }
}

/// The search's answer, or why the request is refused.
fn answer(inner: &Inner, request: &UserSearchRequest) -> Result<UsersSearchResponse, Problem> {
    let (size, number) = paging(request)?;
    let found = find(&inner.agents, &request.query)?;
    let (range, page_count) = page(found.len(), size, number);
    Ok(UsersSearchResponse {
        total: found.len() as u64,
        page_count,
        page_size: size,
        page_number: number,
        previous_page: None,
        current_page: None,
        next_page: None,
        types: Some(vec!["users".into()]),
        results: found[range].iter().map(|&a| user(inner, a)).collect(),
    })
}

/// The page's size and number: 25 and 1 unless given, the size at most [`SEARCH_MAX_PAGE_SIZE`].
fn paging(request: &UserSearchRequest) -> Result<(u32, u32), Problem> {
    let size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=SEARCH_MAX_PAGE_SIZE).contains(&size) {
        return Err(Problem::bad_request(format!(
            "pageSize must be between 1 and {SEARCH_MAX_PAGE_SIZE}"
        )));
    }
    let number = request.page_number.unwrap_or(1);
    if number == 0 {
        return Err(Problem::bad_request("pageNumber must be at least 1"));
    }
    Ok((size, number))
}

/// The positions of page `number` among `total` matches, and the number of pages.
fn page(total: usize, size: u32, number: u32) -> (Range<usize>, u32) {
    let page_count = total.div_ceil(size as usize) as u32;
    let start = (number as usize - 1)
        .saturating_mul(size as usize)
        .min(total);
    let end = start.saturating_add(size as usize).min(total);
    (start..end, page_count)
}

/// The agent numbers every criterion matches, in agent order.
fn find(agents: &Agents, query: &[UserSearchCriteria]) -> Result<Vec<u32>, Problem> {
    if query.is_empty() {
        return Err(Problem::bad_request(
            "The search needs at least one criterion in query.",
        ));
    }
    let mut found: Option<Vec<u32>> = None;
    for criterion in query {
        let matched = matches(agents, criterion)?;
        found = Some(match found {
            None => matched,
            Some(before) => intersect(&before, &matched),
        });
    }
    Ok(found.unwrap_or_default())
}

/// The agent numbers one criterion matches, in agent order: any of its fields equal to any of
/// its values.
fn matches(agents: &Agents, criterion: &UserSearchCriteria) -> Result<Vec<u32>, Problem> {
    if let Some(operator) = criterion.operator.as_deref()
        && !operator.eq_ignore_ascii_case("AND")
    {
        return Err(Problem::bad_request(format!(
            "The search operator {operator} is not supported by the emulator; its criteria are ANDed."
        )));
    }
    let fields = fields(criterion)?;
    let values = values(criterion)?;
    let mut found: Vec<u32> = Vec::new();
    for value in values {
        for field in &fields {
            found.extend(field.lookup(agents, value));
        }
    }
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

/// The criterion's fields, each one the emulator searches.
fn fields(criterion: &UserSearchCriteria) -> Result<Vec<Field>, Problem> {
    let names = criterion.fields.as_deref().unwrap_or_default();
    if names.is_empty() {
        return Err(Problem::bad_request(
            "A search criterion needs fields (email, name or id).",
        ));
    }
    names
        .iter()
        .map(|name| {
            Field::parse(name).ok_or_else(|| {
                Problem::bad_request(format!(
                    "The search field {name} is not supported by the emulator; it searches email, username, name and id."
                ))
            })
        })
        .collect()
}

/// The criterion's values: `EXACT`'s `value`, or `TERMS`'s `values` (at most
/// [`TERMS_MAX_VALUES`]).
fn values(criterion: &UserSearchCriteria) -> Result<Vec<&str>, Problem> {
    let kind = criterion.kind.as_str();
    if kind.eq_ignore_ascii_case("EXACT") {
        let value = criterion.value.as_deref().ok_or_else(|| {
            Problem::bad_request("A search criterion of type EXACT needs a value.")
        })?;
        return Ok(vec![value]);
    }
    if !kind.eq_ignore_ascii_case("TERMS") {
        return Err(Problem::bad_request(format!(
            "The search type {kind} is not supported by the emulator; it supports EXACT and TERMS."
        )));
    }
    let values = criterion.values.as_deref().unwrap_or_default();
    if values.is_empty() {
        return Err(Problem::bad_request(
            "A search criterion of type TERMS needs values.",
        ));
    }
    if values.len() > TERMS_MAX_VALUES {
        return Err(Problem::bad_request(format!(
            "A search criterion of type TERMS takes at most {TERMS_MAX_VALUES} values ({} given).",
            values.len()
        )));
    }
    Ok(values.iter().map(String::as_str).collect())
}

/// The numbers in both sorted lists, sorted.
fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::format_uuid;

    fn criterion(kind: &str, fields: &[&str], values: &[&str]) -> UserSearchCriteria {
        UserSearchCriteria {
            kind: kind.into(),
            fields: Some(fields.iter().map(|f| f.to_string()).collect()),
            value: (kind == "EXACT").then(|| values[0].to_string()),
            values: (kind != "EXACT").then(|| values.iter().map(|v| v.to_string()).collect()),
            operator: None,
        }
    }

    fn found(agents: &Agents, query: &[UserSearchCriteria]) -> Vec<u32> {
        find(agents, query).unwrap()
    }

    fn refusal(agents: &Agents, query: &[UserSearchCriteria]) -> String {
        format!("{:?}", find(agents, query).unwrap_err())
    }

    #[test]
    fn exact_and_terms_match_email_name_and_id_in_any_case() {
        let agents = Agents::new(1500, 3);
        let email = criterion("EXACT", &["email"], &["AGENT00007@pacer-emulator.example"]);
        assert_eq!(found(&agents, &[email]), vec![6]);
        let id = format_uuid(agents.id(41)).to_uppercase();
        assert_eq!(
            found(&agents, &[criterion("EXACT", &["id"], &[&id])]),
            vec![41]
        );
        let names = criterion(
            "TERMS",
            &["name"],
            &["agent 00999", "Agent 00003", "nobody"],
        );
        assert_eq!(found(&agents, &[names]), vec![2, 998, 999]);
        let either = criterion(
            "terms",
            &["email", "name"],
            &["Agent 00010", "agent00005@pacer-emulator.example"],
        );
        assert_eq!(found(&agents, &[either]), vec![4, 9]);
        let username = criterion(
            "EXACT",
            &["username"],
            &["agent01500@pacer-emulator.example"],
        );
        assert_eq!(found(&agents, &[username]), vec![1499]);
        let partial = criterion("EXACT", &["name"], &["Agent 0000"]);
        assert!(found(&agents, &[partial]).is_empty());
    }

    #[test]
    fn a_hundred_terms_among_20000_agents_are_read_back_not_scanned() {
        let agents = Agents::new(20_000, 3);
        let emails: Vec<String> = (0..100).map(|i| agents.email(19_999 - i * 199)).collect();
        let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
        let matched = found(&agents, &[criterion("TERMS", &["email"], &emails)]);
        assert_eq!(matched.len(), 100);
        assert!(matched.windows(2).all(|w| w[0] < w[1]), "in agent order");
        assert_eq!(matched[99], 19_999);
    }

    #[test]
    fn criteria_are_anded() {
        let agents = Agents::new(1500, 3);
        let pair = criterion("EXACT", &["name"], &["Agent 00499"]);
        let second = criterion("EXACT", &["email"], &["agent00500@pacer-emulator.example"]);
        assert_eq!(found(&agents, std::slice::from_ref(&pair)), vec![498, 499]);
        assert_eq!(found(&agents, &[pair.clone(), second]), vec![499]);
        let other = criterion("EXACT", &["email"], &["agent00001@pacer-emulator.example"]);
        assert!(found(&agents, &[pair, other]).is_empty());
        assert_eq!(intersect(&[1, 3, 5, 7], &[2, 3, 7, 9]), vec![3, 7]);
    }

    #[test]
    fn unsupported_criteria_are_refused_by_name() {
        let agents = Agents::new(10, 3);
        assert!(refusal(&agents, &[]).contains("at least one criterion"));
        let starts = criterion("STARTS_WITH", &["name"], &["Agent"]);
        assert!(refusal(&agents, &[starts]).contains("STARTS_WITH"));
        let field = criterion("EXACT", &["department"], &["x"]);
        assert!(refusal(&agents, &[field]).contains("department"));
        assert!(refusal(&agents, &[criterion("EXACT", &[], &["x"])]).contains("needs fields"));
        let mut no_value = criterion("EXACT", &["name"], &["x"]);
        no_value.value = None;
        assert!(refusal(&agents, &[no_value]).contains("needs a value"));
        assert!(refusal(&agents, &[criterion("TERMS", &["id"], &[])]).contains("needs values"));
        let many: Vec<String> = (0..101).map(|i| format!("Agent {i:05}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let too_many = criterion("TERMS", &["name"], &many);
        assert!(refusal(&agents, &[too_many]).contains("at most 100 values (101 given)"));
        let mut or = criterion("EXACT", &["name"], &["Agent 00001"]);
        or.operator = Some("OR".into());
        assert!(refusal(&agents, &[or]).contains("operator OR"));
    }

    #[test]
    fn paging_defaults_bounds_and_pages() {
        let mut request = UserSearchRequest {
            page_size: None,
            page_number: None,
            sort_order: None,
            sort_by: None,
            expand: None,
            query: Vec::new(),
        };
        assert_eq!(paging(&request).unwrap(), (25, 1));
        request.page_size = Some(101);
        assert!(format!("{:?}", paging(&request).unwrap_err()).contains("between 1 and 100"));
        request.page_size = Some(0);
        assert!(paging(&request).is_err());
        request.page_size = Some(100);
        request.page_number = Some(0);
        assert!(paging(&request).is_err());
        assert_eq!(page(0, 25, 1), (0..0, 0));
        assert_eq!(page(60, 25, 1), (0..25, 3));
        assert_eq!(page(60, 25, 3), (50..60, 3));
        assert_eq!(page(60, 25, 4), (60..60, 3));
        assert_eq!(page(60, 100, u32::MAX), (60..60, 1));
    }
}
