//! Command-line interface: subcommands and flags (clap derive). No logic lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Policy-checking CI gate for MLflow model versions.
///
/// mlgate gathers every audit fact about a model version into a snapshot, evaluates
/// declarative TOML rules against it, and writes a Markdown audit report (--report), JUnit XML
/// (--junit), JSON (--json) and SARIF for GitHub code scanning (--sarif). In GitHub Actions,
/// --github prints annotations and writes the job summary and step outputs.
#[derive(Debug, Parser)]
// `mlgate 0.1.0 (abc1234)`: the commit comes from build.rs. The exit codes close the help
// (and the man page) in the one wording src/exit.rs holds.
#[command(
    name = "mlgate",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("MLGATE_COMMIT"), ")"),
    propagate_version = true,
    after_help = crate::exit::Exit::help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate policy rules against a model version (live, or a saved snapshot).
    ///
    /// Every rule gets one outcome: pass, fail, error (could not be evaluated: data missing or
    /// a call failed — never counted as a pass), skipped (not applicable) or waived.
    /// Exit 1 when a rule of severity `--fail-on` or above fails; else 3 when one could not be
    /// evaluated or a call failed; else 0.
    Check(Box<CheckArgs>),

    /// Promote a version (move an alias or a stage, or approve a transition request) only when
    /// it is green against the version it replaces.
    ///
    /// Reads who holds the target, gathers the candidate and that incumbent, evaluates the
    /// policies (rules compare the two through `incumbent.…`), and on green re-reads the
    /// target, moves it only if it is unchanged, confirms the move, and records the verdict as
    /// `mlgate.*` tags on the candidate (on red too). A candidate that already holds the
    /// target is left alone: nothing is written. Exit 0 promoted (or would be, with
    /// --dry-run; or already held) · 1 policy failed, nothing moved · 2 usage · 3 could not
    /// gather, nothing moved · 4 the target changed under us, a stage would not resolve to the
    /// candidate, or the request is gone, nothing moved; or the outcome is unknown (the move's
    /// answer was lost and the registry could not be read: read it before retrying) · 5
    /// moved, but recording the verdict failed (the promotion stands).
    Promote(Box<PromoteArgs>),

    /// Keep protected aliases and stages compliant, also when someone goes around the gate.
    ///
    /// For each protected target (`[[protect]]` in mlgate.toml, or --protect), the holder
    /// must carry mlgate's passing record for that target under the current policy; a holder
    /// without one is judged now against the previous compliant holder: pass is recorded,
    /// fail or error is a violation, reported (and with `revert` moved back to the last
    /// compliant holder through promote's guarded move). --once: one pass, exit 0 all
    /// compliant · 1 a violation · 3 could not decide. Otherwise a service: reconcile every
    /// --poll, and with --listen receive signed MLflow and Databricks webhooks.
    Guard(Box<GuardArgs>),

    /// Show the promotion ledger of a protected target: who held it, when, how and why.
    ///
    /// Every move mlgate makes (promote, a guard revert, rollback) or observes (guard) is one
    /// entry in the registered model's tags, chained by hash. --at TIME names the holder then;
    /// --verify recomputes the chain. Exit 0 · 1 --verify found an entry edited, removed or
    /// reordered · 2 usage · 3 could not read the registry.
    History(HistoryArgs),

    /// Move an alias or stage back to an earlier holder, only if it passes today's policy.
    ///
    /// --previous takes the holder before the current one from the ledger; --to-version names
    /// one. The earlier holder is judged against the current one as `promote` judges (same
    /// race guard, record, outputs and exit codes); red moves nothing (exit 1) unless
    /// --accept-policy-drift says why, which the ledger records.
    Rollback(Box<RollbackArgs>),

    /// Gather a model version's audit snapshot and save it as JSON (for offline replay).
    Snapshot(SnapshotArgs),

    /// Gather a model version and write the Markdown audit report, without a policy.
    Report(ReportArgs),

    /// Run policy test files: each case evaluates a snapshot fixture (optionally patched) and
    /// compares every rule's outcome with the expected one. Exit 0 all passed, 1 a case
    /// failed, 2 a test or policy file is invalid.
    Test(TestArgs),

    /// Validate policy files without evaluating them (exit 0 valid, 2 problems found).
    Lint(LintArgs),

    /// List the rules in effect: id, severity, title and scope.
    Rules(RulesArgs),

    /// Explain one rule: title, rationale, remediation, check, scope and an example finding.
    Explain(ExplainArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to standard
    /// output, e.g. `mlgate completions bash > /etc/bash_completion.d/mlgate`.
    Completions(CompletionsArgs),

    /// Print the man page (roff) to standard output, e.g. `mlgate man > mlgate.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Which policies, waivers and severities are in effect.
#[derive(Debug, Clone, Args, Default)]
pub struct PolicyArgs {
    /// Policy file or directory of `*.toml` files; repeatable. `builtin:NAME` names a bundled
    /// pack (`baseline`, `production`, `databricks`). Default: the policies of `mlgate.toml`,
    /// else `builtin:baseline`.
    #[arg(long, short = 'p', value_name = "FILE_OR_DIR")]
    pub policy: Vec<PathBuf>,

    /// A waivers file (`[[waiver]]` tables); repeatable. Policy files may hold waivers too.
    #[arg(long, value_name = "FILE")]
    pub waivers: Vec<PathBuf>,

    /// Override a rule's severity: `RULE_ID=error|warning|info`; repeatable.
    #[arg(long = "severity", value_name = "RULE=LEVEL")]
    pub severity: Vec<String>,

    /// Project config (default: the nearest `mlgate.toml` from the working directory up).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Ignore any `mlgate.toml`.
    #[arg(long)]
    pub no_config: bool,
}

/// The promotion being checked and the evaluation date.
#[derive(Debug, Args, Default)]
pub struct EvalArgs {
    /// The stage the version is being promoted to; turns on rules scoped to it
    /// (`when.target = ["Production"]`).
    #[arg(long, value_name = "STAGE")]
    pub target_stage: Option<String>,

    /// The alias being moved to this version; turns on rules scoped to it
    /// (`when.target = ["@champion"]`).
    #[arg(long, value_name = "ALIAS")]
    pub target_alias: Option<String>,

    /// Evaluate as of this date (`YYYY-MM-DD` or RFC 3339) instead of today: waiver expiry.
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["model", "snapshot", "example", "all_models"])))]
pub struct CheckArgs {
    /// Gather this model version live (same forms as `mlgate snapshot`).
    #[arg(value_name = "MODEL_REF")]
    pub model: Option<String>,

