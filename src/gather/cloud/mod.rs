//! Model files in cloud object storage, read with the temporary credentials Unity Catalog
//! hands out for one model version (`generate-temporary-credentials`, databricks-api.md §8.3
//! step 3): S3 with a SigV4 signature and the session token (`s3`), ADLS Gen2 with a
//! user-delegation SAS (`adls`), GCS with an OAuth token (`gcs`). [`open`] parses where the
//! version lives and returns its [`Store`] as a file route; the store is handed the
//! credential's issuer, so nothing here knows who issues it (`store`). The credential never
//! leaves the store, and the URLs errors show have no query.

mod adls;
mod gcs;
mod paths;
mod s3;
mod store;

use std::sync::Arc;

pub(super) use store::{Credential, Issue, Issued};

use crate::gather::files::Route;
use store::Store;

/// Where a model version's files are, parsed from its storage URI.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    /// `s3://bucket/prefix`
    S3 { bucket: String, prefix: String },
    /// `abfss://filesystem@account.dfs.core.windows.net/prefix`
    Adls {
        account: String,
        host: String,
        filesystem: String,
        prefix: String,
    },
    /// `gs://bucket/prefix`
    Gcs { bucket: String, prefix: String },
}

impl Location {
    /// The location of `uri`; `None` for a scheme this module does not read.
    fn parse(uri: &str) -> Option<Self> {
        let (scheme, rest) = uri.split_once("://")?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = path.trim_matches('/').to_string();
        if authority.is_empty() {
            return None;
        }
        match scheme {
            "s3" | "s3a" => Some(Location::S3 {
                bucket: authority.into(),
                prefix,
            }),
            "gs" => Some(Location::Gcs {
                bucket: authority.into(),
                prefix,
            }),
            "abfss" | "abfs" => {
                let (filesystem, host) = authority.split_once('@')?;
                let account = host.split('.').next()?.to_string();
                (!filesystem.is_empty() && !account.is_empty()).then(|| Location::Adls {
                    account,
                    host: host.into(),
                    filesystem: filesystem.into(),
                    prefix,
                })
            }
            _ => None,
        }
    }
}

/// The route to the version's files at `uri`, read with `granted` and renewed through
/// `issuer`; `None` when the scheme is not one mlgate reads or `granted` is not the
/// credential its storage takes.
pub(super) fn open(uri: &str, granted: Issued, issuer: Arc<dyn Issue>) -> Option<Route> {
    Some(match Location::parse(uri)? {
        Location::S3 { bucket, prefix } => Arc::new(Store::new(
            uri,
            s3::S3Root::new(bucket, prefix),
            granted,
            issuer,
        )?),
        Location::Adls {
            account,
            host,
            filesystem,
            prefix,
        } => Arc::new(Store::new(
            uri,
            adls::AdlsRoot {
                account,
                host,
                filesystem,
                prefix,
            },
            granted,
            issuer,
        )?),
        Location::Gcs { bucket, prefix } => Arc::new(Store::new(
            uri,
            gcs::GcsRoot { bucket, prefix },
            granted,
            issuer,
        )?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;
    use crate::gather::files::Fetch;

    /// An issuer never asked (the tests below open stores, they do not renew).
    struct Never;

    impl Issue for Never {
        fn issue<'a>(&'a self, _: &'a Client) -> Fetch<'a, Issued> {
            Box::pin(async { panic!("not asked in these tests") })
        }
    }

    fn issued(credential: Credential) -> Issued {
        Issued {
            credential,
            expires_at_ms: None,
        }
    }

    #[test]
    fn a_store_opens_only_with_the_credential_its_storage_takes() {
        let token = || issued(Credential::GcpToken("t".into()));
        let gcs = open("gs://b/models/v1", token(), Arc::new(Never)).unwrap();
        assert_eq!(
            gcs.describe(&crate::gather::confine::SafePath::mlmodel()),
            "GET gs://b/models/v1/MLmodel"
        );
        assert!(open("s3://b/models/v1", token(), Arc::new(Never)).is_none());
        assert!(open(
            "abfss://fs@a.dfs.core.windows.net/p",
            token(),
            Arc::new(Never)
        )
        .is_none());
        let sas = issued(Credential::AzureSas("sv=1".into()));
        assert!(open("abfss://fs@a.dfs.core.windows.net/p", sas, Arc::new(Never)).is_some());
        assert!(open("r2://a/b", token(), Arc::new(Never)).is_none());
    }

    #[test]
    fn storage_uris() {
        assert_eq!(
            Location::parse("s3://uc-bucket/a/b/versions/v1/"),
            Some(Location::S3 {
                bucket: "uc-bucket".into(),
                prefix: "a/b/versions/v1".into()
            })
        );
        assert_eq!(
            Location::parse("abfss://models@ucstore.dfs.core.windows.net/m/v3"),
            Some(Location::Adls {
                account: "ucstore".into(),
                host: "ucstore.dfs.core.windows.net".into(),
                filesystem: "models".into(),
                prefix: "m/v3".into()
            })
        );
        assert_eq!(
            Location::parse("gs://b/p"),
            Some(Location::Gcs {
                bucket: "b".into(),
                prefix: "p".into()
            })
        );
        assert_eq!(Location::parse("r2://acct/b/p"), None);
        assert_eq!(Location::parse("abfss://nofs.dfs.core.windows.net/p"), None);
        assert_eq!(Location::parse("s3:///p"), None);
    }
}
