//! pacer-journal: the crash-safe run journal of `pacer apply`, kept in SQLite.
//!
//! One journal file holds one run: what input it was made for (path and [`Fingerprint`]), which
//! request it sends (method and path template), its settings (never secrets), and one row per
//! input item with its state, last status, reason, attempts and correlation id.
//!
//! Crash safety: the database runs in WAL mode and every call that changes state commits before
//! it returns. A caller marks an item `in_flight` (committed) before sending it and records its
//! outcome (committed) after, so a SIGKILL at any moment loses at most the outcomes of the items
//! that were in flight; on the next open those items come back as pending with
//! [`PendingItem::possibly_sent`] set. Several changes can share one transaction through
//! [`Journal::record`] for speed, with the same guarantee for each change.
//!
//! Memory stays constant in the number of items: items are inserted in batches while the caller
//! streams its input, and read back in pages ([`PendingCursor`], [`Journal::failed_page`]).

mod error;
mod fingerprint;
mod journal;

pub use error::{Error, Result};
pub use fingerprint::{Fingerprint, Hasher};
pub use journal::{
    AgentImage, Change, Counts, FailedItem, ImageWriter, ItemLoader, ItemState, Journal, NewImage,
    OpenKind, PendingCursor, PendingItem, PreImage, ResolvedKey, RunInfo, RunSpec, UpdateRecord,
    default_path, pack_pre_image,
};
