//! What happens on the wire, in words: classifying reqwest's failures into the error taxonomy
//! (refused, DNS, connect timeout, TLS, reset before the response, timeout, cut-short body),
//! reading a body under the size limit while it streams, `Retry-After` in seconds or as an HTTP
//! date, jittered backoff, and decoding JSON with the difference between "not JSON at all",
//! "broken JSON" and "JSON of another shape" kept.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use serde::de::DeserializeOwned;

use super::error::{html_title, snippet, ClientError, ConnectKind};

/// A response read whole: status, content type and body.
pub(super) struct Answer {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

/// Why a body could not be read.
pub(super) enum BodyError {
    TooLarge,
    Timeout,
    Cut(String),
}

/// Reads the body, refusing it as soon as it passes `limit` bytes (also when the server sent no
/// Content-Length), so a runaway answer costs at most `limit` of memory.
pub(super) async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<String, BodyError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge);
    }
    // Chunks are kept as they come and joined once at the end: a growing buffer would copy
    // itself on every doubling and hold twice the limit at the worst moment.
    let mut chunks = Vec::new();
    let mut size = 0u64;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                size += chunk.len() as u64;
                if size > limit {
                    return Err(BodyError::TooLarge);
                }
                chunks.push(chunk);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return Err(BodyError::Timeout),
            Err(e) => return Err(BodyError::Cut(root_cause(&e))),
        }
    }
    let body = chunks.concat();
    // Not UTF-8 is not JSON either; the decoder says so with the bytes it saw.
    Ok(String::from_utf8(body)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// How a request that got no response failed.
pub(super) enum SendFailure {
    Connect(ConnectKind, String),
    Timeout,
    /// Sent, then the connection was closed or reset before any response.
    Reset(String),
}

impl SendFailure {
    /// The error for this failure of `method url` (`origin`: the server, for connect errors);
    /// a timeout is the request's own, of `seconds`.
    pub(super) fn into_error(
        self,
        method: &'static str,
        url: &str,
        origin: &str,
        seconds: u64,
        attempts: u32,
    ) -> ClientError {
        match self {
            SendFailure::Connect(kind, message) => ClientError::Connect {
                url: origin.to_string(),
                kind,
                message,
                attempts,
            },
            SendFailure::Timeout => ClientError::Timeout {
                method,
                url: url.to_string(),
                seconds,
                attempts,
            },
            SendFailure::Reset(message) => ClientError::Reset {
                method,
                url: url.to_string(),
                message,
                attempts,
            },
        }
    }
}

pub(super) fn classify(e: &reqwest::Error) -> SendFailure {
    let cause = root_cause(e);
    let lower = cause.to_ascii_lowercase();
    if e.is_timeout() {
        return if e.is_connect() {
            SendFailure::Connect(ConnectKind::Timeout, cause)
        } else {
            SendFailure::Timeout
        };
    }
    if e.is_connect() || e.is_builder() {
        // TLS first: rustls names a host-name mismatch with `DnsName(...)`.
        let kind = if lower.contains("refused") {
            ConnectKind::Refused
        } else if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake")
            || lower.contains("ssl")
        {
            ConnectKind::Tls
        } else if lower.contains("dns")
            || lower.contains("lookup")
            || lower.contains("name or service not known")
            || lower.contains("no address")
        {
            ConnectKind::Dns
        } else {
            ConnectKind::Other
        };
        return SendFailure::Connect(kind, cause);
    }
    SendFailure::Reset(cause)
}

/// The server's `Retry-After`: the wait, and the header as sent (quoted in errors).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<(Duration, String)> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().to_string();
    if let Ok(seconds) = raw.parse::<u64>() {
        return Some((Duration::from_secs(seconds), raw));
    }
    // An HTTP date (RFC 9110 §10.2.3): the wait is until then, or none if it has passed.
    let at =
        time::OffsetDateTime::parse(&raw, &time::format_description::well_known::Rfc2822).ok()?;
    let until = SystemTime::from(at);
    let wait = until
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some((wait, raw))
}

