//! What each business unit is called, its time zone and the first day of its weeks: the
//! profile's defaults, then the `[[wfm.units]]` entries of the config file over them.
//!
//! An entry with a `name` applies to the unit of that name; one without applies to the unit at its
//! position in the list. Each unit may be set once.

use std::fmt;

use pacer_genesys::datetime::{WEEKDAYS, weekday_index};
use pacer_genesys::wfm::FIXED_OFFSET_ZONES;
use pacer_genesys::zone::Zone;
use serde::{Deserialize, Deserializer};

/// Business unit names, in order; past the list a number is added.
const NAMES: [&str; 8] = [
    "North", "South", "East", "West", "Central", "Coastal", "Highland", "Metro",
];

/// The real zones the `genesys` profile's units get, in turn: zones with daylight saving time in
/// both hemispheres, a half-hour zone and zones without it.
const DST_ZONES: [&str; 8] = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
];

/// How many of [`FIXED_OFFSET_ZONES`] the `seed` profile's units take in turn (the last is a
/// second name for UTC).
const FIXED_ZONES: usize = 8;

/// Which zones the units get when the file does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZoneSet {
    /// Real zones, most with daylight saving time (the `genesys` profile).
    #[default]
    Real,
    /// Zones without daylight saving time, the first `Etc/UTC` (the `seed` profile).
    FixedOffset,
}

impl ZoneSet {
    /// The zones units take in turn.
    fn names(self) -> Vec<&'static str> {
        match self {
            ZoneSet::Real => DST_ZONES.to_vec(),
            ZoneSet::FixedOffset => FIXED_OFFSET_ZONES[..FIXED_ZONES]
                .iter()
                .map(|(name, _)| *name)
                .collect(),
        }
    }
}

/// An IANA zone name read from the file, checked against the tz database as it is read.
#[derive(Debug, Clone)]
pub struct ZoneName(pub Zone);

impl PartialEq for ZoneName {
    fn eq(&self, other: &Self) -> bool {
        self.0.name() == other.0.name()
    }
}

impl<'de> Deserialize<'de> for ZoneName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Zone::named(&name)
            .map(ZoneName)
            .map_err(serde::de::Error::custom)
    }
}

/// A day of the week read from the file by name (`Monday` .. `Sunday`, any case); 0 is Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartDay(pub usize);

impl<'de> Deserialize<'de> for StartDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        weekday_index(&name).map(StartDay).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown day `{name}`: expected one of {}",
                WEEKDAYS.join(", ")
            ))
        })
    }
}

/// One `[[wfm.units]]` entry: which unit, and what of it to change.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitConfig {
    /// The unit's name (North, South, ...); without it, the entry's position chooses the unit.
    pub name: Option<String>,
    /// The unit's IANA time zone.
    pub time_zone: Option<ZoneName>,
    /// The first day of the unit's weeks.
    pub start_day: Option<StartDay>,
}

/// A business unit's resolved settings.
#[derive(Debug, Clone)]
pub struct UnitSettings {
    pub name: String,
    pub zone: Zone,
    /// 0 = Monday through 6 = Sunday.
    pub start_day: usize,
}

/// A `[[wfm.units]]` entry that names no unit there is, or sets one twice: the entry's key and
/// why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitProblem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for UnitProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// The default name of business unit `b`.
pub fn unit_name(b: usize) -> String {
    match NAMES.get(b) {
        Some(name) => (*name).to_string(),
        None => format!("{} {}", NAMES[b % NAMES.len()], b / NAMES.len() + 1),
    }
}

/// The settings of `count` business units: the zone set's zones in turn, weeks from Monday but the
/// second unit's from Sunday, then each entry over the unit it names.
pub fn resolve_units(
    count: u32,
    zones: ZoneSet,
    entries: &[UnitConfig],
) -> Result<Vec<UnitSettings>, UnitProblem> {
    let defaults: Vec<Zone> = zones
        .names()
        .into_iter()
        .map(|name| Zone::named(name).unwrap_or_else(|_| Zone::utc()))
        .collect();
    let mut units: Vec<UnitSettings> = (0..count as usize)
        .map(|b| UnitSettings {
            name: unit_name(b),
            zone: defaults[b % defaults.len()].clone(),
            start_day: if b == 1 { 6 } else { 0 },
        })
        .collect();
    let mut set_by: Vec<Option<usize>> = vec![None; units.len()];
    for (i, entry) in entries.iter().enumerate() {
        let b = target(&units, i, entry)?;
        if let Some(earlier) = set_by[b] {
            return Err(UnitProblem {
                key: entry_key(i, entry),
                message: format!(
                    "business unit {} is already set by wfm.units[{earlier}]",
                    units[b].name
                ),
            });
        }
        set_by[b] = Some(i);
        if let Some(zone) = &entry.time_zone {
            units[b].zone = zone.0.clone();
        }
        if let Some(day) = entry.start_day {
            units[b].start_day = day.0;
        }
    }
    Ok(units)
}

