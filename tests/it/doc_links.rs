//! Every relative link in the README and `docs/` resolves: the file exists, and an `#anchor`
//! (on the same page or `page.md#anchor`) names a heading of its target as GitHub anchors it.
//! Pages move and headings get reworded; a link that silently lands on the top of a page, or
//! on GitHub's 404, is what this keeps from shipping. The checker is a pure function over the
//! texts, so its unit tests prove it catches each kind of break.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use crate::markdown::{blocks, documents, shown};
use crate::repo_path;

/// GitHub's anchor for a heading text: lowercase, punctuation dropped but for `-` and `_`
/// (backticks and other markup included), each space a `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines of a Markdown text outside fenced blocks, with their 1-based numbers.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let fenced: BTreeSet<usize> = blocks(text)
        .iter()
        .flat_map(|b| (b.line - 1)..=(b.line + b.body.lines().count()))
        .collect();
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(n, _)| !fenced.contains(n))
        .collect()
}

/// The anchors a page offers: its headings' slugs (a repeated one gets `-1`, `-2`, … as on
/// GitHub) and any explicit `<a id="…">` / `<a name="…">`.
fn anchors(text: &str) -> BTreeSet<String> {
    let heading = Regex::new(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$").unwrap();
    let html = Regex::new(r#"<a\s+(?:id|name)="([^"]+)""#).unwrap();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (_, line) in prose(text) {
        if let Some(c) = heading.captures(line) {
            let base = slug(&c[1]);
            let n = seen.entry(base.clone()).or_insert(0);
            out.insert(if *n == 0 { base } else { format!("{base}-{n}") });
            *n += 1;
        }
        out.extend(html.captures_iter(line).map(|c| c[1].to_string()));
    }
    out
}

/// `dir/target` with `.` and `..` resolved, `/`-separated, relative to the repository root.
fn join(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// Every broken relative link in `pages` (path from the repository root → text), as
/// `file:line: problem`. `exists` answers for files that are not among the pages.
fn problems(pages: &BTreeMap<String, String>, exists: &dyn Fn(&str) -> bool) -> Vec<String> {
    let code_span = Regex::new(r"`+[^`]*`+").unwrap();
    let inline = Regex::new(r#"\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)"#).unwrap();
    let reference = Regex::new(r"^\s*\[[^\]]+\]:\s*(\S+)").unwrap();
    let anchors: BTreeMap<&String, BTreeSet<String>> =
        pages.iter().map(|(p, t)| (p, anchors(t))).collect();
    let mut out = Vec::new();
    for (page, text) in pages {
        let dir = page.rsplit_once('/').map_or("", |(d, _)| d);
        for (n, line) in prose(text) {
            let line = code_span.replace_all(line, "");
            let targets = inline
                .captures_iter(&line)
                .chain(reference.captures_iter(&line))
                .map(|c| c[1].to_string());
            for target in targets {
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
                let file = if file.is_empty() {
                    page.clone()
                } else {
                    join(dir, file)
                };
                let known = anchors.get(&file);
                if known.is_none() && !exists(&file) {
                    out.push(format!("{page}:{n}: `{target}`: no file {file}"));
                } else if !anchor.is_empty() {
                    match known {
                        Some(names) if names.contains(anchor) => {}
                        Some(_) => out.push(format!(
                            "{page}:{n}: `{target}`: {file} has no heading with anchor #{anchor}"
                        )),
                        None => out.push(format!(
                            "{page}:{n}: `{target}`: an anchor into {file}, which is not a Markdown page"
                        )),
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let pages: BTreeMap<String, String> = documents()
        .iter()
        .map(|p| (shown(p), std::fs::read_to_string(p).unwrap()))
        .collect();
    assert!(pages.len() > 10, "the README and docs/ pages: {pages:?}");
    let broken = problems(&pages, &|file| repo_path(file).exists());
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The README is the front door: a page under `docs/` it does not link is a page nobody finds.
#[test]
fn the_readme_links_every_docs_page() {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let unlinked: Vec<String> = documents()
        .iter()
        .map(|p| shown(p))
        .filter(|page| page.starts_with("docs/") && !readme.contains(&format!("]({page})")))
        .collect();
    assert!(unlinked.is_empty(), "the README links no {unlinked:?}");
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug("Promotion: `mlgate promote`"),
        "promotion-mlgate-promote"
    );
    assert_eq!(
        slug("A whole registry: `check --all-models`"),
        "a-whole-registry-check---all-models"
    );
    assert_eq!(slug("GitLab CI and Jenkins"), "gitlab-ci-and-jenkins");
    assert_eq!(slug("`usage::bad-stage`"), "usagebad-stage");
    assert_eq!(slug("snake_case, (x) & y!"), "snake_case-x--y");
    let page = "# Title\n## Same\n```md\n## Not a heading\n```\n## Same\n";
    let names: Vec<String> = anchors(page).into_iter().collect();
    assert_eq!(names, ["same", "same-1", "title"]);
}

#[test]
fn broken_links_are_caught_with_their_line() {
    let pages: BTreeMap<String, String> = [
        (
            "README.md".to_string(),
            "# Top\n\nSee [a](docs/a.md#there), [b](docs/a.md#gone), [c](docs/missing.md),\n\
             [d](#top), [e](#nowhere), [f](LICENSE#x), [g](https://example.com/#y),\n\
             `[h](ignored.md)`\n\n```md\n[i](in-a-block.md)\n```\n[j]: docs/gone.md\n"
                .to_string(),
        ),
        (
            "docs/a.md".to_string(),
            "# There\n\n[back](../README.md#top) [up](../README.md#bottom) [img](img/x.png)\n"
                .to_string(),
        ),
    ]
    .into_iter()
    .collect();
    let found = problems(&pages, &|file| file == "LICENSE");
    assert_eq!(
        found,
        [
            "README.md:3: `docs/a.md#gone`: docs/a.md has no heading with anchor #gone",
            "README.md:3: `docs/missing.md`: no file docs/missing.md",
            "README.md:4: `#nowhere`: README.md has no heading with anchor #nowhere",
            "README.md:4: `LICENSE#x`: an anchor into LICENSE, which is not a Markdown page",
            "README.md:10: `docs/gone.md`: no file docs/gone.md",
            "docs/a.md:3: `../README.md#bottom`: README.md has no heading with anchor #bottom",
            "docs/a.md:3: `img/x.png`: no file docs/img/x.png",
        ]
    );
}
