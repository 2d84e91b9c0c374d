//! Gathering a snapshot from a live registry: open-source MLflow (`oss/`), the Databricks
//! workspace registry (`databricks/`) or Unity Catalog (`unity_catalog/`), each behind the
//! `Registry` seam and registered once (`backends`). This module is the only caller of the
//! client; it owns the wire types (`wire`, and each backend's own) and their conversion into
//! snapshot sections (`convert`). The read chain is `chain`, run in the named `stages`; a
//! promotion's extra reads are `promotion`; listing models for bulk runs is `listing`.
//!
//! The modules form a stack, never a loop: leaves (`wire`, `files`, `facts`, `error`,
//! `record`), then the context and the MLflow REST calls every backend shares (`tracking`,
//! `writes`, `workspace_acl`, `logged_model`), the `Registry` seam, the backends (which never
//! import each other; cloud stores sit below Unity Catalog and are handed their credential
//! issuer), the registration (`backends`), and the chain, its stages and promotion on top.
//! This file only re-exports.

mod backends;
mod chain;
mod cloud;
mod confine;
mod context;
mod convert;
mod databricks;
mod error;
mod facts;
mod files;
pub mod listing;
mod logged_model;
// pub for the fuzz targets.
pub mod mlmodel;
mod oss;
mod promotion;
mod record;
mod reference;
mod registry;
mod search_filter;
mod stages;
mod tracking;
mod unity_catalog;
pub mod webhooks;
pub mod wire;
mod workspace_acl;
mod writes;

pub use backends::{all_capabilities, capabilities, model_tags, write};
pub use chain::{gather, gather_listed};
pub use context::{Caches, Context, Memo};
pub use error::{ReadError, WriteError};
pub use promotion::{
    gather_promotion, holder, target_now, transition_requests, version_now, Gathered, Goal,
    TargetNow,
};
pub use reference::{failure_entry, server_label, target_of, GatherFailure};
pub use registry::{Capabilities, Registry, Write};
