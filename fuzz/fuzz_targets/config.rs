//! Fuzz target: the project config `mlgate.toml`. Asserts only "no panic, no hang".
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = mlgate::app::parse_config(text);
});
