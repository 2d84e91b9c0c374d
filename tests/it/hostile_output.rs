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
        s["model_version"]["description"] = "line one\n::error::forged\u{7}\0".into();
        s["model_version"]["tags"]["reviewed"] = TAG.into();
        s["run"]["tags"]["note|pipe"] = "a|b\nc".into();
        s["errors"][0]["message"] = "\u{1b}[31mred\rback\u{202e}%0A::error::forged".into();
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
        .arg("--codequality")
        .arg(out("cq.json"))
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
    assert!(
        stdout.contains("::error title=users-group-can-manage"),
        "{stdout}"
    );

    // A gather error's message is inside the gather annotation, as text.
    assert!(
        stdout.contains("\\x1b[31mred%0Dback\\u{202e}%250A::error::forged"),
        "{stdout}"
    );
    let quality = bytes_of(&out("cq.json"));
    let issues: serde_json::Value = serde_json::from_str(&quality).unwrap();
    for issue in issues.as_array().unwrap() {
        let text = issue["description"].as_str().unwrap();
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\0', '\u{202e}', '\r']),
            "{text:?}"
        );
    }

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
    crate::schemas::assert_valid_junit(&out("junit.xml"));
    crate::schemas::assert_valid_sarif(&bytes_of(&out("results.sarif")));
}

/// Credentials in the connection URL: in the userinfo and in the query string.
const CANARY_URL: &str = "http://alice:CANARY-PW@host.example/?token=CANARY-TOK";

/// Every output file of a check, and its stdout and stderr, as one text per name.
fn check_outputs(
    dir: &std::path::Path,
    args: &[&str],
    expected_code: i32,
) -> Vec<(String, String)> {
    let out = |name: &str| dir.join(name);
    let assert = mlgate()
        .args(args)
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
        .code(expected_code);
    let output = assert.get_output();
    let mut texts = vec![
        (
            "stdout".to_string(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ),
        (
            "stderr".to_string(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
    ];
    for name in [
        "report.md",
        "junit.xml",
        "results.json",
        "results.sarif",
        "summary.md",
    ] {
        texts.push((name.to_string(), bytes_of(&out(name))));
    }
    texts
}

fn assert_no_canary(texts: &[(String, String)], canaries: &[&str]) {
    for (name, text) in texts {
        for canary in canaries {
            assert!(
                !text.contains(canary),
                "{canary} leaked into {name}:\n{text}"
            );
        }
    }
}

#[test]
fn credentials_in_a_recorded_tracking_uri_reach_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), "examples/dolly3b.snapshot.json", |s| {
        s["manifest"]["tracking_uri"] = CANARY_URL.into();
        s["manifest"]["ui_url"] = CANARY_URL.into();
    });
    let snapshot = snapshot.to_str().unwrap().to_string();
    let texts = check_outputs(dir.path(), &["check", "--snapshot", &snapshot], 1);
    assert_no_canary(&texts, &["CANARY-PW", "CANARY-TOK"]);
    // The host is still said, and the links still lead there.
    let report = &texts.iter().find(|(n, _)| n == "report.md").unwrap().1;
    assert!(report.contains("http://host.example/"), "{report}");
}

