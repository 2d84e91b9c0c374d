//! The gitleaks rule set (vendored in `gitleaks.toml`, MIT, see `README.md` here) read by the
//! `regex` crate: a maintained catalogue of ~220 provider token shapes, so mlgate's own list only
//! adds what gitleaks misses. Read once, at first use; each rule's regex is compiled only when a
//! text first contains one of its keywords, which is what keeps a scan of ordinary text fast (a
//! few rules run, not all of them).
//!
//! Supported, as gitleaks applies it to one fragment of text: `regex`, `secretGroup` (else the
//! first non-empty group, else the whole match), `entropy` (the secret's Shannon entropy must be
//! above it), `keywords`, rule `[[rules.allowlists]]` and the global `[allowlist]` with their
//! `regexes` (on the secret, the match or the line, per `regexTarget`), `stopwords` and
//! `condition`. Ignored: rules restricted to file paths (`path`: mlgate scans values, not files)
//! and allowlist criteria on paths and commits (an allowlist that needs one never applies).
//! Go's RE2 `\w \d \s \b` are ASCII; they are translated to the same ASCII classes so the
//! Rust regex means what the rule's authors tested (and stays on the fast DFA path).

use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use regex::{Regex, RegexBuilder, RegexSet};
use serde::Deserialize;

/// The vendored rule file (see `README.md` for its upstream version and how to update it).
const CONFIG: &str = include_str!("gitleaks.toml");

/// Rules left out, with the reason: a rule that flags ordinary MLflow data (ids, digests,
/// URIs; see `ordinary_mlflow_data_has_no_shapes` in `shape_tests.rs`) goes here. None does
/// today: even `generic-api-key` stays quiet on that corpus (its stopwords and entropy gate
/// do the work), and it finds `name => 'value'` forms mlgate's key-name shapes do not read.
const EXCLUDED: &[(&str, &str)] = &[];

/// Per-rule bound on the compiled program: generous (the largest gitleaks rule needs a few MB),
/// but a bound, so a pathological rule is skipped rather than exhausting memory.
const SIZE_LIMIT: usize = 32 << 20;

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    id: String,
    regex: Option<String>,
    path: Option<String>,
    #[serde(default)]
    secret_group: usize,
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAllowlist {
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
    regex_target: Option<String>,
    condition: Option<String>,
}

/// What an allowlist regex is tested against.
#[derive(Clone, Copy)]
enum Target {
    Secret,
    Match,
    Line,
}

struct Allowlist {
    regexes: Vec<Regex>,
    stopwords: Vec<String>,
    target: Target,
    /// `condition = "AND"`: every present criterion must hold.
    all: bool,
}

pub(super) struct Rule {
    /// `gitleaks rule <id>`: the id is short, stable and says where to read more; the
    /// descriptions are sentences.
    pub(super) kind: String,
    pattern: String,
    compiled: OnceLock<Option<Regex>>,
    secret_group: usize,
    entropy: Option<f64>,
    /// Indexes into [`RuleSet::keywords`].
    keywords: Vec<usize>,
    allowlists: Vec<Allowlist>,
}

struct RuleSet {
    rules: Vec<Rule>,
    global: Vec<Allowlist>,
    /// Every rule's keywords in one set: one pass over the text says which occur (a substring
    /// search per keyword would read the text ~300 times).
    keywords: Option<RegexSet>,
}

static RULES: LazyLock<RuleSet> = LazyLock::new(|| load(CONFIG));

fn load(config: &str) -> RuleSet {
    // The file is vendored and tested; a parse failure can only come from a bad update, which
    // the unit tests catch. At run time it degrades to mlgate's own shapes.
    let Ok(raw) = toml::from_str::<RawConfig>(config) else {
        return RuleSet {
            rules: Vec::new(),
            global: Vec::new(),
            keywords: None,
        };
    };
    let mut keywords: Vec<String> = Vec::new();
    let mut index = |keyword: &str| {
        let keyword = regex::escape(&keyword.to_lowercase());
        keywords
            .iter()
            .position(|k| *k == keyword)
            .unwrap_or_else(|| {
                keywords.push(keyword);
                keywords.len() - 1
            })
    };
    let rules = raw
        .rules
        .into_iter()
        .filter(|r| r.path.is_none() && !EXCLUDED.iter().any(|(id, _)| *id == r.id))
        .filter_map(|r| {
            let pattern = r.regex?;
            Some(Rule {
                kind: format!("gitleaks rule {}", r.id),
                pattern,
                compiled: OnceLock::new(),
                secret_group: r.secret_group,
                entropy: r.entropy.filter(|e| *e > 0.0),
                keywords: r.keywords.iter().map(|k| index(k)).collect(),
                allowlists: r.allowlists.iter().filter_map(allowlist).collect(),
            })
        })
        .collect();
    RuleSet {
        rules,
        global: raw
            .allowlist
            .as_ref()
            .and_then(allowlist)
            .into_iter()
            .collect(),
        keywords: RegexSet::new(&keywords).ok(),
    }
}

