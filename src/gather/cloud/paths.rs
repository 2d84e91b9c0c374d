//! What the three stores share: keys under the version's prefix, RFC 3986 escaping, and one
//! walk over a paged object listing (S3's continuation token, ADLS's `x-ms-continuation`,
//! GCS's `nextPageToken`), bounded by [`MAX_LISTINGS`] pages.

use std::future::Future;

use crate::client::ClientError;
use crate::gather::files::{Listing, MAX_LISTINGS};
use crate::snapshot::ArtifactFile;

/// `prefix/file`, or `file` at the root.
pub(super) fn join(prefix: &str, file: &str) -> String {
    if prefix.is_empty() {
        file.to_string()
    } else {
        format!("{prefix}/{file}")
    }
}

/// One page of a storage listing: each object's key and size, and the next page's token.
pub(super) struct Page {
    pub objects: Vec<(String, Option<u64>)>,
    pub next: Option<String>,
}

/// Walks a paged listing of the objects under `prefix`, `page(token)` fetching each page, for
/// at most [`MAX_LISTINGS`] pages: the files (relative to `prefix`, sorted) and whether pages
/// were left.
pub(super) async fn walk<F, Fut>(prefix: &str, mut page: F) -> Result<Listing, ClientError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page, ClientError>>,
{
    let mut files = Vec::new();
    let mut token = None;
    let mut truncated = true;
    for _ in 0..MAX_LISTINGS {
        let Page { objects, next } = page(token.take()).await?;
        files.extend(objects.into_iter().filter_map(|(key, size_bytes)| {
            relative(prefix, &key).map(|path| ArtifactFile {
                path: path.to_string(),
                size_bytes,
            })
        }));
        token = next;
        if token.is_none() {
            truncated = false;
            break;
        }
    }
    Ok(Listing::sorted(files, truncated))
}

/// `key` relative to `prefix/`; `None` for the prefix itself.
fn relative<'a>(prefix: &str, key: &'a str) -> Option<&'a str> {
    let rest = if prefix.is_empty() {
        key
    } else {
        key.strip_prefix(prefix)?.strip_prefix('/')?
    };
    (!rest.is_empty()).then_some(rest)
}

/// RFC 3986 unreserved characters stay, everything else is %-escaped (AWS's and Google's
/// URI encoding); `/` stays too when it separates path segments.
pub(super) fn encode(text: &str, keep_slash: bool) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    const PATH: &AsciiSet = &UNRESERVED.remove(b'/');
    utf8_percent_encode(text, if keep_slash { PATH } else { UNRESERVED }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_paged_listing_is_joined_relative_and_sorted() {
        let asked = std::cell::RefCell::new(Vec::new());
        let listing = run(walk("root/v1", |token| {
            asked.borrow_mut().push(token.clone());
            async move {
                Ok(match token.as_deref() {
                    None => Page {
                        objects: vec![("root/v1/b.pkl".into(), Some(2)), ("root/v1".into(), None)],
                        next: Some("t2".into()),
                    },
                    _ => Page {
                        objects: vec![("root/v1/MLmodel".into(), Some(1))],
                        next: None,
                    },
                })
            }
        }))
        .unwrap();
        assert_eq!(*asked.borrow(), [None, Some("t2".to_string())]);
        let paths: Vec<_> = listing.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["MLmodel", "b.pkl"]);
        assert!(!listing.truncated, "every page was read");
    }

    #[test]
    fn an_endless_listing_stops_and_says_so() {
        let mut pages = 0;
        let listing = run(walk("", |_| {
            pages += 1;
            let key = format!("f{pages}");
            async move {
                Ok(Page {
                    objects: vec![(key, Some(1))],
                    next: Some("more".into()),
                })
            }
        }))
        .unwrap();
        assert_eq!(pages, MAX_LISTINGS);
        assert_eq!(listing.files.len(), MAX_LISTINGS);
        assert!(listing.truncated, "truncated");
    }

    #[test]
    fn keys_and_encoding() {
        assert_eq!(relative("a/b", "a/b/MLmodel"), Some("MLmodel"));
        assert_eq!(relative("a/b", "a/bc/MLmodel"), None);
        assert_eq!(relative("a/b", "a/b/"), None);
        assert_eq!(relative("", "x/y"), Some("x/y"));
        assert_eq!(join("", "f"), "f");
        assert_eq!(encode("a b/c+d~", true), "a%20b/c%2Bd~");
        assert_eq!(encode("a/b", false), "a%2Fb");
    }
}
