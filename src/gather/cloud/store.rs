//! A model version's files in one cloud store, and the temporary credential that reads them.
//! The credential never leaves the [`Store`]: it has no `Debug`, and error entries name the
//! storage URI only. The store is handed its [`Issue`]r (Unity Catalog, for one version) and
//! asks it again when storage refuses the credential as expired, or its `expiration_time` has
//! passed — once: a second refusal is reported, not retried. Each cloud is a [`Place`] with its
//! own kind of secret, so a store only ever holds the secret its storage takes.

use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::client::{Client, ClientError};
use crate::gather::confine::SafePath;
use crate::gather::files::{Fetch, Files, Listing};

/// A temporary credential, as Unity Catalog issues it. Deliberately not `Debug`.
#[derive(Clone)]
pub(crate) enum Credential {
    Aws {
        access_key_id: String,
        secret_access_key: String,
        session_token: String,
    },
    AzureSas(String),
    GcpToken(String),
}

/// A credential and when it stops working (epoch ms), when the issuer said.
#[derive(Clone)]
pub(crate) struct Issued {
    pub credential: Credential,
    pub expires_at_ms: Option<i64>,
}

/// Who issues a version's credentials (Unity Catalog's `generate-temporary-credentials`);
/// asked again when the one in force expires.
pub(crate) trait Issue: Send + Sync {
    fn issue<'a>(&'a self, http: &'a Client) -> Fetch<'a, Issued>;
}

/// Where in one cloud a version's files are, and the secret that cloud's storage takes.
pub(super) trait Place: Send + Sync + 'static {
    /// The secret requests are signed or sent with. Deliberately not `Debug`.
    type Secret: Clone + Send + Sync;
    /// The credential kind this storage is read with, as Unity Catalog names it.
    const KIND: &'static str;
    /// The secret of `credential`; `None` when it is another cloud's.
    fn secret(credential: Credential) -> Option<Self::Secret>;
    /// Reads one file under the version's root, with the store's credential.
    fn read<'a>(store: &'a Store<Self>, http: &'a Client, file: &'a str) -> Fetch<'a, String>
    where
        Self: Sized;
    /// Lists the version's files, paths relative to its root.
    fn list<'a>(store: &'a Store<Self>, http: &'a Client) -> Fetch<'a, Listing>
    where
        Self: Sized;
}

/// Every cloud store is a route to a version's files; the cloud says how to read and list.
impl<P: Place> Files for Store<P> {
    fn read<'a>(&'a self, http: &'a Client, file: &'a SafePath) -> Fetch<'a, String> {
        Box::pin(async move { P::read(self, http, &file.as_str()).await })
    }

    fn describe(&self, file: &SafePath) -> String {
        self.shown(&file.as_str())
    }

    fn list<'a>(&'a self, http: &'a Client) -> Option<Fetch<'a, Listing>> {
        Some(P::list(self, http))
    }
}

/// The secret in force, its generation (bumped on renewal) and the renewals so far.
struct Held<S> {
    secret: S,
    expires_at_ms: Option<i64>,
    generation: u32,
    renewals: u32,
}

/// A model version's files in cloud storage and the credential that reads them.
pub(super) struct Store<P: Place> {
    uri: String,
    pub(super) place: P,
    issuer: Arc<dyn Issue>,
    held: tokio::sync::Mutex<Held<P::Secret>>,
}

/// Renewals allowed per store: credentials outlive a gather, so one is enough.
const MAX_RENEWALS: u32 = 1;

