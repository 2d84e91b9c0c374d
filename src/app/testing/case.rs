//! The test cases `mlgate test` runs, as loaded from a test file: a leaf both the loader and
//! the runner use.

use serde_json::Value;

use crate::cli::EvalArgs;
use crate::engine::Outcome;
use crate::policy::Policy;

/// One case, ready to run.
pub(super) struct Case {
    pub name: String,
    pub snapshot: Value,
    pub eval: EvalArgs,
    pub expect: Vec<(String, Outcome)>,
}

/// One test file's cases and the policy they run against.
pub(super) struct TestFile {
    pub name: String,
    pub policy: Policy,
    pub cases: Vec<Case>,
}
