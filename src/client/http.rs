//! The client: typed GETs with query strings, paginated listings, writes (POST, PUT, PATCH,
//! DELETE with JSON bodies) under an explicit retry policy (cloud storage reads are in
//! `storage.rs`) — all bounded: a response size limit enforced while the body streams, a per-request
//! timeout, and one time budget for everything the client does (retries and waits included).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::auth::Auth;
use super::config::Config;
use super::error::{describe_body, ClientError, ConnectKind, RateStop, NOT_GIVEN};
use super::transport::{self, Answer, BodyError, SendFailure};
use crate::redact::shapes;
use crate::url::shown as shown_url;

/// An OAuth access token and when to stop using it.
type CachedToken = Option<(String, Instant)>;

/// Whether a request may be sent again after a failure that may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads, and writes that are upserts (setting an alias or a tag to a value): sending them
    /// twice has the effect of sending them once, so transient failures (408, 429, 502, 503,
    /// 504, a refused connection) are retried.
    Idempotent,
    /// A write that may have been applied (a stage transition that archives other versions):
    /// sent again only when the server surely did not act on it, i.e. the connection was
    /// refused before the request left, or the server answered 429 (rate limited, not run).
    Once,
}

/// The HTTP methods of registry writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMethod {
    Post,
    Put,
    Patch,
    Delete,
}

impl WriteMethod {
    fn method(self) -> Method {
        match self {
            WriteMethod::Post => Method::POST,
            WriteMethod::Put => Method::PUT,
            WriteMethod::Patch => Method::PATCH,
            WriteMethod::Delete => Method::DELETE,
        }
    }

    fn label(self) -> &'static str {
        match self {
            WriteMethod::Post => "POST",
            WriteMethod::Put => "PUT",
            WriteMethod::Patch => "PATCH",
            WriteMethod::Delete => "DELETE",
        }
    }
}

/// A server client; cheap to clone (one connection pool, one token cache).
#[derive(Debug, Clone)]
pub struct Client {
    pub(super) inner: reqwest::Client,
    pub(super) config: Config,
    token: Arc<tokio::sync::Mutex<CachedToken>>,
    /// When the budget (`config.budget`) runs out.
    deadline: Instant,
}

impl Client {
    pub fn new(config: Config) -> Result<Self, ClientError> {
        let connect_err = |message: String| ClientError::Connect {
            url: shown_url(&config.base_url),
            kind: ConnectKind::Other,
            message,
            attempts: 0,
        };
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(connect_err(
                "the tracking URI must be http://, https:// or databricks[://PROFILE]".into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("mlgate/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            // Its own error class: nothing answered the connection, as opposed to a slow answer.
            // Shorter than the request timeout, so that it is the one that fires.
            .connect_timeout(config.timeout.mul_f64(0.75).min(Duration::from_secs(30)));
        // MLflow 3's default multi-worker uvicorn server answers a request on a *reused*
        // connection ~40 ms late (see the MLflow lab notes). On plain HTTP a fresh loopback or
        // LAN connection costs ~1 ms, so pooling loses: measured against a default 3.17 server,
        // `mlgate snapshot` took a median 118 ms pooled and 38 ms with fresh connections. Over
        // HTTPS the TLS handshake costs more than the penalty, so the pool stays.
        // `MLGATE_HTTP_POOL=1` keeps the pool on plain HTTP too (servers without the penalty,
        // and the bulk benchmark's comparison, scripts/bench bulk).
        let pool = std::env::var_os("MLGATE_HTTP_POOL").is_some_and(|v| v == "1");
        if config.base_url.starts_with("http://") && !pool {
            builder = builder.pool_max_idle_per_host(0);
        }
        builder = super::tls::configure(builder, &config).map_err(connect_err)?;
        let inner = builder.build().map_err(|e| connect_err(e.to_string()))?;
        Ok(Self {
            inner,
            deadline: Instant::now() + config.budget,
            config,
            token: Arc::new(tokio::sync::Mutex::new(None)),
        })
    }

    /// The basic-auth user, when one is configured.
    pub fn username(&self) -> Option<&str> {
        match &self.config.auth {
            Auth::Basic { username, .. } => Some(username),
            _ => None,
        }
    }

    pub fn tracking_uri(&self) -> &str {
        &self.config.tracking_uri
    }

    /// Where requests go.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// The full URL of `path` on this server as errors show it: no credentials, no query.
    pub fn url(&self, path: &str) -> String {
        shown_url(&format!("{}{path}", self.config.base_url))
    }

    /// The full URL of `path` with `query` as errors show it: no credentials; each query
    /// parameter kept (MLflow's queries hold the ids that say which run or version), except
    /// that a parameter whose name or value looks like a secret is replaced by the marker.
    pub fn request_url(&self, path: &str, query: &[(&str, &str)]) -> String {
        with_query(self.url(path), query)
    }

    /// Time left of the budget.
    pub(super) fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// GET `path` with query parameters, decoded into `T` (see [`transport::decode`] for the
    /// three ways a body can fail to be the answer).
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        let answer = self
            .send(Method::GET, "GET", path, query, None, Retry::Idempotent)
            .await?;
        transport::decode("GET", &self.request_url(path, query), &answer)
    }

    /// GET `path` with query parameters, as untyped JSON (responses kept as returned).
    pub async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, ClientError> {
        self.get(path, query).await
    }

    /// Every item under `key` over all pages of a paginated GET (Databricks style: follow
    /// `next_page_token` until it is absent; a page may be empty yet carry a token). Bounded at
    /// 100 pages so a misbehaving server cannot loop the gate forever.
    pub async fn get_all_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        key: &str,
    ) -> Result<Vec<T>, ClientError> {
        /// One page: the items stay untyped until the key is known.
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            next_page_token: Option<String>,
            #[serde(flatten)]
            rest: serde_json::Map<String, Value>,
        }
        let shape = |message: String| ClientError::Shape {
            method: "GET",
            url: self.url(path),
            message,
        };
        let mut items = Vec::new();
        let mut token = String::new();
        for page_number in 0.. {
            if page_number == 100 {
                // Partial data must not pass for complete: stop and say so.
                return Err(shape(
                    "more than 100 pages; stopped reading, the list would be incomplete".into(),
                ));
            }
            let mut q = query.to_vec();
            if !token.is_empty() {
                q.push(("page_token", token.as_str()));
            }
            let mut page: Page = self.get(path, &q).await?;
            match page.rest.remove(key) {
                None | Some(Value::Null) => {}
                Some(list) => {
                    let list: Vec<T> =
                        serde_json::from_value(list).map_err(|e| shape(format!("`{key}`: {e}")))?;
                    items.extend(list);
                }
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => token = next,
                None => break,
            }
        }
        Ok(items)
    }

