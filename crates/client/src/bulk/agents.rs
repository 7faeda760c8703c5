//! A download's agents read as its bytes arrive: a scanner follows the answer's structure chunk
//! by chunk, finds each element of its `agentSchedules` array, and parses that element alone;
//! nothing but the element being read is ever held, whatever the answer's size. An element whole
//! in its chunk is parsed where it lies, the parse finding its end (most of them: a chunk holds
//! many agents); one a chunk cuts is scanned to its end and gathered first.

use serde::de::DeserializeOwned;

/// The array of an answer whose elements are the agents.
const AGENTS_KEY: &[u8] = b"agentSchedules";
/// Keys longer than this cannot be `agentSchedules`: only their first bytes are kept.
const KEY_HELD: usize = 32;

/// Finds the elements of the top-level object's `agentSchedules` array in a body fed a chunk at a
/// time. Its checks are of structure (one object, balanced, nothing after it, every agent an
/// object); each element's own JSON is checked by the parse it is handed to.
#[derive(Debug, Default)]
pub(super) struct Splitter {
    /// Objects and arrays open.
    depth: u32,
    in_string: bool,
    /// The byte after a backslash in a string.
    escaped: bool,
    /// In the top-level object, the next string is a key.
    want_key: bool,
    /// The top-level key being read.
    reading_key: bool,
    /// The last top-level key read (its first `KEY_HELD` bytes).
    key: Vec<u8>,
    /// In the agents array.
    in_agents: bool,
    /// In an agent: the bytes of it that earlier chunks held.
    in_agent: bool,
    held: Vec<u8>,
    started: bool,
    ended: bool,
}

/// A body that is not an answer with agents.
pub(super) type Malformed = String;

/// What takes each agent: the agent parsed, and its bytes (one JSON object).
pub(super) type Take<'t, T> = dyn FnMut(T, &[u8]) -> Result<(), Malformed> + 't;

impl Splitter {
    /// Scans `chunk`, handing each agent completed in it to `each`.
    pub(super) fn feed<T: DeserializeOwned>(
        &mut self,
        chunk: &[u8],
        each: &mut Take<'_, T>,
    ) -> Result<(), Malformed> {
        // Where in `chunk` the agent being read starts (0 when an earlier chunk started it).
        let mut agent_from = 0;
        let mut at = 0;
        while at < chunk.len() {
            let byte = chunk[at];
            if self.in_string {
                at = self.in_string_until(chunk, at);
                continue;
            }
            match byte {
                b' ' | b'\n' | b'\r' | b'\t' => {}
                _ if self.ended => return Err("text after the answer's end".into()),
                b'{' | b'[' => {
                    if !self.started {
                        if byte == b'[' {
                            return Err("the answer is not an object".into());
                        }
                        self.started = true;
                        self.want_key = true;
                    } else if self.in_agents && self.depth == 2 {
                        if byte == b'[' {
                            return Err("an agent schedule is not an object".into());
                        }
                        if let Some(length) = parse_in_place(&chunk[at..], each)? {
                            at += length;
                            continue;
                        }
                        self.in_agent = true;
                        agent_from = at;
                    } else if self.depth == 1 && byte == b'[' && self.key == AGENTS_KEY {
                        self.in_agents = true;
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        return Err("a closing bracket with nothing open".into());
                    }
                    self.depth -= 1;
                    if self.in_agent && self.depth == 2 {
                        self.in_agent = false;
                        self.agent_done(&chunk[agent_from..=at], each)?;
                    } else if self.in_agents && self.depth == 1 {
                        self.in_agents = false;
                    } else if self.depth == 0 {
                        self.ended = true;
                    }
                }
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 && self.want_key {
                        self.reading_key = true;
                        self.key.clear();
                    }
                }
                b',' if self.depth == 1 => self.want_key = true,
                b':' if self.depth == 1 => self.want_key = false,
                _ if !self.started => return Err("the answer is not an object".into()),
                _ if self.in_agents && self.depth == 2 && byte != b',' => {
                    return Err("an agent schedule is not an object".into());
                }
                _ => {}
            }
            at += 1;
        }
        if self.in_agent {
            self.held.extend_from_slice(&chunk[agent_from..]);
        }
        Ok(())
    }

    /// Reads a string's bytes from `at` to its closing quote (or the chunk's end), jumping from
    /// quote or backslash to the next (most of an answer's bytes are in strings); the place after
    /// what was read.
    fn in_string_until(&mut self, chunk: &[u8], mut at: usize) -> usize {
        let from = at;
        while at < chunk.len() {
            if self.escaped {
                self.escaped = false;
                at += 1;
                continue;
            }
            let Some(next) = memchr::memchr2(b'"', b'\\', &chunk[at..]) else {
                at = chunk.len();
                break;
            };
            at += next + 1;
            if chunk[at - 1] == b'\\' {
                self.escaped = true;
                continue;
            }
            self.in_string = false;
            if self.reading_key {
                self.keep_key(&chunk[from..at - 1]);
                self.reading_key = false;
            }
            return at;
        }
        if self.reading_key {
            self.keep_key(&chunk[from..at]);
        }
        at
    }

    fn keep_key(&mut self, bytes: &[u8]) {
        let room = KEY_HELD.saturating_sub(self.key.len());
        self.key.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// An agent's last bytes: the agent whole (with what earlier chunks held) parsed, to `each`.
    fn agent_done<T: DeserializeOwned>(
        &mut self,
        tail: &[u8],
        each: &mut Take<'_, T>,
    ) -> Result<(), Malformed> {
        if self.held.is_empty() {
            return parse(tail, each);
        }
        self.held.extend_from_slice(tail);
        let agent = std::mem::take(&mut self.held);
        let done = parse(&agent, each);
        self.held = agent;
        self.held.clear();
        done
    }

    /// The body ended: it must have been one whole object.
    pub(super) fn finish(&self) -> Result<(), Malformed> {
        if self.ended {
            Ok(())
        } else {
            Err("the answer ended before its last bracket".into())
        }
    }
}

