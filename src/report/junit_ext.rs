//! What junit-report cannot write, added to the document it wrote: `<properties>` as the first
//! child of each `<testsuite>` and the suite's `skipped` count (CI servers read it from the
//! suite tag; junit-report 0.9 writes `tests`, `failures` and `errors` only).
//!
//! The document is rewritten event by event with quick-xml (the library junit-report writes
//! with), so insertion points are found by structure, never by searching the text, and
//! property names and values are escaped like any attribute. Everything else is written back
//! as it was read.

use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::{Reader, Writer};
use thiserror::Error;

/// Why a JUnit document could not be extended. junit-report writes well-formed XML, so each
/// of these is a bug to surface, never a reason to write a truncated file.
#[derive(Debug, Error)]
pub enum JunitError {
    #[error("junit-report could not write the document: {0}")]
    Report(#[from] junit_report::Error),
    #[error("could not rewrite the JUnit document: {0}")]
    Rewrite(#[from] std::io::Error),
    #[error("the JUnit document is not UTF-8: {0}")]
    NotUtf8(#[from] std::string::FromUtf8Error),
    #[error("the JUnit document is not well-formed XML at byte {position}: {source}")]
    Xml {
        position: u64,
        source: quick_xml::Error,
    },
    #[error("{given} property sets for {suites} testsuites")]
    SuiteCount { given: usize, suites: usize },
}

/// junit-report's document as text.
pub fn write(report: &junit_report::Report) -> Result<String, JunitError> {
    let mut xml = Vec::new();
    report.write_xml(&mut xml)?;
    Ok(String::from_utf8(xml)?)
}

/// `xml` with the i-th `<testsuite>` given `properties[i]` (as `<property name value/>`
/// elements, in order; none when empty) and every testsuite a `skipped` attribute counting its
/// `<skipped>` elements. There must be one property list per testsuite.
pub fn extend(xml: &str, properties: &[Vec<(&str, String)>]) -> Result<String, JunitError> {
    let skipped = skipped_per_suite(xml)?;
    if properties.len() != skipped.len() {
        return Err(JunitError::SuiteCount {
            given: properties.len(),
            suites: skipped.len(),
        });
    }
    let mut reader = Reader::from_str(xml);
    let mut writer = Writer::new(Vec::with_capacity(xml.len() + 1024));
    let mut suites = skipped.iter().zip(properties);
    let mut next_suite = || {
        // Both passes read the same document, so this cannot run out; if it ever did, say so.
        suites.next().ok_or(JunitError::SuiteCount {
            given: properties.len(),
            suites: skipped.len(),
        })
    };
    loop {
        let event = reader.read_event().map_err(|source| JunitError::Xml {
            position: reader.error_position(),
            source,
        })?;
        match event {
            Event::Eof => break,
            Event::Start(tag) if is_suite(&tag) => {
                let (skipped, properties) = next_suite()?;
                open_suite(&mut writer, tag, *skipped, properties)?;
            }
            // `<testsuite …/>` (no cases) opens and closes around its properties.
            Event::Empty(tag) if is_suite(&tag) => {
                let (skipped, properties) = next_suite()?;
                open_suite(&mut writer, tag, *skipped, properties)?;
                writer.write_event(Event::End(BytesEnd::new("testsuite")))?;
            }
            other => writer.write_event(other)?,
        }
    }
    Ok(String::from_utf8(writer.into_inner())?)
}

fn is_suite(tag: &BytesStart<'_>) -> bool {
    tag.name().as_ref() == b"testsuite"
}

/// Writes the suite's start tag with its `skipped` count, then its properties.
fn open_suite(
    writer: &mut Writer<Vec<u8>>,
    mut tag: BytesStart<'_>,
    skipped: usize,
    properties: &[(&str, String)],
) -> std::io::Result<()> {
    // A later junit-report may write the count itself: never write the attribute twice.
    if !tag
        .attributes()
        .flatten()
        .any(|a| a.key.as_ref() == b"skipped")
    {
        tag.push_attribute(("skipped", skipped.to_string().as_str()));
    }
    writer.write_event(Event::Start(tag))?;
    if properties.is_empty() {
        return Ok(());
    }
    writer.write_event(Event::Start(BytesStart::new("properties")))?;
    for (name, value) in properties {
        let mut property = BytesStart::new("property");
        // push_attribute escapes `&<>"'`; characters XML cannot carry at all are dropped first.
        property.push_attribute(("name", clean(name).as_str()));
        property.push_attribute(("value", clean(value).as_str()));
        writer.write_event(Event::Empty(property))?;
    }
    writer.write_event(Event::End(BytesEnd::new("properties")))
}

/// The number of `<skipped>` elements inside each testsuite, in document order.
fn skipped_per_suite(xml: &str) -> Result<Vec<usize>, JunitError> {
    let mut reader = Reader::from_str(xml);
    let mut counts = Vec::new();
    let mut in_suite = false;
    loop {
        let event = reader.read_event().map_err(|source| JunitError::Xml {
            position: reader.error_position(),
            source,
        })?;
        match event {
            Event::Eof => break,
            Event::Start(tag) if is_suite(&tag) => {
                counts.push(0);
                in_suite = true;
            }
            Event::Empty(tag) if is_suite(&tag) => counts.push(0),
            Event::End(tag) if tag.name().as_ref() == b"testsuite" => in_suite = false,
            Event::Start(tag) | Event::Empty(tag)
                if in_suite && tag.name().as_ref() == b"skipped" =>
            {
                if let Some(n) = counts.last_mut() {
                    *n += 1;
                }
            }
            _ => {}
        }
    }
    Ok(counts)
}

/// Text XML 1.0 can carry, still readable: characters XML forbids (C0 controls but tab and
/// line breaks, U+FFFE, U+FFFF) and those it allows but a terminal or CI page would act on
/// (DEL, C1 controls, bidi and zero-width characters) are shown escaped (`\x1b`,
/// `\u{202e}`) as in every other output, and `]]>` (which would end the CDATA section
/// junit-report writes bodies into) is broken up.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\t' | '\n' | '\r') {
            out.push(c);
        } else if super::sanitize::is_hidden(c) || matches!(c, '\u{fffe}' | '\u{ffff}') {
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
        c => super::sanitize::visible(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    }

    fn props(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_string())).collect()
    }

