//! S3 (`s3://bucket/prefix`) with Unity Catalog's `aws_temp_credentials`: each GET signed with
//! SigV4 in the `Authorization` header plus `x-amz-security-token`, as boto3 (MLflow's
//! `S3ArtifactRepository`) signs it. UC does not say the bucket's region, so the first request
//! goes to `AWS_REGION`/`AWS_DEFAULT_REGION` (else us-east-1) and, when S3 answers with
//! `x-amz-bucket-region` naming another one (a 301 or 400 for the wrong region, a 403 on a
//! bucket elsewhere), the request is signed again for that region — boto3's redirect handling.
//! `AWS_ENDPOINT_URL[_S3]` sends requests path-style to an S3-compatible server instead.
//! Listing is `ListObjectsV2` over the version's prefix, every page, keys URL-encoded.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use quick_xml::events::Event;
use quick_xml::Reader;

use super::paths::{encode, join, walk, Page as Listed};
use super::store::{Credential, Place, Store};
use crate::client::{Client, ClientError, ConnectKind};
use crate::gather::files::{Fetch, Listing};
use crate::url::shown as shown_url;

/// The version's bucket and prefix, and the bucket's region once S3 named it.
pub(super) struct S3Root {
    bucket: String,
    prefix: String,
    region: std::sync::Mutex<Option<String>>,
}

impl S3Root {
    pub(super) fn new(bucket: String, prefix: String) -> Self {
        Self {
            bucket,
            prefix,
            region: std::sync::Mutex::new(None),
        }
    }
}

/// `aws_temp_credentials`. Deliberately not `Debug`.
#[derive(Clone)]
pub(super) struct Keys {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
}

impl Place for S3Root {
    type Secret = Keys;
    const KIND: &'static str = "aws_temp_credentials";

    fn secret(credential: Credential) -> Option<Keys> {
        match credential {
            Credential::Aws {
                access_key_id,
                secret_access_key,
                session_token,
            } => Some(Keys {
                access_key_id,
                secret_access_key,
                session_token,
            }),
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

async fn read(store: &Store<S3Root>, http: &Client, file: &str) -> Result<String, ClientError> {
    let (bucket, prefix) = (&store.place.bucket, &store.place.prefix);
    let key = join(prefix, file);
    store
        .authorized(http, |credential| {
            get(
                store,
                http,
                credential,
                bucket,
                Some(key.clone()),
                Vec::new(),
            )
        })
        .await
}

async fn list(store: &Store<S3Root>, http: &Client) -> Result<Listing, ClientError> {
    let (bucket, prefix) = (&store.place.bucket, &store.place.prefix);
    let list_prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    walk(prefix, |token| {
        let mut query = vec![
            ("encoding-type".to_string(), "url".to_string()),
            ("list-type".to_string(), "2".to_string()),
            ("prefix".to_string(), list_prefix.clone()),
        ];
        if let Some(t) = token {
            query.insert(0, ("continuation-token".to_string(), t));
        }
        let shown = format!("s3://{bucket}/{list_prefix}");
        async move {
            let text = store
                .authorized(http, |credential| {
                    get(store, http, credential, bucket, None, query.clone())
                })
                .await?;
            let page = parse_listing(&text).map_err(|message| ClientError::Shape {
                method: "GET",
                url: shown,
                message,
            })?;
            Ok(Listed {
                objects: page.objects,
                next: page.next.filter(|_| page.truncated),
            })
        }
    })
    .await
}

/// One signed GET of `key` (or of the bucket, with `query`), following S3's word on the
/// bucket's region once.
async fn get(
    store: &Store<S3Root>,
    http: &Client,
    keys: Keys,
    bucket: &str,
    key: Option<String>,
    query: Vec<(String, String)>,
) -> Result<String, ClientError> {
    let Keys {
        access_key_id,
        secret_access_key,
        session_token,
    } = keys;
    let env = http.storage();
    let mut redirected = false;
    loop {
        let known = store
            .place
            .region
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let region = known
            .or_else(|| env.aws_region.clone())
            .unwrap_or_else(|| "us-east-1".into());
        let url = url(
            env.aws_endpoint.as_deref(),
            &region,
            bucket,
            key.as_deref(),
            &query,
        );
        let headers = signed_headers(
            &url,
            &region,
            &access_key_id,
            &secret_access_key,
            &session_token,
        )?;
        let stored = http.get_storage(&url, &headers).await?;
        if (200..300).contains(&stored.status) {
            return Ok(stored.text);
        }
        let named = stored
            .headers
            .get("x-amz-bucket-region")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .filter(|r| !r.is_empty() && *r != region);
        match named {
            Some(other) if !redirected && env.aws_endpoint.is_none() => {
                redirected = true;
                *store
                    .place
                    .region
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(other);
            }
            _ => return Err(stored.error(&shown_url(&url))),
        }
    }
}

/// The request URL: path-style on a configured endpoint (as the SDKs do for custom
/// endpoints) or for bucket names with dots (TLS), virtual-hosted on AWS otherwise.
fn url(
    endpoint: Option<&str>,
    region: &str,
    bucket: &str,
    key: Option<&str>,
    query: &[(String, String)],
) -> String {
    let path = key.map(|k| encode(k, true)).unwrap_or_default();
    let mut url = match endpoint {
        Some(endpoint) => format!("{endpoint}/{bucket}/{path}"),
        None if bucket.contains('.') => {
            format!("https://s3.{region}.amazonaws.com/{bucket}/{path}")
        }
        None => format!("https://{bucket}.s3.{region}.amazonaws.com/{path}"),
    };
    if !query.is_empty() {
        let mut pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k, false), encode(v, false)))
            .collect();
        pairs.sort();
        url.push('?');
        url.push_str(&pairs.join("&"));
    }
    url
}

