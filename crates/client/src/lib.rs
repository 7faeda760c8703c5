//! pacer-client.