/// `factor × 2^(attempt−1)`, jittered to 50–150 % so that many gates retrying at once spread out.
pub(super) fn backoff(factor: f64, attempt: u32) -> Duration {
    // Random enough for jitter, with no dependency: the std hasher is seeded per process.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    #[allow(clippy::cast_precision_loss)] // 53 bits of randomness are plenty
    let jitter = 0.5 + (random >> 11) as f64 / (1u64 << 53) as f64;
    let exponent = i32::try_from(attempt.saturating_sub(1))
        .unwrap_or(16)
        .min(16);
    Duration::try_from_secs_f64(factor * 2f64.powi(exponent) * jitter).unwrap_or(Duration::ZERO)
}

/// The response's content type, or "no content type".
pub(super) fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "no content type".into(), snippet)
}

/// An answer decoded into `T`. A body that is not JSON at all (an HTML login page) is
/// [`ClientError::NotJson`]; JSON that does not parse is [`ClientError::Decode`] with the
/// position; JSON of another shape is [`ClientError::Shape`], naming what serde missed.
pub(super) fn decode<T: DeserializeOwned>(
    method: &'static str,
    url: &str,
    answer: &Answer,
) -> Result<T, ClientError> {
    serde_json::from_str(&answer.text).map_err(|e| {
        let looks_like_markup = answer.text.trim_start().starts_with('<');
        if e.is_data() {
            ClientError::Shape {
                method,
                url: url.to_string(),
                message: e.to_string(),
            }
        } else if looks_like_markup || answer.content_type.contains("html") {
            ClientError::NotJson {
                method,
                url: url.to_string(),
                status: answer.status,
                content_type: answer.content_type.clone(),
                title: html_title(&answer.text),
            }
        } else {
            ClientError::Decode {
                method,
                url: url.to_string(),
                message: e.to_string(),
                snippet: snippet(&answer.text),
            }
        }
    })
}

/// The innermost cause of a transport error ("Connection refused"), which says the most.
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str, content_type: &str) -> Answer {
        Answer {
            status: 200,
            content_type: content_type.into(),
            text: text.into(),
        }
    }

    #[test]
    fn not_json_broken_json_and_wrong_shapes_are_told_apart() {
        #[derive(serde::Deserialize, Debug)]
        struct Wants {
            #[allow(dead_code)]
            model_version: serde_json::Value,
        }
        let get = |a: &Answer| decode::<Wants>("GET", "http://h/x", a).unwrap_err();
        let shape = get(&answer(r#"{"other": 1}"#, "application/json"));
        assert_eq!(shape.class(), "shape");
        assert!(shape.to_string().contains("model_version"), "{shape}");
        let broken = get(&answer(r#"{"model_version": "#, "application/json"));
        assert_eq!(broken.class(), "invalid-json");
        assert!(broken.to_string().contains("column"), "position: {broken}");
        let login = get(&answer(
            "<html><head><title>Sign in - Corp SSO</title></head><body>lots</body></html>",
            "text/html; charset=utf-8",
        ));
        assert_eq!(login.class(), "not-json");
        assert!(login.to_string().contains("Sign in - Corp SSO"), "{login}");
        assert!(!login.to_string().contains("lots"), "never the whole page");
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "3600".parse().unwrap());
        assert_eq!(retry_after(&headers).unwrap().0, Duration::from_secs(3600));
        let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(30);
        let date = soon
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap();
        headers.insert(RETRY_AFTER, date.parse().unwrap());
        let (wait, raw) = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(raw, date);
        headers.insert(
            RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&headers).unwrap().0,
            Duration::ZERO,
            "a past date"
        );
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert!(retry_after(&headers).is_none());
    }

    #[test]
    fn backoff_doubles_with_jitter() {
        for attempt in 1..5 {
            let base = 2f64.powi(i32::try_from(attempt).unwrap() - 1);
            let wait = backoff(1.0, attempt).as_secs_f64();
            assert!(
                wait >= base * 0.5 && wait <= base * 1.5,
                "{attempt}: {wait}"
            );
        }
        assert_eq!(backoff(0.0, 3), Duration::ZERO);
    }
}
