//! Turning failed calls into the snapshot's `errors` entries (which section is missing, which
//! call failed, and the server's words) and sections a registry does not have into its
//! `unavailable` entries. The read chain records both through one [`Recorder`].

use super::confine::Refused;
use super::error::ReadError;
use super::facts::{AclGathered, Section};
use crate::client::ClientError;
use crate::snapshot::{Detail, GatherError, Unavailable};

/// The error and unavailable entries of one snapshot, in the order they were met.
#[derive(Default)]
pub(super) struct Recorder {
    errors: Vec<GatherError>,
    unavailable: Vec<Unavailable>,
}

impl Recorder {
    /// Records `entry` as an error.
    pub(super) fn error(&mut self, entry: GatherError) {
        self.errors.push(entry);
    }

    /// Records `section` as one the registry or reference does not have, and why.
    pub(super) fn unavailable(&mut self, section: &str, reason: impl Into<String>) {
        self.unavailable.push(Unavailable {
            section: section.into(),
            reason: reason.into(),
        });
    }

    /// The value of a call, or `None` with its failure recorded against `section`.
    pub(super) fn read<T>(&mut self, section: &str, read: Result<T, ClientError>) -> Option<T> {
        read.map_err(|e| self.error(error_entry(section, &e))).ok()
    }

    /// The value of a section the backend may not have: a failure is an error, a section it
    /// does not have is unavailable.
    pub(super) fn section<T>(&mut self, section: &str, read: Section<T>) -> Option<T> {
        match read {
            Section::Read(read) => self.read(section, read),
            Section::Unavailable(reason) => {
                self.unavailable(section, reason);
                None
            }
        }
    }

    /// The value of an optional section: its failure is still a fact, listed as unavailable
    /// (never dropped); a section the backend does not have is not mentioned.
    pub(super) fn optional<T>(&mut self, section: &str, read: Section<T>) -> Option<T> {
        match read {
            Section::Read(Ok(value)) => Some(value),
            Section::Read(Err(e)) => {
                let reason = error_entry(section, &e).describe();
                self.unavailable(section, reason);
                None
            }
            Section::Unavailable(_) => None,
        }
    }

    /// The permissions read's own entries.
    pub(super) fn acl(&mut self, acl: &mut AclGathered) {
        self.errors.append(&mut acl.errors);
        self.unavailable.append(&mut acl.unavailable);
    }

    /// The entries: errors by section (stable, so one section's keep their order), the
    /// unavailable sections as met.
    pub(super) fn finish(self) -> (Vec<GatherError>, Vec<Unavailable>) {
        let mut errors = self.errors;
        errors.sort_by(|a, b| a.section.cmp(&b.section));
        (errors, self.unavailable)
    }
}

/// The entry recording that `section` is missing because `e` happened: everything the client
/// knew (the full URL, the class, the attempts, a content type that was not JSON, a
/// `Retry-After`), so every output can say it in one line.
pub(super) fn error_entry(section: &str, e: &ClientError) -> GatherError {
    GatherError {
        section: section.to_string(),
        call: e.call(),
        http_status: e.status(),
        error_code: e.error_code().map(str::to_string),
        message: e.what(),
        detail: Box::new(Detail {
            method: e.method().map(str::to_string),
            url: Some(e.url().to_string()),
            class: Some(e.class().to_string()),
            attempts: Some(e.attempts()),
            content_type: e.content_type().map(str::to_string),
            retry_after: e.retry_after().map(str::to_string),
        }),
    }
}

/// The entry recording that `section` is missing because a read failed (on the wire, or on a
/// fact of the registry: the same fields either way).
pub(super) fn read_entry(section: &str, e: &ReadError) -> GatherError {
    match e {
        ReadError::Client(e) => error_entry(section, e),
        fact => GatherError {
            section: section.to_string(),
            call: fact.call(),
            http_status: fact.status(),
            error_code: fact.error_code().map(str::to_string),
            message: fact.what(),
            detail: Box::new(Detail {
                method: fact.method().map(str::to_string),
                url: Some(fact.url().to_string()),
                class: Some(fact.class().to_string()),
                attempts: Some(fact.attempts()),
                ..Detail::default()
            }),
        },
    }
}

/// The entry recording that `section` is missing because a path or name a server gave was
/// refused before any request ([`confine`](super::confine::confine)): the path, and why.
pub(super) fn refused_entry(section: &str, refused: &Refused) -> GatherError {
    failure(section, "confine to the artifact root", refused.to_string())
}

/// An entry for a failure that is not an HTTP call (a file that does not parse).
pub(super) fn failure(
    section: &str,
    call: impl Into<String>,
    message: impl Into<String>,
) -> GatherError {
    GatherError {
        section: section.into(),
        call: call.into(),
        message: message.into(),
        ..GatherError::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16) -> ClientError {
        ClientError::Http {
            method: "GET",
            url: "http://h/api/2.0/mlflow/x".into(),
            status,
            error_code: None,
            message: "no".into(),
            attempts: 1,
            credentials: None,
            retry_after: None,
        }
    }

    #[test]
    fn one_recorder_keeps_errors_by_section_and_unavailable_as_met() {
        let mut rec = Recorder::default();
        assert_eq!(rec.read::<u8>("run", Err(refused(500))), None);
        assert_eq!(rec.read("experiment", Ok(1)), Some(1));
        assert_eq!(
            rec.optional::<String>("manifest.server_version", Section::Read(Err(refused(404)))),
            None
        );
        assert_eq!(
            rec.optional::<String>("manifest.server_version", Section::Unavailable("never")),
            None
        );
        assert_eq!(
            rec.section::<u8>("transition_requests", Section::Unavailable("no stages")),
            None
        );
        assert_eq!(
            rec.section::<u8>("artifacts.files", Section::Read(Err(refused(403)))),
            None
        );
        let (errors, unavailable) = rec.finish();
        let sections: Vec<_> = errors.iter().map(|e| e.section.as_str()).collect();
        assert_eq!(sections, ["artifacts.files", "run"]);
        assert_eq!(errors[1].http_status, Some(500));
        let unavailable: Vec<_> = unavailable
            .iter()
            .map(|u| (u.section.as_str(), u.reason.as_str()))
            .collect();
        assert_eq!(
            unavailable,
            [
                (
                    "manifest.server_version",
                    "GET http://h/api/2.0/mlflow/x failed: HTTP 404 (no)"
                ),
                ("transition_requests", "no stages"),
            ]
        );
    }
}
