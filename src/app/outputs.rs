//! The files `check` writes must be distinct: given the same path twice (`--report out.json
//! --json out.json`), the later output silently overwrote the earlier one, and the pipeline
//! read a file that was not what it asked for. Two flags naming one file are a usage error
//! (exit 2) that names both, found before anything is gathered or written. `-` is standard
//! output (issue 21: it used to be a file named `-`), which only one output can have.

use std::path::{Component, Path, PathBuf};

use super::error::{AppError, UsageError};
use crate::cli::OutputArgs;

/// Fails when two output flags name the same file.
pub(super) fn distinct(args: &OutputArgs) -> Result<(), AppError> {
    check(&[
        ("--report", args.report.as_deref()),
        ("--junit", args.junit.as_deref()),
        ("--json", args.json.as_deref()),
        ("--sarif", args.sarif.as_deref()),
        ("--codequality", args.codequality.as_deref()),
    ])
}

fn check(named: &[(&'static str, Option<&Path>)]) -> Result<(), AppError> {
    let mut seen: Vec<(&'static str, &Path, PathBuf)> = Vec::new();
    let mut stdout: Option<&'static str> = None;
    for &(flag, path) in named {
        let Some(path) = path else { continue };
        if is_stdout(path) {
            if let Some(first) = stdout {
                return Err(UsageError::SameStdout { first, flag }.into());
            }
            stdout = Some(flag);
            continue;
        }
        let key = identity(path);
        if let Some((first, first_path, _)) = seen.iter().find(|(_, _, k)| *k == key) {
            return Err(UsageError::SameOutput {
                first,
                first_path: first_path.to_path_buf(),
                flag,
                path: path.to_path_buf(),
            }
            .into());
        }
        seen.push((flag, path, key));
    }
    Ok(())
}

/// Whether an output flag names standard output: `-`, as for most command-line tools. A
/// file of that name is still reachable as `./-`.
pub(crate) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Whether any output of the run is written to standard output.
pub(crate) fn claims_stdout(args: &OutputArgs) -> bool {
    [
        &args.report,
        &args.junit,
        &args.json,
        &args.sarif,
        &args.codequality,
    ]
    .into_iter()
    .flatten()
    .any(|p| is_stdout(p))
}

/// What a path names, as far as can be told before writing: its directory resolved (symlinks
/// and `..` included) when it exists, else the path made absolute with `.` and `..` folded.
fn identity(path: &Path) -> PathBuf {
    let absolute = std::env::current_dir().map_or_else(|_| path.to_path_buf(), |d| d.join(path));
    let mut lexical = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    match (lexical.parent(), lexical.file_name()) {
        (Some(dir), Some(name)) => {
            std::fs::canonicalize(dir).map_or(lexical.clone(), |d| d.join(name))
        }
        _ => lexical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(report: &str, json: &str) -> Result<(), AppError> {
        check(&[
            ("--report", Some(Path::new(report))),
            ("--junit", None),
            ("--json", Some(Path::new(json))),
        ])
    }

    #[test]
    fn the_same_file_twice_is_refused_naming_both_flags() {
        for (a, b) in [
            ("out.json", "out.json"),
            ("out.json", "./out.json"),
            ("x/../out.json", "out.json"),
        ] {
            let e = outputs(a, b).unwrap_err().to_string();
            assert!(e.contains("--report") && e.contains("--json"), "{e}");
        }
        assert!(outputs("audit.md", "results.json").is_ok());
    }

    #[test]
    fn one_output_may_go_to_standard_output_and_two_may_not() {
        assert!(outputs("audit.md", "-").is_ok());
        // `./-` is a file named `-`, not standard output.
        assert!(outputs("./-", "-").is_ok());
        let e = outputs("-", "-").unwrap_err();
        assert_eq!(e.exit(), crate::exit::Exit::Usage);
        let e = e.to_string();
        assert!(
            e.contains("--report -") && e.contains("--json -") && e.contains("standard output"),
            "{e}"
        );
    }
}