    /// A snapshot file saved by `mlgate snapshot` (offline replay).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,

    /// Use the bundled example snapshot (models:/dolly3b/1 on Databricks), offline.
    #[arg(long)]
    pub example: bool,

    /// Check every registered model's versions (narrowed by --filter, --versions, --shard):
    /// one run, one summary. `--report` is then the summary; `--junit` has one testsuite and
    /// `--json` one result per version. Exit 1 when any version fails, else 3 when any could
    /// not be checked, else 0.
    #[arg(long)]
    pub all_models: bool,

    #[command(flatten)]
    pub bulk: BulkArgs,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub eval: EvalArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// `check --all-models`: which versions, how many at once, and the per-version files.
#[derive(Debug, Args, Default)]
pub struct BulkArgs {
    /// Only the registered models this server-side filter selects (the `filter` of MLflow's
    /// `search_registered_models`), e.g. `name LIKE 'fraud%'`.
    #[arg(long, value_name = "FILTER", requires = "all_models")]
    pub filter: Option<String>,

    /// Which versions of each model: `all`; `latest` (the highest version number); `aliased`
    /// (every version an alias points at, plus the latest version in each stage other than
    /// None and Archived).
    #[arg(
        long,
        value_enum,
        value_name = "WHICH",
        default_value = "all",
        requires = "all_models"
    )]
    pub versions: Versions,

    /// Model versions checked at once (each one's own requests run concurrently too).
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256), requires = "all_models")]
    pub jobs: u16,

    /// Check only share I of N (1-based), by a fixed hash of the model name: N CI jobs with
    /// `--shard 1/N` … `--shard N/N` check every version exactly once.
    #[arg(long, value_name = "I/N", requires = "all_models")]
    pub shard: Option<String>,

    /// Save each version's snapshot here (`<model>/<version>.snapshot.json`, redacted as the
    /// other outputs).
    #[arg(long, value_name = "DIR", requires = "all_models")]
    pub snapshot_dir: Option<PathBuf>,

    /// Write each version's Markdown audit report here (`<model>/<version>.md`).
    #[arg(long, value_name = "DIR", requires = "all_models")]
    pub report_dir: Option<PathBuf>,
}

/// `--versions`: which versions of each model `--all-models` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Versions {
    #[default]
    All,
    Latest,
    Aliased,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("goal").required(true).args(["to_alias", "to_stage", "approve_request"])))]
