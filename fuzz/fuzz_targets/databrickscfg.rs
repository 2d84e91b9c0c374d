//! Fuzz target: `~/.databrickscfg` (INI) through the real resolution, `client::auth::databricks`,
//! which reads the file named by `DATABRICKS_CONFIG_FILE`: each input is written to one scratch
//! file per process and resolved twice, with the file's default profile and with an explicit
//! one. Asserts only "no panic, no hang".
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mlgate::client::auth;

/// One file per process, so concurrent fuzzers (or a `-jobs` run) never read each other's
/// input; in memory (`/dev/shm`) where there is one, since rewriting a file on disk on every
/// input capped the target at ~1,000 executions a second.
static FILE: LazyLock<PathBuf> = LazyLock::new(|| {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("mlgate-fuzz-{}.databrickscfg", std::process::id()))
});

fuzz_target!(|data: &[u8]| {
    // Invalid UTF-8 fails at `read_to_string`, before the INI parser: nothing to learn.
    if std::str::from_utf8(data).is_err() {
        return;
    }
    if std::fs::write(&*FILE, data).is_err() {
        return;
    }
    let file = FILE.display().to_string();
    let env = |key: &str| (key == "DATABRICKS_CONFIG_FILE").then(|| file.clone());
    let _ = auth::databricks("databricks", &env);
    let _ = auth::databricks("databricks://prod", &env);
});
