//! JUnit for many versions (`check --all-models`): each version's document is rendered as for
//! a single `check` (one `<testsuite>` named `<model>/<version>`), and its testsuite elements
//! are moved, event by event, into one `<testsuites>` document written as the run goes — so
//! a bulk file and a single run's file say the same about a version, and nothing is held.

use quick_xml::events::Event;
use quick_xml::{Reader, Writer};

use super::junit_ext::JunitError;

/// What opens the bulk document.
pub const HEAD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites name=\"mlgate\">\n";
/// What closes it.
pub const TAIL: &str = "</testsuites>\n";

/// The `<testsuite>` elements of one rendered JUnit document, without its XML declaration
/// and `<testsuites>` wrapper.
pub fn suites(document: &str) -> Result<String, JunitError> {
    let mut reader = Reader::from_str(document);
    let mut writer = Writer::new(Vec::with_capacity(document.len()));
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().map_err(|source| JunitError::Xml {
            position: reader.error_position(),
            source,
        })?;
        match event {
            Event::Eof => break,
            Event::Decl(_) => {}
            Event::Start(tag) if tag.name().as_ref() == b"testsuites" => {}
            Event::End(tag) if tag.name().as_ref() == b"testsuites" => {}
            Event::Empty(tag) if tag.name().as_ref() == b"testsuites" => {}
            // Whitespace between the wrapper and its suites.
            Event::Text(t) if depth == 0 && t.iter().all(u8::is_ascii_whitespace) => {}
            event => {
                match &event {
                    Event::Start(_) => depth += 1,
                    Event::End(_) => depth = depth.saturating_sub(1),
                    _ => {}
                }
                writer.write_event(event)?;
                if depth == 0 {
                    writer.get_mut().push(b'\n');
                }
            }
        }
    }
    Ok(String::from_utf8(writer.into_inner())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suites_come_out_whole_and_the_wrapper_goes() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites>\n  <testsuite name=\"m/1\" tests=\"1\"><testcase name=\"r\"><failure message=\"a &amp; b\"/></testcase></testsuite>\n</testsuites>\n";
        let inner = suites(doc).unwrap();
        assert_eq!(
            inner,
            "<testsuite name=\"m/1\" tests=\"1\"><testcase name=\"r\"><failure message=\"a &amp; b\"/></testcase></testsuite>\n"
        );
        let whole = format!("{HEAD}{inner}{TAIL}");
        assert!(roxmltree::Document::parse(&whole).is_ok());
    }
}
