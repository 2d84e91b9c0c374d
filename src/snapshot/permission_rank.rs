//! One permission vocabulary across backends. Every normalised ACL entry keeps the level as
//! the backend names it and gains a rank, so a rule can say once "no broad group at `manage`"
//! and mean it on open-source MLflow, the Databricks workspace registry and Unity Catalog.
//! `docs/permissions.md` is generated from [`LEVELS`].

use super::Backend;

/// Ranks, weakest first.
pub const RANKS: [&str; 7] = [
    "none",
    "read",
    "use",
    "edit",
    "manage_staging",
    "manage_production",
    "manage",
];

/// (backend, level as the backend names it, rank, where the level comes from).
pub const LEVELS: &[(Backend, &str, &str, &str)] = &[
    (
        Backend::MlflowOss,
        "NO_PERMISSIONS",
        "none",
        "basic-auth app permission",
    ),
    (
        Backend::MlflowOss,
        "READ",
        "read",
        "basic-auth app permission",
    ),
    (
        Backend::MlflowOss,
        "USE",
        "use",
        "basic-auth app permission (MLflow 3)",
    ),
    (
        Backend::MlflowOss,
        "EDIT",
        "edit",
        "basic-auth app permission",
    ),
    (
        Backend::MlflowOss,
        "MANAGE",
        "manage",
        "basic-auth app permission; admins hold it on everything",
    ),
    (
        Backend::DatabricksWorkspace,
        "CAN_VIEW",
        "read",
        "Permissions API level",
    ),
    (
        Backend::DatabricksWorkspace,
        "CAN_READ",
        "read",
        "Permissions API level",
    ),
    (
        Backend::DatabricksWorkspace,
        "CAN_RUN",
        "use",
        "Permissions API level (notebooks)",
    ),
    (
        Backend::DatabricksWorkspace,
        "CAN_USE",
        "use",
        "Permissions API level",
    ),
    (
        Backend::DatabricksWorkspace,
        "CAN_EDIT",
        "edit",
        "Permissions API level",
    ),
    (
        Backend::DatabricksWorkspace,
        "CAN_CREATE_REGISTERED_MODEL",
        "edit",
        "registry root ACL only",
    ),
    (
        Backend::DatabricksWorkspace,
        "CAN_MANAGE_STAGING_VERSIONS",
        "manage_staging",
        "registered models: move versions between non-Production stages",
    ),
    (
        Backend::DatabricksWorkspace,
        "CAN_MANAGE_PRODUCTION_VERSIONS",
        "manage_production",
        "registered models: move versions to any stage",
    ),
    (
        Backend::DatabricksWorkspace,
        "CAN_MANAGE",
        "manage",
        "Permissions API level: change permissions, delete",
    ),
    (
        Backend::DatabricksWorkspace,
        "IS_OWNER",
        "manage",
        "Permissions API level",
    ),
    (
        Backend::UnityCatalog,
        "BROWSE",
        "read",
        "UC privilege (metadata only)",
    ),
    (
        Backend::UnityCatalog,
        "USE_CATALOG",
        "use",
        "UC privilege on the parent catalog",
    ),
    (
        Backend::UnityCatalog,
        "USE_SCHEMA",
        "use",
        "UC privilege on the parent schema",
    ),
    (
        Backend::UnityCatalog,
        "EXECUTE",
        "use",
        "UC privilege: load and use model versions",
    ),
    (Backend::UnityCatalog, "APPLY_TAG", "edit", "UC privilege"),
    (
        Backend::UnityCatalog,
        "MANAGE",
        "manage",
        "UC privilege: grant, drop, rename",
    ),
    (
        Backend::UnityCatalog,
        "ALL_PRIVILEGES",
        "manage",
        "UC privilege: every privilege",
    ),
    (
        Backend::UnityCatalog,
        "OWNER",
        "manage",
        "the model's owner (`owner` of the registered model; not a grant)",
    ),
];

/// The rank of a level on a backend; `unknown` for a level this table does not know, so a
/// rule can treat it with suspicion rather than as harmless.
pub fn rank(backend: Backend, level: &str) -> &'static str {
    rank_on(Some(backend), level)
}

/// The rank of a level on a backend, or on any backend when the snapshot does not say which.
pub fn rank_on(backend: Option<Backend>, level: &str) -> &'static str {
    LEVELS
        .iter()
        .find(|(b, l, _, _)| Some(*b) == backend && l.eq_ignore_ascii_case(level))
        .or_else(|| {
            LEVELS
                .iter()
                .find(|(_, l, _, _)| l.eq_ignore_ascii_case(level))
        })
        .map_or("unknown", |(_, _, r, _)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_backend_maps_its_manage_level_to_manage() {
        assert_eq!(rank(Backend::MlflowOss, "MANAGE"), "manage");
        assert_eq!(rank(Backend::MlflowOss, "READ"), "read");
        assert_eq!(rank(Backend::DatabricksWorkspace, "CAN_MANAGE"), "manage");
        assert_eq!(
            rank(
                Backend::DatabricksWorkspace,
                "CAN_MANAGE_PRODUCTION_VERSIONS"
            ),
            "manage_production"
        );
        assert_eq!(rank(Backend::UnityCatalog, "ALL_PRIVILEGES"), "manage");
        assert_eq!(rank(Backend::UnityCatalog, "EXECUTE"), "use");
        assert_eq!(rank(Backend::UnityCatalog, "SOMETHING_NEW"), "unknown");
        for (_, _, r, _) in LEVELS {
            assert!(RANKS.contains(r), "{r}");
        }
    }
}
