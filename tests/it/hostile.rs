//! Hostile input (issue 10): server strings that try to act on whoever reads the outputs — a
//! terminal, a GitHub log, a rendered Markdown report — are shown, never obeyed.

use super::{mlgate, patched_fixture};

/// Erases the line and returns to column 1, then prints PASS: on a terminal that obeys it the
/// FAIL line would read "PASS".
const NAME: &str = "\u{1b}[2K\u{1b}[1GPASS";
const DESCRIPTION: &str =
    "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(1))";
/// RIGHT-TO-LEFT OVERRIDE: reverses what follows it on screen.
const TAG: &str = "safe\u{202e}lmth.exe";

fn bytes_of(path: &std::path::Path) -> String {
    String::from_utf8(std::fs::read(path).expect("output written")).expect("UTF-8")
}

#[test]
fn hostile_names_descriptions_and_tags_render_harmlessly() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), "examples/dolly3b.snapshot.json", |s| {
        s["target"]["name"] = NAME.into();
        s["registered_model"]["name"] = NAME.into();
        s["model_version"]["name"] = NAME.into();
        s["registered_model"]["description"] = DESCRIPTION.into();
        s["model_version"]["description"] = format!("line one\n::error::forged\u{7}\0").into();
        s["model_version"]["tags"]["reviewed"] = TAG.into();
        s["run"]["tags"]["note|pipe"] = "a|b\nc".into();
    });
    let out = |name: &str| dir.path().join(name);
    let assert = mlgate()
        .args(["check", "--snapshot"])
        .arg(&snapshot)
        .arg("--report")
        .arg(out("report.md"))
        .arg("--junit")
        .arg(out("junit.xml"))
        .arg("--json")
        .arg(out("results.json"))
        .arg("--sarif")
        .arg(out("results.sarif"))
        .arg("--github")
        .env("GITHUB_STEP_SUMMARY", out("summary.md"))
        .env("GITHUB_OUTPUT", out("outputs"))
        .assert()
        .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        // No escape, BEL or NUL reaches the terminal or the GitHub log; no bidi override.
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\0', '\u{202e}', '\u{9b}']),
            "{what}: {text:?}"
        );
    }
    // The terminal line still says FAIL, and shows the name's escapes for what they are.
    let fail_line = stdout
        .lines()
        .find(|l| !l.starts_with("::") && l.contains("users-group-can-manage"))
        .expect("the finding on the terminal");
    assert!(fail_line.trim_start().starts_with("FAIL"), "{fail_line}");
    assert!(stdout.contains("\\x1b[2K\\x1b[1GPASS"), "{stdout}");
    // Annotations: one line each, nothing forged.
    assert!(!stdout.lines().any(|l| l.starts_with("::error::forged")));
    assert!(stdout.contains("::error file="), "{stdout}");

    for file in ["report.md", "summary.md"] {
        let md = bytes_of(&out(file));
        assert!(
            !md.contains(['\u{1b}', '\u{7}', '\0', '\u{202e}']),
            "{file}: {md:?}"
        );
        // Shown, `[` escaped as Markdown text.
        assert!(md.contains(r"\x1b\[2K\x1b\[1GPASS"), "{file}: {md}");
        assert!(!md.contains("<script") && !md.contains("<img"), "{file}");
        // No link to a javascript: URL: every `]` before one is escaped.
        assert!(!md.replace("\\]", "").contains("](javascript:"), "{file}");
    }
    let report = bytes_of(&out("report.md"));
    assert!(report.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(report.contains("\\[x\\](javascript:alert(1))"));
    assert!(report.contains("safe\\u{202e}lmth.exe"), "{report}");
    // A `|` or a line break in a cell does not make a new cell or row.
    assert!(report.contains("|note\\|pipe|a\\|b<br/>c|"), "{report}");

    // XML and JSON carry the text, escaped their own way, and no raw control character.
    for file in ["junit.xml", "results.json", "results.sarif"] {
        let text = bytes_of(&out(file));
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\0', '\u{202e}']),
            "{file}: {text:?}"
        );
    }
    roxmltree::Document::parse(&bytes_of(&out("junit.xml"))).expect("well-formed JUnit");
}
