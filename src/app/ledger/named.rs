//! A target as `history` and `rollback` name it: `churn@champion`, `churn/Production`
//! (also with `models:/` in front), `main.ml.churn@champion` for Unity Catalog; and the live
//! session for its model.

use crate::app::error::{AppError, UsageError};
use crate::app::pipeline::session::Live;
use crate::cli::ServerArgs;
use crate::gather::Goal;

/// A model and one of its targets.
pub(crate) struct Named {
    pub model: String,
    pub goal: Goal,
}

impl Named {
    /// `MODEL@ALIAS` or `MODEL/STAGE`.
    pub(crate) fn parse(text: &str) -> Result<Named, AppError> {
        let bare = text.strip_prefix("models:/").unwrap_or(text);
        let bad = || UsageError::BadLedgerTarget {
            given: text.to_string(),
        };
        let (model, goal) = if let Some((model, alias)) = bare.rsplit_once('@') {
            (model, Goal::Alias(alias.to_string()))
        } else if let Some((model, stage)) = bare.rsplit_once('/') {
            (model, Goal::Stage(stage.to_string()))
        } else {
            return Err(bad().into());
        };
        let target_ok = match &goal {
            Goal::Alias(a) => {
                !a.is_empty()
                    && a.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
            }
            Goal::Stage(s) => ["Staging", "Production", "Archived", "None"]
                .iter()
                .any(|known| known.eq_ignore_ascii_case(s)),
        };
        if model.trim().is_empty() || !target_ok {
            return Err(bad().into());
        }
        Ok(Named {
            model: model.to_string(),
            goal: normalised(goal),
        })
    }

    /// From `rollback`'s model and `--to-alias` / `--to-stage`.
    pub(crate) fn of(
        model: &str,
        alias: Option<&str>,
        stage: Option<&str>,
    ) -> Result<Named, AppError> {
        match (alias, stage) {
            (Some(a), _) => Named::parse(&format!("{model}@{a}")),
            (None, Some(s)) => Named::parse(&format!("{model}/{s}")),
            (None, None) => Err(UsageError::NoPromotionTarget.into()),
        }
    }

    /// A session on the model's registry (the name picks it: three levels are Unity Catalog).
    pub(crate) fn session(&self, server: &ServerArgs) -> Result<Live, AppError> {
        let reference = match &self.goal {
            Goal::Alias(a) => format!("models:/{}@{a}", self.model),
            Goal::Stage(s) => format!("models:/{}/{s}", self.model),
        };
        Live::open(&reference, server)
    }
}

/// Stage names as the registry spells them (`production` → `Production`).
fn normalised(goal: Goal) -> Goal {
    match goal {
        Goal::Stage(s) => {
            let mut chars = s.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase()).into_iter();
            Goal::Stage(first.chain(chars.map(|c| c.to_ascii_lowercase())).collect())
        }
        alias @ Goal::Alias(_) => alias,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_in_every_spelling() {
        let n = Named::parse("models:/main.ml.churn@champion").unwrap();
        assert_eq!(
            (n.model.as_str(), n.goal),
            ("main.ml.churn", Goal::Alias("champion".into()))
        );
        let n = Named::parse("churn/production").unwrap();
        assert_eq!(n.goal, Goal::Stage("Production".into()));
        for bad in ["churn", "churn@", "@champion", "churn/Prod", "churn@a b"] {
            assert!(Named::parse(bad).is_err(), "{bad}");
        }
    }
}
