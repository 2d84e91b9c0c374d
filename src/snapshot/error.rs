//! One failed call of a gather, as the snapshot records it (`errors[]`): which section it left
//! empty, the request, and everything the client knew about the failure — the full URL with
//! its query, the class, the attempts, a content type that was not JSON, `Retry-After` — and
//! the one line every output says it in ([`GatherError::describe`]). Entries written before
//! those fields existed still load and read as they did.

use serde::{Deserialize, Serialize};

/// A call that failed while gathering `section`, with everything the client knew about it.
/// The fields after `message` were added to schema version 1 without changing the meaning of
/// any other: older snapshots lack them and still load (each is optional), and `describe`
/// then reads as it did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct GatherError {
    /// Snapshot path of what is missing because of this call (`permissions.experiment`).
    pub section: String,
    /// The request, e.g. `GET /api/2.0/permissions/experiments/42`.
    pub call: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The server's message for an HTTP refusal, else what went wrong on the wire.
    pub message: String,
    /// The HTTP method of the request, when one was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The full URL asked: scheme, host, port, path and query (MLflow's queries hold the ids);
    /// never userinfo, secret-looking query parameters redacted. For a connection that
    /// failed, the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What kind of failure, one stable lowercase word of the client's taxonomy (`http`,
    /// `reset`, `truncated`, `timeout`, `not-json`, `too-large`, `rate-limited`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// How many times the request was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// The content type of an answer that was not JSON (`text/html; charset=utf-8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The server's `Retry-After`, as sent, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
}

impl GatherError {
    /// The one wording every output uses, on one line:
    /// `GET http://host:5000/api/2.0/mlflow/runs/get?run_id=… failed after 4 attempts: HTTP 503
    /// TEMPORARILY_UNAVAILABLE (message)`. An entry without a URL or class (an older snapshot,
    /// a failure that was no request) reads as before: `GET /path failed (HTTP 400 CODE:
    /// message)`.
    pub fn describe(&self) -> String {
        if self.url.is_none() && self.class.is_none() {
            let status = match (self.http_status, self.error_code.as_deref()) {
                (Some(s), Some(c)) => format!("HTTP {s} {c}: "),
                (Some(s), None) => format!("HTTP {s}: "),
                (None, Some(c)) => format!("{c}: "),
                (None, None) => String::new(),
            };
            return format!("{} failed ({status}{})", self.call, self.message);
        }
        let request = match (self.method.as_deref(), self.url.as_deref()) {
            (Some(method), Some(url)) => format!("{method} {url}"),
            _ => self.call.clone(),
        };
        let tries = match self.attempts {
            Some(n) if n > 1 => format!(" after {n} attempts"),
            _ => String::new(),
        };
        // An HTTP refusal's message is the server's own: the status and code lead, the message
        // follows in parentheses. Every other class's message already says what happened.
        let what = match (self.class.as_deref(), self.http_status) {
            (Some("http") | None, Some(status)) => {
                let code = self
                    .error_code
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default();
                if self.message.is_empty() {
                    format!("HTTP {status}{code}")
                } else {
                    format!("HTTP {status}{code} ({})", self.message)
                }
            }
            _ => self.message.clone(),
        };
        format!("{request} failed{tries}: {what}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_503() -> GatherError {
        GatherError {
            section: "run".into(),
            call: "GET /api/2.0/mlflow/runs/get".into(),
            http_status: Some(503),
            error_code: Some("TEMPORARILY_UNAVAILABLE".into()),
            message: "down for maintenance".into(),
            method: Some("GET".into()),
            url: Some("http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc".into()),
            class: Some("http".into()),
            attempts: Some(4),
            ..GatherError::default()
        }
    }

    #[test]
    fn one_line_names_the_url_the_attempts_and_the_answer() {
        assert_eq!(
            http_503().describe(),
            "GET http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc failed after 4 attempts: HTTP 503 TEMPORARILY_UNAVAILABLE (down for maintenance)"
        );
        let once = GatherError {
            attempts: Some(1),
            error_code: None,
            message: String::new(),
            ..http_503()
        };
        assert_eq!(
            once.describe(),
            "GET http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc failed: HTTP 503"
        );
        let page = GatherError {
            http_status: Some(200),
            error_code: None,
            class: Some("not-json".into()),
            attempts: Some(1),
            content_type: Some("text/html; charset=utf-8".into()),
            message: "HTTP 200 answered text/html, not JSON (page title: Sign in)".into(),
            ..http_503()
        };
        assert_eq!(
            page.describe(),
            "GET http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc failed: HTTP 200 answered text/html, not JSON (page title: Sign in)"
        );
        let refused = GatherError {
            call: "connect http://h:1".into(),
            method: None,
            url: Some("http://h:1".into()),
            class: Some("refused".into()),
            attempts: Some(2),
            http_status: None,
            error_code: None,
            message: "connection refused (os error 111)".into(),
            ..GatherError::default()
        };
        assert_eq!(
            refused.describe(),
            "connect http://h:1 failed after 2 attempts: connection refused (os error 111)"
        );
    }

    #[test]
    fn an_entry_of_an_older_snapshot_loads_and_reads_as_it_did() {
        let old: GatherError = serde_json::from_str(
            r#"{"section": "permissions.experiment", "call": "GET /api/2.0/permissions/experiments/3",
                "http_status": 400, "error_code": "INVALID_PARAMETER_VALUE", "message": "Object 3 not a experiment."}"#,
        )
        .expect("an old-shape entry loads");
        assert_eq!(
            (old.url.as_deref(), old.class.as_deref(), old.attempts),
            (None, None, None)
        );
        assert_eq!(
            old.describe(),
            "GET /api/2.0/permissions/experiments/3 failed (HTTP 400 INVALID_PARAMETER_VALUE: Object 3 not a experiment.)"
        );
        let minimal: GatherError =
            serde_json::from_str(r#"{"section": "run", "call": "GET /x", "message": "m"}"#)
                .expect("the fewest fields load");
        assert_eq!(minimal.describe(), "GET /x failed (m)");
    }

    #[test]
    fn new_fields_round_trip_and_absent_ones_are_not_written() {
        let entry = GatherError {
            retry_after: Some("1".into()),
            content_type: Some("text/html".into()),
            ..http_503()
        };
        let text = serde_json::to_string(&entry).unwrap();
        assert_eq!(serde_json::from_str::<GatherError>(&text).unwrap(), entry);
        let bare = serde_json::to_value(GatherError::default()).unwrap();
        let keys: Vec<&str> = bare
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["section", "call", "message"]);
    }

    #[test]
    fn the_bundled_example_snapshot_still_loads() {
        let text = include_str!("../../examples/dolly3b.snapshot.json");
        let snapshot =
            crate::snapshot::io::parse(text, std::path::Path::new("dolly3b.snapshot.json"))
                .expect("the example loads");
        assert_eq!(snapshot.schema_version, crate::snapshot::SCHEMA_VERSION);
        let entry = &snapshot.errors[0];
        assert_eq!(entry.http_status, Some(400));
        assert!(entry.url.is_none() && entry.class.is_none());
        assert!(entry
            .describe()
            .starts_with("GET /api/2.0/permissions/experiments/"));
    }
}
