//! MLflow open-source webhook bodies (3.3 and later), read only after the signature matched:
//! the envelope `{"entity", "action", "timestamp", "data", "workspace"?}` and the `data` of the
//! six model-registry events. Prompt and budget events, and envelope fields a later MLflow may
//! add, are "unknown": answered without a retry, never guessed at.

use serde_json::{Map, Value};

use super::event::EventKind;

/// The envelope fields MLflow sends (`workspace` only when workspaces are enabled).
const ENVELOPE_FIELDS: [&str; 5] = ["entity", "action", "timestamp", "data", "workspace"];

/// The model name of MLflow's canned test payload (`POST /webhooks/{id}/test`).
const EXAMPLE_MODEL: &str = "example_model";

/// What a verified MLflow body says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    /// A change the guard may act on.
    Change { model: String, kind: EventKind },
    /// The canned example MLflow sends when a webhook is tested: nothing happened.
    Test,
    /// A valid event that moves no alias (`registered_model.created`).
    Ignored(&'static str),
    /// An event or envelope this listener does not know; the reason names no request text.
    Unknown(&'static str),
}

/// Why a signed body is not an MLflow delivery. Messages name the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Malformed {
    #[error("body is not a JSON object")]
    NotAnObject,
    #[error("payload has no usable `{0}` (a non-empty string was expected)")]
    Field(&'static str),
    #[error("payload has no `data` object")]
    Data,
}

/// Reads a body whose signature was already verified.
pub(crate) fn parse(body: &[u8]) -> Result<Body, Malformed> {
    let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(body) else {
        return Err(Malformed::NotAnObject);
    };
    if envelope
        .keys()
        .any(|k| !ENVELOPE_FIELDS.contains(&k.as_str()))
    {
        return Ok(Body::Unknown(
            "the envelope has a field this guard does not know",
        ));
    }
    let entity = text(&envelope, "entity")?;
    let action = text(&envelope, "action")?;
    text(&envelope, "timestamp")?;
    let data = envelope
        .get("data")
        .and_then(Value::as_object)
        .ok_or(Malformed::Data)?;
    let field = |name: &'static str| text(data, name);
    let kind = match (entity.as_str(), action.as_str()) {
        ("registered_model", "created") => {
            return Ok(if field("name")? == EXAMPLE_MODEL {
                Body::Test
            } else {
                Body::Ignored("a new registered model has no protected alias yet")
            });
        }
        ("model_version", "created") => EventKind::VersionCreated {
            version: field("version")?,
        },
        ("model_version_tag", "set") => EventKind::TagSet {
            version: field("version")?,
            key: field("key")?,
        },
        ("model_version_tag", "deleted") => EventKind::TagDeleted {
            version: field("version")?,
            key: field("key")?,
        },
        ("model_version_alias", "created") => EventKind::AliasSet {
            alias: field("alias")?,
            version: field("version")?,
        },
        ("model_version_alias", "deleted") => EventKind::AliasDeleted {
            alias: field("alias")?,
        },
        _ => return Ok(Body::Unknown("an event this guard does not handle")),
    };
    let model = field("name")?;
    Ok(if is_canned(&model, &kind) {
        Body::Test
    } else {
        Body::Change { model, kind }
    })
}

/// MLflow marks nothing as a test; the canned payload is recognised by its example values
/// (model `example_model`, version "1", alias `example_alias`, key `example_key`). A real
/// change on a model of that name with other values still counts: only the whole example is
/// taken for a test.
fn is_canned(model: &str, kind: &EventKind) -> bool {
    const VERSION: &str = "1";
    const ALIAS: &str = "example_alias";
    const KEY: &str = "example_key";
    model == EXAMPLE_MODEL
        && match kind {
            EventKind::AliasSet { alias, version } => alias == ALIAS && version == VERSION,
            EventKind::AliasDeleted { alias } => alias == ALIAS,
            EventKind::VersionCreated { version } => version == VERSION,
            EventKind::TagSet { version, key } | EventKind::TagDeleted { version, key } => {
                version == VERSION && key == KEY
            }
            EventKind::StageTransitioned { .. } | EventKind::TransitionRequested { .. } => false,
        }
}

/// A non-empty string field.
fn text(object: &Map<String, Value>, name: &'static str) -> Result<String, Malformed> {
    object
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or(Malformed::Field(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(model: &str, kind: EventKind) -> Body {
        Body::Change {
            model: model.to_string(),
            kind,
        }
    }

    #[test]
    fn the_six_model_events_as_mlflow_sends_them() {
        // documented: the captured alias delivery from MLflow 3.17.2.
        let alias = br#"{"entity": "model_version_alias", "action": "created", "timestamp": "2026-11-30T19:11:18.538189+00:00", "data": {"name": "res-hook-model", "alias": "champion", "version": "1"}}"#;
        assert_eq!(
            parse(alias).unwrap(),
            change(
                "res-hook-model",
                EventKind::AliasSet {
                    alias: "champion".into(),
                    version: "1".into()
                }
            )
        );
        // documented: `data` shapes from mlflow/webhooks/types.py; `run_id` may be null.
        let created = br#"{"entity": "model_version", "action": "created", "timestamp": "2026-11-30T19:11:18+00:00", "data": {"name": "m", "version": "3", "source": "models:/m-1", "run_id": null, "tags": {"k": "v"}, "description": ""}}"#;
        assert_eq!(
            parse(created).unwrap(),
            change(
                "m",
                EventKind::VersionCreated {
                    version: "3".into()
                }
            )
        );
        let tag_set = br#"{"entity": "model_version_tag", "action": "set", "timestamp": "t", "data": {"name": "m", "version": "3", "key": "approved", "value": "s3cret-token"}}"#;
        let parsed = parse(tag_set).unwrap();
        assert_eq!(
            parsed,
            change(
                "m",
                EventKind::TagSet {
                    version: "3".into(),
                    key: "approved".into()
                }
            )
        );
        assert!(
            !format!("{parsed:?}").contains("s3cret"),
            "tag values are not kept"
        );
        let tag_deleted = br#"{"entity": "model_version_tag", "action": "deleted", "timestamp": "t", "data": {"name": "m", "version": "3", "key": "approved"}}"#;
        assert_eq!(
            parse(tag_deleted).unwrap(),
            change(
                "m",
                EventKind::TagDeleted {
                    version: "3".into(),
                    key: "approved".into()
                }
            )
        );
        let alias_deleted = br#"{"entity": "model_version_alias", "action": "deleted", "timestamp": "t", "workspace": "default", "data": {"name": "m", "alias": "champion"}}"#;
        assert_eq!(
            parse(alias_deleted).unwrap(),
            change(
                "m",
                EventKind::AliasDeleted {
                    alias: "champion".into()
                }
            )
        );
        let model_created = br#"{"entity": "registered_model", "action": "created", "timestamp": "t", "data": {"name": "m", "tags": {}, "description": ""}}"#;
        assert!(matches!(parse(model_created), Ok(Body::Ignored(_))));
    }

    #[test]
    fn the_canned_test_payloads_are_tests() {
        // documented: MLflow 3.17's example payloads (`get_example_payload_for_event`).
        for (entity, action, data) in [
            (
                "model_version_alias",
                "created",
                r#"{"name": "example_model", "alias": "example_alias", "version": "1"}"#,
            ),
            (
                "model_version_alias",
                "deleted",
                r#"{"name": "example_model", "alias": "example_alias"}"#,
            ),
            (
                "model_version_tag",
                "set",
                r#"{"name": "example_model", "version": "1", "key": "example_key", "value": "example_value"}"#,
            ),
            (
                "model_version_tag",
                "deleted",
                r#"{"name": "example_model", "version": "1", "key": "example_key"}"#,
            ),
            (
                "model_version",
                "created",
                r#"{"name": "example_model", "version": "1", "source": "models:/123", "run_id": "abcd1234abcd5678", "tags": {"example_key": "example_value"}, "description": "An example model version"}"#,
            ),
            (
                "registered_model",
                "created",
                r#"{"name": "example_model", "tags": {"example_key": "example_value"}, "description": "An example registered model"}"#,
            ),
        ] {
            let body = format!(
                r#"{{"entity": "{entity}", "action": "{action}", "timestamp": "t", "data": {data}}}"#
            );
            assert_eq!(parse(body.as_bytes()), Ok(Body::Test), "{entity}.{action}");
        }
        // A real alias on a model that happens to be called example_model is a change.
        let real = br#"{"entity": "model_version_alias", "action": "created", "timestamp": "t", "data": {"name": "example_model", "alias": "champion", "version": "7"}}"#;
        assert!(matches!(parse(real), Ok(Body::Change { .. })));
    }

    #[test]
    fn unknown_events_and_envelopes() {
        // documented: prompt and budget events exist alongside the model ones.
        for body in [
            br#"{"entity": "prompt_alias", "action": "created", "timestamp": "t", "data": {"name": "p", "alias": "a", "version": "1"}}"#.as_slice(),
            br#"{"entity": "budget_policy", "action": "exceeded", "timestamp": "t", "data": {"budget_policy_id": "bp"}}"#,
            // inferred: a field a later MLflow might add to the envelope.
            br#"{"entity": "model_version_alias", "action": "created", "timestamp": "t", "actor": "bob", "data": {"name": "m", "alias": "a", "version": "1"}}"#,
        ] {
            assert!(matches!(parse(body), Ok(Body::Unknown(_))));
        }
    }

    #[test]
    fn malformed_bodies_name_the_field_not_the_value() {
        assert_eq!(parse(b"not json"), Err(Malformed::NotAnObject));
        assert_eq!(parse(b"[1]"), Err(Malformed::NotAnObject));
        assert_eq!(parse(b""), Err(Malformed::NotAnObject));
        assert_eq!(
            parse(br#"{"entity": 1, "action": "created", "timestamp": "t", "data": {}}"#),
            Err(Malformed::Field("entity"))
        );
        assert_eq!(
            parse(br#"{"entity": "model_version_alias", "action": "created", "data": {}}"#),
            Err(Malformed::Field("timestamp"))
        );
        assert_eq!(
            parse(br#"{"entity": "model_version_alias", "action": "created", "timestamp": "t", "data": "x"}"#),
            Err(Malformed::Data)
        );
        assert_eq!(
            parse(br#"{"entity": "model_version_alias", "action": "created", "timestamp": "t", "data": {"name": "m", "alias": "<script>", "version": 3}}"#),
            Err(Malformed::Field("version"))
        );
        assert_eq!(
            parse(br#"{"entity": "model_version_alias", "action": "deleted", "timestamp": "t", "data": {"name": "", "alias": "a"}}"#),
            Err(Malformed::Field("name"))
        );
        let message = Malformed::Field("version").to_string();
        assert!(!message.contains("<script>"));
    }
}
