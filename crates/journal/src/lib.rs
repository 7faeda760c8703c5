//! pacer-journal.
