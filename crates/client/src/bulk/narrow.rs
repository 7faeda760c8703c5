//! A part the server refused (its update ended `Error`, as the real API does with no word of
//! which agent was at fault) narrowed down to the agents at fault: split in halves and sent
//! again, recursively, so that every other agent is written and each refused one is named.
//!
//! The halves go first half first. When the first half is written, the second must hold an agent
//! at fault, so it is split without being sent whole. Every refused set is journaled before the
//! search goes on: a rerun after a kill starts from the smallest sets known to be refused,
//! without sending again a part already refused. The search is bounded by the part: a binary
//! tree over n agents has fewer than 2n parts; and a server that refuses everything (two agents
//! refused alone before any part was written) stops it after about log2(n) updates.

use std::collections::HashSet;

use pacer_genesys::wfm::BuUpdateAgentScheduleUploadSchema;

use super::Step;
use super::api::Unit;
use super::upload::{self, Part};
use super::workflow::{Run, Week};
use crate::error::Result;

/// Agents refused alone, with nothing written, that show a server refusing everything.
const SYSTEMIC: usize = 2;

/// One part to settle.
struct Task {
    id: usize,
    part: Part,
    /// Known to be refused (journaled, or its sibling half was written): split, not sent.
    refused: bool,
    /// The first half of the same refused part: when it is written, this one is refused.
    after: Option<usize>,
    /// Why the part this task came from was refused.
    reason: String,
}

impl Run<'_> {
    /// Writes a week's parts, narrowing down every refused one.
    pub(super) async fn write_parts(
        &mut self,
        unit: &Unit,
        state: &mut Week,
        parts: Vec<Part>,
    ) -> Result<()> {
        let known = self.journal.refused(&state.week);
        let mut stack: Vec<Task> = Vec::new();
        let mut ids = 0..;
        for part in parts.into_iter().rev() {
            for (part, refused) in split_known_part(part, &known).into_iter().rev() {
                stack.push(Task {
                    id: ids.next().unwrap_or_default(),
                    part,
                    refused,
                    after: None,
                    reason: "an earlier run's update holding it ended Error".into(),
                });
            }
        }
        let mut written: HashSet<usize> = HashSet::new();
        let mut named = 0;
        while let Some(task) = stack.pop() {
            // Nothing written and two agents refused even alone: the server refuses everything
            // (an outage, a schedule it will not take), and narrowing further would only send
            // an update per agent.
            if written.is_empty() && named >= SYSTEMIC {
                self.fail_everything(state, task, stack);
                break;
            }
            let refused = task.refused || task.after.is_some_and(|id| written.contains(&id));
            let reason = if refused {
                task.reason.clone()
            } else {
                match self.send_part(unit, state, task.part.clone()).await? {
                    None => {
                        written.insert(task.id);
                        continue;
                    }
                    Some(refusal) => {
                        self.note_refused(&state.week, &refusal.part)?;
                        refusal.reason
                    }
                }
            };
            let entries = task.part.entries();
            if entries.len() == 1 {
                self.name_refused(state, &entries[0], &reason);
                named += 1;
                continue;
            }
            let (first, second) = halves(entries);
            let (first, second) = (
                upload::encode(task.part.version, &first),
                upload::encode(task.part.version, &second),
            );
            let first_id = ids.next().unwrap_or_default();
            stack.push(Task {
                id: ids.next().unwrap_or_default(),
                part: second,
                refused: false,
                after: Some(first_id),
                reason: reason.clone(),
            });
            stack.push(Task {
                id: first_id,
                part: first,
                refused: false,
                after: None,
                reason,
            });
        }
        Ok(())
    }

    /// Fails every agent not settled yet: the server refuses every update of the week.
    fn fail_everything(&mut self, state: &mut Week, task: Task, stack: Vec<Task>) {
        let reason = format!(
            "the server refused every update of the week, even of one agent ({}): not narrowed further",
            task.reason
        );
        for entry in std::iter::once(task)
            .chain(stack)
            .flat_map(|t| t.part.entries())
        {
            state
                .failed
                .insert(entry.user_id.to_ascii_lowercase(), reason.clone());
        }
    }

    /// Journals a refused set of agents before the search goes on.
    fn note_refused(&mut self, week: &str, part: &Part) -> Result<()> {
        let agents: Vec<String> = part
            .entries()
            .iter()
            .map(|e| e.user_id.to_ascii_lowercase())
            .collect();
        self.record(Step::Refused {
            week,
            agents: &agents,
        })
    }

    /// An agent the server refuses even alone: failed, with why.
    fn name_refused(
        &mut self,
        state: &mut Week,
        entry: &BuUpdateAgentScheduleUploadSchema,
        reason: &str,
    ) {
        state.outcome.refused += 1;
        state.failed.insert(
            entry.user_id.to_ascii_lowercase(),
            format!("the server refuses every update that holds this agent ({reason})"),
        );
    }
}

