//! Fuzz target: policy test files (`mlgate test`), parsed as the command does against the bundled
//! baseline, from the repository's `policies/tests/` so the seeds' relative fixture paths
//! resolve. Asserts only "no panic, no hang".
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mlgate::policy::{self, Policy};

static BASELINE: LazyLock<Policy> =
    LazyLock::new(|| policy::load(&[policy::baseline()]).expect("the bundled baseline loads"));

/// Strings that could make the loader read a device or kernel file (`/dev/zero` never ends,
/// `/dev/stdin` blocks). A test file names the files it reads, so this is the fuzzer's sandbox,
/// not a loader bug; TOML escapes could spell those paths, so inputs with escapes that produce
/// arbitrary characters are skipped too. Other files are only read (the seeds name
/// `../baseline.toml`).
const SKIP: [&str; 7] = ["/dev", "/proc", "/sys", "/run", "\\u", "\\U", "\\x"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if SKIP.iter().any(|s| text.contains(s)) {
        return;
    }
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policies/tests/fuzz.test.toml"
    ));
    let _ = mlgate::app::parse_test_file(path, text, &BASELINE);
});
