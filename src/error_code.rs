//! The stable codes of every error mlgate reports (and of its waiver warnings), in one table.
//!
//! A code is printed above its message (`policy::unknown-check`, `usage::bad-now`,
//! `gather::connect`, `promote::holder-changed`), and `docs/errors.md` is generated from this
//! table: what the code means, what to do, and the exit code the run ends with. A code is part
//! of mlgate's interface (scripts and search engines find it), so it is never renamed or
//! reused; a test fails when two codes print alike, when the doc is stale, or when the source
//! spells a code that is not in the table.

use std::fmt;

use crate::exit::Exit;

const USAGE: Option<Exit> = Some(Exit::Usage);
const GATHER: Option<Exit> = Some(Exit::Gather);
const CONFLICT: Option<Exit> = Some(Exit::Conflict);
const RECORD: Option<Exit> = Some(Exit::RecordFailed);
/// A warning: the run goes on, and its exit code is decided by the verdict.
const WARNING: Option<Exit> = None;

/// Declares [`Code`] and its table: one line per code, so the printed string, the exit code,
/// the meaning and the advice cannot drift apart.
macro_rules! codes {
    ($($variant:ident = $code:literal, $exit:expr, $meaning:literal, $todo:literal;)*) => {
        /// A stable error or warning code (see the module documentation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order `docs/errors.md` lists them.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed: `family::name`.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The exit code a run ends with when this is its error; `None` for a warning.
            #[must_use]
            pub fn exit(self) -> Option<Exit> {
                match self {
                    $(Code::$variant => $exit,)*
                }
            }

            /// What the code means, in one line.
            #[must_use]
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }

            /// What to do about it.
            #[must_use]
            pub fn what_to_do(self) -> &'static str {
                match self {
                    $(Code::$variant => $todo,)*
                }
            }
        }
    };
}

