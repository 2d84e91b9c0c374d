//! Model references: the forms MLflow users write, parsed into a typed value.
//!
//! `models:/NAME/VERSION`, `models:/NAME/STAGE`, `models:/NAME@ALIAS`, `models:/NAME/latest`,
//! `models:/m-<id>` (an MLflow 3 logged model) and `runs:/RUN_ID/PATH`. Names may contain
//! spaces and dots; a `/` inside a name is written `%2F`, a `%` `%25`.

use std::fmt;

use thiserror::Error;

/// A parsed model reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    Version { name: String, version: String },
    Stage { name: String, stage: String },
    Alias { name: String, alias: String },
    Latest { name: String },
    LoggedModel { id: String },
    Run { run_id: String, path: String },
}

/// A reference that is not one of the accepted forms (a usage error, exit 2).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("`{given}` is not a model reference: {reason}\n  accepted forms: models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME@ALIAS, models:/NAME/latest, models:/m-<logged model id>, runs:/RUN_ID/PATH, catalog.schema.model[@ALIAS|/VERSION]")]
pub struct ModelRefError {
    pub given: String,
    pub reason: String,
}

/// The stages MLflow knows (case-insensitive on the server).
pub const STAGES: [&str; 4] = ["None", "Staging", "Production", "Archived"];

impl ModelRef {
    pub fn parse(given: &str) -> Result<Self, ModelRefError> {
        let err = |reason: &str| ModelRefError {
            given: given.to_string(),
            reason: reason.to_string(),
        };
        if let Some(rest) = given.strip_prefix("runs:/") {
            let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
            if run_id.is_empty()
                || !run_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(err(
                    "a runs:/ reference needs a run id: runs:/<run_id>/<artifact path>",
                ));
            }
            let path = path.trim_matches('/');
            if path.is_empty() {
                return Err(err(
                    "a runs:/ reference needs the model's artifact path: runs:/<run_id>/model",
                ));
            }
            return Ok(ModelRef::Run {
                run_id: run_id.to_string(),
                path: path.to_string(),
            });
        }
        // A bare Unity Catalog name: `main.ml.churn`, `main.ml.churn@champion`, `main.ml.churn/3`.
        let bare_name = given.split(['@', '/']).next().unwrap_or_default();
        if !given.contains(":/")
            && bare_name.split('.').count() == 3
            && bare_name.split('.').all(|p| !p.is_empty())
        {
            if given == bare_name {
                return Ok(ModelRef::Latest {
                    name: bare_name.to_string(),
                });
            }
            return Self::parse(&format!("models:/{given}"));
        }
        let Some(rest) = given.strip_prefix("models:/") else {
            return Err(err("it must start with `models:/` or `runs:/`, or be a Unity Catalog name `catalog.schema.model`"));
        };
        let rest = rest.trim_end_matches('/');
        if let Some(id) = rest
            .strip_prefix("m-")
            .filter(|id| !id.contains(['/', '@']))
        {
            if id.is_empty() {
                return Err(err("a logged model id follows `m-`"));
            }
            return Ok(ModelRef::LoggedModel {
                id: format!("m-{id}"),
            });
        }
        let decode = |name| decode(name).map_err(|reason| err(&reason));
        if let Some((name, alias)) = rest.rsplit_once('@') {
            let name = decode(name)?;
            if name.is_empty() || alias.is_empty() || alias.contains('/') {
                return Err(err("an alias reference is models:/NAME@ALIAS"));
            }
            return Ok(ModelRef::Alias {
                name,
                alias: alias.to_string(),
            });
        }
        let Some((name, suffix)) = rest.rsplit_once('/') else {
            return Err(err(
                "the model name must be followed by /VERSION, /STAGE, /latest or @ALIAS",
            ));
        };
        if name.is_empty() || name.contains('/') {
            return Err(err(
                "the model name is empty or contains `/` (write it as %2F)",
            ));
        }
        let name = decode(name)?;
        if suffix.bytes().all(|b| b.is_ascii_digit()) && !suffix.is_empty() {
            Ok(ModelRef::Version {
                name,
                version: suffix.to_string(),
            })
        } else if suffix.eq_ignore_ascii_case("latest") {
            Ok(ModelRef::Latest { name })
        } else if let Some(stage) = STAGES.iter().find(|s| s.eq_ignore_ascii_case(suffix)) {
            Ok(ModelRef::Stage {
                name,
                stage: (*stage).to_string(),
            })
        } else {
            Err(err(&format!(
                "`{suffix}` is neither a version number, `latest`, nor a stage ({})",
                STAGES.join(", ")
            )))
        }
    }

    /// The registered model name, when the reference names one.
    pub fn name(&self) -> Option<&str> {
        match self {
            ModelRef::Version { name, .. }
            | ModelRef::Stage { name, .. }
            | ModelRef::Alias { name, .. }
            | ModelRef::Latest { name } => Some(name),
            ModelRef::LoggedModel { .. } | ModelRef::Run { .. } => None,
        }
    }

    /// The snapshot's `target.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            ModelRef::Version { .. } => "version",
            ModelRef::Stage { .. } => "stage",
            ModelRef::Alias { .. } => "alias",
            ModelRef::Latest { .. } => "latest",
            ModelRef::LoggedModel { .. } => "logged_model",
            ModelRef::Run { .. } => "run",
        }
    }
}

