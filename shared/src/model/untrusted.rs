//! Text grkeeper did not write (a member's error log, a MySQL server's message, a host name, a
//! version string) made safe to show anywhere: alerts, topology events, logs and the terminal.
//!
//! One rule, [`clean`], serves every place: each character that could move the cursor, start a
//! new line, recolour a terminal or reverse the reading order is replaced by a visible stand-in,
//! and the value is clipped. [`quote`] also puts the value in quotes, so a member's text can never
//! pass for grkeeper's own words (a log line forging "Next step: ..." stays inside its quotes, on
//! its line). The probe cleans what it reads ([`KEPT`]), so a 1 MB log line never reaches a
//! snapshot; alerts and the CLI clean again (to [`SHOWN`]) what they print, in case a snapshot
//! came from elsewhere. Cleaning is idempotent, so doing it twice changes nothing.

/// At most this many characters of one value are kept from a probe.
pub const KEPT: usize = 2048;
/// At most this many characters of one value are shown in an alert or a table.
pub const SHOWN: usize = 300;

/// What replaces anything past the limit (inside the limit).
const CLIPPED: char = '…';

/// `text` as one line of printable characters of at most `max` characters: C0 controls (line
/// feeds, escapes, tabs) become their Unicode control pictures (`␊`, `␛`, `␉`), DEL `␡`, and C1
/// controls, line and paragraph separators, bidirectional and other invisible format
/// characters `�`. A longer value is cut, its last kept character replaced by `…`.
pub fn clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(4)));
    for (count, c) in text.chars().enumerate() {
        if count == max {
            if max > 0 {
                out.pop();
                out.push(CLIPPED);
            }
            return out;
        }
        out.push(visible(c));
    }
    out
}

/// [`clean`] to [`SHOWN`] characters, in double quotes; a `"` or `\` inside is escaped with a
/// backslash, so the closing quote is always grkeeper's.
pub fn quote(text: &str) -> String {
    let cleaned = clean(text, SHOWN);
    let mut out = String::with_capacity(cleaned.len() + 2);
    out.push('"');
    for c in cleaned.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The stand-in for one character, or the character itself when it is harmless.
fn visible(c: char) -> char {
    match u32::from(c) {
        // C0 controls -> U+2400..U+241F (control pictures); DEL -> U+2421.
        code @ 0x00..=0x1f => char::from_u32(0x2400 + code).unwrap_or(char::REPLACEMENT_CHARACTER),
        0x7f => '\u{2421}',
        _ if is_hidden(c) => char::REPLACEMENT_CHARACTER,
        _ => c,
    }
}

/// Characters that are not shown as themselves but change what is shown: C1 controls (0x85 is
/// a line break to some terminals, 0x9b starts an escape sequence), the line and paragraph
/// separators, the bidirectional controls (which reorder what follows), zero-width characters
/// and the byte order mark.
fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{80}'..='\u{9f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// Whether `c` may appear in cleaned text (for tests of everything that prints member text).
pub fn is_shown(c: char) -> bool {
    visible(c) == c
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plain_text_is_kept_as_it_is() {
        let line = "Plugin group_replication reported: 'Error on opening a connection' é ü 日本";
        assert_eq!(clean(line, SHOWN), line);
    }

    #[test]
    fn line_breaks_escapes_and_direction_changes_become_visible_stand_ins() {
        assert_eq!(
            clean("a\nNext step: b\r\x1b[31mred\x1b[0m\u{202e}x\u{85}", 100),
            "a␊Next step: b␍␛[31mred␛[0m�x�"
        );
        assert_eq!(clean("tab\there\x7f", 100), "tab␉here␡");
    }

    #[test]
    fn a_long_value_is_cut_within_its_limit_and_marked() {
        assert_eq!(clean("abcdef", 4), "abc…");
        assert_eq!(clean("abcd", 4), "abcd");
        assert_eq!(clean("abc", 0), "");
    }

    #[test]
    fn a_quoted_value_escapes_its_own_quotes() {
        assert_eq!(quote(r#"say "hi" \o/"#), r#""say \"hi\" \\o/""#);
        assert_eq!(quote("two\nlines"), "\"two␊lines\"");
    }

    /// Text as a hostile member would send it: any characters, heavy on the dangerous ones.
    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>().prop_map(String::from),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\x1b[2J\x1b[31m".to_owned()),
            Just("\u{9b}31m".to_owned()),
            Just("\u{202e}".to_owned()),
            Just("\u{2028}".to_owned()),
            Just("\nNext step: DROP DATABASE orders".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            "[ -~]{0,20}",
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn cleaned_text_is_one_bounded_line_of_shown_characters(
            text in hostile(),
            max in 0usize..64,
        ) {
            let cleaned = clean(&text, max);
            prop_assert!(cleaned.chars().count() <= max);
            prop_assert!(cleaned.chars().all(is_shown), "{cleaned:?}");
            prop_assert!(cleaned.chars().all(|c| !c.is_control()));
            prop_assert_eq!(cleaned.lines().count(), usize::from(!cleaned.is_empty()));
        }

        #[test]
        fn cleaning_twice_changes_nothing(text in hostile(), max in 0usize..64) {
            let once = clean(&text, max);
            prop_assert_eq!(clean(&once, max), once);
        }

        #[test]
        fn short_harmless_text_is_unchanged(text in "[ -~é日]{0,40}") {
            prop_assert_eq!(clean(&text, 40), text);
        }

        #[test]
        fn a_quoted_value_opens_and_closes_once_on_one_line(text in hostile()) {
            let quoted = quote(&text);
            prop_assert!(quoted.starts_with('"') && quoted.ends_with('"') && quoted.len() >= 2);
            prop_assert!(!quoted.contains('\n') && quoted.chars().all(is_shown));
            // Inside, every quote is escaped: the value cannot close early.
            let inner = &quoted[1..quoted.len() - 1];
            let mut escaped = false;
            for c in inner.chars() {
                prop_assert!(escaped || c != '"', "{quoted}");
                escaped = !escaped && c == '\\';
            }
            prop_assert!(!escaped, "{quoted}");
        }
    }

    #[test]
    fn a_one_megabyte_line_is_clipped_without_copying_it_whole() {
        let line = "x".repeat(1 << 20);
        assert_eq!(clean(&line, KEPT).chars().count(), KEPT);
        assert_eq!(quote(&line).chars().count(), SHOWN + 2);
    }
}