/// Splits a part into the sets known to be refused (the smallest, disjoint) and the rest; each
/// with whether it is known to be refused. A part is read back only when some set is known.
fn split_known_part(part: Part, known: &[Vec<String>]) -> Vec<(Part, bool)> {
    if known.is_empty() {
        return vec![(part, false)];
    }
    let version = part.version;
    split_known(part.entries(), known)
        .into_iter()
        .map(|(entries, refused)| (upload::encode(version, &entries), refused))
        .collect()
}

/// [`split_known_part`] over a part's entries.
fn split_known(
    part: Vec<BuUpdateAgentScheduleUploadSchema>,
    known: &[Vec<String>],
) -> Vec<(Vec<BuUpdateAgentScheduleUploadSchema>, bool)> {
    let here: HashSet<String> = part
        .iter()
        .map(|e| e.user_id.to_ascii_lowercase())
        .collect();
    let mut sets: Vec<HashSet<String>> = known
        .iter()
        .map(|set| {
            set.iter()
                .filter(|a| here.contains(*a))
                .cloned()
                .collect::<HashSet<_>>()
        })
        .filter(|set: &HashSet<String>| !set.is_empty())
        .collect();
    // The smallest first; a set that overlaps one already taken is dropped.
    sets.sort_by_key(HashSet::len);
    let mut taken: Vec<HashSet<String>> = Vec::new();
    for set in sets {
        if taken.iter().all(|t| t.is_disjoint(&set)) {
            taken.push(set);
        }
    }
    let mut out: Vec<(Vec<BuUpdateAgentScheduleUploadSchema>, bool)> =
        taken.iter().map(|_| (Vec::new(), true)).collect();
    let mut rest = Vec::new();
    for entry in part {
        let id = entry.user_id.to_ascii_lowercase();
        match taken.iter().position(|t| t.contains(&id)) {
            Some(at) => out[at].0.push(entry),
            None => rest.push(entry),
        }
    }
    if !rest.is_empty() {
        out.insert(0, (rest, false));
    }
    out
}

/// A part's two halves, in order.
fn halves(
    mut part: Vec<BuUpdateAgentScheduleUploadSchema>,
) -> (
    Vec<BuUpdateAgentScheduleUploadSchema>,
    Vec<BuUpdateAgentScheduleUploadSchema>,
) {
    let second = part.split_off(part.len() / 2);
    (part, second)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> BuUpdateAgentScheduleUploadSchema {
        BuUpdateAgentScheduleUploadSchema {
            user_id: id.into(),
            shifts: None,
            full_day_time_off_markers: None,
            metadata: None,
            delete: None,
        }
    }

    fn ids(part: &[BuUpdateAgentScheduleUploadSchema]) -> Vec<&str> {
        part.iter().map(|e| e.user_id.as_str()).collect()
    }

    #[test]
    fn known_refused_sets_are_split_off_smallest_first() {
        let part: Vec<_> = ["a", "b", "c", "d", "e", "f"].map(entry).to_vec();
        let known = vec![
            vec!["a".to_string(), "b".into(), "c".into(), "x".into()],
            vec!["b".to_string(), "c".into()],
            vec!["z".to_string()],
        ];
        let split = split_known(part, &known);
        let shown: Vec<(Vec<&str>, bool)> = split.iter().map(|(p, r)| (ids(p), *r)).collect();
        assert_eq!(
            shown,
            vec![(vec!["a", "d", "e", "f"], false), (vec!["b", "c"], true)]
        );
    }

    #[test]
    fn halves_keep_the_order() {
        let (a, b) = halves(["a", "b", "c"].map(entry).to_vec());
        assert_eq!((ids(&a), ids(&b)), (vec!["a"], vec!["b", "c"]));
    }
}
