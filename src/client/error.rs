//! Client errors, one variant per way a call can go wrong, each with its own words: what was
//! asked (method and full URL — scheme, host, port, path; never a credential), what happened,
//! how many attempts were made, and for refusals which credential source was used (never its
//! value). `call()` gives the short form (`GET /api/2.0/...`) the snapshot records; `url()`,
//! `class()`, `attempts()`, `content_type()`, `retry_after()` and `what()` give the rest of
//! what the snapshot's error entries keep, so every output can say it in one line.

use std::fmt;

use thiserror::Error;

/// Why nothing answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectKind {
    /// The host is up but nothing listens on the port.
    Refused,
    /// The host name does not resolve.
    Dns,
    /// No TCP connection within the timeout.
    Timeout,
    /// The TLS handshake failed (certificate not trusted, wrong host name, protocol).
    Tls,
    /// Any other failure to connect (unreachable network, bad URL).
    Other,
}

impl fmt::Display for ConnectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectKind::Refused => "connection refused",
            ConnectKind::Dns => "the host name does not resolve",
            ConnectKind::Timeout => "connect timeout",
            ConnectKind::Tls => "TLS handshake failed",
            ConnectKind::Other => "cannot connect",
        })
    }
}

/// " (after N attempts)" when the call was retried.
fn tries(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

/// " HTTP 403 PERMISSION_DENIED" without a numeric code that only repeats the status
/// (Databricks' invalid-token 403).
fn code(error_code: Option<&str>) -> String {
    error_code
        .filter(|c| !c.bytes().all(|b| b.is_ascii_digit()))
        .map(|c| format!(" {c}"))
        .unwrap_or_default()
}

/// What ended the retries of a rate-limited request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateStop {
    /// Waiting as asked (or backing off) would have run past the gather budget.
    Budget {
        /// Seconds left of the budget when the retries stopped.
        remaining: u64,
    },
    /// Every retry allowed was made, and the server still refused.
    Attempts,
}

impl fmt::Display for RateStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateStop::Budget { remaining } => write!(
                f,
                "waiting would overrun the {remaining} s left of the gather budget (MLGATE_GATHER_TIMEOUT)"
            ),
            RateStop::Attempts => f.write_str(
                "still limited when the retries ran out (MLFLOW_HTTP_REQUEST_MAX_RETRIES)",
            ),
        }
    }
}

