//! Client errors: what was asked, of which URL, and what the server said.

use thiserror::Error;

/// A failed request to the tracking server.
#[derive(Debug, Error, Clone)]
pub enum ClientError {
    #[error("cannot reach the tracking server at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("{method} {path} timed out after {seconds} s (MLFLOW_HTTP_REQUEST_TIMEOUT)")]
    Timeout {
        method: &'static str,
        path: String,
        seconds: u64,
    },
    // A numeric `error_code` (Databricks' invalid-token 403) only repeats the status.
    #[error("{method} {path} returned HTTP {status}{}: {message}", error_code.as_deref().filter(|c| !c.bytes().all(|b| b.is_ascii_digit())).map(|c| format!(" {c}")).unwrap_or_default())]
    Http {
        method: &'static str,
        path: String,
        status: u16,
        error_code: Option<String>,
        message: String,
    },
    #[error("{method} {path} returned a body that is not valid JSON ({message}): {snippet}")]
    Decode {
        method: &'static str,
        path: String,
        message: String,
        snippet: String,
    },
    /// Valid JSON, but not what the call answers (a field missing or of another type).
    #[error("{method} {path} returned JSON of an unexpected shape: {message}")]
    Shape {
        method: &'static str,
        path: String,
        message: String,
    },
    /// The response started but its body could not be read to the end.
    #[error("{method} {path}: the response body could not be read ({message})")]
    Body {
        method: &'static str,
        path: String,
        message: String,
    },
}

impl ClientError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn error_code(&self) -> Option<&str> {
        match self {
            ClientError::Http { error_code, .. } => error_code.as_deref(),
            _ => None,
        }
    }

    /// `GET /api/2.0/...` — the call, for the snapshot's error entries.
    pub fn call(&self) -> String {
        match self {
            ClientError::Connect { url, .. } => format!("connect {url}"),
            ClientError::Timeout { method, path, .. }
            | ClientError::Http { method, path, .. }
            | ClientError::Decode { method, path, .. }
            | ClientError::Shape { method, path, .. }
            | ClientError::Body { method, path, .. } => format!("{method} {path}"),
        }
    }

    /// The server's own words (or the transport failure).
    pub fn message(&self) -> String {
        match self {
            ClientError::Http { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
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
        return (None, html_text(body));
    }
    (None, snippet(body))
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
        assert!(msg.contains("500 Internal Server Error"), "{msg}");
    }
}
