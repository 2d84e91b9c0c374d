//! The documentation as the doc tests read it: the README and every page under `docs/`, their
//! fenced code blocks with the line each starts on, and their headings as GitHub anchors them.
//! Shared by the tests that run what the docs show (`doc_snippets`, `doc_shell`, `readme`,
//! `ci_snippets`) and by `doc_links`, so a snippet moved between pages stays tested.

use std::path::PathBuf;

use crate::repo_path;

/// The README and every page under `docs/`, README first, pages sorted.
pub fn documents() -> Vec<PathBuf> {
    let mut files = vec![repo_path("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo_path("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// A document's path relative to the repository root, as failures name it.
pub fn shown(path: &std::path::Path) -> String {
    path.strip_prefix(repo_path(""))
        .unwrap_or(path)
        .display()
        .to_string()
}

/// One fenced code block.
#[derive(Debug, Clone)]
pub struct Block {
    /// The info string's first word (`toml`, `bash`, …), empty when there is none.
    pub lang: String,
    /// The 1-based line of the first line inside the fence.
    pub line: usize,
    /// The lines inside the fence, each ending in `\n`.
    pub body: String,
}

/// The fenced blocks of a Markdown text. Fences may be indented (inside a list item); the
/// closing fence must use the opening one's characters and be at least as long.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                let fence: String = trimmed
                    .chars()
                    .take_while(|&c| c == '`' || c == '~')
                    .collect();
                let one_kind = fence
                    .chars()
                    .all(|c| c == fence.chars().next().unwrap_or('`'));
                if fence.len() >= 3 && one_kind {
                    let info = trimmed[fence.len()..].trim();
                    let lang = info.split_whitespace().next().unwrap_or("").to_string();
                    let block = Block {
                        lang,
                        line: i + 2,
                        body: String::new(),
                    };
                    open = Some((fence, block));
                }
            }
            Some((fence, _))
                if trimmed.starts_with(fence.as_str())
                    && trimmed.trim_end().chars().all(|c| fence.starts_with(c)) =>
            {
                out.extend(open.take().map(|(_, b)| b));
            }
            Some((_, block)) => {
                block.body.push_str(line);
                block.body.push('\n');
            }
        }
    }
    out
}

/// Every fenced block of `lang` in the README and `docs/`, with the document it is in.
pub fn blocks_of(lang: &str) -> Vec<(PathBuf, Block)> {
    documents()
        .into_iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            blocks(&text)
                .into_iter()
                .filter(|b| b.lang == lang)
                .map(move |b| (path.clone(), b))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The one block of `lang` in the README or `docs/` whose first line is `first`.
pub fn block_starting(lang: &str, first: &str) -> String {
    let found: Vec<String> = blocks_of(lang)
        .into_iter()
        .map(|(_, b)| b.body)
        .filter(|body| body.starts_with(first))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one ```{lang} block starting `{first}` in the README and docs/"
    );
    found.into_iter().next().unwrap()
}
