//! Turning failed calls into the snapshot's `errors` entries: which section is missing, which
//! call failed, and the server's words.

use super::error::ReadError;
use crate::client::ClientError;
use crate::snapshot::GatherError;

/// The entry recording that `section` is missing because `e` happened.
pub fn error_entry(section: &str, e: &ClientError) -> GatherError {
    GatherError {
        section: section.to_string(),
        call: e.call(),
        http_status: e.status(),
        error_code: e.error_code().map(str::to_string),
        message: e.message(),
    }
}

/// The entry recording that `section` is missing because a read failed (on the wire, or on a
/// fact of the registry: the same fields either way).
pub fn read_entry(section: &str, e: &ReadError) -> GatherError {
    match e {
        ReadError::Client(e) => error_entry(section, e),
        fact => GatherError {
            section: section.to_string(),
            call: fact.call(),
            http_status: fact.status(),
            error_code: fact.error_code().map(str::to_string),
            message: fact.message(),
        },
    }
}

/// An entry for a failure that is not an HTTP call (a file that does not parse).
pub fn failure(section: &str, call: impl Into<String>, message: impl Into<String>) -> GatherError {
    GatherError {
        section: section.into(),
        call: call.into(),
        message: message.into(),
        ..GatherError::default()
    }
}
