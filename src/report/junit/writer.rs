//! The JUnit XML writer: one typed model in one pass. junit-report's types are the model (a
//! `TestSuite` of `TestCase`s with their results, `system-out` and classnames); what
//! junit-report 0.9 cannot write — suite `<properties>` and the suite's `skipped` count, which
//! CI servers read from the suite tag — is written here beside them, and a document is built
//! suite by suite, so a bulk run streams its suites and `mlgate test` writes its file with the
//! same code. The layout is junit-report's own (same attributes, same order, bodies in
//! CDATA), and the document is valid against the Jenkins JUnit schema
//! (`tests/fixtures/schemas/junit-10.xsd`).

use std::fmt::Write as _;

use junit_report::{TestCase, TestResult, TestSuite};
use quick_xml::escape::escape;
use time::format_description::well_known::Rfc3339;

/// What opens a document; `name` names the `<testsuites>` (a bulk run calls it `mlgate`).
pub fn head(name: Option<&str>) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    match name {
        Some(name) => {
            let _ = write!(out, "\n<testsuites name=\"{}\">\n", attr(name));
        }
        None => out.push_str("<testsuites>"),
    }
    out
}

/// What closes it.
pub const TAIL: &str = "</testsuites>";

/// One `<testsuite>`: its attributes (junit-report's, then `skipped`), `properties` as its
/// first child (none when empty), its cases, then its `system-out`/`system-err`.
pub fn suite(id: usize, suite: &TestSuite, properties: &[(String, String)]) -> String {
    let skipped = suite.testcases.iter().filter(|c| c.is_skipped()).count();
    let timestamp = suite.timestamp.format(&Rfc3339).unwrap_or_default();
    let mut out = format!(
        "<testsuite id=\"{id}\" name=\"{}\" package=\"{}\" tests=\"{}\" errors=\"{}\" failures=\"{}\" hostname=\"{}\" timestamp=\"{}\" time=\"{}\" skipped=\"{skipped}\"",
        attr(&suite.name),
        attr(&suite.package),
        suite.tests(),
        suite.errors(),
        suite.failures(),
        attr(&suite.hostname),
        attr(&timestamp),
        suite.time().as_seconds_f64(),
    );
    let empty = properties.is_empty()
        && suite.testcases.is_empty()
        && suite.system_out.is_none()
        && suite.system_err.is_none();
    if empty {
        out.push_str("/>");
        return out;
    }
    out.push('>');
    if !properties.is_empty() {
        out.push_str("<properties>");
        for (name, value) in properties {
            let _ = write!(
                out,
                "<property name=\"{}\" value=\"{}\"/>",
                attr(name),
                attr(value)
            );
        }
        out.push_str("</properties>");
    }
    for case in &suite.testcases {
        testcase(case, &mut out);
    }
    body("system-out", suite.system_out.as_deref(), &mut out);
    body("system-err", suite.system_err.as_deref(), &mut out);
    out.push_str("</testsuite>");
    out
}

fn testcase(case: &TestCase, out: &mut String) {
    let _ = write!(
        out,
        "<testcase name=\"{}\" time=\"{}\"",
        attr(&case.name),
        case.time.as_seconds_f64()
    );
    if let Some(classname) = &case.classname {
        let _ = write!(out, " classname=\"{}\"", attr(classname));
    }
    if let Some(file) = &case.filepath {
        let _ = write!(out, " file=\"{}\"", attr(file));
    }
    if matches!(case.result, TestResult::Success)
        && case.system_out.is_none()
        && case.system_err.is_none()
    {
        out.push_str("/>");
        return;
    }
    out.push('>');
    match &case.result {
        TestResult::Success => {}
        TestResult::Skipped => out.push_str("<skipped/>"),
        TestResult::SkippedWithCause {
            type_,
            message,
            cause,
        } => outcome("skipped", type_, message, cause.as_deref(), out),
        TestResult::Error {
            type_,
            message,
            cause,
        } => outcome("error", type_, message, cause.as_deref(), out),
        TestResult::Failure {
            type_,
            message,
            cause,
        } => outcome("failure", type_, message, cause.as_deref(), out),
    }
    body("system-out", case.system_out.as_deref(), out);
    body("system-err", case.system_err.as_deref(), out);
    out.push_str("</testcase>");
}

/// `<failure type message>` (or error, skipped) with the cause as its CDATA body.
fn outcome(tag: &str, type_: &str, message: &str, cause: Option<&str>, out: &mut String) {
    let _ = write!(
        out,
        "<{tag} type=\"{}\" message=\"{}\"",
        attr(type_),
        attr(message)
    );
    match cause {
        Some(cause) => {
            let _ = write!(out, "><![CDATA[{}]]></{tag}>", cdata(cause));
        }
        None => out.push_str("/>"),
    }
}

fn body(tag: &str, text: Option<&str>, out: &mut String) {
    if let Some(text) = text {
        let _ = write!(out, "<{tag}><![CDATA[{}]]></{tag}>", cdata(text));
    }
}

/// An attribute value: cleaned of what XML cannot carry, then escaped (`&<>"'`).
fn attr(text: &str) -> String {
    escape(clean(text).as_str()).into_owned()
}

/// A CDATA body: cleaned (which also breaks up `]]>`).
fn cdata(text: &str) -> String {
    clean(text)
}

