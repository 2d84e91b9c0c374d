//! Every shell snippet in the README and `docs/` is real: each ```sh / ```bash / ```shell block
//! (and the `$ ` lines of a ```console block) is valid bash (`bash -n`), and every `mlgate …`
//! command in it parses with mlgate's own clap definition, so a renamed flag or subcommand
//! fails here rather than in a reader's terminal. Words are split as the shell would (quotes,
//! backslashes, `\` continuations), stopping at pipes, redirections, `&&`, `;` and comments;
//! `$VAR` and `$(…)` stay as literal text, which clap takes as any other value. One-line
//! mlgate commands in YAML (a workflow's `run:`, a GitLab `script:` item) are parsed too.

use std::path::Path;

use clap::error::ErrorKind;

use crate::markdown::{blocks, documents, shown};

const SHELL_LANGS: [&str; 4] = ["sh", "bash", "shell", "console"];

/// A shell token: a word, or an operator that ends a simple command's arguments.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Op(String),
}

/// Splits a command line as the shell reads it, far enough to find mlgate's arguments:
/// quotes and backslashes are undone, `|`, `&`, `;`, `<`, `>` (and a redirection's fd digit)
/// are operators, and an unquoted `#` starting a word begins a comment.
fn shell_words(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let mut chars = line.chars().peekable();
    let flush = |word: &mut String, started: &mut bool, tokens: &mut Vec<Token>| {
        if *started {
            tokens.push(Token::Word(std::mem::take(word)));
            *started = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                started = true;
                word.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                started = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            word.extend(chars.next());
                        }
                        _ => word.push(c),
                    }
                }
            }
            '\\' => {
                started = true;
                word.extend(chars.next());
            }
            '#' if !started => break,
            c if c.is_whitespace() => flush(&mut word, &mut started, &mut tokens),
            '|' | '&' | ';' | '<' | '>' => {
                // `2>` is one redirection, not the word `2` and an operator.
                if started && word.chars().all(|d| d.is_ascii_digit()) && matches!(c, '<' | '>') {
                    word.clear();
                    started = false;
                }
                flush(&mut word, &mut started, &mut tokens);
                let mut op = c.to_string();
                while let Some(&next) = chars.peek() {
                    if matches!(next, '|' | '&' | '>') {
                        op.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Op(op));
            }
            _ => {
                started = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut started, &mut tokens);
    tokens
}

/// The script a block holds: the block itself, or a console block's `$ ` lines (each kept on
/// its own line number, so failures point at the doc). Lines are joined over `\` ends, each
/// logical line tagged with the block line it starts on.
fn logical_lines(lang: &str, body: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in body.lines().enumerate() {
        let line = if lang == "console" {
            match raw.strip_prefix("$ ") {
                Some(command) => command,
                None if pending.is_some() => raw,
                None => continue,
            }
        } else {
            raw
        };
        let (start, mut text) = pending.take().unwrap_or((i, String::new()));
        if let Some(head) = line.strip_suffix('\\') {
            text.push_str(head);
            text.push(' ');
            pending = Some((start, text));
        } else {
            text.push_str(line);
            out.push((start, text));
        }
    }
    out.extend(pending);
    out
}

/// The argument vectors of the mlgate commands on a line: each simple command whose first
/// word (after `VAR=value` assignments) is `mlgate` or a path ending in `/mlgate`, or a
/// `cargo run … -- ARGS`, which runs mlgate with ARGS.
fn mlgate_commands(line: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut in_redirect = false;
    let mut finish = |words: &mut Vec<String>| {
        let words: Vec<String> = std::mem::take(words)
            .into_iter()
            .skip_while(|w| w.split_once('=').is_some_and(|(k, _)| is_name(k)))
            .collect();
        match words.first().map(String::as_str) {
            Some(w) if w == "mlgate" || w.ends_with("/mlgate") => commands.push(words),
            Some("cargo") if words.get(1).is_some_and(|w| w == "run") => {
                if let Some(dash) = words.iter().position(|w| w == "--") {
                    let mut argv = vec!["mlgate".to_string()];
                    argv.extend(words[dash + 1..].iter().cloned());
                    commands.push(argv);
                }
            }
            _ => {}
        }
    };
    for token in shell_words(line) {
        match token {
            Token::Op(op) if op.contains('>') || op.contains('<') => in_redirect = true,
            Token::Op(_) => {
                finish(&mut current);
                in_redirect = false;
            }
            // A redirection's target is not an argument; the words after it still are.
            Token::Word(_) if in_redirect => in_redirect = false,
            Token::Word(w) => current.push(w),
        }
    }
    finish(&mut current);
    commands
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What is wrong with one block: bash's syntax complaint, and each mlgate command clap
/// refuses, as `file:line: …`.
fn block_problems(doc: &str, lang: &str, line: usize, body: &str, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let lines = logical_lines(lang, body);
    let script: String = if lang == "console" {
        lines.iter().flat_map(|(_, l)| [l.as_str(), "\n"]).collect()
    } else {
        body.to_string()
    };
    let file = dir.join(format!("block-{line}.sh"));
    std::fs::write(&file, script).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("bash runs");
    if !syntax.status.success() {
        out.push(format!(
            "{doc}:{line}: bash -n: {}",
            String::from_utf8_lossy(&syntax.stderr).trim()
        ));
    }
    for (offset, logical) in &lines {
        for argv in mlgate_commands(logical) {
            let parsed = <mlgate::cli::Cli as clap::Parser>::try_parse_from(&argv);
            if let Err(e) = parsed {
                if !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                    let first = e.to_string();
                    let first = first.lines().next().unwrap_or_default();
                    out.push(format!("{doc}:{}: {argv:?}: {first}", line + offset));
                }
            }
        }
    }
    out
}

