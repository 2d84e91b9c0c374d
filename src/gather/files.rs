//! The one seam every file route stands behind. A backend's folder holds its routes to a model
//! version's files (the open-source registry's `get-artifact` and the artifact proxy, the
//! workspace registry's signed URLs, Unity Catalog's Files API and cloud stores, a Databricks
//! run's artifacts); the read chain only holds a [`Route`] and asks it to read, list and
//! describe, so a new route is a new type in its backend, not an edit to a shared enum.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::confine::{Refused, SafePath};
use super::record::{error_entry, failure};
use super::{mlmodel, wire};
use crate::client::{Client, ClientError};
use crate::snapshot::{ArtifactFile, GatherError};

/// A route's answer, boxed: routes are chosen at run time, so they are trait objects.
pub(super) type Fetch<'a, T> = Pin<Box<dyn Future<Output = Result<T, ClientError>> + Send + 'a>>;

/// A route to one model version's files.
pub trait Files: Send + Sync {
    /// Reads one file (`MLmodel`, `input_example.json`) as text.
    /// `file` is confined to the version's root ([`confine`](super::confine::confine)): no
    /// route reads a path a server named without that check.
    fn read<'a>(&'a self, http: &'a Client, file: &'a SafePath) -> Fetch<'a, String>;

    /// The call that reads `file`, for error entries (never a credential).
    fn describe(&self, file: &SafePath) -> String;

    /// Every file of the model, paths relative to its root; `None` when this route cannot
    /// list (the open-source registry's `get-artifact`).
    fn list<'a>(&'a self, http: &'a Client) -> Option<Fetch<'a, Listing>>;
}

/// A route, shared by the reads that need it (the MLmodel, the input example, the listing).
pub(super) type Route = Arc<dyn Files>;

/// Listings stop after this many directory reads (or pages), so a huge artifact tree cannot
/// stall the gate.
pub(super) const MAX_LISTINGS: usize = 200;

/// The files a route listed.
#[derive(Debug, Default)]
pub struct Listing {
    /// Sorted by path.
    pub files: Vec<ArtifactFile>,
    /// The walk stopped at [`MAX_LISTINGS`] with directories (or pages) left.
    pub truncated: bool,
    /// Entries whose path would leave the version's root: neither listed nor followed.
    pub refused: Vec<Refused>,
}

impl Listing {
    /// `files` sorted by path, and whether the walk was cut short.
    pub fn sorted(mut files: Vec<ArtifactFile>, truncated: bool) -> Self {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Self {
            files,
            truncated,
            refused: Vec::new(),
        }
    }

    /// This listing with the entries refused on the way.
    pub fn refusing(mut self, refused: Vec<Refused>) -> Self {
        self.refused = refused;
        self
    }
}

/// A size from the wire; a negative one is no size at all.
pub(super) fn size(bytes: Option<i64>) -> Option<u64> {
    bytes.and_then(|b| u64::try_from(b).ok())
}

/// The MLmodel file, the route it was read through, and the logged model met on the way
/// (MLflow 3).
pub struct FoundModel {
    pub mlmodel: Map<String, Value>,
    pub logged_model: Option<wire::LoggedModel>,
    pub route: Route,
}

/// Reads and parses the MLmodel through `route`.
pub(super) async fn read_mlmodel(http: &Client, route: Route) -> Result<FoundModel, GatherError> {
    let mlmodel = SafePath::mlmodel();
    match route.read(http, &mlmodel).await {
        Ok(text) => parse_mlmodel(route, &text),
        Err(e) => Err(GatherError {
            call: route.describe(&mlmodel),
            ..error_entry("mlflow_model", &e)
        }),
    }
}

/// The MLmodel read through `route`, parsed.
pub(super) fn parse_mlmodel(route: Route, text: &str) -> Result<FoundModel, GatherError> {
    match mlmodel::parse(text) {
        Ok(mlmodel) => Ok(FoundModel {
            mlmodel,
            logged_model: None,
            route,
        }),
        Err(message) => Err(failure(
            "mlflow_model",
            route.describe(&SafePath::mlmodel()),
            message,
        )),
    }
}
