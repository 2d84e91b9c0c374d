//! One test per check kind and combinator: a pass, a failure, and a type mismatch (data of
//! the wrong type is an error, never a pass). Policy-side type mismatches (`min = "3"`) are
//! tested in `policy::validate`.

use regex::Regex;
use serde_json::{json, Value};

use super::*;

fn on(check: &Check, value: &Value) -> Verdict {
    let selection = Selection {
        found: vec![value],
        absent: Vec::new(),
        fans_out: false,
    };
    check.evaluate(&selection, Mode::Rule, Context::EMPTY)
}

fn on_absent(check: &Check) -> Verdict {
    let selection = Selection {
        found: Vec::new(),
        absent: vec!["x.y".into()],
        fans_out: false,
    };
    check.evaluate(&selection, Mode::Rule, Context::EMPTY)
}

fn fails(v: &Verdict) -> bool {
    matches!(v, Verdict::Fail(_))
}

fn errs(v: &Verdict) -> bool {
    matches!(v, Verdict::Error(_))
}

fn cond(field: &str, checks: Vec<Check>) -> FieldCondition {
    FieldCondition {
        field: Selector::parse(field).unwrap(),
        checks: CheckSet(checks),
    }
}

fn fields(list: Vec<FieldCondition>) -> Conditions {
    Conditions {
        on_element: CheckSet::default(),
        fields: list,
    }
}

#[test]
fn exists_and_absent() {
    assert_eq!(on(&Check::Exists(true), &json!("x")), Verdict::Pass);
    assert!(fails(&on_absent(&Check::Exists(true))));
    assert!(fails(&on(&Check::Exists(false), &json!(null))));
    assert_eq!(on_absent(&Check::Absent(true)), Verdict::Pass);
    assert!(fails(&on(&Check::Absent(true), &json!(0))));
    // Presence is defined for every type: no type mismatch is possible, and `false` inverts.
    assert_eq!(on(&Check::Absent(false), &json!([1])), Verdict::Pass);
}

#[test]
fn non_empty_and_empty() {
    assert_eq!(on(&Check::NonEmpty(true), &json!("x")), Verdict::Pass);
    assert!(fails(&on(&Check::NonEmpty(true), &json!({}))));
    assert!(fails(&on(&Check::NonEmpty(true), &json!("  "))));
    assert!(fails(&on_absent(&Check::NonEmpty(true))));
    assert_eq!(on(&Check::Empty(true), &json!([])), Verdict::Pass);
    assert!(fails(&on(&Check::Empty(true), &json!(["a"]))));
    assert_eq!(on_absent(&Check::Empty(true)), Verdict::Pass);
    // Numbers and booleans are never empty.
    assert!(fails(&on(&Check::Empty(true), &json!(0))));
}

#[test]
fn equals_and_not_equals_are_typed() {
    assert_eq!(
        on(&Check::Equals(json!("FINISHED")), &json!("FINISHED")),
        Verdict::Pass
    );
    assert!(fails(&on(
        &Check::Equals(json!("FINISHED")),
        &json!("FAILED")
    )));
    assert_eq!(
        on(&Check::Equals(json!(0.5)), &json!("0.5")),
        Verdict::Pass,
        "numeric text compares as a number"
    );
    assert!(errs(&on(&Check::Equals(json!(1)), &json!("abc"))));
    assert!(
        errs(&on(&Check::Equals(json!("x")), &json!(true)))
            || fails(&on(&Check::Equals(json!("x")), &json!(true)))
    );
    assert!(
        fails(&on_absent(&Check::Equals(json!(1)))),
        "an absent value equals nothing"
    );
    assert_eq!(on_absent(&Check::NotEquals(json!(1))), Verdict::Pass);
    assert_eq!(
        on(&Check::NotEquals(json!("Archived")), &json!("Production")),
        Verdict::Pass
    );
    assert!(fails(&on(
        &Check::NotEquals(json!("Archived")),
        &json!("Archived")
    )));
    assert!(errs(&on(&Check::NotEquals(json!(3)), &json!("three"))));
}

#[test]
fn one_of_and_none_of() {
    let options = vec![json!("a"), json!("b")];
    assert_eq!(
        on(&Check::OneOf(options.clone()), &json!("b")),
        Verdict::Pass
    );
    assert!(fails(&on(&Check::OneOf(options.clone()), &json!("c"))));
    assert!(errs(&on(&Check::OneOf(vec![json!(1)]), &json!("x"))));
    assert_eq!(
        on(&Check::NoneOf(options.clone()), &json!("c")),
        Verdict::Pass
    );
    assert!(fails(&on(&Check::NoneOf(options), &json!("a"))));
    assert!(errs(&on(&Check::NoneOf(vec![json!(2)]), &json!("two"))));
}

