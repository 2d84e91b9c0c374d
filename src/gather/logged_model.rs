//! The MLflow 3 logged model behind a reference (the snapshot's `logged_model` section): which
//! one it is, read at most once per gather, and why there is none. A registered MLflow 3
//! version names it by its `models:/m-…` source (MLflow 3.17's `model-versions/get` answers no
//! `model_id` field; Unity Catalog's does), a `models:/m-…` reference is one. The facts stage
//! asks for it while the MLmodel search may need the same answer (to find the files), so both
//! share one [`Slot`] (data, in `facts`): one `logged-models/{id}` call per version, never one
//! per use.

use tokio::sync::OnceCell;

use super::context::Context;
pub(super) use super::facts::LoggedModelSlot as Slot;
use super::{tracking, wire};
use crate::client::ClientError;
use crate::model_ref::ModelRef;

/// The slot of the logged model `version` was registered from, if it names one.
pub(super) fn of_version(version: Option<&wire::ModelVersion>) -> Slot {
    Slot {
        id: version.and_then(id_of_version),
        answer: OnceCell::new(),
    }
}

/// The slot of a logged model already read (the reference itself was `models:/m-…`).
pub(super) fn read_already(model: wire::LoggedModel, id: &str) -> Slot {
    Slot {
        id: Some(id.to_string()),
        answer: OnceCell::new_with(Some(Ok(model))),
    }
}

/// The slot's logged model, asked for once however many ask; `None` when it names none.
pub(super) async fn get(
    cx: &Context,
    slot: &Slot,
) -> Option<Result<wire::LoggedModel, ClientError>> {
    let id = slot.id.as_deref()?;
    Some(by_id(cx, slot, id).await)
}

/// The logged model `id`: the slot's shared answer when it is the slot's, else read.
pub(super) async fn by_id(
    cx: &Context,
    slot: &Slot,
    id: &str,
) -> Result<wire::LoggedModel, ClientError> {
    if slot.id.as_deref() == Some(id) {
        slot.answer
            .get_or_init(|| tracking::logged_model(cx, id))
            .await
            .clone()
    } else {
        tracking::logged_model(cx, id).await
    }
}

/// The logged model a registered version came from: the version's own `model_id` (Unity
/// Catalog, later MLflow releases) or its `models:/m-…` source (MLflow 3's
/// `create_model_version` stores the logged model's URI there). An id that is not an MLflow
/// id (letters, digits, dashes) is none: it would be a path segment of the request.
pub(super) fn id_of_version(version: &wire::ModelVersion) -> Option<String> {
    let from_source = || {
        version
            .source
            .as_deref()?
            .strip_prefix("models:/")
            .filter(|id| id.starts_with("m-"))
    };
    let id = version
        .model_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .or_else(from_source)?;
    id.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        .then(|| id.to_string())
}

/// Why a gather has no logged model to show (the `unavailable` entry rules on it skip with):
/// the server's release first (logged models came with MLflow 3), then what the reference is.
pub(super) fn absent_reason(
    reference: &ModelRef,
    version: Option<&wire::ModelVersion>,
    server_version: Option<&str>,
) -> String {
    if let Some(release) = server_version.filter(|v| major(v).is_some_and(|m| m < 3)) {
        return format!("MLflow {release} has no logged models (MLflow 3 introduced them)");
    }
    match (reference, version) {
        (_, Some(_)) => "the model version was not registered from an MLflow 3 logged model \
                         (it names no `model_id` and its source is not `models:/m-…`)"
            .into(),
        (ModelRef::Run { path, .. }, None) => {
            format!("the run has no logged model named `{path}`; its artifacts were read instead")
        }
        _ => "the reference names no logged model".into(),
    }
}

/// The major release of an MLflow version string (`2.22.5` → 2).
fn major(version: &str) -> Option<u32> {
    version.trim().split('.').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(source: &str, model_id: Option<&str>) -> wire::ModelVersion {
        serde_json::from_value(serde_json::json!({
            "name": "m",
            "version": "1",
            "source": source,
            "model_id": model_id,
        }))
        .unwrap()
    }

    #[test]
    fn the_id_comes_from_the_model_id_field_else_the_models_source() {
        let id = |source, model_id| id_of_version(&version(source, model_id));
        // MLflow 3.17: no `model_id` in the answer, the source names the logged model.
        assert_eq!(id("models:/m-fa0d", None).as_deref(), Some("m-fa0d"));
        // Unity Catalog: the field, whatever the source.
        assert_eq!(
            id("dbfs:/databricks/x", Some("m-77")).as_deref(),
            Some("m-77")
        );
        assert_eq!(id("models:/m-1", Some("")).as_deref(), Some("m-1"));
        // MLflow 2.x sources, and a registered name that is not a logged model.
        assert_eq!(id("mlflow-artifacts:/1/abc/artifacts/model", None), None);
        assert_eq!(id("runs:/abc/model", None), None);
        assert_eq!(id("models:/other/3", None), None);
        // Never a path a server could steer.
        assert_eq!(id("models:/m-1/../../runs", None), None);
        assert_eq!(id("x", Some("m-1?a=b")), None);
    }

    #[test]
    fn the_reason_names_the_release_before_the_reference() {
        let v = version("mlflow-artifacts:/1/abc", None);
        let reference = ModelRef::Version {
            name: "m".into(),
            version: "1".into(),
        };
        assert_eq!(
            absent_reason(&reference, Some(&v), Some("2.22.5")),
            "MLflow 2.22.5 has no logged models (MLflow 3 introduced them)"
        );
        assert!(absent_reason(&reference, Some(&v), Some("3.17.2"))
            .starts_with("the model version was not registered from an MLflow 3 logged model"));
        assert!(absent_reason(&reference, Some(&v), None).contains("`models:/m-…`"));
        let run = ModelRef::Run {
            run_id: "abc".into(),
            path: "model".into(),
        };
        assert_eq!(
            absent_reason(&run, None, Some("3.17.2")),
            "the run has no logged model named `model`; its artifacts were read instead"
        );
    }

    #[test]
    fn a_slot_knows_its_id_and_a_read_one_its_answer() {
        let slot = read_already(
            serde_json::from_value(serde_json::json!({"info": {"model_id": "m-1"}})).unwrap(),
            "m-1",
        );
        assert_eq!(slot.id.as_deref(), Some("m-1"));
        assert!(
            matches!(slot.answer.get(), Some(Ok(lm)) if lm.info.model_id.as_deref() == Some("m-1"))
        );
        assert!(of_version(None).id.is_none());
        assert_eq!(
            of_version(Some(&version("models:/m-2", None)))
                .id
                .as_deref(),
            Some("m-2")
        );
    }
}
