//! The layering the README promises, checked on the source: the snapshot is data only (no
//! client, no gathering, no HTTP), the client knows no snapshot, the engine and reporters never
//! see the client or the wire, and the backend names are spelled only where they are
//! (de)serialised.

use std::path::Path;

use crate::repo_path;

/// Every `.rs` file under `dir`, with its code lines (comments dropped).
fn sources(dir: &str) -> Vec<(String, Vec<String>)> {
    fn walk(dir: &Path, out: &mut Vec<(String, Vec<String>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.starts_with("//"))
                    .map(str::to_string)
                    .collect();
                out.push((path.display().to_string(), code));
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo_path(dir), &mut out);
    assert!(!out.is_empty(), "{dir} has sources");
    out
}

fn forbid(dir: &str, patterns: &[&str]) {
    for (file, lines) in sources(dir) {
        for line in &lines {
            for pattern in patterns {
                assert!(
                    !line.contains(pattern),
                    "{file} must not use `{pattern}`: {line}"
                );
            }
        }
    }
}

#[test]
fn the_snapshot_is_data_only() {
    forbid(
        "src/snapshot",
        &["crate::client", "crate::gather", "reqwest", "tokio"],
    );
}

#[test]
fn the_client_knows_no_snapshot() {
    forbid("src/client", &["crate::snapshot", "crate::gather"]);
}

#[test]
fn rules_and_reporters_never_see_the_client_or_the_wire() {
    for dir in ["src/engine", "src/policy", "src/report"] {
        forbid(dir, &["crate::client", "crate::gather", "reqwest"]);
    }
}

#[test]
fn backend_names_are_spelled_only_where_they_are_serialised() {
    for name in [
        "\"mlflow-oss\"",
        "\"databricks-workspace\"",
        "\"databricks-uc\"",
    ] {
        for (file, lines) in sources("src") {
            if file.ends_with("snapshot/backend.rs") {
                continue;
            }
            // Unit tests build serialised snapshots by hand; that is (de)serialisation.
            let code = lines.split(|l| l == "#[cfg(test)]").next().unwrap_or(&[]);
            assert!(
                !code.iter().any(|l| l.contains(name)),
                "{file} spells the backend {name}: use snapshot::Backend"
            );
        }
    }
}