#[test]
fn matches_and_not_matches() {
    let hex = Regex::new("^[0-9a-f]{40}$").unwrap();
    let sha = json!("0123456789abcdef0123456789abcdef01234567");
    assert_eq!(on(&Check::Matches(hex.clone()), &sha), Verdict::Pass);
    assert!(fails(&on(&Check::Matches(hex.clone()), &json!("main"))));
    assert!(errs(&on(&Check::Matches(hex.clone()), &json!({"a": 1}))));
    let runs = Regex::new("^runs:/").unwrap();
    assert_eq!(
        on(&Check::NotMatches(runs.clone()), &json!("models:/m-1")),
        Verdict::Pass
    );
    assert!(fails(&on(
        &Check::NotMatches(runs.clone()),
        &json!("runs:/abc/model")
    )));
    assert!(errs(&on(&Check::NotMatches(runs), &json!([1]))));
}

#[test]
fn contains_text_lists_and_tables() {
    assert_eq!(
        on(&Check::Contains(json!("dolly")), &json!("dolly-v2-3b")),
        Verdict::Pass
    );
    assert!(fails(&on(
        &Check::Contains(json!("llama")),
        &json!("dolly-v2-3b")
    )));
    assert_eq!(
        on(
            &Check::Contains(json!("champion")),
            &json!(["champion", "b"])
        ),
        Verdict::Pass
    );
    assert_eq!(
        on(
            &Check::Contains(json!("git_commit")),
            &json!({"git_commit": "x"})
        ),
        Verdict::Pass
    );
    assert!(fails(&on(
        &Check::Contains(json!("git_commit")),
        &json!({"team": "x"})
    )));
    assert!(errs(&on(&Check::Contains(json!("x")), &json!(42))));
    assert!(errs(&on(&Check::Contains(json!(1)), &json!({"a": 1}))));
}

#[test]
fn min_and_max_accept_numeric_text_and_metrics() {
    assert_eq!(
        on(&Check::Min(0.8), &json!({"value": 0.81, "step": 0})),
        Verdict::Pass
    );
    assert!(fails(&on(&Check::Min(0.8), &json!("0.5"))));
    assert!(errs(&on(&Check::Min(1.0), &json!(true))));
    assert_eq!(on(&Check::Max(10.0), &json!(10)), Verdict::Pass);
    assert!(fails(&on(&Check::Max(1.0), &json!("2"))));
    assert!(errs(&on(&Check::Max(1.0), &json!("lbfgs"))));
}

#[test]
fn min_and_max_length() {
    assert_eq!(on(&Check::MinLength(3), &json!("abc")), Verdict::Pass);
    assert!(fails(&on(&Check::MinLength(4), &json!("abc"))));
    assert!(fails(&on(&Check::MinLength(1), &json!([]))));
    assert!(errs(&on(&Check::MinLength(1), &json!(12))));
    assert_eq!(on(&Check::MaxLength(1), &json!({"a": 1})), Verdict::Pass);
    assert!(fails(&on(&Check::MaxLength(1), &json!(["a", "b"]))));
    assert!(errs(&on(&Check::MaxLength(1), &json!(false))));
}

#[test]
fn counts_range_over_the_selection() {
    assert_eq!(
        on(&Check::CountMin(2), &json!({"a": 1, "b": 2})),
        Verdict::Pass
    );
    assert!(fails(&on(&Check::CountMin(1), &json!([]))));
    assert!(fails(&on(&Check::CountMax(1), &json!([1, 2]))));
    let a = json!(1);
    let b = json!(2);
    let fanned = Selection {
        found: vec![&a, &b],
        absent: Vec::new(),
        fans_out: true,
    };
    assert_eq!(
        Check::CountMax(2).evaluate(&fanned, Mode::Rule, Context::EMPTY),
        Verdict::Pass
    );
    // A collection known to be absent holds nothing: too few, never too many. (One that was
    // never gathered is an error before any check runs: see `engine::decide`.)
    assert!(fails(&on_absent(&Check::CountMin(1))));
    assert_eq!(on_absent(&Check::CountMin(0)), Verdict::Pass);
    assert_eq!(on_absent(&Check::CountMax(5)), Verdict::Pass);
}

