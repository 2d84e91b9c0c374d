//! The project config (`mlgate.toml`, found upward from the working directory) and the
//! resolution of which policies, waivers, severities and threshold are in effect: command-line
//! flags first, then the config, then the bundled baseline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{AppError, UsageError};
use crate::cli::{FailOn, OnViolation, PolicyArgs};
use crate::engine::Severity;
use crate::policy::{self, Policy, PolicyLoadError, PolicyText};

/// `mlgate.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Policy files, directories or `builtin:NAME`, relative to the config file.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Waiver files, relative to the config file.
    #[serde(default)]
    pub waivers: Vec<String>,
    /// Default `--fail-on`.
    pub fail_on: Option<String>,
    /// Test files or directories for `mlgate test`.
    #[serde(default)]
    pub tests: Vec<String>,
    /// Per-rule severity overrides.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    /// Targets `mlgate guard` keeps compliant.
    #[serde(default)]
    pub protect: Vec<ProtectEntry>,
}

/// One `[[protect]]` entry of `mlgate.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectEntry {
    /// A registered model's name, or a glob over names (`churn-*`).
    pub model: String,
    /// `@alias` or a stage name.
    pub target: String,
    #[serde(default)]
    pub on_violation: OnViolation,
    /// A passing record older than this is judged again (`30d`, `12h`, `90m`, `600s`).
    pub max_age: Option<String>,
}

/// Parses the text of an `mlgate.toml`.
pub fn parse(text: &str) -> Result<ConfigFile, toml::de::Error> {
    toml::from_str(text)
}

/// A config file and the directory its paths are relative to.
#[derive(Debug, Default)]
pub(super) struct Config {
    pub file: ConfigFile,
    pub dir: PathBuf,
    /// The file itself, as found or named (none: no config in effect).
    pub path: Option<PathBuf>,
}

impl Config {
    /// The config named by `--config`, else the nearest `mlgate.toml` upward, else none.
    pub(super) fn find(args: &PolicyArgs) -> Result<Self, AppError> {
        if args.no_config {
            return Ok(Self::default());
        }
        let path = if let Some(p) = &args.config {
            Some(p.clone())
        } else {
            // Without the working directory the project's config cannot be found, and
            // running without it would quietly apply the bundled baseline instead.
            let cwd = std::env::current_dir()
                .map_err(|e| AppError::from(UsageError::NoConfigDir { source: e }))?;
            // Any entry named mlgate.toml counts, so one that cannot be read (a dangling
            // symlink, a directory) is reported below instead of being skipped for a
            // parent's config or none.
            cwd.ancestors()
                .map(|d| d.join("mlgate.toml"))
                .find(|p| p.symlink_metadata().is_ok())
        };
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(&path).map_err(|source| AppError::Read {
            what: "config",
            path: path.clone(),
            source,
        })?;
        let file = parse(&text).map_err(|e| {
            AppError::from(UsageError::BadConfig {
                path: path.clone(),
                source: e,
            })
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Self {
            file,
            dir,
            path: Some(path),
        })
    }

    fn resolve(&self, entry: &str) -> PathBuf {
        if entry.starts_with("builtin:") {
            PathBuf::from(entry)
        } else {
            self.dir.join(entry)
        }
    }

    /// The policy files, directories and `builtin:NAME` packs in effect: `--policy`, else
    /// the config's `policies`, else the bundled baseline.
    pub(super) fn policy_paths(&self, args: &PolicyArgs) -> Vec<PathBuf> {
        if !args.policy.is_empty() {
            args.policy.clone()
        } else if !self.file.policies.is_empty() {
            self.file.policies.iter().map(|p| self.resolve(p)).collect()
        } else {
            vec![PathBuf::from("builtin:baseline")]
        }
    }

    /// The `--fail-on` in effect.
    pub(super) fn fail_on(&self, flag: Option<FailOn>) -> Result<Severity, AppError> {
        match (flag, &self.file.fail_on) {
            (Some(FailOn::Warning), _) => Ok(Severity::Warning),
            (Some(FailOn::Info), _) => Ok(Severity::Info),
            (None, Some(text)) => Severity::parse(text)
                .ok_or_else(|| AppError::from(UsageError::BadFailOn { text: text.clone() })),
            (Some(FailOn::Error), _) | (None, None) => Ok(Severity::Error),
        }
    }

    /// Test paths for `mlgate test` when none are given.
    pub(super) fn tests(&self) -> Vec<PathBuf> {
        if self.file.tests.is_empty() {
            vec![PathBuf::from("policies/tests")]
        } else {
            self.file.tests.iter().map(|t| self.resolve(t)).collect()
        }
    }
}

/// The policy in effect and the texts it came from (for diagnostics on waivers).
pub(super) struct Effective {
    pub policy: Policy,
    pub texts: Vec<PolicyText>,
    pub config: Config,
}

/// Loads the policies and waivers in effect and applies severity overrides.
pub(super) fn effective(args: &PolicyArgs) -> Result<Effective, AppError> {
    let config = Config::find(args)?;
    let policy_paths = config.policy_paths(args);
    let mut texts = policy::read_paths(&policy_paths)?;
    let waiver_paths: Vec<PathBuf> = args
        .waivers
        .iter()
        .cloned()
        .chain(config.file.waivers.iter().map(|w| config.resolve(w)))
        .collect();
    texts.extend(policy::read_paths(&waiver_paths)?);
    let mut policy = policy::load(&texts).map_err(PolicyLoadError::from)?;
    let overrides = config
        .file
        .severity
        .iter()
        .map(|(k, v)| (k.clone(), v.clone(), "mlgate.toml"))
        .chain(args.severity.iter().map(|o| {
            let (k, v) = o.split_once('=').unwrap_or((o, ""));
            (k.trim().to_string(), v.trim().to_string(), "--severity")
        }));
    for (id, level, origin) in overrides {
        let severity = Severity::parse(&level).ok_or_else(|| UsageError::BadSeverity {
            origin,
            id: id.clone(),
            level: level.clone(),
        })?;
        let known: Vec<String> = policy.rules.iter().map(|r| r.id.clone()).collect();
        let Some(rule) = policy.rules.iter_mut().find(|r| r.id == id) else {
            let suggestion =
                crate::suggest::closest(&id, known.iter().map(String::as_str)).map(str::to_string);
            return Err(UsageError::OverrideUnknownRule {
                origin,
                id,
                suggestion,
            }
            .into());
        };
        rule.severity = severity;
    }
    if policy.rules.is_empty() {
        return Err(UsageError::NoRules {
            files: policy.files.clone(),
        }
        .into());
    }
    Ok(Effective {
        policy,
        texts,
        config,
    })
}