/// The unit entry `i` applies to: the one it names, else the one at its position.
fn target(units: &[UnitSettings], i: usize, entry: &UnitConfig) -> Result<usize, UnitProblem> {
    let problem = |message: String| UnitProblem {
        key: entry_key(i, entry),
        message,
    };
    match &entry.name {
        Some(name) => units.iter().position(|u| &u.name == name).ok_or_else(|| {
            let known: Vec<&str> = units.iter().take(8).map(|u| u.name.as_str()).collect();
            problem(format!(
                "no business unit is named `{name}`: with wfm.business_units = {}, the units are {}{}",
                units.len(),
                known.join(", "),
                if units.len() > 8 { ", ..." } else { "" }
            ))
        }),
        None if i < units.len() => Ok(i),
        None => Err(problem(format!(
            "there are only {} business units (wfm.business_units): name the unit, or raise \
             business_units",
            units.len()
        ))),
    }
}

/// The key an entry's problem is reported at: its `name` when it has one.
fn entry_key(i: usize, entry: &UnitConfig) -> String {
    if entry.name.is_some() {
        format!("wfm.units[{i}].name")
    } else {
        format!("wfm.units[{i}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: Option<&str>, zone: Option<&str>, day: Option<usize>) -> UnitConfig {
        UnitConfig {
            name: name.map(str::to_string),
            time_zone: zone.map(|z| ZoneName(Zone::named(z).unwrap())),
            start_day: day.map(StartDay),
        }
    }

    #[test]
    fn the_profiles_zones_cycle_and_the_second_unit_starts_on_sunday() {
        let real = resolve_units(10, ZoneSet::Real, &[]).unwrap();
        let names: Vec<&str> = real.iter().map(|u| u.zone.name()).collect();
        assert_eq!(names[..4], DST_ZONES[..4]);
        assert_eq!(names[8], "America/New_York");
        assert_eq!(real[9].name, "South 2");
        assert_eq!(
            real.iter().map(|u| u.start_day).collect::<Vec<_>>(),
            [0, 6, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        let fixed = resolve_units(9, ZoneSet::FixedOffset, &[]).unwrap();
        assert_eq!(fixed[0].zone.name(), "Etc/UTC");
        assert_eq!(fixed[8].zone.name(), "Etc/UTC");
    }

    #[test]
    fn entries_apply_by_position_or_by_name() {
        let entries = [
            entry(None, Some("Asia/Tokyo"), Some(2)),
            entry(Some("East"), None, Some(5)),
        ];
        let units = resolve_units(3, ZoneSet::Real, &entries).unwrap();
        assert_eq!(
            (units[0].zone.name(), units[0].start_day),
            ("Asia/Tokyo", 2)
        );
        assert_eq!(
            (units[2].zone.name(), units[2].start_day),
            ("Australia/Sydney", 5)
        );
        assert_eq!(units[1].zone.name(), "Europe/London");
    }

    #[test]
    fn entries_naming_no_unit_or_one_twice_are_refused() {
        let unknown = resolve_units(2, ZoneSet::Real, &[entry(Some("Nowhere"), None, None)]);
        let problem = unknown.unwrap_err();
        assert_eq!(problem.key, "wfm.units[0].name");
        assert!(problem.message.contains("North, South"), "{problem}");
        let two = [entry(None, None, None), entry(None, None, None)];
        let past = resolve_units(1, ZoneSet::Real, &two).unwrap_err();
        assert_eq!(past.key, "wfm.units[1]");
        let twice = [entry(None, None, None), entry(Some("North"), None, None)];
        let problem = resolve_units(2, ZoneSet::Real, &twice).unwrap_err();
        assert!(problem.message.contains("wfm.units[0]"), "{problem}");
    }
}
