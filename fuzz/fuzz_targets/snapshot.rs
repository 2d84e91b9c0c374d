//! Fuzz target: the snapshot loader (`mlgate check --snapshot FILE`). Invariant: a snapshot that
//! loads saves to JSON that loads again to the same value (what `mlgate snapshot` writes,
//! `--snapshot` must read back).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mlgate::snapshot::io;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.snapshot.json");
    let Ok(snapshot) = io::parse(text, path) else {
        return;
    };
    let saved = io::to_json(&snapshot).expect("a loaded snapshot serialises");
    let again = io::parse(&saved, path).expect("a saved snapshot loads again");
    assert_eq!(again, snapshot, "save → load changed the snapshot");
});
