//! Google Cloud Storage (`gs://bucket/prefix`) with Unity Catalog's `gcp_oauth_token`: the
//! JSON API with `Authorization: Bearer <token>` (MLflow builds a `google.cloud.storage`
//! client on the same token). Reads are `GET …/storage/v1/b/<bucket>/o/<object>?alt=media`, the
//! listing `GET …/storage/v1/b/<bucket>/o?prefix=<prefix>/` through `nextPageToken`.
//! `STORAGE_EMULATOR_HOST` replaces `https://storage.googleapis.com`, as in Google's clients.

use serde::Deserialize;

use super::{encode, join, walk, Credential, Location, Page, Store};
use crate::client::{Client, ClientError, Stored};
use crate::gather::artifacts::Listing;
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

/// The JSON API's root for the bucket, and the prefix.
fn parts(store: &Store, http: &Client) -> (String, String) {
    let Location::Gcs { bucket, prefix } = &store.location else {
        unreachable!("a GCS store has a GCS location")
    };
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

async fn get(http: &Client, url: &str, credential: &Credential) -> Result<Stored, ClientError> {
    let Credential::GcpToken(token) = credential else {
        unreachable!("a GCS store holds an OAuth token")
    };
    let headers = [("authorization".to_string(), format!("Bearer {token}"))];
    let stored = http.get_storage(url, &headers).await?;
    if (200..300).contains(&stored.status) {
        Ok(stored)
    } else {
        Err(stored.error(&shown_url(url)))
    }
}

pub(super) async fn read(store: &Store, http: &Client, file: &str) -> Result<String, ClientError> {
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

pub(super) async fn list(store: &Store, http: &Client) -> Result<Listing, ClientError> {
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
