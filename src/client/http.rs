//! The transport: configuration from MLflow's and Databricks' environment (server, auth, TLS,
//! timeouts, retries), typed GETs with query strings, paginated listings, writes (POST, PUT,
//! PATCH, DELETE with JSON bodies) under an explicit retry policy, unauthenticated fetches of
//! signed URLs, and error decoding.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::auth::Auth;
use super::error::{describe_body, snippet, ClientError};

/// Connection settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The tracking URI as the user named it (`http://host:5000`, `databricks://prod`).
    pub tracking_uri: String,
    /// Where requests go (`http://host:5000`, `https://adb-1.azuredatabricks.net`).
    pub base_url: String,
    pub auth: Auth,
    pub insecure_tls: bool,
    pub server_cert_path: Option<String>,
    pub timeout: Duration,
    pub max_retries: u32,
    pub backoff_factor: f64,
}

impl Config {
    /// Settings for an MLflow server at `tracking_uri` (http or https), with MLflow's
    /// environment: basic auth wins over the token when both are set, as in MLflow's code.
    pub fn mlflow(tracking_uri: String, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let auth = match (
            env("MLFLOW_TRACKING_USERNAME"),
            env("MLFLOW_TRACKING_PASSWORD"),
            env("MLFLOW_TRACKING_TOKEN"),
        ) {
            (Some(username), Some(password), _) => Auth::Basic { username, password },
            (_, _, Some(token)) => Auth::Bearer(token),
            _ => Auth::None,
        };
        let mut config = Self::with_auth(tracking_uri.clone(), tracking_uri, auth, env);
        config.base_url = config.base_url.trim_end_matches('/').to_string();
        config
    }

    /// Settings for any server, with the transport variables of MLflow's environment.
    pub fn with_auth(
        tracking_uri: String,
        base_url: String,
        auth: Auth,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let number = |k: &str, default: f64| {
            env(k)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(default)
        };
        Self {
            tracking_uri,
            base_url,
            auth,
            insecure_tls: env("MLFLOW_TRACKING_INSECURE_TLS")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            server_cert_path: env("MLFLOW_TRACKING_SERVER_CERT_PATH"),
            // Out-of-range values (`inf`, `1e20`) fall back to the default rather than panic.
            timeout: Duration::try_from_secs_f64(
                number("MLFLOW_HTTP_REQUEST_TIMEOUT", 120.0).clamp(0.1, 86_400.0),
            )
            .unwrap_or(Duration::from_secs(120)),
            // MLflow defaults to 7 retries with factor 2; a CI gate should fail fast, so 3 is ours.
            max_retries: env("MLFLOW_HTTP_REQUEST_MAX_RETRIES")
                .and_then(|v| v.parse().ok())
                .unwrap_or(3),
            // MLflow caps the factor at 120.
            backoff_factor: number("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 1.0).clamp(0.0, 120.0),
        }
    }
}

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
    inner: reqwest::Client,
    config: Config,
    token: Arc<tokio::sync::Mutex<CachedToken>>,
}

