//! The model's artifact files, read through the tracking server: the file listing (for the
//! model size) and single files such as the input example.

use serde_json::Value;

use super::ArtifactFile;
use crate::mlflow::{ClientError, Http};

/// How the model's files can be read.
#[derive(Debug, Clone)]
pub enum Access {
    /// The registry's own route, `/model-versions/get-artifact?name=&version=&path=`.
    Registry { name: String, version: String },
    /// The artifact proxy, `/api/2.0/mlflow-artifacts/artifacts/<prefix>/<path>`.
    Proxy { prefix: String },
}

impl Access {
    /// Proxy access to a `mlflow-artifacts:/` URI; `None` for other schemes.
    pub fn proxy(uri: &str) -> Option<Self> {
        uri.strip_prefix("mlflow-artifacts:/")
            .map(|rest| Access::Proxy {
                prefix: rest.trim_matches('/').to_string(),
            })
    }

    /// Reads one file (`MLmodel`, `input_example.json`) as text.
    pub async fn read(&self, http: &Http, file: &str) -> Result<String, ClientError> {
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
        }
    }

    /// The call, for error entries.
    pub fn describe(&self, file: &str) -> String {
        match self {
            Access::Registry { .. } => format!("GET /model-versions/get-artifact (path={file})"),
            Access::Proxy { prefix } => {
                format!("GET /api/2.0/mlflow-artifacts/artifacts/{prefix}/{file}")
            }
        }
    }
}

/// Every file under a proxy prefix, walked breadth-first (model directories are shallow), with
/// paths relative to the prefix. Bounded so a huge artifact tree cannot stall the gate.
pub async fn list(http: &Http, prefix: &str) -> Result<Vec<ArtifactFile>, ClientError> {
    const MAX_LISTINGS: usize = 200;
    let mut files = Vec::new();
    let mut dirs = vec![String::new()];
    let mut listings = 0;
    while let Some(dir) = dirs.pop() {
        listings += 1;
        if listings > MAX_LISTINGS {
            break;
        }
        let path = if dir.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}/{dir}")
        };
        let listing = http
            .get_json("/api/2.0/mlflow-artifacts/artifacts", &[("path", &path)])
            .await?;
        for entry in listing
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = entry.get("path").and_then(Value::as_str) else {
                continue;
            };
            // The proxy returns names relative to the listed directory.
            let relative = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            if entry.get("is_dir").and_then(Value::as_bool) == Some(true) {
                dirs.push(relative);
            } else {
                let size = entry
                    .get("file_size")
                    .and_then(|s| s.as_u64().or_else(|| s.as_str()?.parse().ok()));
                files.push(ArtifactFile {
                    path: relative,
                    size_bytes: size,
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