// Flags are booleans by nature; grouping them into enums would only obscure the CLI.
#[allow(clippy::struct_excessive_bools)]
pub struct PromoteArgs {
    /// The candidate: a registry version (models:/NAME/VERSION, models:/NAME@ALIAS,
    /// models:/NAME/STAGE, catalog.schema.model/VERSION …).
    #[arg(value_name = "MODEL_REF")]
    pub model: String,

    /// Point this alias at the candidate (open-source MLflow, Unity Catalog).
    #[arg(long, value_name = "ALIAS")]
    pub to_alias: Option<String>,

    /// Move the candidate to this stage (open-source MLflow, Databricks workspace registry).
    #[arg(long, value_name = "STAGE")]
    pub to_stage: Option<String>,

    /// Databricks workspace registry: approve the candidate's open request to this stage on
    /// green, reject it with the verdict as comment on red.
    #[arg(long, value_name = "STAGE")]
    pub approve_request: Option<String>,

    /// Gather, evaluate and report; write nothing to the registry (no move, no tags).
    #[arg(long)]
    pub dry_run: bool,

    /// Refuse (exit 4) unless this version holds the target (`none`: no version does), both
    /// when mlgate starts and right before it moves.
    #[arg(long, value_name = "VERSION|none")]
    pub expect_incumbent: Option<String>,

    /// Stages: archive the versions that are in the stage now (the server's own flag).
    #[arg(long)]
    pub archive_existing: bool,

    /// Do not record the verdict as `mlgate.*` tags on the candidate.
    #[arg(long)]
    pub no_record: bool,

    /// The report's address, recorded as `mlgate.report` [default: the GitHub Actions run,
    /// from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID, when set].
    #[arg(long, value_name = "URL")]
    pub report_url: Option<String>,

    /// Evaluate as of this date (`YYYY-MM-DD` or RFC 3339) instead of today: waiver expiry.
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,

    /// Set by `mlgate rollback`: the move is a rollback (and may accept policy drift).
    #[arg(skip)]
    pub rollback: Option<RollbackOf>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// A promotion that is a rollback: what the ledger records besides.
#[derive(Debug, Clone, Default)]
pub struct RollbackOf {
    /// `--accept-policy-drift`: move even on a failed verdict, for this reason.
    pub accept_policy_drift: Option<String>,
}

/// `mlgate history MODEL@ALIAS` / `MODEL/STAGE`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The target: `churn@champion`, `churn/Production`, `main.ml.churn@champion`.
    #[arg(value_name = "MODEL@ALIAS|MODEL/STAGE")]
    pub target: String,

    /// Print the ledger as JSON (entries, unrecorded moves, and with --verify what breaks).
    #[arg(long)]
    pub json: bool,

    /// Who held the target at this time (`YYYY-MM-DD` or RFC 3339), and the entry that put
    /// it there.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,

    /// Recompute the chain: exit 1 naming the first entry edited, removed or reordered.
    #[arg(long)]
    pub verify: bool,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// `mlgate rollback MODEL --to-alias A (--previous | --to-version N)`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("goal").required(true).args(["to_alias", "to_stage"])))]
#[command(group(clap::ArgGroup::new("which").required(true).args(["previous", "to_version"])))]
pub struct RollbackArgs {
    /// The registered model: `churn`, or `catalog.schema.model`.
    #[arg(value_name = "MODEL")]
    pub model: String,

    /// Roll this alias back.
    #[arg(long, value_name = "ALIAS")]
    pub to_alias: Option<String>,

    /// Roll this stage back.
    #[arg(long, value_name = "STAGE")]
    pub to_stage: Option<String>,

    /// To the holder before the current one, as the ledger says.
    #[arg(long)]
    pub previous: bool,

    /// To this version.
    #[arg(long, value_name = "N")]
    pub to_version: Option<String>,

    /// Move even when the earlier holder fails today's policy; the reason is recorded in the
    /// ledger entry.
    #[arg(long, value_name = "REASON")]
    pub accept_policy_drift: Option<String>,

    /// Gather, evaluate and report; write nothing to the registry.
    #[arg(long)]
    pub dry_run: bool,

    /// Stages: archive the versions that are in the stage now.
    #[arg(long)]
    pub archive_existing: bool,

    /// The report's address, recorded as `mlgate.report`.
    #[arg(long, value_name = "URL")]
    pub report_url: Option<String>,

