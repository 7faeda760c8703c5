//! The organization's WFM shape, derived from the seed or taken from a mirror: business units
//! with their settings and activity codes, management units (of at most the configured size when
//! seeded), and each agent's place.
//!
//! Agents are spread over business units and management units in contiguous blocks of agent
//! numbers, so that membership is arithmetic and costs no memory per agent.

use pacer_core::rng::Rng;
use pacer_genesys::datetime::{WEEKDAYS, parse_days, week_start, weekday_index};
use pacer_genesys::zone::Zone;

use crate::agents::{Agents, format_uuid};
use crate::config::{MirrorSource, UnitSettings, WfmConfig};
use crate::wfm::codes::Codes;

/// Mixed into the seed for WFM ids.
const WFM_STREAM: u64 = 0x3F30_0000_0000_0004;

/// One business unit.
#[derive(Debug)]
pub struct BusinessUnit {
    pub id: String,
    pub name: String,
    /// The unit's division when a mirror names it; else the organization's.
    pub division: Option<String>,
    /// 0 = Monday through 6 = Sunday.
    pub start_day: usize,
    /// The unit's IANA time zone: its weeks run from local midnight to local midnight.
    pub zone: Zone,
    /// Days since the epoch of today's date in the unit's zone.
    pub today: i64,
    /// Agent numbers `agents.0..agents.1`.
    pub agents: (u32, u32),
    /// Indexes into [`Org::management_units`].
    pub management_units: std::ops::Range<usize>,
    /// The unit's activity codes.
    pub codes: Codes,
}

impl BusinessUnit {
    /// The name of the unit's first day of the week.
    pub fn start_day_name(&self) -> &'static str {
        WEEKDAYS[self.start_day]
    }
}

/// One management unit.
#[derive(Debug)]
pub struct ManagementUnit {
    pub id: String,
    pub name: String,
    pub business_unit: usize,
    /// Agent numbers `agents.0..agents.1`.
    pub agents: (u32, u32),
}

/// The whole WFM organization.
#[derive(Debug)]
pub struct Org {
    pub division_id: String,
    pub business_units: Vec<BusinessUnit>,
    pub management_units: Vec<ManagementUnit>,
}

/// The emulator's today: a date fixed by the configuration (the same date in every zone), or the
/// system clock's instant (whose date each unit reads in its own zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Today {
    /// Days since the epoch.
    Date(i64),
    /// Seconds since the epoch.
    Now(i64),
}

impl Today {
    /// Today's date in `zone`, in days since the epoch.
    pub fn date_in(self, zone: &Zone) -> i64 {
        match self {
            Today::Date(day) => day,
            Today::Now(secs) => (secs + i64::from(zone.offset_at(secs))).div_euclid(86_400),
        }
    }
}

impl Org {
    /// Builds the organization for `agents` agents from the seed.
    pub fn new(config: &WfmConfig, agents: u32, seed: u64, today: Today) -> Org {
        let mut rng = Rng::new(seed ^ WFM_STREAM);
        let mut id = || format_uuid(uuid(&mut rng));
        let division_id = id();
        // A configuration that was not validated falls back to the profile's units.
        let settings = config.unit_settings().unwrap_or_else(|_| {
            let plain = WfmConfig {
                units: Vec::new(),
                ..config.clone()
            };
            plain.unit_settings().unwrap_or_default()
        });
        let count = settings.len().max(1) as u32;
        let mut business_units = Vec::with_capacity(settings.len());
        let mut management_units = Vec::new();
        for (b, unit) in settings.into_iter().enumerate() {
            let b = b as u32;
            let lo = (u64::from(agents) * u64::from(b) / u64::from(count)) as u32;
            let hi = (u64::from(agents) * u64::from(b + 1) / u64::from(count)) as u32;
            let UnitSettings {
                name,
                zone,
                start_day,
            } = unit;
            let bu_id = id();
            let codes = Codes::profile(&mut id);
            let first_mu = management_units.len();
            let units = (hi - lo).div_ceil(config.management_unit_agents).max(1);
            for m in 0..units {
                let size = hi - lo;
                management_units.push(ManagementUnit {
                    id: id(),
                    name: format!("{name} {}", m + 1),
                    business_unit: b as usize,
                    agents: (lo + size * m / units, lo + size * (m + 1) / units),
                });
            }
            business_units.push(BusinessUnit {
                id: bu_id,
                name,
                division: None,
                start_day,
                today: today.date_in(&zone),
                zone,
                agents: (lo, hi),
                management_units: first_mu..management_units.len(),
                codes,
            });
        }
        Org {
            division_id,
            business_units,
            management_units,
        }
    }