#[test]
fn credentials_in_the_tracking_uri_of_a_failed_connection_reach_no_output() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("http://alice:CANARY-PW@127.0.0.1:{port}/?token=CANARY-TOK");
    let texts = check_outputs(
        dir.path(),
        &["check", "models:/m/1", "--tracking-uri", &uri],
        3,
    );
    assert_no_canary(&texts, &["CANARY-PW", "CANARY-TOK"]);
    let stderr = &texts[1].1;
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    for command in ["snapshot", "report"] {
        let file = dir.path().join(format!("{command}.out"));
        let assert = mlgate()
            .args([command, "models:/m/1", "--tracking-uri", &uri, "-o"])
            .arg(&file)
            .assert()
            .code(3);
        let output = assert.get_output();
        let texts = [
            (
                "stdout".to_string(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
            ),
            (
                "stderr".to_string(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ),
            (
                command.to_string(),
                std::fs::read_to_string(&file).unwrap_or_default(),
            ),
        ];
        assert_no_canary(&texts, &["CANARY-PW", "CANARY-TOK"]);
    }
}

/// A tracking URI that does not parse (no scheme; a password holding `@`) is still shown
/// without its userinfo, whole: not `p@` cut off and `ss` left.
#[test]
fn credentials_in_a_tracking_uri_that_does_not_parse_reach_no_output() {
    let dir = tempfile::tempdir().unwrap();
    for uri in [
        "alice:CANARY@PW@127.0.0.1:9",
        "http://alice:CANARY@PW@ho st:9/x",
    ] {
        let texts = check_outputs(
            dir.path(),
            &["check", "models:/m/1", "--tracking-uri", uri],
            3,
        );
        assert_no_canary(&texts, &["CANARY", "@PW", "alice"]);
    }
}

const DAPI: &str = "dapi0123456789abcdef0123456789abcdef";
const AWS: &str = "AKIACANARY0EXAMPLE7Q";

/// Secrets in every position a server can put them.
fn with_secrets(s: &mut serde_json::Value) {
    s["run"]["params"]["db_password"] = "CANARY-PARAM-PW".into();
    s["run"]["params"]["dsn"] = "postgresql://app:CANARY-DSN-PW@db:5432/x".into();
    s["run"]["tags"]["deploy.note"] = format!("uses {DAPI}").into();
    s["run"]["tags"]["ci.header"] = "Authorization: Bearer CANARY-BEARER-1234".into();
    s["model_version"]["tags"]["registry_token"] = "CANARY-VERSION-TOKEN".into();
    s["registered_model"]["tags"]["apiKey"] = "CANARY-API-KEY".into();
    s["registered_model"]["description"] = format!("Reads s3 with {AWS} for now.").into();
}

const SECRETS: [&str; 7] = [
    "CANARY-PARAM-PW",
    "CANARY-DSN-PW",
    DAPI,
    "CANARY-BEARER-1234",
    "CANARY-VERSION-TOKEN",
    "CANARY-API-KEY",
    AWS,
];

/// A policy whose messages quote the secret values (rules see the real values).
const QUOTING_POLICY: &str = r#"
[policy]
name = "quoting"

[[rule]]
id = "db-password-param"
title = "No database password is logged"
severity = "error"
description = "Quotes the value it judged."
select = "run.params.db_password"
check = { absent = true }
message = "run logged db_password = {value}"

[[rule]]
id = "description-has-no-aws-key"
title = "The description holds no AWS key"
severity = "error"
description = "Quotes the value it judged."
select = "registered_model.description"
check = { not_matches = "AKIA[0-9A-Z]{16}" }
message = "description is {value}"
"#;

#[test]
fn secret_values_are_redacted_in_every_output_and_rules_still_see_them() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), "examples/dolly3b.snapshot.json", with_secrets);
    let policy = dir.path().join("quoting.toml");
    std::fs::write(&policy, QUOTING_POLICY).unwrap();
    let (snapshot, policy) = (snapshot.to_str().unwrap(), policy.to_str().unwrap());
    let texts = check_outputs(
        dir.path(),
        &[
            "check",
            "--snapshot",
            snapshot,
            "--policy",
            policy,
            "--no-config",
        ],
        1,
    );
    assert_no_canary(&texts, &SECRETS);
    let results: serde_json::Value =
        serde_json::from_str(&texts.iter().find(|(n, _)| n == "results.json").unwrap().1).unwrap();
    // Both rules saw the real values and failed.
    let outcomes = crate::outcomes(&results);
    assert_eq!(outcomes["db-password-param"], "fail", "{results}");
    assert_eq!(outcomes["description-has-no-aws-key"], "fail", "{results}");
    let report = &texts.iter().find(|(n, _)| n == "report.md").unwrap().1;
    assert!(
        report.contains("\\[redacted: looks like a secret (key name \"db_password\")\\]"),
        "{report}"
    );
    assert!(report
        .contains("Reads s3 with \\[redacted: looks like a secret (AWS access key)\\] for now."));

    // --no-redact shows them.
    let raw = tempfile::tempdir().unwrap();
    let texts = check_outputs(
        raw.path(),
        &[
            "check",
            "--snapshot",
            snapshot,
            "--policy",
            policy,
            "--no-config",
            "--no-redact",
        ],
        1,
    );
    let report = &texts.iter().find(|(n, _)| n == "report.md").unwrap().1;
    let results = &texts.iter().find(|(n, _)| n == "results.json").unwrap().1;
    for secret in SECRETS {
        assert!(
            report.contains(secret),
            "{secret} not in the --no-redact report"
        );
    }
    assert!(
        results.contains("run logged db_password = CANARY-PARAM-PW"),
        "{results}"
    );
}