/// A value known to be absent meets no positive check (the failure says what is missing)
/// and holds no forbidden value; it is judged alike in a rule and in a list element.
#[test]
fn an_absent_value_fails_positive_checks_and_passes_negative_ones() {
    let absent = Selection {
        found: Vec::new(),
        absent: vec![Absent {
            path: r#"model_version.tags["reviewed_by"]"#.into(),
            what: "model_version has no tag `reviewed_by`".into(),
        }],
        fans_out: false,
    };
    let any = Conditions {
        on_element: CheckSet(vec![Check::Exists(true)]),
        fields: Vec::new(),
    };
    let positive = [
        Check::Exists(true),
        Check::Absent(false),
        Check::NonEmpty(true),
        Check::Empty(false),
        Check::Equals(json!("x")),
        Check::OneOf(vec![json!("x")]),
        Check::Matches(Regex::new("@example.com$").unwrap()),
        Check::Contains(json!("x")),
        Check::Min(0.0),
        Check::Max(1.0),
        Check::MinLength(1),
        Check::CountMin(1),
        Check::Any(any.clone()),
    ];
    let negative = [
        Check::Exists(false),
        Check::Absent(true),
        Check::NonEmpty(false),
        Check::Empty(true),
        Check::NotEquals(json!("x")),
        Check::NoneOf(vec![json!("x")]),
        Check::NotMatches(Regex::new("x").unwrap()),
        Check::MaxLength(3),
        Check::CountMax(3),
        Check::All(any.clone()),
        Check::None(any),
    ];
    for mode in [Mode::Rule, Mode::Element] {
        for check in &positive {
            assert_eq!(
                check.evaluate(&absent, mode, Context::EMPTY),
                Verdict::Fail("model_version has no tag `reviewed_by`".into()),
                "{} in {mode:?}",
                check.describe()
            );
        }
        for check in &negative {
            assert_eq!(
                check.evaluate(&absent, mode, Context::EMPTY),
                Verdict::Pass,
                "{} in {mode:?}",
                check.describe()
            );
        }
    }
    // `not` of a positive check holds on an absent value.
    let not = Check::Not(CheckSet(vec![Check::Equals(json!("x"))]));
    assert_eq!(
        not.evaluate(&absent, Mode::Rule, Context::EMPTY),
        Verdict::Pass
    );
}

#[test]
fn quantifiers_over_acl_entries() {
    let entries = json!([
        {"principal": "admins", "principal_type": "group", "level": "CAN_MANAGE"},
        {"principal": "users", "principal_type": "group", "level": "CAN_MANAGE"}
    ]);
    let users_manage = fields(vec![
        cond("principal", vec![Check::Equals(json!("users"))]),
        cond("principal_type", vec![Check::Equals(json!("group"))]),
        cond("level", vec![Check::OneOf(vec![json!("CAN_MANAGE")])]),
    ]);
    assert!(
        matches!(on(&Check::None(users_manage.clone()), &entries), Verdict::Fail(m) if m.contains("users"))
    );
    assert_eq!(
        on(&Check::Any(users_manage.clone()), &entries),
        Verdict::Pass
    );
    assert!(fails(&on(&Check::All(users_manage.clone()), &entries)));
    assert_eq!(
        on(
            &Check::None(users_manage.clone()),
            &json!([entries[0].clone()])
        ),
        Verdict::Pass
    );
    assert!(
        fails(&on(&Check::Any(users_manage), &json!([]))),
        "`any` over nothing fails"
    );
    // A field of the wrong type for its check is an error, not a silent non-match.
    let typed = fields(vec![cond("level", vec![Check::Min(1.0)])]);
    assert!(errs(&on(&Check::Any(typed.clone()), &entries)));
    assert!(errs(&on(&Check::All(typed.clone()), &entries)));
    assert!(errs(&on(&Check::None(typed), &entries)));
    // An absent field does not meet a positive condition.
    let owner = fields(vec![cond("display_name", vec![Check::Equals(json!("x"))])]);
    assert_eq!(on(&Check::None(owner), &entries), Verdict::Pass);
}

#[test]
fn quantifier_checks_on_the_element_itself_and_nested_quantifiers() {
    let aliases = json!(["champion", "challenger"]);
    let on_element = Conditions {
        on_element: CheckSet(vec![Check::Equals(json!("champion"))]),
        fields: Vec::new(),
    };
    assert_eq!(on(&Check::Any(on_element.clone()), &aliases), Verdict::Pass);
    assert!(fails(&on(&Check::All(on_element), &aliases)));
    let datasets = json!([{"tags": {"mlflow.data.context": "training"}}, {"tags": {}}]);
    let nested = fields(vec![cond(
        "tags",
        vec![Check::Contains(json!("mlflow.data.context"))],
    )]);
    assert_eq!(on(&Check::Any(nested.clone()), &datasets), Verdict::Pass);
    assert!(fails(&on(&Check::All(nested), &datasets)));
}

