//! The generated docs are current: `docs/policy-language.md` (from the check registry) and
//! `docs/rules.md` (from the bundled packs). `MLGATE_UPDATE_DOCS=1 cargo test docs` rewrites
//! them.

use crate::repo_path;

fn check(path: &str, generated: &str) {
    let file = repo_path(path);
    if std::env::var("MLGATE_UPDATE_DOCS").is_ok_and(|v| v == "1") {
        std::fs::write(&file, generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{path} is stale: run `MLGATE_UPDATE_DOCS=1 cargo test docs` and commit the result"
    );
}

#[test]
fn policy_language_doc_is_current() {
    check("docs/policy-language.md", &mlgate::docs::policy_language());
}

#[test]
fn rules_doc_is_current() {
    check("docs/rules.md", &mlgate::docs::rules());
}

#[test]
fn permissions_doc_is_current() {
    check("docs/permissions.md", &mlgate::docs::permissions());
}

#[test]
fn every_check_kind_is_documented() {
    let doc = mlgate::docs::policy_language();
    for kind in mlgate::engine::check::CHECK_KINDS {
        assert!(
            doc.contains(&format!("### `{}`", kind.name)),
            "{}",
            kind.name
        );
    }
}

#[test]
fn errors_doc_is_current() {
    check("docs/errors.md", &mlgate::docs::errors());
}

#[test]
fn every_error_code_has_its_entry() {
    let doc = mlgate::docs::errors();
    for code in mlgate::error_code::Code::ALL {
        let entry = format!("\n### `{code}`\n");
        assert_eq!(doc.matches(&entry).count(), 1, "{code}");
    }
}