/// A failed request to the tracking server.
#[derive(Debug, Error, Clone)]
pub enum ClientError {
    #[error("cannot reach {url}: {kind} ({message}){}", tries(*attempts))]
    Connect {
        url: String,
        kind: ConnectKind,
        message: String,
        attempts: u32,
    },
    #[error(
        "{method} {url} timed out after {seconds} s, body included (MLFLOW_HTTP_REQUEST_TIMEOUT){}",
        tries(*attempts)
    )]
    Timeout {
        method: &'static str,
        url: String,
        seconds: u64,
        attempts: u32,
    },
    /// The connection was reset or closed after the request was sent, before any response.
    #[error(
        "{method} {url}: the connection was closed before a response came ({message}){}",
        tries(*attempts)
    )]
    Reset {
        method: &'static str,
        url: String,
        message: String,
        attempts: u32,
    },
    /// The response started but its body ended early (or could not be read to the end).
    #[error(
        "{method} {url}: the response body was cut short ({message}){}",
        tries(*attempts)
    )]
    Truncated {
        method: &'static str,
        url: String,
        message: String,
        attempts: u32,
    },
    #[error("{method} {url} returned HTTP {status}{}: {message}{}{}", code(error_code.as_deref()), credentials.as_deref().map(|c| format!(" (credentials from {c})")).unwrap_or_default(), tries(*attempts))]
    Http {
        method: &'static str,
        url: String,
        status: u16,
        error_code: Option<String>,
        message: String,
        attempts: u32,
        /// For 401/403: where the credentials came from (an env var or profile name). Boxed
        /// like `retry_after` (see there).
        credentials: Option<Box<str>>,
        /// The server's `Retry-After`, as sent, when it gave one. Boxed: a rare field, and
        /// the variant stays within the size clippy allows an error (`result_large_err`).
        retry_after: Option<Box<String>>,
    },
    /// A success status with a body that is not JSON: a login page of a proxy, an HTML page.
    #[error("{method} {url} answered HTTP {status} with {content_type} instead of JSON{}", title.as_deref().map(|t| format!(" (page title: {t})")).unwrap_or_default())]
    NotJson {
        method: &'static str,
        url: String,
        status: u16,
        content_type: String,
        title: Option<String>,
    },
    /// Meant to be JSON, but does not parse.
    #[error("{method} {url} returned invalid JSON ({message}): {snippet}")]
    Decode {
        method: &'static str,
        url: String,
        message: String,
        snippet: String,
    },
    /// Valid JSON, but not what the call answers (a field missing or of another type).
    #[error("{method} {url} returned JSON of an unexpected shape: {message}")]
    Shape {
        method: &'static str,
        url: String,
        message: String,
    },
    #[error("{method} {url}: the response is larger than the limit of {limit} bytes (MLGATE_MAX_RESPONSE_BYTES)")]
    TooLarge {
        method: &'static str,
        url: String,
        limit: u64,
        attempts: u32,
    },
    /// Rate limited, and the retries stopped: the budget would run out, or none was left.
    #[error("{method} {url} is rate limited (HTTP {status}, Retry-After: {retry_after}): {stopped}{}", tries(*attempts))]
    RateLimited {
        method: &'static str,
        url: String,
        status: u16,
        retry_after: String,
        stopped: RateStop,
        attempts: u32,
    },
    /// The whole gather's time budget ran out.
    #[error(
        "{method} {url}: the gather budget of {budget} s ran out (MLGATE_GATHER_TIMEOUT){}",
        tries(*attempts)
    )]
    Deadline {
        method: &'static str,
        url: String,
        budget: u64,
        attempts: u32,
    },
}

