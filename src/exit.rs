//! The exit-code table, documented once: each code's short meaning ([`Exit::meaning`]) is the
//! wording `mlgate --help`, the man page and the README's table share (a test holds all three
//! to it; a CLI test pins each code).

/// How an mlgate run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: every rule at or above `--fail-on` passed (or was waived / not applicable), and every
    /// call succeeded. `promote`: the version was promoted (or would be, with `--dry-run`).
    Pass = 0,
    /// 1: a rule at or above `--fail-on` definitively failed: the model is known to be red
    /// (also when calls failed besides); `promote` moved nothing. With `--allow-gather-errors`, also a rule that could
    /// not be evaluated.
    PolicyFailed = 1,
    /// 2: bad command line, unreadable or invalid policy file, or an output that could not be written.
    Usage = 2,
    /// 3: no rule failed, but the facts are incomplete: the version could not be gathered at
    /// all (server down or refusing, unknown model), a call failed, a rule could not be
    /// evaluated, or a snapshot file is unreadable. `snapshot` and `report`: a call failed (the
    /// file is written all the same).
    Gather = 3,
    /// 4 (`promote`): the target changed under mlgate (its holder is not the one evaluated
    /// or expected), the move did not take, a stage would not resolve to the candidate, or
    /// the transition request is gone: nothing moved. Also the unknown outcome: the move's
    /// answer was lost and reading the registry failed, so it may or may not have happened
    /// (`promoted=unknown`; read the registry before retrying).
    Conflict = 4,
    /// 5 (`promote`): the version was promoted, but recording the verdict on it failed; the
    /// promotion stands.
    RecordFailed = 5,
}

impl Exit {
    /// Every exit code, in order.
    pub const ALL: [Exit; 6] = [
        Exit::Pass,
        Exit::PolicyFailed,
        Exit::Usage,
        Exit::Gather,
        Exit::Conflict,
        Exit::RecordFailed,
    ];

    pub fn code(self) -> i32 {
        self as i32
    }

    /// The short meaning of the code, as help, man page and README say it; the details are in
    /// each variant's documentation and the README's table.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Pass => "pass",
            Exit::PolicyFailed => "policy failed",
            Exit::Usage => "usage error",
            Exit::Gather => "could not gather or evaluate",
            Exit::Conflict => "(promote) the target changed, or the outcome is unknown",
            Exit::RecordFailed => {
                "(promote) moved, but the verdict or the ledger entry was not recorded"
            }
        }
    }

    /// The exit codes with their meanings, one a line, for the end of `mlgate --help` (and so
    /// of the man page, which clap renders from the same command).
    pub fn help() -> String {
        Exit::ALL
            .iter()
            .fold(String::from("Exit codes:"), |text, exit| {
                format!("{text}\n  {}  {}", exit.code(), exit.meaning())
            })
    }
}
