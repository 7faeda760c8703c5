//! The coordinator against a real redis-server, started by each test on a free loopback port in
//! a temporary folder and stopped by its pid.

mod budget;
mod queue;
mod support;