/// Parses the agent that `from` begins with and hands it to `each`, when the agent ends in
/// `from`: how many bytes it took; `None` when `from` ends first (the agent is gathered then).
fn parse_in_place<T: DeserializeOwned>(
    from: &[u8],
    each: &mut Take<'_, T>,
) -> Result<Option<usize>, Malformed> {
    let mut values = serde_json::Deserializer::from_slice(from).into_iter::<T>();
    match values.next() {
        Some(Ok(agent)) => {
            let length = values.byte_offset();
            each(agent, &from[..length])?;
            Ok(Some(length))
        }
        Some(Err(err)) if err.is_eof() => Ok(None),
        Some(Err(err)) => Err(err.to_string()),
        None => Ok(None),
    }
}

/// Parses an agent's bytes, exactly one JSON object, and hands it to `each`.
fn parse<T: DeserializeOwned>(agent: &[u8], each: &mut Take<'_, T>) -> Result<(), Malformed> {
    each(
        serde_json::from_slice(agent).map_err(|e| e.to_string())?,
        agent,
    )
}

/// Reads the agents of a whole answer already in memory, each parsed and handed to `each`.
#[cfg(test)]
pub(super) fn for_each<T: DeserializeOwned>(
    body: &[u8],
    each: &mut dyn FnMut(T),
) -> Result<(), Malformed> {
    let mut splitter = Splitter::default();
    splitter.feed(body, &mut |agent, _| {
        each(agent);
        Ok(())
    })?;
    splitter.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacer_genesys::wfm::{BuAgentScheduleQueryResponse, BuAgentSchedulesQueryResponse};

    const BODY: &str = r#"{"businessUnitTimeZone":"Europe/Paris","agentSchedules":[
        {"user":{"id":"a"},"shifts":[{"startDate":"2026-11-30T09:00:00Z","lengthMinutes":480,
          "activities":[{"startDate":"2026-11-30T09:00:00Z","lengthMinutes":480,
          "activityCodeId":"0","description":"Work \"}] {\\"}]}],"metadata":{"version":3}},
        {"user":{"id":"b"},"fullDayTimeOffMarkers":[],"metadata":{"version":1},"extra":[1,{"x":2}]}
    ],"more":{"agentSchedules":[{"user":{"id":"nested"}}]},"x":"agentSchedules"}"#;

    fn whole() -> Vec<BuAgentScheduleQueryResponse> {
        let whole: BuAgentSchedulesQueryResponse = serde_json::from_str(BODY).unwrap();
        whole.agent_schedules
    }

    #[test]
    fn a_streamed_download_reads_as_the_whole_answer_does() {
        let mut streamed: Vec<BuAgentScheduleQueryResponse> = Vec::new();
        for_each(BODY.as_bytes(), &mut |agent| streamed.push(agent)).unwrap();
        assert_eq!(streamed, whole());
        assert_eq!(streamed.len(), 2);
    }

    #[test]
    fn a_download_cut_into_chunks_anywhere_reads_the_same() {
        // The agents' bytes as the body writes them: each handed over exactly, whether it lay
        // whole in a chunk (parsed where it lies) or was gathered across several.
        let element = |from: &str, to: &str| {
            let start = BODY.find(from).unwrap();
            let end = start + BODY[start..].find(to).unwrap() + to.len();
            &BODY[start..end]
        };
        let expected = [
            element(r#"{"user":{"id":"a"}"#, r#""metadata":{"version":3}}"#),
            element(r#"{"user":{"id":"b"}"#, r#""extra":[1,{"x":2}]}"#),
        ];
        for size in [1, 2, 3, 7, 64, 200, BODY.len()] {
            let mut splitter = Splitter::default();
            let mut streamed: Vec<BuAgentScheduleQueryResponse> = Vec::new();
            let mut bytes: Vec<String> = Vec::new();
            for chunk in BODY.as_bytes().chunks(size) {
                splitter
                    .feed(chunk, &mut |agent, raw| {
                        streamed.push(agent);
                        bytes.push(String::from_utf8(raw.to_vec()).unwrap());
                        Ok(())
                    })
                    .unwrap();
            }
            splitter.finish().unwrap();
            assert_eq!(streamed, whole(), "chunks of {size} bytes");
            assert_eq!(bytes, expected, "chunks of {size} bytes");
        }
    }

    #[test]
    fn a_broken_download_is_an_error() {
        let mut seen = 0;
        let mut count = |_: BuAgentScheduleQueryResponse| seen += 1;
        let cut = &BODY.as_bytes()[..BODY.len() / 2];
        assert!(for_each(cut, &mut count).is_err());
        assert!(for_each(b"[]", &mut count).is_err());
        assert!(for_each(br#"{"agentSchedules":[]} x"#, &mut count).is_err());
        assert!(for_each(br#"{"agentSchedules":[1]}"#, &mut count).is_err());
        assert!(for_each(br#"{"agentSchedules":[{"user":3}]}"#, &mut count).is_err());
        assert!(for_each(br#"{"agentSchedules":[]}}"#, &mut count).is_err());
        assert_eq!(seen, 0);
    }

    #[test]
    fn an_answer_without_agents_has_none() {
        let mut seen = 0;
        for_each(
            br#"{"status":"Complete"}"#,
            &mut |_: BuAgentScheduleQueryResponse| seen += 1,
        )
        .unwrap();
        assert_eq!(seen, 0);
    }
}
