//! Secret redaction for everything mlgate writes: the snapshot a run shows (terminal, Markdown,
//! JSON results, JUnit, SARIF, GitHub) and the file `mlgate snapshot` saves. Servers hold what
//! people logged, and people log secrets: a `db_password` param, a `dapi…` token in a tag, an
//! AWS key pasted into a description, a DSN with its password. A CI log or a job summary is
//! read by far more people than the tracking server, so such values are replaced by a marker
//! saying why (`[redacted: looks like a secret (key name "db_password")]`) and the report stays
//! readable.
//!
//! Redaction is for outputs only, and it is decided once, on the values ([`decide`]: by key
//! name, by value shape, by the shape of a key itself), before anything is rendered. Rules
//! evaluate the snapshot as gathered, in memory, so a rule such as "no param may hold a token"
//! still sees the token and fails; every value its message quotes is shown through the same
//! decision (`engine::evaluate_redacted`), and every sink renders the redacted snapshot, so no
//! escaping or cutting of text can bring a raw value back. A saved snapshot lists what it
//! redacted (`manifest.redacted`), so a replay never judges a marker as if it were the value.
//! `--no-redact` keeps raw values.
//!
//! Independently of `--no-redact`, the URLs a snapshot records (`manifest.tracking_uri`,
//! `manifest.ui_url`) lose their userinfo and query string: they are connection settings, not
//! facts about the model, and `http://user:pw@host/?token=…` is how people pass credentials.

use serde_json::Value;

use crate::snapshot::Snapshot;

mod decide;
mod gitleaks;
mod keys;
pub mod shapes;

pub use decide::{decide, Masks};
pub use shapes::{redact_shapes, secret_key, MARKER};

/// The snapshot as outputs show it and `mlgate snapshot` saves it. With `redact`, the values
/// [`decide`] finds secret are replaced by their markers and listed in `manifest.redacted`
/// (with those a replayed snapshot already listed); without, only the recorded URLs are
/// cleaned.
pub fn snapshot(s: &Snapshot, redact: bool) -> Snapshot {
    let mut shown = s.clone();
    clean_urls(&mut shown);
    if !redact {
        return shown;
    }
    let Ok(doc) = serde_json::to_value(&shown) else {
        return unredactable(&shown);
    };
    let masks = decide(&doc);
    if masks.is_empty() {
        return shown;
    }
    // The same shape read back: a snapshot serialises and parses losslessly (it is saved and
    // replayed that way), so this fails only on a bug; then the marker-free copy is dropped
    // rather than shown, keeping what can be kept.
    let Ok(mut redacted) = serde_json::from_value::<Snapshot>(masks.apply(&doc)) else {
        return unredactable(&shown);
    };
    let listed = &mut redacted.manifest.redacted;
    listed.extend(masks.redacted().iter().cloned());
    listed.sort();
    listed.dedup();
    redacted
}

/// What is shown of a snapshot that could not be redacted: nothing but why.
fn unredactable(shown: &Snapshot) -> Snapshot {
    Snapshot::not_gathered(
        shown.target.clone(),
        shown.manifest.tracking_uri.clone(),
        shown.manifest.backend,
        shown.manifest.gathered_at.clone(),
        crate::snapshot::GatherError {
            section: "snapshot".into(),
            call: "redact".into(),
            http_status: None,
            error_code: None,
            message: "the snapshot could not be redacted; run with --no-redact to see it".into(),
            ..crate::snapshot::GatherError::default()
        },
    )
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
}