    /// GET `path` with query parameters, as text (model files); retries transient failures.
    pub async fn get_text(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<String, ClientError> {
        let answer = self
            .send(Method::GET, "GET", path, query, None, Retry::Idempotent)
            .await?;
        Ok(answer.text)
    }

    /// A registry write: `body` as JSON (DELETE too: MLflow reads its arguments from the body),
    /// the answer decoded into `T`, retried as `retry` allows.
    pub async fn write<T: DeserializeOwned>(
        &self,
        method: WriteMethod,
        path: &str,
        body: &impl Serialize,
        retry: Retry,
    ) -> Result<T, ClientError> {
        let label = method.label();
        let body = serde_json::to_string(body).map_err(|e| ClientError::Shape {
            method: label,
            url: self.url(path),
            message: format!("cannot encode the request body: {e}"),
        })?;
        let mut answer = self
            .send(method.method(), label, path, &[], Some(body), retry)
            .await?;
        // MLflow answers some writes with an empty body; that is `{}`.
        if answer.text.trim().is_empty() {
            answer.text = "{}".into();
        }
        transport::decode(label, &self.url(path), &answer)
    }

    /// A read that the API spells as a POST (temporary credentials, a presigned download URL):
    /// `body` as JSON, the answer decoded into `T`, retried like a GET since it changes nothing.
    pub async fn post_read<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.write(WriteMethod::Post, path, body, Retry::Idempotent)
            .await
    }

    /// The per-request timeout, never past the budget.
    pub(super) fn request_timeout(&self) -> Duration {
        self.config
            .timeout
            .min(self.remaining())
            .max(Duration::from_millis(1))
    }

    pub(super) fn send_error(
        &self,
        failure: SendFailure,
        method: &'static str,
        url: &str,
        attempts: u32,
    ) -> ClientError {
        match failure {
            // The budget's, when that is what ran out.
            SendFailure::Timeout => self.timeout_error(method, url, attempts),
            other => other.into_error(
                method,
                url,
                &shown_url(&self.config.base_url),
                self.config.timeout.as_secs(),
                attempts,
            ),
        }
    }

