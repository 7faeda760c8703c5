//! How a row names its agent: its keys read and checked, and the number the duplicate check
//! knows the agent by.

use pacer_journal::Hasher;

use super::*;

/// One of the fields a row may name its agent by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyField {
    UserId,
    Email,
    Name,
}

impl KeyField {
    /// Every key field, in the order a row's key is shown by.
    pub(super) const ALL: [KeyField; 3] = [KeyField::UserId, KeyField::Email, KeyField::Name];

    /// The field's name, as a CSV column and as a JSON key.
    pub(super) fn name(self) -> &'static str {
        match self {
            KeyField::UserId => "userId",
            KeyField::Email => "email",
            KeyField::Name => "name",
        }
    }
}

impl AgentKey {
    /// A key of the fields' text, each trimmed, an empty one left out.
    pub(super) fn from_fields(
        user_id: Option<&str>,
        email: Option<&str>,
        name: Option<&str>,
    ) -> AgentKey {
        let given = |text: Option<&str>| {
            text.map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_string)
        };
        AgentKey {
            user_id: given(user_id),
            email: given(email),
            name: given(name),
        }
    }

    /// The field the row is known by in reports: the userId, else the e-mail, else the name;
    /// `None` when the row names no agent.
    pub(super) fn shown_field(&self) -> Option<KeyField> {
        KeyField::ALL
            .into_iter()
            .find(|&field| self.get(field).is_some())
    }

    /// What reports show the row's agent as (see [`AgentKey::shown_field`]); empty when the row
    /// names none.
    pub(super) fn shown(&self) -> &str {
        self.shown_field()
            .and_then(|field| self.get(field))
            .unwrap_or_default()
    }

    fn get(&self, field: KeyField) -> Option<&str> {
        match field {
            KeyField::UserId => self.user_id.as_deref(),
            KeyField::Email => self.email.as_deref(),
            KeyField::Name => self.name.as_deref(),
        }
    }

    /// The number the duplicate check knows the agent by: its userId (when a UUID), else the
    /// first 128 bits of the SHA-256 of its lowercased e-mail (when an e-mail), else of its
    /// lowercased name. A malformed key has none: its row is refused for it already.
    pub(super) fn number(&self) -> Option<u128> {
        match self.shown_field()? {
            KeyField::UserId => parse_uuid(self.user_id.as_deref()?),
            KeyField::Email if email_problem(self.email.as_deref()?).is_some() => None,
            field => {
                let text = self.get(field)?.to_lowercase();
                let mut hasher = Hasher::new();
                // The field's name keeps an e-mail and a name of the same text apart.
                hasher.update(field.name().as_bytes());
                hasher.update(b"\0");
                hasher.update(text.as_bytes());
                let digest = hasher.finish().sha256;
                let mut first = [0u8; 16];
                first.copy_from_slice(&digest[..16]);
                Some(u128::from_be_bytes(first))
            }
        }
    }

    /// Every problem with the key, each on the field it concerns. `fields` are the key fields
    /// the row's layout has (the first gets the finding of a row that names no agent); `keyed`
    /// says whether e-mails and names are allowed, without which the userId is required.
    pub(super) fn problems(&self, fields: &[KeyField], keyed: bool) -> Vec<(KeyField, String)> {
        if !keyed {
            let user_id = self.user_id.as_deref().unwrap_or_default();
            return user_id_problem(user_id)
                .map(|reason| (KeyField::UserId, reason))
                .into_iter()
                .collect();
        }
        let mut problems = Vec::new();
        if self.shown_field().is_none() {
            let first = fields.first().copied().unwrap_or(KeyField::UserId);
            problems.push((first, no_agent(fields)));
        }
        if let Some(reason) = self.user_id.as_deref().and_then(user_id_problem) {
            problems.push((KeyField::UserId, reason));
        }
        if let Some(reason) = self.email.as_deref().and_then(email_problem) {
            problems.push((KeyField::Email, reason));
        }
        problems
    }
}

