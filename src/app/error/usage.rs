//! Usage errors: a flag, a reference or a configuration mlgate cannot act on (exit 2). One
//! variant per mistake, holding what was given, so each maps to its own stable code and the
//! message is written in one place.

use std::path::PathBuf;

use thiserror::Error;

use crate::client::auth::AuthError;
use crate::error_code::Code;
use crate::snapshot::Backend;

/// A mistake in what mlgate was asked to do; nothing was read from the registry yet.
#[derive(Debug, Error)]
pub enum UsageError {
    #[error(transparent)]
    Databricks(#[from] AuthError),
    #[error("registry URI `{uri}` is not supported with a Databricks tracking URI: use `databricks` (workspace registry) or `databricks-uc` (Unity Catalog)")]
    BadRegistryUri { uri: String },
    #[error("Unity Catalog models have no stages, so `{reference}` cannot be resolved (stage {stage}); use an alias, e.g. models:/{name}@champion")]
    StageReferenceOnUnityCatalog {
        reference: String,
        stage: String,
        name: String,
    },
    /// The backend lacks what the action needs (its capabilities say), with what to use instead.
    #[error("{why}: use {instead}")]
    RegistryLacks { why: String, instead: String },
    /// `--all-models` on a registry that cannot list its models.
    #[error("--all-models does not list {registry} yet: use {instead}check versions one by one")]
    CannotList {
        registry: &'static str,
        instead: String,
    },
    /// The registry refused an operation it does not have (the write path's own check).
    #[error("{backend} cannot {what}")]
    RegistryCannot { backend: Backend, what: String },
    #[error("--shard `{text}` is not I/N with 1 <= I <= N (e.g. 2/4)")]
    BadShard { text: String },
    #[error("--now `{text}` is not a date (YYYY-MM-DD) or an RFC 3339 instant")]
    BadNow { text: String },
    #[error("{flag} `{given}` is not a registry stage ({}){}", crate::model_ref::STAGES.join(", "), did_you_mean(suggestion.as_deref()))]
    BadStage {
        flag: String,
        given: String,
        suggestion: Option<String>,
    },
    #[error("{flag} `{given}` is not a valid alias: {flaw}")]
    BadAlias {
        flag: String,
        given: String,
        flaw: AliasFlaw,
    },
    #[error("{flag} `{given}` turns on no rule, but rules are scoped to `@{near}`: did you mean `{near}`? (aliases are case-sensitive)")]
    AliasTypo {
        flag: String,
        given: String,
        near: String,
    },
    /// `mlgate explain RULE`.
    #[error("no rule `{id}` in the policies in effect{} (`mlgate rules` lists them)", did_you_mean(suggestion.as_deref()))]
    ExplainUnknownRule {
        id: String,
        suggestion: Option<String>,
    },
    /// A severity override (`--severity` or `[severity]` in `mlgate.toml`).
    #[error("{origin}: no rule `{id}` in the policies in effect{}", did_you_mean(suggestion.as_deref()))]
    OverrideUnknownRule {
        origin: &'static str,
        id: String,
        suggestion: Option<String>,
    },
    #[error(
        "{origin}: severity `{level}` for `{id}` is not error, warning or info (write RULE=LEVEL)"
    )]
    BadSeverity {
        origin: &'static str,
        id: String,
        level: String,
    },
    #[error("fail_on = \"{text}\" in mlgate.toml: use error, warning or info")]
    BadFailOn { text: String },
    #[error("cannot find mlgate.toml: the working directory is unreadable ({source}); pass --config FILE or --no-config")]
    NoConfigDir { source: std::io::Error },
    #[error("config {} is invalid: {}", path.display(), source.to_string().trim())]
    BadConfig {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{message}")]
    BadProtect { message: String },
    #[error("{given:?} is not a target: expected MODEL@ALIAS or MODEL/STAGE (`churn@champion`, `churn/Production`)")]
    BadLedgerTarget { given: String },
    #[error("{holds} of {name} has no earlier holder to roll back to: {why}; name one with --to-version")]
    NoEarlierHolder {
        holds: String,
        name: String,
        why: String,
    },
    #[error("--accept-policy-drift needs a reason: the ledger records it")]
    EmptyDriftReason,
    #[error("no rules in effect: {} hold{} no [[rule]]; a gate without rules would pass anything", files.join(", "), if files.len() == 1 { "s" } else { "" })]
    NoRules { files: Vec<String> },
    #[error("{first} {} and {flag} {} name the same file: each output needs its own path", first_path.display(), path.display())]
    SameOutput {
        first: &'static str,
        first_path: PathBuf,
        flag: &'static str,
        path: PathBuf,
    },
    #[error("--sarif-anchor {}: no such file (it names a file of the repository to show bundled rules at)", path.display())]
    AnchorMissing { path: PathBuf },
    #[error("{first} - and {flag} - both name standard output: only one output can be written there (give the other a file)")]
    SameStdout {
        first: &'static str,
        flag: &'static str,
    },
    #[error("--sarif-anchor {} is outside the repository root {}: GitHub shows results only at files of the repository", path.display(), root.display())]
    AnchorOutside { path: PathBuf, root: PathBuf },
    #[error("say where to promote: --to-alias, --to-stage or --approve-request")]
    NoPromotionTarget,
    #[error(
        "{flag} {stage}: promotion is to Staging or Production (archiving is not a promotion)"
    )]
    NotAPromotionStage { flag: String, stage: String },
    #[error("--expect-incumbent `{given}` is not a version number or `none`")]
    BadIncumbent { given: String },
    #[error("`{reference}` is not a registered model version: register it first, then promote models:/NAME/VERSION")]
    NotAVersion { reference: String },
    #[error("--archive-existing archives the versions in a stage: use it with --to-stage or --approve-request")]
    ArchiveNeedsStage,
    #[error("no test files (*.toml) found in {}", searched.join(", "))]
    NoTestFiles { searched: Vec<String> },
}

