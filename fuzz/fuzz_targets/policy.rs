//! Fuzz target: the policy loader on one file's text, and — when it fails — the rendering of
//! its diagnostics with miette's graphical handler (no colour), both as mlgate draws them (each
//! problem from an excerpt of its lines) and as miette draws the whole diagnostic, because
//! rendering has panicked before on spans wider than the line they point into. Asserts only
//! "no panic, no hang".
#![no_main]

use libfuzzer_sys::fuzz_target;
use miette::{GraphicalReportHandler, GraphicalTheme};
use mlgate::policy::{self, PolicyText};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let texts = [PolicyText {
        name: "fuzz.toml".to_string(),
        text: text.to_string(),
    }];
    if let Err(errors) = policy::load(&texts) {
        let mut out = String::new();
        // A narrow width makes the handler wrap labels and help, the other path that has
        // had off-by-one bugs. A fmt::Error is not a panic, so it is not a finding.
        let handler =
            GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(60);
        let _ = errors.render(&handler);
        let _ = handler.render_report(&mut out, &errors);
    }
});
