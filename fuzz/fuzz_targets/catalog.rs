#![no_main]
//! Catalog parsing and validation on arbitrary bytes: must never panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = smpmatch::catalog::parse(data);
});