    /// The organization of a mirror: its units with their ids, names, divisions, zones, first
    /// days and codes, and their management units over the agent numbers its layout gave.
    pub fn from_mirror(source: &MirrorSource, seed: u64, today: Today) -> Org {
        let mut rng = Rng::new(seed ^ WFM_STREAM);
        let division_id = format_uuid(uuid(&mut rng));
        let mut business_units = Vec::with_capacity(source.mirror.business_units.len());
        let mut management_units = Vec::new();
        let units = source.mirror.business_units.iter();
        for (b, (unit, layout)) in units.zip(&source.layout.units).enumerate() {
            let first_mu = management_units.len();
            let mus = unit.management_units.iter();
            for (mu, &agents) in mus.zip(&layout.management_units) {
                management_units.push(ManagementUnit {
                    id: mu.id.clone(),
                    name: mu.name.clone(),
                    business_unit: b,
                    agents,
                });
            }
            // The mirror's checks made the zone and the day known.
            let zone = Zone::named(&unit.time_zone).unwrap_or_else(|_| Zone::utc());
            business_units.push(BusinessUnit {
                id: unit.id.clone(),
                name: unit.name.clone(),
                division: unit.division_id.clone(),
                start_day: weekday_index(&unit.start_day_of_week).unwrap_or(0),
                today: today.date_in(&zone),
                zone,
                agents: layout.agents,
                management_units: first_mu..management_units.len(),
                codes: Codes::new(unit.activity_codes.clone()),
            });
        }
        Org {
            division_id,
            business_units,
            management_units,
        }
    }

    /// The business unit of an id, or `mine` for the first.
    pub fn business_unit(&self, id: &str) -> Option<usize> {
        if id == "mine" {
            return (!self.business_units.is_empty()).then_some(0);
        }
        self.business_units.iter().position(|b| b.id == id)
    }

    /// The management unit of an id.
    pub fn management_unit(&self, id: &str) -> Option<usize> {
        self.management_units.iter().position(|m| m.id == id)
    }

    /// The management unit of agent number `agent`.
    pub fn unit_of(&self, agent: u32) -> Option<usize> {
        let bu = self
            .business_units
            .iter()
            .position(|b| (b.agents.0..b.agents.1).contains(&agent))?;
        self.business_units[bu].management_units.clone().find(|&m| {
            let (lo, hi) = self.management_units[m].agents;
            (lo..hi).contains(&agent)
        })
    }

    /// The agent number of a user id, if the agent belongs to business unit `bu`.
    pub fn member(&self, agents: &Agents, bu: usize, user_id: &str) -> Option<u32> {
        let agent = agents.find(user_id)?;
        let (lo, hi) = self.business_units[bu].agents;
        (lo..hi).contains(&agent).then_some(agent)
    }

    /// The first day of the week of business unit `bu` that holds `today`.
    pub fn current_week(&self, bu: usize) -> i64 {
        let unit = &self.business_units[bu];
        week_start(unit.today, unit.start_day)
    }
}

/// Today from the configuration, else from the system clock.
pub fn today(config: &WfmConfig) -> Today {
    if let Some(day) = config.today.as_deref().and_then(|d| parse_days(d).ok()) {
        return Today::Date(day);
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Today::Now(secs)
}

/// A version 4 UUID from `rng`.
pub fn uuid(rng: &mut Rng) -> u128 {
    let raw = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    (raw & !(0xF000_u128 << 64) & !(0xC000_u128 << 48)) | (0x4000_u128 << 64) | (0x8000_u128 << 48)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_fill_units_of_at_most_the_cap() {
        let config = WfmConfig {
            business_units: 2,
            ..WfmConfig::default()
        };
        let org = Org::new(&config, 10_000, 1, Today::Date(20_794));
        assert_eq!(org.business_units[0].name, "North");
        assert_eq!(org.business_units[0].zone.name(), "America/New_York");
        assert_eq!(org.business_units[1].zone.name(), "Europe/London");
        assert_eq!(org.business_units[1].start_day_name(), "Sunday");
        assert_eq!(org.business_units[0].agents, (0, 5000));
        let mut seen = 0;
        for mu in &org.management_units {
            assert!(mu.agents.1 - mu.agents.0 <= 1500);
            seen += mu.agents.1 - mu.agents.0;
        }
        assert_eq!(seen, 10_000);
        assert_eq!(org.management_units.len(), 8);
        let mu = org.unit_of(7_777).unwrap();
        assert!(
            (org.management_units[mu].agents.0..org.management_units[mu].agents.1).contains(&7_777)
        );
        assert_eq!(org.management_units[mu].business_unit, 1);
        assert_eq!(org.current_week(0), 20_794);
        assert_eq!(org.current_week(1), 20_793);
        let again = Org::new(&config, 10_000, 1, Today::Date(20_794));
        assert_eq!(again.business_units[1].id, org.business_units[1].id);
    }

    #[test]
    fn the_clocks_today_is_each_units_own_date() {
        // 2026-12-08T20:00:00Z is already Wednesday 2026-12-09 in Sydney.
        let now = Today::Now(20_795 * 86_400 + 20 * 3600);
        assert_eq!(
            now.date_in(&Zone::named("Australia/Sydney").unwrap()),
            20_796
        );
        assert_eq!(
            now.date_in(&Zone::named("America/New_York").unwrap()),
            20_795
        );
        assert_eq!(Today::Date(20_795).date_in(&Zone::utc()), 20_795);
    }
}
