//! Access control on Databricks: the Permissions API for workspace-registry models and
//! experiments (with the notebook's ACL for notebook experiments), and Unity Catalog grants
//! and effective grants (paginated) plus the model's owner.

use serde_json::{json, Value};

use super::error_entry;
use crate::mlflow::{ClientError, Http};
use crate::snapshot::derive::databricks_acl_entries;
use crate::snapshot::permission_rank::rank;
use crate::snapshot::{
    GatherError, ObjectPermissions, PermissionEntry, Permissions, PrincipalType,
};

/// The permissions section and the failures to record.
#[derive(Default)]
pub struct Gathered {
    pub permissions: Permissions,
    pub errors: Vec<GatherError>,
}

/// Workspace registry: the registered model's ACL (by its Databricks id) and the experiment's.
/// A notebook experiment's id is the notebook's, and the Permissions API answers 400 "not a
/// experiment" for it: then the notebook's own ACL is read and recorded as the source.
/// `model_id` is the model's Databricks id, or why it is unknown (the failed
/// `databricks/registered-models/get`; `None` when the registered model is not asked about).
pub async fn workspace(
    http: &Http,
    model_id: Result<&str, Option<ClientError>>,
    experiment_id: Option<&str>,
    notebook_id: Option<&str>,
) -> Gathered {
    let mut out = Gathered::default();
    let model = async {
        match model_id {
            Ok(id) => Some(object(http, "registered-models", id).await),
            Err(_) => None,
        }
    };
    let experiment = async {
        match experiment_id {
            Some(id) => Some(object(http, "experiments", id).await),
            None => None,
        }
    };
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
    if let Some((mut p, errors)) = experiment {
        let acl_failed = p.raw.is_none();
        let notebook = match (acl_failed, notebook_id) {
            (true, Some(id)) => Some(object(http, "notebooks", id).await),
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
                out.errors.extend(
                    nb_errors
                        .into_iter()
                        .map(|e| error_entry("permissions.experiment.permission_levels", &e)),
                );
            }
            Some((_, nb_errors)) => {
                out.errors.extend(
                    errors
                        .into_iter()
                        .map(|e| error_entry("permissions.experiment", &e)),
                );
                out.errors.extend(
                    nb_errors
                        .into_iter()
                        .map(|e| error_entry("permissions.experiment", &e)),
                );
            }
            None => out.errors.extend(
                errors
                    .into_iter()
                    .map(|e| error_entry("permissions.experiment", &e)),
            ),
        }
        out.permissions.experiment = Some(p);
    }
    out
}

/// One object's ACL and levels (`/api/2.0/permissions/{kind}/{id}` and `/permissionLevels`).
async fn object(http: &Http, kind: &str, id: &str) -> (ObjectPermissions, Vec<ClientError>) {
    let acl_path = format!("/api/2.0/permissions/{kind}/{id}");
    let levels_path = format!("{acl_path}/permissionLevels");
    let (acl, levels) = tokio::join!(
        http.get_json(&acl_path, &[]),
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
        Ok(v) => {
            p.entries = databricks_acl_entries(&v);
            if p.entries.is_none() {
                errors.push(ClientError::Decode {
                    method: "GET",
                    path: acl_path.clone(),
                    message: "the response has no access_control_list; the ACL is unknown".into(),
                    snippet: crate::mlflow::error::snippet(&v.to_string()),
                });
            }
            if let Some(object_id) = v.get("object_id").and_then(Value::as_str) {
                p.object_id = Some(object_id.to_string());
            }
            if let Some(object_type) = v.get("object_type").and_then(Value::as_str) {
                p.object_type = Some(object_type.to_string());
            }
            p.raw = Some(v);
        }
        Err(e) => errors.insert(0, e),
    }
    (p, errors)
}

