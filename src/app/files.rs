//! Writing the files a command was asked for: whole files, and appends to the files GitHub
//! Actions reads after the step (`$GITHUB_STEP_SUMMARY`, `$GITHUB_OUTPUT`). A leaf, so every
//! command and the pipeline can write without importing each other.

use std::path::Path;

use super::error::AppError;

/// Writes `text` to `path`, replacing it.
pub(crate) fn write(path: &Path, text: &str) -> Result<(), AppError> {
    std::fs::write(path, text).map_err(|source| AppError::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// Appends `text` to `path`, creating it: GitHub hands every step the same files.
pub(crate) fn append(path: &Path, text: &str) -> Result<(), AppError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| AppError::Output {
            path: path.to_path_buf(),
            source,
        })
}
