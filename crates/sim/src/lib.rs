//! pacer-sim.
