//! The emulated organization's agents: stable, seeded UUIDs stored compactly (about 40 bytes per
//! agent: the ids in agent order, the ids sorted with their agent numbers, and a bucket index over
//! the sorted ids), with names and e-mails derived from the agent's number on demand.

use pacer_core::rng::Rng;

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
}

impl Agents {
    /// Creates `count` agents whose ids depend only on `seed`.
    pub fn new(count: u32, seed: u64) -> Agents {
        let mut rng = Rng::new(seed ^ AGENT_STREAM);
        let mut ids: Vec<u128> = Vec::with_capacity(count as usize);
        let mut by_id: Vec<u32> = (0..count).collect();
        loop {
            ids.clear();
            ids.extend((0..count).map(|_| uuid_v4(&mut rng)));
            by_id.sort_unstable_by_key(|&i| ids[i as usize]);
            // 122 random bits make a repeated id practically impossible; if one ever appears,
            // the next stream is drawn so that every id stays unique.
            if by_id
                .windows(2)
                .all(|w| ids[w[0] as usize] != ids[w[1] as usize])
            {
                break;
            }
        }
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
        }
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

    /// The display name of agent number `index`.
    pub fn name(&self, index: u32) -> String {
        format!("Agent {:05}", index + 1)
    }

    /// The e-mail (also the username) of agent number `index`.
    pub fn email(&self, index: u32) -> String {
        format!("agent{:05}@pacer-emulator.example", index + 1)
    }
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
    fn uuid_text_round_trips() {
        let id = 0x0123_4567_89ab_4def_8123_4567_89ab_cdef_u128;
        assert_eq!(format_uuid(id), "01234567-89ab-4def-8123-456789abcdef");
        assert_eq!(parse_uuid("01234567-89ab-4def-8123-456789abcdef"), Some(id));
        assert_eq!(parse_uuid("01234567-89ab-4def-8123-456789abcdeg"), None);
        assert_eq!(parse_uuid("0123456789ab-4def-8123-456789abcdef0"), None);
    }
}
