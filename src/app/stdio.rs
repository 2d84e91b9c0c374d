//! Standard output and error for every subcommand. A reader that goes away early
//! (`mlgate rules | head -1`) is normal on the command line: like ripgrep, mlgate then stops
//! writing to it quietly. `print!` would panic (exit 101) instead, which a pipeline reads as
//! a crash and which would replace the exit code the run earned: a failing check must still
//! exit 1 when nobody reads its summary.

use std::io::{ErrorKind, Write};

use super::error::AppError;

/// Writes `text` to standard output. A closed pipe is not an error; any other failure is
/// (the run's output is lost, so the run must not look clean).
pub fn out(text: &str) -> Result<(), AppError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(AppError::Output {
            path: "standard output".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Writes `text` to standard error. If that fails there is nowhere left to say so, and the
/// exit code still tells the outcome, so failures are ignored rather than panicking.
pub fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}
