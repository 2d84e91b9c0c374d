//! Why gathering or writing did not happen, as types: the client's errors, and the facts of
//! the domain (a model without versions, a backend without stages, a reference that names no
//! version), each its own variant rather than an HTTP error made up to carry it. A domain fact
//! is still *said* as the registry would say it (MLflow answers `RESOURCE_DOES_NOT_EXIST` for
//! a missing version), so the text people read and the snapshot's error entries are the same
//! as when the server itself had answered.

use crate::client::ClientError;
use crate::snapshot::Backend;

/// The request that a domain fact answers, as errors name it.
#[derive(Debug, Clone)]
pub struct Asked {
    pub method: &'static str,
    /// The full URL, as the client shows it.
    pub url: String,
}

impl Asked {
    /// `GET /api/2.0/...`: the call without the server, as the snapshot's entries name it.
    fn call(&self) -> String {
        let url = self.url.as_str();
        let path = match url.find("://") {
            Some(i) => url[i + 3..].find('/').map_or("/", |j| &url[i + 3 + j..]),
            None => url,
        };
        format!("{} {path}", self.method)
    }
}

/// Why a read of the registry failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The registered model has no version (in the stage asked for).
    #[error("{} {} returned HTTP 404 RESOURCE_DOES_NOT_EXIST: {}", .asked.method, .asked.url, no_version(.model, .stage.as_deref()))]
    NoVersion {
        asked: Asked,
        model: String,
        stage: Option<String>,
    },
    /// A stage reference on a registry without stages (Unity Catalog). Refused as a usage
    /// error before gathering; kept a typed refusal here so the backend never panics.
    #[error("{} {} returned HTTP 400 INVALID_PARAMETER_VALUE: {}", .asked.method, .asked.url, no_stages(.stage))]
    NoStages { asked: Asked, stage: String },
    /// A version reference the registry resolved to no version.
    #[error("{} {} returned JSON of an unexpected shape: models:/{name}/{version} did not resolve to a model version", .asked.method, .asked.url)]
    Unresolved {
        asked: Asked,
        name: String,
        version: String,
    },
    /// A bulk listing returned no version of a model whose own answer names some: never
    /// audited as a model without versions (issue 20, a silent skip).
    #[error("{} {} {}", .asked.method, .asked.url, unlisted(.model, .filter, .named))]
    Unlisted {
        asked: Asked,
        model: String,
        filter: String,
        /// The versions the registered model names (latest per stage, aliases).
        named: Vec<String>,
    },
}

fn unlisted(model: &str, filter: &str, named: &[String]) -> String {
    format!(
        "listed no version of registered model `{model}` (filter {filter}), although the model names version(s) {} as its own: its versions were not audited",
        named.join(", ")
    )
}

fn no_version(model: &str, stage: Option<&str>) -> String {
    match stage {
        Some(s) => format!("registered model `{model}` has no version in stage {s}"),
        None => format!("registered model `{model}` has no versions"),
    }
}

fn no_stages(stage: &str) -> String {
    format!("Unity Catalog models have no stages (asked for {stage}); use an alias")
}

impl ReadError {
    /// The client's error, when the failure was one.
    pub fn client(&self) -> Option<&ClientError> {
        match self {
            ReadError::Client(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status the registry answers (or would answer) for this.
    pub fn status(&self) -> Option<u16> {
        match self {
            ReadError::Client(e) => e.status(),
            ReadError::NoVersion { .. } => Some(404),
            ReadError::NoStages { .. } => Some(400),
            ReadError::Unresolved { .. } | ReadError::Unlisted { .. } => None,
        }
    }

    /// The registry's error code for this, as MLflow names it.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            ReadError::Client(e) => e.error_code(),
            ReadError::NoVersion { .. } => Some("RESOURCE_DOES_NOT_EXIST"),
            ReadError::NoStages { .. } => Some("INVALID_PARAMETER_VALUE"),
            ReadError::Unresolved { .. } | ReadError::Unlisted { .. } => None,
        }
    }

    /// The call, for the snapshot's error entries.
    pub fn call(&self) -> String {
        match self {
            ReadError::Client(e) => e.call(),
            ReadError::NoVersion { asked, .. }
            | ReadError::NoStages { asked, .. }
            | ReadError::Unresolved { asked, .. }
            | ReadError::Unlisted { asked, .. } => asked.call(),
        }
    }

    /// The full URL asked (see [`ClientError::url`]).
    pub fn url(&self) -> &str {
        match self {
            ReadError::Client(e) => e.url(),
            ReadError::NoVersion { asked, .. }
            | ReadError::NoStages { asked, .. }
            | ReadError::Unresolved { asked, .. }
            | ReadError::Unlisted { asked, .. } => &asked.url,
        }
    }

    /// The HTTP method of the request, when one was sent.
    pub fn method(&self) -> Option<&'static str> {
        match self {
            ReadError::Client(e) => e.method(),
            ReadError::NoVersion { asked, .. }
            | ReadError::NoStages { asked, .. }
            | ReadError::Unresolved { asked, .. }
            | ReadError::Unlisted { asked, .. } => Some(asked.method),
        }
    }

