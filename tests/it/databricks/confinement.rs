//! A hostile Unity Catalog version: its MLmodel names an input example outside the version's
//! files (`..`, percent-encoded, backslashed, absolute). On every route the mock serves (the
//! Files API with our token, `DEFAULT_STORAGE` presigned URLs, GCS with the issued token), no
//! request leaves the version's root and the snapshot has an `input_example` error entry naming
//! the refused path; the rest of the model is still read.

use serde_json::Value;

use super::mock::{Mock, Options};
use super::uc_storage::check;
use super::uc_storage_mock::{UcStorage, PREFIX};

/// The hostile `artifact_path`s, as YAML, and the path each names once read.
const HOSTILE: [(&str, &str); 5] = [
    (
        "../../../../../api/2.0/preview/scim/v2/Me",
        "../../../../../api/2.0/preview/scim/v2/Me",
    ),
    (
        "'%2e%2e/%2e%2e/%2e%2e/secret'",
        "%2e%2e/%2e%2e/%2e%2e/secret",
    ),
    ("'..%2F..%2F..%2Fsecret'", "..%2F..%2F..%2Fsecret"),
    (r"'..\..\..\secret'", r"..\..\..\secret"),
    (
        "/Volumes/main/hr/salaries.csv",
        "/Volumes/main/hr/salaries.csv",
    ),
];

/// The entries of `snapshot`'s `errors` for `section`.
fn errors_for<'a>(snapshot: &'a Value, section: &str) -> Vec<&'a Value> {
    snapshot["errors"]
        .as_array()
        .map(|e| e.iter().filter(|e| e["section"] == section).collect())
        .unwrap_or_default()
}

/// Checks the hostile version on `storage`; every file request must start with one of `roots`.
fn confined(storage: &UcStorage, roots: &[String], envs: fn(&Mock) -> Vec<(&'static str, String)>) {
    for (yaml, named) in HOSTILE {
        let mock = Mock::start(Options {
            uc_storage: storage.clone(),
            input_example_path: Some(yaml.into()),
            ..Options::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let run = check(&mock, dir.path(), &envs(&mock));
        let refused = errors_for(&run.snapshot, "input_example");
        assert_eq!(refused.len(), 1, "{named}: {}", run.everything);
        let message = refused[0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("`{}`", named.escape_debug())) && message.contains("refused"),
            "{named}: {message}"
        );
        assert!(run.snapshot.get("input_example").is_none(), "{named}");
        assert_eq!(
            run.snapshot["mlflow_model"]["signature"]["inputs"][0]["name"], "tenure",
            "the rest of the model is read"
        );
        for request in mock.requests() {
            let path = request.split_once(' ').map_or("", |(_, p)| p);
            let lower = path.to_ascii_lowercase();
            assert!(
                !lower.contains("..") && !lower.contains("%2e") && !lower.contains("%5c"),
                "{named}: {request}"
            );
            assert!(
                !lower.contains("scim") && !lower.contains("secret") && !lower.contains("volumes"),
                "{named}: {request}"
            );
            let file = ["/api/2.0/fs/files", "/_signed/", "/_gcs/"]
                .iter()
                .any(|p| path.starts_with(p));
            if file {
                assert!(
                    roots.iter().any(|root| path.starts_with(root.as_str())),
                    "{named}: {request} is outside {roots:?}"
                );
            }
        }
    }
}

#[test]
fn files_api_reads_stay_under_the_version() {
    confined(
        &UcStorage::FilesApi,
        &["/api/2.0/fs/files/Models/main/ml/churn/3/".into()],
        |_| Vec::new(),
    );
}

#[test]
fn presigned_reads_stay_under_the_version() {
    confined(
        &UcStorage::DefaultStorage,
        &["/_signed/uc/Models/main/ml/churn/3/".into()],
        |_| Vec::new(),
    );
}

#[test]
fn cloud_credential_reads_stay_under_the_version() {
    let object = format!(
        "/_gcs/storage/v1/b/uc-metastore-gcs/o/{}",
        PREFIX.replace('/', "%2F")
    );
    confined(
        &UcStorage::Gcs,
        &[object, "/_gcs/storage/v1/b/uc-metastore-gcs/o?".into()],
        |mock| vec![("STORAGE_EMULATOR_HOST", format!("{}/_gcs", mock.url))],
    );
}

/// A Unity Catalog name that holds separators and dots (percent-encoded in the reference,
/// which decodes them) stays one path segment: the model is looked up under its whole odd
/// name, and no other API is reached with the token (the red team's
/// `main.ml.churn%2F..%2F..%2Fpermissions%2Fx` reached `/permissions/x`).
#[test]
fn a_uc_name_is_one_path_segment() {
    let mock = Mock::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "main.ml.churn%2F..%2F..%2Fpermissions%2Fx",
        "main.ml.churn%2F%2E%2E%2Fx",
    ] {
        let out = super::with_token(&mock, dir.path())
            .args(["snapshot", "--registry-uri", "databricks-uc"])
            .arg(format!("models:/{name}/3"))
            .arg("-o")
            .arg(dir.path().join("s.json"))
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "{name}: no such model");
    }
    let asked: Vec<String> = mock.requests();
    assert!(!asked.is_empty());
    for request in &asked {
        let path = request.split_once(' ').map_or("", |(_, p)| p);
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        assert!(
            path.starts_with("/api/2.1/unity-catalog/models/main.ml.churn%")
                && !path.contains("/permissions/")
                && !path.contains("/../"),
            "{request}"
        );
    }
}

/// The workspace registry's routes (signed URLs per file, and the source run's artifacts when
/// those fail) refuse the hostile input example too: nothing is asked for outside `dolly3b/`.
#[test]
fn workspace_registry_reads_stay_under_the_version() {
    for registry_files_missing in [false, true] {
        for (yaml, named) in HOSTILE {
            let mock = Mock::start(Options {
                registry_files_missing,
                input_example_path: Some(yaml.into()),
                ..Options::default()
            });
            let dir = tempfile::tempdir().unwrap();
            let snap = dir.path().join("s.json");
            super::with_token(&mock, dir.path())
                .args(["snapshot", "models:/dolly3b/1", "-o"])
                .arg(&snap)
                .output()
                .unwrap();
            let s = super::json(&snap);
            let refused = errors_for(&s, "input_example");
            assert_eq!(refused.len(), 1, "{named}: {s}");
            assert!(
                refused[0]["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("`{}`", named.escape_debug())),
                "{named}: {s}"
            );
            for request in mock.requests() {
                let lower = request.to_ascii_lowercase();
                assert!(
                    !lower.contains("..") && !lower.contains("%2e") && !lower.contains("%5c"),
                    "{named}: {request}"
                );
                assert!(
                    !lower.contains("scim")
                        && !lower.contains("secret")
                        && !lower.contains("volumes"),
                    "{named}: {request}"
                );
            }
        }
    }
}
