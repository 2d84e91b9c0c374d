//! Integration tests: the CLI end to end, the report against the seed, JUnit, diagnostics.

// Tests print what they saw when they skip or fail, hold long scenario functions, and share
// helpers between their modules: the library's shape lints are for `src`.
#![allow(
    clippy::print_stderr,
    clippy::print_stdout,
    clippy::too_many_lines,
    unreachable_pub
)]

mod absent;
mod action;
mod architecture;
mod bulk_interrupt;
mod bulk_live;
mod bulk_names_live;
mod bulk_outputs;
mod bulk_robust;
mod ci_snippets;
mod cli;
mod comparison;
mod confine_live;
mod databricks;
mod doc_links;
mod doc_shell;
mod doc_snippets;
mod docs;
mod ergonomics;
mod errors;
mod exit_wording;
mod faults;
mod filter_live;
mod gather_layer;
mod guard_live;
mod hostile;
mod hostile_output;
mod junit;
mod ledger_live;
mod live;
mod logged_model;
mod markdown;
mod mock_http;
mod oss_mock;
mod outage;
mod outputs;
mod policy_diagnostics;
mod policy_language;
mod promote_live;
mod promotion;
mod race_proxy;
mod readme;
mod replay_parity;
mod sarif;
mod schemas;
mod secret_property;
mod seed_report;
mod serve;
mod silent_paths;
mod tls;
mod unlisted;

use std::path::PathBuf;

/// A file under `tests/fixtures/` or the repository root.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The mlgate binary under test, with colour and the user's environment kept out.
pub fn mlgate() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("mlgate").expect("binary built");
    cmd.env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Rule id → outcome, from a results JSON document (`--json`).
pub fn outcomes(results: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    results["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A copy of a snapshot fixture, changed by `change`, written into `dir`; returns its path.
pub fn patched_fixture(
    dir: &std::path::Path,
    fixture: &str,
    change: impl FnOnce(&mut serde_json::Value),
) -> PathBuf {
    let mut snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_path(fixture)).expect("fixture"))
            .expect("fixture JSON");
    change(&mut snapshot);
    let path = dir.join("patched.snapshot.json");
    std::fs::write(&path, snapshot.to_string()).expect("write patched fixture");
    path
}

/// The JSON Pointers at which two documents differ, each with both values: what an
/// `assert_eq!` on whole snapshots should print, since a CI log cuts a long `Debug` dump.
pub fn json_differences(left: &serde_json::Value, right: &serde_json::Value) -> Vec<String> {
    fn walk(at: &str, left: &serde_json::Value, right: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value::{Array, Object};
        match (left, right) {
            (Object(ours), Object(theirs)) => {
                let keys: std::collections::BTreeSet<&String> =
                    ours.keys().chain(theirs.keys()).collect();
                for k in keys {
                    let null = serde_json::Value::Null;
                    let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    match (ours.get(k), theirs.get(k)) {
                        (Some(one), Some(other)) => walk(&here, one, other, out),
                        (one, other) => out.push(format!(
                            "{here}: {} != {}",
                            one.unwrap_or(&null),
                            other.unwrap_or(&null)
                        )),
                    }
                }
            }
            (Array(ours), Array(theirs)) if ours.len() == theirs.len() => {
                for (i, (one, other)) in ours.iter().zip(theirs).enumerate() {
                    walk(&format!("{at}/{i}"), one, other, out);
                }
            }
            _ if left != right => out.push(format!("{at}: {left} != {right}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", left, right, &mut out);
    out
}
