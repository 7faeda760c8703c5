//! pacer-genesys.
