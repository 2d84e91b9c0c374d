//! Tests of the vendored gitleaks rule set as the `regex` crate reads it.

use super::*;

/// Rules whose RE2 regex the `regex` crate rejects (look-arounds are not RE2, so in practice
/// only size limits could): listed so an update that loses rules is noticed.
#[test]
fn rules_load_and_almost_all_compile() {
    let rules = rules();
    assert!(rules.len() >= 200, "{} rules", rules.len());
    let skipped: Vec<&str> = rules
        .iter()
        .filter(|r| r.regex().is_none())
        .map(|r| r.kind.as_str())
        .collect();
    assert!(skipped.len() <= 3, "skipped: {skipped:?}");
    assert!(!RULES.global.is_empty());
}

/// The global stopwords hold for every rule (gitleaks' own sample alphabet is no token).
#[test]
fn global_stopwords_apply() {
    assert!(find("npm_abcdefghijklmnopqrstuvwxyz0123456789").is_empty());
}

#[test]
fn go_perl_classes_become_ascii() {
    assert_eq!(
        ascii_classes(r"\b\w+\s\d"),
        r"(?-u:\b)[0-9A-Za-z_]+[\t\n\x0C\r ][0-9]"
    );
    assert_eq!(ascii_classes(r"[\w.-]\\w"), r"[[0-9A-Za-z_].-]\\w");
    let regex = compile(r"\b\w+\b").expect("compiles");
    // RE2's ASCII `\b`: `é` is not a word character, so `t` stands alone.
    assert_eq!(regex.find("été ab").map(|m| m.as_str()), Some("t"));
}

/// One token per family the rules exist for, found by the rule and no other shape.
#[test]
fn finds_provider_tokens() {
    for (text, rule) in [
        (
            "glpat-abcdefghij0123456789 was pushed",
            "gitleaks rule gitlab-pat",
        ),
        (
            "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",
            "gitleaks rule sendgrid-api-token",
        ),
        (
            "npm_k3j5h2g9f8d7s6a5q4w3e2r1t0y9u8i7o6p5",
            "gitleaks rule npm-access-token",
        ),
        (
            "client_api_key => 'Zq8xK2mP9vL4nR7tY3wB6cJ1'",
            "gitleaks rule generic-api-key",
        ),
    ] {
        let hits = find(text);
        let kinds: Vec<&str> = hits.iter().map(|h| h.kind).collect();
        assert!(kinds.contains(&rule), "{text}: {rule} {kinds:?}");
    }
}

#[test]
fn entropy_and_allowlists_apply() {
    // The global allowlist: a run of one letter is never a secret.
    let aws_example = "AKIAIOSFODNN7EXAMPLE";
    assert!(
        find(aws_example).is_empty(),
        "the aws-access-token allowlist drops …EXAMPLE"
    );
    // 1Password secret keys need entropy above 3.8: a repeated block is below it.
    assert!(find("A3-AAAAAA-AAAAAAAAAAA-AAAAA-AAAAA-AAAAA").is_empty());
}

#[test]
fn allowlist_conditions() {
    let stop = Allowlist {
        regexes: vec![],
        stopwords: vec!["example".into()],
        target: Target::Secret,
        all: false,
    };
    assert!(stop.allows("my-EXAMPLE-key", "", ""));
    assert!(!stop.allows("my-real-key", "", ""));
    let both = Allowlist {
        regexes: compile("^x").into_iter().collect(),
        stopwords: vec!["y".into()],
        target: Target::Line,
        all: true,
    };
    assert!(both.allows("y", "", "x line"));
    assert!(!both.allows("z", "", "x line"));
    assert!(!both.allows("y", "", "line"));
}

#[test]
fn broken_config_loads_nothing() {
    let rules = load("[[rules]]\nid = 3");
    assert!(rules.rules.is_empty() && rules.global.is_empty());
}
