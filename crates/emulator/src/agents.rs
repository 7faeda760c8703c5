//! The emulated organization's agents: stable, seeded UUIDs (or a mirror's users' ids) stored
//! compactly (about 40 bytes per agent: the ids in agent order, the ids sorted with their agent
//! numbers, and a bucket index over the sorted ids), with names and e-mails derived from the
//! agent's number on demand and read back to it by parsing; a mirror's given names and e-mails
//! (`names`) take their place where it has them.

use std::ops::Range;

use pacer_core::rng::Rng;

use crate::names::GivenNames;

/// Every agent whose number (counting from 1) is a multiple of this takes the name of the agent
/// before it, so that a few names repeat as in real organizations (`Agent 00499` is the name of
/// agents 499 and 500, and no agent is named `Agent 00500`); e-mails stay unique.
pub const NAME_REPEAT_EVERY: u32 = 500;

/// The domain of every agent's e-mail.
const EMAIL_DOMAIN: &str = "@pacer-emulator.example";

/// Mixed into the seed so that agent ids do not share a stream with other seeded values.
const AGENT_STREAM: u64 = 0xA6E7_5EED_0000_0001;

/// All agents, in a fixed order.
#[derive(Debug)]
pub struct Agents {
    /// UUIDs in agent order.
    ids: Vec<u128>,
    /// UUIDs sorted, and the agent number of each, for lookups.
    sorted: Vec<u128>,
    sorted_agent: Vec<u32>,
    /// `buckets[b]..buckets[b + 1]` is the range of `sorted` whose top `bucket_bits` bits are `b`:
    /// random ids spread evenly, so a lookup searches one or two entries.
    buckets: Vec<u32>,
    bucket_bits: u32,
    /// The names and e-mails a mirror gave, if it gave any.
    given: Option<Box<GivenNames>>,
}

impl Agents {
    /// Creates `count` agents whose ids depend only on `seed`.
    pub fn new(count: u32, seed: u64) -> Agents {
        let mut rng = Rng::new(seed ^ AGENT_STREAM);
        loop {
            let ids: Vec<u128> = (0..count).map(|_| uuid_v4(&mut rng)).collect();
            let agents = Agents::from_ids(ids);
            // 122 random bits make a repeated id practically impossible; if one ever appears,
            // the next stream is drawn so that every id stays unique.
            if agents.sorted.windows(2).all(|w| w[0] != w[1]) {
                return agents;
            }
        }
    }

    /// Agents with the given ids, in agent order (distinct: a repeated id finds one of its
    /// agents).
    pub fn from_ids(ids: Vec<u128>) -> Agents {
        let count = ids.len() as u32;
        let mut by_id: Vec<u32> = (0..count).collect();
        by_id.sort_unstable_by_key(|&i| ids[i as usize]);
        let sorted: Vec<u128> = by_id.iter().map(|&i| ids[i as usize]).collect();
        let bucket_bits = (count.max(1).next_power_of_two().trailing_zeros()).clamp(1, 24);
        let mut buckets = Vec::with_capacity((1usize << bucket_bits) + 1);
        let mut pos = 0usize;
        for bucket in 0..(1u128 << bucket_bits) {
            while pos < sorted.len() && (sorted[pos] >> (128 - bucket_bits)) < bucket {
                pos += 1;
            }
            buckets.push(pos as u32);
        }
        buckets.push(sorted.len() as u32);
        Agents {
            ids,
            sorted,
            sorted_agent: by_id,
            buckets,
            bucket_bits,
            given: None,
        }
    }

    /// These agents with given names and e-mails over the derived ones.
    pub fn with_given(mut self, given: GivenNames) -> Agents {
        self.given = Some(Box::new(given));
        self
    }

    fn given(&self) -> Option<&GivenNames> {
        self.given.as_deref()
    }

    /// Number of agents.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The UUID of agent number `index`.
    pub fn id(&self, index: u32) -> u128 {
        self.ids[index as usize]
    }

