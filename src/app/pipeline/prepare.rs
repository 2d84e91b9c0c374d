//! The preamble of every judging command, written once: the outputs must be distinct files,
//! the policies in effect are loaded (a broken policy is a usage error whatever the model),
//! the failure threshold is settled from the flag and the config, today is fixed (or taken
//! from `--now`), and the places SARIF, Code Quality and annotations point at are found.
//! All of it before anything is gathered, so a usage error costs no call to the server.

use std::path::Path;

use super::super::config::{self, Effective};
use super::super::error::{AppError, UsageError};
use super::super::{outputs, sarif_site, target};
use crate::cli::{EvalArgs, OutputArgs, PolicyArgs};
use crate::engine::Severity;
use crate::policy::{Policy, PolicyText};
use crate::report::sarif::Site;
use crate::snapshot::io as snapshot_io;
use crate::snapshot::Snapshot;
use crate::timefmt;

/// The bundled example snapshot (`examples/dolly3b.snapshot.json`).
pub const EXAMPLE_SNAPSHOT: &str = include_str!("../../../examples/dolly3b.snapshot.json");

/// What a command knows before it gathers: the policy and how to judge with it.
pub(crate) struct Prepared {
    pub policy: Policy,
    /// The policy files' text, for diagnostics that point into them (waiver warnings).
    pub texts: Vec<PolicyText>,
    pub fail_on: Severity,
    /// Days since 1970-01-01 (UTC): waivers expire against it.
    pub today: i64,
    /// Where SARIF results, Code Quality issues and annotations point.
    pub site: Site,
}

impl Prepared {
    /// The promotion target a check evaluates (`--target-alias` / `--target-stage`).
    pub(crate) fn target(&self, eval: &EvalArgs) -> Result<target::Target, AppError> {
        target::validate(eval, &self.policy.rules)
    }
}

/// Reads the policy and settles threshold, clock and output places.
pub(crate) fn prepare(
    policy_args: &PolicyArgs,
    output: &OutputArgs,
    now: Option<&str>,
) -> Result<Prepared, AppError> {
    outputs::distinct(output)?;
    let Effective {
        policy,
        texts,
        config,
    } = config::effective(policy_args)?;
    let fail_on = config.fail_on(output.fail_on)?;
    let today = today(now)?;
    let site = sarif_site::for_output(output, policy_args, &config, &policy)?;
    Ok(Prepared {
        policy,
        texts,
        fail_on,
        today,
        site,
    })
}

/// The bundled example, parsed (`check` with neither a model nor a snapshot file).
pub(crate) fn example() -> Result<Snapshot, AppError> {
    Ok(snapshot_io::parse(
        EXAMPLE_SNAPSHOT,
        Path::new("examples/dolly3b.snapshot.json"),
    )?)
}

/// Today as days since 1970-01-01 (UTC), or the day of `--now`.
pub fn today(now: Option<&str>) -> Result<i64, AppError> {
    match now {
        Some(text) => timefmt::parse_instant(text)
            .map(|secs| secs.div_euclid(86_400))
            .ok_or_else(|| {
                AppError::from(UsageError::BadNow {
                    text: text.to_string(),
                })
            }),
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs() / 86_400).unwrap_or(0))),
    }
}
