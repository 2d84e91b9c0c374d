//! Databricks workspace-registry webhook bodies, read only after the signature matched. They
//! carry no delivery id and no signed timestamp header, so freshness comes from
//! `event_timestamp` (ms) and the de-duplication key from the payload itself.

use serde_json::{Map, Value};

use super::event::EventKind;

/// What a verified Databricks body says, before freshness and de-duplication are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Body {
    /// `event_timestamp`: when the registry says the event happened, in Unix milliseconds.
    pub(crate) event_ms: i64,
    /// `[event, event_timestamp, model_name, version, to_stage]` as a JSON array: the same
    /// event delivered twice gives the same key, and no separator in a name can collide.
    pub(crate) key: String,
    pub(crate) meaning: Meaning,
}

/// What the event means to the guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Meaning {
    /// Changes the guard may act on (one per tag for a tag event).
    Changes {
        model: String,
        kinds: Vec<EventKind>,
    },
    /// A known event that moves no stage (comments, new registered models).
    Ignored(&'static str),
    /// An event name this listener does not know.
    Unknown,
}

/// Why a signed body is not a Databricks delivery. Messages name the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Malformed {
    #[error("body is not a JSON object")]
    NotAnObject,
    #[error("payload has no usable `{0}`")]
    Field(&'static str),
}

