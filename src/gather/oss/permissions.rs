//! Permissions on an open-source MLflow server running the basic-auth app.
//!
//! MLflow 3 lists every user with their grants (`users/list`); admins hold MANAGE on
//! everything. MLflow 2 has no way to list who holds a permission on a model (only per-user
//! look-ups), so its ACL is recorded as an error rather than guessed: rules on it report
//! "could not evaluate", never "pass". A server without the auth app keeps no permissions,
//! which is recorded as unavailable (rules are skipped and say why).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::ClientError;
use crate::gather::context::Context;
use crate::gather::facts::AclGathered;
use crate::gather::record::error_entry;
use crate::snapshot::permission_rank::rank;
use crate::snapshot::{
    Backend, GatherError, ObjectPermissions, PermissionEntry, PrincipalType, Unavailable,
};

/// `users/list` (MLflow 3 basic-auth app).
#[derive(Deserialize)]
struct Users {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Deserialize)]
struct User {
    username: String,
    #[serde(default)]
    is_admin: bool,
    #[serde(default)]
    roles: Vec<Role>,
}

#[derive(Deserialize)]
struct Role {
    #[serde(default)]
    permissions: Vec<Grant>,
}

#[derive(Deserialize)]
struct Grant {
    permission: String,
    resource_pattern: String,
    resource_type: String,
}

/// The call whose answer is the ACL (reported on the errors about it).
const USERS_LIST: &str = "GET /api/2.0/mlflow/users/list";

/// Reads the ACLs of the registered model and the experiment.
pub(super) async fn gather(
    cx: &Context,
    model: Option<&str>,
    experiment_id: Option<&str>,
) -> AclGathered {
    let http = cx.client();
    let mut out = AclGathered::default();
    if !auth_app_runs(cx, &mut out).await {
        return out;
    }
    // Server-wide: a bulk audit reads it once.
    let listing = cx
        .caches
        .server
        .get_or_fetch(Backend::MlflowOss, "users/list", || {
            http.get_json("/api/2.0/mlflow/users/list", &[])
        })
        .await;
    let users = match listing {
        Ok(v) => v,
        Err(e) => {
            own_levels_only(cx, model, experiment_id, &e, &mut out).await;
            return out;
        }
    };
    let typed: Users = match serde_json::from_value(users.clone()) {
        Ok(u) => u,
        Err(e) => {
            out.errors.push(GatherError {
                section: "permissions".into(),
                call: USERS_LIST.into(),
                message: format!("users/list returned JSON of an unexpected shape: {e}"),
                ..GatherError::default()
            });
            return out;
        }
    };
    if let Some(name) = model {
        out.permissions.registered_model = Some(object(&typed, &users, "registered_model", name));
    }
    if let Some(id) = experiment_id {
        out.permissions.experiment = Some(object(&typed, &users, "experiment", id));
    }
    out
}

/// Whether the server runs the basic-auth app (so keeps permissions); when it does not, or
/// that cannot be told, `out` records why and the ACL is not read.
async fn auth_app_runs(cx: &Context, out: &mut AclGathered) -> bool {
    let http = cx.client();
    let username = http.username();
    // The auth app answers `users/get` with JSON (200, or a 404 naming the user); a server
    // without it has no such route and answers with Flask's HTML 404.
    // Whether the auth app runs is a fact about the server: probed once per run (cached).
    let probe_user = username.unwrap_or("mlgate-probe");
    let probe = cx
        .caches
        .server
        .get_or_fetch(
            Backend::MlflowOss,
            &format!("/api/2.0/mlflow/users/get?username={probe_user}"),
            || async {
                http.get_json("/api/2.0/mlflow/users/get", &[("username", probe_user)])
                    .await
            },
        )
        .await;
    // Only Flask's plain 404 (no MLflow error code) means "no such route": anything else that
    // went wrong (timeouts, 5xx, garbage) is a failure to gather, never "no permissions".
    match &probe {
        Ok(_)
        | Err(
            ClientError::Http {
                status: 401 | 403, ..
            }
            | ClientError::Http {
                status: 404,
                error_code: Some(_),
                ..
            },
        ) => {}
        Err(ClientError::Http {
            status: 404,
            error_code: None,
            ..
        }) => {
            out.unavailable.push(Unavailable {
                section: "permissions".into(),
                reason: "this tracking server does not run MLflow's basic-auth app, so it keeps no permissions".into(),
            });
            return false;
        }
        Err(e) => {
            out.errors.push(GatherError {
                message: format!(
                    "could not tell whether the server keeps permissions: {}",
                    e.what()
                ),
                ..error_entry("permissions", e)
            });
            return false;
        }
    }
    true
}

