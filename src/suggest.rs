//! "Did you mean …?" suggestions for misspelt names, by Levenshtein distance over chars
//! (`strsim`'s, the one clap already uses for its own suggestions).

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len().max(word.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        assert_eq!(
            closest("non-empty", ["non_empty", "exists"]),
            Some("non_empty")
        );
        assert_eq!(
            closest("registred_model", ["registered_model", "run"]),
            Some("registered_model")
        );
        assert_eq!(closest("zzz", ["exists", "equals"]), None);
        // Distance in chars, not bytes: one substitution of a two-byte char is one edit.
        assert_eq!(closest("välue", ["value", "values"]), Some("value"));
        // The closest wins; ties go to the first candidate.
        assert_eq!(
            closest("min_lenght", ["max_length", "min_length"]),
            Some("min_length")
        );
        assert_eq!(closest("ab", ["ac", "ad"]), Some("ac"));
        // A candidate the word shares nothing with is not a typo of it, however short.
        assert_eq!(closest("x", ["y"]), None);
        assert_eq!(closest("", ["a"]), None);
    }
}