    /// Evaluate as of this date (`YYYY-MM-DD` or RFC 3339) instead of today: waiver expiry.
    #[arg(long, value_name = "DATE")]
    pub now: Option<String>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// What `mlgate guard` protects, how it hears of changes and where it says what it did.
#[derive(Debug, Args)]
pub struct GuardArgs {
    /// Protect `MODEL@ALIAS` or `MODEL/STAGE` (MODEL may be a glob: `churn-*`); repeatable.
    /// Added to mlgate.toml's `[[protect]]` entries.
    #[arg(long, value_name = "MODEL@ALIAS|MODEL/STAGE")]
    pub protect: Vec<String>,

    /// What a violation of a --protect target does: `report` it, or also `revert` the target
    /// to its last compliant holder.
    #[arg(long, value_enum, default_value_t = OnViolation::Report)]
    pub on_violation: OnViolation,

    /// A --protect target's passing record older than this is judged again (`30d`, `12h`,
    /// `90m`, `600s`) [default: never too old].
    #[arg(long, value_name = "AGE")]
    pub max_age: Option<String>,

    /// One reconcile pass over every protected target, then exit (for cron, a scheduled CI
    /// workflow or a Databricks job).
    #[arg(long, conflicts_with_all = ["listen", "register"])]
    pub once: bool,

    /// Serve webhooks, `/healthz` and `/metrics` on this address (`127.0.0.1:8080`). The
    /// webhook secrets come from `MLGATE_WEBHOOK_SECRET` (MLflow) and
    /// `MLGATE_DATABRICKS_WEBHOOK_SECRET` (Databricks).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// Seconds between reconcile passes of the service.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub poll: u64,

    /// Append one JSON line per decision to this file [default: standard output].
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,

    /// Write the Markdown audit report of each violation into this directory.
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,

    /// POST each violation as JSON (with a `text` field, as Slack and Teams incoming webhooks
    /// read it) to this URL.
    #[arg(long, value_name = "URL")]
    pub notify: Option<String>,

    /// Create or update the MLflow webhook subscription that delivers to this public URL
    /// (`https://guard.example.com/webhooks/mlflow`); needs an MLflow admin.
    #[arg(long, value_name = "PUBLIC_URL", requires = "listen")]
    pub register: Option<String>,

    /// Decisions run at once, at most (one per target at a time).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Fail on rules of this severity or above.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// What a violation of a protected target does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnViolation {
    /// Say so in every output; move nothing.
    #[default]
    Report,
    /// Also move the target back to its last compliant holder.
    Revert,
}

/// Outputs and the failure threshold.
// Flags are booleans by nature; grouping them into enums would only obscure the CLI.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Default, Args)]
// The outputs that point into the repository, where `--sarif-anchor` applies.
#[command(group(clap::ArgGroup::new("anchored").multiple(true).args(["sarif", "codequality", "github"])))]
pub struct OutputArgs {
    /// Write the Markdown audit report (verdict first, then every gathered fact); `-`:
    /// standard output.
    #[arg(long, value_name = "OUT.md")]
    pub report: Option<PathBuf>,

    /// Write JUnit XML: one testsuite per model version, one testcase per rule; `-`: standard
    /// output.
    #[arg(long, value_name = "OUT.xml")]
    pub junit: Option<PathBuf>,

    /// Write the verdict and findings as JSON; `-`: standard output.
    #[arg(long, value_name = "OUT.json")]
    pub json: Option<PathBuf>,

    /// Write SARIF 2.1.0 (failures and evaluation errors, anchored at the rule in its policy
    /// file, relative to the repository root), for GitHub code scanning; `-`: standard output.
    #[arg(long, value_name = "OUT.sarif")]
    pub sarif: Option<PathBuf>,

    /// Write a GitLab Code Quality report (failures and evaluation errors, at the rule in its
    /// policy file, relative to the repository root), for `artifacts:reports:codequality`;
    /// `-`: standard output.
    #[arg(long, value_name = "OUT.json")]
    pub codequality: Option<PathBuf>,

    /// SARIF, Code Quality and annotations: the repository file to show results at when their
    /// rule has no file in the repository (bundled `builtin:` packs, policies outside it).
    /// GitHub code scanning rejects results without a file [default: the mlgate.toml in
    /// effect, else the workflow running mlgate (GITHUB_WORKFLOW_REF), else the GitLab
    /// pipeline file (CI_CONFIG_PATH)].
    #[arg(long, value_name = "FILE", requires = "anchored")]
    pub sarif_anchor: Option<PathBuf>,

    /// GitHub Actions: print annotations, and append the job summary to `$GITHUB_STEP_SUMMARY`
    /// and the verdict and counts to `$GITHUB_OUTPUT` when those are set.
    #[arg(long)]
    pub github: bool,

