//! Untrusted text made safe to show. Driver-supplied strings (error messages,
//! a crash's stderr, names, keys, versions) end up on terminals and in logs:
//! an ESC, BEL or C1 byte there could retitle the window, clear the screen or
//! hide what follows, and a bidi override could reorder what the user reads.
//! Every such character is shown escaped (`\u{1b}`), the rest is kept.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as is: C0 and C1 controls, DEL, and
/// the invisible bidi formatting characters (U+200E/F, U+202A–E, U+2066–9).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control or bidi formatting character escaped (`\n`, `\t`,
/// `\u{1b}`, `\u{9b}`, …); borrowed when there is nothing to escape.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped_the_rest_kept() {
        assert!(matches!(
            printable("plain ü 日本 key/a.txt"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            printable("\u{1b}]0;t\u{7}\u{1b}[2Jx\u{9b}31m\u{7f}"),
            "\\u{1b}]0;t\\u{7}\\u{1b}[2Jx\\u{9b}31m\\u{7f}"
        );
        assert_eq!(printable("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(printable("abc\u{202e}gpj.exe"), "abc\\u{202e}gpj.exe");
        assert_eq!(printable("\u{0}"), "\\u{0}");
    }
}
