//! Why gathering or writing did not happen, as types: the client's errors, and the facts of
//! the domain (a backend without an operation).

use crate::client::ClientError;
use crate::snapshot::Backend;

/// Why a registry write was not made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The backend has no such operation (stages on Unity Catalog).
    #[error("{backend} cannot {what}")]
    Unsupported { backend: Backend, what: String },
}
