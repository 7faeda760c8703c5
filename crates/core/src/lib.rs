//! pacer-core.
