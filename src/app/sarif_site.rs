//! Where SARIF results can point (`report::sarif::Site`): the repository root, each policy
//! file's path in it, and the stand-in file for rules that have none there. This is the I/O
//! half of the SARIF output: the working directory, `.git`, `GITHUB_WORKSPACE` and
//! `GITHUB_WORKFLOW_REF`; the reporter only uses what this finds.
//!
//! GitHub code scanning maps a result to a file of the checkout by its repository-relative
//! URI, and rejects the whole upload when one result has no file (github/codeql-action#1738).
//! So a policy given as `../x`, `./x` or an absolute path is written relative to the root with
//! forward slashes, and rules that live in no file of the repository (the bundled packs, or a
//! policy outside the root) are shown at a file the user has:
//!
//! 1. `--sarif-anchor FILE`, when given: the user said where;
//! 2. the `mlgate.toml` in effect: it is what enables the packs (at the line naming the pack);
//! 3. the workflow that ran mlgate (`GITHUB_WORKFLOW_REF`);
//! 4. the GitLab CI pipeline file (`CI_CONFIG_PATH`).
//!
//! GitHub annotations and the GitLab Code Quality report use the same places (as plain
//! paths), so every output points at the same file.
//!
//! With none of these the result keeps only its logical location (valid SARIF, but GitHub
//! rejects it), and both its message and a tool notification say how to fix that.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::config::Config;
use super::error::{AppError, UsageError};
use crate::cli::{OutputArgs, PolicyArgs};
use crate::policy::{Policy, BUNDLED};
use crate::report::sarif::{Place, Site};

/// Characters a URI path segment cannot carry as they are (RFC 3986: the gen-delims, space,
/// `%` itself and what is unsafe in a URI); non-ASCII is always encoded.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// What the places depend on besides the files, read once from the process.
#[derive(Debug, Clone)]
pub(super) struct Env {
    pub cwd: PathBuf,
    /// `GITHUB_WORKSPACE`: the checkout in GitHub Actions.
    pub workspace: Option<PathBuf>,
    /// `GITHUB_WORKFLOW_REF`: `owner/repo/.github/workflows/x.yml@refs/heads/main`.
    pub workflow_ref: Option<String>,
    /// `CI_CONFIG_PATH`: the pipeline file in GitLab CI (`.gitlab-ci.yml` by default).
    pub ci_config: Option<String>,
}

impl Env {
    fn current() -> Option<Self> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        Some(Self {
            cwd: std::env::current_dir().ok()?,
            workspace: var("GITHUB_WORKSPACE").map(PathBuf::from),
            workflow_ref: var("GITHUB_WORKFLOW_REF").map(|v| v.to_string_lossy().into_owned()),
            ci_config: var("CI_CONFIG_PATH").map(|v| v.to_string_lossy().into_owned()),
        })
    }
}

/// The places for the outputs that point into the repository (`--sarif`, `--codequality`,
/// `--github` annotations); none when no such output is written. Fails (exit 2, before
/// anything is gathered) only on a `--sarif-anchor` that is not a file of the repository.
pub(super) fn for_output(
    output: &OutputArgs,
    policy_args: &PolicyArgs,
    config: &Config,
    policy: &Policy,
) -> Result<Site, AppError> {
    if output.sarif.is_none() && output.codequality.is_none() && !output.github {
        return Ok(Site::default());
    }
    let Some(env) = Env::current() else {
        // Without a working directory nothing can be made relative: logical locations only.
        return Ok(Site::default());
    };
    site(
        &env,
        policy,
        &config.policy_paths(policy_args),
        config.path.as_deref(),
        output.sarif_anchor.as_deref(),
    )
}

