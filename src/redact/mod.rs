//! Secret redaction for everything mlgate writes: the snapshot a run shows (terminal, Markdown,
//! JSON results, JUnit, SARIF, GitHub) and the file `mlgate snapshot` saves. Servers hold what
//! people logged, and people log secrets: a `db_password` param, a `dapi…` token in a tag, an
//! AWS key pasted into a description, a DSN with its password. A CI log or a job summary is
//! read by far more people than the tracking server, so such values are replaced by a marker
//! saying why (`[redacted: looks like a secret (key name "db_password")]`) and the report stays
//! readable.
//!
//! Redaction is for outputs only. Rules evaluate the snapshot as gathered, in memory, so a rule
//! such as "no param may hold a token" still sees the token and fails; its finding message is
//! then redacted like everything else ([`Redactor::text`]). `--no-redact` keeps raw values.
//!
//! Independently of `--no-redact`, the URLs a snapshot records (`manifest.tracking_uri`,
//! `manifest.ui_url`) lose their userinfo and query string: they are connection settings, not
//! facts about the model, and `http://user:pw@host/?token=…` is how people pass credentials.

use serde_json::Value;

use crate::snapshot::Snapshot;

pub mod shapes;

use shapes::by_key;
pub use shapes::{redact_shapes, secret_key, MARKER};

/// The secrets of one snapshot, found while redacting it, to redact wherever else they show up
/// (finding messages quote the values they judged).
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// Raw values redacted because of their key name, longest first.
    known: Vec<(String, String)>,
    enabled: bool,
}

impl Redactor {
    /// A redactor that changes nothing (`--no-redact`).
    pub fn off() -> Self {
        Self::default()
    }

    /// `text` with every secret-shaped part and every value redacted in the snapshot replaced
    /// by its marker.
    pub fn text(&self, text: &str) -> String {
        if !self.enabled {
            return text.to_string();
        }
        let mut out = text.to_string();
        for (secret, marker) in &self.known {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), marker);
            }
        }
        redact_shapes(&out)
    }
}

/// The snapshot as outputs show it, and the redactor for texts derived from it (findings).
/// With `redact` false only the recorded URLs are cleaned.
pub fn snapshot(s: &Snapshot, redact: bool) -> (Snapshot, Redactor) {
    let mut shown = s.clone();
    clean_urls(&mut shown);
    if !redact {
        return (shown, Redactor::off());
    }
    let mut redactor = Redactor {
        known: Vec::new(),
        enabled: true,
    };
    let Ok(mut value) = serde_json::to_value(&shown) else {
        return (shown, redactor);
    };
    walk(&mut value, None, &mut redactor.known);
    // The same shape read back: a snapshot serialises and parses losslessly (it is saved and
    // replayed that way), so this fails only on a bug; then the marker-free copy is dropped
    // rather than shown, keeping what can be kept.
    let shown = match serde_json::from_value::<Snapshot>(value) {
        Ok(redacted) => redacted,
        Err(_) => Snapshot::not_gathered(
            shown.target.clone(),
            shown.manifest.tracking_uri.clone(),
            shown.manifest.backend,
            shown.manifest.gathered_at.clone(),
            crate::snapshot::GatherError {
                section: "snapshot".into(),
                call: "redact".into(),
                http_status: None,
                error_code: None,
                message: "the snapshot could not be redacted; run with --no-redact to see it"
                    .into(),
            },
        ),
    };
    redactor
        .known
        .sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    redactor.known.dedup();
    (shown, redactor)
}

/// Userinfo and query string off the URLs a snapshot records about the connection.
fn clean_urls(s: &mut Snapshot) {
    use crate::url::shown as shown_url;
    if let Some(uri) = &s.manifest.tracking_uri {
        s.manifest.tracking_uri = Some(shown_url(uri));
    }
    if let Some(Value::String(ui)) = s.manifest.extra.get_mut("ui_url") {
        *ui = shown_url(ui);
    }
}

/// Shorter values are left alone by [`Redactor::text`]: replacing `1` or `yes` everywhere would
/// garble messages, and such values hardly keep anything secret.
const MIN_KNOWN: usize = 4;

