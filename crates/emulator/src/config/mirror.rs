//! A mirror file read for `--mirror`: its JSON and version read, its content checked
//! (`mirror_check`), its users laid out in agent order, and what it sets of the configuration: the
//! agent count, the business units and the limits it names. Everything else stays the profile's.
//!
//! The emulator's membership is by ranges of agent numbers, so the users are numbered unit by
//! unit: each business unit's management units in order, each one's members in order, then the
//! users in no management unit.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pacer_core::limiter::Algorithm;
use serde::Deserialize;

use super::limiter::{
    LimiterConfig, ORG_LIMIT_KEY, PLATFORM_NAMESPACE, REQUEST_BYTES_KEY, TOKEN_LIMIT_KEY,
};
use super::mirror_check::check;
use super::resolved::Config;
use crate::agents::parse_uuid;
use crate::error::EmulatorError;
use crate::mirror::{MIRROR_VERSION, Mirror};

/// A mirror read and checked, with its users laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct MirrorSource {
    /// The file it was read from, as given.
    pub file: String,
    pub mirror: Mirror,
    pub layout: Layout,
}

/// Where the mirror's users are among the agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Indexes into the mirror's users, in agent order.
    pub order: Vec<u32>,
    /// Each business unit's agents, in the mirror's order.
    pub units: Vec<UnitLayout>,
}

/// One business unit's agents and its management units' agents, as agent numbers `lo..hi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLayout {
    pub agents: (u32, u32),
    pub management_units: Vec<(u32, u32)>,
}

impl MirrorSource {
    /// Reads and checks the mirror file at `path`.
    pub fn read(path: &Path) -> Result<MirrorSource, EmulatorError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|err| EmulatorError::mirror(&file, format!("cannot be read: {err}")))?;
        MirrorSource::from_json(&text, &file)
    }

    /// Reads and checks a mirror's JSON text; `file` names it in errors.
    pub fn from_json(text: &str, file: &str) -> Result<MirrorSource, EmulatorError> {
        let fail = |message: String| EmulatorError::mirror(file, message);
        #[derive(Deserialize)]
        struct Head {
            version: Option<u32>,
        }
        let head: Head = serde_json::from_str(text)
            .map_err(|err| fail(format!("is not a mirror's JSON: {err}")))?;
        match head.version {
            Some(MIRROR_VERSION) => {}
            Some(other) => {
                return Err(fail(format!(
                    "version {other} is not one this emulator reads (it reads version \
                     {MIRROR_VERSION}: write the mirror again with this pacer)"
                )));
            }
            None => return Err(fail("has no `version`: it is not a pacer mirror".into())),
        }
        let mirror: Mirror = serde_json::from_str(text)
            .map_err(|err| fail(format!("is not a mirror's JSON: {err}")))?;
        check(&mirror).map_err(fail)?;
        let layout = Layout::of(&mirror);
        Ok(MirrorSource {
            file: file.to_string(),
            mirror,
            layout,
        })
    }

    /// The mirrored value of a limit, if the mirror has it.
    pub fn limit(&self, namespace: &str, key: &str) -> Option<u64> {
        self.mirror
            .limits
            .iter()
            .find(|l| l.namespace == namespace && l.key == key)
            .map(|l| l.value)
    }

    /// Sets the limits the mirror names and the emulator enforces: the per-token limit (added
    /// from the `genesys` profile when the configuration has none), the organization-wide one and
    /// the request's largest body. Their checks made them fit.
    pub(super) fn apply_limits(&self, config: &mut Config) {
        let fit = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
        if let Some(value) = self.limit(PLATFORM_NAMESPACE, TOKEN_LIMIT_KEY) {
            let limiter = config.ensure_token_limiter();
            limiter.spec.limit = fit(value);
            limiter.spec.window = Duration::from_secs(60);
            if limiter.spec.algorithm != Algorithm::TokenBucket {
                limiter.spec.burst = fit(value);
            }
        }
        if let Some(value) = self.limit(PLATFORM_NAMESPACE, ORG_LIMIT_KEY) {
            config.limiters.retain(|l| l.key != ORG_LIMIT_KEY);
            let limiter = LimiterConfig::organization(fit(value), Duration::from_secs(60));
            config.limiters.push(limiter);
        }
        if let Some(value) = self.limit(PLATFORM_NAMESPACE, REQUEST_BYTES_KEY) {
            config.request_bytes_max = usize::try_from(value).unwrap_or(usize::MAX);
        }
    }

    /// Sets the organization's shape: the mirror's users are the agents, its units the units.
    pub(super) fn apply_shape(self: Arc<Self>, config: &mut Config) {
        config.agents = u32::try_from(self.mirror.users.len()).unwrap_or(u32::MAX);
        config.wfm.business_units = u32::try_from(self.mirror.business_units.len()).unwrap_or(0);
        // The mirror sets each unit's name, zone and first day: `[[wfm.units]]` has no unit left.
        config.wfm.units.clear();
        config.mirror = Some(self);
    }
}

