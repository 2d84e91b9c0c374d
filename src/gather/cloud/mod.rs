//! Model files in cloud object storage, read with the temporary credentials Unity Catalog
//! hands out for one model version (`generate-temporary-credentials`, databricks-api.md §8.3
//! step 3): S3 with a SigV4 signature and the session token (`s3`), ADLS Gen2 with a
//! user-delegation SAS (`adls`), GCS with an OAuth token (`gcs`). A [`Store`] holds where the
//! version lives and the credential in force. The credential never leaves it: it has no
//! `Debug`, error entries name the storage URI and storage's own error code and message only,
//! and the URLs errors show have no query. Credentials expire (minutes), so when storage
//! refuses one as expired, or its `expiration_time` has passed, the store asks Unity Catalog
//! again — once: a second refusal is reported, not retried.

mod adls;
mod gcs;
mod s3;

use std::future::Future;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use super::artifacts::{Listing, MAX_LISTINGS};
use crate::client::{Client, ClientError};
use crate::snapshot::ArtifactFile;

/// A temporary credential, as Unity Catalog issues it. Deliberately not `Debug`.
#[derive(Clone)]
pub enum Credential {
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
pub struct Issued {
    pub credential: Credential,
    pub expires_at_ms: Option<i64>,
}

/// Where a model version's files are, parsed from its storage URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `s3://bucket/prefix`
    S3 { bucket: String, prefix: String },
    /// `abfss://filesystem@account.dfs.core.windows.net/prefix`
    Adls {
        account: String,
        host: String,
        filesystem: String,
        prefix: String,
    },
    /// `gs://bucket/prefix`
    Gcs { bucket: String, prefix: String },
}

impl Location {
    /// The location of `uri`; `None` for a scheme this module does not read.
    pub fn parse(uri: &str) -> Option<Self> {
        let (scheme, rest) = uri.split_once("://")?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = path.trim_matches('/').to_string();
        if authority.is_empty() {
            return None;
        }
        match scheme {
            "s3" | "s3a" => Some(Location::S3 {
                bucket: authority.into(),
                prefix,
            }),
            "gs" => Some(Location::Gcs {
                bucket: authority.into(),
                prefix,
            }),
            "abfss" | "abfs" => {
                let (filesystem, host) = authority.split_once('@')?;
                let account = host.split('.').next()?.to_string();
                (!filesystem.is_empty() && !account.is_empty()).then(|| Location::Adls {
                    account,
                    host: host.into(),
                    filesystem: filesystem.into(),
                    prefix,
                })
            }
            _ => None,
        }
    }

    /// The credential kind this storage is read with, as Unity Catalog names it.
    pub fn credential_kind(&self) -> &'static str {
        match self {
            Location::S3 { .. } => "aws_temp_credentials",
            Location::Adls { .. } => "azure_user_delegation_sas",
            Location::Gcs { .. } => "gcp_oauth_token",
        }
    }

    /// Whether `credential` is the kind this storage takes.
    pub fn accepts(&self, credential: &Credential) -> bool {
        matches!(
            (self, credential),
            (Location::S3 { .. }, Credential::Aws { .. })
                | (Location::Adls { .. }, Credential::AzureSas(_))
                | (Location::Gcs { .. }, Credential::GcpToken(_))
        )
    }
}

/// Who issues the credentials: Unity Catalog, for one model version (asked again on expiry).
#[derive(Debug, Clone)]
pub struct Issuer {
    pub name: String,
    pub version: String,
}

impl Issuer {
    async fn issue(&self, http: &Client) -> Result<Issued, ClientError> {
        super::unity_catalog::temporary_credentials(http, &self.name, &self.version).await
    }
}

/// The credential in force, its generation (bumped on renewal) and the renewals so far.
struct Held {
    issued: Issued,
    generation: u32,
    renewals: u32,
}

/// A model version's files in cloud storage and the credential that reads them.
pub struct Store {
    uri: String,
    location: Location,
    issuer: Issuer,
    held: tokio::sync::Mutex<Held>,
    /// The S3 bucket's region once storage named it.
    region: Mutex<Option<String>>,
}

