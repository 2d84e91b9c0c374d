//! Open-source MLflow's routes to a version's files (lab notes, "Where the MLmodel file
//! lives"): the registry's `/model-versions/get-artifact` (reads only, no listing), and the
//! artifact proxy `/api/2.0/mlflow-artifacts/artifacts/...` for `mlflow-artifacts:/` URIs
//! (reads and a listing).

use crate::client::{Client, ClientError};
use crate::gather::confine::{confine, Refused, SafePath};
use crate::gather::files::{size, Fetch, Files, Listing, MAX_LISTINGS};
use crate::gather::wire::FileListing;
use crate::snapshot::ArtifactFile;

/// The registry route, `/model-versions/get-artifact?name=&version=&path=`.
pub(super) struct GetArtifact {
    pub name: String,
    pub version: String,
}

impl Files for GetArtifact {
    fn read<'a>(&'a self, http: &'a Client, file: &'a SafePath) -> Fetch<'a, String> {
        Box::pin(async move {
            http.get_text(
                "/model-versions/get-artifact",
                &[
                    ("name", &self.name),
                    ("version", &self.version),
                    ("path", &file.as_str()),
                ],
            )
            .await
        })
    }

    fn describe(&self, file: &SafePath) -> String {
        format!("GET /model-versions/get-artifact (path={file})")
    }

    fn list<'a>(&'a self, _: &'a Client) -> Option<Fetch<'a, Listing>> {
        None
    }
}

/// The artifact proxy, `/api/2.0/mlflow-artifacts/artifacts/<prefix>/<path>`.
pub(super) struct Proxy {
    /// Under the proxy's root; confined like any path a server names (the URI is the
    /// version's source, its download URI or a logged model's location).
    prefix: SafePath,
}

impl Proxy {
    /// The proxy's route to a `mlflow-artifacts:/` URI; `Ok(None)` for other schemes, and
    /// refused when the location leaves the proxy's root.
    pub(super) fn of(uri: &str) -> Result<Option<Self>, Refused> {
        match uri.strip_prefix("mlflow-artifacts:/") {
            Some(rest) => Ok(Some(Proxy {
                // `mlflow-artifacts:///1/…` names the same place as `mlflow-artifacts:/1/…`.
                prefix: confine(rest.trim_start_matches('/')).map_err(|r| Refused {
                    path: uri.to_string(),
                    ..r
                })?,
            })),
            None => Ok(None),
        }
    }

    /// The proxy's route, or `None` for another scheme or a refused location.
    pub(super) fn at(uri: &str) -> Option<Self> {
        Self::of(uri).ok().flatten()
    }
}

impl Files for Proxy {
    fn read<'a>(&'a self, http: &'a Client, file: &'a SafePath) -> Fetch<'a, String> {
        Box::pin(async move {
            http.get_text(
                &format!(
                    "/api/2.0/mlflow-artifacts/artifacts/{}",
                    self.prefix.join(file).url_path()
                ),
                &[],
            )
            .await
        })
    }

    fn describe(&self, file: &SafePath) -> String {
        format!(
            "GET /api/2.0/mlflow-artifacts/artifacts/{}",
            self.prefix.join(file).url_path()
        )
    }

    fn list<'a>(&'a self, http: &'a Client) -> Option<Fetch<'a, Listing>> {
        Some(Box::pin(list_proxy(http, &self.prefix)))
    }
}

/// The proxy's listing: each directory asked for by `path=` (its own root check); an entry
/// whose path leaves the root is refused, neither listed nor followed.
async fn list_proxy(http: &Client, prefix: &SafePath) -> Result<Listing, ClientError> {
    let prefix = prefix.as_str();
    let mut refused = Vec::new();
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
            prefix.clone()
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
            let relative = match confine(&relative) {
                Ok(safe) => safe.as_str(),
                Err(r) => {
                    refused.push(r);
                    continue;
                }
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
    Ok(Listing::sorted(files, !dirs.is_empty()).refusing(refused))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_serves_mlflow_artifacts_uris_only() {
        let proxy = Proxy::at("mlflow-artifacts:/1/models/m-1/artifacts/").unwrap();
        assert_eq!(
            proxy.describe(&SafePath::mlmodel()),
            "GET /api/2.0/mlflow-artifacts/artifacts/1/models/m-1/artifacts/MLmodel"
        );
        assert!(Proxy::at("s3://bucket/1/models/m-1/artifacts").is_none());
        assert!(Proxy::at("runs:/abc/model").is_none());
        let refused = Proxy::of("mlflow-artifacts:/1/../../../api/2.0/mlflow").err();
        assert_eq!(
            refused.map(|r| (r.path, r.reason)),
            Some((
                "mlflow-artifacts:/1/../../../api/2.0/mlflow".to_string(),
                "a `..` segment leaves the artifact root"
            ))
        );
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
            route.describe(&SafePath::mlmodel()),
            "GET /model-versions/get-artifact (path=MLmodel)"
        );
    }
}
