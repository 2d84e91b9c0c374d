//! The Databricks Permissions API: the ACLs of workspace-registry models and of experiments
//! (with the notebook's ACL for notebook experiments). A leaf both Databricks backends stand
//! on: the workspace registry reads the model's and the experiment's ACL here, Unity Catalog
//! (whose experiments live in the workspace) the experiment's.

use serde::Deserialize;

use crate::client::ClientError;
use crate::gather::confine::segment_for;
use crate::gather::context::Context;
use crate::gather::facts::{AclGathered, AclRead};
use crate::gather::record::error_entry;
use crate::snapshot::permission_rank::rank;
use crate::snapshot::{Backend, GatherError, ObjectPermissions, PermissionEntry, PrincipalType};

/// A Permissions API answer (`ObjectPermissions`): `access_control_list` is required — every
/// Databricks object has at least its inherited admins, so an answer without one is unknown,
/// not empty.
#[derive(Deserialize)]
struct Acl {
    access_control_list: Vec<AccessControl>,
    #[serde(default)]
    object_id: Option<String>,
    #[serde(default)]
    object_type: Option<String>,
}

/// One principal's entry: exactly one of the three name fields is set.
#[derive(Deserialize)]
struct AccessControl {
    #[serde(default)]
    user_name: Option<String>,
    #[serde(default)]
    group_name: Option<String>,
    #[serde(default)]
    service_principal_name: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    all_permissions: Vec<Permission>,
}

#[derive(Deserialize)]
#[allow(clippy::struct_field_names)] // the wire's names
struct Permission {
    permission_level: String,
    #[serde(default)]
    inherited: bool,
    #[serde(default)]
    inherited_from_object: Vec<String>,
}

/// One entry per (principal, level) of a Permissions API ACL.
fn acl_entries(acl: &Acl) -> Vec<PermissionEntry> {
    let mut entries = Vec::new();
    for item in &acl.access_control_list {
        let principal = [
            (&item.user_name, PrincipalType::User),
            (&item.group_name, PrincipalType::Group),
            (
                &item.service_principal_name,
                PrincipalType::ServicePrincipal,
            ),
        ]
        .into_iter()
        .find_map(|(name, kind)| name.as_ref().map(|n| (n, kind)));
        let Some((principal, principal_type)) = principal else {
            continue;
        };
        for permission in &item.all_permissions {
            entries.push(PermissionEntry {
                principal: principal.clone(),
                principal_type,
                display_name: item.display_name.clone(),
                level: permission.permission_level.clone(),
                rank: rank(Backend::DatabricksWorkspace, &permission.permission_level).to_string(),
                inherited: permission.inherited,
                inherited_from: permission.inherited_from_object.clone(),
            });
        }
    }
    entries
}

/// Workspace registry: the registered model's ACL (by its Databricks id) and the experiment's.
/// A notebook experiment's id is the notebook's, and the Permissions API answers 400 "not a
/// experiment" for it: then the notebook's own ACL is read and recorded as the source.
/// `model_id` is the model's Databricks id, or why it is unknown (the failed
/// `databricks/registered-models/get`; `None` when the registered model is not asked about).
pub(super) async fn workspace(
    cx: &Context,
    model_id: Result<&str, Option<ClientError>>,
    experiment_id: Option<&str>,
    notebook_id: Option<&str>,
) -> AclGathered {
    let mut out = AclGathered::default();
    let model = async {
        match model_id {
            Ok(id) => Some(object(cx, "registered-models", id).await),
            Err(_) => None,
        }
    };
    let experiment = experiment(cx, experiment_id, notebook_id);
    let (model, experiment) = tokio::join!(model, experiment);
    match model {
        Some((p, errors)) => {
            out.permissions.registered_model = Some(p);
            out.errors.extend(
                errors
                    .into_iter()
                    .map(|e| error_entry("permissions.registered_model", &e)),
            );
        }
        None => {
            if let Err(Some(e)) = &model_id {
                out.errors.push(GatherError {
                    section: "permissions.registered_model".into(),
                    message: format!(
                        "the registered model's Databricks id, needed for its ACL, is unknown: {}",
                        e.message()
                    ),
                    ..error_entry("permissions.registered_model", e)
                });
            }
        }
    }
    out.permissions.experiment = experiment.0;
    out.errors.extend(experiment.1);
    out
}

