//! A run's artifacts on Databricks, read as MLflow's `DatabricksArtifactRepository` reads them
//! (databricks-api.md §8.4 (b)): R3 `artifacts/list` for the listing (paths relative to the
//! run's artifact root), R1 `POST artifacts/credentials-for-read` for a signed URL per file,
//! then that URL without our token and with exactly the headers it came with. The workspace
//! registry falls back to this when its own signed-URL routes fail for a version whose source is
//! a run of this workspace (`dbfs:/databricks/mlflow-tracking/<experiment>/<run>/artifacts/…`):
//! the same bytes unless the run's files changed after registration, and it needs read access
//! to the experiment rather than to the model.

use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientError};
use crate::gather::confine::{confine, Refused, SafePath};
use crate::gather::files::{size, Fetch, Files, Listing, MAX_LISTINGS};
use crate::gather::wire::FileInfo;
use crate::snapshot::ArtifactFile;

const CREDENTIALS: &str = "/api/2.0/mlflow/artifacts/credentials-for-read";

/// The run and the model's directory in its artifacts, from a version's `source`; `None`
/// for sources elsewhere (another store, an MLflow 3 logged model, a bare run root).
pub(super) fn source_run(source: &str) -> Option<(String, String)> {
    let rest = source
        .strip_prefix("dbfs:/databricks/mlflow-tracking/")
        .or_else(|| source.strip_prefix("dbfs:///databricks/mlflow-tracking/"))?;
    let mut parts = rest.splitn(4, '/');
    let (_experiment, run, artifacts, root) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let root = root.trim_matches('/');
    let is_run = !run.is_empty() && run != "logged_models" && artifacts == "artifacts";
    (is_run && !root.is_empty()).then(|| (run.to_string(), root.to_string()))
}

#[derive(Deserialize)]
struct CredentialInfos {
    #[serde(default)]
    credential_infos: Vec<CredentialInfo>,
}

#[derive(Deserialize)]
struct CredentialInfo {
    #[serde(default)]
    path: Option<String>,
    signed_uri: String,
    #[serde(default)]
    headers: Vec<Header>,
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

/// A Databricks run's artifacts under `root`: `credentials-for-read` and `artifacts/list`
/// (the workspace registry's fallback when its signed URLs fail).
pub(super) struct RunArtifacts {
    pub run_id: String,
    /// The model's directory, from the version's source: confined like any path a server names.
    pub root: SafePath,
}

impl Files for RunArtifacts {
    fn read<'a>(&'a self, http: &'a Client, file: &'a SafePath) -> Fetch<'a, String> {
        Box::pin(async move { read(http, &self.run_id, &self.root.join(file).as_str()).await })
    }

    fn describe(&self, file: &SafePath) -> String {
        format!(
            "POST {CREDENTIALS} (run_id={}, path={})",
            self.run_id,
            self.root.join(file)
        )
    }

    fn list<'a>(&'a self, http: &'a Client) -> Option<Fetch<'a, Listing>> {
        Some(Box::pin(list(http, &self.run_id, &self.root)))
    }
}

/// Reads `path` (under the model's root) of the run through a signed URL from R1.
async fn read(http: &Client, run_id: &str, path: &str) -> Result<String, ClientError> {
    #[derive(Serialize)]
    struct Ask<'a> {
        run_id: &'a str,
        path: [&'a str; 1],
    }
    let answer: CredentialInfos = http
        .post_read(
            CREDENTIALS,
            &Ask {
                run_id,
                path: [path],
            },
        )
        .await?;
    // Matched by path, not position (§8.2); a lone entry without a path is the one asked for.
    let lone = answer.credential_infos.len() == 1;
    let info = answer
        .credential_infos
        .into_iter()
        .find(|c| c.path.as_deref().map_or(lone, |p| p == path))
        .ok_or_else(|| ClientError::Shape {
            method: "POST",
            url: http.url(CREDENTIALS),
            message: format!("no credential for `{path}` in the answer"),
        })?;
    let headers: Vec<(String, String)> = info
        .headers
        .into_iter()
        .filter(|h| !h.name.is_empty())
        .map(|h| (h.name, h.value))
        .collect();
    http.get_signed(&info.signed_uri, &headers).await
}

/// Every file under `root` in the run's artifacts, relative to `root`. A directory the
/// listing names outside `root`, or climbing out of it, is refused and not followed; files
/// outside it are not the model's (left out, as before).
async fn list(http: &Client, run_id: &str, root: &SafePath) -> Result<Listing, ClientError> {
    let prefix = format!("{root}/");
    let mut files = Vec::new();
    let mut refused = Vec::new();
    let mut dirs = vec![root.clone()];
    for _ in 0..MAX_LISTINGS {
        let Some(dir) = dirs.pop() else {
            return Ok(Listing::sorted(files, false).refusing(refused));
        };
        let entries: Vec<FileInfo> = http
            .get_all_pages(
                "/api/2.0/mlflow/artifacts/list",
                &[("run_id", run_id), ("path", &dir.as_str())],
                "files",
            )
            .await?;
        for entry in entries {
            let under = entry.path.strip_prefix(&prefix).map(confine);
            match under {
                Some(Ok(relative)) if entry.is_dir => dirs.push(root.join(&relative)),
                Some(Ok(relative)) => files.push(ArtifactFile {
                    path: relative.as_str(),
                    size_bytes: size(entry.file_size),
                }),
                Some(Err(r)) => refused.push(r),
                None if entry.is_dir => refused.push(Refused {
                    path: entry.path,
                    reason: "the listing named a directory outside the model's",
                }),
                None => {}
            }
        }
    }
    Ok(Listing::sorted(files, !dirs.is_empty()).refusing(refused))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_in_the_run_artifacts() {
        assert_eq!(
            source_run("dbfs:/databricks/mlflow-tracking/333/abbe/artifacts/dolly3b"),
            Some(("abbe".into(), "dolly3b".into()))
        );
        assert_eq!(
            source_run("dbfs:/databricks/mlflow-tracking/333/abbe/artifacts/a/model/"),
            Some(("abbe".into(), "a/model".into()))
        );
        for elsewhere in [
            "dbfs:/databricks/mlflow-tracking/333/logged_models/m-1/artifacts/model",
            "dbfs:/databricks/mlflow-tracking/333/abbe/artifacts",
            "dbfs:/databricks/mlflow-registry/abc/models/m",
            "s3://bucket/model",
            "models:/m-123",
        ] {
            assert_eq!(source_run(elsewhere), None, "{elsewhere}");
        }
    }
}