#[test]
fn the_saved_snapshot_is_redacted_unless_asked_not_to() {
    let mut run: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::repo_path(
            "tests/fixtures/mlflow/3.17.2/runs_get_good_v1.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let data = &mut run["run"]["data"];
    data["params"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "key": "db_password", "value": "CANARY-PARAM-PW" }));
    data["tags"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "key": "deploy.note", "value": format!("uses {DAPI}") }));
    let body = run.to_string();
    let server = crate::oss_mock::with_fault(move |r: &crate::mock_http::Request| {
        (r.path == "/api/2.0/mlflow/runs/get")
            .then(|| crate::mock_http::Response::json(200, body.clone()))
    });
    let dir = tempfile::tempdir().unwrap();
    let model = format!("models:/{}/1", crate::oss_mock::MODEL);
    for (flag, leaked) in [(None, false), (Some("--no-redact"), true)] {
        let file = dir.path().join("s.json");
        let mut cmd = mlgate();
        cmd.args(["snapshot", &model, "--tracking-uri", &server.url, "-o"])
            .arg(&file);
        if let Some(flag) = flag {
            cmd.arg(flag);
        }
        cmd.assert().success();
        let saved = std::fs::read_to_string(&file).unwrap();
        for secret in ["CANARY-PARAM-PW", DAPI] {
            assert_eq!(saved.contains(secret), leaked, "{flag:?} {secret}: {saved}");
        }
    }
}