/// An allowlist as far as it can apply to a value; `None` when it needs a path or a commit
/// (alone, or with `AND`), which a value never has.
fn allowlist(raw: &RawAllowlist) -> Option<Allowlist> {
    let all = raw
        .condition
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("and"));
    let needs_file = !raw.paths.is_empty() || !raw.commits.is_empty();
    if (all && needs_file) || (raw.regexes.is_empty() && raw.stopwords.is_empty()) {
        return None;
    }
    Some(Allowlist {
        regexes: raw.regexes.iter().filter_map(|r| compile(r)).collect(),
        stopwords: raw.stopwords.iter().map(|s| s.to_lowercase()).collect(),
        target: match raw.regex_target.as_deref() {
            Some("match") => Target::Match,
            Some("line") => Target::Line,
            _ => Target::Secret,
        },
        all,
    })
}

impl Allowlist {
    fn allows(&self, secret: &str, matched: &str, line: &str) -> bool {
        let target = match self.target {
            Target::Secret => secret,
            Target::Match => matched,
            Target::Line => line,
        };
        let lower = secret.to_lowercase();
        let regex = !target.is_empty() && self.regexes.iter().any(|r| r.is_match(target));
        let stopword = self.stopwords.iter().any(|w| lower.contains(w.as_str()));
        if self.all {
            (self.regexes.is_empty() || regex) && (self.stopwords.is_empty() || stopword)
        } else {
            regex || stopword
        }
    }
}

impl Rule {
    /// The rule's regex, compiled on first use; `None` when the `regex` crate rejects it.
    pub(super) fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| compile(&self.pattern))
            .as_ref()
    }
}

/// Go RE2 syntax as the `regex` crate reads it, with RE2's ASCII meaning of the Perl classes.
fn compile(pattern: &str) -> Option<Regex> {
    RegexBuilder::new(&ascii_classes(pattern))
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(SIZE_LIMIT)
        .build()
        .ok()
}

/// `\w \d \s \b` (and their negations) rewritten to ASCII classes: in RE2 they are ASCII, in
/// the `regex` crate Unicode (bigger programs, and a Unicode `\b` leaves the fast DFA on
/// non-ASCII text). Inside a bracket class a nested class keeps the meaning (`[\w.-]` →
/// `[[0-9A-Za-z_].-]`).
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(next) = chars.next() else {
            out.push(c);
            break;
        };
        let class = match next {
            'w' => "[0-9A-Za-z_]",
            'W' => "[^0-9A-Za-z_]",
            'd' => "[0-9]",
            'D' => "[^0-9]",
            's' => r"[\t\n\x0C\r ]",
            'S' => r"[^\t\n\x0C\r ]",
            'b' => r"(?-u:\b)",
            'B' => r"(?-u:\B)",
            _ => {
                out.push(c);
                out.push(next);
                continue;
            }
        };
        out.push_str(class);
    }
    out
}

/// One secret a gitleaks rule found: its byte range in the text and the rule's marker kind.
pub(super) struct Hit<'r> {
    pub(super) range: Range<usize>,
    pub(super) kind: &'r str,
}

/// Every secret the gitleaks rules find in `text`.
pub(super) fn find(text: &str) -> Vec<Hit<'static>> {
    let rules: &'static RuleSet = &RULES;
    let Some(set) = rules.keywords.as_ref() else {
        return Vec::new();
    };
    let present = set.matches(&text.to_ascii_lowercase());
    let mut hits = Vec::new();
    for rule in &rules.rules {
        if !rule.keywords.is_empty() && !rule.keywords.iter().any(|k| present.matched(*k)) {
            continue;
        }
        let Some(regex) = rule.regex() else { continue };
        for caps in regex.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            // gitleaks trims line breaks a pattern such as `\s` pulled into the match.
            let matched = whole.as_str().trim_matches('\n');
            let secret = if rule.secret_group > 0 {
                caps.get(rule.secret_group)
            } else {
                caps.iter()
                    .skip(1)
                    .flatten()
                    .find(|m| !m.as_str().is_empty())
            }
            .map_or(whole.range(), |m| m.range());
            let secret = trimmed(text, secret);
            let value = &text[secret.clone()];
            if value.is_empty() || rule.entropy.is_some_and(|e| shannon_entropy(value) <= e) {
                continue;
            }
            let line = line_of(text, whole.range());
            let allowed = |a: &Allowlist| a.allows(value, matched, line);
            if rules.global.iter().any(allowed) || rule.allowlists.iter().any(allowed) {
                continue;
            }
            hits.push(Hit {
                range: secret,
                kind: &rule.kind,
            });
        }
    }
    hits
}

/// `range` without the line breaks at its ends.
fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let part = &text[range.clone()];
    let start = range.start + (part.len() - part.trim_start_matches('\n').len());
    let end = range.end - (part.len() - part.trim_end_matches('\n').len());
    start..end.max(start)
}

/// The line(s) holding `range`.
fn line_of(text: &str, range: Range<usize>) -> &str {
    let start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    &text[start..end]
}

/// The loaded rules, for the tests of the rule set as a whole.
/// Shannon entropy in bits per character, as gitleaks computes it for its `entropy` gates.
pub(crate) fn shannon_entropy(value: &str) -> f64 {
    let mut counts = std::collections::HashMap::<char, u32>::new();
    let mut total = 0u32;
    for c in value.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    let total = f64::from(total.max(1));
    counts
        .values()
        .map(|&n| {
            let p = f64::from(n) / total;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
pub(super) fn rules() -> &'static [Rule] {
    &RULES.rules
}

#[cfg(test)]
mod tests;
