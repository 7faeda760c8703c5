//! Where a schedule keeps its written agents' shifts: two flat vectors (shifts, activities) that
//! agents' entries point into, instead of several small allocations per agent. Small long-lived
//! allocations scattered among an update's short-lived ones pin the allocator's memory; a few
//! large vectors do not. Replaced spans become garbage, compacted once they outweigh the live.

use crate::wfm::shift::{StoredActivity, StoredShift};

/// The shifts of one agent: `len` shifts from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u32,
    len: u32,
}

/// One shift as packed: its activities are `activity_count` from `first_activity`.
#[derive(Debug, Clone)]
struct Packed {
    id: u128,
    start: i64,
    length: u16,
    activity_count: u16,
    first_activity: u32,
}

/// The packed shifts and activities of one schedule.
#[derive(Debug, Default)]
pub struct ShiftArena {
    shifts: Vec<Packed>,
    activities: Vec<StoredActivity>,
    /// Shifts no span points to any more.
    garbage: usize,
}

impl ShiftArena {
    /// Stores shifts and returns their span.
    pub fn push(&mut self, shifts: &[StoredShift]) -> Span {
        let start = self.shifts.len() as u32;
        for shift in shifts {
            self.shifts.push(Packed {
                id: shift.id,
                start: shift.start,
                length: shift.length,
                activity_count: shift.activities.len() as u16,
                first_activity: self.activities.len() as u32,
            });
            self.activities.extend(shift.activities.iter().cloned());
        }
        Span {
            start,
            len: shifts.len() as u32,
        }
    }

    /// The shifts of a span.
    pub fn get(&self, span: Span) -> Vec<StoredShift> {
        let range = span.start as usize..(span.start + span.len) as usize;
        self.shifts[range]
            .iter()
            .map(|packed| {
                let first = packed.first_activity as usize;
                StoredShift {
                    id: packed.id,
                    start: packed.start,
                    length: packed.length,
                    activities: self.activities[first..first + packed.activity_count as usize]
                        .to_vec()
                        .into_boxed_slice(),
                }
            })
            .collect()
    }

    /// Marks a span's shifts as garbage.
    pub fn release(&mut self, span: Span) {
        self.garbage += span.len as usize;
    }

    /// Whether enough is garbage that [`ShiftArena::compact`] pays.
    pub fn wants_compaction(&self) -> bool {
        self.garbage > 4096 && self.garbage * 2 > self.shifts.len()
    }

    /// Copies the live spans into new vectors, sized exactly, and points them there.
    pub fn compact<'a>(&mut self, spans: impl Iterator<Item = &'a mut Span>) {
        let mut fresh = ShiftArena::default();
        let mut moved: Vec<&mut Span> = spans.collect();
        let shifts: usize = moved.iter().map(|s| s.len as usize).sum();
        fresh.shifts.reserve_exact(shifts);
        for span in &mut moved {
            let shifts = self.get(**span);
            **span = fresh.push(&shifts);
        }
        fresh.activities.shrink_to_fit();
        *self = fresh;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(id: u128, activities: usize) -> StoredShift {
        StoredShift {
            id,
            start: id as i64 * 60,
            length: 60,
            activities: (0..activities)
                .map(|a| StoredActivity {
                    start: id as i64 * 60 + a as i64,
                    length: 1,
                    code: a as u16,
                    description: None,
                })
                .collect(),
        }
    }

    #[test]
    fn spans_read_back_and_survive_compaction() {
        let mut arena = ShiftArena::default();
        let first = arena.push(&[shift(1, 2), shift(2, 0)]);
        let mut second = arena.push(&[shift(3, 3)]);
        assert_eq!(arena.get(first), vec![shift(1, 2), shift(2, 0)]);
        arena.release(first);
        for _ in 0..5000 {
            let span = arena.push(&[shift(9, 1)]);
            arena.release(span);
        }
        assert!(arena.wants_compaction());
        arena.compact(std::iter::once(&mut second));
        assert_eq!(arena.get(second), vec![shift(3, 3)]);
        assert_eq!(arena.shifts.len(), 1);
        assert!(!arena.wants_compaction());
    }
}