#[test]
fn combinators() {
    let described = json!("Credit default classifier for retail loans");
    let long = CheckSet(vec![Check::MinLength(20)]);
    let nonempty = CheckSet(vec![Check::NonEmpty(true)]);
    assert_eq!(
        on(
            &Check::AllOf(vec![nonempty.clone(), long.clone()]),
            &described
        ),
        Verdict::Pass
    );
    assert!(fails(&on(
        &Check::AllOf(vec![nonempty.clone(), long.clone()]),
        &json!("short")
    )));
    assert!(
        errs(&on(&Check::AllOf(vec![nonempty, long.clone()]), &json!(7))),
        "min_length on a number"
    );

    let tags = json!({"git_commit": "abc"});
    let either = Check::AnyOf(vec![
        CheckSet(vec![Check::Contains(json!("mlflow.source.git.commit"))]),
        CheckSet(vec![Check::Contains(json!("git_commit"))]),
    ]);
    assert_eq!(on(&either, &tags), Verdict::Pass);
    assert!(fails(&on(&either, &json!({"team": "x"}))));
    assert!(
        errs(&on(&either, &json!(3))),
        "no alternative can be evaluated"
    );

    let not_archived = Check::Not(CheckSet(vec![Check::OneOf(vec![
        json!("Archived"),
        json!("None"),
    ])]));
    assert_eq!(on(&not_archived, &json!("Production")), Verdict::Pass);
    assert!(fails(&on(&not_archived, &json!("Archived"))));
    assert!(
        errs(&on(&Check::Not(long), &json!(false))),
        "`not` keeps errors: an error never becomes a pass"
    );
}

#[test]
fn descriptions_read_like_the_policy() {
    let check = Check::None(fields(vec![cond(
        "principal",
        vec![Check::Equals(json!("users"))],
    )]));
    assert_eq!(check.describe(), "none = { principal = \"users\" }");
    assert_eq!(
        Check::Not(CheckSet(vec![Check::Min(1.0)])).describe(),
        "not = { min = 1 }"
    );
}

#[test]
fn a_list_against_a_single_value_is_an_error_not_a_pass() {
    let aliases = json!(["champion"]);
    assert!(errs(&on(&Check::NoneOf(vec![json!("champion")]), &aliases)));
    assert!(errs(&on(&Check::NotEquals(json!("champion")), &aliases)));
    assert!(errs(&on(&Check::Contains(json!(1)), &json!(["a"]))));
    assert_eq!(
        on(&Check::Equals(json!(["champion"])), &aliases),
        Verdict::Pass
    );
}

#[test]
fn an_empty_fan_out_fails_positive_checks_and_passes_negative_ones() {
    let nothing = Selection {
        found: Vec::new(),
        absent: Vec::new(),
        fans_out: true,
    };
    assert!(fails(&Check::Min(0.9).evaluate(
        &nothing,
        Mode::Rule,
        Context::EMPTY
    )));
    assert!(fails(&Check::NonEmpty(true).evaluate(
        &nothing,
        Mode::Rule,
        Context::EMPTY
    )));
    assert_eq!(
        Check::NoneOf(vec![json!("CAN_MANAGE")]).evaluate(&nothing, Mode::Rule, Context::EMPTY),
        Verdict::Pass
    );
    assert_eq!(
        Check::CountMax(3).evaluate(&nothing, Mode::Rule, Context::EMPTY),
        Verdict::Pass
    );
}

#[test]
fn not_over_a_fan_out_applies_to_each_element() {
    let (a, b) = (json!("admins"), json!("users"));
    let principals = Selection {
        found: vec![&a, &b],
        absent: Vec::new(),
        fans_out: true,
    };
    let not_users = Check::Not(CheckSet(vec![Check::Equals(json!("users"))]));
    assert!(
        fails(&not_users.evaluate(&principals, Mode::Rule, Context::EMPTY)),
        "one element is `users`"
    );
    let c = json!("ml-team");
    let fine = Selection {
        found: vec![&a, &c],
        absent: Vec::new(),
        fans_out: true,
    };
    assert_eq!(
        not_users.evaluate(&fine, Mode::Rule, Context::EMPTY),
        Verdict::Pass
    );
}

#[test]
fn counting_a_single_value_is_an_error() {
    assert!(errs(&on(&Check::CountMin(1), &json!(""))));
    assert!(errs(&on(&Check::Any(Conditions::default()), &json!("x"))));
}
