//! Every search filter mlgate writes for MLflow's `model-versions/search` (and Databricks'
//! workspace registry, which takes the same syntax), built under the server's own quoting
//! rules rather than SQL's.
//!
//! MLflow (2.x and 3.x alike, `mlflow/utils/search_utils.py`) tokenises a filter with
//! sqlparse and takes a string value as the token *verbatim* minus its two end quotes: there
//! is no escape sequence. sqlparse's tokens are `'(''|\\'|[^'])*'` (a string) and
//! `"(""|\\"|[^"])*"` (a quoted identifier, which MLflow also accepts as a value). So
//! `name='a\'b'` asks for the name `a\'b` and `name='a''b'` for `a''b`, never `a'b` (checked
//! on MLflow 3.17 and 2.22: `\'` listed nothing, silently). What can be said exactly:
//! a name without `'` inside single quotes, else a name without `"` inside double quotes
//! (a trailing `\` is fine either way: the tokeniser backtracks to end the string on the last
//! quote). A name holding both quote kinds has no exact filter; it is searched with `LIKE`
//! and a one-character wildcard in place of each character that cannot be written, which
//! only widens the answer, and the caller keeps the versions of exactly that name.
//! `%` and `_` are literal under `=`, so they need nothing.

/// A filter for one model's versions, and whether the server's answer is that model's only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchFilter {
    /// The filter text, as the `filter` query parameter.
    pub text: String,
    /// `false` when the filter may also select other models' versions (the `LIKE` fallback):
    /// the answer must be narrowed to the name.
    pub exact: bool,
}

/// The filter selecting the versions of the model named `name`.
pub(crate) fn model_versions_of(name: &str) -> SearchFilter {
    if !name.contains('\'') {
        // The form used so far for every ordinary name, byte for byte.
        return exact(format!("name='{name}'"));
    }
    if !name.contains('"') {
        return exact(format!("name=\"{name}\""));
    }
    SearchFilter {
        text: format!("name LIKE '{}'", like_pattern(name)),
        exact: false,
    }
}

fn exact(text: String) -> SearchFilter {
    SearchFilter { text, exact: true }
}

/// A `LIKE` pattern that matches `name` on every store MLflow runs on: each quote (it could
/// not be written), backslash (the escape character of `LIKE` on MySQL and PostgreSQL) and
/// bracket (a character class on SQL Server) becomes `_`, any one character; `%` and `_` in
/// the name stay wildcards that match themselves too.
fn like_pattern(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '\'' | '"' | '\\' | '[' | ']' => '_',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;

    /// What MLflow reads back from an `=` filter on `name`: sqlparse's string tokens (the
    /// `regex` crate's leftmost-first, greedy matching is Python's), which must span the
    /// rest of the filter, minus the end quotes.
    fn mlflow_reads(filter: &str) -> Option<String> {
        let single = Regex::new(r"^name='(?:''|\\'|[^'])*'").unwrap();
        let double = Regex::new(r#"^name="(?:""|\\"|[^"])*""#).unwrap();
        let token = single.find(filter).or_else(|| double.find(filter))?;
        (token.end() == filter.len()).then(|| filter["name='".len()..filter.len() - 1].to_string())
    }

    /// SQL `LIKE` with `%` and `_` and no escape character, over characters.
    fn like(pattern: &[char], name: &[char]) -> bool {
        match pattern.split_first() {
            None => name.is_empty(),
            Some(('%', rest)) => (0..=name.len()).any(|i| like(rest, &name[i..])),
            Some((p, rest)) => name
                .split_first()
                .is_some_and(|(c, tail)| (*p == '_' || p == c) && like(rest, tail)),
        }
    }

    fn like_matches(filter: &str, name: &str) -> bool {
        let Some(pattern) = filter
            .strip_prefix("name LIKE '")
            .and_then(|f| f.strip_suffix('\''))
        else {
            return false;
        };
        let pattern: Vec<char> = pattern.chars().collect();
        let name: Vec<char> = name.chars().collect();
        like(&pattern, &name)
    }

    #[test]
    fn ordinary_names_keep_the_filter_they_always_had() {
        assert_eq!(model_versions_of("churn").text, "name='churn'");
        assert!(model_versions_of("churn").exact);
    }

    /// The names checked on MLflow 3.17 and 2.22 (tests/it/filter_live.rs lists their versions).
    #[test]
    fn each_hard_name_gets_the_form_the_servers_accepted() {
        let cases = [
            ("a'b", "name=\"a'b\""),
            ("a\"b", "name='a\"b'"),
            ("a\\b", "name='a\\b'"),
            ("a\\", "name='a\\'"),
            ("a%b", "name='a%b'"),
            ("a_b", "name='a_b'"),
            ("a`b", "name='a`b'"),
            ("モデル", "name='モデル'"),
            ("a'\"b", "name LIKE 'a__b'"),
            ("a'\"\\[b]%", "name LIKE 'a____b_%'"),
        ];
        for (name, filter) in cases {
            assert_eq!(model_versions_of(name).text, filter, "{name}");
        }
    }

    #[test]
    fn a_backslash_quote_is_not_an_escape() {
        // What mlgate used to send for `a'b`: MLflow reads it as another name.
        assert_eq!(mlflow_reads("name='a\\'b'").as_deref(), Some("a\\'b"));
        assert_eq!(mlflow_reads("name='a'b'"), None);
    }

    proptest! {
        #[test]
        fn every_filter_selects_its_name(name in "\\PC{0,12}|[a'\"\\\\%_`\\[\\]モ]{0,12}") {
            let filter = model_versions_of(&name);
            if filter.exact {
                prop_assert_eq!(mlflow_reads(&filter.text), Some(name.clone()));
            } else {
                prop_assert!(name.contains('\'') && name.contains('"'));
                prop_assert!(like_matches(&filter.text, &name), "{}", filter.text);
                // The pattern itself holds nothing the tokeniser or a store could misread.
                let pattern = &filter.text["name LIKE '".len()..filter.text.len() - 1];
                prop_assert!(!pattern.contains(['\'', '"', '\\', '[', ']']));
            }
        }
    }
}
