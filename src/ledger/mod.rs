//! The promotion ledger: every move of a protected target (an alias or a stage), kept as
//! registered-model tags so it lives in the registry beside the model, not on any one
//! machine. Pure: it reads tags and plans tag writes; the app layer does the I/O.
//!
//! Each entry is one tag, `mlgate.ledger.<target>.<seq>.<nonce>` (see [`key`]). The nonce in
//! the key means two writers appending at once never overwrite each other: both entries
//! survive, the collision is seen on the read-back, and [`Ledger::repair`] re-numbers the
//! later ones onto the end. Each entry carries its own id and the previous entry's, so
//! [`Ledger::verify`] names an entry that was edited, removed or reordered. Removing the newest
//! entries leaves a shorter but consistent chain: only a copy (the guard's decision log, a CI
//! artifact) shows that.

pub mod chain;
pub mod entry;

pub use chain::{Break, Gap, Ledger, Repair, Stored};
pub use entry::{Draft, Entry, How, VALUE_LIMIT};

/// Every ledger tag starts with this.
pub const PREFIX: &str = "mlgate.ledger.";

/// A protected target as the ledger names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Alias(String),
    Stage(String),
}

impl Target {
    /// `@champion` → an alias; anything else is a stage.
    pub fn parse(text: &str) -> Target {
        match text.strip_prefix('@') {
            Some(alias) => Target::Alias(alias.to_string()),
            None => Target::Stage(text.to_string()),
        }
    }

    /// As people and rule scopes name it: `@champion`, `Production`.
    pub fn holds(&self) -> String {
        match self {
            Target::Alias(a) => format!("@{a}"),
            Target::Stage(s) => s.clone(),
        }
    }

    /// The key part: `alias.champion`, `stage.production` (stage names are case-insensitive
    /// in every registry, so one stage has one ledger whatever case a command used).
    pub fn slug(&self) -> String {
        match self {
            Target::Alias(a) => format!("alias.{a}"),
            Target::Stage(s) => format!("stage.{}", s.to_ascii_lowercase()),
        }
    }

    /// Whether an entry's `target` field names this target.
    pub fn is(&self, named: &str) -> bool {
        match (self, Target::parse(named)) {
            (Target::Alias(a), Target::Alias(b)) => *a == b,
            (Target::Stage(a), Target::Stage(b)) => a.eq_ignore_ascii_case(&b),
            _ => false,
        }
    }
}

/// The tag key of entry `seq` of `target` written with `nonce`. The number is zero-padded so
/// the registry's UI lists a ledger in order.
pub fn key(target: &Target, seq: u64, nonce: &str) -> String {
    format!("{PREFIX}{}.{seq:08}.{nonce}", target.slug())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_their_ledger() {
        let alias = Target::parse("@champion");
        assert_eq!(alias.holds(), "@champion");
        assert_eq!(
            key(&alias, 12, "ab"),
            "mlgate.ledger.alias.champion.00000012.ab"
        );
        let stage = Target::parse("Production");
        assert_eq!(stage.slug(), "stage.production");
        assert!(stage.is("production"));
        assert!(!stage.is("@production"));
    }
}
