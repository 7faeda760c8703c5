//! The first pass over the input: every row checked, every finding reported with its line and
//! field, then the agents that appear twice named on each of their lines.

use std::collections::{HashMap, HashSet};

use pacer_genesys::Starts;

use crate::findings::{Column, Finding, InputError, Validation};
use crate::keys::KeyField;
use crate::layout::Layout;
use crate::records::Records;
use crate::{Format, Input};

/// What the scan of every row found.
struct Scan {
    rows_total: u64,
    rows_invalid: u64,
    /// Every row's agent as a number, for finding repeats.
    ids: Vec<u128>,
}

impl Input {
    /// The first pass: reports every finding to `report` (in line order, then duplicates) and
    /// returns the counts that decide whether the run may start.
    pub fn validate(&self, report: &mut dyn FnMut(&Finding)) -> Result<Validation, InputError> {
        let mut records = self.records()?;
        let mut findings = 0u64;
        let mut emit = |finding: Finding| {
            findings += 1;
            report(&finding);
        };
        let layout = match self.layout(&mut records)? {
            Ok(layout) => layout,
            Err(fatal) => {
                for finding in fatal {
                    emit(finding);
                }
                let fingerprint = records.fingerprint();
                return Ok(fatal_validation(
                    0,
                    findings,
                    fingerprint,
                    Layout::JsonLines { keyed: false },
                ));
            }
        };
        let scan = self.scan(&mut records, &layout, &mut emit)?;
        let fingerprint = records.fingerprint();
        if scan.rows_total == 0 {
            emit(self.no_rows());
            return Ok(fatal_validation(0, findings, fingerprint, layout));
        }
        let duplicates = self.duplicate_ids(scan.ids);
        let rows_invalid =
            scan.rows_invalid + self.name_duplicates(&layout, &duplicates, &mut emit)?;
        let rows_total = scan.rows_total;
        Ok(Validation {
            rows_total,
            rows_valid: rows_total - rows_invalid,
            rows_invalid,
            findings,
            fatal: false,
            fingerprint,
            layout,
            duplicates,
            starts: self.starts,
        })
    }

    /// Checks every data row, reporting each problem with its line and field.
    fn scan(
        &self,
        records: &mut Records,
        layout: &Layout,
        emit: &mut dyn FnMut(Finding),
    ) -> Result<Scan, InputError> {
        let mut scan = Scan {
            rows_total: 0,
            rows_invalid: 0,
            ids: Vec::new(),
        };
        while let Some(record) = records.next()? {
            scan.rows_total += 1;
            let checked = layout.check_with(&record, self.starts);
            if let Some(id) = checked.id {
                scan.ids.push(id);
            }
            if !checked.problems.is_empty() {
                scan.rows_invalid += 1;
                for (column, reason) in checked.problems {
                    emit(Finding {
                        file: self.display.clone(),
                        line: record.line,
                        column,
                        reason,
                    });
                }
            }
        }
        Ok(scan)
    }

    /// The finding of a file without data rows.
    fn no_rows(&self) -> Finding {
        let reason = match self.format {
            Format::Csv => "the file has a header but no rows",
            Format::JsonLines => "the file is empty",
        };
        Finding {
            file: self.display.clone(),
            line: 1,
            column: Column::Index(1),
            reason: reason.into(),
        }
    }

    /// The agents on more than one row, unless this input allows repeats.
    fn duplicate_ids(&self, mut ids: Vec<u128>) -> HashSet<u128> {
        if self.repeats {
            return HashSet::new();
        }
        ids.sort_unstable();
        ids.windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect()
    }

    /// Rereads the file to name the lines of each duplicate agent; returns how many rows that
    /// were otherwise valid this makes invalid.
    fn name_duplicates(
        &self,
        layout: &Layout,
        duplicates: &HashSet<u128>,
        emit: &mut dyn FnMut(Finding),
    ) -> Result<u64, InputError> {
        let mut newly_invalid = 0u64;
        if duplicates.is_empty() {
            return Ok(newly_invalid);
        }
        let mut records = self.records()?;
        self.skip_header(&mut records)?;
        let mut first_line: HashMap<u128, u64> = HashMap::new();
        while let Some(record) = records.next()? {
            let checked = layout.check_with(&record, self.starts);
            let Some(id) = checked.id.filter(|id| duplicates.contains(id)) else {
                continue;
            };
            if checked.problems.is_empty() {
                newly_invalid += 1;
            }
            match first_line.get(&id) {
                None => {
                    first_line.insert(id, record.line);
                }
                Some(first) => emit(Finding {
                    file: self.display.clone(),
                    line: record.line,
                    column: layout
                        .key_column(checked.key.shown_field().unwrap_or(KeyField::UserId)),
                    reason: format!(
                        "duplicate agent {}: also on line {first}; each agent may appear once",
                        checked.key.shown()
                    ),
                }),
            }
        }
        Ok(newly_invalid)
    }
}

/// A validation that refuses the file as a whole: no row can be sent.
fn fatal_validation(
    rows_total: u64,
    findings: u64,
    fingerprint: pacer_journal::Fingerprint,
    layout: Layout,
) -> Validation {
    Validation {
        rows_total,
        rows_valid: 0,
        rows_invalid: 0,
        findings,
        fatal: true,
        fingerprint,
        layout,
        duplicates: HashSet::new(),
        starts: Starts::Instants,
    }
}
