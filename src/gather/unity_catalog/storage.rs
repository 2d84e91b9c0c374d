//! How a Unity Catalog model version's files are read, chosen as MLflow 3.17 chooses it
//! (`UnityCatalogModelsArtifactRepository._get_artifact_repo`, databricks-api.md §8.3):
//!
//! 1. U9 `is-databricks-sdk-models-artifact-repository-enabled` (an error counts as false):
//!    if true, the Files API on `/Models/<catalog>/<schema>/<model>/<version>`;
//! 2. else U10 `generate-temporary-credentials` (`MODEL_VERSION_OPERATION_READ`): with
//!    `storage_mode` `DEFAULT_STORAGE`, the Files API listing plus a presigned URL per file;
//! 3. else the version's storage location (U2's `storage_location`, else U12) read with the
//!    credential UC gave: `aws_temp_credentials` on `s3://`, `azure_user_delegation_sas` on
//!    `abfss://`, `gcp_oauth_token` on `gs://`. Anything else is an error entry naming the
//!    storage mode and the credential, never a guess.
//!
//! A 403 from U10 names the privileges UC wants for reading a version's files (the SDK's
//! `RegisteredModelsAPI` doc: `EXECUTE` on the model, `USE CATALOG`, `USE SCHEMA`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::files::{FilesApi, Presigned};
use super::wire;
use crate::client::{Client, ClientError};
use crate::gather::cloud::{self, Credential, Issue, Issued};
use crate::gather::confine::{confine, Refused, SafePath};
use crate::gather::context::Context;
use crate::gather::files::{Fetch, Route};
use crate::gather::record::{error_entry, failure, refused_entry};
use crate::gather::tracking::API;
use crate::gather::wire::{lenient, ModelVersion};
use crate::snapshot::GatherError;

const CREDENTIALS: &str = "/unity-catalog/model-versions/generate-temporary-credentials";

/// U10's answer: `{"credentials": TemporaryCredentials}`. Not `Debug`: it holds secrets.
#[derive(Deserialize)]
struct Answer {
    credentials: TemporaryCredentials,
}

#[derive(Deserialize)]
struct TemporaryCredentials {
    #[serde(default, deserialize_with = "lenient::int64")]
    expiration_time: Option<i64>,
    #[serde(default)]
    storage_mode: Option<String>,
    #[serde(default)]
    aws_temp_credentials: Option<AwsTemp>,
    #[serde(default)]
    azure_user_delegation_sas: Option<AzureSas>,
    #[serde(default)]
    gcp_oauth_token: Option<GcpToken>,
    #[serde(default)]
    r2_temp_credentials: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct AwsTemp {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default)]
    session_token: String,
}

#[derive(Deserialize)]
struct AzureSas {
    sas_token: String,
}

#[derive(Deserialize)]
struct GcpToken {
    oauth_token: String,
}

impl TemporaryCredentials {
    /// The credential kind, as named on the wire (for error entries).
    fn kind(&self) -> &'static str {
        if self.aws_temp_credentials.is_some() {
            "aws_temp_credentials"
        } else if self.azure_user_delegation_sas.is_some() {
            "azure_user_delegation_sas"
        } else if self.gcp_oauth_token.is_some() {
            "gcp_oauth_token"
        } else if self.r2_temp_credentials.is_some() {
            "r2_temp_credentials"
        } else {
            "no credential"
        }
    }

    fn mode(&self) -> &str {
        self.storage_mode
            .as_deref()
            .unwrap_or("STORAGE_MODE_UNSPECIFIED")
    }

    fn issued(self) -> Option<Issued> {
        let credential = if let Some(aws) = self.aws_temp_credentials {
            Credential::Aws {
                access_key_id: aws.access_key_id,
                secret_access_key: aws.secret_access_key,
                session_token: aws.session_token,
            }
        } else if let Some(azure) = self.azure_user_delegation_sas {
            Credential::AzureSas(azure.sas_token)
        } else if let Some(gcp) = self.gcp_oauth_token {
            Credential::GcpToken(gcp.oauth_token)
        } else {
            return None;
        };
        Some(Issued {
            credential,
            expires_at_ms: self.expiration_time,
        })
    }
}

/// U10 for reading `name` version `version`.
async fn ask(
    http: &Client,
    name: &str,
    version: &str,
) -> Result<TemporaryCredentials, ClientError> {
    #[derive(Serialize)]
    struct Ask<'a> {
        name: &'a str,
        version: &'a str,
        operation: &'static str,
    }
    let body = Ask {
        name,
        version,
        operation: "MODEL_VERSION_OPERATION_READ",
    };
    let answer: Answer = http
        .post_read(&format!("{API}{CREDENTIALS}"), &body)
        .await?;
    Ok(answer.credentials)
}

/// Issues a version's cloud credentials: what a cloud store is handed to renew one.
struct VersionCredentials {
    name: String,
    version: String,
}