    pub(super) fn body_error(
        &self,
        e: BodyError,
        method: &'static str,
        url: &str,
        attempts: u32,
    ) -> ClientError {
        match e {
            BodyError::TooLarge => ClientError::TooLarge {
                method,
                url: url.to_string(),
                limit: self.config.max_response_bytes,
                attempts,
            },
            BodyError::Timeout => self.timeout_error(method, url, attempts),
            BodyError::Cut(message) => ClientError::Truncated {
                method,
                url: url.to_string(),
                message,
                attempts,
            },
        }
    }

    /// A timeout: the budget's when that is what ran out, else the request's.
    pub(super) fn timeout_error(
        &self,
        method: &'static str,
        url: &str,
        attempts: u32,
    ) -> ClientError {
        if self.remaining().is_zero() {
            ClientError::Deadline {
                method,
                url: url.to_string(),
                budget: self.config.budget.as_secs(),
                attempts,
            }
        } else {
            ClientError::Timeout {
                method,
                url: url.to_string(),
                seconds: self.config.timeout.as_secs(),
                attempts,
            }
        }
    }

    /// Sends a request, retrying as `retry` allows within the budget, and reads its body under
    /// the size limit. Only a 2xx answer is `Ok`.
    // why: one retry loop; each `continue` is a retry decision (refused, reset, transient
    // status, cut body) and reads best beside the budget and attempt count it consults.
    #[allow(clippy::too_many_lines)]
    async fn send(
        &self,
        method: Method,
        label: &'static str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
        retry: Retry,
    ) -> Result<Answer, ClientError> {
        let target = format!("{}{path}", self.config.base_url);
        let url = self.request_url(path, query);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if self.remaining().is_zero() {
                return Err(ClientError::Deadline {
                    method: label,
                    url,
                    budget: self.config.budget.as_secs(),
                    attempts: attempt - 1,
                });
            }
            let retries_left = attempt <= self.config.max_retries;
            let mut request = self
                .inner
                .request(method.clone(), &target)
                .query(query)
                .timeout(self.request_timeout());
            if let Some(auth) = self.authorization().await? {
                let mut value = HeaderValue::from_str(&auth).map_err(|e| ClientError::Connect {
                    url: shown_url(&self.config.base_url),
                    kind: ConnectKind::Other,
                    message: format!("the credentials cannot be sent in a header: {e}"),
                    attempts: 0,
                })?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            if let Some(body) = &body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    let failure = transport::classify(&e);
                    // A refused connection sent nothing, so even a write may go again; a reset
                    // after sending may have been applied, so only reads go again.
                    let again = match &failure {
                        // One quick retry: a server that is down stays down.
                        SendFailure::Connect(ConnectKind::Refused, _) => attempt == 1,
                        SendFailure::Reset(_) => retry == Retry::Idempotent,
                        _ => false,
                    };
                    if again
                        && retries_left
                        && self
                            .pause(transport::backoff(self.config.backoff_factor, attempt))
                            .await
                    {
                        continue;
                    }
                    return Err(self.send_error(failure, label, &url, attempt));
                }
            };
            let status = response.status().as_u16();
            // 408/429/502/503/504 are transient; a 500 from MLflow is deterministic (an
            // unresolvable artifact source), so retrying it only delays the report. A write that
            // may have been applied is resent only after a 429, which says it was not run.
            let transient = match retry {
                Retry::Idempotent => matches!(status, 408 | 429 | 502 | 503 | 504),
                Retry::Once => status == 429,
            };
            let asked = transport::retry_after(response.headers());
            // What ended the retries of a transient answer, for the 429 message: the budget
            // only when waiting would have overrun it, else the attempt limit.
            let mut stopped = RateStop::Attempts;
            if transient {
                if let Some((wait, raw)) = &asked {
                    if *wait > self.remaining() {
                        // Sleeping would only end in the budget running out: say so now.
                        return Err(ClientError::RateLimited {
                            method: label,
                            url,
                            status,
                            retry_after: raw.clone(),
                            stopped: RateStop::Budget {
                                remaining: self.remaining().as_secs(),
                            },
                            attempts: attempt,
                        });
                    }
                }
                let wait = asked.as_ref().map_or_else(
                    || transport::backoff(self.config.backoff_factor, attempt),
                    |(wait, _)| *wait,
                );
                if retries_left {
                    if self.pause(wait).await {
                        continue;
                    }
                    stopped = RateStop::Budget {
                        remaining: self.remaining().as_secs(),
                    };
                }
            }
            let content_type = transport::content_type(response.headers());
            let reason = response
                .headers()
                .get("x-databricks-reason-phrase")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let text = match transport::read_body(response, self.config.max_response_bytes).await {
                Ok(text) => text,
                Err(e) => {
                    // A body cut short is read again when reading is harmless.
                    let again = matches!(e, BodyError::Cut(_))
                        && retry == Retry::Idempotent
                        && retries_left;
                    if again
                        && self
                            .pause(transport::backoff(self.config.backoff_factor, attempt))
                            .await
                    {
                        continue;
                    }
                    return Err(self.body_error(e, label, &url, attempt));
                }
            };
            if (200..300).contains(&status) {
                return Ok(Answer {
                    status,
                    content_type,
                    text,
                });
            }
            if status == 429 {
                return Err(ClientError::RateLimited {
                    method: label,
                    url,
                    status,
                    retry_after: asked.map_or_else(|| NOT_GIVEN.into(), |(_, raw)| raw),
                    stopped,
                    attempts: attempt,
                });
            }
            let (error_code, mut message) = describe_body(&text);
            if message == "(empty body)" {
                message = reason.unwrap_or(message);
            }
            return Err(ClientError::Http {
                method: label,
                url,
                status,
                error_code,
                message,
                attempts: attempt,
                credentials: matches!(status, 401 | 403)
                    .then(|| self.config.credentials.clone())
                    .flatten()
                    .map(String::into_boxed_str),
                retry_after: asked.map(|(_, raw)| Box::new(raw)),
            });
        }
    }

    /// Waits `wait` if the budget allows; `false` when it would run out first.
    pub(super) async fn pause(&self, wait: Duration) -> bool {
        if wait >= self.remaining() {
            return false;
        }
        tokio::time::sleep(wait).await;
        true
    }

    /// The `Authorization` header value; an OAuth token is fetched once and reused until a
    /// minute before it expires (the lock makes concurrent first requests share one fetch).
    async fn authorization(&self) -> Result<Option<String>, ClientError> {
        match &self.config.auth {
            Auth::None => Ok(None),
            Auth::Basic { username, password } => Ok(Some(basic(username, password))),
            Auth::Bearer(token) => Ok(Some(format!("Bearer {token}"))),
            Auth::OAuthM2M {
                client_id,
                client_secret,
                token_url,
            } => {
                let mut cached = self.token.lock().await;
                if let Some((token, until)) = cached.as_ref() {
                    if Instant::now() < *until {
                        return Ok(Some(token.clone()));
                    }
                }
                let (token, lifetime) = super::oauth::fetch_token(
                    &self.inner,
                    client_id,
                    token_url,
                    self.request_timeout(),
                    basic(client_id, client_secret),
                )
                .await?;
                let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(60));
                *cached = Some((token.clone(), until));
                Ok(Some(token))
            }
        }
    }
}