/// The places of every policy file the rules came from. `paths` are the policy paths in
/// effect (to tell the bundled packs, which are named like files of mlgate's own repository,
/// from the user's files); `config` is the `mlgate.toml` in effect.
pub(super) fn site(
    env: &Env,
    policy: &Policy,
    paths: &[PathBuf],
    config: Option<&Path>,
    flag: Option<&Path>,
) -> Result<Site, AppError> {
    let root = root(env);
    // The bundled packs in effect: the rules' `source` (`builtin:NAME`) → pack name.
    let bundled: BTreeMap<&str, &str> = paths
        .iter()
        .filter_map(|p| p.to_str())
        .filter_map(|p| Some((p, p.strip_prefix("builtin:")?)))
        .filter(|(_, name)| BUNDLED.iter().any(|(n, _, _)| n == name))
        .collect();
    let anchor = anchor(env, &root, config, flag)?;
    let mut places = BTreeMap::new();
    for rule in &policy.rules {
        let source = rule.source.as_str();
        if places.contains_key(source) {
            continue;
        }
        let place = if let Some(pack) = bundled.get(source) {
            stand_in(
                anchor.as_ref(),
                &format!("builtin:{pack}"),
                &format!("bundled rule builtin:{pack}"),
            )
        } else if let Some((uri, _)) = relative(&root, &env.cwd.join(source)) {
            Place::File(uri)
        } else {
            let name = Path::new(source)
                .file_name()
                .map_or_else(|| source.to_string(), |n| n.to_string_lossy().into_owned());
            stand_in(
                anchor.as_ref(),
                &name,
                &format!("rule defined in {source}, outside this repository"),
            )
        };
        places.insert(source.to_string(), place);
    }
    Ok(Site {
        root: Some(file_uri(&root)),
        places,
        bundled: bundled.keys().map(ToString::to_string).collect(),
    })
}

/// A file of the repository that stands in for rules with none of their own.
struct Anchor {
    uri: String,
    text: String,
    /// `mlgate.toml (the config in effect)`.
    label: String,
}

fn stand_in(anchor: Option<&Anchor>, needle: &str, what: &str) -> Place {
    match anchor {
        Some(a) => Place::StandIn {
            uri: a.uri.clone(),
            line: line_of(&a.text, needle),
            why: format!("{what}, shown at {}", a.label),
        },
        None => Place::Nowhere {
            why: format!(
                "{what}: no file in this repository to show it at; add an mlgate.toml or pass --sarif-anchor FILE"
            ),
        },
    }
}

/// The first line naming `needle` (the pack or policy file), else one naming mlgate (the
/// step of a workflow), else line 1.
fn line_of(text: &str, needle: &str) -> usize {
    [needle, "mlgate"]
        .iter()
        .find_map(|n| text.lines().position(|l| l.contains(n)))
        .map_or(1, |i| i + 1)
}

fn anchor(
    env: &Env,
    root: &Path,
    config: Option<&Path>,
    flag: Option<&Path>,
) -> Result<Option<Anchor>, AppError> {
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    if let Some(flag) = flag {
        let path = env.cwd.join(flag);
        if !path.is_file() {
            return Err(UsageError::AnchorMissing {
                path: flag.to_path_buf(),
            }
            .into());
        }
        let (uri, shown) = relative(root, &path).ok_or_else(|| {
            AppError::from(UsageError::AnchorOutside {
                path: flag.to_path_buf(),
                root: root.to_path_buf(),
            })
        })?;
        return Ok(Some(Anchor {
            uri,
            text: read(&path),
            label: format!("{shown} (--sarif-anchor)"),
        }));
    }
    let config = config
        .map(|c| env.cwd.join(c))
        .filter(|p| p.is_file())
        .and_then(|p| Some((relative(root, &p)?, p)));
    if let Some(((uri, shown), path)) = config {
        return Ok(Some(Anchor {
            uri,
            text: read(&path),
            label: format!("{shown} (the config in effect)"),
        }));
    }
    let workflow = env
        .workflow_ref
        .as_deref()
        .and_then(workflow_path)
        .map(|rel| root.join(rel))
        .filter(|p| p.is_file())
        .and_then(|p| Some((relative(root, &p)?, p)));
    if let Some(((uri, shown), path)) = workflow {
        return Ok(Some(Anchor {
            uri,
            text: read(&path),
            label: format!("{shown} (the workflow that ran mlgate)"),
        }));
    }
    // GitLab CI: the pipeline file, when it is a plain file of the repository (not an
    // external `file@group/project` or a URL).
    let pipeline = env
        .ci_config
        .as_deref()
        .map(Path::new)
        .filter(|p| p.components().all(|c| matches!(c, Component::Normal(_))))
        .map(|rel| root.join(rel))
        .filter(|p| p.is_file())
        .and_then(|p| Some((relative(root, &p)?, p)));
    Ok(pipeline.map(|((uri, shown), path)| Anchor {
        uri,
        text: read(&path),
        label: format!("{shown} (the pipeline that ran mlgate)"),
    }))
}

