//! The HTTP client for tracking servers and Databricks workspaces: configuration from MLflow's
//! and Databricks' environment, authentication, TLS, timeouts, the retry policy (reads are
//! retried, writes only when they surely did not happen), typed JSON decoding and error
//! decoding. It knows nothing of snapshots: `gather` is the only module that calls it.

pub mod auth;
pub mod error;
mod http;

pub use error::ClientError;
pub use http::{Client, Config, Retry, WriteMethod};
