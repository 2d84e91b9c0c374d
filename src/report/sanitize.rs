//! One sanitising function per output sink, for every string a server (or a snapshot file)
//! supplied: model names, versions, descriptions, tags, params, metric keys, messages, error
//! texts, URLs. Each reporter passes such text through the function of its sink and adds its
//! own markup (ANSI colours, workflow-command syntax, Markdown tables) only afterwards, so
//! nothing a server sends can act as markup: an `ESC [2K` cannot erase mlgate's FAIL line, a
//! newline cannot start a `::command`, `<script>` or a `javascript:` link cannot reach a
//! rendered report, and a U+202E cannot reorder what a reviewer reads.
//!
//! Nothing is dropped silently where a human may need it: control and invisible characters are
//! shown escaped (`\x1b`, `\u{202e}`), so a reviewer sees that something odd was there. JSON
//! and SARIF need nothing here (serde_json escapes controls); XML uses `junit::clean`,
//! which calls [`visible`] for the same reason. Mermaid labels are the exception: a Mermaid
//! string cannot escape anything, so [`mermaid_label`] replaces what it cannot carry.

/// Whether `c` is a character a terminal or renderer may act on rather than show: C0 and C1
/// controls and DEL.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// Whether `c` is an invisible formatting character that changes how text around it is
/// displayed or hides text: bidi embeddings, overrides and isolates (the "Trojan Source"
/// characters, CVE-2021-42574), zero-width characters, word joiners, the BOM, the Arabic
/// letter mark, the soft hyphen, the Mongolian vowel separator and interlinear annotations.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{206a}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// Whether a character is shown escaped by every sink.
pub fn is_hidden(c: char) -> bool {
    is_control(c) || is_invisible(c)
}

/// Appends the visible spelling of a control or invisible character: `\x1b` for one byte
/// (C0, DEL, C1), `\u{202e}` above.
fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write;
    let code = u32::from(c);
    let _ = if code <= 0xff {
        write!(out, "\\x{code:02x}")
    } else {
        write!(out, "\\u{{{code:04x}}}")
    };
}

/// `text` with every control and invisible character except those `keep` accepts shown
/// escaped.
fn escape_hidden(text: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) && !keep(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Text with every control and invisible character shown escaped, line breaks included.
pub fn visible(text: &str) -> String {
    escape_hidden(text, |_| false)
}

/// Text for one terminal line: line breaks as ` ⏎ ` (a break could start a line of its own,
/// and in a CI log a `::command`), tabs as a space, every other control (ESC, CSI, BEL, OSC
/// terminators, NUL) and invisible character shown escaped.
pub fn terminal(text: &str) -> String {
    let folded = text
        .replace("\r\n", " ⏎ ")
        .replace(['\n', '\r'], " ⏎ ")
        .replace('\t', " ");
    visible(&folded)
}

/// Text of several lines for a terminal or a CI log, each line as [`terminal`] shows it and
/// every line after the first indented by two spaces (a continuation, as rustc and cargo
/// indent theirs). For mlgate's own multi-line text only: its line breaks are kept, so text
/// from outside must reach it already one line (through [`terminal`]).
pub fn terminal_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push_str("\n  ");
        }
        out.push_str(&terminal(if i > 0 { line.trim_start() } else { line }));
    }
    inert_lines(&out)
}

