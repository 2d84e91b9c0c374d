//! The model's artifact files, read through the server: the MLmodel, the input example and
//! the file listing (for the model size). Each backend has its own route:
//!
//! - open-source MLflow: the registry's `/model-versions/get-artifact`, or the artifact proxy
//!   `/api/2.0/mlflow-artifacts/artifacts/...` (lab notes, "Where the MLmodel file lives");
//! - Databricks workspace registry: `model-versions/list-artifacts` and
//!   `get-signed-download-uri`, then the signed URL *without* our credentials (as MLflow's
//!   `DatabricksModelsArtifactRepository` does);
//! - Unity Catalog: the Files API under `/Models/<catalog>/<schema>/<model>/<version>` when the
//!   workspace enables it (MLflow's `DatabricksSDKModelsArtifactRepository`); else, with
//!   `DEFAULT_STORAGE`, that listing and a presigned URL per file from `fs/create-download-url`
//!   (`PresignedUrlArtifactRepository`); else the version's cloud storage itself with temporary
//!   credentials (`super::cloud`). `unity_catalog::storage` picks the route as MLflow does;
//! - a Databricks run's artifacts (`databricks::run_artifacts`), when the workspace registry's
//!   signed URLs fail for a version registered from a run.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::cloud::Store;
use super::databricks::run_artifacts;

use super::wire::lenient;
use crate::client::{Client, ClientError};
use crate::snapshot::ArtifactFile;

/// One entry of the artifact proxy's and the registry's listings (`FileInfo`).
#[derive(Deserialize)]
struct FileInfo {
    path: String,
    #[serde(default)]
    is_dir: bool,
    #[serde(default, deserialize_with = "lenient::int64")]
    file_size: Option<i64>,
}

/// `{"files": [...]}`; left out when the directory is empty.
#[derive(Deserialize)]
struct FileListing {
    #[serde(default)]
    files: Vec<FileInfo>,
}

/// One entry of a Files API directory listing.
#[derive(Deserialize)]
struct DirectoryEntry {
    path: String,
    #[serde(default)]
    is_directory: bool,
    #[serde(default, deserialize_with = "lenient::int64")]
    file_size: Option<i64>,
}

/// `get-signed-download-uri`: the URL and the headers storage requires with it.
#[derive(Deserialize)]
struct SignedUri {
    signed_uri: String,
    #[serde(default)]
    headers: Vec<SignedHeader>,
}

#[derive(Deserialize)]
struct SignedHeader {
    name: String,
    #[serde(default)]
    value: String,
}

/// `fs/create-download-url`: a presigned URL and the headers to send with it.
#[derive(Deserialize)]
struct DownloadUrl {
    url: String,
    #[serde(default)]
    headers: Vec<SignedHeader>,
}

/// A size from the wire; a negative one is no size at all.
fn size(bytes: Option<i64>) -> Option<u64> {
    bytes.and_then(|b| u64::try_from(b).ok())
}

/// How the model's files can be read.
#[derive(Debug, Clone)]
pub enum Access {
    /// OSS registry route, `/model-versions/get-artifact?name=&version=&path=`.
    Registry { name: String, version: String },
    /// OSS artifact proxy, `/api/2.0/mlflow-artifacts/artifacts/<prefix>/<path>`.
    Proxy { prefix: String },
    /// Databricks workspace registry: list, then a signed download URL per file.
    Workspace { name: String, version: String },
    /// Unity Catalog through the Files API: `/Models/<catalog>/<schema>/<model>/<version>`.
    UcFiles { root: String },
    /// Unity Catalog `DEFAULT_STORAGE`: the Files API listing of `root`, and each file through
    /// a presigned URL from `fs/create-download-url`, fetched without our token.
    UcPresigned { root: String },
    /// Unity Catalog on customer storage (S3, ADLS Gen2, GCS) with temporary credentials.
    UcCloud(Arc<Store>),
    /// A Databricks run's artifacts under `root`: `credentials-for-read` and `artifacts/list`
    /// (the workspace registry's fallback when its signed URLs fail).
    RunArtifacts { run_id: String, root: String },
}

/// Listings stop after this many directory reads, so a huge artifact tree cannot stall the gate.
pub const MAX_LISTINGS: usize = 200;

/// The files found, and whether the walk stopped at [`MAX_LISTINGS`] with directories left.
pub type Listing = (Vec<ArtifactFile>, bool);

impl Access {
    /// Proxy access to a `mlflow-artifacts:/` URI; `None` for other schemes.
    pub fn proxy(uri: &str) -> Option<Self> {
        uri.strip_prefix("mlflow-artifacts:/")
            .map(|rest| Access::Proxy {
                prefix: rest.trim_matches('/').to_string(),
            })
    }

    /// Reads one file (`MLmodel`, `input_example.json`) as text.
    pub async fn read(&self, http: &Client, file: &str) -> Result<String, ClientError> {
        match self {
            Access::Registry { name, version } => {
                http.get_text(
                    "/model-versions/get-artifact",
                    &[("name", name), ("version", version), ("path", file)],
                )
                .await
            }
            Access::Proxy { prefix } => {
                http.get_text(
                    &format!("/api/2.0/mlflow-artifacts/artifacts/{prefix}/{file}"),
                    &[],
                )
                .await
            }
            Access::Workspace { name, version } => {
                let signed: SignedUri = http
                    .get(
                        "/api/2.0/mlflow/model-versions/get-signed-download-uri",
                        &[("name", name), ("version", version), ("path", file)],
                    )
                    .await?;
                // Storage may require headers (encryption); send exactly those, and no token.
                let headers: Vec<(String, String)> = signed
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect();
                http.get_signed(&signed.signed_uri, &headers).await
            }
            Access::UcFiles { root } => {
                http.get_text(&format!("/api/2.0/fs/files{root}/{file}"), &[])
                    .await
            }
            Access::UcPresigned { root } => presigned(http, &format!("{root}/{file}")).await,
            Access::UcCloud(store) => store.read(http, file).await,
            Access::RunArtifacts { run_id, root } => {
                run_artifacts::read(http, run_id, root, file).await
            }
        }
    }

