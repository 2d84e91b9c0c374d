//! ADLS Gen2 (`abfss://filesystem@account.dfs.core.windows.net/prefix`) with Unity Catalog's
//! `azure_user_delegation_sas`: the SAS token is the query string of each request, nothing
//! else authenticates it (MLflow's `AzureDataLakeArtifactRepository` builds its
//! `DataLakeServiceClient` on the same `https://<account>.dfs.…` URL with the token). Reads
//! are `Path - Read` (`GET https://<host>/<filesystem>/<path>?<sas>`), the listing is
//! `Path - List` (`GET https://<host>/<filesystem>?resource=filesystem&recursive=true&
//! directory=<prefix>&<sas>`, pages joined through the `x-ms-continuation` header).
//! `MLGATE_AZURE_STORAGE_ENDPOINT` replaces `https://<host>` for emulators and tests.

use serde::Deserialize;

use super::paths::{encode, join, walk, Page};
use super::store::{Credential, Place, Store};
use crate::client::{Client, ClientError, Stored};
use crate::gather::files::{Fetch, Listing};
use crate::gather::wire::lenient;
use crate::url::shown as shown_url;

/// The storage service version sent with each request (`Path - List` needs one).
const VERSION: &str = "2021-06-08";

/// `Path - List`: `{"paths": [{"name", "isDirectory"?, "contentLength"?}]}` (strings).
#[derive(Deserialize)]
struct Paths {
    #[serde(default)]
    paths: Vec<PathItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PathItem {
    name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    is_directory: String,
    #[serde(default, deserialize_with = "lenient::int64")]
    content_length: Option<i64>,
}

/// The version's filesystem and prefix in a storage account.
pub(super) struct AdlsRoot {
    pub account: String,
    pub host: String,
    pub filesystem: String,
    pub prefix: String,
}

/// A user-delegation SAS token. Deliberately not `Debug`.
#[derive(Clone)]
pub(super) struct Sas(String);

impl Place for AdlsRoot {
    type Secret = Sas;
    const KIND: &'static str = "azure_user_delegation_sas";

    fn secret(credential: Credential) -> Option<Sas> {
        match credential {
            Credential::AzureSas(token) => Some(Sas(token)),
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

/// The account endpoint, the filesystem and the prefix.
fn parts(store: &Store<AdlsRoot>, http: &Client) -> (String, String, String) {
    let AdlsRoot {
        account,
        host,
        filesystem,
        prefix,
    } = &store.place;
    let endpoint = http.storage().azure_endpoint.as_ref().map_or_else(
        || format!("https://{host}"),
        |e| e.replace("{account}", account),
    );
    (endpoint, filesystem.clone(), prefix.clone())
}

/// `url` with the SAS token as (the rest of) its query.
fn with_sas(url: &str, Sas(sas): &Sas) -> String {
    let sas = sas.trim_start_matches('?');
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{sas}")
}

async fn get(http: &Client, url: &str, credential: &Sas) -> Result<Stored, ClientError> {
    let headers = [("x-ms-version".to_string(), VERSION.to_string())];
    let stored = http
        .get_storage(&with_sas(url, credential), &headers)
        .await?;
    if (200..300).contains(&stored.status) {
        Ok(stored)
    } else {
        Err(stored.error(&shown_url(url)))
    }
}

async fn read(store: &Store<AdlsRoot>, http: &Client, file: &str) -> Result<String, ClientError> {
    let (endpoint, filesystem, prefix) = parts(store, http);
    let url = format!(
        "{endpoint}/{}/{}",
        encode(&filesystem, false),
        encode(&join(&prefix, file), true)
    );
    store
        .authorized(http, |credential| {
            let url = url.clone();
            async move { get(http, &url, &credential).await.map(|s| s.text) }
        })
        .await
}

async fn list(store: &Store<AdlsRoot>, http: &Client) -> Result<Listing, ClientError> {
    let (endpoint, filesystem, prefix) = parts(store, http);
    let base = format!(
        "{endpoint}/{}?directory={}&recursive=true&resource=filesystem",
        encode(&filesystem, false),
        encode(&prefix, false)
    );
    walk(&prefix, |continuation| {
        let url = match &continuation {
            Some(c) => format!("{base}&continuation={}", encode(c, false)),
            None => base.clone(),
        };
        async move {
            let stored = store
                .authorized(http, |credential| {
                    let url = url.clone();
                    async move { get(http, &url, &credential).await }
                })
                .await?;
            let page: Paths =
                serde_json::from_str(&stored.text).map_err(|e| ClientError::Shape {
                    method: "GET",
                    url: shown_url(&url),
                    message: format!("not a path listing: {e}"),
                })?;
            let objects = page
                .paths
                .into_iter()
                .filter(|item| !item.is_directory.eq_ignore_ascii_case("true"))
                .map(|item| {
                    (
                        item.name,
                        item.content_length.and_then(|n| u64::try_from(n).ok()),
                    )
                })
                .collect();
            let next = stored
                .headers
                .get("x-ms-continuation")
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .map(str::to_string);
            Ok(Page { objects, next })
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sas_token_is_the_query() {
        let sas = Sas("?sv=2023-11-03&sr=d&sig=abc".into());
        assert_eq!(
            with_sas("https://a.dfs.core.windows.net/fs/p/MLmodel", &sas),
            "https://a.dfs.core.windows.net/fs/p/MLmodel?sv=2023-11-03&sr=d&sig=abc"
        );
        assert_eq!(
            with_sas("https://a/fs?resource=filesystem", &sas),
            "https://a/fs?resource=filesystem&sv=2023-11-03&sr=d&sig=abc"
        );
    }
}
