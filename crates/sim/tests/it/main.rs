//! Integration tests of pacer-sim: the targets, checked against the simulator's own output.

mod files;
mod properties;
mod targets;