codes! {
    // Command line and configuration.
    UsageArguments = "usage::arguments", USAGE,
        "The command line does not parse: an unknown subcommand or flag, a missing argument, a value of the wrong form.",
        "Read clap's message below the code; `mlgate help` and `mlgate COMMAND --help` list the arguments.";
    UsageBadReference = "usage::bad-reference", USAGE,
        "The model reference is not one mlgate knows how to read.",
        "Write `models:/NAME/VERSION`, `models:/NAME@ALIAS`, `models:/NAME/STAGE`, `models:/NAME/latest`, `models:/m-ID`, `runs:/RUN_ID/PATH` or a Unity Catalog name `catalog.schema.model`.";
    UsageNoTrackingUri = "usage::no-tracking-uri", USAGE,
        "A live check was asked for, but no tracking server is named.",
        "Pass `--tracking-uri` or set `MLFLOW_TRACKING_URI`; or check a saved file with `--snapshot`.";
    UsageDatabricksConfig = "usage::databricks-config", USAGE,
        "The Databricks workspace behind a `databricks` tracking URI is not configured, or ambiguously.",
        "Set `DATABRICKS_HOST` with one credential (`DATABRICKS_TOKEN`, or OAuth client id and secret), or name a profile of `~/.databrickscfg` in the URI (`databricks://PROFILE`).";
    UsageBadRegistryUri = "usage::bad-registry-uri", USAGE,
        "The registry URI does not go with a Databricks tracking URI.",
        "Use `--registry-uri databricks` (workspace registry) or `databricks-uc` (Unity Catalog), or leave it out.";
    UsageNotSupported = "usage::not-supported", USAGE,
        "The registry behind the reference cannot do what was asked (stages in Unity Catalog, aliases in the workspace registry, listing Unity Catalog models).",
        "Use what that registry has (the message names it), or a registry that has what you asked for.";
    UsageBadNow = "usage::bad-now", USAGE,
        "`--now` is neither a date nor an RFC 3339 instant.",
        "Write `--now 2026-12-31` or `--now 2026-12-31T12:00:00Z`.";
    UsageBadStage = "usage::bad-stage", USAGE,
        "A stage flag names no registry stage.",
        "Use one of None, Staging, Production, Archived (any case).";
    UsageBadAlias = "usage::bad-alias", USAGE,
        "An alias flag names an alias MLflow would refuse.",
        "Use letters, digits, `_` and `-` only, at most 255 characters; `latest` and version-like names (`v3`) are reserved.";
    UsageAliasTypo = "usage::alias-typo", USAGE,
        "The target alias turns on no rule, but the policies scope rules to an alias that differs only slightly.",
        "Use the alias as the policies spell it (aliases are case-sensitive), or fix the policies' `when.targets`.";
    UsageUnknownRule = "usage::unknown-rule", USAGE,
        "A rule id named on the command line or in `mlgate.toml` is not in the policies in effect.",
        "Run `mlgate rules` for the ids in effect; the message suggests the nearest one.";
    UsageBadSeverity = "usage::bad-severity", USAGE,
        "A severity override or `fail_on` is not error, warning or info.",
        "Write `RULE=error`, `RULE=warning` or `RULE=info` (and `fail_on = \"warning\"` in `mlgate.toml`).";
    UsageNoConfigDir = "usage::no-config-dir", USAGE,
        "The working directory cannot be read, so `mlgate.toml` cannot be looked for.",
        "Run from a readable directory, or pass `--config FILE` or `--no-config`.";
    UsageBadConfig = "usage::bad-config", USAGE,
        "`mlgate.toml` is not valid (TOML syntax, an unknown key, a value of the wrong type).",
        "Fix the file at the place the message names; docs/policies.md lists its keys.";
    UsageBadProtect = "usage::bad-protect", USAGE,
        "A `[[protect]]` entry or `--protect` flag of `mlgate guard` cannot be read.",
        "Name targets as `MODEL@ALIAS` or `MODEL/STAGE` (Staging or Production), and ages as `30d`, `12h`, `90m` or `600s`.";
    UsageBadLedgerTarget = "usage::bad-ledger-target", USAGE,
        "The target of `history` or `rollback` is not `MODEL@ALIAS` or `MODEL/STAGE`.",
        "Write it as `churn@champion` or `churn/Production` (`main.ml.churn@champion` on Unity Catalog).";
    UsageNoEarlierHolder = "usage::no-earlier-holder", USAGE,
        "`rollback --previous` found no earlier holder in the target's ledger (no entry yet, or the first holder).",
        "Name the version with `--to-version N`; `mlgate history MODEL@ALIAS` shows the ledger.";
    UsageEmptyDriftReason = "usage::empty-drift-reason", USAGE,
        "`--accept-policy-drift` was given an empty reason.",
        "Say why the earlier version may hold the target although it fails today's policy: the ledger records it.";
    UsageNoRules = "usage::no-rules", USAGE,
        "The policies in effect hold no rule, so the gate would pass anything.",
        "Add `[[rule]]` tables, or point `--policy` at the packs you mean (`builtin:baseline`).";
    UsageSameOutput = "usage::same-output", USAGE,
        "Two output flags name the same file.",
        "Give each output (`--report`, `--junit`, `--json`, `--sarif`, `--codequality`) its own path.";
    UsageBadShard = "usage::bad-shard", USAGE,
        "`--shard` is not I/N with 1 <= I <= N.",
        "Write it as a CI matrix numbers its jobs, e.g. `--shard 2/4`.";
    UsageBadAnchor = "usage::bad-anchor", USAGE,
        "`--sarif-anchor` names no file, or a file outside the repository.",
        "Name a file of the repository (`mlgate.toml` or a policy file) to show results of bundled rules at.";
    UsageNoPromotionTarget = "usage::no-promotion-target", USAGE,
        "`promote` was not told where to promote.",
        "Pass `--to-alias`, `--to-stage` or `--approve-request`.";
    UsageBadPromotionStage = "usage::bad-promotion-stage", USAGE,
        "A promotion names a stage that is not a promotion (None or Archived).",
        "Promote to Staging or Production; archiving is not a promotion.";
    UsageBadIncumbent = "usage::bad-incumbent", USAGE,
        "`--expect-incumbent` is neither a version number nor `none`.",
        "Write the version that should hold the target now (`--expect-incumbent 3`), or `none`.";
    UsageNotAVersion = "usage::not-a-version", USAGE,
        "`promote` was given a run or a logged model, which no registry target can hold.",
        "Register the model first, then promote `models:/NAME/VERSION`.";
    UsageArchiveNeedsStage = "usage::archive-needs-stage", USAGE,
        "`--archive-existing` was given to a promotion that moves no stage.",
        "Use it with `--to-stage` or `--approve-request`, or leave it out.";
    UsageNoTestFiles = "usage::no-test-files", USAGE,
        "`mlgate test` found no test file.",
        "Name `*.toml` test files or directories holding them, or set `tests` in `mlgate.toml`.";
    UsageUnreadable = "usage::unreadable", USAGE,
        "A file named on the command line or in a test file cannot be read (never taken for an empty one).",
        "Check the path and its permissions.";
    OutputWrite = "output::write", USAGE,
        "An output file (report, JUnit, JSON, SARIF, Code Quality, a GitHub file) or standard output cannot be written.",
        "Check that the directory exists and is writable, and that the disk is not full.";

    // Policy files.
    PolicyInvalid = "policy::invalid", USAGE,
        "The summary of a policy or test file that failed to load: the problems above it say what.",
        "Fix each problem listed; `docs/policy-language.md` describes every key and check.";
    PolicyUnreadable = "policy::unreadable", USAGE,
        "A policy file or directory cannot be read.",
        "Check the `--policy` path (or `policies` in `mlgate.toml`) and its permissions.";
    PolicyEmptyDir = "policy::empty-dir", USAGE,
        "A policy directory holds no `.toml` file.",
        "Put the policy files there, or name the files themselves.";
    PolicyUnknownBuiltin = "policy::unknown-builtin", USAGE,
        "A `builtin:` policy names no bundled pack.",
        "Use `builtin:baseline`, `builtin:production` or `builtin:databricks`.";
    PolicySyntax = "policy::syntax", USAGE,
        "A policy file is not valid TOML.",
        "Fix the TOML at the marked place (an unclosed quote or bracket is the usual cause).";
    PolicyUnknownKey = "policy::unknown-key", USAGE,
        "A table of a policy file has a key mlgate does not know (usually a typo).",
        "Use the key the help suggests; `docs/policy-language.md` lists the keys of each table.";
    PolicyWrongType = "policy::wrong-type", USAGE,
        "A key of a policy file has a value of the wrong type.",
        "Write the type the message names (a string, a table, an array, a number).";
    PolicyMissingKey = "policy::missing-key", USAGE,
        "A rule or a check lacks a key it needs.",
        "Add the keys the message names (a rule needs `id`, `title`, `severity`, `description`, `select` and `check`).";
    PolicyBadId = "policy::bad-id", USAGE,
        "A rule id is not kebab-case.",
        "Name the problem in lowercase words joined by `-`, e.g. `missing-signature`.";
    PolicyDuplicateId = "policy::duplicate-id", USAGE,
        "Two rules share an id (maybe in two files).",
        "Give each rule its own id; ids are never reused.";
    PolicyBadSeverity = "policy::bad-severity", USAGE,
        "A rule's severity is not error, warning or info.",
        "Write `severity = \"error\"`, `\"warning\"` or `\"info\"`.";
    PolicyUnknownCheck = "policy::unknown-check", USAGE,
        "A rule names a check kind mlgate does not have.",
        "Use the check the help suggests; `docs/policy-language.md` lists every check.";
    PolicyEmptyCheck = "policy::empty-check", USAGE,
        "A check table, or a quantifier's conditions, is empty.",
        "Name one check (e.g. `check = { non_empty = true }`), or at least one condition.";
    PolicyUnsupportedCheck = "policy::unsupported-check", USAGE,
        "A documented check cannot be compiled by this build.",
        "This is a bug in mlgate; please report it, and express the rule with another check meanwhile.";
    PolicyBadRegex = "policy::bad-regex", USAGE,
        "A regular expression of a rule or a `when` does not compile.",
        "Use the syntax of Rust's `regex` crate (no look-around, no backreferences); in basic TOML strings escape `\\` as `\\\\`.";
    PolicyBadSelector = "policy::bad-selector", USAGE,
        "A selector or field path is malformed, or selects many values where one is needed.",
        "Write a dotted path such as `run.tags[\"mlflow.user\"]`; comparisons name one value.";
    PolicySelectorNeverMatches = "policy::selector-never-matches", USAGE,
        "A selector names a path the snapshot never has, so its rule could never see a value.",
        "Use the path the help suggests; `docs/snapshot.md` lists the snapshot's fields.";
    PolicyBadTemplate = "policy::bad-template", USAGE,
        "A rule message's `{placeholder}` names nothing in the snapshot.",
        "Use `{value}`, `{count}`, `{path}` or a snapshot path; write `{{` for a literal brace.";
    PolicyBadTarget = "policy::bad-target", USAGE,
        "A `when.targets` entry is neither a stage nor an alias written `@name`.",
        "Write a stage (`Production`) or an alias with its `@` (`@champion`).";
    PolicyBadBackend = "policy::bad-backend", USAGE,
        "A `when.backends` entry names no backend, so its rule would be skipped everywhere.",
        "Use `mlflow-oss`, `databricks-workspace` or `databricks-uc`.";
    PolicyConflictingTolerance = "policy::conflicting-tolerance", USAGE,
        "`not_worse_than` has both `by_more_than` and `by_more_than_ratio`.",
        "Keep one: an absolute difference, or a fraction of the other value.";
    PolicyBadDirection = "policy::bad-direction", USAGE,
        "`not_worse_than` says `better` is something other than higher or lower.",
        "Write `better = \"higher\"` (accuracy, AUC) or `better = \"lower\"` (loss, latency).";
    PolicyWaiverField = "policy::waiver-field", USAGE,
        "A waiver field is empty.",
        "Fill it in, or leave `versions` out to waive every version of the model.";
    PolicyWaiverIncomplete = "policy::waiver-incomplete", USAGE,
        "A waiver lacks `rule`, `reason`, `owner` or `expires`.",
        "Give all four: an exception without a reason, an owner and an end is a policy change.";
    PolicyBadDate = "policy::bad-date", USAGE,
        "A waiver's `expires` is not a date.",
        "Write it as `expires = 2026-12-31`.";
    PolicyUnknownRule = "policy::unknown-rule", USAGE,
        "A waiver names a rule id that no policy in effect defines.",
        "Use the id the help suggests, or delete the waiver.";
    PolicyInternal = "policy::internal", USAGE,
        "mlgate could not compile a rule and recorded no reason.",
        "This is a bug in mlgate; please report it with the rule.";

    // Waivers at run time.
    WaiverExpired = "waiver::expired", WARNING,
        "A waiver's `expires` date has passed: it no longer waives anything.",
        "Renew it with a new `expires` (and a fresh reason), or fix the finding and delete the waiver.";
    WaiverUnmatched = "waiver::unmatched", WARNING,
        "A waiver matched no finding in this run.",
        "Delete it if its rule now passes, or fix its `rule`, `model` or `versions`.";

    // `mlgate test` files.
    TestSyntax = "test::syntax", USAGE,
        "A test file is not valid TOML.",
        "Fix the TOML at the marked place.";
    TestUnknownKey = "test::unknown-key", USAGE,
        "A test file or a case has a key mlgate does not know.",
        "Use the keys the help lists (`policies`, `case`; a case's `name`, `snapshot`, `expect`, …).";
    TestWrongType = "test::wrong-type", USAGE,
        "A key of a test file has a value of the wrong type.",
        "Write the type the message names.";
    TestMissingKey = "test::missing-key", USAGE,
        "A case lacks `name`, `snapshot` or `expect`.",
        "Give each `[[case]]` all three.";
    TestNoCases = "test::no-cases", USAGE,
        "A test file holds no `[[case]]`.",
        "Add a case with `name`, `snapshot` and `expect`.";
    TestPolicy = "test::policy", USAGE,
        "The policies a test file names cannot be loaded.",
        "Fix the path in `policies`, or the policy files (their own problems are listed).";
    TestSnapshot = "test::snapshot", USAGE,
        "A case's snapshot fixture cannot be read, is not JSON, or is not a valid snapshot once patched.",
        "Check the fixture path (relative to the test file) and the case's `patch` and `remove`.";
    TestBadRemove = "test::bad-remove", USAGE,
        "A case's `remove` names a path the fixture does not have.",
        "List paths that exist in the fixture, e.g. `\"mlflow_model.signature\"`.";
    TestBadDate = "test::bad-date", USAGE,
        "A case's `now` is not a date.",
        "Write `now = \"2026-12-31\"` or an RFC 3339 instant.";
    TestUnknownRule = "test::unknown-rule", USAGE,
        "A case expects an outcome of a rule no policy of the file defines.",
        "Use the id the help suggests; `mlgate rules` lists the ids in effect.";
    TestBadOutcome = "test::bad-outcome", USAGE,
        "A case expects an outcome that does not exist.",
        "Expect one of pass, fail, error, skipped, waived.";

    // Saved snapshots.
    SnapshotUnreadable = "snapshot::unreadable", GATHER,
        "The `--snapshot` file cannot be read.",
        "Check the path; `mlgate snapshot MODEL -o FILE` saves one.";
    SnapshotSyntax = "snapshot::syntax", GATHER,
        "The snapshot file is not valid JSON.",
        "Save it again with `mlgate snapshot`; a file cut short is the usual cause.";
    SnapshotSchema = "snapshot::schema", GATHER,
        "The snapshot file is JSON, but not an mlgate snapshot.",
        "Save it again with `mlgate snapshot`; `docs/snapshot.md` describes the schema.";
    SnapshotVersion = "snapshot::version", GATHER,
        "The snapshot file has a schema version this mlgate does not read.",
        "Save it again with this version of mlgate, or use the version that wrote it.";
    SnapshotWrite = "snapshot::write", GATHER,
        "The snapshot file cannot be written.",
        "Check that the directory exists and is writable.";

    // Gathering from the tracking server.
    GatherConnect = "gather::connect", GATHER,
        "Nothing answered at the tracking server's address (refused, unreachable, or no connection in time).",
        "Check that the server is running and reachable, and `--tracking-uri` / `MLFLOW_TRACKING_URI`.";
    GatherDns = "gather::dns", GATHER,
        "The tracking server's host name does not resolve.",
        "Check the host name in `--tracking-uri` / `MLFLOW_TRACKING_URI`.";
    GatherTls = "gather::tls", GATHER,
        "The TLS handshake with the server failed (certificate not trusted, wrong host name, protocol).",
        "Give the server's certificate (or its CA) in `MLFLOW_TRACKING_SERVER_CERT_PATH`.";
    GatherTimeout = "gather::timeout", GATHER,
        "A call to the server timed out.",
        "If the server is just slow, raise `MLFLOW_HTTP_REQUEST_TIMEOUT` (seconds).";
    GatherDeadline = "gather::deadline", GATHER,
        "The whole gather's time budget ran out.",
        "If the server is that slow, raise `MLGATE_GATHER_TIMEOUT` (seconds).";
    GatherRateLimited = "gather::rate-limited", GATHER,
        "The server still rate limits this client when the retries run out, or asks it to wait longer than the gather has left; the message says which of the two stopped the retries.",
        "Run the gate later, or raise what stopped the retries: `MLFLOW_HTTP_REQUEST_MAX_RETRIES` (the attempts) or `MLGATE_GATHER_TIMEOUT` (the budget).";
    GatherConnectionBroken = "gather::connection-broken", GATHER,
        "The connection was closed before or during the answer.",
        "A proxy or load balancer in between may be cutting it; run again, then check it.";
    GatherTooLarge = "gather::too-large", GATHER,
        "An answer is larger than the response limit.",
        "Raise `MLGATE_MAX_RESPONSE_BYTES` if the answer is genuine; otherwise check `--tracking-uri`.";
    GatherNotJson = "gather::not-json", GATHER,
        "The server answered with a web page instead of the MLflow API.",
        "A login proxy or a wrong `--tracking-uri`: point it at the MLflow server itself.";
    GatherBadAnswer = "gather::bad-answer", GATHER,
        "The server's JSON is invalid, or not of the shape the MLflow API answers.",
        "Check `--tracking-uri` and any proxy in between; report it if the server is a genuine MLflow.";
    GatherUnauthorized = "gather::unauthorized", GATHER,
        "The server refused the call for want of credentials (HTTP 401).",
        "Set `MLFLOW_TRACKING_USERNAME` and `MLFLOW_TRACKING_PASSWORD`, or `MLFLOW_TRACKING_TOKEN` (`DATABRICKS_TOKEN` on Databricks).";
    GatherForbidden = "gather::forbidden", GATHER,
        "The credentials may not read what was asked (HTTP 403).",
        "Ask the model's owner for READ on the registered model and its experiment (`docs/permissions.md`).";
    GatherNotFound = "gather::not-found", GATHER,
        "The model, version, stage or alias does not exist on this server (HTTP 404).",
        "Check the name, version or stage (names are case-sensitive), and that this is the right server.";
    GatherHttp = "gather::http", GATHER,
        "The server answered a call with another HTTP error.",
        "Read the server's message in the error; a 5xx is the server's own failure.";

    // Promotion.
    PromoteUnexpectedIncumbent = "promote::unexpected-incumbent", CONFLICT,
        "The target is held by another version than `--expect-incumbent` says; nothing moved.",
        "Look at who holds the target now, and run again with the right `--expect-incumbent`.";
    PromoteHolderChanged = "promote::holder-changed", CONFLICT,
        "The target changed hands while mlgate was checking; the verdict was against the former holder, so nothing moved.",
        "Run the promotion again: it checks against the new holder.";
    PromoteRequestGone = "promote::request-gone", CONFLICT,
        "The version has no open transition request to the stage (any more); nothing moved.",
        "Open a request again (or promote with `--to-stage`), then run again.";
    PromoteLostRace = "promote::lost-race", CONFLICT,
        "Right after the move, another version holds the target: another client moved it, and the verdict is not recorded.",
        "Find out who else promotes this model; then run again.";
    PromoteUnconfirmed = "promote::unconfirmed", CONFLICT,
        "The move was sent, but its answer was lost (or it was made) and reading the registry afterwards failed: it is not known whether it took (`promoted=unknown`).",
        "Read the registry (who holds the target) before retrying: the move may have happened.";
    PromoteStageResolvesElsewhere = "promote::stage-resolves-elsewhere", CONFLICT,
        "The stage resolves to another version than the candidate: a newer version is in it, so `models:/NAME/STAGE` would not serve the candidate; nothing moved (or, when another version came in right after the move, the verdict is not recorded).",
        "Promote with `--archive-existing` to archive the versions in the stage, or promote the newer version.";
    PromoteReread = "promote::reread-failed", GATHER,
        "Re-reading the target (or the requests) right before moving failed; nothing moved.",
        "Check the server (the message names the failed call), then run again.";
    PromoteMoveFailed = "promote::move-failed", GATHER,
        "The registry refused or failed the move, and the registry shows it did not take; nothing moved.",
        "Read the server's message; check that the credentials may write to the model (`docs/permissions.md`).";
    PromoteRecordFailed = "promote::record-failed", RECORD,
        "The version was promoted, but recording the verdict on it failed; the promotion stands.",
        "Record it again by hand (the verdict tags) or run with `--no-record`; check that the credentials may set tags.";
    PromoteLedgerFailed = "promote::ledger-failed", RECORD,
        "The version was moved and its verdict recorded, but appending the move to the target's ledger (registered-model tags) failed; the move stands.",
        "Check that the credentials may set registered-model tags; `mlgate history MODEL@ALIAS --verify` shows the ledger, and the guard records the move as observed.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn no_two_codes_print_alike() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "{} is used twice",
                code.as_str()
            );
        }
    }

    #[test]
    fn every_code_is_family_colon_colon_kebab_name_and_says_what_to_do() {
        for code in Code::ALL {
            let (family, name) = code.as_str().split_once("::").expect("a family and a name");
            for part in [family, name] {
                assert!(
                    !part.is_empty()
                        && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                        && !part.starts_with('-')
                        && !part.ends_with('-'),
                    "{code}"
                );
            }
            assert!(code.meaning().ends_with('.'), "{code}: meaning");
            assert!(code.what_to_do().ends_with('.'), "{code}: what to do");
        }
    }

    #[test]
    fn a_family_ends_runs_the_same_way() {
        // Warnings never end a run; every `policy::` and `test::` code is a usage error.
        for code in Code::ALL {
            let family = code.as_str().split("::").next().unwrap_or_default();
            match family {
                "waiver" => assert_eq!(code.exit(), None, "{code}"),
                "policy" | "test" | "usage" | "output" => {
                    assert_eq!(code.exit(), Some(Exit::Usage), "{code}");
                }
                "snapshot" | "gather" => assert_eq!(code.exit(), Some(Exit::Gather), "{code}"),
                _ => assert!(code.exit().is_some(), "{code}"),
            }
        }
    }
}