/// Records what MLflow 2 can tell when `users/list` failed with `e`: the caller's own level
/// on each object as the raw fact, and the ACL entries as an error (never a complete ACL).
async fn own_levels_only(
    cx: &Context,
    model: Option<&str>,
    experiment_id: Option<&str>,
    e: &ClientError,
    out: &mut AclGathered,
) {
    let http = cx.client();
    let username = http.username();
    let message = if e.status() == Some(404) {
        "this MLflow version's basic-auth app cannot list the users holding permissions (no users/list endpoint, MLflow < 3); the ACL cannot be read, only the caller's own level".to_string()
    } else {
        e.what()
    };
    // MLflow 2's per-resource endpoints still tell the caller's own level: keep it as
    // the raw fact, but never as a complete ACL.
    let own = |path: &'static str, key: &'static str, id: Option<&str>| {
        let username = username.map(str::to_string);
        let id = id.map(str::to_string);
        async move {
            let (Some(user), Some(id)) = (username, id) else {
                return None;
            };
            let query = [(key, id.as_str()), ("username", user.as_str())];
            Some(
                http.get_json(path, &query)
                    .await
                    .unwrap_or_else(|e| json!({ "error": e.to_string() })),
            )
        }
    };
    let (model_own, experiment_own) = tokio::join!(
        own(
            "/api/2.0/mlflow/registered-models/permissions/get",
            "name",
            model
        ),
        own(
            "/api/2.0/mlflow/experiments/permissions/get",
            "experiment_id",
            experiment_id
        )
    );
    for (section, own, object_type, id) in [
        (
            "permissions.registered_model",
            model_own,
            "registered_model",
            model,
        ),
        (
            "permissions.experiment",
            experiment_own,
            "experiment",
            experiment_id,
        ),
    ] {
        let Some(id) = id else { continue };
        let object = ObjectPermissions {
            object_id: Some(format!("{object_type}:{id}")),
            object_type: Some(object_type.into()),
            permission_levels: Some(json!(["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"])),
            raw: own,
            entries: None,
            extra: serde_json::Map::new(),
        };
        if section.ends_with("registered_model") {
            out.permissions.registered_model = Some(object);
        } else {
            out.permissions.experiment = Some(object);
        }
        out.errors.push(GatherError {
            call: USERS_LIST.into(),
            message: message.clone(),
            ..error_entry(&format!("{section}.entries"), e)
        });
    }
}

/// The entries for one resource: every admin (MANAGE on everything) and every grant whose
/// pattern matches the resource. `raw` is the answer as returned, kept in the snapshot.
fn object(users: &Users, raw: &Value, resource_type: &str, resource: &str) -> ObjectPermissions {
    let mut entries = Vec::new();
    for user in &users.users {
        if user.is_admin {
            entries.push(PermissionEntry {
                principal: user.username.clone(),
                principal_type: PrincipalType::User,
                display_name: None,
                level: "MANAGE".into(),
                rank: "manage".into(),
                inherited: true,
                inherited_from: vec!["admin".into()],
            });
        }
        let grants = user.roles.iter().flat_map(|role| &role.permissions);
        for grant in grants {
            let pattern = grant.resource_pattern.as_str();
            if grant.resource_type == resource_type && crate::glob::matches(pattern, resource) {
                entries.push(PermissionEntry {
                    principal: user.username.clone(),
                    principal_type: PrincipalType::User,
                    display_name: None,
                    level: grant.permission.clone(),
                    rank: rank(Backend::MlflowOss, &grant.permission).into(),
                    inherited: pattern != resource,
                    inherited_from: if pattern == resource {
                        Vec::new()
                    } else {
                        vec![pattern.to_string()]
                    },
                });
            }
        }
    }
    ObjectPermissions {
        object_id: Some(format!("{resource_type}:{resource}")),
        object_type: Some(resource_type.into()),
        permission_levels: Some(json!(["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"])),
        raw: Some(raw.clone()),
        entries: Some(entries),
        extra: serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_and_admins_become_entries() {
        let users = json!({"users": [
            {"username": "admin", "is_admin": true, "roles": []},
            {"username": "reader", "is_admin": false, "roles": [{"permissions": [
                {"permission": "READ", "resource_pattern": "churn", "resource_type": "registered_model"},
                {"permission": "EDIT", "resource_pattern": "ch*", "resource_type": "registered_model"},
                {"permission": "READ", "resource_pattern": "1", "resource_type": "experiment"}]}]}
        ]});
        let p = object(
            &serde_json::from_value(users.clone()).unwrap(),
            &users,
            "registered_model",
            "churn",
        );
        let e = p.entries.unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(
            (e[0].principal.as_str(), e[0].level.as_str()),
            ("admin", "MANAGE")
        );
        assert_eq!((e[1].level.as_str(), e[1].inherited), ("READ", false));
        assert_eq!(e[2].inherited_from, ["ch*"]);
    }
}