/// `owner/repo/.github/workflows/x.yml@refs/heads/main` → `.github/workflows/x.yml`.
fn workflow_path(workflow_ref: &str) -> Option<PathBuf> {
    let path = workflow_ref
        .split_once('@')
        .map_or(workflow_ref, |(p, _)| p);
    let mut parts = path.splitn(3, '/');
    let (_owner, _repo, file) = (parts.next()?, parts.next()?, parts.next()?);
    let file = Path::new(file);
    // Only plain names below the root: a crafted value cannot point outside it.
    file.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| file.to_path_buf())
        .filter(|f| f.components().next().is_some())
}

/// The repository root: `GITHUB_WORKSPACE` when set, else the nearest directory upward with
/// a `.git` (a directory, or the file of a worktree or submodule), else the working directory.
fn root(env: &Env) -> PathBuf {
    if let Some(workspace) = &env.workspace {
        return canonical(&env.cwd.join(workspace));
    }
    let cwd = canonical(&env.cwd);
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .map_or_else(|| cwd.clone(), Path::to_path_buf)
}

/// `path` relative to `root` as a URI reference (`/`-separated, percent-encoded) and as text
/// to show; none when it is not below the root.
fn relative(root: &Path, path: &Path) -> Option<(String, String)> {
    let path = canonical(path);
    let rest = path.strip_prefix(root).ok()?;
    let mut segments = Vec::new();
    for part in rest.components() {
        match part {
            Component::Normal(s) => segments.push(s.to_string_lossy().into_owned()),
            _ => return None,
        }
    }
    if segments.is_empty() {
        return None;
    }
    let uri = segments
        .iter()
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    Some((uri, segments.join("/")))
}

/// `file:///abs/path/` for a directory.
fn file_uri(dir: &Path) -> String {
    let mut uri = String::from("file://");
    for part in dir.components() {
        match part {
            Component::Normal(s) => {
                uri.push('/');
                uri.push_str(&utf8_percent_encode(&s.to_string_lossy(), SEGMENT).to_string());
            }
            // A Windows drive (`C:`): `file:///C:/…`.
            Component::Prefix(p) => {
                uri.push('/');
                uri.push_str(&p.as_os_str().to_string_lossy());
            }
            Component::RootDir | Component::CurDir | Component::ParentDir => {}
        }
    }
    uri.push('/');
    uri
}

/// The path with symlinks resolved when it exists, else made absolute and folded lexically.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_refs_name_a_file_below_the_root() {
        assert_eq!(
            workflow_path("acme/models/.github/workflows/gate.yml@refs/heads/main"),
            Some(PathBuf::from(".github/workflows/gate.yml"))
        );
        assert_eq!(
            workflow_path("acme/models/.github/workflows/gate.yml@refs/pull/7/merge"),
            Some(PathBuf::from(".github/workflows/gate.yml"))
        );
        for bad in [
            "acme/models/../../etc/passwd@refs/heads/main",
            "acme/models//etc/passwd@x",
            "acme/models@refs/heads/main",
            "",
        ] {
            assert_eq!(workflow_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn paths_below_the_root_become_encoded_relative_uris() {
        let root = Path::new("/nonexistent-root");
        assert_eq!(
            relative(
                root,
                Path::new("/nonexistent-root/./team/../policies/a b#1.toml")
            ),
            Some((
                "policies/a%20b%231.toml".into(),
                "policies/a b#1.toml".into()
            ))
        );
        assert_eq!(
            relative(root, Path::new("/nonexistent-root/../x.toml")),
            None
        );
        assert_eq!(relative(root, Path::new("/elsewhere/x.toml")), None);
        assert_eq!(relative(root, root), None);
        assert_eq!(
            file_uri(Path::new("/work/my repo")),
            "file:///work/my%20repo/"
        );
        assert_eq!(file_uri(Path::new("/")), "file:///");
    }

    #[test]
    fn the_stand_in_line_names_the_pack() {
        let text =
            "# config\npolicies = [\n  \"builtin:production\",\n  \"builtin:baseline\",\n]\n";
        assert_eq!(line_of(text, "builtin:baseline"), 4);
        assert_eq!(line_of(text, "builtin:databricks"), 1);
        assert_eq!(
            line_of(
                "on: push\njobs:\n  gate:\n    run: mlgate check\n",
                "builtin:baseline"
            ),
            4
        );
    }
}