    fn suite<'a>(doc: &'a roxmltree::Document<'a>, i: usize) -> roxmltree::Node<'a, 'a> {
        doc.descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .nth(i)
            .unwrap()
    }

    #[test]
    fn properties_are_the_first_child_and_escaped() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite id="0" name="a&gt;b"><testcase name="x"/></testsuite></testsuites>"#;
        let out = extend(
            xml,
            &[props(&[
                ("model", "m\"1 <&> 'q'"),
                ("odd\u{1}name", "a]]>b\u{0}"),
            ])],
        )
        .unwrap();
        assert!(
            out.contains(r#"<testsuite id="0" name="a&gt;b" skipped="0"><properties><property name="model" value="m&quot;1 &lt;&amp;&gt; &apos;q&apos;"/>"#),
            "{out}"
        );
        let doc = roxmltree::Document::parse(&out).expect("well-formed");
        let suite = suite(&doc, 0);
        assert_eq!(suite.attribute("name"), Some("a>b"));
        let first = suite.first_element_child().unwrap();
        assert!(first.has_tag_name("properties"));
        let values: Vec<(&str, &str)> = first
            .children()
            .filter(|n| n.has_tag_name("property"))
            .map(|n| (n.attribute("name").unwrap(), n.attribute("value").unwrap()))
            .collect();
        // Controls are shown escaped, as in every output, rather than dropped.
        assert_eq!(
            values,
            [("model", "m\"1 <&> 'q'"), ("odd\\x01name", "a]] >b\\x00")]
        );
        assert!(out.starts_with(r#"<?xml version="1.0" encoding="utf-8"?><testsuites>"#));
    }

    #[test]
    fn skipped_counts_each_suite_own_skipped_cases() {
        let xml = concat!(
            r#"<testsuites><testsuite name="one" tests="3">"#,
            r#"<testcase name="a"><skipped/></testcase>"#,
            r#"<testcase name="b"><skipped type="waived" message="m"><![CDATA[<skipped/> in text]]></skipped></testcase>"#,
            r#"<testcase name="c"><system-out>&lt;skipped/&gt;</system-out></testcase>"#,
            r#"</testsuite><testsuite name="two"><testcase name="d"/></testsuite>"#,
            r#"<testsuite name="three"/></testsuites>"#,
        );
        let out = extend(
            xml,
            &[props(&[("k", "v")]), Vec::new(), props(&[("k", "w")])],
        )
        .unwrap();
        let doc = roxmltree::Document::parse(&out).expect("well-formed");
        let skipped = |i| suite(&doc, i).attribute("skipped");
        assert_eq!(
            [skipped(0), skipped(1), skipped(2)],
            [Some("2"), Some("0"), Some("0")]
        );
        assert!(
            !suite(&doc, 1)
                .children()
                .any(|n| n.has_tag_name("properties")),
            "no empty <properties/>: {out}"
        );
        let empty = suite(&doc, 2);
        assert_eq!(
            empty
                .first_element_child()
                .and_then(|p| p.first_element_child())
                .and_then(|p| p.attribute("value")),
            Some("w"),
            "an empty suite gets its properties too: {out}"
        );
        // Bodies are written back untouched.
        assert!(out.contains("<![CDATA[<skipped/> in text]]>"), "{out}");
        assert!(
            out.contains("<system-out>&lt;skipped/&gt;</system-out>"),
            "{out}"
        );
    }

    #[test]
    fn an_existing_skipped_attribute_is_not_repeated() {
        let out = extend(
            r#"<testsuites><testsuite name="a" skipped="1"><testcase name="x"><skipped/></testcase></testsuite></testsuites>"#,
            &[Vec::new()],
        )
        .unwrap();
        assert_eq!(out.matches("skipped=").count(), 1, "{out}");
        roxmltree::Document::parse(&out).expect("well-formed");
    }

    #[test]
    fn broken_input_and_miscounted_properties_are_errors() {
        assert!(matches!(
            extend("<testsuites><testsuite></testsuites>", &[Vec::new()]),
            Err(JunitError::Xml { .. })
        ));
        assert!(matches!(
            extend("<testsuites><testsuite/></testsuites>", &[]),
            Err(JunitError::SuiteCount {
                given: 0,
                suites: 1
            })
        ));
    }

    #[test]
    fn junit_report_output_round_trips() {
        use junit_report::{Duration, ReportBuilder, TestCase, TestSuiteBuilder};
        let mut suite_builder = TestSuiteBuilder::new("m/1");
        suite_builder.add_testcase(TestCase::success("pass", Duration::ZERO));
        suite_builder.add_testcase(TestCase::skipped_with_cause("waived", "waived", "why"));
        suite_builder.add_testcase(TestCase::failure("fail", Duration::ZERO, "error", "m"));
        let report = ReportBuilder::new()
            .add_testsuite(suite_builder.build())
            .add_testsuite(TestSuiteBuilder::new("empty").build())
            .build();
        let xml = write(&report).unwrap();
        let out = extend(&xml, &[props(&[("model", "m")]), Vec::new()]).unwrap();
        let doc = roxmltree::Document::parse(&out).expect("well-formed");
        assert_eq!(suite(&doc, 0).attribute("skipped"), Some("1"));
        assert_eq!(suite(&doc, 1).attribute("skipped"), Some("0"));
        assert_eq!(suite(&doc, 0).attribute("tests"), Some("3"));
    }
}
