//! Fuzz target: model references (`models:/…`, `runs:/…`, Unity Catalog names). Invariant: a
//! reference that parses displays as a reference that parses to the same value, since the
//! displayed form is what snapshots record and error messages tell users to type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlgate::model_ref::ModelRef;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(reference) = ModelRef::parse(text) else {
        return;
    };
    let shown = reference.to_string();
    match ModelRef::parse(&shown) {
        Ok(again) => assert_eq!(again, reference, "{text:?} displays as {shown:?}"),
        Err(e) => panic!("{text:?} displays as {shown:?}, which does not parse: {e}"),
    }
    let _ = (reference.name(), reference.kind());
});