/// The characters of a name that must be %-escaped for the reference to parse back: `%`
/// (escapes), `/` (ends the name) and `@` (starts an alias).
const NAME_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::AsciiSet::EMPTY
    .add(b'%')
    .add(b'/')
    .add(b'@');

/// Displays the reference as it is written, names %-escaped where needed, so what snapshots
/// record and messages show parses back to the same reference (the fuzzer found
/// `models:/team%2Fchurn/1` shown as `models:/team/churn/1`, which does not parse).
impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let escaped = |name| percent_encoding::utf8_percent_encode(name, NAME_ESCAPES);
        match self {
            ModelRef::Version { name, version } => {
                write!(f, "models:/{}/{version}", escaped(name))
            }
            ModelRef::Stage { name, stage } => write!(f, "models:/{}/{stage}", escaped(name)),
            ModelRef::Alias { name, alias } => write!(f, "models:/{}@{alias}", escaped(name)),
            ModelRef::Latest { name } => write!(f, "models:/{}/latest", escaped(name)),
            ModelRef::LoggedModel { id } => write!(f, "models:/{id}"),
            ModelRef::Run { run_id, path } => write!(f, "runs:/{run_id}/{path}"),
        }
    }
}

/// A name as written in a reference, %-decoded (`%2F` → `/`, `%C3%A9` → `é`). Decoding is
/// strict, and the reason names the escape: a `%` must start two hex digits (a literal `%` is
/// `%25`), an escape may not decode to a control character (`%00` would put a NUL in the
/// name sent to the server), and the bytes must be UTF-8 (a lossy `�` would name another
/// model).
fn decode(name: &str) -> Result<String, String> {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let digits = bytes
            .get(i + 1..i + 3)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        let Some(digits) = digits else {
            let shown: String = name[i..].chars().take(3).collect();
            return Err(format!(
                "`{shown}` in the model name is not a %XX escape (two hex digits; a literal `%` is written %25)"
            ));
        };
        // Both are ASCII hex digits, so this always parses.
        let value = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| u8::from_str_radix(d, 16).ok())
            .unwrap_or(0);
        if value.is_ascii_control() {
            return Err(format!(
                "`%{}` in the model name decodes to a control character",
                String::from_utf8_lossy(digits)
            ));
        }
        out.push(value);
        i += 3;
    }
    String::from_utf8(out).map_err(|_| {
        "the model name is not UTF-8 once %-decoded (check its %XX escapes)".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Escapes are strict: `%+0` (which a lenient hex parser reads as 0), `%00` and `%zz` are
    /// refused, and the message names the escape.
    #[test]
    fn bad_escapes_are_refused_by_name() {
        for (bad, named) in [
            ("models:/a%+0b/1", "`%+0`"),
            ("models:/a%00b/1", "`%00`"),
            ("models:/a%1fb@x", "`%1f`"),
            ("models:/a%zzb/1", "`%zz`"),
            ("models:/ab%/1", "`%`"),
            ("models:/a%é/latest", "`%é`"),
        ] {
            let e = ModelRef::parse(bad).unwrap_err();
            assert!(e.reason.contains(named), "{bad}: {e}");
        }
        assert_eq!(ok("models:/team%2Fchurn/1").name(), Some("team/churn"));
    }

    fn ok(s: &str) -> ModelRef {
        ModelRef::parse(s).unwrap()
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            ok("models:/churn/3"),
            ModelRef::Version {
                name: "churn".into(),
                version: "3".into()
            }
        );
        assert_eq!(
            ok("models:/churn/production"),
            ModelRef::Stage {
                name: "churn".into(),
                stage: "Production".into()
            }
        );
        assert_eq!(
            ok("models:/my model.v2@champion"),
            ModelRef::Alias {
                name: "my model.v2".into(),
                alias: "champion".into()
            }
        );
        assert_eq!(
            ok("models:/churn/latest"),
            ModelRef::Latest {
                name: "churn".into()
            }
        );
        assert_eq!(
            ok("models:/m-abc123"),
            ModelRef::LoggedModel {
                id: "m-abc123".into()
            }
        );
        assert_eq!(
            ok("runs:/0123abcd/model"),
            ModelRef::Run {
                run_id: "0123abcd".into(),
                path: "model".into()
            }
        );
        assert_eq!(ok("models:/team%2Fchurn/1").name(), Some("team/churn"));
        assert_eq!(ok("models:/a%40b%20c%25/1").name(), Some("a@b c%"));
        assert_eq!(ok("models:/caf%C3%A9/1").name(), Some("café"));
        assert_eq!(ok("models:/caf%c3%a9@x").name(), Some("café"));
        assert_eq!(ok("models:/100%25/1").name(), Some("100%"));
        assert_eq!(
            ok("models:/churn@champion").to_string(),
            "models:/churn@champion"
        );
    }

    /// Regression (fuzz target `model_ref`): a name with `/`, `@` or `%` was displayed raw,
    /// as a reference that does not parse or names another model.
    #[test]
    fn display_parses_back_to_the_same_reference() {
        for given in [
            "models:/team%2Fchurn%C3%A9/1",
            "models:/a%40b%20c%25/Production",
            "models:/a%252F/latest",
            "models:/a%40b@champion",
            "main.ml.churn@champion",
            "runs:/r-1_x/nested/path/",
            "models:/m-0123",
        ] {
            let reference = ok(given);
            let shown = reference.to_string();
            assert_eq!(ok(&shown), reference, "{given} displays as {shown}");
        }
        assert_eq!(
            ok("models:/team%2fchurn/1").to_string(),
            "models:/team%2Fchurn/1"
        );
    }

    #[test]
    fn rejects_malformed_references_naming_the_forms() {
        for bad in [
            "churn/1",
            "models:/churn",
            "models:/churn/Prod",
            "models:/@x",
            "runs:/",
            "runs:/abc",
            "models:/m-",
            "models:/a/b/1",
            "models:/caf%E9/1",
            "models:/%FF%FE@champion",
            "models:/a%C3/latest",
            "models:/100%/1",
            "models:/a%2/1",
        ] {
            let e = ModelRef::parse(bad).unwrap_err();
            assert!(e.to_string().contains("accepted forms"), "{bad}: {e}");
        }
    }
}