impl Issue for VersionCredentials {
    fn issue<'a>(&'a self, http: &'a Client) -> Fetch<'a, Issued> {
        Box::pin(temporary_credentials(http, &self.name, &self.version))
    }
}

/// A fresh cloud credential for the version (a store renewing an expired one).
async fn temporary_credentials(
    http: &Client,
    name: &str,
    version: &str,
) -> Result<Issued, ClientError> {
    let answer = ask(http, name, version).await?;
    let (mode, kind) = (answer.mode().to_string(), answer.kind());
    answer.issued().ok_or_else(|| ClientError::Shape {
        method: "POST",
        url: http.url(&format!("{API}{CREDENTIALS}")),
        message: format!("storage mode {mode} came with {kind}, not a cloud credential"),
    })
}

/// The route to the version's files, or the entry saying why there is none.
pub(super) async fn route(cx: &Context, v: &ModelVersion) -> Result<Route, GatherError> {
    let section = "mlflow_model";
    let http = cx.client();
    let root = version_root(v).map_err(|r| refused_entry(section, &r))?;
    let flag_path = format!(
        "{API}/unity-catalog/registered-models:is-databricks-sdk-models-artifact-repository-enabled"
    );
    // As MLflow does: an error counts as "not enabled".
    let enabled = http
        .get::<wire::SdkRepositoryFlag>(&flag_path, &[])
        .await
        .is_ok_and(|f| f.is_databricks_sdk_models_artifact_repository_enabled);
    if enabled {
        return Ok(Arc::new(FilesApi { root }));
    }
    let call = format!("POST {API}{CREDENTIALS}");
    let answer = match ask(http, &v.name, &v.version).await {
        Ok(answer) => answer,
        Err(e) if e.status() == Some(403) => {
            return Err(GatherError {
                call,
                message: format!(
                    "{} — reading a Unity Catalog model version's files needs the EXECUTE privilege on `{}` (with USE CATALOG and USE SCHEMA on its catalog and schema); the caller lacks it, so the MLmodel was not read",
                    e.message(),
                    v.name
                ),
                ..error_entry(section, &e)
            })
        }
        Err(e) => return Err(GatherError { call, ..error_entry(section, &e) }),
    };
    if answer.mode() == "DEFAULT_STORAGE" {
        return Ok(Arc::new(Presigned { root }));
    }
    let (mode, kind) = (answer.mode().to_string(), answer.kind());
    let uri = match &v.storage_location {
        Some(uri) if !uri.is_empty() => uri.clone(),
        _ => download_uri(http, v)
            .await
            .map_err(|e| error_entry(section, &e))?,
    };
    let unreadable = || {
        failure(
            section,
            call.clone(),
            format!(
                "Unity Catalog gave {kind} for storage mode {mode} at {uri}; mlgate reads DEFAULT_STORAGE, S3 with aws_temp_credentials, ADLS Gen2 (abfss://) with azure_user_delegation_sas and GCS with gcp_oauth_token, so the MLmodel was not read"
            ),
        )
    };
    // The storage location is the version's root; a path in it that climbs out is refused
    // before any credential is sent.
    if let Some((_, rest)) = uri.split_once("://") {
        let path = rest.split_once('/').map_or("", |(_, path)| path);
        if !path.trim_matches('/').is_empty() {
            if let Err(r) = confine(path.trim_start_matches('/')) {
                return Err(refused_entry(
                    section,
                    &Refused {
                        path: uri.clone(),
                        ..r
                    },
                ));
            }
        }
    }
    let Some(granted) = answer.issued() else {
        return Err(unreadable());
    };
    let issuer = Arc::new(VersionCredentials {
        name: v.name.clone(),
        version: v.version.clone(),
    });
    cloud::open(&uri, granted, issuer).ok_or_else(unreadable)
}

/// `Models/<catalog>/<schema>/<model>/<version>`, where the Files API keeps a version's files;
/// each part of the name (a server's word in bulk runs) must be one path segment.
fn version_root(v: &ModelVersion) -> Result<SafePath, Refused> {
    let mut root: Option<SafePath> = None;
    for part in std::iter::once("Models")
        .chain(v.name.split('.'))
        .chain([v.version.as_str()])
    {
        let Some(one) = confine(part).ok().filter(|p| p.segments().len() == 1) else {
            return Err(Refused {
                path: format!("{}/{}", v.name, v.version),
                reason: "a part of the model's name or version is not one path segment",
            });
        };
        root = Some(match root {
            Some(root) => root.join(&one),
            None => one,
        });
    }
    root.ok_or(Refused {
        path: v.name.clone(),
        reason: "the model has no name",
    })
}

/// U12: where the version's files are, when the version did not say.
async fn download_uri(http: &Client, v: &ModelVersion) -> Result<String, ClientError> {
    #[derive(Deserialize)]
    struct Uri {
        artifact_uri: String,
    }
    let answer: Uri = http
        .get(
            &format!("{API}/unity-catalog/model-versions/get-download-uri"),
            &[("name", &v.name), ("version", &v.version)],
        )
        .await?;
    Ok(answer.artifact_uri)
}
