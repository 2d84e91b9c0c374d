//! Reading and writing snapshot files, with errors that name the file and the problem.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::{Snapshot, SCHEMA_VERSION};

/// Why a snapshot file could not be read. Each maps to exit code 3 ("could not gather").
#[derive(Debug, Error)]
pub enum SnapshotIoError {
    #[error("cannot read snapshot file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("snapshot file {path} is not valid JSON (line {line}, column {column}): {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("snapshot file {path} does not match the snapshot schema (line {line}, column {column}): {message}")]
    Shape {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("snapshot file {path} has schema_version {found}; this mlgate reads version {SCHEMA_VERSION}")]
    Version { path: PathBuf, found: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Parses a snapshot from JSON text; `path` only names the source in errors.
pub fn parse(text: &str, path: &Path) -> Result<Snapshot, SnapshotIoError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| SnapshotIoError::Syntax {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
    // Check the version before the shape: a future snapshot should say "upgrade", not
    // "unknown field".
    let version = value.get("schema_version");
    if version.and_then(serde_json::Value::as_u64) != Some(u64::from(SCHEMA_VERSION)) {
        return Err(SnapshotIoError::Version {
            path: path.to_path_buf(),
            found: version.map_or_else(|| "(missing)".to_string(), ToString::to_string),
        });
    }
    let mut snapshot: Snapshot =
        serde_json::from_str(text).map_err(|e| SnapshotIoError::Shape {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?;
    snapshot.recompute_ranks();
    Ok(snapshot)
}

/// Reads and parses a snapshot file.
pub fn load(path: &Path) -> Result<Snapshot, SnapshotIoError> {
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotIoError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Pretty JSON of a snapshot, newline-terminated.
pub fn to_json(snapshot: &Snapshot) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(snapshot)?;
    text.push('\n');
    Ok(text)
}

/// Writes a snapshot file; a snapshot that cannot be serialised is an error, never an empty
/// file.
pub fn save(snapshot: &Snapshot, path: &Path) -> Result<(), SnapshotIoError> {
    let write_error = |source| SnapshotIoError::Write {
        path: path.to_path_buf(),
        source,
    };
    let text = to_json(snapshot).map_err(|e| write_error(std::io::Error::other(e)))?;
    std::fs::write(path, text).map_err(write_error)
}

/// serde_json appends " at line L column C"; we print the position ourselves.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_problem() {
        let p = Path::new("x.json");
        assert!(matches!(
            parse("{", p),
            Err(SnapshotIoError::Syntax { line: 1, .. })
        ));
        assert!(matches!(
            parse(r#"{"schema_version": 99}"#, p),
            Err(SnapshotIoError::Version { .. })
        ));
        let err = parse(r#"{"schema_version": 1}"#, p).unwrap_err();
        assert!(
            err.to_string().contains("missing field `manifest`"),
            "{err}"
        );
    }
}
