//! URLs as mlgate shows and records them: without `user:password@` and without the query
//! string (signed URLs and some tracking URIs carry credentials there). Shared by the client
//! (error messages), gathering (the manifest) and the snapshot's derived links.

/// A URL fit to show: no `user:password@`, no query string (signed URLs carry credentials
/// there, and queries can be long).
pub fn shown(url: &str) -> String {
    let bare = without_userinfo(url);
    match bare.find(['?', '#']) {
        Some(end) => bare[..end].to_string(),
        None => bare,
    }
}

/// `url` without its userinfo, whether or not it parses as a URL: everything up to the last
/// `@` of the authority goes (a password may hold `@`, and a half-shown password is still
/// shown). The authority is what follows `scheme://` (or the whole text, when there is no
/// scheme: `user:p@ss@host` is a URI typed without one) up to the first `/`; a `?` or `#`
/// does not end it here, so a password holding one is not cut in two either.
pub fn without_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => format!("{scheme}{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_queries_never_show() {
        assert_eq!(
            shown("https://user:secret@host:8443/api/2.0/x?token=abc#frag"),
            "https://host:8443/api/2.0/x"
        );
        assert_eq!(shown("databricks://prod"), "databricks://prod");
        assert_eq!(shown("not a url?x=1"), "not a url");
    }

    #[test]
    fn the_whole_userinfo_goes_even_when_the_url_does_not_parse() {
        for (given, expected) in [
            ("http://user:p@ss@host:5000/x", "http://host:5000/x"),
            ("user:p@ss@host", "host"),
            ("user:p@ss@host/api?token=t", "host/api"),
            ("http://user:p?s#s@host/x", "http://host/x"),
            ("http://u:p@ss@ho st/x", "http://ho st/x"),
            ("http://u:p@[bad/x", "http://[bad/x"),
            ("databricks://prod", "databricks://prod"),
            ("https://host/users/a@b/x", "https://host/users/a@b/x"),
        ] {
            assert_eq!(shown(given), expected, "{given}");
            assert!(!shown(given).contains("p@ss") && !shown(given).contains(":p"));
        }
        assert_eq!(
            without_userinfo("https://u:p@ss@ci/run?x=1#y"),
            "https://ci/run?x=1#y"
        );
    }
}
