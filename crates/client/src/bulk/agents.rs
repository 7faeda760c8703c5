//! A query's answer read one agent at a time: `{"agentSchedules": [...], ...}` walked with
//! serde's visitors, each agent handed over as soon as it is parsed and then dropped, so that a
//! management unit's schedules are never held whole.

use std::fmt;

use pacer_genesys::wfm::BuAgentScheduleQueryResponse;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Reads the agents of a `BuAgentSchedulesQueryResponse` from `body`, handing each to `each`.
pub fn for_each(
    body: &[u8],
    each: &mut dyn FnMut(BuAgentScheduleQueryResponse),
) -> serde_json::Result<()> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Response { each }.deserialize(&mut deserializer)?;
    deserializer.end()
}

/// The answer's object: `agentSchedules` walked, every other field skipped.
struct Response<'f> {
    each: &'f mut dyn FnMut(BuAgentScheduleQueryResponse),
}

impl<'de> DeserializeSeed<'de> for Response<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Response<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with agentSchedules")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "agentSchedules" {
                map.next_value_seed(Agents {
                    each: &mut *self.each,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The `agentSchedules` array, an agent at a time.
struct Agents<'f> {
    each: &'f mut dyn FnMut(BuAgentScheduleQueryResponse),
}

impl<'de> DeserializeSeed<'de> for Agents<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Agents<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of agent schedules")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(agent) = seq.next_element::<BuAgentScheduleQueryResponse>()? {
            (self.each)(agent);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacer_genesys::wfm::BuAgentSchedulesQueryResponse;

    const BODY: &str = r#"{"businessUnitTimeZone":"Europe/Paris","agentSchedules":[
        {"user":{"id":"a"},"shifts":[{"startDate":"2026-11-30T09:00:00Z","lengthMinutes":480,
          "activities":[{"startDate":"2026-11-30T09:00:00Z","lengthMinutes":480,
          "activityCodeId":"0","description":"Work"}]}],"metadata":{"version":3}},
        {"user":{"id":"b"},"fullDayTimeOffMarkers":[],"metadata":{"version":1},"extra":[1,{"x":2}]}
    ],"more":{"nested":[true]}}"#;

    #[test]
    fn a_streamed_download_reads_as_the_whole_answer_does() {
        let whole: BuAgentSchedulesQueryResponse = serde_json::from_str(BODY).unwrap();
        let mut streamed = Vec::new();
        for_each(BODY.as_bytes(), &mut |agent| streamed.push(agent)).unwrap();
        assert_eq!(streamed, whole.agent_schedules);
        assert_eq!(streamed.len(), 2);
    }

    #[test]
    fn a_broken_download_is_an_error() {
        let mut seen = 0;
        let cut = &BODY.as_bytes()[..BODY.len() / 2];
        assert!(for_each(cut, &mut |_| seen += 1).is_err());
        assert!(for_each(b"[]", &mut |_| seen += 1).is_err());
        assert!(for_each(br#"{"agentSchedules":[]} x"#, &mut |_| seen += 1).is_err());
    }
}
