//! Connection settings from MLflow's and Databricks' environment: the server, credentials and
//! where they came from, TLS, the per-request timeout, retries, and mlgate's own bounds (the
//! response size limit and the whole gather's time budget).

use std::time::Duration;

use super::auth::Auth;

/// The default response size limit: far above any real answer (the largest seen, a registry
/// listing, is a few MiB), low enough that a runaway body cannot exhaust a CI runner.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// The default budget for one gather, retries and waits included.
pub const DEFAULT_BUDGET_SECS: u64 = 300;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The tracking URI as the user named it (`http://host:5000`, `databricks://prod`).
    pub tracking_uri: String,
    /// Where requests go (`http://host:5000`, `https://adb-1.azuredatabricks.net`).
    pub base_url: String,
    pub auth: Auth,
    /// Where the credentials came from (`MLFLOW_TRACKING_TOKEN`, `profile prod in
    /// ~/.databrickscfg`), told with a 401 or 403; never the credential itself.
    pub credentials: Option<String>,
    pub insecure_tls: bool,
    pub server_cert_path: Option<String>,
    /// One request, body included (`MLFLOW_HTTP_REQUEST_TIMEOUT`).
    pub timeout: Duration,
    pub max_retries: u32,
    pub backoff_factor: f64,
    /// Larger responses are refused while they stream (`MLGATE_MAX_RESPONSE_BYTES`).
    pub max_response_bytes: u64,
    /// The whole gather, every request, retry and wait (`MLGATE_GATHER_TIMEOUT`, seconds).
    pub budget: Duration,
    /// Where cloud object storage is reached (Unity Catalog models on customer storage).
    pub storage: StorageEnv,
}

/// Object-storage settings from the environment, as the cloud SDKs read them. Endpoints are
/// overrides for S3-compatible servers and emulators; by default the public clouds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageEnv {
    /// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (the AWS SDKs' order), unless
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. Requests then go path-style to it.
    pub aws_endpoint: Option<String>,
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION` (boto3's): the first region tried. S3 names the
    /// bucket's own region when it differs, and that one is used from then on.
    pub aws_region: Option<String>,
    /// `MLGATE_AZURE_STORAGE_ENDPOINT`: replaces `https://<account>.dfs.core.windows.net`
    /// (`{account}` in it is replaced by the account); for emulators and tests.
    pub azure_endpoint: Option<String>,
    /// `STORAGE_EMULATOR_HOST` (as Google's client libraries): replaces
    /// `https://storage.googleapis.com`.
    pub gcs_endpoint: Option<String>,
}

impl StorageEnv {
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let trimmed = |k: &str| {
            env(k)
                .map(|v| v.trim().trim_end_matches('/').to_string())
                .filter(|v| !v.is_empty())
        };
        let ignore = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        Self {
            aws_endpoint: if ignore {
                None
            } else {
                trimmed("AWS_ENDPOINT_URL_S3").or_else(|| trimmed("AWS_ENDPOINT_URL"))
            },
            aws_region: trimmed("AWS_REGION").or_else(|| trimmed("AWS_DEFAULT_REGION")),
            azure_endpoint: trimmed("MLGATE_AZURE_STORAGE_ENDPOINT"),
            gcs_endpoint: trimmed("STORAGE_EMULATOR_HOST").map(|h| {
                if h.contains("://") {
                    h
                } else {
                    format!("http://{h}")
                }
            }),
        }
    }
}

