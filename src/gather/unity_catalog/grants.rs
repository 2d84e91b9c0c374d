//! Unity Catalog grants: the direct and effective privileges of the model (paginated), plus
//! its owner, in the one permission vocabulary (`rank`). UC principals are bare strings; their
//! kind is inferred from their form (documented in `docs/permissions.md`).

use serde_json::{json, Value};

use super::wire::{Privilege, PrivilegeAssignment};
use crate::client::{Client, ClientError};
use crate::gather::confine::segment_for;
use crate::gather::context::Context;
use crate::gather::facts::AclGathered;
use crate::gather::record::error_entry;
use crate::snapshot::permission_rank::rank;
use crate::snapshot::{Backend, ObjectPermissions, PermissionEntry, PrincipalType};

/// Unity Catalog: direct grants and effective grants of the model (securable type `function`,
/// as the Databricks SDK and Terraform provider address models), every page, plus the owner.
pub(super) async fn grants(cx: &Context, full_name: &str, owner: Option<&str>) -> AclGathered {
    let http = cx.client();
    let mut out = AclGathered::default();
    let name = match segment_for(http, full_name) {
        Ok(name) => name,
        Err(e) => {
            out.errors
                .push(error_entry("permissions.registered_model", &e));
            return out;
        }
    };
    let direct_path = format!("/api/2.1/unity-catalog/permissions/function/{name}");
    let effective_path = format!("/api/2.1/unity-catalog/effective-permissions/function/{name}");
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
            for assignment in list.iter().filter(|a| !a.principal.is_empty()) {
                for privilege in &assignment.privileges {
                    let (level, from) = match privilege {
                        Privilege::Name(level) => (level, None),
                        Privilege::Effective {
                            privilege,
                            inherited_from_type,
                            inherited_from_name,
                            ..
                        } => (
                            privilege,
                            match (inherited_from_type, inherited_from_name) {
                                (Some(t), Some(n)) => Some(format!("{t}:{n}")),
                                (Some(t), None) => Some(t.clone()),
                                _ => None,
                            },
                        ),
                    };
                    entries.push(entry(&assignment.principal, level, from));
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
async fn pages(http: &Client, path: &str) -> Result<Vec<PrivilegeAssignment>, ClientError> {
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
        rank: rank(Backend::UnityCatalog, level).to_string(),
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