/// The one-line mlgate commands of a YAML block (`run: mlgate …`, `- mlgate …`), with the
/// block line each is on.
fn yaml_commands(body: &str) -> Vec<(usize, String)> {
    body.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.trim_start();
            let line = line.strip_prefix("- ").unwrap_or(line);
            let line = line.strip_prefix("run: ").unwrap_or(line);
            line.starts_with("mlgate ").then(|| (i, line.to_string()))
        })
        .collect()
}

#[test]
fn every_yaml_mlgate_command_parses() {
    let mut problems = Vec::new();
    let mut commands = 0;
    for path in documents() {
        let text = std::fs::read_to_string(&path).unwrap();
        for block in blocks(&text) {
            if !matches!(block.lang.as_str(), "yaml" | "yml") {
                continue;
            }
            for (offset, line) in yaml_commands(&block.body) {
                for argv in mlgate_commands(&line) {
                    commands += 1;
                    if let Err(e) = <mlgate::cli::Cli as clap::Parser>::try_parse_from(&argv) {
                        let first = e.to_string();
                        let first = first.lines().next().unwrap_or_default().to_string();
                        let at = format!("{}:{}", shown(&path), block.line + offset);
                        problems.push(format!("{at}: {argv:?}: {first}"));
                    }
                }
            }
        }
    }
    assert!(
        commands >= 2,
        "found only {commands} mlgate commands in YAML"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_shell_snippet_is_bash_and_its_mlgate_commands_parse() {
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let mut commands = 0;
    for path in documents() {
        let text = std::fs::read_to_string(&path).unwrap();
        for block in blocks(&text) {
            if !SHELL_LANGS.contains(&block.lang.as_str()) {
                continue;
            }
            commands += logical_lines(&block.lang, &block.body)
                .iter()
                .map(|(_, l)| mlgate_commands(l).len())
                .sum::<usize>();
            let doc = shown(&path);
            problems.extend(block_problems(
                &doc,
                &block.lang,
                block.line,
                &block.body,
                dir.path(),
            ));
        }
    }
    // The README's tour alone has a dozen; far fewer means the extraction broke.
    assert!(commands >= 15, "found only {commands} mlgate commands");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn words_split_as_the_shell_splits_them() {
    let words = |line: &str| -> Vec<Vec<String>> { mlgate_commands(line) };
    assert_eq!(
        words(r#"A=1 mlgate check "models:/a b/1" --filter 'name LIKE "x%"' > out # note"#),
        [[
            "mlgate",
            "check",
            "models:/a b/1",
            "--filter",
            "name LIKE \"x%\""
        ]]
    );
    assert_eq!(
        words("mlgate rules | head -1 && ./bin/mlgate --version 2>/dev/null; echo mlgate"),
        [vec!["mlgate", "rules"], vec!["./bin/mlgate", "--version"]]
    );
    assert_eq!(
        words(r"cargo run --release -- check --example --report a\ b.md"),
        [["mlgate", "check", "--example", "--report", "a b.md"]]
    );
    assert_eq!(
        logical_lines("console", "$ mlgate check \\\n  --example\noutput\n$ ls\n"),
        [
            (0, "mlgate check    --example".to_string()),
            (3, "ls".to_string())
        ]
    );
}

#[test]
fn a_broken_snippet_names_its_line_and_clap_error() {
    let dir = tempfile::tempdir().unwrap();
    let body = "mlgate check --example\nmlgate check --no-such-flag\nif then\n";
    let found = block_problems("docs/x.md", "bash", 10, body, dir.path());
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("docs/x.md:10: bash -n:"), "{found:?}");
    assert!(
        found[1].starts_with("docs/x.md:11: [\"mlgate\", \"check\", \"--no-such-flag\"]:")
            && found[1].contains("--no-such-flag"),
        "{found:?}"
    );
    assert!(block_problems("d.md", "bash", 1, "mlgate --help\n", dir.path()).is_empty());
}