impl Config {
    /// Settings for an MLflow server at `tracking_uri` (http or https), with MLflow's
    /// environment: basic auth wins over the token when both are set, as in MLflow's code.
    pub fn mlflow(tracking_uri: String, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let (auth, credentials) = match (
            env("MLFLOW_TRACKING_USERNAME"),
            env("MLFLOW_TRACKING_PASSWORD"),
            env("MLFLOW_TRACKING_TOKEN"),
        ) {
            (Some(username), Some(password), _) => (
                Auth::Basic { username, password },
                Some("MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD".to_string()),
            ),
            (_, _, Some(token)) => (
                Auth::Bearer(token),
                Some("MLFLOW_TRACKING_TOKEN".to_string()),
            ),
            _ => (Auth::None, None),
        };
        let mut config = Self::with_auth(tracking_uri.clone(), tracking_uri, auth, env);
        config.credentials =
            credentials.or_else(|| Some("none (no MLFLOW_TRACKING_* credentials set)".into()));
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
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .unwrap_or(default)
        };
        // Out-of-range values (`inf`, `1e20`) fall back to the default rather than panic.
        let seconds = |k: &str, default: f64| {
            Duration::try_from_secs_f64(number(k, default).clamp(0.1, 86_400.0))
                .unwrap_or(Duration::from_secs_f64(default))
        };
        Self {
            tracking_uri,
            base_url,
            auth,
            credentials: None,
            insecure_tls: env("MLFLOW_TRACKING_INSECURE_TLS")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            server_cert_path: env("MLFLOW_TRACKING_SERVER_CERT_PATH"),
            timeout: seconds("MLFLOW_HTTP_REQUEST_TIMEOUT", 120.0),
            // MLflow defaults to 7 retries with factor 2; a CI gate should fail fast, so 3 is ours.
            max_retries: env("MLFLOW_HTTP_REQUEST_MAX_RETRIES")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(3),
            // MLflow caps the factor at 120.
            backoff_factor: number("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 1.0).clamp(0.0, 120.0),
            max_response_bytes: env("MLGATE_MAX_RESPONSE_BYTES")
                .and_then(|v| v.trim().parse().ok())
                .filter(|&n| n > 0)
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            #[allow(clippy::cast_precision_loss)] // a few hundred seconds
            budget: seconds("MLGATE_GATHER_TIMEOUT", DEFAULT_BUDGET_SECS as f64),
            storage: StorageEnv::from_env(env),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_wins_over_the_token_as_in_mlflow() {
        let env = |k: &str| match k {
            "MLFLOW_TRACKING_USERNAME" => Some("u".to_string()),
            "MLFLOW_TRACKING_PASSWORD" => Some("s3cret".to_string()),
            "MLFLOW_TRACKING_TOKEN" => Some("t".to_string()),
            _ => None,
        };
        let c = Config::mlflow("http://h:5000/".into(), &env);
        assert_eq!(
            c.auth,
            Auth::Basic {
                username: "u".into(),
                password: "s3cret".into()
            }
        );
        assert_eq!(c.base_url, "http://h:5000");
        let told = c.credentials.unwrap();
        assert!(told.contains("MLFLOW_TRACKING_USERNAME") && !told.contains("s3cret"));
    }

    #[test]
    fn bounds_come_from_the_environment_with_sane_defaults() {
        let c = Config::mlflow("http://h".into(), &|_| None);
        assert_eq!(c.max_response_bytes, DEFAULT_MAX_RESPONSE_BYTES);
        assert_eq!(c.budget, Duration::from_secs(DEFAULT_BUDGET_SECS));
        let env = |k: &str| match k {
            "MLGATE_MAX_RESPONSE_BYTES" => Some("1024".to_string()),
            "MLGATE_GATHER_TIMEOUT" => Some("inf".to_string()),
            _ => None,
        };
        let c = Config::mlflow("http://h".into(), &env);
        assert_eq!(c.max_response_bytes, 1024);
        assert_eq!(c.budget, Duration::from_secs(DEFAULT_BUDGET_SECS));
    }

    #[test]
    fn storage_endpoints_follow_the_sdks() {
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL" => Some("http://global:1/".to_string()),
            "AWS_ENDPOINT_URL_S3" => Some("http://s3only:2".to_string()),
            "AWS_DEFAULT_REGION" => Some("eu-west-1".to_string()),
            "STORAGE_EMULATOR_HOST" => Some("127.0.0.1:4443".to_string()),
            _ => None,
        };
        let s = StorageEnv::from_env(&env);
        assert_eq!(s.aws_endpoint.as_deref(), Some("http://s3only:2"));
        assert_eq!(s.aws_region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.gcs_endpoint.as_deref(), Some("http://127.0.0.1:4443"));
        let ignored = |k: &str| match k {
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" => Some("true".to_string()),
            other => env(other),
        };
        assert_eq!(StorageEnv::from_env(&ignored).aws_endpoint, None);
    }
}
