//! cargo-fuzz target `input_csv`: see `pacer_fuzz`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    (pacer_fuzz::TARGETS
        .iter()
        .find(|target| target.name == "input_csv")
        .expect("a known target")
        .run)(data)
});
