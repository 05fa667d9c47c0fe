//! Control characters in user text shown instead of obeyed: for terminals (CLI output, the
//! console) and log lines, so a title or alert can neither send escape sequences to a terminal
//! nor start a forged log line.

use std::borrow::Cow;

/// Characters a terminal or log reader would act on rather than show: C0 controls, DEL, C1
/// controls (ESC and CSI among them), and the bidirectional overrides and isolates that make a
/// line read differently from what it holds. `\n` and `\t` only when `lines` is false.
fn acts(c: char, lines: bool) -> bool {
    match c {
        '\n' | '\t' => !lines,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

fn escape(s: &str, lines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| acts(c, lines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !acts(c, lines) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Text for one line of a terminal or log: every control character (newlines and tabs too)
/// written as an escape such as `\n` or `\u{1b}`.
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Multi-line text for a terminal: line breaks and tabs kept, every other control character
/// (carriage return, ESC, ...) written as an escape.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        let title = "\u{1b}]0;pwned\u{7}\u{1b}[31mDB down";
        assert_eq!(one_line(title), "\\u{1b}]0;pwned\\u{7}\\u{1b}[31mDB down");
        assert_eq!(
            one_line("a\nb\r\tc\u{7f}\u{9b}d\u{202e}e"),
            "a\\nb\\r\\tc\\u{7f}\\u{9b}d\\u{202e}e"
        );
        assert_eq!(
            for_terminal("line 1\n\tline 2\r\u{1b}[2K"),
            "line 1\n\tline 2\\r\\u{1b}[2K"
        );
        // Ordinary text, Unicode included, passes untouched (and is not copied).
        for ok in ["NDW ETL failed", "Café — DB/API down 🔥", "a\\nb", "日本語"] {
            assert!(matches!(one_line(ok), Cow::Borrowed(_)), "{ok}");
        }
        // Nothing that acts survives, whatever the input.
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..2000 {
            let s: String = (0..rng.usize(0..40))
                .map(|_| char::from_u32(rng.u32(0..0x2100)).unwrap_or('x'))
                .collect();
            assert!(!one_line(&s).chars().any(|c| acts(c, false)), "{s:?}");
            assert!(!for_terminal(&s).chars().any(|c| acts(c, true)), "{s:?}");
        }
    }
}
