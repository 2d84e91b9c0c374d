//! The HTTP layer: configuration from MLflow's and Databricks' environment (server, auth, TLS,
//! timeouts, retries), GETs with query strings, JSON POSTs, unauthenticated fetches of signed
//! URLs, and error decoding.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
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

/// A server client; cheap to clone (one connection pool, one token cache).
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    config: Config,
    token: Arc<tokio::sync::Mutex<CachedToken>>,
}

impl Http {
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
        let client = builder.build().map_err(|e| connect_err(e.to_string()))?;
        Ok(Self {
            client,
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

    /// GET `path` with query parameters, decoded as JSON.
    pub async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, ClientError> {
        let body = self.get_text(path, query).await?;
        decode("GET", path, &body)
    }

    /// Every item under `key` over all pages of a paginated GET (Databricks style: follow
    /// `next_page_token` until it is absent; a page may be empty yet carry a token). Bounded at
    /// 100 pages so a misbehaving server cannot loop the gate forever.
    pub async fn get_all_pages(
        &self,
        path: &str,
        query: &[(&str, &str)],
        key: &str,
    ) -> Result<Vec<Value>, ClientError> {
        let mut items = Vec::new();
        let mut token = String::new();
        for page_number in 0.. {
            if page_number == 100 {
                // Partial data must not pass for complete: stop and say so.
                return Err(ClientError::Decode {
                    method: "GET",
                    path: path.to_string(),
                    message: "more than 100 pages; stopped reading, the list would be incomplete"
                        .into(),
                    snippet: String::new(),
                });
            }
            let mut q = query.to_vec();
            if !token.is_empty() {
                q.push(("page_token", token.as_str()));
            }
            let page = self.get_json(path, &q).await?;
            items.extend(
                page.get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
            match page
                .get("next_page_token")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                Some(next) => token = next.to_string(),
                None => break,
            }
        }
        Ok(items)
    }

    /// POST a JSON body to `path`, decoded as JSON.
    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        let text = self
            .send(Method::POST, path, &[], Some(body.to_string()))
            .await?;
        decode("POST", path, &text)
    }

    /// GET `path` with query parameters, as text; retries transient failures.
    pub async fn get_text(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<String, ClientError> {
        self.send(Method::GET, path, query, None).await
    }

    /// GET a pre-signed URL with exactly the headers it came with: never with our credentials,
    /// which must not leak to cloud storage.
    pub async fn get_signed(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<String, ClientError> {
        let shown = url.split('?').next().unwrap_or(url).to_string();
        let mut request = self.client.get(url);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.map_err(|e| ClientError::Connect {
            url: shown.clone(),
            message: root_cause(&e),
        })?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
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
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<String, ClientError> {
        let label = if method == Method::POST {
            "POST"
        } else {
            "GET"
        };
        let url = format!("{}{path}", self.config.base_url);
        let mut attempt = 0;
        loop {
            let mut request = self.client.request(method.clone(), &url).query(query);
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
                    if e.is_connect() && attempt == 0 && self.config.max_retries > 0 {
                        // One quick retry for a refused connection; a server that is down stays down.
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
            // unresolvable artifact source), so retrying it only delays the report.
            if matches!(status, 408 | 429 | 502 | 503 | 504) && attempt < self.config.max_retries {
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
            let text = response.text().await.map_err(|e| ClientError::Decode {
                method: label,
                path: path.to_string(),
                message: root_cause(&e),
                snippet: String::new(),
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
            Auth::Basic { username, password } => Ok(Some(format!(
                "Basic {}",
                base64(format!("{username}:{password}").as_bytes())
            ))),
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
        let path = token_url
            .strip_prefix(&self.config.base_url)
            .unwrap_or(token_url)
            .to_string();
        let response = self
            .client
            .post(token_url)
            .header(
                AUTHORIZATION,
                format!(
                    "Basic {}",
                    base64(format!("{client_id}:{client_secret}").as_bytes())
                ),
            )
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&scope=all-apis")
            .send()
            .await
            .map_err(|e| ClientError::Connect {
                url: token_url.to_string(),
                message: root_cause(&e),
            })?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let message = json
                .get("error_description")
                .or_else(|| json.get("errorSummary"))
                .and_then(Value::as_str)
                .map_or_else(|| snippet(&text), str::to_string);
            let code = json
                .get("error")
                .or_else(|| json.get("errorCode"))
                .and_then(Value::as_str)
                .map(str::to_string);
            return Err(ClientError::Http {
                method: "POST",
                path,
                status,
                error_code: code,
                message: format!("OAuth token request failed: {message}"),
            });
        }
        let json = decode("POST", &path, &text)?;
        let token = json
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| ClientError::Decode {
                method: "POST",
                path: path.clone(),
                message: "no access_token in the token response".into(),
                snippet: snippet(&text),
            })?;
        let kind = json
            .get("token_type")
            .and_then(Value::as_str)
            .unwrap_or("Bearer");
        let lifetime = json
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(3600);
        Ok((format!("{kind} {token}"), Duration::from_secs(lifetime)))
    }
}

fn decode(method: &'static str, path: &str, body: &str) -> Result<Value, ClientError> {
    serde_json::from_str(body).map_err(|e| ClientError::Decode {
        method,
        path: path.to_string(),
        message: e.to_string(),
        snippet: snippet(body),
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

/// Standard base64, for basic-auth headers.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"admin:pw"), "YWRtaW46cHc=");
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
