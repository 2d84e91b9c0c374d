//! Which versions `check --all-models` checks: the registered models the server's own filter
//! selects, those of this shard, and of each the versions `--versions` asks for (one listing
//! per model, run concurrently). The listings themselves are gather's (`gather::listing`);
//! this is the choice among what they list.

use futures_util::stream::{self, StreamExt};

use crate::cli::Versions;
use crate::client::ClientError;
use crate::gather::wire::{ModelVersion, RegisteredModel};
use crate::gather::Context;
use crate::gather::{listing, ReadError};

/// `--shard I/N`: this run checks share `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` with 1 ≤ I ≤ N (the numbering of CI matrices); `None` for anything else
    /// (the caller says why, as `usage::bad-shard`).
    pub(super) fn parse(text: &str) -> Option<Self> {
        let (i, n) = text.split_once('/')?;
        let (i, n): (u64, u64) = (i.trim().parse().ok()?, n.trim().parse().ok()?);
        (i != 0 && i <= n).then(|| Self {
            index: i - 1,
            count: n,
        })
    }

    /// Whether the model belongs to this shard. By the model name, so one model's versions
    /// stay together (they share its cached reads); by a fixed hash, so every job of a CI
    /// matrix agrees on the split whatever machine or Rust version runs it.
    pub(super) fn holds(self, model: &str) -> bool {
        fnv1a(model.as_bytes()) % self.count == self.index
    }
}

/// 64-bit FNV-1a: fixed, documented, and good enough to spread names evenly.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// One version to check.
#[derive(Debug, Clone)]
pub(super) struct Selected {
    pub model: String,
    pub version: String,
    /// The version as `model-versions/search` listed it (`--versions all|latest`), so that
    /// gathering it need not read it again.
    pub listed: Option<Box<ModelVersion>>,
    /// Why the model's versions could not be listed although it has some: the entry stands
    /// for the model (at the highest version it names) and is an error, never a skip.
    pub unlisted: Option<Box<ReadError>>,
}

/// What the selection found: the versions, sorted by model and version number, and how many
/// models held them.
pub(super) struct Selection {
    pub versions: Vec<Selected>,
    pub models: usize,
}

/// Lists the versions to check. `jobs` bounds the per-model listings in flight. Only the
/// registry-wide listing failing fails the selection; a model whose own listing fails is
/// selected as one error entry.
pub(super) async fn select(
    cx: &Context,
    filter: Option<&str>,
    which: Versions,
    shard: Option<Shard>,
    jobs: usize,
) -> Result<Selection, ClientError> {
    let models: Vec<RegisteredModel> = listing::registered_models(cx, filter)
        .await?
        .into_iter()
        .filter(|m| shard.is_none_or(|s| s.holds(&m.name)))
        .collect();
    let count = models.len();
    let per_model: Vec<Vec<Listed>> =
        stream::iter(models.iter().map(|m| versions_of(cx, m, which)))
            .buffered(jobs.max(1))
            .collect()
            .await;
    let mut versions: Vec<Selected> = models
        .iter()
        .zip(per_model)
        .flat_map(|(m, vs)| {
            vs.into_iter().map(|(version, listed, unlisted)| Selected {
                model: m.name.clone(),
                version,
                listed,
                unlisted,
            })
        })
        .collect();
    versions.sort_by(|a, b| {
        a.model
            .cmp(&b.model)
            .then_with(|| number(&a.version).cmp(&number(&b.version)))
    });
    versions.dedup_by(|a, b| a.model == b.model && a.version == b.version);
    Ok(Selection {
        versions,
        models: count,
    })
}

fn number(version: &str) -> u64 {
    version.parse().unwrap_or(u64::MAX)
}

/// One selected version of a model: its number, the listed version (when listed), and why
/// the model could not be listed (for its one error entry).
type Listed = (String, Option<Box<ModelVersion>>, Option<Box<ReadError>>);

/// The versions of one model that `which` selects, with the listed version when the
/// selection listed it.
async fn versions_of(cx: &Context, model: &RegisteredModel, which: Versions) -> Vec<Listed> {
    // The model's own answer names its aliases and the latest version in each stage; only
    // "all" (and "latest", which needs the highest number whatever its stage) lists versions.
    match which {
        Versions::Aliased => {
            let mut out = listing::held_versions(model);
            out.sort_by_key(|v| number(v));
            out.dedup();
            out.into_iter().map(|v| (v, None, None)).collect()
        }
        Versions::All | Versions::Latest => {
            let listed = match listing::versions(cx, model).await {
                Ok(listed) => listed,
                // A listing that failed (a 500, a 503 after its retries, a reset) or left out
                // the model's versions is this model's error, and the other models are still
                // audited (issue 21: one model's listing used to stop the whole run). The
                // entry stands at the highest version the model names, when it names one.
                Err(error) => {
                    let version = match &error {
                        ReadError::Unlisted { named, .. } => named.last().cloned(),
                        _ => listing::named_versions(model).pop(),
                    };
                    return vec![(version.unwrap_or_default(), None, Some(Box::new(error)))];
                }
            };
            let mut out: Vec<Listed> = listed
                .into_iter()
                .map(|v| (v.version.clone(), Some(Box::new(v)), None))
                .collect();
            out.sort_by_key(|(v, _, _)| number(v));
            if which == Versions::Latest {
                out = out.pop().into_iter().collect();
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_one_based_and_refuse_nonsense() {
        assert_eq!(Shard::parse("1/4"), Some(Shard { index: 0, count: 4 }));
        assert_eq!(Shard::parse("4/4"), Some(Shard { index: 3, count: 4 }));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0", "/"] {
            assert!(Shard::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn every_name_is_in_exactly_one_shard_and_shares_are_even() {
        let names: Vec<String> = (0..4000).map(|i| format!("team-{i}-model")).collect();
        let mut sizes = [0usize; 4];
        for name in &names {
            let holders: Vec<u64> = (1..=4)
                .filter(|i| Shard::parse(&format!("{i}/4")).unwrap().holds(name))
                .collect();
            assert_eq!(holders.len(), 1, "{name}");
            sizes[usize::try_from(holders[0] - 1).unwrap()] += 1;
        }
        for size in sizes {
            assert!((900..=1100).contains(&size), "{sizes:?}");
        }
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // Test vectors from the FNV reference (http://www.isthe.com/chongo/tech/comp/fnv/).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
