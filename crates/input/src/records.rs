//! The file read as records (CSV rows or lines), each with its line number and raw bytes,
//! through a reader that hashes every byte it passes on.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use pacer_journal::{Fingerprint, Hasher};

use super::*;

/// One row read from the file, with the line it starts on.
pub(super) struct Record {
    pub(super) line: u64,
    pub(super) row: RawRow,
}

pub(super) enum RawRow {
    Csv(csv::ByteRecord),
    Line(Vec<u8>),
}

impl Record {
    /// The row as read: a CSV row re-encoded as one CSV line, or the JSON line.
    pub(super) fn raw(&self) -> Vec<u8> {
        match &self.row {
            RawRow::Line(bytes) => bytes.clone(),
            RawRow::Csv(fields) => {
                let mut out = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(Vec::new());
                let _ = out.write_byte_record(fields);
                let mut bytes = out.into_inner().unwrap_or_default();
                if bytes.last() == Some(&b'\n') {
                    bytes.pop();
                }
                bytes
            }
        }
    }
}

/// The input file, hashed as it is read.
pub(super) struct HashingFile {
    pub(super) file: File,
    pub(super) hasher: Hasher,
}

impl std::io::Read for HashingFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads records one at a time from either format.
pub(super) enum Records {
    Csv {
        reader: csv::Reader<BufReader<HashingFile>>,
        path: PathBuf,
    },
    Lines {
        reader: BufReader<HashingFile>,
        line: u64,
        path: PathBuf,
    },
}

impl Records {
    pub(super) fn path(&self) -> &Path {
        match self {
            Records::Csv { path, .. } | Records::Lines { path, .. } => path,
        }
    }

    /// The fingerprint of the bytes read so far (the whole file, once `next` gave `None`).
    pub(super) fn fingerprint(&mut self) -> Fingerprint {
        let file = match self {
            Records::Csv { reader, .. } => reader.get_mut().get_mut(),
            Records::Lines { reader, .. } => reader.get_mut(),
        };
        std::mem::take(&mut file.hasher).finish()
    }

    pub(super) fn next(&mut self) -> Result<Option<Record>, InputError> {
        match self {
            Records::Csv { reader, path } => {
                let mut fields = csv::ByteRecord::new();
                match reader.read_byte_record(&mut fields) {
                    Ok(false) => Ok(None),
                    Ok(true) => {
                        let line = fields.position().map_or(0, |p| p.line());
                        Ok(Some(Record {
                            line,
                            row: RawRow::Csv(fields),
                        }))
                    }
                    Err(err) => {
                        let line = err.position().map_or(0, |p| p.line());
                        Err(InputError::Read {
                            path: path.clone(),
                            source: std::io::Error::other(format!("line {line}: {err}")),
                        })
                    }
                }
            }
            Records::Lines { reader, line, path } => loop {
                let mut bytes = Vec::new();
                let n =
                    reader
                        .read_until(b'\n', &mut bytes)
                        .map_err(|source| InputError::Read {
                            path: path.clone(),
                            source,
                        })?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                while matches!(bytes.last(), Some(b'\n' | b'\r')) {
                    bytes.pop();
                }
                if *line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
                    bytes.drain(..3);
                }
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(Record {
                    line: *line,
                    row: RawRow::Line(bytes),
                }));
            },
        }
    }
}