impl std::fmt::Debug for Store {
    /// The location only: the credential is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

/// Renewals allowed per store: credentials outlive a gather, so one is enough.
const MAX_RENEWALS: u32 = 1;

/// Milliseconds since the epoch, now.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Store {
    pub fn new(uri: &str, location: Location, granted: Issued, issuer: Issuer) -> Self {
        Self {
            uri: uri.trim_end_matches('/').to_string(),
            location,
            issuer,
            held: tokio::sync::Mutex::new(Held {
                issued: granted,
                generation: 0,
                renewals: 0,
            }),
            region: Mutex::new(None),
        }
    }

    /// The storage URI of the version's root.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The call that reads `file`, for error entries: the storage URI, no credential.
    pub fn describe(&self, file: &str) -> String {
        format!("GET {}/{file}", self.uri)
    }

    /// Reads one file of the version as text.
    pub async fn read(&self, http: &Client, file: &str) -> Result<String, ClientError> {
        match &self.location {
            Location::S3 { .. } => s3::read(self, http, file).await,
            Location::Adls { .. } => adls::read(self, http, file).await,
            Location::Gcs { .. } => gcs::read(self, http, file).await,
        }
    }

    /// Every file under the version's root, paths relative to it.
    pub async fn list(&self, http: &Client) -> Result<Listing, ClientError> {
        match &self.location {
            Location::S3 { .. } => s3::list(self, http).await,
            Location::Adls { .. } => adls::list(self, http).await,
            Location::Gcs { .. } => gcs::list(self, http).await,
        }
    }

    /// Runs `request` with the credential in force; when storage refuses it as expired (or
    /// it expired by the clock), asks the issuer for a new one and runs `request` once more.
    async fn authorized<T, F, Fut>(&self, http: &Client, request: F) -> Result<T, ClientError>
    where
        F: Fn(Credential) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let (credential, generation) = self.current(http).await?;
        match request(credential).await {
            Err(e) if refused_as_expired(&e) => match self.renew(http, generation).await? {
                Some(fresh) => request(fresh).await,
                None => Err(e),
            },
            other => other,
        }
    }

    /// The credential in force, renewed first when its expiry time has passed.
    async fn current(&self, http: &Client) -> Result<(Credential, u32), ClientError> {
        let mut held = self.held.lock().await;
        let stale = held
            .issued
            .expires_at_ms
            .is_some_and(|at| at <= now_ms() + 30_000);
        if stale && held.renewals < MAX_RENEWALS {
            self.renew_locked(http, &mut held).await?;
        }
        Ok((held.issued.credential.clone(), held.generation))
    }

    /// A fresh credential after `generation` was refused: another task's renewal if one
    /// happened meanwhile, else a new one from the issuer; `None` when renewals are used up.
    async fn renew(
        &self,
        http: &Client,
        generation: u32,
    ) -> Result<Option<Credential>, ClientError> {
        let mut held = self.held.lock().await;
        if held.generation != generation {
            return Ok(Some(held.issued.credential.clone()));
        }
        if held.renewals >= MAX_RENEWALS {
            return Ok(None);
        }
        self.renew_locked(http, &mut held).await?;
        Ok(Some(held.issued.credential.clone()))
    }

    async fn renew_locked(&self, http: &Client, held: &mut Held) -> Result<(), ClientError> {
        held.renewals += 1;
        let issued = self.issuer.issue(http).await?;
        if !self.location.accepts(&issued.credential) {
            return Err(ClientError::Shape {
                method: "POST",
                url: "generate-temporary-credentials".into(),
                message: format!(
                    "the renewed credential is not {} for {}",
                    self.location.credential_kind(),
                    self.uri
                ),
            });
        }
        held.issued = issued;
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

/// `prefix/file`, or `file` at the root.
fn join(prefix: &str, file: &str) -> String {
    if prefix.is_empty() {
        file.to_string()
    } else {
        format!("{prefix}/{file}")
    }
}

/// One page of a storage listing: each object's key and size, and the next page's token.
struct Page {
    objects: Vec<(String, Option<u64>)>,
    next: Option<String>,
}

/// Walks a paged listing of the objects under `prefix`, `page(token)` fetching each page, for
/// at most [`MAX_LISTINGS`] pages: the files (relative to `prefix`, sorted) and whether pages
/// were left.
async fn walk<F, Fut>(prefix: &str, mut page: F) -> Result<Listing, ClientError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page, ClientError>>,
{
    let mut files = Vec::new();
    let mut token = None;
    let mut truncated = true;
    for _ in 0..MAX_LISTINGS {
        let Page { objects, next } = page(token.take()).await?;
        files.extend(objects.into_iter().filter_map(|(key, size_bytes)| {
            relative(prefix, &key).map(|path| ArtifactFile {
                path: path.to_string(),
                size_bytes,
            })
        }));
        token = next;
        if token.is_none() {
            truncated = false;
            break;
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, truncated))
}

/// `key` relative to `prefix/`; `None` for the prefix itself.
fn relative<'a>(prefix: &str, key: &'a str) -> Option<&'a str> {
    let rest = if prefix.is_empty() {
        key
    } else {
        key.strip_prefix(prefix)?.strip_prefix('/')?
    };
    (!rest.is_empty()).then_some(rest)
}

