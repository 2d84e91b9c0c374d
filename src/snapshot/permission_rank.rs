//! One permission vocabulary across backends. Every normalised ACL entry keeps the level as
//! the backend names it and gains a rank, so a rule can say once "no broad group at `manage`"
//! and mean it on open-source MLflow, the Databricks workspace registry and Unity Catalog.
//! `docs/permissions.md` is generated from [`LEVELS`].

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
pub const LEVELS: &[(&str, &str, &str, &str)] = &[
    (
        "mlflow-oss",
        "NO_PERMISSIONS",
        "none",
        "basic-auth app permission",
    ),
    ("mlflow-oss", "READ", "read", "basic-auth app permission"),
    (
        "mlflow-oss",
        "USE",
        "use",
        "basic-auth app permission (MLflow 3)",
    ),
    ("mlflow-oss", "EDIT", "edit", "basic-auth app permission"),
    (
        "mlflow-oss",
        "MANAGE",
        "manage",
        "basic-auth app permission; admins hold it on everything",
    ),
    (
        "databricks-workspace",
        "CAN_VIEW",
        "read",
        "Permissions API level",
    ),
    (
        "databricks-workspace",
        "CAN_READ",
        "read",
        "Permissions API level",
    ),
    (
        "databricks-workspace",
        "CAN_RUN",
        "use",
        "Permissions API level (notebooks)",
    ),
    (
        "databricks-workspace",
        "CAN_USE",
        "use",
        "Permissions API level",
    ),
    (
        "databricks-workspace",
        "CAN_EDIT",
        "edit",
        "Permissions API level",
    ),
    (
        "databricks-workspace",
        "CAN_CREATE_REGISTERED_MODEL",
        "edit",
        "registry root ACL only",
    ),
    (
        "databricks-workspace",
        "CAN_MANAGE_STAGING_VERSIONS",
        "manage_staging",
        "registered models: move versions between non-Production stages",
    ),
    (
        "databricks-workspace",
        "CAN_MANAGE_PRODUCTION_VERSIONS",
        "manage_production",
        "registered models: move versions to any stage",
    ),
    (
        "databricks-workspace",
        "CAN_MANAGE",
        "manage",
        "Permissions API level: change permissions, delete",
    ),
    (
        "databricks-workspace",
        "IS_OWNER",
        "manage",
        "Permissions API level",
    ),
    (
        "databricks-uc",
        "BROWSE",
        "read",
        "UC privilege (metadata only)",
    ),
    (
        "databricks-uc",
        "USE_CATALOG",
        "use",
        "UC privilege on the parent catalog",
    ),
    (
        "databricks-uc",
        "USE_SCHEMA",
        "use",
        "UC privilege on the parent schema",
    ),
    (
        "databricks-uc",
        "EXECUTE",
        "use",
        "UC privilege: load and use model versions",
    ),
    ("databricks-uc", "APPLY_TAG", "edit", "UC privilege"),
    (
        "databricks-uc",
        "MANAGE",
        "manage",
        "UC privilege: grant, drop, rename",
    ),
    (
        "databricks-uc",
        "ALL_PRIVILEGES",
        "manage",
        "UC privilege: every privilege",
    ),
    (
        "databricks-uc",
        "OWNER",
        "manage",
        "the model's owner (`owner` of the registered model; not a grant)",
    ),
];

/// The rank of a level on a backend; `unknown` for a level this table does not know, so a
/// rule can treat it with suspicion rather than as harmless.
pub fn rank(backend: &str, level: &str) -> &'static str {
    LEVELS
        .iter()
        .find(|(b, l, _, _)| *b == backend && l.eq_ignore_ascii_case(level))
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
        assert_eq!(rank("mlflow-oss", "MANAGE"), "manage");
        assert_eq!(rank("mlflow-oss", "READ"), "read");
        assert_eq!(rank("databricks-workspace", "CAN_MANAGE"), "manage");
        assert_eq!(
            rank("databricks-workspace", "CAN_MANAGE_PRODUCTION_VERSIONS"),
            "manage_production"
        );
        assert_eq!(rank("databricks-uc", "ALL_PRIVILEGES"), "manage");
        assert_eq!(rank("databricks-uc", "EXECUTE"), "use");
        assert_eq!(rank("databricks-uc", "SOMETHING_NEW"), "unknown");
        for (_, _, r, _) in LEVELS {
            assert!(RANKS.contains(r), "{r}");
        }
    }
}
