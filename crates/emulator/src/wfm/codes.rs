//! A business unit's activity codes: the profile's fixed table or a mirror's, each found by its
//! id in one lookup, named by its index in stored activities, and the three codes (work, break,
//! meal) that generated shifts are made of.

use pacer_genesys::wfm::ActivityCode;

use crate::config::MAX_CODES;
use crate::hash::FastMap;

/// The profile's activity codes of every business unit: name, category, paid, counts as work.
pub const ACTIVITY_CODES: [(&str, &str, bool, bool); 6] = [
    ("Work", "OnQueueWork", true, true),
    ("Break", "Break", true, false),
    ("Meal", "Meal", false, false),
    ("Training", "Training", true, true),
    ("Meeting", "Meeting", true, true),
    ("Time Off", "TimeOff", false, false),
];

/// One unit's activity codes, in the order the API lists them.
#[derive(Debug)]
pub struct Codes {
    list: Vec<ActivityCode>,
    by_id: FastMap<Box<str>, u16>,
    /// The codes of a generated shift's work, break and meal, when the unit has any code.
    generated: Option<[u16; 3]>,
}

impl Codes {
    /// The profile's codes, each with the id `id` draws.
    pub fn profile(mut id: impl FnMut() -> String) -> Codes {
        let list = ACTIVITY_CODES
            .iter()
            .enumerate()
            .map(|(i, &(name, category, paid, work))| ActivityCode {
                id: id(),
                name: name.into(),
                active: true,
                default_code: true,
                category: category.into(),
                length_in_minutes: Some(if i == 1 { 15 } else { 30 }),
                counts_as_paid_time: paid,
                counts_as_work_time: work,
            })
            .collect();
        Codes::new(list)
    }

    /// Codes as given (a mirror's); past [`MAX_CODES`] they are cut, which the mirror's checks
    /// refuse first.
    pub fn new(mut list: Vec<ActivityCode>) -> Codes {
        list.truncate(MAX_CODES);
        let by_id = list
            .iter()
            .enumerate()
            .map(|(i, code)| (code.id.as_str().into(), i as u16))
            .collect();
        let first = |category: &str| {
            list.iter()
                .position(|c| c.active && c.category == category)
                .map(|i| i as u16)
        };
        let generated = (!list.is_empty()).then(|| {
            let work = first("OnQueueWork").unwrap_or(0);
            [
                work,
                first("Break").unwrap_or(work),
                first("Meal").unwrap_or(work),
            ]
        });
        Codes {
            list,
            by_id,
            generated,
        }
    }

    /// Every code, in order.
    pub fn list(&self) -> &[ActivityCode] {
        &self.list
    }

    /// The code at `index` (an index this unit gave out).
    pub fn get(&self, index: u16) -> &ActivityCode {
        &self.list[usize::from(index)]
    }

    /// The index of the code with `id`.
    pub fn find(&self, id: &str) -> Option<u16> {
        self.by_id.get(id).copied()
    }

    /// The codes of a generated shift's work, break and meal: the first active code of each
    /// category (work's when the unit has none of break or meal); `None` for a unit without codes.
    pub fn generated(&self) -> Option<[u16; 3]> {
        self.generated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(id: &str, category: &str, active: bool) -> ActivityCode {
        ActivityCode {
            id: id.into(),
            name: id.to_uppercase(),
            active,
            default_code: false,
            category: category.into(),
            length_in_minutes: None,
            counts_as_paid_time: true,
            counts_as_work_time: false,
        }
    }

    #[test]
    fn the_profiles_codes_are_the_table_with_drawn_ids() {
        let mut n = 0;
        let codes = Codes::profile(|| {
            n += 1;
            format!("c{n}")
        });
        assert_eq!(codes.list().len(), 6);
        assert_eq!(codes.get(1).name, "Break");
        assert_eq!(codes.get(1).length_in_minutes, Some(15));
        assert_eq!(codes.find("c6"), Some(5));
        assert_eq!(codes.find("c7"), None);
        assert_eq!(codes.generated(), Some([0, 1, 2]));
    }

    #[test]
    fn generated_shifts_take_the_first_active_code_of_each_category() {
        let codes = Codes::new(vec![
            code("t", "Training", true),
            code("w0", "OnQueueWork", false),
            code("w1", "OnQueueWork", true),
            code("m", "Meal", true),
        ]);
        assert_eq!(codes.generated(), Some([2, 2, 3]));
        let none = Codes::new(vec![code("t", "Training", true)]);
        assert_eq!(none.generated(), Some([0, 0, 0]));
        assert_eq!(Codes::new(Vec::new()).generated(), None);
    }
}
