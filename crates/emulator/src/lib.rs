//! pacer-emulator.
