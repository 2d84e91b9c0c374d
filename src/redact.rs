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

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::snapshot::Snapshot;

/// How every marker begins. Outputs that compare values (the candidate against the incumbent)
/// look for it: two redacted values that read the same may still differ.
pub const MARKER: &str = "[redacted: ";

/// What the marker says when a key name gave the value away.
fn by_key(key: &str) -> String {
    format!(
        "{MARKER}looks like a secret (key name \"{}\")]",
        key.replace(['"', '\\'], "")
    )
}

/// What the marker says when the value's shape gave it away.
fn by_shape(kind: &str) -> String {
    format!("{MARKER}looks like a secret ({kind})]")
}

/// Whether a param, tag or field name names a secret: one of its words (split at `_`, `-`,
/// `.`, spaces and camelCase) is password, passwd, secret, token, credential(s), apikey,
/// or the pairs api key / private key / access key; or a word contains password, passwd or
/// secret (`dbpassword`, `clientsecret`) or ends in token (`authtoken`). Case-insensitive.
/// `max_tokens` and `tokenizer` are not secrets, and are not matched.
pub fn secret_key(key: &str) -> bool {
    let words = words(key);
    let single = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "password"
                | "passwd"
                | "pwd"
                | "secret"
                | "token"
                | "credential"
                | "credentials"
                | "apikey"
                | "accesskey"
                | "privatekey"
        ) || w.contains("password")
            || w.contains("passwd")
            || w.contains("secret")
            || w.ends_with("token")
    });
    let pair = words
        .windows(2)
        .any(|p| p[1] == "key" && matches!(p[0].as_str(), "api" | "private" | "access"));
    single || pair
}

/// `dbPassword.v2` → `["db", "password", "v2"]`.
fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_numeric();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Value shapes that are secrets wherever they appear, with the name the marker gives them.
static SHAPES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"dapi[0-9a-f]{32}(?:-[0-9]+)?", "Databricks token"),
        (r"\bgh[pousr]_[A-Za-z0-9]{36,}", "GitHub token"),
        (r"\bgithub_pat_[A-Za-z0-9_]{22,}", "GitHub token"),
        (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", "AWS access key"),
        (
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)",
            "private key",
        ),
        (r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}", "bearer token"),
        // STS session tokens begin with one of these base64 prefixes (AWS STS, all regions).
        (
            r"\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9+/=]{16,}",
            "AWS session token",
        ),
        (r"\bya29\.[A-Za-z0-9._-]{10,}", "Google OAuth token"),
        // The signing parts of presigned S3 and GCS URLs, and the signature of an Azure SAS.
        (
            r"(?i)\bX-(?:Amz|Goog)-(?:Signature|Security-Token|Credential)=[^&\s\x22'<>]+",
            "signed URL parameter",
        ),
        (r"\bsig=[A-Za-z0-9%+/=]{10,}", "SAS signature"),
    ]
    .into_iter()
    .filter_map(|(pattern, kind)| Regex::new(pattern).ok().map(|r| (r, kind)))
    .collect()
});

/// `scheme://user:password@`: the password part of a URL or DSN.
static USERINFO: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/\s:@]*):[^/\s@]+@").ok()
});

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

/// Secret-shaped parts of free text replaced by their markers.
pub fn redact_shapes(text: &str) -> String {
    let mut out = text.to_string();
    for (shape, kind) in SHAPES.iter() {
        if shape.is_match(&out) {
            out = shape
                .replace_all(&out, by_shape(kind).as_str())
                .into_owned();
        }
    }
    if let Some(userinfo) = USERINFO.as_ref() {
        if userinfo.is_match(&out) {
            let marker = by_shape("password in a URL");
            out = userinfo
                .replace_all(&out, |c: &regex::Captures<'_>| {
                    format!("{}{}:{marker}@", &c["scheme"], &c["user"])
                })
                .into_owned();
        }
    }
    out
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