    /// The class of failure (see [`ClientError::class`]): a fact is classed as the answer it
    /// reads as (`http` for the registry's 404 or 400, `shape` for a version that did not
    /// resolve), a listing that left out named versions as `unlisted`.
    pub fn class(&self) -> &'static str {
        match self {
            ReadError::Client(e) => e.class(),
            ReadError::NoVersion { .. } | ReadError::NoStages { .. } => "http",
            ReadError::Unresolved { .. } => "shape",
            ReadError::Unlisted { .. } => "unlisted",
        }
    }

    /// How many times the request was sent (a fact: the one answer it was read from).
    pub fn attempts(&self) -> u32 {
        self.client().map_or(1, ClientError::attempts)
    }

    /// What happened, in the one-line form's words (see [`ClientError::what`]).
    pub fn what(&self) -> String {
        match self {
            ReadError::Client(e) => e.what(),
            ReadError::Unresolved { name, version, .. } => format!(
                "JSON of an unexpected shape: models:/{name}/{version} did not resolve to a model version"
            ),
            fact => fact.message(),
        }
    }

    /// What went wrong, without the call.
    pub fn message(&self) -> String {
        match self {
            ReadError::Client(e) => e.message(),
            ReadError::NoVersion { model, stage, .. } => no_version(model, stage.as_deref()),
            ReadError::NoStages { stage, .. } => no_stages(stage),
            // Worded as it read when it was a shape error, so promotion messages stay put.
            ReadError::Unresolved { name, version, .. } => format!(
                "returned JSON of an unexpected shape: models:/{name}/{version} did not resolve to a model version"
            ),
            ReadError::Unlisted {
                model,
                filter,
                named,
                ..
            } => unlisted(model, filter, named),
        }
    }
}

/// Why a registry write was not made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The backend has no such operation (stages on Unity Catalog).
    #[error("{backend} cannot {what}")]
    Unsupported { backend: Backend, what: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fact reads as the registry's own answer would: same text, status, code and call.
    #[test]
    fn a_missing_version_reads_as_the_registrys_404() {
        let url = "https://h/mlflow/api/2.0/mlflow/registered-models/get-latest-versions";
        let fact = ReadError::NoVersion {
            asked: Asked {
                method: "GET",
                url: url.into(),
            },
            model: "m".into(),
            stage: Some("Production".into()),
        };
        let answered = ClientError::Http {
            method: "GET",
            url: url.into(),
            status: 404,
            error_code: Some("RESOURCE_DOES_NOT_EXIST".into()),
            message: "registered model `m` has no version in stage Production".into(),
            attempts: 1,
            credentials: None,
            retry_after: None,
        };
        assert_eq!(fact.to_string(), answered.to_string());
        assert_eq!(fact.message(), answered.message());
        assert_eq!(fact.call(), answered.call());
        assert_eq!(fact.status(), answered.status());
        assert_eq!(fact.error_code(), answered.error_code());
        assert!(fact.client().is_none());
    }

    #[test]
    fn an_unresolved_version_reads_as_a_shape_error() {
        let fact = ReadError::Unresolved {
            asked: Asked {
                method: "GET",
                url: "http://h/".into(),
            },
            name: "m".into(),
            version: "3".into(),
        };
        let answered = ClientError::Shape {
            method: "GET",
            url: "http://h/".into(),
            message: "models:/m/3 did not resolve to a model version".into(),
        };
        assert_eq!(fact.to_string(), answered.to_string());
        assert_eq!(fact.message(), answered.message());
        assert_eq!(fact.call(), answered.call());
    }
}
