//! cargo-fuzz target `signals`: see `pacer_fuzz`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    (pacer_fuzz::TARGETS
        .iter()
        .find(|target| target.name == "signals")
        .expect("a known target")
        .run)(data)
});