/// Unity Catalog: direct grants and effective grants of the model (securable type `function`,
/// as the Databricks SDK and Terraform provider address models), every page, plus the owner.
pub async fn unity_catalog(http: &Http, full_name: &str, owner: Option<&str>) -> Gathered {
    let mut out = Gathered::default();
    let direct_path = format!("/api/2.1/unity-catalog/permissions/function/{full_name}");
    let effective_path =
        format!("/api/2.1/unity-catalog/effective-permissions/function/{full_name}");
    let (direct, effective) = tokio::join!(pages(http, &direct_path), pages(http, &effective_path));
    let mut p = ObjectPermissions {
        object_id: Some(full_name.to_string()),
        object_type: Some("registered-model (UC securable FUNCTION)".into()),
        permission_levels: Some(json!([
            "BROWSE",
            "EXECUTE",
            "APPLY_TAG",
            "MANAGE",
            "ALL_PRIVILEGES"
        ])),
        ..ObjectPermissions::default()
    };
    let mut raw = serde_json::Map::new();
    match direct {
        Ok(list) => {
            raw.insert(
                "permissions".into(),
                json!({ "privilege_assignments": list }),
            );
        }
        Err(e) => out.errors.push(error_entry(
            "permissions.registered_model.raw.permissions",
            &e,
        )),
    }
    match effective {
        Ok(list) => {
            let mut entries = Vec::new();
            if let Some(owner) = owner.filter(|o| !o.is_empty()) {
                entries.push(entry(owner, "OWNER", None));
            }
            for assignment in &list {
                let Some(principal) = assignment
                    .get("principal")
                    .and_then(Value::as_str)
                    .filter(|p| !p.is_empty())
                else {
                    continue;
                };
                for privilege in assignment
                    .get("privileges")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let level = privilege
                        .get("privilege")
                        .and_then(Value::as_str)
                        .or_else(|| privilege.as_str())
                        .unwrap_or_default();
                    let from = match (
                        privilege.get("inherited_from_type").and_then(Value::as_str),
                        privilege.get("inherited_from_name").and_then(Value::as_str),
                    ) {
                        (Some(t), Some(n)) => Some(format!("{t}:{n}")),
                        (Some(t), None) => Some(t.to_string()),
                        _ => None,
                    };
                    entries.push(entry(principal, level, from));
                }
            }
            raw.insert(
                "effective_permissions".into(),
                json!({ "privilege_assignments": list }),
            );
            p.entries = Some(entries);
        }
        Err(e) => out
            .errors
            .push(error_entry("permissions.registered_model", &e)),
    }
    p.raw = Some(Value::Object(raw));
    out.permissions.registered_model = Some(p);
    out
}

/// Every `privilege_assignments` item over all pages (`max_results=0`: the server's page size).
async fn pages(http: &Http, path: &str) -> Result<Vec<Value>, ClientError> {
    http.get_all_pages(path, &[("max_results", "0")], "privilege_assignments")
        .await
}

/// A UC principal is a bare string; its kind is inferred from its form (documented in
/// `docs/permissions.md`): an e-mail is a user, a UUID a service principal, anything else
/// (`account users`, `ml-engineers`) a group.
fn entry(principal: &str, level: &str, inherited_from: Option<String>) -> PermissionEntry {
    let principal_type = if principal.contains('@') {
        PrincipalType::User
    } else if is_uuid(principal) {
        PrincipalType::ServicePrincipal
    } else {
        PrincipalType::Group
    };
    PermissionEntry {
        principal: principal.to_string(),
        principal_type,
        display_name: None,
        level: level.to_string(),
        rank: rank("databricks-uc", level).to_string(),
        inherited: inherited_from.is_some(),
        inherited_from: inherited_from.into_iter().collect(),
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uc_principals_get_a_kind() {
        assert_eq!(
            entry("a@example.com", "EXECUTE", None).principal_type,
            PrincipalType::User
        );
        assert_eq!(
            entry("6f2c1d0e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "EXECUTE", None).principal_type,
            PrincipalType::ServicePrincipal
        );
        let e = entry(
            "account users",
            "ALL_PRIVILEGES",
            Some("CATALOG:main".into()),
        );
        assert_eq!(
            (e.principal_type, e.rank.as_str(), e.inherited),
            (PrincipalType::Group, "manage", true)
        );
    }
}
