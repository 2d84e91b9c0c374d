//! Each exit code means one thing in one wording: the short meaning `src/exit.rs` holds is
//! what `mlgate --help` lists, what the man page (rendered by clap from the same command)
//! lists, and what the README's exit-code table opens each row with, in bold. Rewording a
//! code in one place without the others fails here.

use mlgate::exit::Exit;

use crate::{mlgate, repo_path};

fn stdout_of(args: &[&str]) -> String {
    let out = mlgate().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "mlgate {args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The README's `## Exit codes` section, up to the next heading.
fn readme_exit_codes() -> String {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let (_, section) = readme
        .split_once("\n## Exit codes\n")
        .expect("the README has an `## Exit codes` section");
    section.split("\n#").next().unwrap_or_default().to_string()
}

#[test]
fn every_code_is_listed_once_in_order() {
    let codes: Vec<i32> = Exit::ALL.iter().map(|e| e.code()).collect();
    assert_eq!(codes, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn help_man_page_and_readme_say_each_code_alike() {
    let help = stdout_of(&["--help"]);
    let short_help = stdout_of(&["-h"]);
    // roff escapes a hyphen as `\-`; the meanings are compared as a reader sees them.
    let man = stdout_of(&["man"]).replace("\\-", "-");
    let readme = readme_exit_codes();
    for exit in Exit::ALL {
        let (code, meaning) = (exit.code(), exit.meaning());
        let line = format!("\n  {code}  {meaning}\n");
        assert!(help.contains(&line), "--help lacks `{line}`:\n{help}");
        assert!(
            short_help.contains(&line),
            "-h lacks `{line}`:\n{short_help}"
        );
        assert!(man.contains(&line), "the man page lacks `{line}`:\n{man}");
        let row = format!("\n| {code} | **{meaning}**");
        assert!(
            readme.contains(&row),
            "the README's exit-code table has no row starting `{}`",
            row.trim_start()
        );
    }
}
