//! Command-line interface: subcommands and flags (clap derive). No logic lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Policy-checking CI gate for MLflow model versions.
///
/// mlgate gathers every audit fact about a model version into a snapshot, evaluates
/// declarative TOML rules against it, and writes a Markdown audit report, JUnit XML and JSON.
///
/// Exit codes: 0 pass · 1 policy failed · 2 usage or policy-file error · 3 could not gather.
#[derive(Debug, Parser)]
#[command(name = "mlgate", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate policy rules against a model version's audit snapshot.
    ///
    /// Every rule gets one outcome: pass, fail, error (could not be evaluated: data missing or
    /// a call failed — never counted as a pass), skipped (not applicable) or waived.
    /// The run fails (exit 1) when a rule of severity `--fail-on` or above fails or errors.
    Check(CheckArgs),

    /// Gather a model version's audit snapshot and save it as JSON (for offline replay).
    Snapshot(SnapshotArgs),

    /// Gather a model version and write the Markdown audit report, without a policy.
    Report(ReportArgs),
}

/// Where to gather from.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The tracking server (`http://host:5000`). Default: `MLFLOW_TRACKING_URI`.
    /// Auth as MLflow: `MLFLOW_TRACKING_USERNAME`/`PASSWORD` (basic, wins) or
    /// `MLFLOW_TRACKING_TOKEN` (bearer); TLS: `MLFLOW_TRACKING_INSECURE_TLS`,
    /// `MLFLOW_TRACKING_SERVER_CERT_PATH`; `MLFLOW_HTTP_REQUEST_TIMEOUT` (s, default 120),
    /// `MLFLOW_HTTP_REQUEST_MAX_RETRIES` (default 3) for 408/429/502/503/504.
    #[arg(long, value_name = "URI")]
    pub tracking_uri: Option<String>,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME@ALIAS, models:/NAME/latest,
    /// models:/m-<logged model id> or runs:/RUN_ID/PATH.
    #[arg(value_name = "MODEL_REF")]
    pub model: String,

    /// Where to write the snapshot JSON.
    #[arg(long, short = 'o', value_name = "FILE.json")]
    pub output: PathBuf,

    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The model reference (same forms as `mlgate snapshot`).
    #[arg(value_name = "MODEL_REF")]
    pub model: String,

    /// Where to write the Markdown report.
    #[arg(long, short = 'o', value_name = "FILE.md")]
    pub output: PathBuf,

    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["model", "snapshot", "example"])))]
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

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// Policy selection, outputs and thresholds shared by the checking commands.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Policy file or directory of `*.toml` files; repeatable. Default: the bundled baseline
    /// policy (`policies/baseline.toml`).
    #[arg(long, short = 'p', value_name = "FILE_OR_DIR")]
    pub policy: Vec<PathBuf>,

    /// Write the Markdown audit report (verdict first, then every gathered fact).
    #[arg(long, value_name = "OUT.md")]
    pub report: Option<PathBuf>,

    /// Write JUnit XML: one testsuite per model version, one testcase per rule.
    #[arg(long, value_name = "OUT.xml")]
    pub junit: Option<PathBuf>,

    /// Write the verdict and findings as JSON.
    #[arg(long, value_name = "OUT.json")]
    pub json: Option<PathBuf>,

    /// Lowest severity whose failures (and evaluation errors) fail the run.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
    pub fail_on: FailOn,

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
