//! Over-long source lines, clipped before a diagnostic is drawn.
//!
//! miette's graphical renderer pads up to a label's column with a formatting width, and Rust's
//! formatter panics on widths past 65,535: a problem at the end of a 70,000-character line
//! (minified TOML, a pasted blob) would crash `mlgate lint` with exit 101 instead of exit 2.
//! A line that long is unreadable anyway, so every line longer than [`MAX_LINE`] bytes is cut
//! to a window around the first label it holds (`…` marks what was cut) and the label spans
//! are moved into the clipped text. miette then computes the column in the clipped text, so
//! a label on a clipped line also says its real column.

use std::ops::Range;

/// The longest line drawn as it is, in bytes. Clipped lines are at most this long (plus the
/// two `…` marks), far below the renderer's limit even with every tab expanded.
pub const MAX_LINE: usize = 240;
/// Bytes kept before a label on a clipped line, so the label has some context.
const BEFORE: usize = 60;
const MARK: &str = "…";

/// A labelled span of a source, as a diagnostic holds it.
pub type Label = (Range<usize>, String);

/// How one line of the original text appears in the clipped text.
struct Line {
    /// Byte range of the line in the original text, newline excluded.
    start: usize,
    end: usize,
    /// The part of the line kept.
    kept: Range<usize>,
    /// Where `kept` starts in the clipped text, and where the clipped line ends there.
    new_kept: usize,
    new_end: usize,
    clipped: bool,
}

/// The text and labels to draw: unchanged when no line is too long.
pub fn for_display(text: &str, labels: &[Label]) -> (String, Vec<Label>) {
    clip(text, labels).unwrap_or_else(|| (text.to_string(), labels.to_vec()))
}

/// The clipped text and the labels moved into it; `None` when no line is too long.
pub fn clip(text: &str, labels: &[Label]) -> Option<(String, Vec<Label>)> {
    if !text.split('\n').any(|l| l.len() > MAX_LINE) {
        return None;
    }
    let mut out = String::with_capacity(text.len().min(1 << 20));
    let mut lines = Vec::new();
    let mut start = 0;
    for raw in text.split('\n') {
        let end = start + raw.len();
        let new_start = out.len();
        if raw.len() <= MAX_LINE {
            out.push_str(raw);
            lines.push(Line {
                start,
                end,
                kept: start..end,
                new_kept: new_start,
                new_end: out.len(),
                clipped: false,
            });
        } else {
            // The window starts a little before the first label on this line (or at the line's
            // start), on character boundaries.
            let anchor = labels
                .iter()
                .map(|(span, _)| span.start)
                .filter(|s| (start..=end).contains(s))
                .min()
                .unwrap_or(start);
            let from = floor_char(text, anchor.saturating_sub(BEFORE).max(start));
            let to = floor_char(text, (from + MAX_LINE).min(end));
            if from > start {
                out.push_str(MARK);
            }
            let new_kept = out.len();
            out.push_str(&text[from..to]);
            if to < end {
                out.push_str(MARK);
            }
            lines.push(Line {
                start,
                end,
                kept: from..to,
                new_kept,
                new_end: out.len(),
                clipped: true,
            });
        }
        out.push('\n');
        start = end + 1;
    }
    // `split` yields one line more than there are newlines; drop the one pushed after it.
    out.pop();
    let labels = labels
        .iter()
        .map(|(span, label)| {
            let start = map(&lines, span.start);
            let end = map(&lines, span.end).max(start);
            let label = match line_of(&lines, span.start) {
                Some(line) if line.clipped => {
                    let column = text
                        .get(line.start..span.start.min(line.end))
                        .map_or(0, |s| s.chars().count())
                        + 1;
                    format!("{label} (column {column})")
                }
                _ => label.clone(),
            };
            (start..end, label)
        })
        .collect();
    Some((out, labels))
}

fn line_of(lines: &[Line], offset: usize) -> Option<&Line> {
    let i = lines.partition_point(|l| l.start <= offset);
    lines.get(i.checked_sub(1)?)
}

/// An offset of the original text in the clipped text: offsets cut away land on the nearest
/// edge of what was kept of their line.
fn map(lines: &[Line], offset: usize) -> usize {
    let Some(line) = line_of(lines, offset) else {
        return 0;
    };
    if offset >= line.end {
        // The newline (or past the end of the text).
        line.new_end
    } else if offset <= line.kept.start {
        line.new_kept
    } else if offset >= line.kept.end {
        line.new_kept + (line.kept.end - line.kept.start)
    } else {
        line.new_kept + (offset - line.kept.start)
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_unchanged() {
        let labels = vec![(2..4, "here".to_string())];
        assert_eq!(for_display("ab\ncd", &labels), ("ab\ncd".into(), labels));
    }

    #[test]
    fn a_label_far_along_a_long_line_is_kept_with_its_column() {
        let long = format!("x = \"{}\" ; bogus = 1", "é".repeat(40_000));
        let text = format!("first\n{long}\nlast");
        let at = text.find("bogus").unwrap();
        let (clipped, labels) = for_display(&text, &[(at..at + 5, "here".into())]);
        assert!(clipped
            .lines()
            .all(|l| l.len() <= MAX_LINE + 2 * MARK.len()));
        assert_eq!(clipped.lines().count(), 3);
        assert!(clipped.starts_with("first\n…") && clipped.ends_with("\nlast"));
        let (span, label) = &labels[0];
        assert_eq!(&clipped[span.clone()], "bogus");
        assert_eq!(label, "here (column 40010)");
    }

    #[test]
    fn spans_cut_away_land_on_the_window_and_never_panic() {
        let text = format!("{}\nend", "a".repeat(100_000));
        for span in [
            0..100_000,
            50_000..99_000,
            99_999..100_003,
            200_000..200_001,
        ] {
            let (clipped, labels) = for_display(&text, &[(span, "l".into())]);
            let span = &labels[0].0;
            assert!(span.start <= span.end && span.end <= clipped.len());
        }
    }
}