    /// The agent number of a UUID given as text, if it is one of ours.
    pub fn find(&self, text: &str) -> Option<u32> {
        let id = parse_uuid(text)?;
        self.find_id(id)
    }

    /// The agent number of a UUID, if it is one of ours.
    pub fn find_id(&self, id: u128) -> Option<u32> {
        let bucket = (id >> (128 - self.bucket_bits)) as usize;
        let (start, end) = (
            self.buckets[bucket] as usize,
            self.buckets[bucket + 1] as usize,
        );
        let pos = self.sorted[start..end].binary_search(&id).ok()?;
        Some(self.sorted_agent[start + pos])
    }

    /// The display name of agent number `index`: the given one, else the derived one (see
    /// [`NAME_REPEAT_EVERY`] for the derived names that repeat).
    pub fn name(&self, index: u32) -> String {
        if let Some(name) = self.given().and_then(|g| g.name(index)) {
            return name.to_string();
        }
        let number = index + 1;
        let shown = if number.is_multiple_of(NAME_REPEAT_EVERY) {
            number - 1
        } else {
            number
        };
        format!("Agent {shown:05}")
    }

    /// The e-mail (also the username) of agent number `index`: the given one, else the derived
    /// one.
    pub fn email(&self, index: u32) -> String {
        if let Some(email) = self.given().and_then(|g| g.email(index)) {
            return email.to_string();
        }
        format!("agent{:05}{EMAIL_DOMAIN}", index + 1)
    }

