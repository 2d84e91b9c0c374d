//! The HTTP layer: MLflow's environment-driven configuration (tracking URI, auth, TLS,
//! timeouts, retries), GETs with query strings, and error decoding.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use serde_json::Value;

use super::error::{describe_body, snippet, ClientError};

/// Connection settings, read from flags and MLflow's environment variables.
#[derive(Debug, Clone)]
pub struct Config {
    pub tracking_uri: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub insecure_tls: bool,
    pub server_cert_path: Option<String>,
    pub timeout: Duration,
    pub max_retries: u32,
    pub backoff_factor: f64,
}

impl Config {
    /// Settings as MLflow reads them; `tracking_uri` overrides `MLFLOW_TRACKING_URI`.
    pub fn from_env(tracking_uri: Option<String>) -> Option<Self> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let number = |k: &str, default: f64| {
            env(k)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(default)
        };
        Some(Self {
            tracking_uri: tracking_uri.or_else(|| env("MLFLOW_TRACKING_URI"))?,
            username: env("MLFLOW_TRACKING_USERNAME"),
            password: env("MLFLOW_TRACKING_PASSWORD"),
            token: env("MLFLOW_TRACKING_TOKEN"),
            insecure_tls: env("MLFLOW_TRACKING_INSECURE_TLS")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            server_cert_path: env("MLFLOW_TRACKING_SERVER_CERT_PATH"),
            timeout: Duration::from_secs_f64(number("MLFLOW_HTTP_REQUEST_TIMEOUT", 120.0).max(0.1)),
            // MLflow defaults to 7 retries with factor 2; a CI gate should fail fast, so 3 is ours.
            max_retries: env("MLFLOW_HTTP_REQUEST_MAX_RETRIES")
                .and_then(|v| v.parse().ok())
                .unwrap_or(3),
            backoff_factor: number("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 1.0).max(0.0),
        })
    }
}

/// A tracking-server client; cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    base: String,
    config: Config,
}

impl Http {
    pub fn new(config: Config) -> Result<Self, ClientError> {
        let connect_err = |message: String| ClientError::Connect {
            url: config.tracking_uri.clone(),
            message,
        };
        let mut headers = HeaderMap::new();
        // Basic auth wins over the token when both are set, as in MLflow.
        let auth = match (&config.username, &config.password, &config.token) {
            (Some(user), Some(password), _) => Some(format!(
                "Basic {}",
                base64(format!("{user}:{password}").as_bytes())
            )),
            (_, _, Some(token)) => Some(format!("Bearer {token}")),
            _ => None,
        };
        if let Some(auth) = auth {
            let mut value = HeaderValue::from_str(&auth)
                .map_err(|e| connect_err(format!("bad credentials: {e}")))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("mlgate/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .danger_accept_invalid_certs(config.insecure_tls);
        // MLflow 3's default multi-worker uvicorn server answers a request on a *reused*
        // connection ~40 ms late (see the MLflow lab notes). On plain HTTP a fresh loopback or
        // LAN connection costs ~1 ms, so pooling loses: measured against a default 3.17 server,
        // `mlgate snapshot` took a median 118 ms pooled and 38 ms with fresh connections. Over
        // HTTPS the TLS handshake costs more than the penalty, so the pool stays.
        if config.tracking_uri.starts_with("http://") {
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
        let base = config.tracking_uri.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(connect_err(
                "the tracking URI must be http:// or https://".into(),
            ));
        }
        Ok(Self {
            client,
            base,
            config,
        })
    }

    /// The basic-auth user, when one is configured.
    pub fn username(&self) -> Option<&str> {
        self.config.username.as_deref()
    }

    pub fn tracking_uri(&self) -> &str {
        &self.config.tracking_uri
    }

    /// GET `path` with query parameters, decoded as JSON.
    pub async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, ClientError> {
        let body = self.get_text(path, query).await?;
        serde_json::from_str(&body).map_err(|e| ClientError::Decode {
            method: "GET",
            path: path.to_string(),
            message: e.to_string(),
            snippet: snippet(&body),
        })
    }

    /// GET `path` with query parameters, as text; retries transient failures.
    pub async fn get_text(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<String, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            let result = self.client.get(&url).query(query).send().await;
            let response = match result {
                Ok(r) => r,
                Err(e) if e.is_timeout() => {
                    return Err(ClientError::Timeout {
                        method: "GET",
                        path: path.to_string(),
                        seconds: self.config.timeout.as_secs(),
                    })
                }
                Err(e) => {
                    if attempt < self.config.max_retries && e.is_connect() && attempt == 0 {
                        // One quick retry for a refused connection; a server that is down stays down.
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                    return Err(ClientError::Connect {
                        url: self.base.clone(),
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
            let text = response.text().await.map_err(|e| ClientError::Decode {
                method: "GET",
                path: path.to_string(),
                message: root_cause(&e),
                snippet: String::new(),
            })?;
            if (200..300).contains(&status) {
                return Ok(text);
            }
            let (error_code, message) = describe_body(&text);
            return Err(ClientError::Http {
                method: "GET",
                path: path.to_string(),
                status,
                error_code,
                message,
            });
        }
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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

/// Standard base64, for the basic-auth header.
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
}
