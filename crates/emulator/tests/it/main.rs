//! Integration tests of pacer-emulator: a real server on 127.0.0.1:0, driven over HTTP.

mod config;
mod data;
mod faults;
mod limits;
mod markers;
mod mirror;
mod refuse;
mod responses;
mod sdk;
mod seed;
mod support;
mod tls;
mod users;
mod wfm;