impl Client {
    pub fn new(config: Config) -> Result<Self, ClientError> {
        let connect_err = |message: String| ClientError::Connect {
            url: config.base_url.clone(),
            message,
        };
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(connect_err(
                "the tracking URI must be http://, https:// or databricks[://PROFILE]".into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("mlgate/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .danger_accept_invalid_certs(config.insecure_tls);
        // MLflow 3's default multi-worker uvicorn server answers a request on a *reused*
        // connection ~40 ms late (see the MLflow lab notes). On plain HTTP a fresh loopback or
        // LAN connection costs ~1 ms, so pooling loses: measured against a default 3.17 server,
        // `mlgate snapshot` took a median 118 ms pooled and 38 ms with fresh connections. Over
        // HTTPS the TLS handshake costs more than the penalty, so the pool stays.
        if config.base_url.starts_with("http://") {
            builder = builder.pool_max_idle_per_host(0);
        }
        if let Some(path) = &config.server_cert_path {
            let pem = std::fs::read(path).map_err(|e| {
                connect_err(format!(
                    "cannot read MLFLOW_TRACKING_SERVER_CERT_PATH {path}: {e}"
                ))
            })?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| connect_err(format!("bad certificate in {path}: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let inner = builder.build().map_err(|e| connect_err(e.to_string()))?;
        Ok(Self {
            inner,
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

    /// GET `path` with query parameters, decoded into `T`. A body that is JSON but not of the
    /// expected shape is a [`ClientError::Shape`] naming the field serde missed.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        let body = self.get_text(path, query).await?;
        decode("GET", path, &body)
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
        let mut items = Vec::new();
        let mut token = String::new();
        for page_number in 0.. {
            if page_number == 100 {
                // Partial data must not pass for complete: stop and say so.
                return Err(ClientError::Shape {
                    method: "GET",
                    path: path.to_string(),
                    message: "more than 100 pages; stopped reading, the list would be incomplete"
                        .into(),
                });
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
                        serde_json::from_value(list).map_err(|e| ClientError::Shape {
                            method: "GET",
                            path: path.to_string(),
                            message: format!("`{key}`: {e}"),
                        })?;
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

    /// GET `path` with query parameters, as text; retries transient failures.
    pub async fn get_text(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<String, ClientError> {
        self.send(Method::GET, "GET", path, query, None, Retry::Idempotent)
            .await
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
        let body = serde_json::to_string(body).map_err(|e| ClientError::Shape {
            method: method.label(),
            path: path.to_string(),
            message: format!("cannot encode the request body: {e}"),
        })?;
        let text = self
            .send(
                method.method(),
                method.label(),
                path,
                &[],
                Some(body),
                retry,
            )
            .await?;
        // MLflow answers some writes with an empty body; that is `{}`.
        let text = if text.trim().is_empty() { "{}" } else { &text };
        decode(method.label(), path, text)
    }

    /// GET a pre-signed URL with exactly the headers it came with: never with our credentials,
    /// which must not leak to cloud storage.
    pub async fn get_signed(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<String, ClientError> {
        let shown = url.split('?').next().unwrap_or(url).to_string();
        let mut request = self.inner.get(url);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.map_err(|e| ClientError::Connect {
            url: shown.clone(),
            message: root_cause(&e),
        })?;
        let status = response.status().as_u16();
        // A body that could not be read is a failed download, never an empty file.
        let text = response.text().await.map_err(|e| ClientError::Body {
            method: "GET",
            path: shown.clone(),
            message: root_cause(&e),
        })?;
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(ClientError::Http {
                method: "GET",
                path: shown,
                status,
                error_code: None,
                message: snippet(&text),
            })
        }
    }

    async fn send(
        &self,
        method: Method,
        label: &'static str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
        retry: Retry,
    ) -> Result<String, ClientError> {
        let url = format!("{}{path}", self.config.base_url);
        let mut attempt = 0;
        loop {
            let mut request = self.inner.request(method.clone(), &url).query(query);
            if let Some(auth) = self.authorization().await? {
                let mut value = HeaderValue::from_str(&auth).map_err(|e| ClientError::Connect {
                    url: self.config.base_url.clone(),
                    message: format!("bad credentials: {e}"),
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
                Err(e) if e.is_timeout() => {
                    return Err(ClientError::Timeout {
                        method: label,
                        path: path.to_string(),
                        seconds: self.config.timeout.as_secs(),
                    })
                }
                Err(e) => {
                    // A refused connection sent nothing, so even a write may go again; one quick
                    // retry, because a server that is down stays down.
                    if e.is_connect() && attempt == 0 && self.config.max_retries > 0 {
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                    return Err(ClientError::Connect {
                        url: self.config.base_url.clone(),
                        message: root_cause(&e),
                    });
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
            if transient && attempt < self.config.max_retries {
                let wait = retry_after(response.headers()).unwrap_or_else(|| {
                    Duration::from_secs_f64(
                        self.config.backoff_factor * 2f64.powi(i32::try_from(attempt).unwrap_or(8)),
                    )
                });
                attempt += 1;
                tokio::time::sleep(wait.min(Duration::from_secs(60))).await;
                continue;
            }
            let reason = response
                .headers()
                .get("x-databricks-reason-phrase")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let text = response.text().await.map_err(|e| ClientError::Body {
                method: label,
                path: path.to_string(),
                message: root_cause(&e),
            })?;
            if (200..300).contains(&status) {
                return Ok(text);
            }
            let (error_code, mut message) = describe_body(&text);
            if message == "(empty body)" {
                message = reason.unwrap_or(message);
            }
            return Err(ClientError::Http {
                method: label,
                path: path.to_string(),
                status,
                error_code,
                message,
            });
        }
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
                let (token, lifetime) = self
                    .fetch_token(client_id, client_secret, token_url)
                    .await?;
                let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(60));
                *cached = Some((token.clone(), until));
                Ok(Some(token))
            }
        }
    }

    /// OAuth client-credentials grant (`POST /oidc/v1/token`, client id and secret as HTTP
    /// basic auth, `scope=all-apis`), as the Databricks SDKs do it.
    async fn fetch_token(
        &self,
        client_id: &str,
        client_secret: &str,
        token_url: &str,
    ) -> Result<(String, Duration), ClientError> {
        /// The token endpoint's answer (RFC 6749 §5.1) and its error shapes (RFC 6749 §5.2,
        /// Okta-style `errorCode`/`errorSummary` behind some identity providers).
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            access_token: String,
            #[serde(default)]
            token_type: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        #[derive(serde::Deserialize, Default)]
        struct TokenError {
            #[serde(default, alias = "errorCode")]
            error: Option<String>,
            #[serde(default, alias = "errorSummary")]
            error_description: Option<String>,
        }
        let path = token_url
            .strip_prefix(&self.config.base_url)
            .unwrap_or(token_url)
            .to_string();
        let response = self
            .inner
            .post(token_url)
            .header(AUTHORIZATION, basic(client_id, client_secret))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&scope=all-apis")
            .send()
            .await
            .map_err(|e| ClientError::Connect {
                url: token_url.to_string(),
                message: root_cause(&e),
            })?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| ClientError::Body {
            method: "POST",
            path: path.clone(),
            message: root_cause(&e),
        })?;
        if !(200..300).contains(&status) {
            let error: TokenError = serde_json::from_str(&text).unwrap_or_default();
            return Err(ClientError::Http {
                method: "POST",
                path,
                status,
                error_code: error.error,
                message: format!(
                    "OAuth token request failed: {}",
                    error.error_description.unwrap_or_else(|| snippet(&text))
                ),
            });
        }
        let token: TokenResponse = decode("POST", &path, &text)?;
        Ok((
            format!(
                "{} {}",
                token.token_type.as_deref().unwrap_or("Bearer"),
                token.access_token
            ),
            Duration::from_secs(token.expires_in.unwrap_or(3600)),
        ))
    }
}

/// A body decoded into `T`: not JSON at all is [`ClientError::Decode`]; JSON of another shape
/// is [`ClientError::Shape`], naming what serde missed.
fn decode<T: DeserializeOwned>(
    method: &'static str,
    path: &str,
    body: &str,
) -> Result<T, ClientError> {
    serde_json::from_str(body).map_err(|e| {
        if e.is_data() {
            ClientError::Shape {
                method,
                path: path.to_string(),
                message: e.to_string(),
            }
        } else {
            ClientError::Decode {
                method,
                path: path.to_string(),
                message: e.to_string(),
                snippet: snippet(body),
            }
        }
    })
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The innermost cause of a transport error ("Connection refused"), which says the most.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
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
    fn basic_auth_is_rfc_7617() {
        assert_eq!(basic("admin", "pw"), "Basic YWRtaW46cHc=");
        assert_eq!(basic("", ""), "Basic Og==");
    }

    #[test]
    fn wrong_shapes_and_broken_json_are_told_apart() {
        #[derive(serde::Deserialize, Debug)]
        struct Wants {
            #[allow(dead_code)]
            model_version: Value,
        }
        let shape = decode::<Wants>("GET", "/x", r#"{"other": 1}"#).unwrap_err();
        assert!(
            matches!(&shape, ClientError::Shape { message, .. } if message.contains("model_version")),
            "{shape}"
        );
        let broken = decode::<Wants>("GET", "/x", r#"{"model_version": "#).unwrap_err();
        assert!(matches!(broken, ClientError::Decode { .. }), "{broken}");
    }

    #[test]
    fn basic_auth_wins_over_the_token_as_in_mlflow() {
        let env = |k: &str| match k {
            "MLFLOW_TRACKING_USERNAME" => Some("u".to_string()),
            "MLFLOW_TRACKING_PASSWORD" => Some("p".to_string()),
            "MLFLOW_TRACKING_TOKEN" => Some("t".to_string()),
            _ => None,
        };
        let c = Config::mlflow("http://h:5000/".into(), &env);
        assert_eq!(
            c.auth,
            Auth::Basic {
                username: "u".into(),
                password: "p".into()
            }
        );
        assert_eq!(c.base_url, "http://h:5000");
    }
}
