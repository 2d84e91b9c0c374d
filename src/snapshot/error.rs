//! One failed call of a gather, as the snapshot records it (`errors[]`): which section it left
//! empty, the request, and everything the client knew about the failure — the full URL with
//! its query, the class, the attempts, a content type that was not JSON, `Retry-After` — and
//! the one line every output says it in ([`GatherError::describe`]). Entries written before
//! those fields existed still load and read as they did.

use serde::{Deserialize, Serialize};

/// A call that failed while gathering `section`, with everything the client knew about it.
/// The fields of [`Detail`] were added to schema version 1 without changing the meaning of any
/// other: older snapshots lack them and still load (each is optional), and `describe` then
/// reads as it did.
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
    /// What the client knew about the call beyond the server's words. Its fields sit beside
    /// the others in the JSON (flattened); boxed, so an entry stays small where it travels as
    /// an error value.
    #[serde(flatten)]
    pub detail: Box<Detail>,
}

/// What the client knew about a failed call: the request, the class of failure, the attempts,
/// and what the answer said about itself. Every field is optional: an older snapshot has none.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Detail {
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
        let d = &*self.detail;
        if d.url.is_none() && d.class.is_none() {
            let status = match (self.http_status, self.error_code.as_deref()) {
                (Some(s), Some(c)) => format!("HTTP {s} {c}: "),
                (Some(s), None) => format!("HTTP {s}: "),
                (None, Some(c)) => format!("{c}: "),
                (None, None) => String::new(),
            };
            return format!("{} failed ({status}{})", self.call, self.message);
        }
        let request = match (d.method.as_deref(), d.url.as_deref()) {
            (Some(method), Some(url)) => format!("{method} {url}"),
            _ => self.call.clone(),
        };
        let tries = match d.attempts {
            Some(n) if n > 1 => format!(" after {n} attempts"),
            _ => String::new(),
        };
        // An HTTP refusal's message is the server's own: the status and code lead, the message
        // follows in parentheses. Every other class's message already says what happened.
        let what = match (d.class.as_deref(), self.http_status) {
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

    /// The request of the examples: a `runs/get` sent 4 times.
    fn runs_get(class: &str, attempts: u32) -> Detail {
        Detail {
            method: Some("GET".into()),
            url: Some("http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc".into()),
            class: Some(class.into()),
            attempts: Some(attempts),
            ..Detail::default()
        }
    }

    fn http_503() -> GatherError {
        GatherError {
            section: "run".into(),
            call: "GET /api/2.0/mlflow/runs/get".into(),
            http_status: Some(503),
            error_code: Some("TEMPORARILY_UNAVAILABLE".into()),
            message: "down for maintenance".into(),
            detail: Box::new(runs_get("http", 4)),
        }
    }

    #[test]
    fn one_line_names_the_url_the_attempts_and_the_answer() {
        assert_eq!(
            http_503().describe(),
            "GET http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc failed after 4 attempts: HTTP 503 TEMPORARILY_UNAVAILABLE (down for maintenance)"
        );
        let once = GatherError {
            error_code: None,
            message: String::new(),
            detail: Box::new(runs_get("http", 1)),
            ..http_503()
        };
        assert_eq!(
            once.describe(),
            "GET http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc failed: HTTP 503"
        );
        let mut page = GatherError {
            http_status: Some(200),
            error_code: None,
            message: "HTTP 200 answered text/html, not JSON (page title: Sign in)".into(),
            detail: Box::new(runs_get("not-json", 1)),
            ..http_503()
        };
        page.detail.content_type = Some("text/html; charset=utf-8".into());
        assert_eq!(
            page.describe(),
            "GET http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc failed: HTTP 200 answered text/html, not JSON (page title: Sign in)"
        );
        let refused = GatherError {
            call: "connect http://h:1".into(),
            message: "connection refused (os error 111)".into(),
            detail: Box::new(Detail {
                url: Some("http://h:1".into()),
                class: Some("refused".into()),
                attempts: Some(2),
                ..Detail::default()
            }),
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
        assert_eq!(*old.detail, Detail::default());
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
    fn new_fields_sit_beside_the_others_round_trip_and_absent_ones_are_not_written() {
        let mut entry = http_503();
        entry.detail.retry_after = Some("1".into());
        let value = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            value["url"],
            "http://127.0.0.1:5000/api/2.0/mlflow/runs/get?run_id=abc"
        );
        assert_eq!(
            (value["attempts"].as_u64(), &value["retry_after"]),
            (Some(4), &serde_json::json!("1"))
        );
        assert!(value.get("detail").is_none(), "flattened: {value}");
        assert_eq!(serde_json::from_value::<GatherError>(value).unwrap(), entry);
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
        assert_eq!(*entry.detail, Detail::default());
        assert!(entry
            .describe()
            .starts_with("GET /api/2.0/permissions/experiments/"));
        // Saved again, it reads the same: nothing is added to an entry that had nothing.
        let again = crate::snapshot::io::to_json(&snapshot).unwrap();
        let reread =
            crate::snapshot::io::parse(&again, std::path::Path::new("again.json")).unwrap();
        assert_eq!(reread.errors, snapshot.errors);
    }
}
