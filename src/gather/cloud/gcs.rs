//! Google Cloud Storage (`gs://bucket/prefix`) with Unity Catalog's `gcp_oauth_token`: the
//! JSON API with `Authorization: Bearer <token>` (MLflow builds a `google.cloud.storage`
//! client on the same token). Reads are `GET …/storage/v1/b/<bucket>/o/<object>?alt=media`, the
//! listing `GET …/storage/v1/b/<bucket>/o?prefix=<prefix>/` through `nextPageToken`.
//! `STORAGE_EMULATOR_HOST` replaces `https://storage.googleapis.com`, as in Google's clients.

use serde::Deserialize;

use super::paths::{encode, join, walk, Page};
use super::store::{Credential, Place, Store};
use crate::client::{Client, ClientError, Stored};
use crate::gather::files::{Fetch, Listing};
use crate::gather::wire::lenient;
use crate::url::shown as shown_url;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Objects {
    #[serde(default)]
    items: Vec<Object>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct Object {
    name: String,
    #[serde(default, deserialize_with = "lenient::int64")]
    size: Option<i64>,
}

/// The version's bucket and prefix.
pub(super) struct GcsRoot {
    pub bucket: String,
    pub prefix: String,
}

/// An OAuth access token. Deliberately not `Debug`.
#[derive(Clone)]
pub(super) struct Token(String);

impl Place for GcsRoot {
    type Secret = Token;
    const KIND: &'static str = "gcp_oauth_token";

    fn secret(credential: Credential) -> Option<Token> {
        match credential {
            Credential::GcpToken(token) => Some(Token(token)),
            _ => None,
        }
    }

    fn read<'a>(store: &'a Store<Self>, http: &'a Client, file: &'a str) -> Fetch<'a, String> {
        Box::pin(read(store, http, file))
    }

    fn list<'a>(store: &'a Store<Self>, http: &'a Client) -> Fetch<'a, Listing> {
        Box::pin(list(store, http))
    }
}

/// The JSON API's root for the bucket, and the prefix.
fn parts(store: &Store<GcsRoot>, http: &Client) -> (String, String) {
    let GcsRoot { bucket, prefix } = &store.place;
    let endpoint = http
        .storage()
        .gcs_endpoint
        .clone()
        .unwrap_or_else(|| "https://storage.googleapis.com".into());
    (
        format!("{endpoint}/storage/v1/b/{}/o", encode(bucket, false)),
        prefix.clone(),
    )
}

async fn get(http: &Client, url: &str, Token(token): &Token) -> Result<Stored, ClientError> {
    let headers = [("authorization".to_string(), format!("Bearer {token}"))];
    let stored = http.get_storage(url, &headers).await?;
    if (200..300).contains(&stored.status) {
        Ok(stored)
    } else {
        Err(stored.error(&shown_url(url)))
    }
}

async fn read(store: &Store<GcsRoot>, http: &Client, file: &str) -> Result<String, ClientError> {
    let (objects, prefix) = parts(store, http);
    // The object name is one path segment of the API: its slashes are escaped too.
    let url = format!(
        "{objects}/{}?alt=media",
        encode(&join(&prefix, file), false)
    );
    store
        .authorized(http, |credential| {
            let url = url.clone();
            async move { get(http, &url, &credential).await.map(|s| s.text) }
        })
        .await
}

async fn list(store: &Store<GcsRoot>, http: &Client) -> Result<Listing, ClientError> {
    let (objects, prefix) = parts(store, http);
    let list_prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let base = format!("{objects}?prefix={}", encode(&list_prefix, false));
    walk(&prefix, |token| {
        let url = match &token {
            Some(t) => format!("{base}&pageToken={}", encode(t, false)),
            None => base.clone(),
        };
        async move {
            let stored = store
                .authorized(http, |credential| {
                    let url = url.clone();
                    async move { get(http, &url, &credential).await }
                })
                .await?;
            let page: Objects =
                serde_json::from_str(&stored.text).map_err(|e| ClientError::Shape {
                    method: "GET",
                    url: shown_url(&url),
                    message: format!("not an object listing: {e}"),
                })?;
            let objects = page
                .items
                .into_iter()
                .map(|o| (o.name, o.size.and_then(|n| u64::try_from(n).ok())))
                .collect();
            Ok(Page {
                objects,
                next: page.next_page_token.filter(|t| !t.is_empty()),
            })
        }
    })
    .await
}