fn walk(value: &mut Value, key: Option<&str>, known: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) => {
            if let Some(key) = key.filter(|k| secret_key(k)) {
                let marker = by_key(key);
                if text.chars().count() >= MIN_KNOWN {
                    known.push((std::mem::take(text), marker.clone()));
                }
                *text = marker;
            } else {
                let redacted = redact_shapes(text);
                if redacted != *text {
                    *text = redacted;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, None, known);
            }
        }
        Value::Object(map) => {
            // MLflow's wire lists of tags and params: `{"key": "db_password", "value": "…"}`.
            let named = map
                .get("key")
                .and_then(Value::as_str)
                .filter(|k| secret_key(k) && map.get("value").is_some_and(Value::is_string))
                .map(str::to_string);
            for (k, v) in map.iter_mut() {
                let k = if k == "value" {
                    named.as_deref().unwrap_or(k)
                } else {
                    k
                };
                walk(v, Some(k), known);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names() {
        for key in [
            "password",
            "db_password",
            "DB_PASSWORD",
            "dbPassword",
            "passwd",
            "client_secret",
            "clientSecret",
            "api_key",
            "apiKey",
            "API-KEY",
            "apikey",
            "auth_token",
            "access_token",
            "token",
            "aws_access_key_id",
            "private_key",
            "credentials",
            "mlflow.secret",
        ] {
            assert!(secret_key(key), "{key}");
        }
        for key in [
            "max_tokens",
            "tokenizer",
            "tokenizer_type",
            "learning_rate",
            "key",
            "mlflow.user",
            "monkey",
            "passage",
        ] {
            assert!(!secret_key(key), "{key}");
        }
    }

    #[test]
    fn value_shapes() {
        let dapi = format!("dapi{}", "0123456789abcdef".repeat(2));
        for (text, kind) in [
            (format!("token {dapi} here"), "Databricks token"),
            (format!("ghp_{}", "a".repeat(36)), "GitHub token"),
            ("key AKIAIOSFODNN7EXAMPLE.".to_string(), "AWS access key"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----".into(),
                "private key",
            ),
            ("Authorization: Bearer abc.def.ghi".into(), "bearer token"),
            (
                "token IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH".into(),
                "AWS session token",
            ),
            ("ya29.c.b0AXv0zTPexample-token".into(), "Google OAuth token"),
            (
                "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=abc%2Fdef&X-Amz-Date=1".into(),
                "signed URL parameter",
            ),
            (
                "sv=2023-11-03&se=2026-01-01&sr=d&sp=rl&sig=aBcD0123456789%2Bxyz%3D".into(),
                "SAS signature",
            ),
            (
                "postgresql://app:hunter22@db:5432/x".into(),
                "password in a URL",
            ),
        ] {
            let out = redact_shapes(&text);
            assert!(out.contains(kind), "{text} → {out}");
        }
        let out = redact_shapes("postgresql://app:hunter22@db:5432/x");
        assert!(
            !out.contains("hunter22") && out.contains("postgresql://app:"),
            "{out}"
        );
        assert_eq!(
            redact_shapes("accuracy 0.91, https://host/x"),
            "accuracy 0.91, https://host/x"
        );
    }

    #[test]
    fn known_values_are_redacted_in_free_text() {
        let mut value = serde_json::json!({
            "params": { "db_password": "hunter22", "lr": "0.1" },
            "tags": [{ "key": "api_key", "value": "k-123456" }],
        });
        let mut known = Vec::new();
        walk(&mut value, None, &mut known);
        assert_eq!(
            value["params"]["db_password"],
            "[redacted: looks like a secret (key name \"db_password\")]"
        );
        assert_eq!(value["params"]["lr"], "0.1");
        assert!(value["tags"][0]["value"]
            .as_str()
            .unwrap()
            .contains("api_key"));
        let r = Redactor {
            known,
            enabled: true,
        };
        assert!(!r.text("param db_password is hunter22").contains("hunter22"));
        assert!(!r.text("k-123456").contains("k-123456"));
        assert_eq!(Redactor::off().text("hunter22"), "hunter22");
    }
}