    /// The call, for error entries.
    pub fn describe(&self, file: &str) -> String {
        match self {
            Access::Registry { .. } => format!("GET /model-versions/get-artifact (path={file})"),
            Access::Proxy { prefix } => {
                format!("GET /api/2.0/mlflow-artifacts/artifacts/{prefix}/{file}")
            }
            Access::Workspace { .. } => {
                format!("GET /api/2.0/mlflow/model-versions/get-signed-download-uri (path={file})")
            }
            Access::UcFiles { root } => format!("GET /api/2.0/fs/files{root}/{file}"),
            Access::UcPresigned { root } => {
                format!("POST /api/2.0/fs/create-download-url (path={root}/{file})")
            }
            Access::UcCloud(store) => store.describe(file),
            Access::RunArtifacts { run_id, root } => format!(
                "POST /api/2.0/mlflow/artifacts/credentials-for-read (run_id={run_id}, path={root}/{file})"
            ),
        }
    }

    /// Every file of the model, with paths relative to its root, and whether the walk stopped
    /// at its bound before the end; `None` when this route has no listing.
    pub async fn list(&self, http: &Client) -> Option<Result<Listing, ClientError>> {
        match self {
            Access::Proxy { prefix } => Some(list_proxy(http, prefix).await),
            Access::Workspace { name, version } => Some(list_workspace(http, name, version).await),
            Access::UcFiles { root } | Access::UcPresigned { root } => {
                Some(list_uc(http, root).await)
            }
            Access::UcCloud(store) => Some(store.list(http).await),
            Access::RunArtifacts { run_id, root } => {
                Some(run_artifacts::list(http, run_id, root).await)
            }
            Access::Registry { .. } => None,
        }
    }
}

/// A file through a presigned URL. A refused download (400/401/403: the URL expired) gets
/// one new URL, as MLflow's `PresignedUrlArtifactRepository` retries once with a fresh one.
async fn presigned(http: &Client, path: &str) -> Result<String, ClientError> {
    #[derive(Serialize)]
    struct Ask<'a> {
        path: &'a str,
    }
    let mut refused = false;
    loop {
        let answer: DownloadUrl = http
            .post_read("/api/2.0/fs/create-download-url", &Ask { path })
            .await?;
        // The returned headers exactly (the proto says so), and never our token.
        let headers: Vec<(String, String)> = answer
            .headers
            .into_iter()
            .map(|h| (h.name, h.value))
            .collect();
        match http.get_signed(&answer.url, &headers).await {
            Err(e) if !refused && matches!(e.status(), Some(400 | 401 | 403)) => refused = true,
            other => return other,
        }
    }
}

async fn list_proxy(http: &Client, prefix: &str) -> Result<Listing, ClientError> {
    let mut files = Vec::new();
    let mut dirs = vec![String::new()];
    let mut listings = 0;
    while let Some(dir) = dirs.pop() {
        listings += 1;
        if listings > MAX_LISTINGS {
            dirs.push(dir);
            break;
        }
        let path = if dir.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}/{dir}")
        };
        let listing: FileListing = http
            .get("/api/2.0/mlflow-artifacts/artifacts", &[("path", &path)])
            .await?;
        for entry in listing.files {
            // The proxy returns names relative to the listed directory.
            let relative = if dir.is_empty() {
                entry.path
            } else {
                format!("{dir}/{}", entry.path)
            };
            if entry.is_dir {
                dirs.push(relative);
            } else {
                files.push(ArtifactFile {
                    path: relative,
                    size_bytes: size(entry.file_size),
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, !dirs.is_empty()))
}

/// `model-versions/list-artifacts`: paths relative to the version's root, pages followed.
async fn list_workspace(http: &Client, name: &str, version: &str) -> Result<Listing, ClientError> {
    let mut files = Vec::new();
    let mut dirs = vec![String::new()];
    for _ in 0..MAX_LISTINGS {
        let Some(dir) = dirs.pop() else { break };
        let query = [("name", name), ("version", version), ("path", dir.as_str())];
        let entries: Vec<FileInfo> = http
            .get_all_pages(
                "/api/2.0/mlflow/model-versions/list-artifacts",
                &query,
                "files",
            )
            .await?;
        for entry in entries {
            if entry.is_dir {
                dirs.push(entry.path);
            } else {
                files.push(ArtifactFile {
                    path: entry.path,
                    size_bytes: size(entry.file_size),
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, !dirs.is_empty()))
}

/// Files API directory listing: absolute paths, directories end with `/`.
async fn list_uc(http: &Client, root: &str) -> Result<Listing, ClientError> {
    let mut files = Vec::new();
    let mut dirs = vec![format!("{root}/")];
    for _ in 0..MAX_LISTINGS {
        let Some(dir) = dirs.pop() else { break };
        let entries: Vec<DirectoryEntry> = http
            .get_all_pages(&format!("/api/2.0/fs/directories{dir}"), &[], "contents")
            .await?;
        for entry in entries {
            let path = entry.path.as_str();
            if entry.is_directory {
                dirs.push(if path.ends_with('/') {
                    path.to_string()
                } else {
                    format!("{path}/")
                });
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap_or(path)
                    .trim_start_matches('/')
                    .to_string();
                files.push(ArtifactFile {
                    path: relative,
                    size_bytes: size(entry.file_size),
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, !dirs.is_empty()))
}
