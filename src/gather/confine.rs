//! Confinement of every request built from server data. A path a server answer names (the
//! MLmodel's `saved_input_example_info.artifact_path`, a listing's entries, the part of a
//! source or storage location under its store) is read with the gate's own credentials, so a
//! hostile answer must not be able to steer that read out of the version's artifact root (a
//! confused deputy: anyone who can register a version could read what the gate can read).
//! [`confine`] is the one gate every file route takes: it decodes percent-escapes until none
//! are left, turns backslashes into separators, and refuses `..`, absolute paths, drive letters
//! and URL schemes, and control characters, naming the path and why. What it accepts is a
//! [`SafePath`] of plain segments, re-encoded one segment at a time wherever it goes into a URL.
//! [`segment`] does the same for names mlgate puts into URL paths (a Unity Catalog model's
//! three-level name, an alias, an id a server answered), so `%2F..%2F` in a name stays a name.

use std::borrow::Cow;
use std::fmt;

use crate::client::{Client, ClientError};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// RFC 3986 unreserved characters stay; everything else (`/`, `%`, `?`, `#`, `\` …) is escaped.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// More rounds of percent-decoding than this is an attack, not a file name.
const MAX_DECODES: usize = 4;

/// A path under a version's artifact root: relative, plain (decoded) segments, none of them
/// empty, `.` or `..`. Only [`confine`] makes one (and [`SafePath::mlmodel`], a constant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafePath {
    segments: Vec<String>,
}

impl SafePath {
    /// `MLmodel`, the file every route reads first.
    pub fn mlmodel() -> Self {
        Self {
            segments: vec!["MLmodel".into()],
        }
    }

    /// The path as plain text, segments joined by `/` (for a query parameter, a JSON body or
    /// an object key, which their own encoders escape).
    pub fn as_str(&self) -> String {
        self.segments.join("/")
    }

    /// The path for a URL's path: each segment percent-encoded on its own, so nothing in a
    /// segment can become a separator or a dot segment once the server decodes it.
    pub fn url_path(&self) -> String {
        self.segments
            .iter()
            .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// This path with `other` under it.
    pub fn join(&self, other: &SafePath) -> SafePath {
        let mut segments = self.segments.clone();
        segments.extend(other.segments.iter().cloned());
        SafePath { segments }
    }

    /// The segments, plain.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }
}

impl fmt::Display for SafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// A path or name refused before any request was made for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// As the server gave it.
    pub path: String,
    /// Why it was refused.
    pub reason: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refused `{}`: {}; it must stay under the model version's own artifact root, so nothing was requested for it",
            self.path.escape_debug(),
            self.reason
        )
    }
}

/// `text` with percent-escapes decoded until none are left (`%252e` is `%2e` is `.`).
fn decoded(text: &str) -> Option<Cow<'_, str>> {
    let mut current: Cow<'_, str> = Cow::Borrowed(text);
    for _ in 0..MAX_DECODES {
        let next = percent_decode_str(&current)
            .decode_utf8_lossy()
            .into_owned();
        if next == current {
            return Some(current);
        }
        current = Cow::Owned(next);
    }
    None
}

/// Confines a root-relative path a server named to the root: the one check every file route
/// takes before a read. Percent-escapes are decoded (to a fixed point) and backslashes are
/// separators; empty and `.` segments are dropped; `..`, a leading `/`, a drive letter or URL
/// scheme, and control characters are refused.
pub(crate) fn confine(path: &str) -> Result<SafePath, Refused> {
    let refuse = |reason| Refused {
        path: path.to_string(),
        reason,
    };
    let plain = decoded(path).ok_or_else(|| refuse("it is percent-encoded over and over"))?;
    if plain.chars().any(char::is_control) {
        return Err(refuse("it holds a control character"));
    }
    let plain = plain.replace('\\', "/");
    if plain.starts_with('/') {
        return Err(refuse("it is an absolute path"));
    }
    let mut segments = Vec::new();
    for (i, segment) in plain.split('/').enumerate() {
        if i == 0 && looks_like_a_scheme(segment) {
            return Err(refuse("it starts with a drive letter or a URL scheme"));
        }
        match segment {
            "" | "." => {}
            ".." => return Err(refuse("a `..` segment leaves the artifact root")),
            s => segments.push(s.to_string()),
        }
    }
    if segments.is_empty() {
        return Err(refuse("it names no file under the artifact root"));
    }
    Ok(SafePath { segments })
}

