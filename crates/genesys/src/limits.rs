//! The organization's limits as `GET /api/v2/organizations/limits/namespaces/{ns}` lists them.

use serde::{Deserialize, Serialize};

/// One limit: its key, namespace and value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitEntity {
    pub key: String,
    pub namespace: String,
    pub value: u64,
}

/// `{"entities":[{key,namespace,value}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgLimits {
    pub entities: Vec<LimitEntity>,
}

impl OrgLimits {
    /// The value of the limit named `key`, if listed.
    pub fn value_of(&self, key: &str) -> Option<u64> {
        self.entities.iter().find(|e| e.key == key).map(|e| e.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_limits_round_trip_and_lookup() {
        let text = r#"{"entities":[{"key":"token.rate.per.minute","namespace":"platform.api","value":300}]}"#;
        let limits: OrgLimits = serde_json::from_str(text).unwrap();
        assert_eq!(limits.value_of("token.rate.per.minute"), Some(300));
        assert_eq!(limits.value_of("other"), None);
        assert_eq!(serde_json::to_string(&limits).unwrap(), text);
    }
}
