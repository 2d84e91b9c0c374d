//! The tracking-server client: HTTP transport, error decoding, and the conversion of wire
//! JSON into snapshot sections. Only `snapshot::gather` calls it.

pub mod auth;
pub mod convert;
pub mod error;
pub mod http;

pub use error::ClientError;
pub use http::{Config, Http};
