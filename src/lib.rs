//! mlgate: a policy-checking CI gate for MLflow model versions.
//!
//! Data flows one way: a source (a live registry through [`gather`] and its [`client`], or a
//! saved snapshot file) yields a [`snapshot::Snapshot`]; the [`engine`] evaluates [`policy`] rules against it into findings;
//! [`report`] renders them; [`exit`] maps the verdict to the process exit code.

pub mod app;
pub mod cli;
pub mod client;
pub mod docs;
pub mod engine;
pub mod error_code;
pub mod exit;
pub mod gather;
pub mod glob;
pub mod ledger;
pub mod model_ref;
pub mod policy;
pub mod redact;
pub mod report;
pub mod serve;
pub mod snapshot;
pub mod suggest;
pub mod timefmt;
pub mod url;