/// `text` with no line the GitHub runner would read as a workflow command: the runner takes
/// any log line that starts with `::` after its leading whitespace (actions/runner
/// `ActionCommand.TryParseV2` trims it), so the first `:` of such a line is shown escaped,
/// `\x3a`, like a control. The last guard for text whose parts cannot all be sanitised
/// before they are put together (clap's own messages quote the arguments as given).
pub fn inert_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches([' ', '\t']);
        if body.starts_with("::") {
            out.push_str(&line[..line.len() - body.len()]);
            out.push_str("\\x3a");
            out.push_str(&body[1..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// A GitHub workflow-command message (the part after `::`): controls other than line breaks
/// shown escaped, then GitHub's own escapes — `%` as `%25`, CR as `%0D`, LF as `%0A` — which
/// the runner turns back into a multi-line annotation. See "Workflow commands for GitHub
/// Actions" (escaping data) and actions/toolkit `escapeData`.
pub fn github_data(text: &str) -> String {
    escape_hidden(text, |c| matches!(c, '\r' | '\n'))
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A GitHub workflow-command property value (`file=`, `title=`): as [`github_data`], and `:`
/// and `,` as `%3A` / `%2C`, which would otherwise end the value (actions/toolkit
/// `escapeProperty`).
pub fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Text for Markdown — a table cell, a paragraph, a heading — that renders as the same text
/// and never as markup that matters: HTML's `<`, `>` and `&` as entities (no tags, no
/// entity-encoded smuggling), `\`, `` ` ``, `[`, `]` and `|` backslash-escaped (no code span
/// breaking out, no link or image of any scheme, no table cell break), line breaks as
/// `<br/>` (a cell stays one row), controls and invisible characters shown escaped.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br/>");
            }
            '\n' => out.push_str("<br/>"),
            c if is_hidden(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text as an inline code span: the fence is one backtick longer than any run inside, so the
/// text cannot close it; inside a code span Markdown shows HTML as text, so only line breaks
/// (folded to a space), `|` (still a cell break in GitHub tables) and hidden characters need
/// care.
pub fn markdown_code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let inner = visible(&text.replace("\r\n", " ").replace(['\n', '\r'], " ")).replace('|', "\\|");
    let longest = longest_run(&inner, '`');
    let fence = "`".repeat(longest + 1);
    // A space on each side when the text starts or ends with a backtick (CommonMark strips one).
    let pad = if inner.starts_with('`') || inner.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{inner}{pad}{fence}")
}

/// A fence for a code block holding `text`: three backticks, or one more than the longest
/// run of backticks in it, so no line of the text can close the block.
pub fn code_fence(text: &str) -> String {
    "`".repeat((longest_run(text, '`') + 1).max(3))
}

fn longest_run(text: &str, of: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == of { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A Markdown link to `url` labelled `label`, when the URL is safe to follow: an `http`,
/// `https` or `mailto` scheme and no control or invisible character; the characters that
/// could end the destination are percent-encoded. Any other URL (`javascript:`, `data:`,
/// `vbscript:`, relative) is shown as text after the label, never as a link.
pub fn markdown_link(label: &str, url: &str) -> String {
    let scheme = url
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    let safe = matches!(scheme.as_str(), "http" | "https" | "mailto")
        && !url.chars().any(|c| is_hidden(c) || c.is_whitespace());
    if !safe {
        return format!("{}: {}", markdown(label), markdown(url));
    }
    let mut destination = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '(' => destination.push_str("%28"),
            ')' => destination.push_str("%29"),
            '<' => destination.push_str("%3C"),
            '>' => destination.push_str("%3E"),
            '"' => destination.push_str("%22"),
            '\'' => destination.push_str("%27"),
            '\\' => destination.push_str("%5C"),
            '`' => destination.push_str("%60"),
            '|' => destination.push_str("%7C"),
            '[' => destination.push_str("%5B"),
            ']' => destination.push_str("%5D"),
            c => destination.push(c),
        }
    }
    format!("[{}]({destination})", markdown(label))
}

/// The most characters of one Mermaid label; longer ones end in `…`.
const MERMAID_LABEL_CHARS: usize = 40;

/// Text for a quoted Mermaid label (`x-axis ["…", "…"]` of an `xychart-beta`). A Mermaid
/// string has no escapes: `"` ends it; `%%{…}%%` anywhere is a directive (it can change the
/// diagram's configuration) and `%%` at a line start a comment; `#…;` is an entity; a backtick
/// run could close the Markdown fence around the diagram. So the label keeps letters, digits
/// and a few harmless marks, turns quotes and backticks into `'`, brackets and braces into
/// parentheses and whitespace into one space, never holds two `%` in a row, and shows `_` for
/// anything else (markup, controls, invisible characters). Lossy by design: the chart is a
/// picture of the table beside it, where the name is shown exactly.
pub fn mermaid_label(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let mapped = match c {
            '"' | '`' => '\'',
            '[' | '{' => '(',
            ']' | '}' => ')',
            c if c.is_whitespace() => ' ',
            '%' if out.ends_with('%') => '_',
            c if c.is_alphanumeric() && !is_hidden(c) => c,
            '_' | '-' | '.' | '/' | ':' | '(' | ')' | '+' | '=' | '@' | ',' | '\'' | '*' | '%' => c,
            _ => '_',
        };
        if mapped == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(mapped);
    }
    let trimmed = out.trim_end();
    if trimmed.is_empty() {
        return "_".to_string();
    }
    if trimmed.chars().count() > MERMAID_LABEL_CHARS {
        let mut cut: String = trimmed.chars().take(MERMAID_LABEL_CHARS - 1).collect();
        cut.push('…');
        return cut;
    }
    trimmed.to_string()
}

/// JSON text (serde_json output) with the characters serde_json leaves raw — DEL, C1 controls
/// (`\u{9b}` is CSI to some terminals) and invisible ones — written as `\uXXXX` escapes:
/// still the same JSON value, but a file shown with `cat` or in a code block can no longer
/// be steered or reordered by a server string. serde_json escapes C0 controls inside strings,
/// so a raw CR, LF or tab is the pretty-printer's whitespace and stays.
pub fn json(json: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if is_hidden(c) && !matches!(c, '\n' | '\r' | '\t') {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Strings rich in what hurts: controls, escapes, bidi and zero-width characters, Markdown
    /// and HTML syntax, GitHub's own escape characters, mixed with arbitrary Unicode.
    pub(crate) fn hostile() -> impl Strategy<Value = String> {
        let special = prop::sample::select(vec![
            '\u{1b}', '\u{7}', '\0', '\r', '\n', '\t', '\u{9b}', '\u{7f}', '\u{85}', '\u{202e}',
            '\u{2066}', '\u{200b}', '\u{feff}', '<', '>', '&', '|', '\\', '`', '[', ']', '(', ')',
            '%', ':', ',', '*', '_', '#', '!',
        ]);
        let c = prop_oneof![special, any::<char>(), prop::char::range('a', 'z')];
        prop::collection::vec(c, 0..64).prop_map(|v| v.into_iter().collect())
    }

    /// Characters no sink changes: they must all come through, in order (a human can still
    /// read the text).
    fn plain(c: char) -> bool {
        c.is_alphanumeric() && !is_hidden(c)
    }

    fn keeps_plain_in_order(input: &str, output: &str) -> bool {
        let mut rest = output.chars();
        input
            .chars()
            .filter(|c| plain(*c))
            .all(|c| rest.by_ref().any(|o| o == c))
    }

    /// `special` only backslash-escaped, with that backslash not itself escaped.
    fn no_bare(text: &str, special: char) -> bool {
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                c if c == special => return false,
                _ => {}
            }
        }
        true
    }

    proptest! {
        #[test]
        fn terminal_text_is_one_inert_line(s in hostile()) {
            let out = terminal(&s);
            prop_assert!(!out.chars().any(is_hidden), "{out:?}");
            prop_assert!(keeps_plain_in_order(&s, &out));
        }

        #[test]
        fn no_line_starts_a_workflow_command(s in hostile()) {
            for out in [inert_lines(&s), terminal_lines(&s)] {
                prop_assert!(
                    !out.lines().any(|l| l.trim_start().starts_with("::")),
                    "{out:?}"
                );
            }
            let out = terminal_lines(&s);
            prop_assert!(!out.chars().any(|c| is_hidden(c) && c != '\n'), "{out:?}");
            prop_assert!(out.lines().skip(1).all(|l| l.starts_with("  ")), "{out:?}");
        }

        #[test]
        fn github_messages_carry_no_controls_or_breaks(s in hostile()) {
            let data = github_data(&s);
            prop_assert!(!data.chars().any(is_hidden), "{data:?}");
            let property = github_property(&s);
            prop_assert!(!property.chars().any(|c| is_hidden(c) || c == ':' || c == ','));
            // What the runner unescapes keeps the text.
            let shown = property
                .replace("%3A", ":")
                .replace("%2C", ",")
                .replace("%0A", "\n")
                .replace("%0D", "\r")
                .replace("%25", "%");
            prop_assert!(keeps_plain_in_order(&s, &shown));
        }

        #[test]
        fn markdown_cells_never_break_or_carry_html(s in hostile()) {
            let out = markdown(&s);
            prop_assert!(!out.contains(['\n', '\r']));
            for special in ['|', '[', ']', '`'] {
                prop_assert!(no_bare(&out, special), "{out:?}");
            }
            prop_assert!(!out.replace("<br/>", "").contains('<'), "{out:?}");
            prop_assert!(!out.chars().any(is_hidden));
            prop_assert!(keeps_plain_in_order(&s, &out));
        }

        #[test]
        fn code_spans_stay_closed(s in hostile()) {
            let out = markdown_code(&s);
            prop_assume!(!s.is_empty());
            let fence = out.chars().take_while(|c| *c == '`').count();
            let inner = &out[fence..out.len() - fence];
            prop_assert!(longest_run(inner, '`') < fence);
            prop_assert!(!inner.contains(['\n', '\r']));
            prop_assert_eq!(inner.matches('|').count(), inner.matches("\\|").count());
            prop_assert!(!inner.chars().any(is_hidden));
            prop_assert!(keeps_plain_in_order(&s, inner));
        }

        #[test]
        fn links_are_safe_or_text(label in hostile(), url in hostile()) {
            let out = markdown_link(&label, &url);
            prop_assert!(!out.contains(['\n', '\r']));
            prop_assert!(!out.replace("<br/>", "").contains('<'));
            prop_assert!(!out.chars().any(is_hidden));
            // A link needs an unescaped `](`: `\](` is text (the escape keeps `[`/`]` literal).
            let opening = out.strip_suffix(')').and_then(|o| {
                o.match_indices("](")
                    .filter(|(i, _)| !o[..*i].ends_with('\\'))
                    .last()
                    .map(|(i, _)| &o[i + 2..])
            });
            if let Some(destination) = opening {
                let scheme = destination.split(':').next().unwrap_or_default().to_ascii_lowercase();
                prop_assert!(["http", "https", "mailto"].contains(&scheme.as_str()), "{out:?}");
            }
        }

        #[test]
        fn mermaid_labels_stay_inside_their_quotes(s in hostile()) {
            let out = mermaid_label(&s);
            prop_assert!(!out.is_empty());
            prop_assert!(out.chars().count() <= MERMAID_LABEL_CHARS);
            prop_assert!(
                !out.contains(['"', '`', '[', ']', '{', '}', ';', '#', '<', '>', '&', '\\', '\n', '\r']),
                "{out:?}"
            );
            prop_assert!(!out.contains("%%"), "{out:?}");
            prop_assert!(!out.chars().any(is_hidden));
        }

        #[test]
        fn json_stays_the_same_value(s in hostile()) {
            let text = serde_json::to_string(&s).unwrap_or_default();
            let out = json(&text);
            prop_assert!(!out.chars().any(is_hidden));
            let back: String = serde_json::from_str(&out).unwrap_or_default();
            prop_assert_eq!(back, s);
        }
    }

    #[test]
    fn an_escaped_bracket_opens_no_link() {
        // Found by `links_are_safe_or_text`: `\](` is literal text, not a link destination.
        assert_eq!(markdown_link("](", ")"), "\\](: )");
    }

    #[test]
    fn examples() {
        assert_eq!(terminal("\u{1b}[2K\u{1b}[1GPASS"), "\\x1b[2K\\x1b[1GPASS");
        assert_eq!(terminal("a\nb\u{202e}"), "a ⏎ b\\u{202e}");
        assert_eq!(github_data("50%\nnext\u{7}"), "50%25%0Anext\\x07");
        assert_eq!(
            terminal_lines("one\u{1b}[2K\n    two\n::error::x"),
            "one\\x1b[2K\n  two\n  \\x3a:error::x"
        );
        assert_eq!(inert_lines("a\n ::b\n::"), "a\n \\x3a:b\n\\x3a:");
        assert_eq!(github_property("a: b, c"), "a%3A b%2C c");
        assert_eq!(
            markdown("<script>alert(1)</script> [x](javascript:alert(1)) a|b\nc"),
            "&lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](javascript:alert(1)) a\\|b<br/>c"
        );
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`"), "`` ` ``");
        assert_eq!(
            markdown_link("run", "https://h/#/x (y)"),
            "run: https://h/#/x (y)"
        );
        assert_eq!(
            markdown_link("run", "https://h/#/x(y)"),
            "[run](https://h/#/x%28y%29)"
        );
        assert_eq!(
            markdown_link("run", "javascript:alert(1)"),
            "run: javascript:alert(1)"
        );
        assert_eq!(json("\"a\u{202e}\""), "\"a\\u202e\"");
        assert_eq!(
            mermaid_label("auc \"]\n%%{init: x}%% `rm` <b>#quot;"),
            "auc ') %_(init: x)%_ 'rm' _b__quot_"
        );
        assert_eq!(mermaid_label("précision@5"), "précision@5");
        assert_eq!(mermaid_label("\u{202e}\n"), "_");
        assert_eq!(mermaid_label(&"a".repeat(50)).chars().count(), 40);
    }
}
