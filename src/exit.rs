//! The exit-code table, documented once (the README repeats it; a CLI test pins each code).

/// How an mlgate run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: every rule at or above `--fail-on` passed (or was waived / not applicable), and every
    /// call succeeded.
    Pass = 0,
    /// 1: a rule at or above `--fail-on` definitively failed: the model is known to be red
    /// (also when calls failed besides). With `--allow-gather-errors`, also a rule that could
    /// not be evaluated.
    PolicyFailed = 1,
    /// 2: bad command line, unreadable or invalid policy file, or an output that could not be written.
    Usage = 2,
    /// 3: no rule failed, but the facts are incomplete: the version could not be gathered at
    /// all (server down or refusing, unknown model), a call failed, a rule could not be
    /// evaluated, or a snapshot file is unreadable. `snapshot` and `report`: a call failed (the
    /// file is written all the same).
    Gather = 3,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}
