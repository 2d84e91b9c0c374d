//! The workspace registry's route to a version's files: `model-versions/list-artifacts` for
//! the listing and `get-signed-download-uri` per file, then the signed URL *without* our
//! credentials (as MLflow's `DatabricksModelsArtifactRepository` does).

use crate::client::{Client, ClientError};
use crate::gather::confine::{confine, SafePath};
use crate::gather::files::{size, Fetch, Files, Listing, MAX_LISTINGS};
use crate::gather::wire::{FileInfo, SignedHeader};
use crate::snapshot::ArtifactFile;

/// `get-signed-download-uri`: the URL and the headers storage requires with it.
#[derive(serde::Deserialize)]
struct SignedUri {
    signed_uri: String,
    #[serde(default)]
    headers: Vec<SignedHeader>,
}

/// A workspace registry version's files: listed, then a signed download URL per file.
pub(super) struct SignedDownload {
    pub name: String,
    pub version: String,
}

impl Files for SignedDownload {
    fn read<'a>(&'a self, http: &'a Client, file: &'a SafePath) -> Fetch<'a, String> {
        Box::pin(async move {
            let file = file.as_str();
            let signed: SignedUri = http
                .get(
                    "/api/2.0/mlflow/model-versions/get-signed-download-uri",
                    &[
                        ("name", &self.name),
                        ("version", &self.version),
                        ("path", &file),
                    ],
                )
                .await?;
            // Storage may require headers (encryption); send exactly those, and no token.
            let headers = SignedHeader::pairs(signed.headers);
            http.get_signed(&signed.signed_uri, &headers).await
        })
    }

    fn describe(&self, file: &SafePath) -> String {
        format!("GET /api/2.0/mlflow/model-versions/get-signed-download-uri (path={file})")
    }

    fn list<'a>(&'a self, http: &'a Client) -> Option<Fetch<'a, Listing>> {
        Some(Box::pin(list(http, &self.name, &self.version)))
    }
}

/// `model-versions/list-artifacts`: paths relative to the version's root, pages followed; an
/// entry whose path leaves the root is refused, neither listed nor followed.
async fn list(http: &Client, name: &str, version: &str) -> Result<Listing, ClientError> {
    let mut refused = Vec::new();
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
            let path = match confine(&entry.path) {
                Ok(safe) => safe.as_str(),
                Err(r) => {
                    refused.push(r);
                    continue;
                }
            };
            if entry.is_dir {
                dirs.push(path);
            } else {
                files.push(ArtifactFile {
                    path,
                    size_bytes: size(entry.file_size),
                });
            }
        }
    }
    Ok(Listing::sorted(files, !dirs.is_empty()).refusing(refused))
}
