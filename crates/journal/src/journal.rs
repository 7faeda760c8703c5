//! The journal itself, a face over its parts: the file and its schema, the run, opening, items and
//! their states, loading, state changes, cursors, summaries, schedule updates, the agents' images for undo, and resolved keys.

mod cursor;
mod file;
mod images;
mod items;
mod keys;
mod loader;
mod open;
mod record;
mod refusals;
mod run;
mod sql;
mod summary;
mod updates;

pub use cursor::PendingCursor;
pub use images::{AgentImage, ImageWriter, NewImage, PreImage, pack_pre_image};
pub use items::{Counts, FailedItem, ItemState, PendingItem};
pub use keys::ResolvedKey;
pub use loader::ItemLoader;
pub use open::{Journal, OpenKind, default_path};
pub use record::Change;
pub use run::{RunInfo, RunSpec};
pub use updates::UpdateRecord;
