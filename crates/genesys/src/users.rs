//! `GET /api/v2/users`: one user and a page of users.

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
}