    /// Lowest severity whose failures (and evaluation errors) fail the run [default: error,
    /// or `fail_on` in mlgate.toml].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Let the run pass although calls failed while gathering (they are still reported).
    /// Without it, any recorded gather error fails the run: facts that could not be read are
    /// never taken as fine.
    #[arg(long)]
    pub allow_gather_errors: bool,

    /// Accept a run in which every rule was out of scope (skipped). Without it such a run is
    /// no pass: nothing was judged (often a mistyped --target-stage / --target-alias).
    #[arg(long)]
    pub allow_all_skipped: bool,

    /// Do not print the terminal summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

/// Where to gather from.
#[derive(Debug, Clone, Default, Args)]
pub struct ServerArgs {
    /// The tracking server (`http://host:5000`). Default: `MLFLOW_TRACKING_URI`.
    /// Auth as MLflow: `MLFLOW_TRACKING_USERNAME`/`PASSWORD` (basic, wins) or
    /// `MLFLOW_TRACKING_TOKEN` (bearer); TLS: `MLFLOW_TRACKING_INSECURE_TLS`,
    /// `MLFLOW_TRACKING_SERVER_CERT_PATH`; `MLFLOW_HTTP_REQUEST_TIMEOUT` (s, default 120),
    /// `MLFLOW_HTTP_REQUEST_MAX_RETRIES` (default 3) for 408/429/502/503/504.
    ///
    /// Databricks: `databricks` or `databricks://PROFILE` (host and credentials from
    /// `DATABRICKS_HOST` + `DATABRICKS_TOKEN` or `DATABRICKS_CLIENT_ID`/`_SECRET`, else the
    /// profile in `~/.databrickscfg` / `DATABRICKS_CONFIG_FILE`); `DATABRICKS_HOST` alone also
    /// selects Databricks.
    #[arg(long, value_name = "URI")]
    pub tracking_uri: Option<String>,

    /// With Databricks: `databricks` (workspace model registry) or `databricks-uc` (Unity
    /// Catalog). Default: `MLFLOW_REGISTRY_URI`, else Unity Catalog for three-level names
    /// (`catalog.schema.model`) and the workspace registry otherwise. (MLflow 3 itself
    /// defaults a `databricks` tracking URI to Unity Catalog.)
    #[arg(long, value_name = "URI")]
    pub registry_uri: Option<String>,

    /// Write secret-looking values as they are. By default every output (terminal, report,
    /// JSON, JUnit, SARIF, GitHub, the saved snapshot) replaces params, tags and texts whose key
    /// names a secret (password, token, api_key, …) or whose value looks like one (`dapi…`,
    /// `ghp_…`, AWS keys, private keys, `Bearer …`, `user:password@` URLs) with a
    /// `[redacted: …]` marker; rules always see the real values.
    #[arg(long)]
    pub no_redact: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME@ALIAS, models:/NAME/latest,
    /// models:/m-<logged model id> or runs:/RUN_ID/PATH.
    #[arg(value_name = "MODEL_REF")]
    pub model: String,

    /// Where to write the snapshot JSON (`-`: standard output).
    #[arg(long, short = 'o', value_name = "FILE.json")]
    pub output: PathBuf,

    /// Gather a promotion to this stage: the version now in it is saved as the `incumbent`
    /// (replay with `check --snapshot`).
    #[arg(long, value_name = "STAGE")]
    pub target_stage: Option<String>,

    /// Gather a promotion of this alias: the version it points at is saved as the
    /// `incumbent`.
    #[arg(long, value_name = "ALIAS")]
    pub target_alias: Option<String>,

    /// Do not say what was written (failures are still reported).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The model reference (same forms as `mlgate snapshot`).
    #[arg(value_name = "MODEL_REF")]
    pub model: String,

    /// Where to write the Markdown report (`-`: standard output).
    #[arg(long, short = 'o', value_name = "FILE.md")]
    pub output: PathBuf,

    /// Do not say what was written (failures are still reported).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files, or directories searched for `*.toml` test files [default: the `tests` of
    /// mlgate.toml, else `policies/tests`].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write the case results as JUnit XML; `-`: standard output.
    #[arg(long, value_name = "OUT.xml")]
    pub junit: Option<PathBuf>,

    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Policy files or directories (`builtin:NAME` for a bundled pack).
    #[arg(value_name = "POLICY", required = true)]
    pub policies: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id.
    #[arg(value_name = "RULE_ID")]
    pub rule: String,

    #[command(flatten)]
    pub policy: PolicyArgs,
}
