//! Agents named by e-mail, name or id, resolved to users in as few requests as the Users API
//! allows: either the organization listed in pages of 500, or the keys searched 100 at a time.
//!
//! Which one costs less depends on the organization's size against the number of keys: 1,500
//! e-mails in an organization of 1,500 users take 3 pages of the listing but 15 searches; the same
//! e-mails in an organization of 20,000 take 40 pages but still 15 searches. The listing's first
//! page tells the organization's size, so [`resolve`] reads it first (unless a single search
//! covers every key) and then takes the cheaper way for the rest. Names are not unique: a name is
//! resolved to every user who bears it, so the caller can refuse an ambiguous one.

use std::collections::{BTreeSet, HashMap};

use pacer_genesys::users::{
    LIST_MAX_PAGE_SIZE, SEARCH_MAX_PAGE_SIZE, User, UserListing, UserSearchCriteria,
    UserSearchRequest, UsersSearchResponse,
};

use super::api::{Api, to_json};
use crate::error::{Error, Result};
use crate::executor::{Call, Executor};

/// The most pages one listing or one search may follow: a bound on the loop, far past any
/// organization (10,000 pages of 500 users).
const MAX_PAGES: u32 = 10_000;

/// The keys to resolve, each lowercased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookup {
    pub emails: BTreeSet<String>,
    pub names: BTreeSet<String>,
    pub ids: BTreeSet<String>,
}

impl Lookup {
    /// Whether there is nothing to resolve.
    pub fn is_empty(&self) -> bool {
        self.emails.is_empty() && self.names.is_empty() && self.ids.is_empty()
    }

    /// Searches that resolve every key: one per 100 keys of each kind (a name borne by several
    /// users may take more pages, which this does not count).
    pub fn search_cost(&self) -> u32 {
        let per = |n: usize| n.div_ceil(SEARCH_MAX_PAGE_SIZE as usize) as u32;
        per(self.emails.len()) + per(self.names.len()) + per(self.ids.len())
    }
}

/// How the keys were resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Nothing to resolve: no request.
    Nothing,
    /// The whole organization listed.
    Listing,
    /// The keys searched (after the listing's first page, when it was read).
    Search,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Nothing => "none",
            Strategy::Listing => "listing",
            Strategy::Search => "search",
        }
    }
}

/// The users found, by each kind of key (lowercased).
#[derive(Debug, Clone)]
pub struct Directory {
    by_email: HashMap<String, User>,
    by_name: HashMap<String, Vec<User>>,
    by_id: HashMap<String, User>,
    pub strategy: Strategy,
    /// The API requests the resolution took.
    pub requests: u32,
    /// The organization's size, when the listing told it.
    pub organization_users: Option<u64>,
}

impl Directory {
    fn new() -> Directory {
        Directory {
            by_email: HashMap::new(),
            by_name: HashMap::new(),
            by_id: HashMap::new(),
            strategy: Strategy::Nothing,
            requests: 0,
            organization_users: None,
        }
    }

    /// The user whose e-mail this is (any case).
    pub fn by_email(&self, email: &str) -> Option<&User> {
        self.by_email.get(&email.to_lowercase())
    }