/// Text XML 1.0 can carry, still readable: characters XML forbids (C0 controls but tab and
/// line breaks, U+FFFE, U+FFFF) and those it allows but a terminal or CI page would act on
/// (DEL, C1 controls, bidi and zero-width characters) are shown escaped (`\x1b`,
/// `\u{202e}`) as in every other output, and `]]>` (which would end a CDATA section) is
/// broken up.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\t' | '\n' | '\r') {
            out.push(c);
        } else if super::super::sanitize::is_hidden(c) || matches!(c, '\u{fffe}' | '\u{ffff}') {
            let mut buf = [0u8; 4];
            out.push_str(&escaped(c.encode_utf8(&mut buf)));
        } else {
            out.push(c);
        }
    }
    out.replace("]]>", "]] >")
}

/// One hidden character's visible spelling (U+FFFE/U+FFFF are not hidden to the sanitiser,
/// being merely non-characters, so they get theirs here).
fn escaped(c: &str) -> String {
    match c {
        "\u{fffe}" => "\\u{fffe}".to_string(),
        "\u{ffff}" => "\\u{ffff}".to_string(),
        c => super::super::sanitize::visible(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use junit_report::{Duration, ReportBuilder, TestSuiteBuilder};
    use proptest::prelude::*;

    /// Not in XML 1.0, or acted on by whoever shows the text.
    fn forbidden(c: char) -> bool {
        !matches!(c, '\t' | '\n' | '\r')
            && (crate::report::sanitize::is_hidden(c) || matches!(c, '\u{fffe}' | '\u{ffff}'))
    }

    proptest! {
        /// Whatever a server names things, the text is XML 1.0 and has no raw control.
        #[test]
        fn cleaned_text_is_xml_and_inert(s in any::<String>()) {
            let out = clean(&s);
            prop_assert!(!out.chars().any(forbidden), "{out:?}");
            prop_assert!(!out.contains("]]>"));
            prop_assert!(s.chars().filter(|c| c.is_alphanumeric() && !crate::report::sanitize::is_hidden(*c)).all(|c| out.contains(c)));
        }

        /// Any names, messages and properties give a well-formed document that says them.
        #[test]
        fn any_text_gives_a_well_formed_document(name in any::<String>(), message in any::<String>(), value in "[^\\r\\n\\t]*") {
            let mut s = TestSuiteBuilder::new(&name);
            s.add_testcase(TestCase::failure(&name, Duration::ZERO, "error", &message));
            let mut skipped = TestCase::skipped_with_cause(&name, "waived", &message);
            skipped.set_system_out(&message);
            s.add_testcase(skipped);
            let xml = format!("{}{}{TAIL}", head(None), suite(0, &s.build(), &[("k".into(), value.clone())]));
            let doc = roxmltree::Document::parse(&xml);
            prop_assert!(doc.is_ok(), "{xml}");
            let doc = doc.unwrap();
            let property = doc.descendants().find(|n| n.has_tag_name("property")).unwrap();
            let cleaned = clean(&value);
            prop_assert_eq!(property.attribute("value"), Some(cleaned.as_str()));
        }
    }

    /// The layout is junit-report's own: the same suite written by both differs only in what
    /// junit-report cannot write (`skipped`, `<properties>`).
    #[test]
    fn reads_like_junit_report_plus_what_it_lacks() {
        let mut s = TestSuiteBuilder::new("m/1");
        s.set_timestamp(junit_report::OffsetDateTime::UNIX_EPOCH);
        s.add_testcase(TestCase::success("pass", Duration::ZERO));
        s.add_testcase(TestCase::skipped_with_cause("waived", "waived", "why <&>"));
        let mut failed = TestCase::failure("fail", Duration::ZERO, "error", "m \"q\"");
        failed.set_classname("mlgate.m");
        failed.set_system_out("out <here>");
        s.add_testcase(failed);
        let s = s.build();
        let mut theirs = Vec::new();
        ReportBuilder::new()
            .add_testsuite(s.clone())
            .build()
            .write_xml(&mut theirs)
            .unwrap();
        let theirs = String::from_utf8(theirs).unwrap();
        let ours = format!("{}{}{TAIL}", head(None), suite(0, &s, &[]));
        assert_eq!(ours.replace(" skipped=\"1\"", ""), theirs);
    }

    #[test]
    fn properties_come_first_escaped_and_skipped_is_counted() {
        let mut s = TestSuiteBuilder::new("a>b");
        s.add_testcase(TestCase::skipped("x"));
        s.add_testcase(TestCase::success("y", Duration::ZERO));
        let xml = format!(
            "{}{}{TAIL}",
            head(Some("mlgate")),
            suite(
                3,
                &s.build(),
                &[
                    ("model".into(), "m\"1 <&> 'q'".into()),
                    ("odd\u{1}name".into(), "a]]>b\u{0}".into())
                ]
            )
        );
        assert!(
            xml.contains(r#"skipped="1"><properties><property name="model" value="m&quot;1 &lt;&amp;&gt; &apos;q&apos;"/>"#),
            "{xml}"
        );
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("id"), Some("3"));
        assert_eq!(suite.attribute("name"), Some("a>b"));
        let values: Vec<(&str, &str)> = suite
            .descendants()
            .filter(|n| n.has_tag_name("property"))
            .map(|n| (n.attribute("name").unwrap(), n.attribute("value").unwrap()))
            .collect();
        // Controls are shown escaped, as in every output, rather than dropped.
        assert_eq!(
            values,
            [("model", "m\"1 <&> 'q'"), ("odd\\x01name", "a]] >b\\x00")]
        );
        assert_eq!(
            doc.root_element().attribute("name"),
            Some("mlgate"),
            "{xml}"
        );
    }
}
