//! Integration tests of the `pacer` binary: it runs as a child process against an emulator
//! served on 127.0.0.1:0 by the test itself.

mod apply;
mod bad_input;
mod bulk;
mod coordinated;
mod export;
mod fault_matrix;
mod html;
mod kill_matrix;
mod mirror;
mod narrow;
mod support;
mod tls;
mod undo;
mod units;
mod zones;
