//! The input's agents named by e-mail or name, resolved to user ids before anything is sent:
//! the keys a resumed run resolved already come from its journal, the rest from the Users API in
//! as few requests as it allows. An unknown key, a name several users bear, or keys of one row
//! that name different users are findings with their line.

use std::collections::{HashMap, HashSet};

use pacer_client::Executor;
use pacer_client::bulk::Finding;
use pacer_client::bulk::directory::{self, Choice, Directory, Lookup};
use pacer_genesys::User;
use pacer_journal::{Journal, ResolvedKey};

use super::wanted::RowKey;

/// Each row's user id, and the findings of the rows that have none.
pub struct Resolution {
    /// User id by input line.
    pub ids: HashMap<u64, String>,
    pub findings: Vec<Finding>,
    /// The keys the journal already held.
    pub from_journal: usize,
    /// The Users API's requests, and how the keys were looked up.
    pub requests: u32,
    pub strategy: &'static str,
}

/// A key's kind as the journal keeps it.
const EMAIL: &str = "email";
const NAME: &str = "name";

/// Resolves every row's keys; records in `journal` those newly resolved.
pub async fn resolve(
    exec: &mut Executor,
    journal: Option<&Journal>,
    rows: &[RowKey],
    choice: Choice,
) -> anyhow::Result<Resolution> {
    let known: HashMap<(String, String), String> = match journal {
        Some(journal) => journal
            .resolved_keys()?
            .into_iter()
            .map(|k| ((k.kind, k.key), k.user_id))
            .collect(),
        None => HashMap::new(),
    };
    let lookup = lookup(rows, &known);
    let directory = directory::resolve_by(exec, &lookup, choice).await?;
    let mut resolver = Resolver {
        known: &known,
        directory: &directory,
        fresh: Vec::new(),
        recorded: HashSet::new(),
        findings: Vec::new(),
    };
    let mut ids = HashMap::new();
    for row in rows {
        if let Some(id) = resolver.row(row) {
            ids.insert(row.line, id);
        }
    }
    if let Some(journal) = journal {
        journal.record_keys(&resolver.fresh)?;
    }
    Ok(Resolution {
        ids,
        findings: resolver.findings,
        from_journal: known.len(),
        requests: directory.requests,
        strategy: directory.strategy.as_str(),
    })
}

/// The keys no earlier run resolved.
fn lookup(rows: &[RowKey], known: &HashMap<(String, String), String>) -> Lookup {
    let mut lookup = Lookup::default();
    for row in rows {
        if let Some(email) = &row.key.email {
            let email = email.to_lowercase();
            if !known.contains_key(&(EMAIL.to_string(), email.clone())) {
                lookup.emails.insert(email);
            }
        }
        if let Some(name) = &row.key.name {
            let name = name.to_lowercase();
            if !known.contains_key(&(NAME.to_string(), name.clone())) {
                lookup.names.insert(name);
            }
        }
    }
    lookup
}

/// One user named by a key: its id, and how it reads in a message.
struct Named {
    id: String,
    shown: String,
}

struct Resolver<'a> {
    known: &'a HashMap<(String, String), String>,
    directory: &'a Directory,
    /// Keys resolved by this run, for the journal.
    fresh: Vec<ResolvedKey>,
    recorded: HashSet<(String, String)>,
    findings: Vec<Finding>,
}

impl Resolver<'_> {
    /// The row's user id, when its keys name exactly one user and agree.
    fn row(&mut self, row: &RowKey) -> Option<String> {
        let by_id = row.key.user_id.as_ref().map(|id| Named {
            id: id.clone(),
            shown: format!("userId {id}"),
        });
        let by_email = match &row.key.email {
            Some(email) => Some(self.email(row.line, email)?),
            None => None,
        };
        if let (Some(by_id), Some(by_email)) = (&by_id, &by_email)
            && !by_id.id.eq_ignore_ascii_case(&by_email.id)
        {
            self.find(
                row.line,
                "email",
                format!(
                    "the row's {} and its userId {} name different users",
                    by_email.shown, by_id.id
                ),
            );
            return None;
        }
        let anchor = by_id.or(by_email);
        let by_name = match &row.key.name {
            Some(name) => Some(self.name(row.line, name, anchor.as_ref())?),
            None => None,
        };
        let chosen = anchor.or(by_name)?;
        Some(chosen.id)
    }

    /// The user an e-mail names; with `userId` on the row too, they must agree.
    fn email(&mut self, line: u64, email: &str) -> Option<Named> {
        let key = email.to_lowercase();
        let id = match self.known.get(&(EMAIL.to_string(), key.clone())) {
            Some(id) => id.clone(),
            None => match self.directory.by_email(&key) {
                Some(user) => {
                    self.remember(EMAIL, &key, &user.id);
                    user.id.clone()
                }
                None => {
                    self.find(
                        line,
                        "email",
                        format!("`{email}` is the e-mail of no user of the organization"),
                    );
                    return None;
                }
            },
        };
        Some(Named {
            shown: format!("email {email} (user {id})"),
            id,
        })
    }

    /// The user a name names: the one who bears it, or (with another key on the row) the one the
    /// other key names, who must bear it.
    fn name(&mut self, line: u64, name: &str, anchor: Option<&Named>) -> Option<Named> {
        let key = name.to_lowercase();
        let bearers: Vec<String> = match self.known.get(&(NAME.to_string(), key.clone())) {
            Some(id) => vec![id.clone()],
            None => self
                .directory
                .by_name(&key)
                .iter()
                .map(|u| u.id.clone())
                .collect(),
        };
        if let Some(anchor) = anchor {
            if !bearers.iter().any(|b| b.eq_ignore_ascii_case(&anchor.id)) {
                self.find(
                    line,
                    "name",
                    format!("`{name}` is not the name of the row's {}", anchor.shown),
                );
                return None;
            }
            return Some(Named {
                id: anchor.id.clone(),
                shown: anchor.shown.clone(),
            });
        }
        match bearers.as_slice() {
            [] => {
                self.find(
                    line,
                    "name",
                    format!("`{name}` is the name of no user of the organization"),
                );
                None
            }
            [one] => {
                let id = one.clone();
                self.remember(NAME, &key, &id);
                Some(Named {
                    shown: format!("name {name} (user {id})"),
                    id,
                })
            }
            many => {
                let listed: Vec<String> =
                    self.directory.by_name(&key).iter().map(describe).collect();
                self.find(
                    line,
                    "name",
                    format!(
                        "`{name}` is the name of {} users ({}): key the row by userId or email",
                        many.len(),
                        listed.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn remember(&mut self, kind: &str, key: &str, id: &str) {
        if self.recorded.insert((kind.to_string(), key.to_string())) {
            self.fresh.push(ResolvedKey {
                kind: kind.into(),
                key: key.into(),
                user_id: id.into(),
            });
        }
    }

    fn find(&mut self, line: u64, field: &'static str, reason: String) {
        self.findings.push(Finding {
            line,
            field,
            reason,
        });
    }
}

/// A user as a finding lists it: its id and e-mail.
fn describe(user: &User) -> String {
    match &user.email {
        Some(email) => format!("{} <{email}>", user.id),
        None => user.id.clone(),
    }
}