/// `url` with `query` appended as sent (percent-encoded), each parameter that names a secret
/// (`page_token`, `access_token`) or holds a secret-shaped value replaced by the marker.
fn with_query(mut url: String, query: &[(&str, &str)]) -> String {
    /// Everything but RFC 3986's unreserved characters, as a query value is sent.
    const VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    for (i, (key, value)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.extend(percent_encoding::utf8_percent_encode(key, VALUE));
        url.push('=');
        let shaped = shapes::redact_shapes(value);
        if shapes::secret_key(key) {
            url.push_str(&shapes::by_key(key));
        } else if shaped == *value {
            url.extend(percent_encoding::utf8_percent_encode(value, VALUE));
        } else {
            url.push_str(&shaped);
        }
    }
    url
}

/// An HTTP basic `Authorization` value (RFC 7617).
fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_urls_keep_ids_and_hide_secrets() {
        let base = "http://127.0.0.1:5000/api/2.0/mlflow/runs/get".to_string();
        assert_eq!(
            with_query(base.clone(), &[("run_id", "abc")]),
            "http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc"
        );
        assert_eq!(
            with_query(base.clone(), &[("filter", "name='a b'")]),
            "http://127.0.0.1:5000/api/2.0/mlflow/runs/get?filter=name%3D%27a%20b%27"
        );
        let hidden = with_query(
            base.clone(),
            &[
                ("page_token", "opaque-cursor"),
                ("note", "Bearer abcdefghijkl"),
            ],
        );
        assert!(!hidden.contains("opaque-cursor"), "{hidden}");
        assert!(!hidden.contains("abcdefghijkl"), "{hidden}");
        assert!(hidden.contains("page_token=[redacted: "), "{hidden}");
        assert_eq!(with_query(base.clone(), &[]), base);
    }

    #[test]
    fn basic_auth_is_rfc_7617() {
        assert_eq!(basic("admin", "pw"), "Basic YWRtaW46cHc=");
        assert_eq!(basic("", ""), "Basic Og==");
    }
}