/// `C:`, `http:`, `file:`: a first segment that is an RFC 3986 scheme and a colon.
fn looks_like_a_scheme(segment: &str) -> bool {
    segment.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// A name (a model's three-level name, an alias, a version, an id) as one URL path segment:
/// everything but RFC 3986 unreserved characters escaped. A name that is only dots (or empty)
/// is refused: URL parsers treat it (escaped or not) as a move up the path.
pub(crate) fn segment(name: &str) -> Result<String, Refused> {
    if name.chars().all(|c| c == '.') {
        return Err(Refused {
            path: name.to_string(),
            reason: "a name of dots (or none) would move the request up the URL path",
        });
    }
    Ok(utf8_percent_encode(name, SEGMENT).to_string())
}

/// [`segment`] for a request about to be made on `http`: a refused name is that request's
/// error (an answer mlgate refused to ask for), never a request.
pub(crate) fn segment_for(http: &Client, name: &str) -> Result<String, ClientError> {
    segment(name).map_err(|refused| ClientError::Shape {
        method: "GET",
        url: http.url(""),
        message: refused.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn refused(path: &str) -> &'static str {
        confine(path).expect_err(path).reason
    }

    #[test]
    fn plain_paths_are_kept_and_normalised() {
        assert_eq!(
            confine("input_example.json").unwrap().as_str(),
            "input_example.json"
        );
        assert_eq!(confine("./a//b/./c.txt").unwrap().as_str(), "a/b/c.txt");
        assert_eq!(confine("a\\b").unwrap().as_str(), "a/b");
        assert_eq!(
            confine("dir/a b#?.json").unwrap().url_path(),
            "dir/a%20b%23%3F.json"
        );
        assert_eq!(confine("100%.txt").unwrap().as_str(), "100%.txt");
        assert_eq!(confine("x..y/..z").unwrap().as_str(), "x..y/..z");
    }

    #[test]
    fn every_listed_form_is_refused_and_named() {
        for dots in [
            "../../etc/passwd",
            "a/../../b",
            "..",
            "%2e%2e/%2e%2e/api/2.0/mlflow/runs/get",
            "%2E%2E%2F%2E%2E%2Fx",
            "..%2F..%2Fx",
            "%252e%252e/x",
            "..\\..\\x",
            "a\\..\\..\\b",
            "..%5c..%5cx",
        ] {
            assert_eq!(
                refused(dots),
                "a `..` segment leaves the artifact root",
                "{dots}"
            );
        }
        for absolute in [
            "/etc/passwd",
            "%2Fetc%2Fpasswd",
            "\\\\host\\share",
            "%5Cx",
            "%5c..%5c..",
        ] {
            assert_eq!(refused(absolute), "it is an absolute path", "{absolute}");
        }
        for scheme in ["C:\\x", "c:/x", "http://evil/x", "file:///etc/passwd"] {
            assert_eq!(
                refused(scheme),
                "it starts with a drive letter or a URL scheme",
                "{scheme}"
            );
        }
        assert_eq!(refused("a%00b"), "it holds a control character");
        assert_eq!(refused("a\nb"), "it holds a control character");
        assert_eq!(refused(""), "it names no file under the artifact root");
        assert_eq!(refused("./"), "it names no file under the artifact root");
        assert_eq!(
            refused("%25252525252e"),
            "it is percent-encoded over and over"
        );
        let message = confine("../../secret").unwrap_err().to_string();
        assert!(
            message.contains("`../../secret`") && message.contains("`..`"),
            "{message}"
        );
    }

    #[test]
    fn names_are_one_segment() {
        assert_eq!(segment("main.ml.churn").unwrap(), "main.ml.churn");
        assert_eq!(
            segment("main.ml.churn%2F..%2F..%2Fpermissions%2Fx").unwrap(),
            "main.ml.churn%252F..%252F..%252Fpermissions%252Fx"
        );
        assert_eq!(segment("a/../b").unwrap(), "a%2F..%2Fb");
        assert_eq!(segment("prod alias").unwrap(), "prod%20alias");
        assert!(segment("..").is_err() && segment(".").is_err() && segment("").is_err());
    }

    proptest! {
        /// Whatever the server sends, an accepted path, decoded and with backslashes as
        /// separators, has no `..` segment, is not absolute, and says the same once encoded
        /// for a URL and decoded again.
        #[test]
        fn no_accepted_path_leaves_the_root(
            path in "([a-zA-Z0-9._~-]|%|%2[eEfF]|%5[cC]|%25|\\.\\.|/|\\\\|:|[^\\x00-\\x7f]){0,24}"
        ) {
            if let Ok(safe) = confine(&path) {
                for shown in [safe.as_str(), safe.url_path()] {
                    let plain = decoded(&shown).expect("an accepted path decodes").replace('\\', "/");
                    prop_assert!(!plain.starts_with('/'), "{path:?} → {plain:?}");
                    prop_assert!(!plain.split('/').any(|s| s == ".."), "{path:?} → {plain:?}");
                    prop_assert!(!looks_like_a_scheme(plain.split('/').next().unwrap_or("")));
                }
                let url_path = safe.url_path();
                prop_assert_eq!(percent_decode_str(&url_path).decode_utf8_lossy(), safe.as_str());
            }
        }

        /// A name put in a URL path is one segment, whatever it holds.
        #[test]
        fn a_name_is_one_segment(name in any::<String>()) {
            if let Ok(s) = segment(&name) {
                prop_assert!(!s.contains('/') && !s.contains('\\') && s != ".." && s != ".");
                prop_assert_eq!(percent_decode_str(&s).decode_utf8_lossy(), name);
            }
        }
    }
}