    /// The agents named `text` (compared case-insensitively), in agent order: those given the
    /// name, and those whose derived name it is and that were given none.
    pub fn with_name(&self, text: &str) -> Vec<u32> {
        let derived = self.derived_with_name(text);
        let Some(given) = self.given() else {
            return derived.collect();
        };
        let mut found: Vec<u32> = given.with_name(text).to_vec();
        found.extend(derived.filter(|&a| given.name(a).is_none()));
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The agents whose derived name is `text` (compared case-insensitively): the agents sharing
    /// a name are neighbours, so they form a range of agent numbers, empty when nobody has the
    /// name.
    fn derived_with_name(&self, text: &str) -> Range<u32> {
        let Some(shown) = parse_numbered(text, "Agent ", "") else {
            return 0..0;
        };
        if shown.is_multiple_of(NAME_REPEAT_EVERY) {
            return 0..0;
        }
        let count = self.ids.len() as u32;
        let end = if shown % NAME_REPEAT_EVERY == NAME_REPEAT_EVERY - 1 {
            shown.saturating_add(1).min(count)
        } else {
            shown.min(count)
        };
        let start = shown - 1;
        if start < end { start..end } else { 0..0 }
    }

    /// The agent number of an e-mail (compared case-insensitively), if it is one of ours: given,
    /// or derived for an agent given none.
    pub fn find_email(&self, text: &str) -> Option<u32> {
        let given = self.given();
        if let Some(agent) = given.and_then(|g| g.find_email(text)) {
            return Some(agent);
        }
        let number = parse_numbered(text, "agent", EMAIL_DOMAIN)?;
        let agent = (number as usize <= self.ids.len()).then(|| number - 1)?;
        given
            .is_none_or(|g| g.email(agent).is_none())
            .then_some(agent)
    }
}

/// The number of `{prefix}{number:05}{suffix}` as the emulator writes it (prefix and suffix in
/// any case, at least five digits and no leading zero beyond them), if it is at least 1.
fn parse_numbered(text: &str, prefix: &str, suffix: &str) -> Option<u32> {
    let head = text.get(..prefix.len())?;
    let rest = text.get(prefix.len()..)?;
    let split = rest.len().checked_sub(suffix.len())?;
    let (digits, tail) = (rest.get(..split)?, rest.get(split..)?);
    if !head.eq_ignore_ascii_case(prefix) || !tail.eq_ignore_ascii_case(suffix) {
        return None;
    }
    let canonical = digits.len() == 5 || (digits.len() > 5 && !digits.starts_with('0'));
    if !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().filter(|&n| n >= 1)
}

/// Draws a random (version 4, RFC 4122 variant) UUID.
fn uuid_v4(rng: &mut Rng) -> u128 {
    let raw = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    (raw & !(0xF000_u128 << 64) & !(0xC000_u128 << 48)) | (0x4000_u128 << 64) | (0x8000_u128 << 48)
}

/// Formats a UUID in its canonical lowercase 8-4-4-4-12 form.
pub fn format_uuid(id: u128) -> String {
    let mut out = [0u8; 36];
    write_uuid(id, &mut out);
    // Every byte written is an ASCII hex digit or a hyphen.
    String::from_utf8(out.to_vec()).expect("a formatted uuid is ascii")
}

/// Writes a UUID's canonical form into 36 bytes.
pub fn write_uuid(id: u128, out: &mut [u8; 36]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut pos = 0;
    for nibble in 0..32 {
        if matches!(nibble, 8 | 12 | 16 | 20) {
            out[pos] = b'-';
            pos += 1;
        }
        out[pos] = HEX[((id >> (124 - nibble * 4)) & 0xF) as usize];
        pos += 1;
    }
}

/// Parses a UUID in 8-4-4-4-12 form, any case.
pub fn parse_uuid(text: &str) -> Option<u128> {
    let b = text.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let mut id = 0u128;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        let digit = (c as char).to_digit(16)?;
        id = (id << 4) | u128::from(digit);
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_per_seed_and_distinct_across_seeds() {
        let a = Agents::new(100, 7);
        let b = Agents::new(100, 7);
        let c = Agents::new(100, 8);
        assert_eq!(a.id(0), b.id(0));
        assert_eq!(a.id(99), b.id(99));
        assert_ne!(a.id(0), c.id(0));
    }

    #[test]
    fn ids_are_version_4_and_found_again() {
        let agents = Agents::new(1000, 1);
        for index in [0, 1, 500, 999] {
            let text = format_uuid(agents.id(index));
            assert_eq!(&text[14..15], "4", "{text}");
            assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"), "{text}");
            assert_eq!(agents.find(&text), Some(index));
            assert_eq!(agents.find(&text.to_uppercase()), Some(index));
        }
        assert_eq!(agents.find("00000000-0000-4000-8000-000000000000"), None);
        assert_eq!(agents.find("not-a-uuid"), None);
        for index in 0..1000 {
            assert_eq!(agents.find_id(agents.id(index)), Some(index));
        }
        let none = Agents::new(0, 1);
        assert_eq!(none.find_id(7), None);
        let one = Agents::new(1, 1);
        assert_eq!(one.find_id(one.id(0)), Some(0));
    }

    #[test]
    fn every_500th_agent_repeats_the_name_before_it() {
        let agents = Agents::new(1500, 1);
        assert_eq!(agents.name(0), "Agent 00001");
        assert_eq!(agents.name(498), "Agent 00499");
        assert_eq!(agents.name(499), "Agent 00499");
        assert_eq!(agents.name(500), "Agent 00501");
        assert_eq!(agents.name(1499), "Agent 01499");
        assert_eq!(agents.email(499), "agent00500@pacer-emulator.example");
        let names: std::collections::HashSet<String> = (0..1500).map(|a| agents.name(a)).collect();
        assert_eq!(names.len(), 1497);
        let emails: std::collections::HashSet<String> =
            (0..1500).map(|a| agents.email(a)).collect();
        assert_eq!(emails.len(), 1500);
    }

    #[test]
    fn names_and_emails_are_read_back_to_agent_numbers() {
        let agents = Agents::new(1500, 1);
        for index in 0..1500 {
            assert!(agents.with_name(&agents.name(index)).contains(&index));
            assert_eq!(agents.find_email(&agents.email(index)), Some(index));
        }
        assert_eq!(agents.derived_with_name("Agent 00499"), 498..500);
        assert_eq!(agents.derived_with_name("aGENT 00499"), 498..500);
        assert_eq!(agents.derived_with_name("Agent 00001"), 0..1);
        assert_eq!(agents.derived_with_name("Agent 00500"), 0..0);
        assert_eq!(agents.derived_with_name("Agent 1"), 0..0);
        assert_eq!(agents.derived_with_name("Agent 001499"), 0..0);
        assert_eq!(agents.derived_with_name("Agent 01501"), 0..0);
        assert_eq!(agents.derived_with_name("Agent 00000"), 0..0);
        assert_eq!(agents.derived_with_name("Agent 0000x"), 0..0);
        assert_eq!(agents.derived_with_name(""), 0..0);
        assert_eq!(agents.derived_with_name("Agent 4294967295"), 0..0);
        assert_eq!(agents.derived_with_name("Agent é0001"), 0..0);
        let short = Agents::new(499, 1);
        assert_eq!(short.with_name("Agent 00499"), vec![498]);
        assert_eq!(
            agents.find_email("AGENT00007@Pacer-Emulator.Example"),
            Some(6)
        );
        assert_eq!(agents.find_email("agent01501@pacer-emulator.example"), None);
        assert_eq!(agents.find_email("agent00000@pacer-emulator.example"), None);
        assert_eq!(agents.find_email("agent7@pacer-emulator.example"), None);
        assert_eq!(agents.find_email("agent00007@example.com"), None);
        let big = Agents::new(0, 1);
        assert_eq!(
            parse_numbered("agent123456@x", "agent", "@x"),
            Some(123_456)
        );
        assert_eq!(parse_numbered("agent0123456@x", "agent", "@x"), None);
        assert_eq!(big.find_email("agent00001@pacer-emulator.example"), None);
    }

    #[test]
    fn given_ids_names_and_emails_are_found_again_and_the_rest_derived() {
        let ids = vec![0x30 << 120, 0x10 << 120, 0x20 << 120];
        let some = |s: &str| Some(s.to_string());
        let given = GivenNames::new([
            (some("Agent 00002"), some("first@example.com")),
            (None, None),
            (some("Ada"), None),
        ]);
        let agents = Agents::from_ids(ids.clone()).with_given(given);
        for (index, &id) in ids.iter().enumerate() {
            assert_eq!(agents.id(index as u32), id);
            assert_eq!(agents.find_id(id), Some(index as u32));
        }
        assert_eq!(agents.find_id(0x40 << 120), None);
        assert_eq!(
            (agents.name(1), agents.name(2)),
            ("Agent 00002".into(), "Ada".into())
        );
        assert_eq!(agents.email(0), "first@example.com");
        assert_eq!(agents.email(2), "agent00003@pacer-emulator.example");
        // Agent 0 is given the name agent 1 derives: both are found by it.
        assert_eq!(agents.with_name("agent 00002"), vec![0, 1]);
        assert_eq!(agents.with_name("ADA"), vec![2]);
        // Agent 2's derived name is not its name any more.
        assert!(agents.with_name("Agent 00003").is_empty());
        assert_eq!(agents.find_email("FIRST@example.com"), Some(0));
        assert_eq!(agents.find_email("agent00001@pacer-emulator.example"), None);
        assert_eq!(
            agents.find_email("agent00002@pacer-emulator.example"),
            Some(1)
        );
    }

    #[test]
    fn uuid_text_round_trips() {
        let id = 0x0123_4567_89ab_4def_8123_4567_89ab_cdef_u128;
        assert_eq!(format_uuid(id), "01234567-89ab-4def-8123-456789abcdef");
        assert_eq!(parse_uuid("01234567-89ab-4def-8123-456789abcdef"), Some(id));
        assert_eq!(parse_uuid("01234567-89ab-4def-8123-456789abcdeg"), None);
        assert_eq!(parse_uuid("0123456789ab-4def-8123-456789abcdef0"), None);
    }
}
