//! The HTTP-in boundary of `mlgate guard` (as `client` is HTTP-out): a listener that receives
//! registry webhooks (MLflow 3.3+ and Databricks workspace registry), verifies each one
//! (signature first, then freshness and uniqueness) and hands what it means to the guard's
//! core through [`Sink`]; plus `GET /healthz` and Prometheus `GET /metrics`. It decides
//! nothing and imports nothing of the core: the core imports it.
//!
//! Routes: `POST /webhooks/mlflow`, `POST /webhooks/databricks`, `GET /healthz`,
//! `GET /metrics`; anything else 404, a wrong method 405.

mod config;
mod databricks;
mod event;
mod metrics;
mod mlflow;
mod replay;
mod routes;
mod server;
mod signature;

pub use config::{Listener, DEFAULT_MAX_BODY, DEFAULT_MAX_SKEW};
pub use event::{Disposition, Event, EventKind, Sink, Source};
pub use metrics::{DeliveryOutcome, Metrics};
pub use server::{bind, serve, serve_on};
