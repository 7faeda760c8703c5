//! `GET /api/v2/users` and `POST /api/v2/users/search`: one user, a page of users, and the
//! search's request and answer, with the official SDKs' names.

use serde::{Deserialize, Serialize};

/// A user as the users listing shows it (the fields pacer reads; the real API sends more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// One page of `GET /api/v2/users?pageSize=&pageNumber=` (page numbers start at 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserListing {
    pub entities: Vec<User>,
    pub page_size: u32,
    pub page_number: u32,
    pub total: u64,
    pub page_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_uri: Option<String>,
}

/// The largest page of `GET /api/v2/users` (the real API's).
pub const LIST_MAX_PAGE_SIZE: u32 = 500;

/// The largest page of `POST /api/v2/users/search`. The real API does not publish it; the emulator
/// answers at most this many results a page and refuses a larger `pageSize`.
pub const SEARCH_MAX_PAGE_SIZE: u32 = 100;

/// `UserSearchRequest`: criteria ANDed together, a page of the matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSearchRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expand: Option<Vec<String>>,
    #[serde(default)]
    pub query: Vec<UserSearchCriteria>,
}

/// `UserSearchCriteria`: `EXACT` takes `value`, `TERMS` takes `values`; `fields` such as
/// `["email"]`, `["name"]` or `["id"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSearchCriteria {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

impl UserSearchCriteria {
    /// `TERMS` on one field: a user matches when the field equals one of `values`.
    pub fn terms(field: &str, values: Vec<String>) -> Self {
        UserSearchCriteria {
            kind: "TERMS".into(),
            fields: Some(vec![field.to_string()]),
            value: None,
            values: Some(values),
            operator: None,
        }
    }

    /// `EXACT` on one field.
    pub fn exact(field: &str, value: impl Into<String>) -> Self {
        UserSearchCriteria {
            kind: "EXACT".into(),
            fields: Some(vec![field.to_string()]),
            value: Some(value.into()),
            values: None,
            operator: None,
        }
    }
}

/// `UsersSearchResponse`: one page of the matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsersSearchResponse {
    pub total: u64,
    pub page_count: u32,
    pub page_size: u32,
    pub page_number: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    #[serde(default)]
    pub results: Vec<User>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_reads_the_paging_fields_by_their_real_names() {
        let text = r#"{"entities":[{"id":"u1","name":"Agent 1"}],"pageSize":25,"pageNumber":1,
                       "total":1,"pageCount":1,"selfUri":"/api/v2/users?pageSize=25&pageNumber=1"}"#;
        let page: UserListing = serde_json::from_str(text).unwrap();
        assert_eq!(page.entities[0].id, "u1");
        assert_eq!(
            (
                page.page_size,
                page.page_number,
                page.total,
                page.page_count
            ),
            (25, 1, 1, 1)
        );
        assert!(page.next_uri.is_none());
    }

    #[test]
    fn a_search_writes_type_and_reads_the_sdks_answer() {
        let request = UserSearchRequest {
            page_size: Some(100),
            page_number: Some(1),
            sort_order: None,
            sort_by: None,
            expand: None,
            query: vec![UserSearchCriteria::terms(
                "email",
                vec!["a@x.example".into()],
            )],
        };
        let text = serde_json::to_string(&request).unwrap();
        assert_eq!(
            text,
            r#"{"pageSize":100,"pageNumber":1,"query":[{"type":"TERMS","fields":["email"],"values":["a@x.example"]}]}"#
        );
        let answer: UsersSearchResponse = serde_json::from_str(
            r#"{"total":1,"pageCount":1,"pageSize":100,"pageNumber":1,"types":["users"],
                "results":[{"id":"u1","name":"A","email":"a@x.example"}]}"#,
        )
        .unwrap();
        assert_eq!(answer.results[0].email.as_deref(), Some("a@x.example"));
    }
}