    /// Every user who bears this name (any case).
    pub fn by_name(&self, name: &str) -> &[User] {
        self.by_name
            .get(&name.to_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// The user of this id (any case).
    pub fn by_id(&self, id: &str) -> Option<&User> {
        self.by_id.get(&id.to_ascii_lowercase())
    }

    /// Keeps a user under each of its keys, once.
    fn add(&mut self, user: User) {
        let id = user.id.to_ascii_lowercase();
        if self.by_id.contains_key(&id) {
            return;
        }
        if let Some(email) = &user.email {
            self.by_email.insert(email.to_lowercase(), user.clone());
        }
        self.by_name
            .entry(user.name.to_lowercase())
            .or_default()
            .push(user.clone());
        self.by_id.insert(id, user);
    }

    /// The keys of `lookup` not found yet; every name, since another user may bear it too.
    fn unresolved(&self, lookup: &Lookup) -> Lookup {
        Lookup {
            emails: lookup
                .emails
                .iter()
                .filter(|e| !self.by_email.contains_key(*e))
                .cloned()
                .collect(),
            names: lookup.names.clone(),
            ids: lookup
                .ids
                .iter()
                .filter(|i| !self.by_id.contains_key(*i))
                .cloned()
                .collect(),
        }
    }
}

/// How to look the keys up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Choice {
    /// Whichever costs fewer requests (the default).
    #[default]
    Cheaper,
    /// Always list the whole organization.
    Listing,
    /// Always search the keys.
    Search,
}

/// Resolves every key of `lookup`, choosing the listing or the search by what each costs.
pub async fn resolve(exec: &mut Executor, lookup: &Lookup) -> Result<Directory> {
    resolve_by(exec, lookup, Choice::Cheaper).await
}

/// Resolves every key of `lookup` the way `choice` says.
pub async fn resolve_by(exec: &mut Executor, lookup: &Lookup, choice: Choice) -> Result<Directory> {
    resolve_in(&mut Api::new(exec), lookup, choice).await
}

/// [`resolve_by`] through requests already set up (a read-only mirror's, say).
pub(super) async fn resolve_in(
    api: &mut Api<'_>,
    lookup: &Lookup,
    choice: Choice,
) -> Result<Directory> {
    let mut directory = Directory::new();
    if lookup.is_empty() {
        return Ok(directory);
    }
    if choice == Choice::Search || (choice == Choice::Cheaper && lookup.search_cost() <= 1) {
        directory.strategy = Strategy::Search;
        search_all(api, &mut directory, lookup).await?;
        return Ok(directory);
    }
    let first = list_page(api, &mut directory, 1).await?;
    directory.organization_users = Some(first.total);
    let rest = lookup_rest(&directory, lookup, &first);
    if choice == Choice::Listing || rest.listing <= rest.search {
        directory.strategy = Strategy::Listing;
        for page in 2..=first.page_count.min(MAX_PAGES) {
            list_page(api, &mut directory, page).await?;
        }
    } else {
        directory.strategy = Strategy::Search;
        let unresolved = directory.unresolved(lookup);
        search_all(api, &mut directory, &unresolved).await?;
    }
    Ok(directory)
}

/// What finishing costs each way, after the listing's first page.
struct Rest {
    listing: u32,
    search: u32,
}

fn lookup_rest(directory: &Directory, lookup: &Lookup, first: &UserListing) -> Rest {
    Rest {
        listing: first.page_count.saturating_sub(1),
        search: directory.unresolved(lookup).search_cost(),
    }
}

/// Reads page `number` of the organization's users into `directory`.
async fn list_page(
    api: &mut Api<'_>,
    directory: &mut Directory,
    number: u32,
) -> Result<UserListing> {
    let mut page: UserListing = api
        .json(Call::get(
            format!("/api/v2/users?pageSize={LIST_MAX_PAGE_SIZE}&pageNumber={number}&state=active"),
            "GET users",
        ))
        .await?;
    directory.requests += 1;
    for user in std::mem::take(&mut page.entities) {
        directory.add(user);
    }
    Ok(page)
}

/// Searches every key of `lookup`, 100 values a request, each kind on its own field.
async fn search_all(api: &mut Api<'_>, directory: &mut Directory, lookup: &Lookup) -> Result<()> {
    for (field, keys) in [
        ("email", &lookup.emails),
        ("name", &lookup.names),
        ("id", &lookup.ids),
    ] {
        let keys: Vec<&String> = keys.iter().collect();
        for chunk in keys.chunks(SEARCH_MAX_PAGE_SIZE as usize) {
            let values = chunk.iter().map(|k| k.to_string()).collect();
            search(api, directory, UserSearchCriteria::terms(field, values)).await?;
        }
    }
    Ok(())
}

/// One search, every page of its matches.
async fn search(
    api: &mut Api<'_>,
    directory: &mut Directory,
    criteria: UserSearchCriteria,
) -> Result<()> {
    let mut number = 1;
    loop {
        let request = UserSearchRequest {
            page_size: Some(SEARCH_MAX_PAGE_SIZE),
            page_number: Some(number),
            sort_order: None,
            sort_by: None,
            expand: None,
            query: vec![criteria.clone()],
        };
        let answer: UsersSearchResponse = api
            .json(Call::post(
                "/api/v2/users/search",
                to_json(&request),
                "POST users/search",
            ))
            .await?;
        directory.requests += 1;
        let count = answer.page_count;
        for user in answer.results {
            directory.add(user);
        }
        if number >= count || number >= MAX_PAGES {
            return Ok(());
        }
        number += 1;
    }
}

/// A user's e-mail, or an error saying the API did not send one.
pub fn email_of(user: &User) -> Result<&str> {
    user.email.as_deref().ok_or_else(|| Error::Unexpected {
        endpoint: "GET users",
        reason: format!("user {} has no email", user.id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, name: &str, email: &str) -> User {
        User {
            id: id.into(),
            name: name.into(),
            email: Some(email.into()),
            username: None,
            state: None,
            version: None,
            self_uri: None,
        }
    }

    #[test]
    fn a_search_costs_one_request_per_hundred_keys_of_each_kind() {
        let mut lookup = Lookup::default();
        assert_eq!(lookup.search_cost(), 0);
        lookup.emails = (0..1500).map(|i| format!("a{i}@x")).collect();
        lookup.names.insert("ann".into());
        assert_eq!(lookup.search_cost(), 15 + 1);
    }

    #[test]
    fn names_keep_every_bearer_and_keys_ignore_case() {
        let mut directory = Directory::new();
        directory.add(user("A-1", "Ann Lee", "Ann@X.example"));
        directory.add(user("b-2", "ann lee", "bob@x.example"));
        directory.add(user("a-1", "Ann Lee", "Ann@X.example"));
        assert_eq!(directory.by_name("ANN LEE").len(), 2);
        assert_eq!(directory.by_email("ann@x.EXAMPLE").unwrap().id, "A-1");
        assert_eq!(directory.by_id("a-1").unwrap().name, "Ann Lee");
    }

    #[test]
    fn after_the_first_page_found_e_mails_are_not_searched_again_but_names_are() {
        let mut directory = Directory::new();
        directory.add(user("a", "Ann", "ann@x"));
        let lookup = Lookup {
            emails: ["ann@x".to_string(), "bob@x".to_string()].into(),
            names: ["ann".to_string()].into(),
            ids: ["a".to_string()].into(),
        };
        let rest = directory.unresolved(&lookup);
        assert_eq!(rest.emails, ["bob@x".to_string()].into());
        assert_eq!(rest.names.len(), 1);
        assert!(rest.ids.is_empty());
    }
}
