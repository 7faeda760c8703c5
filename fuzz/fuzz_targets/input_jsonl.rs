//! cargo-fuzz target `input_jsonl`: see `pacer_fuzz`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    (pacer_fuzz::TARGETS
        .iter()
        .find(|target| target.name == "input_jsonl")
        .expect("a known target")
        .run)(data)
});
