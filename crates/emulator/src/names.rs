//! Names and e-mails given to agents (a mirror's users'), kept by agent number and read back to
//! agent numbers through maps built once, compared without regard to case. Agents without a given
//! name or e-mail keep the ones derived from their number (see `agents`).

use std::collections::HashMap;

/// The given names and e-mails of some agents.
#[derive(Debug, Default)]
pub struct GivenNames {
    names: Vec<Option<Box<str>>>,
    emails: Vec<Option<Box<str>>>,
    /// Each given name in lower case, and the agents of that name in agent order.
    by_name: HashMap<Box<str>, Vec<u32>>,
    /// Each given e-mail in lower case, and its agent.
    by_email: HashMap<Box<str>, u32>,
}

impl GivenNames {
    /// Names and e-mails by agent number (`None`: the derived one); an e-mail given twice stays
    /// with its first agent.
    pub fn new(entries: impl IntoIterator<Item = (Option<String>, Option<String>)>) -> GivenNames {
        let mut given = GivenNames::default();
        for (agent, (name, email)) in entries.into_iter().enumerate() {
            let agent = agent as u32;
            if let Some(name) = &name {
                let key = name.to_lowercase().into_boxed_str();
                given.by_name.entry(key).or_default().push(agent);
            }
            if let Some(email) = &email {
                let key = email.to_lowercase().into_boxed_str();
                given.by_email.entry(key).or_insert(agent);
            }
            given.names.push(name.map(String::into_boxed_str));
            given.emails.push(email.map(String::into_boxed_str));
        }
        given
    }

    /// The given name of agent number `agent`, if it has one.
    pub fn name(&self, agent: u32) -> Option<&str> {
        self.names.get(agent as usize)?.as_deref()
    }

    /// The given e-mail of agent number `agent`, if it has one.
    pub fn email(&self, agent: u32) -> Option<&str> {
        self.emails.get(agent as usize)?.as_deref()
    }

    /// The agents given the name `text`, in agent order.
    pub fn with_name(&self, text: &str) -> &[u32] {
        self.by_name
            .get(text.to_lowercase().as_str())
            .map_or(&[], Vec::as_slice)
    }

    /// The agent given the e-mail `text`.
    pub fn find_email(&self, text: &str) -> Option<u32> {
        self.by_email.get(text.to_lowercase().as_str()).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_names_and_emails_are_found_in_any_case() {
        let some = |s: &str| Some(s.to_string());
        let given = GivenNames::new([
            (some("Ada Lovelace"), some("ada@example.com")),
            (None, None),
            (some("ada lovelace"), some("ADA2@example.com")),
            (some("Zoë Ng"), None),
        ]);
        assert_eq!(given.name(0), Some("Ada Lovelace"));
        assert_eq!((given.name(1), given.email(1)), (None, None));
        assert_eq!(given.name(9), None);
        assert_eq!(given.with_name("ADA LOVELACE"), &[0, 2]);
        assert_eq!(given.with_name("zoë ng"), &[3]);
        assert!(given.with_name("Ada").is_empty());
        assert_eq!(given.find_email("Ada2@Example.com"), Some(2));
        assert_eq!(given.find_email("nobody@example.com"), None);
    }
}