/// RFC 3986 unreserved characters stay, everything else is %-escaped (AWS's and Google's
/// URI encoding); `/` stays too when it separates path segments.
fn encode(text: &str, keep_slash: bool) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    const PATH: &AsciiSet = &UNRESERVED.remove(b'/');
    utf8_percent_encode(text, if keep_slash { PATH } else { UNRESERVED }).to_string()
}

#[cfg(test)]
mod tests {
    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_paged_listing_is_joined_relative_and_sorted() {
        let asked = std::cell::RefCell::new(Vec::new());
        let listing = run(walk("root/v1", |token| {
            asked.borrow_mut().push(token.clone());
            async move {
                Ok(match token.as_deref() {
                    None => Page {
                        objects: vec![("root/v1/b.pkl".into(), Some(2)), ("root/v1".into(), None)],
                        next: Some("t2".into()),
                    },
                    _ => Page {
                        objects: vec![("root/v1/MLmodel".into(), Some(1))],
                        next: None,
                    },
                })
            }
        }))
        .unwrap();
        assert_eq!(*asked.borrow(), [None, Some("t2".to_string())]);
        let paths: Vec<_> = listing.0.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["MLmodel", "b.pkl"]);
        assert!(!listing.1, "every page was read");
    }

    #[test]
    fn an_endless_listing_stops_and_says_so() {
        let mut pages = 0;
        let listing = run(walk("", |_| {
            pages += 1;
            let key = format!("f{pages}");
            async move {
                Ok(Page {
                    objects: vec![(key, Some(1))],
                    next: Some("more".into()),
                })
            }
        }))
        .unwrap();
        assert_eq!(pages, MAX_LISTINGS);
        assert_eq!(listing.0.len(), MAX_LISTINGS);
        assert!(listing.1, "truncated");
    }

    use super::*;

    #[test]
    fn storage_uris() {
        assert_eq!(
            Location::parse("s3://uc-bucket/a/b/versions/v1/"),
            Some(Location::S3 {
                bucket: "uc-bucket".into(),
                prefix: "a/b/versions/v1".into()
            })
        );
        assert_eq!(
            Location::parse("abfss://models@ucstore.dfs.core.windows.net/m/v3"),
            Some(Location::Adls {
                account: "ucstore".into(),
                host: "ucstore.dfs.core.windows.net".into(),
                filesystem: "models".into(),
                prefix: "m/v3".into()
            })
        );
        assert_eq!(
            Location::parse("gs://b/p"),
            Some(Location::Gcs {
                bucket: "b".into(),
                prefix: "p".into()
            })
        );
        assert_eq!(Location::parse("r2://acct/b/p"), None);
        assert_eq!(Location::parse("abfss://nofs.dfs.core.windows.net/p"), None);
        assert_eq!(Location::parse("s3:///p"), None);
    }

    #[test]
    fn keys_and_encoding() {
        assert_eq!(relative("a/b", "a/b/MLmodel"), Some("MLmodel"));
        assert_eq!(relative("a/b", "a/bc/MLmodel"), None);
        assert_eq!(relative("a/b", "a/b/"), None);
        assert_eq!(relative("", "x/y"), Some("x/y"));
        assert_eq!(join("", "f"), "f");
        assert_eq!(encode("a b/c+d~", true), "a%20b/c%2Bd~");
        assert_eq!(encode("a/b", false), "a%2Fb");
    }

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
        };
        assert!(refused_as_expired(&http(403, Some("AccessDenied"))));
        assert!(refused_as_expired(&http(400, Some("ExpiredToken"))));
        assert!(!refused_as_expired(&http(400, Some("InvalidArgument"))));
        assert!(!refused_as_expired(&http(404, Some("NoSuchKey"))));
    }
}