impl Layout {
    /// The agent order of a checked mirror's users, and each unit's ranges.
    fn of(mirror: &Mirror) -> Layout {
        let by_id: HashMap<u128, u32> = mirror
            .users
            .iter()
            .enumerate()
            .filter_map(|(u, user)| Some((parse_uuid(&user.id)?, u as u32)))
            .collect();
        let mut order: Vec<u32> = Vec::with_capacity(mirror.users.len());
        let mut placed = vec![false; mirror.users.len()];
        let mut units = Vec::with_capacity(mirror.business_units.len());
        for unit in &mirror.business_units {
            let first = order.len() as u32;
            let mut management_units = Vec::with_capacity(unit.management_units.len());
            for mu in &unit.management_units {
                let lo = order.len() as u32;
                for member in &mu.members {
                    let user = parse_uuid(member).and_then(|id| by_id.get(&id).copied());
                    // The checks made every member a user, in one management unit.
                    if let Some(u) = user.filter(|&u| !placed[u as usize]) {
                        placed[u as usize] = true;
                        order.push(u);
                    }
                }
                management_units.push((lo, order.len() as u32));
            }
            units.push(UnitLayout {
                agents: (first, order.len() as u32),
                management_units,
            });
        }
        order.extend((0..mirror.users.len() as u32).filter(|&u| !placed[u as usize]));
        Layout { order, units }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mirror of two units; `edit` changes its JSON before it is read.
    pub(crate) fn sample(edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let uuid = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
        let code = |id: &str, category: &str| serde_json::json!({"id": id, "name": id, "category": category});
        let mut value = serde_json::json!({
            "version": 1, "takenAt": "2026-12-05T12:00:00Z", "source": "api.example.com",
            "withNames": false, "withSchedules": true,
            "limits": [{"namespace": "platform.api", "key": TOKEN_LIMIT_KEY, "value": 120}],
            "businessUnits": [
                {"id": "bu-a", "name": "A", "timeZone": "America/New_York",
                 "startDayOfWeek": "Monday",
                 "activityCodes": [code("w", "OnQueueWork"), code("off", "TimeOff")],
                 "managementUnits": [
                     {"id": "mu-1", "name": "One", "members": [uuid(5), uuid(2)]},
                     {"id": "mu-2", "name": "Two", "members": [uuid(4)]}],
                 "schedules": [{"id": "s1", "weekDate": "2026-12-07", "weekCount": 1,
                                "published": true, "version": 3, "agents": [
                     {"userId": uuid(4), "version": 2, "shifts": [
                         {"startDate": "2026-12-07T14:00:00Z", "lengthMinutes": 60,
                          "activities": [{"startDate": "2026-12-07T14:00:00Z",
                                          "lengthMinutes": 60, "activityCodeId": "w"}]}],
                      "fullDayTimeOffMarkers": [{"businessUnitDate": "2026-12-08",
                          "lengthMinutes": 480, "activityCodeId": "off"}]}]}]},
                {"id": "bu-b", "name": "B", "timeZone": "Europe/London",
                 "startDayOfWeek": "Sunday", "activityCodes": [code("w", "OnQueueWork")],
                 "managementUnits": [{"id": "mu-3", "name": "Three", "members": [uuid(1)]}]}],
            "users": [{"id": uuid(1)}, {"id": uuid(2)}, {"id": uuid(3)}, {"id": uuid(4)},
                      {"id": uuid(5)}]
        });
        edit(&mut value);
        value.to_string()
    }

    fn refusal(edit: impl FnOnce(&mut serde_json::Value)) -> String {
        MirrorSource::from_json(&sample(edit), "org.json")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn users_are_numbered_unit_by_unit_those_in_no_unit_last() {
        let source = MirrorSource::from_json(&sample(|_| {}), "org.json").unwrap();
        // users[4], users[1] (mu-1), users[3] (mu-2), users[0] (B's mu-3), then users[2].
        assert_eq!(source.layout.order, vec![4, 1, 3, 0, 2]);
        assert_eq!(source.layout.units[0].agents, (0, 3));
        assert_eq!(
            source.layout.units[0].management_units,
            vec![(0, 2), (2, 3)]
        );
        assert_eq!(source.layout.units[1].agents, (3, 4));
        assert_eq!(source.limit(PLATFORM_NAMESPACE, TOKEN_LIMIT_KEY), Some(120));
    }

    #[test]
    fn the_mirror_sets_agents_units_and_the_limits_it_names() {
        let source = Arc::new(MirrorSource::from_json(&sample(|_| {}), "org.json").unwrap());
        let mut config = Config::profile(super::super::Profile::Genesys);
        config.agents = 7;
        source.apply_limits(&mut config);
        source.clone().apply_shape(&mut config);
        assert_eq!((config.agents, config.wfm.business_units), (5, 2));
        let token = &config.limiters[0];
        assert_eq!((token.spec.limit, token.spec.burst), (120, 120));
        assert_eq!(config.mirror, Some(source));
    }

    #[test]
    fn each_problem_names_the_file_and_the_place() {
        assert!(refusal(|v| v["version"] = 2.into()).contains("org.json: version 2 is not one"));
        let text = MirrorSource::from_json("{\"version\": 1,", "org.json").unwrap_err();
        assert!(
            text.to_string()
                .contains("org.json: is not a mirror's JSON"),
            "{text}"
        );
        let zone = refusal(|v| v["businessUnits"][1]["timeZone"] = "Mars/Base".into());
        assert!(
            zone.contains("businessUnits[1] (B).timeZone: `Mars/Base` is not an IANA"),
            "{zone}"
        );
        let day = refusal(|v| v["businessUnits"][0]["startDayOfWeek"] = "Someday".into());
        assert!(
            day.contains("businessUnits[0] (A).startDayOfWeek: `Someday`"),
            "{day}"
        );
        let stranger = "00000000-0000-4000-8000-000000000099";
        let member = refusal(|v| {
            v["businessUnits"][1]["managementUnits"][0]["members"][0] = stranger.into()
        });
        assert!(
            member.contains("managementUnits[0] (Three).members[0]: user"),
            "{member}"
        );
        assert!(member.contains("is not in users"), "{member}");
        let twice = refusal(|v| v["businessUnits"][1]["id"] = "bu-a".into());
        assert!(twice.contains("duplicate business unit id `bu-a` (also at businessUnits[0]"));
        let user = refusal(|v| v["users"][1]["id"] = v["users"][0]["id"].clone());
        assert!(user.contains("users[1].id: duplicate user id"), "{user}");
        let both = refusal(|v| {
            v["businessUnits"][1]["managementUnits"][0]["members"][0] = v["users"][3]["id"].clone()
        });
        assert!(
            both.contains("is already a member at businessUnits[0]"),
            "{both}"
        );
    }

    #[test]
    fn schedules_are_checked_against_their_unit() {
        let week =
            refusal(|v| v["businessUnits"][0]["schedules"][0]["weekDate"] = "2026-12-06".into());
        assert!(
            week.contains("schedules[0].weekDate: 2026-12-06 is a Sunday"),
            "{week}"
        );
        let agent = refusal(|v| {
            v["businessUnits"][0]["schedules"][0]["agents"][0]["userId"] =
                v["users"][0]["id"].clone()
        });
        assert!(agent.contains("agents[0].userId"), "{agent}");
        assert!(agent.contains("not a member of the unit"), "{agent}");
        let code = refusal(|v| {
            v["businessUnits"][0]["schedules"][0]["agents"][0]["shifts"][0]["activities"][0]["activityCodeId"] =
                "nope".into()
        });
        assert!(
            code.contains("shifts[0].activities[0].activityCodeId: `nope`"),
            "{code}"
        );
        let day = refusal(|v| {
            v["businessUnits"][0]["schedules"][0]["agents"][0]["fullDayTimeOffMarkers"][0]["businessUnitDate"] =
                "2026-12-14".into()
        });
        assert!(day.contains("is not a day of the schedule"), "{day}");
        let none = refusal(|v| v["businessUnits"] = serde_json::json!([]));
        assert!(none.contains("no business unit"), "{none}");
        let limit = refusal(|v| v["limits"][0]["value"] = 0.into());
        assert!(limit.contains("limits[0] (client.credentials.token.rate.per.minute)"));
    }
}
