//! What a secret looks like: key names that name one ([`secret_key`]), value shapes that are
//! one ([`find_shapes`]), names that are one ([`secret_name`]), values random enough to be
//! hunted elsewhere ([`random_enough`]), and the marker that replaces a secret. A leaf with no
//! snapshot in sight, so the client can redact what cloud storage says in its errors without
//! reaching the snapshot types.
//!
//! Value shapes come from two lists: the gitleaks rule set (vendored, ~220 provider token
//! formats, see `gitleaks/README.md`) and mlgate's own shapes below, for what gitleaks leaves
//! to context it cannot see in a value (a DSN password holding `@`, `?token=` in a URL, a
//! `password=` inside a JSON string param) or names differently. Where both find a secret the
//! union is hidden and mlgate's name is shown.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

// The declarations live here, not in `redact/mod.rs`, so the value-shape leaf stays one
// self-contained unit: mod.rs only applies its decisions.

use super::gitleaks;
pub use super::keys::secret_key;

/// How every marker begins. Outputs that compare values (the candidate against the incumbent)
/// look for it: two redacted values that read the same may still differ.
pub const MARKER: &str = "[redacted: ";

/// What the marker says when a key name gave the value away.
pub(crate) fn by_key(key: &str) -> String {
    by_shape(&key_kind(key))
}

/// What the marker says when the value's shape gave it away.
pub(crate) fn by_shape(kind: &str) -> String {
    format!("{MARKER}looks like a secret ({kind})]")
}

/// The kind a key name gives: `key name "db_password"` (quotes and backslashes dropped, so
/// the marker reads the same in every output).
fn key_kind(key: &str) -> String {
    format!("key name \"{}\"", key.replace(['"', '\\'], ""))
}

/// One secret in a text: its byte range (on char boundaries) and what it looks like
/// (`OpenAI API key`, `gitleaks rule slack-bot-token`, `key name "password"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub range: Range<usize>,
    pub kind: String,
}

/// mlgate's own value shapes. With a capture group, only the group is the secret (the
/// parameter name or scheme around it stays readable).
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
        // `sk-…`, `sk-proj-…`, `sk-svcacct-…` (and Anthropic's `sk-ant-…`): 32 characters at
        // least, so hyphenated words after `sk-` are not taken for keys.
        (r"\bsk-[A-Za-z0-9_-]{32,}", "OpenAI API key"),
        (r"\bhf_[A-Za-z0-9]{30,}", "Hugging Face token"),
        (r"\bxox[abeoprs]-[A-Za-z0-9-]{10,}", "Slack token"),
        (r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}", "Stripe key"),
        // Azure connection strings: `AccountKey=…;`, `SharedAccessKey=…;`, and a SAS token
        // `SharedAccessSignature sr=…&sig=…` (also as the value of `SharedAccessSignature=`).
        (r"(?i)\bAccountKey=([^;\s\x22'<>]+)", "Azure account key"),
        (
            r"(?i)\bSharedAccess(?:Signature|Key)[=\s]((?:SharedAccessSignature\s+)?[^;\s\x22'<>]+)",
            "Azure shared access signature",
        ),
        (r"\bsig=([^&\s\x22'<>]+)", "SAS signature"),
        (
            r#"(?i)\bauthorization["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token|digest|negotiate|ntlm)\s+)?([^\s"',;]+)"#,
            "Authorization header",
        ),
    ]
    .into_iter()
    .filter_map(|(pattern, kind)| Regex::new(pattern).ok().map(|r| (r, kind)))
    .collect()
});

/// `Basic <base64>`: checked by decoding (below), since `basic` starts many sentences.
static BASIC: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})").ok());

/// `scheme://user:password@`: the password of a URL or DSN, up to the *last* `@` of the URL,
/// because DSN passwords hold unencoded `@` and `/` (`postgresql://app:p@ss/w0rd@db/x`). A
/// URL whose path holds an `@` after a port (`http://h:8080/a?mail=x@y`) loses its path too:
/// over-redaction, never a half-shown password.
static USERINFO: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@"'<>]*:([^\s"'<>]+)@"#).ok());

/// `name=value`, `name="value"`, `"name": "value"`, `'name': 'value'` and `name: value` at the
/// start of a line (the rest of the line, as YAML and HTTP headers read it): the value is a
/// secret when [`secret_key`] says the name is one. This catches URL query parameters
/// (`?token=`, `&password=`), connection-string fields (`Password=…;`), JSON or Python-dict
/// string params and config lines, with the same negatives as key names (`token_budget=0.85`).
static KEYED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r#"([A-Za-z][A-Za-z0-9_.-]*)\s*=\s*"((?:[^"\\\n]|\\.)*)""#,
        r"([A-Za-z][A-Za-z0-9_.-]*)\s*=\s*'((?:[^'\\\n]|\\.)*)'",
        r#"([A-Za-z][A-Za-z0-9_.-]*)=([^&\s"'<>;]+)"#,
        r#""([^"\\\n]{1,80})"\s*:\s*"((?:[^"\\\n]|\\.)*)""#,
        r"'([^'\\\n]{1,80})'\s*:\s*'((?:[^'\\\n]|\\.)*)'",
        r#"(?m)^[ \t-]*([A-Za-z][A-Za-z0-9_.-]*)[ \t]*:[ \t]*["']?([^\n]*[^\s"'])"#,
    ]
    .into_iter()
    .filter_map(|p| Regex::new(p).ok())
    .collect()
});

/// A marker already in the text: shapes never reach into one, so redacting twice changes
/// nothing (`password=[redacted: …]` stays as it is).
static MARKERS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\[redacted: looks like a secret \([^\n]*?\)\]").ok());