/// Milliseconds since the epoch, now.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl<P: Place> Store<P> {
    /// The store at `uri`, reading with `granted`; `None` when `granted` is another cloud's.
    pub(super) fn new(
        uri: &str,
        place: P,
        granted: Issued,
        issuer: Arc<dyn Issue>,
    ) -> Option<Self> {
        Some(Self {
            uri: uri.trim_end_matches('/').to_string(),
            place,
            issuer,
            held: tokio::sync::Mutex::new(Held {
                secret: P::secret(granted.credential)?,
                expires_at_ms: granted.expires_at_ms,
                generation: 0,
                renewals: 0,
            }),
        })
    }

    /// The call that reads `file`, for error entries: the storage URI, no credential.
    pub(super) fn shown(&self, file: &str) -> String {
        format!("GET {}/{file}", self.uri)
    }

    /// Runs `request` with the secret in force; when storage refuses it as expired (or it
    /// expired by the clock), asks the issuer for a new one and runs `request` once more.
    pub(super) async fn authorized<T, F, Fut>(
        &self,
        http: &Client,
        request: F,
    ) -> Result<T, ClientError>
    where
        F: Fn(P::Secret) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let (secret, generation) = self.current(http).await?;
        match request(secret).await {
            Err(e) if refused_as_expired(&e) => match self.renew(http, generation).await? {
                Some(fresh) => request(fresh).await,
                None => Err(e),
            },
            other => other,
        }
    }

    /// The secret in force, renewed first when its expiry time has passed.
    async fn current(&self, http: &Client) -> Result<(P::Secret, u32), ClientError> {
        let mut held = self.held.lock().await;
        let stale = held.expires_at_ms.is_some_and(|at| at <= now_ms() + 30_000);
        if stale && held.renewals < MAX_RENEWALS {
            self.renew_locked(http, &mut held).await?;
        }
        Ok((held.secret.clone(), held.generation))
    }

    /// A fresh secret after `generation` was refused: another task's renewal if one happened
    /// meanwhile, else a new one from the issuer; `None` when renewals are used up.
    async fn renew(
        &self,
        http: &Client,
        generation: u32,
    ) -> Result<Option<P::Secret>, ClientError> {
        let mut held = self.held.lock().await;
        if held.generation != generation {
            return Ok(Some(held.secret.clone()));
        }
        if held.renewals >= MAX_RENEWALS {
            return Ok(None);
        }
        self.renew_locked(http, &mut held).await?;
        Ok(Some(held.secret.clone()))
    }

    async fn renew_locked(
        &self,
        http: &Client,
        held: &mut Held<P::Secret>,
    ) -> Result<(), ClientError> {
        held.renewals += 1;
        let issued = self.issuer.issue(http).await?;
        let Some(secret) = P::secret(issued.credential) else {
            return Err(ClientError::Shape {
                method: "POST",
                url: "generate-temporary-credentials".into(),
                message: format!("the renewed credential is not {} for {}", P::KIND, self.uri),
            });
        };
        held.secret = secret;
        held.expires_at_ms = issued.expires_at_ms;
        held.generation += 1;
        Ok(())
    }
}

/// Whether storage's refusal reads as an expired credential (databricks-api.md §8.6: S3
/// `AccessDenied` "Request has expired" and `ExpiredToken`, Azure `AuthenticationFailed`,
/// GCS 401): any 401 or 403, and a 400 whose code names a token or an expiry.
fn refused_as_expired(e: &ClientError) -> bool {
    match e {
        ClientError::Http {
            status: 401 | 403, ..
        } => true,
        ClientError::Http {
            status: 400,
            error_code: Some(code),
            ..
        } => code.contains("Expired") || code.contains("Token"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_refusals() {
        let http = |status, code: Option<&str>| ClientError::Http {
            method: "GET",
            url: "u".into(),
            status,
            error_code: code.map(str::to_string),
            message: String::new(),
            attempts: 1,
            credentials: None,
            retry_after: None,
        };
        assert!(refused_as_expired(&http(403, Some("AccessDenied"))));
        assert!(refused_as_expired(&http(400, Some("ExpiredToken"))));
        assert!(!refused_as_expired(&http(400, Some("InvalidArgument"))));
        assert!(!refused_as_expired(&http(404, Some("NoSuchKey"))));
    }
}
