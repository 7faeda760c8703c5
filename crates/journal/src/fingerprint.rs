//! The fingerprint of an input file: its size and the SHA-256 of its bytes, computed streaming.

use std::fmt;
use std::io::Read;
use std::path::Path;

use ring::digest::{Context, SHA256};

use crate::error::{Error, Result};

/// Identifies the exact bytes of an input file, so that a journal is never resumed against a
/// changed file.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The size of the file in bytes.
    pub size: u64,
    /// The SHA-256 digest of the file's bytes.
    pub sha256: [u8; 32],
}

impl Fingerprint {
    /// Reads the file at `path` once, in 256 KiB chunks, and returns its fingerprint.
    pub fn of_file(path: &Path) -> Result<Fingerprint> {
        let file = std::fs::File::open(path).map_err(|source| Error::Input {
            path: path.to_path_buf(),
            source,
        })?;
        Self::of_reader(file).map_err(|source| Error::Input {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads `reader` to its end and returns the fingerprint of what it yielded.
    pub fn of_reader(mut reader: impl Read) -> std::io::Result<Fingerprint> {
        let mut hasher = Hasher::new();
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            hasher.update(&buffer[..n]);
        }
        Ok(hasher.finish())
    }

    /// The fingerprint of bytes already in memory.
    pub fn of_bytes(bytes: &[u8]) -> Fingerprint {
        Self::of_reader(bytes).expect("reading a byte slice cannot fail")
    }

    /// Parses the text form written by `Display`: `size:<bytes>,sha256:<64 hex digits>`.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let (size, hex) = text.strip_prefix("size:")?.split_once(",sha256:")?;
        let size = size.parse().ok()?;
        if hex.len() != 64 {
            return None;
        }
        let mut sha256 = [0u8; 32];
        for (i, byte) in sha256.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Fingerprint { size, sha256 })
    }
}

/// Builds a fingerprint from bytes fed in order, for a caller that reads the file anyway.
#[derive(Clone)]
pub struct Hasher {
    context: Context,
    size: u64,
}

impl Hasher {
    /// A hasher that has seen no bytes.
    pub fn new() -> Hasher {
        Hasher {
            context: Context::new(&SHA256),
            size: 0,
        }
    }

    /// Feeds the next bytes of the file.
    pub fn update(&mut self, bytes: &[u8]) {
        self.context.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// The fingerprint of every byte fed.
    pub fn finish(self) -> Fingerprint {
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(self.context.finish().as_ref());
        Fingerprint {
            size: self.size,
            sha256,
        }
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "size:{},sha256:", self.size)?;
        for byte in self.sha256 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_text_matches_the_standard_vector() {
        let fp = Fingerprint::of_bytes(b"abc");
        assert_eq!(
            fp.to_string(),
            "size:3,sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn text_form_round_trips_and_garbage_is_refused() {
        let fp = Fingerprint::of_bytes(b"userId\n1\n");
        assert_eq!(Fingerprint::parse(&fp.to_string()), Some(fp));
        assert_eq!(Fingerprint::parse("size:3,sha256:zz"), None);
        assert_eq!(Fingerprint::parse("nonsense"), None);
    }

    #[test]
    fn one_changed_byte_changes_the_fingerprint() {
        assert_ne!(
            Fingerprint::of_bytes(b"a,b\n"),
            Fingerprint::of_bytes(b"a,c\n")
        );
    }
}