/// Why MLflow would refuse an alias (`_validate_model_alias_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasFlaw {
    Empty,
    TooLong,
    BadCharacter(char),
    Latest,
    VersionLike,
}

impl std::fmt::Display for AliasFlaw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AliasFlaw::Empty => f.write_str("it is empty"),
            AliasFlaw::TooLong => f.write_str("it is longer than 255 characters"),
            AliasFlaw::BadCharacter(c) => write!(
                f,
                "{c:?} is not allowed (letters, digits, `_` and `-` only; nothing is trimmed)"
            ),
            AliasFlaw::Latest => f.write_str("`latest` is reserved"),
            AliasFlaw::VersionLike => f.write_str("version-like names (`v3`) are reserved"),
        }
    }
}

/// `; did you mean `x`?` when there is a near miss.
fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

impl UsageError {
    /// The stable code (see `error_code.rs`).
    pub fn code(&self) -> Code {
        match self {
            UsageError::Databricks(_) => Code::UsageDatabricksConfig,
            UsageError::BadRegistryUri { .. } => Code::UsageBadRegistryUri,
            UsageError::StageReferenceOnUnityCatalog { .. }
            | UsageError::RegistryLacks { .. }
            | UsageError::RegistryCannot { .. }
            | UsageError::CannotList { .. } => Code::UsageNotSupported,
            UsageError::BadShard { .. } => Code::UsageBadShard,
            UsageError::BadNow { .. } => Code::UsageBadNow,
            UsageError::BadStage { .. } => Code::UsageBadStage,
            UsageError::BadAlias { .. } => Code::UsageBadAlias,
            UsageError::AliasTypo { .. } => Code::UsageAliasTypo,
            UsageError::ExplainUnknownRule { .. } | UsageError::OverrideUnknownRule { .. } => {
                Code::UsageUnknownRule
            }
            UsageError::BadSeverity { .. } | UsageError::BadFailOn { .. } => Code::UsageBadSeverity,
            UsageError::NoConfigDir { .. } => Code::UsageNoConfigDir,
            UsageError::BadConfig { .. } => Code::UsageBadConfig,
            UsageError::BadProtect { .. } => Code::UsageBadProtect,
            UsageError::BadLedgerTarget { .. } => Code::UsageBadLedgerTarget,
            UsageError::NoEarlierHolder { .. } => Code::UsageNoEarlierHolder,
            UsageError::EmptyDriftReason => Code::UsageEmptyDriftReason,
            UsageError::NoRules { .. } => Code::UsageNoRules,
            UsageError::SameOutput { .. } | UsageError::SameStdout { .. } => Code::UsageSameOutput,
            UsageError::AnchorMissing { .. } | UsageError::AnchorOutside { .. } => {
                Code::UsageBadAnchor
            }
            UsageError::NoPromotionTarget => Code::UsageNoPromotionTarget,
            UsageError::NotAPromotionStage { .. } => Code::UsageBadPromotionStage,
            UsageError::BadIncumbent { .. } => Code::UsageBadIncumbent,
            UsageError::NotAVersion { .. } => Code::UsageNotAVersion,
            UsageError::ArchiveNeedsStage => Code::UsageArchiveNeedsStage,
            UsageError::NoTestFiles { .. } => Code::UsageNoTestFiles,
        }
    }
}
