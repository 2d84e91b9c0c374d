//! Names longer than a file system allows in one path component (255 bytes) still get their
//! files under `--snapshot-dir` and `--report-dir` (issue 21: a 300-letter name, or 40 CJK
//! characters once %-encoded, stopped the run with exit 2), on the real MLflow 3.17 and 2.22
//! servers: each version's snapshot and report is written under a shortened name, and the
//! JSON's `files` says which file holds which version.

use std::path::Path;

use serde_json::{json, Value};

use crate::bulk_live::audit;
use crate::live::{server, Server};
use crate::promote_live::call;

/// Registers a model with a 300-letter name and one with 40 CJK characters after the
/// prefix, one version each; returns the prefix and the names.
fn populate(s: &Server) -> (String, [String; 2]) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    // Letters only, so that the whole name is 300 letters; no `_` or `%` (a LIKE below).
    let prefix = format!("long{}x{}x", letters(std::process::id()), letters(nanos));
    let names = [
        format!("{prefix}{}", "m".repeat(300 - prefix.len())),
        format!("{prefix}{}", "模".repeat(40)),
    ];
    let good = &s.ids["promotion"]["good"];
    for name in &names {
        call(
            s,
            "POST",
            "registered-models/create",
            &json!({ "name": name }),
        );
        let mut version =
            json!({ "name": name, "source": good["source"], "run_id": good["run_id"] });
        if let Some(id) = good["model_id"].as_str() {
            version["model_id"] = json!(id);
        }
        call(s, "POST", "model-versions/create", &version);
    }
    (prefix, names)
}

/// A number as letters (`a`…`j` for its digits): a prefix unique to this run, all letters.
fn letters(n: u32) -> String {
    n.to_string()
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect()
}

fn long_names_get_files(key: &str) {
    let Some(s) = server(key) else { return };
    let (prefix, names) = populate(&s);
    assert_eq!(names[0].chars().count(), 300);
    let dir = tempfile::tempdir().unwrap();
    let (snaps, reports) = (dir.path().join("snaps"), dir.path().join("reports"));
    let filter = format!("name LIKE '{prefix}%'");
    let (code, results, _, _) = audit(
        &s,
        &[
            "--filter",
            &filter,
            "--quiet",
            "--snapshot-dir",
            snaps.to_str().unwrap(),
            "--report-dir",
            reports.to_str().unwrap(),
        ],
    );
    // Unregistered models fail the bundled default rules or pass them; nothing is an error.
    assert!(code == 0 || code == 1, "exit {code}: {results}");
    assert_eq!(results["summary"]["checked"], 2, "{results}");
    let files = results["files"]
        .as_array()
        .expect("the files of each version");
    assert_eq!(files.len(), 2, "{results}");
    for name in &names {
        let entry = files
            .iter()
            .find(|f| f["model"] == name.as_str())
            .unwrap_or_else(|| panic!("{name}: {results}"));
        assert_eq!(entry["version"], "1");
        for (kind, root) in [("snapshot", &snaps), ("report", &reports)] {
            let file = Path::new(entry[kind].as_str().unwrap());
            assert!(file.is_file(), "{}", file.display());
            let inside = file.strip_prefix(root).expect("under its directory");
            for part in inside {
                assert!(part.len() <= 255, "{} bytes: {part:?}", part.len());
            }
        }
        let snapshot: Value = serde_json::from_str(
            &std::fs::read_to_string(entry["snapshot"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(snapshot["target"]["name"], name.as_str());
    }
}

#[test]
fn mlflow3_names_too_long_for_a_file_system_get_files() {
    long_names_get_files("MLFLOW3");
}

#[test]
fn mlflow2_names_too_long_for_a_file_system_get_files() {
    long_names_get_files("MLFLOW2");
}