/// The experiment's ACL; a notebook experiment's id is the notebook's, and the Permissions
/// API answers 400 "not a experiment" for it: then the notebook's own ACL is read and recorded
/// as the source.
pub(super) async fn experiment(
    cx: &Context,
    experiment_id: Option<&str>,
    notebook_id: Option<&str>,
) -> (Option<ObjectPermissions>, Vec<GatherError>) {
    let Some(id) = experiment_id else {
        return (None, Vec::new());
    };
    let mut out_errors = Vec::new();
    let (mut p, errors) = object(cx, "experiments", id).await;
    let acl_failed = p.raw.is_none();
    let notebook = match (acl_failed, notebook_id) {
        (true, Some(id)) => Some(object(cx, "notebooks", id).await),
        _ => None,
    };
    match notebook {
        Some((nb, nb_errors)) if nb.raw.is_some() => {
            // The ACL that governs the experiment is the notebook's: keep the experiment's
            // refusal as a fact, but not as a failure of the section.
            let refused: Vec<GatherError> = errors
                .iter()
                .map(|e| error_entry("permissions.experiment", e))
                .collect();
            p.extra.insert(
                "refused".into(),
                serde_json::to_value(refused).unwrap_or_default(),
            );
            p.object_id = nb.object_id;
            p.object_type = nb.object_type;
            p.raw = nb.raw;
            p.entries = nb.entries;
            p.permission_levels = p.permission_levels.or(nb.permission_levels);
            out_errors.extend(
                nb_errors
                    .iter()
                    .map(|e| error_entry("permissions.experiment.permission_levels", e)),
            );
        }
        Some((_, nb_errors)) => {
            out_errors.extend(
                errors
                    .iter()
                    .map(|e| error_entry("permissions.experiment", e)),
            );
            out_errors.extend(
                nb_errors
                    .iter()
                    .map(|e| error_entry("permissions.experiment", e)),
            );
        }
        None => out_errors.extend(
            errors
                .iter()
                .map(|e| error_entry("permissions.experiment", e)),
        ),
    }
    (Some(p), out_errors)
}

/// One object's ACL and levels (`/api/2.0/permissions/{kind}/{id}` and `/permissionLevels`),
/// cached per context: versions of one model share its ACL and its experiment's.
async fn object(cx: &Context, kind: &str, id: &str) -> AclRead {
    // The id is a server's word (a model's, experiment's or notebook's): one path segment.
    let acl_path = match segment_for(cx.client(), id) {
        Ok(segment) => format!("/api/2.0/permissions/{kind}/{segment}"),
        Err(e) => return (ObjectPermissions::default(), vec![e]),
    };
    cx.caches
        .acls
        .get_or_fetch(Backend::DatabricksWorkspace, &acl_path, || {
            read_object(cx, kind, id, &acl_path)
        })
        .await
}

async fn read_object(cx: &Context, kind: &str, id: &str, acl_path: &str) -> AclRead {
    let http = cx.client();
    let levels_path = format!("{acl_path}/permissionLevels");
    let (acl, levels) = tokio::join!(
        http.get_json(acl_path, &[]),
        http.get_json(&levels_path, &[])
    );
    let mut errors = Vec::new();
    let mut p = ObjectPermissions {
        object_id: Some(format!("/{kind}/{id}")),
        object_type: Some(kind.trim_end_matches('s').to_string()),
        ..ObjectPermissions::default()
    };
    match levels {
        Ok(v) => p.permission_levels = Some(v),
        Err(e) => errors.push(e),
    }
    match acl {
        Ok(raw) => {
            match serde_json::from_value::<Acl>(raw.clone()) {
                Ok(acl) => {
                    p.entries = Some(acl_entries(&acl));
                    if let Some(object_id) = acl.object_id {
                        p.object_id = Some(object_id);
                    }
                    if let Some(object_type) = acl.object_type {
                        p.object_type = Some(object_type);
                    }
                }
                Err(e) => errors.push(ClientError::Shape {
                    method: "GET",
                    url: http.url(acl_path),
                    message: format!("{e}; the ACL is unknown"),
                }),
            }
            p.raw = Some(raw);
        }
        Err(e) => errors.insert(0, e),
    }
    (p, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_entries_cover_each_principal_kind() {
        let acl: Acl = serde_json::from_value(serde_json::json!({"access_control_list": [
            {"group_name": "users", "all_permissions": [
                {"permission_level": "CAN_MANAGE", "inherited": true,
                 "inherited_from_object": ["/registered-models/"]}]},
            {"service_principal_name": "sp", "display_name": "bot",
             "all_permissions": [{"permission_level": "CAN_READ", "inherited": false}]},
            {"all_permissions": []}
        ]}))
        .unwrap();
        let entries = acl_entries(&acl);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].principal_type, PrincipalType::Group);
        assert_eq!(entries[0].rank, "manage");
        assert_eq!(entries[0].inherited_from, ["/registered-models/"]);
        assert_eq!(entries[1].display_name.as_deref(), Some("bot"));
    }

    #[test]
    fn an_answer_without_an_acl_list_is_not_an_empty_acl() {
        assert!(serde_json::from_value::<Acl>(serde_json::json!({"object_id": "/x"})).is_err());
    }
}
