//! cargo-fuzz target `upload_roundtrip`: see `pacer_fuzz`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    (pacer_fuzz::TARGETS
        .iter()
        .find(|target| target.name == "upload_roundtrip")
        .expect("a known target")
        .run)(data)
});
