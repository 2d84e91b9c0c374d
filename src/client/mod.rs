//! The HTTP client for tracking servers and Databricks workspaces: configuration from MLflow's
//! and Databricks' environment, authentication, TLS, timeouts, the retry policy (reads are
//! retried, writes only when they surely did not happen), typed JSON decoding and error
//! decoding. It knows nothing of snapshots: `gather` is the only module that calls it.

pub mod auth;
mod config;
pub mod error;
mod http;
mod oauth;
mod storage;
mod tls;
mod transport;

pub use config::{Config, StorageEnv, DEFAULT_BUDGET_SECS, DEFAULT_MAX_RESPONSE_BYTES};
pub use error::{ClientError, ConnectKind, RateStop};
pub use http::{Client, Retry, WriteMethod};
pub use storage::Stored;
