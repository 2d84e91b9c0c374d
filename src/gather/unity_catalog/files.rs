//! Unity Catalog's Files API routes to a version's files under
//! `/Models/<catalog>/<schema>/<model>/<version>`: read directly when the workspace enables it
//! (MLflow's `DatabricksSDKModelsArtifactRepository`), or, with `DEFAULT_STORAGE`, listed there
//! and each file read through a presigned URL from `fs/create-download-url`
//! (`PresignedUrlArtifactRepository`). Cloud storage with temporary credentials is the third
//! route (`crate::gather::cloud`).

use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientError};
use crate::gather::confine::{confine, Refused, SafePath};
use crate::gather::files::{size, Fetch, Files, Listing, MAX_LISTINGS};
use crate::gather::wire::{lenient, SignedHeader};
use crate::snapshot::ArtifactFile;

/// One entry of a Files API directory listing.
#[derive(Deserialize)]
struct DirectoryEntry {
    path: String,
    #[serde(default)]
    is_directory: bool,
    #[serde(default, deserialize_with = "lenient::int64")]
    file_size: Option<i64>,
}

/// `fs/create-download-url`: a presigned URL and the headers to send with it.
#[derive(Deserialize)]
struct DownloadUrl {
    url: String,
    #[serde(default)]
    headers: Vec<SignedHeader>,
}

/// The Files API: `/api/2.0/fs/files/<root>/<file>` with our token.
pub(super) struct FilesApi {
    /// `Models/<catalog>/<schema>/<model>/<version>`, each part confined.
    pub root: SafePath,
}

impl Files for FilesApi {
    fn read<'a>(&'a self, http: &'a Client, file: &'a SafePath) -> Fetch<'a, String> {
        Box::pin(async move {
            http.get_text(
                &format!("/api/2.0/fs/files/{}", self.root.join(file).url_path()),
                &[],
            )
            .await
        })
    }

    fn describe(&self, file: &SafePath) -> String {
        format!("GET /api/2.0/fs/files/{}", self.root.join(file).url_path())
    }

    fn list<'a>(&'a self, http: &'a Client) -> Option<Fetch<'a, Listing>> {
        Some(Box::pin(list(http, &self.root)))
    }
}

/// `DEFAULT_STORAGE`: the Files API listing of `root`, and each file through a presigned URL
/// from `fs/create-download-url`, fetched without our token.
pub(super) struct Presigned {
    /// As [`FilesApi::root`].
    pub root: SafePath,
}

impl Files for Presigned {
    fn read<'a>(&'a self, http: &'a Client, file: &'a SafePath) -> Fetch<'a, String> {
        Box::pin(async move { presigned(http, &format!("/{}", self.root.join(file))).await })
    }

    fn describe(&self, file: &SafePath) -> String {
        format!(
            "POST /api/2.0/fs/create-download-url (path=/{})",
            self.root.join(file)
        )
    }

    fn list<'a>(&'a self, http: &'a Client) -> Option<Fetch<'a, Listing>> {
        Some(Box::pin(list(http, &self.root)))
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
        let headers = SignedHeader::pairs(answer.headers);
        match http.get_signed(&answer.url, &headers).await {
            Err(e) if !refused && matches!(e.status(), Some(400 | 401 | 403)) => refused = true,
            other => return other,
        }
    }
}

/// Files API directory listing: absolute paths, directories end with `/`. Every entry must lie
/// under `root`: one that does not, or whose rest leaves it, is refused (neither listed nor
/// followed with our token).
async fn list(http: &Client, root: &SafePath) -> Result<Listing, ClientError> {
    let shown_root = format!("/{root}");
    let mut files = Vec::new();
    let mut refused = Vec::new();
    let mut dirs: Vec<Option<SafePath>> = vec![None];
    for _ in 0..MAX_LISTINGS {
        let Some(dir) = dirs.pop() else { break };
        let dir = dir.map_or_else(|| root.clone(), |d| root.join(&d));
        let entries: Vec<DirectoryEntry> = http
            .get_all_pages(
                &format!("/api/2.0/fs/directories/{}/", dir.url_path()),
                &[],
                "contents",
            )
            .await?;
        for entry in entries {
            let path = entry.path.as_str();
            let under = path
                .strip_prefix(&shown_root)
                .filter(|rest| rest.starts_with('/'))
                .ok_or_else(|| Refused {
                    path: path.to_string(),
                    reason: "the listing named a path outside the version's directory",
                })
                .and_then(|rest| confine(rest.trim_start_matches('/')));
            let relative = match under {
                Ok(relative) => relative,
                Err(r) => {
                    refused.push(r);
                    continue;
                }
            };
            if entry.is_directory {
                dirs.push(Some(relative));
            } else {
                files.push(ArtifactFile {
                    path: relative.as_str(),
                    size_bytes: size(entry.file_size),
                });
            }
        }
    }
    Ok(Listing::sorted(files, !dirs.is_empty()).refusing(refused))
}