/// The SigV4 headers for a GET of `url` with an empty body: `authorization`, `x-amz-date`,
/// `x-amz-content-sha256` and `x-amz-security-token`.
fn signed_headers(
    url: &str,
    region: &str,
    access_key_id: &str,
    secret_access_key: &str,
    session_token: &str,
) -> Result<Vec<(String, String)>, ClientError> {
    let failed = |message: String| ClientError::Connect {
        url: shown_url(url),
        kind: ConnectKind::Other,
        message: format!("the S3 request could not be signed: {message}"),
        attempts: 0,
    };
    let identity = Credentials::new(
        access_key_id,
        secret_access_key,
        Some(session_token.to_string()).filter(|t| !t.is_empty()),
        None,
        "unity-catalog",
    )
    .into();
    let mut settings = SigningSettings::default();
    // S3's own rules: the path is encoded once and not normalised; the payload hash is sent.
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| failed(e.to_string()))?
        .into();
    let request = SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|e| failed(e.to_string()))?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| failed(e.to_string()))?
        .into_parts();
    let (headers, _) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name().to_string(), h.value().to_string()))
        .collect())
}

/// One `ListObjectsV2` page.
#[derive(Debug, Default, PartialEq)]
struct Page {
    objects: Vec<(String, Option<u64>)>,
    truncated: bool,
    next: Option<String>,
}

/// The keys (URL-decoded: the listing asked for `encoding-type=url`) and sizes of a page.
fn parse_listing(xml: &str) -> Result<Page, String> {
    let mut reader = Reader::from_str(xml);
    let mut page = Page::default();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let (mut key, mut size) = (None::<String>, None::<u64>);
    loop {
        match reader.read_event() {
            Err(e) => return Err(format!("the S3 listing is not XML: {e}")),
            Ok(Event::Eof) => break,
            Ok(Event::Start(tag)) => {
                path.push(String::from_utf8_lossy(tag.local_name().as_ref()).into_owned());
                text.clear();
            }
            Ok(Event::Text(t)) => text.push_str(&t.decode().unwrap_or_default()),
            Ok(Event::GeneralRef(r)) => text.push_str(match r.decode().as_deref() {
                Ok("amp") => "&",
                Ok("lt") => "<",
                Ok("gt") => ">",
                Ok("quot") => "\"",
                Ok("apos") => "'",
                _ => "",
            }),
            Ok(Event::End(_)) => {
                let inside: Vec<&str> = path.iter().map(String::as_str).collect();
                match inside.as_slice() {
                    [_, "Contents", "Key"] => {
                        key = Some(
                            percent_encoding::percent_decode_str(&text.replace('+', " "))
                                .decode_utf8_lossy()
                                .into_owned(),
                        );
                    }
                    [_, "Contents", "Size"] => size = text.trim().parse().ok(),
                    [_, "Contents"] => {
                        if let Some(k) = key.take() {
                            page.objects.push((k, size.take()));
                        }
                    }
                    [_, "IsTruncated"] => page.truncated = text.trim() == "true",
                    [_, "NextContinuationToken"] => page.next = Some(text.clone()),
                    _ => {}
                }
                path.pop();
                text.clear();
            }
            Ok(_) => {}
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_by_endpoint_and_bucket_name() {
        let q = vec![("prefix".to_string(), "a b/".to_string())];
        assert_eq!(
            url(None, "eu-west-1", "bkt", Some("m/v 1/MLmodel"), &[]),
            "https://bkt.s3.eu-west-1.amazonaws.com/m/v%201/MLmodel"
        );
        assert_eq!(
            url(None, "us-east-1", "my.bkt", None, &q),
            "https://s3.us-east-1.amazonaws.com/my.bkt/?prefix=a%20b%2F"
        );
        assert_eq!(
            url(Some("http://127.0.0.1:5000"), "x", "bkt", Some("k"), &[]),
            "http://127.0.0.1:5000/bkt/k"
        );
    }

    #[test]
    fn a_signature_carries_the_session_token() {
        let headers = signed_headers(
            "https://b.s3.us-east-1.amazonaws.com/k",
            "us-east-1",
            "ASIAX",
            "s",
            "tok",
        )
        .unwrap();
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        for name in [
            "authorization",
            "x-amz-date",
            "x-amz-content-sha256",
            "x-amz-security-token",
        ] {
            assert!(names.contains(&name), "{names:?}");
        }
        let auth = &headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap()
            .1;
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=ASIAX/"),
            "{auth}"
        );
        assert!(auth.contains("/us-east-1/s3/aws4_request"), "{auth}");
    }

    #[test]
    fn listing_pages_parse() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>
<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><EncodingType>url</EncodingType>
<Contents><Key>p/MLmodel</Key><Size>400</Size></Contents>
<Contents><Key>p/a%20b%26c.txt</Key><Size>3</Size></Contents>
<NextContinuationToken>tok&amp;1</NextContinuationToken></ListBucketResult>"#;
        let page = parse_listing(xml).unwrap();
        assert_eq!(
            page.objects,
            vec![
                ("p/MLmodel".to_string(), Some(400)),
                ("p/a b&c.txt".to_string(), Some(3))
            ]
        );
        assert!(page.truncated);
        assert_eq!(page.next.as_deref(), Some("tok&1"));
        assert!(parse_listing("<a><b></a>").is_err());
    }
}
