//! Names the commit a binary was built from, for `mlgate --version` (`mlgate 0.1.0 (abc1234)`).
//!
//! Sources, first found wins: `MLGATE_COMMIT` (an explicit override, e.g. a build from a source
//! tarball), `git rev-parse --short HEAD` when the package root is the top of a git work tree
//! (so a crate unpacked inside some unrelated repository does not borrow its commit), the
//! `.cargo_vcs_info.json` that `cargo package` writes (builds from crates.io), else `unknown`.
//!
//! Rebuilds only when the commit can have changed: Cargo is told to watch the files git reads
//! HEAD from (HEAD itself, the branch ref it points at, packed-refs), located with
//! `git rev-parse --git-path` so that linked worktrees work. Naming any file this way turns
//! off Cargo's default of re-running on every change in the package.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MLGATE_COMMIT");
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let vcs_info = root.join(".cargo_vcs_info.json");
    let commit = std::env::var("MLGATE_COMMIT")
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .or_else(|| from_git(&root))
        .or_else(|| from_vcs_info(&vcs_info))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=MLGATE_COMMIT={commit}");
}

/// The short commit of HEAD, and the files Cargo must watch to notice when it moves.
fn from_git(root: &Path) -> Option<String> {
    let top = git(root, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), root) {
        return None;
    }
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    // Detached HEAD (CI checkouts) holds the commit itself: nothing more to watch.
    if let Some(branch) = git(root, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(root, &["rev-parse", "--git-path", &name]) {
            let path = root.join(path);
            // A missing file would make Cargo re-run this script on every build. A branch
            // whose ref is packed gets a loose file at its next commit: watch its folder then.
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            } else if let Some(folder) = path
                .parent()
                .filter(|p| p.is_dir() && name != "packed-refs")
            {
                println!("cargo:rerun-if-changed={}", folder.display());
            }
        }
    }
    git(root, &["rev-parse", "--short", "HEAD"])
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// `{"git": {"sha1": "…"}, …}`, written by `cargo package`; read without a JSON parser to keep
/// the build script dependency-free.
fn from_vcs_info(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    println!("cargo:rerun-if-changed={}", path.display());
    let after = text.split("\"sha1\"").nth(1)?;
    let sha: String = after
        .trim_start_matches(|c: char| c == ':' || c == '"' || c.is_whitespace())
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (sha.len() >= 7).then(|| sha[..7].to_string())
}
