//! What the listener is told by its caller: where to listen, the webhook secrets, and the
//! limits a delivery must fit. The fixed protections (timeouts, connection cap) live here too,
//! so every number the listener enforces is in one place.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// Bodies larger than this are refused unread (registry payloads are a few hundred bytes).
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;
/// How far a signed timestamp may be from the guard's clock, either way.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(300);

/// Connections served at once; further ones wait in the kernel's backlog.
pub(crate) const MAX_CONNECTIONS: usize = 256;
/// A request's headers must arrive within this (slow-loris), and an idle keep-alive
/// connection is closed after it.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A request's body must arrive within this once its headers did.
pub(crate) const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// After shutdown is asked, in-flight requests get this long to finish.
pub(crate) const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The listener's settings. `Debug` never shows the secrets.
#[derive(Clone)]
pub struct Listener {
    pub addr: SocketAddr,
    /// The secret of the MLflow webhooks; without it MLflow deliveries are refused (503).
    pub mlflow_secret: Option<String>,
    /// The secret of the Databricks registry webhooks; without it those are refused (503).
    pub databricks_secret: Option<String>,
    /// Largest body read; larger ones are answered 413 ([`DEFAULT_MAX_BODY`]).
    pub max_body: usize,
    /// Largest distance between a signed time and now ([`DEFAULT_MAX_SKEW`]); seen delivery
    /// ids are remembered for twice this.
    pub max_skew: Duration,
}

impl Listener {
    /// Listens on `addr` with no secrets and the default limits.
    pub fn new(addr: SocketAddr) -> Self {
        Listener {
            addr,
            mlflow_secret: None,
            databricks_secret: None,
            max_body: DEFAULT_MAX_BODY,
            max_skew: DEFAULT_MAX_SKEW,
        }
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |secret: &Option<String>| secret.as_ref().map(|_| "<set>");
        f.debug_struct("Listener")
            .field("addr", &self.addr)
            .field("mlflow_secret", &shown(&self.mlflow_secret))
            .field("databricks_secret", &shown(&self.databricks_secret))
            .field("max_body", &self.max_body)
            .field("max_skew", &self.max_skew)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secrets() {
        let mut listener = Listener::new(SocketAddr::from(([127, 0, 0, 1], 0)));
        listener.mlflow_secret = Some("hunter2".into());
        let shown = format!("{listener:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<set>"), "{shown}");
        assert_eq!(listener.max_body, 1024 * 1024);
        assert_eq!(listener.max_skew, Duration::from_secs(300));
    }
}
