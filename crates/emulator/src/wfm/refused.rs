//! The agents whose updates the emulator refuses, set by its test route
//! (`/__emulator/wfm/refuse`): an update holding any of them ends `Error` and applies nothing.

use std::collections::BTreeSet;

use crate::agents::{format_uuid, parse_uuid};
use crate::hash::FastMap;

/// A set of user ids, found in O(1) by an agent's UUID.
#[derive(Debug, Clone, Default)]
pub struct Refused {
    /// The ids that read as UUIDs, whatever their case.
    ids: FastMap<u128, ()>,
    /// The others, kept only to be shown: no agent bears them, so they never match.
    others: BTreeSet<String>,
}

impl Refused {
    /// Adds user ids; unknown ones are kept and never match.
    pub fn extend<'a>(&mut self, user_ids: impl IntoIterator<Item = &'a str>) {
        for id in user_ids {
            match parse_uuid(id) {
                Some(uuid) => {
                    self.ids.insert(uuid, ());
                }
                None => {
                    self.others.insert(id.to_string());
                }
            }
        }
    }

    /// Whether the agent with UUID `id` is refused.
    pub fn holds(&self, id: u128) -> bool {
        self.ids.contains_key(&id)
    }

    /// The ids held: UUIDs in canonical form, sorted, then the others.
    pub fn user_ids(&self) -> Vec<String> {
        let mut uuids: Vec<u128> = self.ids.keys().copied().collect();
        uuids.sort_unstable();
        let uuids = uuids.into_iter().map(format_uuid);
        uuids.chain(self.others.iter().cloned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_matched_whatever_their_case_and_unknown_ones_kept() {
        let mut refused = Refused::default();
        let upper = "0000000A-0000-4000-8000-00000000000B";
        refused.extend([upper, "nobody", "00000000-0000-4000-8000-000000000001"]);
        assert!(refused.holds(parse_uuid(upper).unwrap()));
        assert!(!refused.holds(7));
        assert_eq!(
            refused.user_ids(),
            [
                "00000000-0000-4000-8000-000000000001",
                "0000000a-0000-4000-8000-00000000000b",
                "nobody"
            ]
        );
        refused.extend(["nobody"]);
        assert_eq!(refused.user_ids().len(), 3);
    }
}
