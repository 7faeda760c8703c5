//! One module per verb: each resolves its arguments into settings, then runs. The binary's `main`
//! chooses the verb; nothing here imports the argument parser's top level.

pub mod apply;
pub mod compare;
pub mod connection;
pub mod demo;
pub mod emulate;
pub mod export;
pub mod mirror;
mod rehearse;
mod runners;
pub mod simulate;
pub mod status;
pub mod undo;