/// Metric and param names and values that try to break out of the comparison's tables and its
/// Mermaid chart, and secrets on both sides of the comparison.
#[test]
fn the_comparison_with_the_incumbent_renders_hostile_names_harmlessly() {
    const NAMES: [&str; 6] = [
        "a|b",
        "line\nbreak",
        "<script>alert(1)</script>",
        "tick`s```",
        "%%{init: {\"theme\": \"forest\"}}%%",
        "close\"] bar [1",
    ];
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(
        dir.path(),
        "tests/fixtures/snapshots/dolly3b-promotion.snapshot.json",
        |s| {
            for (value, name) in (1..).map(f64::from).zip(NAMES) {
                let metric = |v: f64| serde_json::json!({ "value": v, "step": 0 });
                s["run"]["metrics"][name] = metric(value);
                s["incumbent"]["run"]["metrics"][name] = metric(2.0);
                s["run"]["params"][name] = name.into();
                s["incumbent"]["run"]["params"][name] = "<blink>old</blink>\r\n|x|".into();
            }
            s["run"]["params"]["deploy_note"] = format!("uses {DAPI}").into();
            s["incumbent"]["run"]["params"]["deploy_note"] = format!("uses {AWS}").into();
            s["run"]["params"]["db_password"] = "CANARY-NEW-PW".into();
            s["incumbent"]["run"]["params"]["db_password"] = "CANARY-OLD-PW".into();
            s["incumbent"]["mlflow_model"]["signature"]["inputs"][1]["name"] =
                "ctx|\n<iframe>".into();
        },
    );
    let (report, summary, stdout) = crate::comparison::outputs(&snapshot, &[]);
    let secrets = [DAPI, AWS, "CANARY-NEW-PW", "CANARY-OLD-PW"];
    for (what, text) in [
        ("report", &report),
        ("summary", &summary),
        ("stdout", &stdout),
    ] {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} leaked into the {what}");
        }
        for tag in ["<script", "<blink", "<iframe"] {
            assert!(!text.contains(tag), "{tag} in the {what}: {text}");
        }
    }
    for (what, md) in [
        ("report", crate::comparison::section(&report)),
        ("summary", summary.as_str()),
    ] {
        assert_tables_keep_their_shape(what, md);
        assert_chart_is_inert(what, md);
        // Redacted on both sides: not said to be unchanged, and named as not compared.
        assert!(
            md.contains(
                "Not compared, redacted on both sides (the values may differ): db_password."
            ),
            "{what}: {md}"
        );
        // Every part still follows the chart: nothing closed the fence early or opened one.
        assert!(md.contains("Params compared") && md.contains("Signatures compared"));
    }
    let section = crate::comparison::section(&report);
    assert!(
        section.contains("|a\\|b|1.0|2.0|−1.000 (−50.0%)|"),
        "{section}"
    );
    assert!(section.contains("|line<br/>break|2.0|2.0|±0|"), "{section}");
    // Redacted by shape, differently on each side: a change, shown with its markers.
    assert!(
        section.contains("|deploy_note|uses \\[redacted: looks like a secret (Databricks token)\\]|uses \\[redacted: looks like a secret (AWS access key)\\]|"),
        "{section}"
    );
    assert!(
        section.contains("|input|ctx\\|<br/>&lt;iframe&gt;|removed|—|string|"),
        "{section}"
    );
}

/// Every table row has as many cells as its header: no `|` or line break of a server string
/// split a cell or a row.
fn assert_tables_keep_their_shape(what: &str, md: &str) {
    let cells = |line: &str| {
        let mut count = 0;
        let mut escaped = false;
        for c in line.chars() {
            match c {
                '\\' if !escaped => escaped = true,
                '|' if !escaped => count += 1,
                _ => escaped = false,
            }
        }
        count
    };
    let mut width = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            assert_eq!(*width.get_or_insert(n), n, "{what}: {line}");
        } else {
            width = None;
        }
    }
}

/// The Mermaid block holds only mlgate's six lines, each label inside its quotes.
fn assert_chart_is_inert(what: &str, md: &str) {
    let start = md.find("```mermaid\n").expect("a chart") + "```mermaid\n".len();
    let block = &md[start..start + md[start..].find("\n```").expect("a closed chart")];
    // mlgate's own colour directive first, then the chart: the title, the axes, three bar
    // series and the incumbent's line (no rule judges these metrics: no second line).
    let (directive, chart) = block.split_once('\n').unwrap();
    assert!(
        directive
            .starts_with("%%{init: {\"themeVariables\": {\"xyChart\": {\"plotColorPalette\": \"#"),
        "{what}: {block}"
    );
    assert_eq!(chart.lines().count(), 8, "{what}: {block}");
    assert!(
        !chart.contains("%%") && !block.contains('`'),
        "{what}: {block}"
    );
    let axis = chart.lines().nth(2).unwrap();
    let labels = axis
        .strip_prefix("    x-axis [\"")
        .and_then(|a| a.strip_suffix("\"]"))
        .expect("a quoted x-axis");
    for label in labels.split("\", \"") {
        assert!(
            !label.contains(['"', '[', ']', '{', '}', '<', '>', ';']),
            "{what}: {label}"
        );
    }
    for line in chart.lines().skip(4) {
        let numbers = line.rsplit_once('[').unwrap().1.trim_end_matches(']');
        assert!(
            numbers.split(", ").all(|n| n.parse::<f64>().is_ok()),
            "{what}: {line}"
        );
    }
}
