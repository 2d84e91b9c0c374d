//! The exit-code table, documented once (the README repeats it; a CLI test pins each code).

/// How an mlgate run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: every rule at or above `--fail-on` passed (or was waived / not applicable).
    Pass = 0,
    /// 1: a rule at or above `--fail-on` failed or could not be evaluated.
    PolicyFailed = 1,
    /// 2: bad command line, unreadable or invalid policy file, or an output that could not be written.
    Usage = 2,
    /// 3: the facts could not be gathered: server unreachable or refusing, unknown model, or an
    /// unreadable snapshot file.
    Gather = 3,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}
