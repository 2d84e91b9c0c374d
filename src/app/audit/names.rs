//! The file names of a version's own files under `--snapshot-dir` and `--report-dir`
//! (`DIR/<model>/<version>.<ext>`). A name is %-encoded so that any model name is one path
//! component, and then must still fit the file system: ext4, XFS, APFS and NTFS all refuse a
//! component longer than 255 bytes, and %-encoding triples every byte that is not a letter or
//! digit (29 CJK characters are 261 bytes), so a registry's long names used to stop the run
//! (issue 21). A component that would be too long keeps as much of its encoded name as fits,
//! then `~` and a hash of the whole name: `~` is itself always encoded in a name, so a
//! shortened name never equals another name's, and the hash keeps two names with the same
//! beginning apart. The hash is the fixed FNV-1a of the shards (stable across machines and
//! releases), so a rerun writes to the same file. The bulk JSON lists which file holds which
//! version.

use std::path::{Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::super::error::AppError;
use super::select::fnv1a;

/// Characters kept as they are in a file name made from a model name or version.
const NAME_SAFE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// The longest path component the common file systems accept, in bytes.
const MAX_COMPONENT: usize = 255;

/// `~` and 16 hex digits.
const SUFFIX: usize = 17;

/// `DIR/<model>/<version>.<ext>`, the model's folder created.
pub(crate) fn file_for(
    dir: &Path,
    model: &str,
    version: &str,
    ext: &str,
) -> Result<PathBuf, AppError> {
    let folder = dir.join(component(model, ""));
    std::fs::create_dir_all(&folder).map_err(|source| AppError::Output {
        path: folder.clone(),
        source,
    })?;
    Ok(folder.join(component(version, ext)))
}

/// `name` (then `.ext`, when given) as one path component of at most [`MAX_COMPONENT`]
/// bytes. An empty name (a model whose listing failed before any version was known) is
/// `~none`, never a hidden `.ext` file.
fn component(name: &str, ext: &str) -> String {
    let ext = if ext.is_empty() {
        String::new()
    } else {
        format!(".{ext}")
    };
    let encoded = if name.is_empty() {
        "~none".to_string()
    } else {
        safe(name)
    };
    let room = MAX_COMPONENT.saturating_sub(ext.len());
    if encoded.len() <= room {
        return format!("{encoded}{ext}");
    }
    // The encoding is ASCII, so any byte index is a character boundary; only a `%XX`
    // escape must not be cut in two.
    let mut cut = room.saturating_sub(SUFFIX);
    let bytes = encoded.as_bytes();
    for back in 1..=2 {
        if cut >= back && bytes[cut - back] == b'%' {
            cut -= back;
            break;
        }
    }
    format!("{}~{:016x}{ext}", &encoded[..cut], fnv1a(name.as_bytes()))
}

/// A name as one path component: %-encoded, and never `.` or `..`.
fn safe(name: &str) -> String {
    let encoded = utf8_percent_encode(name, NAME_SAFE).to_string();
    if encoded.chars().all(|c| c == '.') {
        encoded.replace('.', "%2E")
    } else {
        encoded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_one_safe_path_component() {
        assert_eq!(safe("fraud-v2_x.y"), "fraud-v2_x.y");
        assert_eq!(safe("a/b c"), "a%2Fb%20c");
        assert_eq!(safe(".."), "%2E%2E");
        assert_eq!(safe("a~b"), "a%7Eb");
        assert_eq!(component("", "md"), "~none.md");
        assert_eq!(component("3", "snapshot.json"), "3.snapshot.json");
        assert_eq!(component("fraud", ""), "fraud");
    }

    #[test]
    fn long_names_are_shortened_with_a_stable_hash_and_stay_apart() {
        let letters = "a".repeat(300);
        let cjk = "模".repeat(40);
        let mut seen = std::collections::HashSet::new();
        for name in [
            letters.clone(),
            format!("{letters}b"),
            cjk.clone(),
            format!("{cjk}型"),
            "a".repeat(255),
            "%".repeat(100),
        ] {
            for ext in ["", "md", "snapshot.json"] {
                let c = component(&name, ext);
                assert!(c.len() <= MAX_COMPONENT, "{} bytes: {c}", c.len());
                assert!(c.ends_with(ext), "{c}");
                assert_eq!(c, component(&name, ext), "stable");
                // Never a cut escape: a `%` is followed by its two digits.
                let stem = c.split('~').next().unwrap();
                let tail = &stem[stem.len().saturating_sub(2)..];
                assert!(!tail.contains('%'), "{c}");
                assert!(seen.insert(c.clone()), "two names, one file: {c}");
            }
        }
        // A name that fits is kept whole, at the exact limit too.
        assert_eq!(component(&"a".repeat(255), ""), "a".repeat(255));
        assert_eq!(
            component(&letters, ""),
            format!("{}~{:016x}", "a".repeat(238), fnv1a(letters.as_bytes()))
        );
    }
}
