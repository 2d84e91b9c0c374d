//! Which kind of registry a snapshot came from. A type everywhere in the program; the
//! kebab-case name (`mlflow-oss`, `databricks-workspace`, `databricks-uc`) exists only in
//! (de)serialisation: the snapshot's `manifest.backend`, policy `when.backend`, CLI output.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A model registry mlgate can gather from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Backend {
    /// An open-source `mlflow server` (2.x or 3.x).
    #[serde(rename = "mlflow-oss")]
    MlflowOss,
    /// The Databricks workspace model registry (stages, transition requests, workspace ACLs).
    #[serde(rename = "databricks-workspace")]
    DatabricksWorkspace,
    /// Unity Catalog models on Databricks (aliases, UC grants; no stages).
    #[serde(rename = "databricks-uc")]
    UnityCatalog,
}

impl Backend {
    /// Every backend, in the order docs list them.
    pub const ALL: [Backend; 3] = [
        Backend::MlflowOss,
        Backend::DatabricksWorkspace,
        Backend::UnityCatalog,
    ];

    /// The serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::MlflowOss => "mlflow-oss",
            Backend::DatabricksWorkspace => "databricks-workspace",
            Backend::UnityCatalog => "databricks-uc",
        }
    }

    /// The backend with this serialised name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == name)
    }

    /// The names, for messages and suggestions.
    pub fn names() -> [&'static str; 3] {
        Self::ALL.map(Backend::as_str)
    }

    /// The registry URI MLflow clients use for this backend (`MLFLOW_REGISTRY_URI`), when it
    /// differs from the tracking URI.
    pub fn registry_uri(self) -> Option<&'static str> {
        match self {
            Backend::MlflowOss => None,
            Backend::DatabricksWorkspace => Some("databricks"),
            Backend::UnityCatalog => Some("databricks-uc"),
        }
    }

    /// Whether the Databricks UI (`#mlflow/...` deep links) serves this registry.
    pub fn is_databricks(self) -> bool {
        !matches!(self, Backend::MlflowOss)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for backend in Backend::ALL {
            let json = serde_json::to_string(&backend).unwrap();
            assert_eq!(json, format!("\"{}\"", backend.as_str()));
            assert_eq!(serde_json::from_str::<Backend>(&json).unwrap(), backend);
            assert_eq!(Backend::from_name(backend.as_str()), Some(backend));
        }
        assert!(serde_json::from_str::<Backend>("\"sagemaker\"").is_err());
    }
}
