//! Fuzz target: the MLmodel YAML read from a model's artifacts (server-controlled content),
//! and the two facts gathering reads out of it. Asserts only "no panic, no hang".
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlgate::gather::mlmodel;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = mlmodel::parse(text) {
        let _ = (
            mlmodel::input_example_path(&model),
            mlmodel::size_bytes(&model),
        );
    }
});
