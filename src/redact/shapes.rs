//! What a secret looks like: key names that name one and value shapes that are one, and the
//! marker that replaces it. A leaf with no snapshot in sight, so the client can redact what
//! cloud storage says in its errors without reaching the snapshot types.

use std::sync::LazyLock;

use regex::Regex;

/// How every marker begins. Outputs that compare values (the candidate against the incumbent)
/// look for it: two redacted values that read the same may still differ.
pub const MARKER: &str = "[redacted: ";

/// What the marker says when a key name gave the value away.
pub(crate) fn by_key(key: &str) -> String {
    format!(
        "{MARKER}looks like a secret (key name \"{}\")]",
        key.replace(['"', '\\'], "")
    )
}

/// What the marker says when the value's shape gave it away.
pub(crate) fn by_shape(kind: &str) -> String {
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
pub(crate) fn words(key: &str) -> Vec<String> {
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