/// Every secret-shaped part of `text`: sorted, non-overlapping byte ranges, each with the kind
/// the marker names.
pub fn find_shapes(text: &str) -> Vec<Shape> {
    // (range, kind, priority): on overlap the union is hidden, named by the lowest priority.
    let mut found: Vec<(Range<usize>, Cow<'static, str>, usize)> = Vec::new();
    for (priority, (shape, kind)) in SHAPES.iter().enumerate() {
        for caps in shape.captures_iter(text) {
            if let Some(m) = caps.get(1).or_else(|| caps.get(0)) {
                found.push((m.range(), Cow::Borrowed(*kind), priority));
            }
        }
    }
    let next = SHAPES.len();
    if let Some(basic) = BASIC.as_ref() {
        for caps in basic.captures_iter(text) {
            if let Some(m) = caps.get(1).filter(|m| basic_credentials(m.as_str())) {
                found.push((m.range(), Cow::Borrowed("HTTP Basic credentials"), next));
            }
        }
    }
    if let Some(userinfo) = USERINFO.as_ref() {
        for caps in userinfo.captures_iter(text) {
            if let Some(m) = caps.get(1) {
                found.push((m.range(), Cow::Borrowed("password in a URL"), next + 1));
            }
        }
    }
    if text.contains(['=', ':']) {
        for keyed in KEYED.iter() {
            for caps in keyed.captures_iter(text) {
                if let (Some(name), Some(value)) = (caps.get(1), caps.get(2)) {
                    if !value.is_empty() && secret_key(name.as_str()) {
                        let kind = Cow::Owned(key_kind(name.as_str()));
                        found.push((value.range(), kind, next + 2));
                    }
                }
            }
        }
    }
    for hit in gitleaks::find(text) {
        found.push((hit.range, Cow::Borrowed(hit.kind), next + 3));
    }
    let markers: Vec<Range<usize>> = MARKERS
        .as_ref()
        .map(|m| m.find_iter(text).map(|m| m.range()).collect())
        .unwrap_or_default();
    found.retain(|(r, _, _)| {
        !r.is_empty() && !markers.iter().any(|m| r.start < m.end && m.start < r.end)
    });
    merge(found)
}

/// Overlapping ranges joined into one, named by the best-ranked shape among them.
fn merge(mut found: Vec<(Range<usize>, Cow<'static, str>, usize)>) -> Vec<Shape> {
    found.sort_by_key(|(r, _, priority)| (r.start, *priority));
    let mut out: Vec<(Range<usize>, Cow<'static, str>, usize)> = Vec::new();
    for (range, kind, priority) in found {
        match out.last_mut() {
            Some(last) if range.start < last.0.end => {
                last.0.end = last.0.end.max(range.end);
                if priority < last.2 {
                    last.1 = kind;
                    last.2 = priority;
                }
            }
            _ => out.push((range, kind, priority)),
        }
    }
    out.into_iter()
        .map(|(range, kind, _)| Shape {
            range,
            kind: kind.into_owned(),
        })
        .collect()
}

/// Secret-shaped parts of free text replaced by their markers.
pub fn redact_shapes(text: &str) -> String {
    let shapes = find_shapes(text);
    if shapes.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for shape in shapes {
        out.push_str(&text[at..shape.range.start]);
        out.push_str(&by_shape(&shape.kind));
        at = shape.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether a *name* (a param, tag or metric key) is itself secret-shaped, and which secret it
/// looks like: someone logged a token as the name (`sk-proj-…` as a param key).
pub fn secret_name(name: &str) -> Option<String> {
    find_shapes(name).into_iter().next().map(|s| s.kind)
}

/// Whether a string equal to a redacted value, found elsewhere in free text, should be
/// redacted too: only when it is long and random enough to be that secret. Numbers, booleans,
/// words and names (`0.85`, `true`, `production`, `my-model-name`, `hunter22`) are not: hiding
/// every `0.85` in a report because a `token_budget` held it garbles the report and hides
/// nothing. At least 8 characters, mixing two of lower case, upper case and digits, with an
/// entropy of 3 bits per character (or 16 characters and more); or a long single-class string
/// of high entropy (20 characters, 4 bits).
pub fn random_enough(value: &str) -> bool {
    let length = value.chars().count();
    if length < 8 || value.trim().parse::<f64>().is_ok() {
        return false;
    }
    let has = |f: fn(&char) -> bool| value.chars().any(|c| f(&c));
    let classes = usize::from(has(char::is_ascii_lowercase))
        + usize::from(has(char::is_ascii_uppercase))
        + usize::from(has(char::is_ascii_digit));
    let entropy = gitleaks::shannon_entropy(value);
    (classes >= 2 && (entropy >= 3.0 || length >= 16))
        || (length >= 20 && entropy >= 4.0 && !has(|c| c.is_whitespace()))
}

/// Whether a `Basic` credential decodes to `user:password` (printable, with a colon).
fn basic_credentials(encoded: &str) -> bool {
    let digits: Vec<u8> = encoded
        .bytes()
        .take_while(|b| *b != b'=')
        .filter_map(|b| match b {
            b'A'..=b'Z' => Some(b - b'A'),
            b'a'..=b'z' => Some(b - b'a' + 26),
            b'0'..=b'9' => Some(b - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        })
        .collect();
    let decoded: Vec<u8> = digits
        .chunks(4)
        .flat_map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, d)| acc | u32::from(*d) << (18 - 6 * i));
            let bytes = bits.to_be_bytes();
            bytes[1..chunk.len().max(1)].to_vec()
        })
        .collect();
    decoded.contains(&b':') && decoded.iter().all(|b| (0x20..0x7f).contains(b))
}

#[cfg(test)]
mod tests;
