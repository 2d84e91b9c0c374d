//! Open-source MLflow's routes to a version's files (lab notes, "Where the MLmodel file
//! lives"): the registry's `/model-versions/get-artifact` (reads only, no listing), and the
//! artifact proxy `/api/2.0/mlflow-artifacts/artifacts/...` for `mlflow-artifacts:/` URIs
//! (reads and a listing).

use crate::client::{Client, ClientError};
use crate::gather::files::{size, Fetch, Files, Listing, MAX_LISTINGS};
use crate::gather::wire::FileListing;
use crate::snapshot::ArtifactFile;

/// The registry route, `/model-versions/get-artifact?name=&version=&path=`.
pub(super) struct GetArtifact {
    pub name: String,
    pub version: String,
}

impl Files for GetArtifact {
    fn read<'a>(&'a self, http: &'a Client, file: &'a str) -> Fetch<'a, String> {
        Box::pin(async move {
            http.get_text(
                "/model-versions/get-artifact",
                &[
                    ("name", &self.name),
                    ("version", &self.version),
                    ("path", file),
                ],
            )
            .await
        })
    }

    fn describe(&self, file: &str) -> String {
        format!("GET /model-versions/get-artifact (path={file})")
    }

    fn list<'a>(&'a self, _: &'a Client) -> Option<Fetch<'a, Listing>> {
        None
    }
}

/// The artifact proxy, `/api/2.0/mlflow-artifacts/artifacts/<prefix>/<path>`.
pub(super) struct Proxy {
    prefix: String,
}

impl Proxy {
    /// The proxy's route to a `mlflow-artifacts:/` URI; `None` for other schemes.
    pub(super) fn of(uri: &str) -> Option<Self> {
        uri.strip_prefix("mlflow-artifacts:/").map(|rest| Proxy {
            prefix: rest.trim_matches('/').to_string(),
        })
    }
}

impl Files for Proxy {
    fn read<'a>(&'a self, http: &'a Client, file: &'a str) -> Fetch<'a, String> {
        Box::pin(async move {
            http.get_text(
                &format!("/api/2.0/mlflow-artifacts/artifacts/{}/{file}", self.prefix),
                &[],
            )
            .await
        })
    }

    fn describe(&self, file: &str) -> String {
        format!(
            "GET /api/2.0/mlflow-artifacts/artifacts/{}/{file}",
            self.prefix
        )
    }

    fn list<'a>(&'a self, http: &'a Client) -> Option<Fetch<'a, Listing>> {
        Some(Box::pin(list_proxy(http, &self.prefix)))
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
    Ok(Listing::sorted(files, !dirs.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_serves_mlflow_artifacts_uris_only() {
        let proxy = Proxy::of("mlflow-artifacts:/1/models/m-1/artifacts/").unwrap();
        assert_eq!(
            proxy.describe("MLmodel"),
            "GET /api/2.0/mlflow-artifacts/artifacts/1/models/m-1/artifacts/MLmodel"
        );
        assert!(Proxy::of("s3://bucket/1/models/m-1/artifacts").is_none());
        assert!(Proxy::of("runs:/abc/model").is_none());
    }

    #[test]
    fn the_registry_route_reads_but_cannot_list() {
        let route = GetArtifact {
            name: "m".into(),
            version: "1".into(),
        };
        let http = crate::client::Client::new(crate::client::Config::mlflow(
            "http://127.0.0.1:9".into(),
            &|_| None,
        ))
        .unwrap();
        assert!(route.list(&http).is_none());
        assert_eq!(
            route.describe("MLmodel"),
            "GET /model-versions/get-artifact (path=MLmodel)"
        );
    }
}
