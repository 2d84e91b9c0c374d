//! The gathering context: the client, and per-process caches of the reads that versions of one
//! model share (its registered model, experiments, ACLs, the server's user list). Gathering one
//! version fills them as it goes at no cost; a bulk audit that gathers many versions through one
//! context reads each shared object once. Concurrent requests for the same key share one fetch.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tokio::sync::OnceCell;

use super::facts::{AclRead, RegisteredFacts};
use super::wire;
use crate::client::{Client, ClientError};
use crate::snapshot::Backend;

/// One cell per (backend, key); a cell is filled once, by whichever task asks first.
type Cells<V> = Mutex<HashMap<(Backend, String), Arc<OnceCell<V>>>>;

/// A memo of async reads: one fetch per key, its result (success or failure) shared.
pub struct Memo<V> {
    cells: Cells<V>,
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> Memo<V> {
    /// The value for `key`, fetched by `fetch` the first time it is asked for.
    pub async fn get_or_fetch<F, Fut>(&self, backend: Backend, key: &str, fetch: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = {
            // A poisoned lock only means another task panicked mid-insert; the map is intact.
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(cells.entry((backend, key.to_string())).or_default())
        };
        cell.get_or_init(fetch).await.clone()
    }

    /// How many keys were fetched (for tests and progress output).
    pub fn len(&self) -> usize {
        self.cells
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The shared reads, keyed by backend and object id.
#[derive(Default)]
pub struct Caches {
    pub registered_models: Memo<Result<RegisteredFacts, ClientError>>,
    pub experiments: Memo<Result<wire::Experiment, ClientError>>,
    /// One object's ACL read, keyed by its API path.
    pub acls: Memo<AclRead>,
    /// Server-wide answers (the basic-auth app's user list), keyed by path.
    pub server: Memo<Result<Value, ClientError>>,
}

/// What one gather (or a bulk run of many) works with.
pub struct Context {
    client: Client,
    pub caches: Caches,
    /// Many versions are gathered at once (`check --all-models`): the server, not the chain
    /// of calls, is then the limit, so each version is read with the fewest and cheapest
    /// requests (the MLmodel through the artifact proxy once the download URI is known, not
    /// the registry route alongside it), at the cost of one more step in each version's chain.
    pub bulk: bool,
}

impl Context {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            caches: Caches::default(),
            bulk: false,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_fetch_per_key_even_when_asked_concurrently() {
        let memo: Memo<Result<u32, String>> = Memo::default();
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(7)
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (a, b, c) = runtime.block_on(async {
            tokio::join!(
                memo.get_or_fetch(Backend::MlflowOss, "m", fetch),
                memo.get_or_fetch(Backend::MlflowOss, "m", fetch),
                memo.get_or_fetch(Backend::UnityCatalog, "m", fetch),
            )
        });
        assert_eq!((a, b, c), (Ok(7), Ok(7), Ok(7)));
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            2,
            "same key once, other backend apart"
        );
        assert_eq!(memo.len(), 2);
    }
}