/// The reason of a row whose key fields are all empty, naming them.
fn no_agent(fields: &[KeyField]) -> String {
    let names: Vec<&str> = fields.iter().map(|field| field.name()).collect();
    match names.as_slice() {
        [one] => format!("{one} is empty; the row must name its agent"),
        [init @ .., last] => format!(
            "{} and {last} are all empty; the row must name its agent by at least one",
            init.join(", ")
        ),
        [] => "the row names no agent: give a userId, email or name".into(),
    }
}

/// Why an e-mail is refused, or `None` when it has exactly one `@`, text on both sides and no
/// whitespace.
pub(super) fn email_problem(email: &str) -> Option<String> {
    let shaped = match email.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    };
    if shaped && !email.chars().any(char::is_whitespace) {
        None
    } else {
        Some(format!("email `{email}` is not an e-mail address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a93";

    #[test]
    fn a_key_is_shown_by_its_user_id_else_its_email_else_its_name() {
        let key = AgentKey::from_fields(Some(" "), Some(" ann@example.com "), Some("Ann"));
        assert_eq!(key.user_id, None);
        assert_eq!(key.email.as_deref(), Some("ann@example.com"));
        assert_eq!(key.shown(), "ann@example.com");
        assert_eq!(key.shown_field(), Some(KeyField::Email));
        let key = AgentKey::from_fields(Some(A), None, Some("Ann"));
        assert_eq!(key.shown(), A);
        let key = AgentKey::from_fields(None, Some(""), Some("Ann Lee"));
        assert_eq!(key.shown(), "Ann Lee");
        assert_eq!(AgentKey::from_fields(None, None, None).shown(), "");
    }

    #[test]
    fn e_mails_need_one_at_sign_with_text_on_both_sides_and_no_whitespace() {
        for good in ["ann@example.com", "a@b", "first.last+tag@sub.example.org"] {
            assert_eq!(email_problem(good), None, "{good}");
        }
        for bad in [
            "ann",
            "@example.com",
            "ann@",
            "a@b@c",
            "ann lee@example.com",
            "a@b\tc",
        ] {
            assert_eq!(
                email_problem(bad),
                Some(format!("email `{bad}` is not an e-mail address")),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_duplicate_number_ignores_case_and_keeps_fields_apart() {
        let email = |text: &str| AgentKey::from_fields(None, Some(text), None).number();
        let name = |text: &str| AgentKey::from_fields(None, None, Some(text)).number();
        assert_eq!(email("Ann@Example.com"), email("ann@example.COM"));
        assert_ne!(email("ann@example.com"), email("bob@example.com"));
        assert_eq!(name("Ann Lee"), name("ANN LEE"));
        assert_ne!(name("a@b"), email("a@b"));
        // A userId decides, whatever else the row says.
        let both = AgentKey::from_fields(Some(A), Some("ann@example.com"), None);
        assert_eq!(both.number(), parse_uuid(A));
        assert_eq!(AgentKey::from_fields(None, None, None).number(), None);
        assert_eq!(email("not an e-mail"), None);
    }

    #[test]
    fn a_keyed_row_needs_one_key_and_each_key_given_must_be_well_formed() {
        let fields = KeyField::ALL;
        let none = AgentKey::default();
        assert_eq!(
            none.problems(&fields, true),
            vec![(
                KeyField::UserId,
                "userId, email and name are all empty; the row must name its agent by at least one"
                    .to_string()
            )]
        );
        assert_eq!(
            none.problems(&[KeyField::Email], true),
            vec![(
                KeyField::Email,
                "email is empty; the row must name its agent".to_string()
            )]
        );
        let bad = AgentKey::from_fields(Some("agent-7"), Some("ann"), Some("Ann"));
        let problems = bad.problems(&fields, true);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].0, KeyField::UserId);
        assert_eq!(
            problems[1],
            (
                KeyField::Email,
                "email `ann` is not an e-mail address".to_string()
            )
        );
        assert!(
            AgentKey::from_fields(None, None, Some("Ann"))
                .problems(&fields, true)
                .is_empty()
        );
        // Without e-mails and names allowed, the userId is required as before.
        let problems = AgentKey::from_fields(None, None, Some("Ann")).problems(&fields, false);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.starts_with("userId is empty"), "{problems:?}");
    }
}
