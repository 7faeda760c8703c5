//! `pacer mirror`'s reading: an organization's shape, read only (GETs and the POSTs that only
//! query; anything else is refused before it leaves): the limits API's namespaces pacer uses,
//! the business units with their settings, activity codes, management units and members, the
//! published schedules' metadata and (when asked) their agents' shifts, and (when asked) the
//! members' names and e-mails.

use pacer_genesys::wfm::{BuAgentScheduleQueryResponse, BuScheduleMetadata, Entities, WFM_PREFIX};
use pacer_genesys::{LimitEntity, OrgLimits, User};

use super::api::{Api, Exec, MuQuery, Unit};
use super::directory::{self, Choice, Lookup};
use super::{BulkProgress, Phase};
use crate::error::{Error, Result};
use crate::executor::{Call, Executor};

/// The limits API's namespaces pacer reads.
pub const NAMESPACES: &[&str] = &[
    "platform.api",
    "workforce.management",
    "directory",
    "notifications",
];

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct MirrorSettings {
    /// These units (names or ids); every one the client sees when empty.
    pub business_units: Vec<String>,
    /// The agents' shifts in the published schedules.
    pub with_schedules: bool,
    /// The members' names and e-mails (personal data).
    pub with_names: bool,
}

/// One business unit's shape.
#[derive(Debug, Clone)]
pub struct UnitShape {
    /// Its settings, codes and management units.
    pub unit: Unit,
    /// Each management unit's members' user ids, in the order of `unit.management_units`.
    pub members: Vec<Vec<String>>,
    /// Its published schedules, each with its agents when read.
    pub schedules: Vec<(
        BuScheduleMetadata,
        Option<Vec<BuAgentScheduleQueryResponse>>,
    )>,
}

/// An organization's shape, as read.
#[derive(Debug, Clone)]
pub struct Shape {
    pub limits: Vec<LimitEntity>,
    pub units: Vec<UnitShape>,
    /// The members as users: with names, as the Users API tells them; else ids alone.
    pub users: Vec<User>,
}

/// Reads the organization's shape, every request read-only.
pub async fn read(
    exec: &mut Executor,
    settings: &MirrorSettings,
    progress: &mut dyn BulkProgress,
) -> Result<Shape> {
    let mut api = Api {
        exec: Exec::ReadOnly(exec),
    };
    progress.phase(Phase::Resolve, "the limits API");
    let limits = read_limits(&mut api).await?;
    let names = unit_ids(&mut api, &settings.business_units).await?;
    let mut units = Vec::new();
    for id in &names {
        progress.phase(Phase::Resolve, &format!("business unit {id}"));
        units.push(read_unit(&mut api, id, settings.with_schedules, progress).await?);
    }
    let mut ids: Vec<String> = units
        .iter()
        .flat_map(|u| u.members.iter().flatten().cloned())
        .collect();
    ids.sort_by_key(|id| id.to_ascii_lowercase());
    ids.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let users = if settings.with_names {
        progress.phase(Phase::Resolve, "the members' names and e-mails");
        let lookup = Lookup {
            ids: ids.iter().map(|i| i.to_ascii_lowercase()).collect(),
            ..Lookup::default()
        };
        let found = directory::resolve_in(&mut api, &lookup, Choice::Cheaper).await?;
        ids.iter()
            .map(|id| found.by_id(id).cloned().unwrap_or_else(|| bare(id)))
            .collect()
    } else {
        ids.iter().map(|id| bare(id)).collect()
    };
    Ok(Shape {
        limits,
        units,
        users,
    })
}

/// A user known by its id alone.
fn bare(id: &str) -> User {
    User {
        id: id.to_string(),
        name: String::new(),
        email: None,
        username: None,
        state: None,
        version: None,
        self_uri: None,
    }
}

/// The entities of every namespace pacer uses that the organization has.
async fn read_limits(api: &mut Api<'_>) -> Result<Vec<LimitEntity>> {
    let mut entities = Vec::new();
    for namespace in NAMESPACES {
        let call = Call::get(
            format!("/api/v2/organizations/limits/namespaces/{namespace}"),
            "GET limits/namespaces/{name}",
        );
        match api.json::<OrgLimits>(call).await {
            Ok(limits) => entities.extend(limits.entities),
            Err(Error::Api { status: 404, .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(entities)
}

/// The ids of the units asked for (each by name or id), or of every unit.
async fn unit_ids(api: &mut Api<'_>, wanted: &[String]) -> Result<Vec<String>> {
    let listed = api.list_units().await?;
    if wanted.is_empty() {
        return Ok(listed.into_iter().map(|u| u.id).collect());
    }
    wanted
        .iter()
        .map(|w| {
            listed
                .iter()
                .find(|u| &u.id == w || u.name.eq_ignore_ascii_case(w))
                .map(|u| u.id.clone())
                .ok_or_else(|| {
                    let names: Vec<&str> = listed.iter().map(|u| u.name.as_str()).collect();
                    Error::Workflow(format!(
                        "no business unit is named or numbered `{w}` (the API lists: {})",
                        names.join(", ")
                    ))
                })
        })
        .collect()
}

/// One unit: settings, codes, management units and members, published schedules.
async fn read_unit(
    api: &mut Api<'_>,
    id: &str,
    with_schedules: bool,
    progress: &mut dyn BulkProgress,
) -> Result<UnitShape> {
    let unit = api.resolve_unit(id, true).await?;
    let mut members = Vec::new();
    for mu in &unit.management_units {
        members.push(
            api.members(&mu.id)
                .await?
                .into_iter()
                .map(|m| m.id)
                .collect(),
        );
    }
    let listed: Entities<BuScheduleMetadata> = api
        .json(Call::get(
            format!(
                "{WFM_PREFIX}/businessunits/{}/weeks/recent/schedules?includeOnlyPublished=true",
                unit.id
            ),
            "GET weeks/{weekId}/schedules",
        ))
        .await?;
    let mut schedules = Vec::new();
    for schedule in listed.entities.into_iter().filter(|s| s.published) {
        let agents = if with_schedules {
            progress.phase(
                Phase::Read,
                &format!("{}: the week of {}", unit.name, schedule.week_date),
            );
            let mut agents = Vec::new();
            for mu in &unit.management_units {
                agents.extend(
                    api.query_agents(MuQuery::all(
                        &unit,
                        &schedule.week_date,
                        &schedule.id,
                        &mu.id,
                    ))
                    .await?,
                );
            }
            Some(agents)
        } else {
            None
        };
        schedules.push((schedule, agents));
    }
    Ok(UnitShape {
        unit,
        members,
        schedules,
    })
}