impl ClientError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Http { status, .. }
            | ClientError::NotJson { status, .. }
            | ClientError::RateLimited { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn error_code(&self) -> Option<&str> {
        match self {
            ClientError::Http { error_code, .. } => error_code.as_deref(),
            _ => None,
        }
    }

    /// How many times the request was sent.
    pub fn attempts(&self) -> u32 {
        match self {
            ClientError::Connect { attempts, .. }
            | ClientError::Timeout { attempts, .. }
            | ClientError::Reset { attempts, .. }
            | ClientError::Truncated { attempts, .. }
            | ClientError::Http { attempts, .. }
            | ClientError::TooLarge { attempts, .. }
            | ClientError::RateLimited { attempts, .. }
            | ClientError::Deadline { attempts, .. } => *attempts,
            _ => 1,
        }
    }

    /// The URL asked, as shown: scheme, host, port, path and query (secret-looking parameters
    /// redacted, never userinfo); for a connection that failed, the server.
    pub fn url(&self) -> &str {
        match self {
            ClientError::Connect { url, .. }
            | ClientError::Timeout { url, .. }
            | ClientError::Reset { url, .. }
            | ClientError::Truncated { url, .. }
            | ClientError::Http { url, .. }
            | ClientError::NotJson { url, .. }
            | ClientError::Decode { url, .. }
            | ClientError::Shape { url, .. }
            | ClientError::TooLarge { url, .. }
            | ClientError::RateLimited { url, .. }
            | ClientError::Deadline { url, .. } => url,
        }
    }

    /// The HTTP method, when a request was sent (a connection that failed sent none).
    pub fn method(&self) -> Option<&'static str> {
        match self {
            ClientError::Connect { .. } => None,
            ClientError::Timeout { method, .. }
            | ClientError::Reset { method, .. }
            | ClientError::Truncated { method, .. }
            | ClientError::Http { method, .. }
            | ClientError::NotJson { method, .. }
            | ClientError::Decode { method, .. }
            | ClientError::Shape { method, .. }
            | ClientError::TooLarge { method, .. }
            | ClientError::RateLimited { method, .. }
            | ClientError::Deadline { method, .. } => Some(method),
        }
    }

    /// The content type of an answer that was not JSON.
    pub fn content_type(&self) -> Option<&str> {
        match self {
            ClientError::NotJson { content_type, .. } => Some(content_type),
            _ => None,
        }
    }

    /// The server's `Retry-After`, when it gave one.
    pub fn retry_after(&self) -> Option<&str> {
        match self {
            ClientError::Http { retry_after, .. } => retry_after.as_deref().map(String::as_str),
            ClientError::RateLimited { retry_after, .. } if retry_after != NOT_GIVEN => {
                Some(retry_after)
            }
            _ => None,
        }
    }

    /// What happened, in the words of the one-line form (`GET URL failed after N attempts:
    /// WHAT`): neither the request nor the attempts, which have their own fields. For an HTTP
    /// refusal, the server's message (the status and code are fields too).
    pub fn what(&self) -> String {
        match self {
            ClientError::Connect { kind, message, .. } => format!("{kind} ({message})"),
            ClientError::Timeout { seconds, .. } => format!(
                "timed out after {seconds} s, body included (MLFLOW_HTTP_REQUEST_TIMEOUT)"
            ),
            ClientError::Reset { message, .. } => {
                format!("connection reset before a response came ({message})")
            }
            ClientError::Truncated { message, .. } => {
                format!("body cut short ({message})")
            }
            ClientError::Http { message, .. } => message.clone(),
            ClientError::NotJson {
                status,
                content_type,
                title,
                ..
            } => format!(
                "HTTP {status} answered {}, not JSON{}",
                essence(content_type),
                title
                    .as_deref()
                    .map(|t| format!(" (page title: {t})"))
                    .unwrap_or_default()
            ),
            ClientError::Decode {
                message, snippet, ..
            } => format!("invalid JSON ({message}): {snippet}"),
            ClientError::Shape { message, .. } => {
                format!("JSON of an unexpected shape: {message}")
            }
            ClientError::TooLarge { limit, .. } => format!(
                "oversized answer, larger than the limit of {limit} bytes (MLGATE_MAX_RESPONSE_BYTES)"
            ),
            ClientError::RateLimited {
                status,
                retry_after,
                stopped,
                ..
            } => format!("HTTP {status} rate limited (Retry-After: {retry_after}): {stopped}"),
            ClientError::Deadline { budget, .. } => {
                format!("the gather budget of {budget} s ran out (MLGATE_GATHER_TIMEOUT)")
            }
        }
    }

    /// `GET /api/2.0/...` — the call, for the snapshot's error entries (the path without the
    /// server, which the snapshot's manifest names once).
    pub fn call(&self) -> String {
        match self {
            ClientError::Connect { url, .. } => format!("connect {}", origin(url)),
            ClientError::Timeout { method, url, .. }
            | ClientError::Reset { method, url, .. }
            | ClientError::Truncated { method, url, .. }
            | ClientError::Http { method, url, .. }
            | ClientError::NotJson { method, url, .. }
            | ClientError::Decode { method, url, .. }
            | ClientError::Shape { method, url, .. }
            | ClientError::TooLarge { method, url, .. }
            | ClientError::RateLimited { method, url, .. }
            | ClientError::Deadline { method, url, .. } => format!("{method} {}", path_of(url)),
        }
    }

    /// The server's own words, or what went wrong on the wire — without the call, which
    /// `call()` gives (the snapshot records both side by side).
    pub fn message(&self) -> String {
        let full = self.to_string();
        let lead = match self {
            ClientError::Http { message, .. } => return message.clone(),
            ClientError::Connect { url, .. } => format!("cannot reach {url}"),
            ClientError::Timeout { method, url, .. }
            | ClientError::Reset { method, url, .. }
            | ClientError::Truncated { method, url, .. }
            | ClientError::NotJson { method, url, .. }
            | ClientError::Decode { method, url, .. }
            | ClientError::Shape { method, url, .. }
            | ClientError::TooLarge { method, url, .. }
            | ClientError::RateLimited { method, url, .. }
            | ClientError::Deadline { method, url, .. } => format!("{method} {url}"),
        };
        full.strip_prefix(&lead).map_or_else(
            || full.clone(),
            |rest| rest.trim_start_matches([':', ' ']).to_string(),
        )
    }

    /// The class of failure, one stable lowercase word: for logs, tests and the snapshot's
    /// error entries (`class`), where rules and scripts may match on it.
    pub fn class(&self) -> &'static str {
        match self {
            ClientError::Connect { kind, .. } => match kind {
                ConnectKind::Refused => "refused",
                ConnectKind::Dns => "dns",
                ConnectKind::Timeout => "connect-timeout",
                ConnectKind::Tls => "tls",
                ConnectKind::Other => "connect",
            },
            ClientError::Timeout { .. } => "timeout",
            ClientError::Reset { .. } => "reset",
            ClientError::Truncated { .. } => "truncated",
            ClientError::Http { .. } => "http",
            ClientError::NotJson { .. } => "not-json",
            ClientError::Decode { .. } => "invalid-json",
            ClientError::Shape { .. } => "shape",
            ClientError::TooLarge { .. } => "too-large",
            ClientError::RateLimited { .. } => "rate-limited",
            ClientError::Deadline { .. } => "deadline",
        }
    }
}