/// Reads a body whose signature was already verified.
pub(crate) fn parse(body: &[u8]) -> Result<Body, Malformed> {
    let Ok(Value::Object(payload)) = serde_json::from_slice::<Value>(body) else {
        return Err(Malformed::NotAnObject);
    };
    let event = text(&payload, "event")?;
    let event_ms = payload
        .get("event_timestamp")
        .and_then(Value::as_i64)
        .ok_or(Malformed::Field("event_timestamp"))?;
    let optional = |name: &str| {
        payload
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let key = Value::from(vec![
        Value::from(event.as_str()),
        Value::from(event_ms),
        optional("model_name").map_or(Value::Null, Value::from),
        optional("version").map_or(Value::Null, Value::from),
        optional("to_stage").map_or(Value::Null, Value::from),
    ])
    .to_string();
    let meaning = meaning(&event, &payload)?;
    Ok(Body {
        event_ms,
        key,
        meaning,
    })
}

fn meaning(event: &str, payload: &Map<String, Value>) -> Result<Meaning, Malformed> {
    let field = |name: &'static str| text(payload, name);
    // The `_TO_<STAGE>` events name their stage; a `to_stage` in the payload, when sent, wins.
    let stage = |implied: &str| {
        payload
            .get("to_stage")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(implied)
            .to_string()
    };
    let kinds = match event {
        "MODEL_VERSION_CREATED" => vec![EventKind::VersionCreated {
            version: field("version")?,
        }],
        "MODEL_VERSION_TRANSITIONED_STAGE" => vec![EventKind::StageTransitioned {
            version: field("version")?,
            to_stage: field("to_stage")?,
        }],
        "MODEL_VERSION_TRANSITIONED_TO_STAGING" => {
            transitioned(field("version")?, stage("Staging"))
        }
        "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION" => {
            transitioned(field("version")?, stage("Production"))
        }
        "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED" => {
            transitioned(field("version")?, stage("Archived"))
        }
        "TRANSITION_REQUEST_CREATED" => vec![EventKind::TransitionRequested {
            version: field("version")?,
            to_stage: field("to_stage")?,
        }],
        "TRANSITION_REQUEST_TO_STAGING_CREATED" => requested(field("version")?, stage("Staging")),
        "TRANSITION_REQUEST_TO_PRODUCTION_CREATED" => {
            requested(field("version")?, stage("Production"))
        }
        "TRANSITION_REQUEST_TO_ARCHIVED_CREATED" => requested(field("version")?, stage("Archived")),
        "MODEL_VERSION_TAG_SET" => {
            let version = field("version")?;
            tag_keys(payload)?
                .into_iter()
                .map(|key| EventKind::TagSet {
                    version: version.clone(),
                    key,
                })
                .collect()
        }
        "COMMENT_CREATED" => return Ok(Meaning::Ignored("comments move no stage")),
        "REGISTERED_MODEL_CREATED" => {
            return Ok(Meaning::Ignored(
                "a new registered model has no version in a protected stage yet",
            ))
        }
        _ => return Ok(Meaning::Unknown),
    };
    Ok(Meaning::Changes {
        model: field("model_name")?,
        kinds,
    })
}

fn transitioned(version: String, to_stage: String) -> Vec<EventKind> {
    vec![EventKind::StageTransitioned { version, to_stage }]
}

fn requested(version: String, to_stage: String) -> Vec<EventKind> {
    vec![EventKind::TransitionRequested { version, to_stage }]
}

/// The keys of `tags: [{key, value}]`; values are dropped (they may be secret).
fn tag_keys(payload: &Map<String, Value>) -> Result<Vec<String>, Malformed> {
    let keys: Option<Vec<String>> = payload
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|tag| tag.as_object().and_then(|t| text(t, "key").ok()))
                .collect()
        })
        .and_then(|keys: Option<Vec<String>>| keys.filter(|k| !k.is_empty()));
    keys.ok_or(Malformed::Field("tags"))
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

    fn changes(body: &[u8]) -> (String, Vec<EventKind>) {
        match parse(body).map(|b| b.meaning) {
            Ok(Meaning::Changes { model, kinds }) => (model, kinds),
            other => panic!("not a change: {other:?}"),
        }
    }

    #[test]
    fn a_stage_transition() {
        // documented: the docs' MODEL_VERSION_TRANSITIONED_STAGE example shape (values ours).
        let body = br#"{"event": "MODEL_VERSION_TRANSITIONED_STAGE", "webhook_id": "c5596721253c4b429368cf6f4341b88a", "event_timestamp": 1700700000000, "model_name": "fraud_scorer", "version": "3", "from_stage": "Staging", "to_stage": "Production", "text": "Registered model 'fraud_scorer' version 3 transitioned from Staging to Production."}"#;
        let parsed = parse(body).unwrap();
        assert_eq!(parsed.event_ms, 1_700_700_000_000);
        assert_eq!(
            parsed.key,
            r#"["MODEL_VERSION_TRANSITIONED_STAGE",1700700000000,"fraud_scorer","3","Production"]"#
        );
        assert_eq!(
            changes(body),
            (
                "fraud_scorer".to_string(),
                vec![EventKind::StageTransitioned {
                    version: "3".into(),
                    to_stage: "Production".into()
                }]
            )
        );
    }

    #[test]
    fn the_stage_named_events_imply_their_stage() {
        // inferred: the `_TO_<STAGE>` variants carry the common keys; `to_stage` may be absent.
        let body = br#"{"event": "TRANSITION_REQUEST_TO_PRODUCTION_CREATED", "webhook_id": "w", "event_timestamp": 1700700000000, "model_name": "m", "version": "8"}"#;
        assert_eq!(
            changes(body).1,
            vec![EventKind::TransitionRequested {
                version: "8".into(),
                to_stage: "Production".into()
            }]
        );
        let body = br#"{"event": "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED", "event_timestamp": 1, "model_name": "m", "version": "8"}"#;
        assert_eq!(
            changes(body).1,
            vec![EventKind::StageTransitioned {
                version: "8".into(),
                to_stage: "Archived".into()
            }]
        );
        // inferred: TRANSITION_REQUEST_CREATED has `to_stage` (not documented field by field).
        let body = br#"{"event": "TRANSITION_REQUEST_CREATED", "event_timestamp": 1, "model_name": "m", "version": "8", "to_stage": "Staging", "from_stage": "None"}"#;
        assert_eq!(
            changes(body).1,
            vec![EventKind::TransitionRequested {
                version: "8".into(),
                to_stage: "Staging".into()
            }]
        );
    }

    #[test]
    fn created_versions_and_tags() {
        // documented: MODEL_VERSION_CREATED carries the common keys.
        let body = br#"{"event": "MODEL_VERSION_CREATED", "webhook_id": "w", "event_timestamp": 1, "model_name": "m", "version": "2", "text": "A new version was created."}"#;
        assert_eq!(
            changes(body).1,
            vec![EventKind::VersionCreated {
                version: "2".into()
            }]
        );
        // documented: MODEL_VERSION_TAG_SET has `tags: [{key, value}]`.
        let body = br#"{"event": "MODEL_VERSION_TAG_SET", "event_timestamp": 1, "model_name": "m", "version": "2", "tags": [{"key": "approved", "value": "secret"}, {"key": "owner", "value": "x"}]}"#;
        let kinds = changes(body).1;
        assert_eq!(kinds.len(), 2);
        assert_eq!(
            kinds[0],
            EventKind::TagSet {
                version: "2".into(),
                key: "approved".into()
            }
        );
        let body = br#"{"event": "MODEL_VERSION_TAG_SET", "event_timestamp": 1, "model_name": "m", "version": "2", "tags": []}"#;
        assert_eq!(parse(body), Err(Malformed::Field("tags")));
    }

    #[test]
    fn other_events_and_malformed_bodies() {
        let body = br#"{"event": "COMMENT_CREATED", "event_timestamp": 1, "model_name": "m", "comment": "hi"}"#;
        assert!(matches!(parse(body).unwrap().meaning, Meaning::Ignored(_)));
        let body = br#"{"event": "SOMETHING_NEW", "event_timestamp": 1}"#;
        assert_eq!(parse(body).unwrap().meaning, Meaning::Unknown);
        assert_eq!(parse(b"{"), Err(Malformed::NotAnObject));
        assert_eq!(
            parse(br#"{"event": "MODEL_VERSION_CREATED", "event_timestamp": "soon"}"#),
            Err(Malformed::Field("event_timestamp"))
        );
        assert_eq!(
            parse(br#"{"event": "MODEL_VERSION_CREATED", "event_timestamp": 1, "version": "2"}"#),
            Err(Malformed::Field("model_name"))
        );
        assert_eq!(
            parse(br#"{"event": "MODEL_VERSION_TRANSITIONED_STAGE", "event_timestamp": 1, "model_name": "m", "version": "2"}"#),
            Err(Malformed::Field("to_stage"))
        );
    }
}
