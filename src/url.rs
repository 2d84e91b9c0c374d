//! URLs as mlgate shows and records them: without `user:password@` and without the query
//! string (signed URLs and some tracking URIs carry credentials there). Shared by the client
//! (error messages), gathering (the manifest) and the snapshot's derived links.

/// A URL fit to show: no `user:password@`, no query string (signed URLs carry credentials
/// there, and queries can be long).
pub fn shown(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    match without_query.find("://") {
        Some(i) => {
            let rest = &without_query[i + 3..];
            let host_end = rest.find('/').unwrap_or(rest.len());
            let authority = &rest[..host_end];
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{}://{host}{}", &without_query[..i], &rest[host_end..])
        }
        None => without_query.to_string(),
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
}