/// What `RateLimited::retry_after` says when the server gave no `Retry-After`.
pub const NOT_GIVEN: &str = "not given";

/// `text/html` of `text/html; charset=utf-8`: the media type, which is what tells a page from
/// JSON.
fn essence(content_type: &str) -> &str {
    content_type
        .split(';')
        .next()
        .unwrap_or(content_type)
        .trim()
}

/// `https://host:port` of a URL.
fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    url[start..].find('/').map_or(url, |i| &url[..start + i])
}

/// The path of a URL (everything from the first `/` after the host, up to the query), or the
/// text itself: the call names the route, the URL holds the query.
fn path_of(url: &str) -> &str {
    let path = match url.find("://") {
        Some(i) => url[i + 3..].find('/').map_or("/", |j| &url[i + 3 + j..]),
        None => url,
    };
    path.find('?').map_or(path, |q| &path[..q])
}

/// An MLflow / Databricks error body. Databricks sends `error_code` as a number on an
/// invalid token (`{"error_code": 403, ...}`, sdk-go #873), so the code is kept as any JSON.
#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error_code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

/// The message of an error body: MLflow's `{error_code, message}` JSON, or the text of an
/// HTML error page (Flask/gunicorn), or the start of whatever else came back.
pub fn describe_body(body: &str) -> (Option<String>, String) {
    if let Ok(error) = serde_json::from_str::<ErrorBody>(body) {
        let code = error.error_code.map(|c| match c {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        return (code, error.message.unwrap_or_else(|| snippet(body)));
    }
    if body.trim_start().starts_with('<') {
        return (None, html_title(body).unwrap_or_else(|| html_text(body)));
    }
    (None, snippet(body))
}

/// The `<title>` of an HTML page, which names an error page better than its whole text.
pub fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = snippet(html.get(start..end)?);
    (title != "(empty body)").then_some(title)
}

/// The first 300 characters of a body, on one line.
pub fn snippet(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 300 {
        format!("{}...", one_line.chars().take(300).collect::<String>())
    } else if one_line.is_empty() {
        "(empty body)".to_string()
    } else {
        one_line
    }
}

/// Visible text of an HTML page: tags and scripts dropped, whitespace folded.
fn html_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    snippet(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_described() {
        let (code, msg) = describe_body(
            r#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Registered Model with name=x not found"}"#,
        );
        assert_eq!(code.as_deref(), Some("RESOURCE_DOES_NOT_EXIST"));
        assert!(msg.contains("name=x"));
        let (code, msg) =
            describe_body(r#"{"error_code": 403, "message": "Invalid access token."}"#);
        assert_eq!(code.as_deref(), Some("403"));
        assert_eq!(msg, "Invalid access token.");
        let (_, msg) = describe_body("<!doctype html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>");
        assert_eq!(msg, "500 Internal Server Error");
    }

    #[test]
    fn messages_leave_the_call_to_call() {
        let e = ClientError::Connect {
            url: "http://h:1".into(),
            kind: ConnectKind::Refused,
            message: "os error 111".into(),
            attempts: 2,
        };
        assert_eq!(e.call(), "connect http://h:1");
        assert_eq!(
            e.message(),
            "connection refused (os error 111) (after 2 attempts)"
        );
        let e = ClientError::TooLarge {
            method: "GET",
            url: "http://h:1/api/x".into(),
            limit: 10,
            attempts: 1,
        };
        assert_eq!(e.call(), "GET /api/x");
        assert!(
            e.message().starts_with("the response is larger"),
            "{}",
            e.message()
        );
    }

    /// A 429 names what ended its retries: the attempt limit when Retry-After was short, the
    /// budget only when waiting would have overrun it.
    #[test]
    fn a_rate_limit_names_what_stopped_the_retries() {
        let limited = |stopped| ClientError::RateLimited {
            method: "GET",
            url: "http://h:5000/api/2.0/mlflow/runs/get?run_id=r".into(),
            status: 429,
            retry_after: "1".into(),
            stopped,
            attempts: 4,
        };
        let spent = limited(RateStop::Attempts);
        assert_eq!(
            spent.to_string(),
            "GET http://h:5000/api/2.0/mlflow/runs/get?run_id=r is rate limited (HTTP 429, Retry-After: 1): still limited when the retries ran out (MLFLOW_HTTP_REQUEST_MAX_RETRIES) (after 4 attempts)"
        );
        assert!(!spent.what().contains("budget"), "{}", spent.what());
        assert_eq!(spent.retry_after(), Some("1"));
        assert_eq!(spent.call(), "GET /api/2.0/mlflow/runs/get");
        let waiting = limited(RateStop::Budget { remaining: 296 });
        assert!(waiting.what().ends_with(
            "waiting would overrun the 296 s left of the gather budget (MLGATE_GATHER_TIMEOUT)"
        ));
        let unsaid = ClientError::RateLimited {
            method: "GET",
            url: "http://h/x".into(),
            status: 429,
            retry_after: NOT_GIVEN.into(),
            stopped: RateStop::Attempts,
            attempts: 4,
        };
        assert_eq!(unsaid.retry_after(), None);
    }

    #[test]
    fn the_one_line_words_name_the_class() {
        let page = ClientError::NotJson {
            method: "GET",
            url: "http://h/x".into(),
            status: 200,
            content_type: "text/html; charset=utf-8".into(),
            title: Some("Sign in".into()),
        };
        assert_eq!(
            page.what(),
            "HTTP 200 answered text/html, not JSON (page title: Sign in)"
        );
        assert_eq!(page.content_type(), Some("text/html; charset=utf-8"));
        let reset = ClientError::Reset {
            method: "GET",
            url: "http://h/x".into(),
            message: "os error 104".into(),
            attempts: 4,
        };
        assert!(
            reset.what().starts_with("connection reset"),
            "{}",
            reset.what()
        );
        assert_eq!((reset.class(), reset.attempts()), ("reset", 4));
        assert!(
            !reset.what().contains("attempts"),
            "the attempts are a field"
        );
    }

    #[test]
    fn urls_are_shown_without_credentials_or_queries() {
        assert_eq!(
            crate::url::shown("https://user:secret@host:8443/api/2.0/x?token=abc"),
            "https://host:8443/api/2.0/x"
        );
        assert_eq!(origin("http://h:5000/api/2.0/x"), "http://h:5000");
        assert_eq!(path_of("http://h:5000/api/2.0/x"), "/api/2.0/x");
        assert_eq!(path_of("/api/2.0/x"), "/api/2.0/x");
        assert_eq!(path_of("http://h:5000/api/2.0/x?run_id=1"), "/api/2.0/x");
    }
}
