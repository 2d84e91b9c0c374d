//! Shell-style globs (`*` any run of characters, `?` one character) for model names and
//! resource patterns.

/// Whether `text` matches the glob `pattern` as a whole.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with backtracking to the last `*`: linear in practice, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches("churn-*", "churn-eu"));
        assert!(matches("*", ""));
        assert!(matches("a*c*e", "abcde"));
        assert!(matches("dolly?b", "dolly3b"));
        assert!(!matches("churn-*", "fraud"));
        assert!(!matches("a*z", "abc"));
        assert!(matches("lab-credit-model", "lab-credit-model"));
    }
}
