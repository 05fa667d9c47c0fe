//! Matrix message text: reply-fallback stripping, HTML bodies for notices, room names, topics
//! and the size limit of one event. Pure functions, unit-tested.

use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;

use crate::domain::Incident;
use crate::postmortem::escape_into;

/// Largest message content we send as one event: Matrix caps a whole event at 64 KiB, and the
/// envelope (ids, signatures, relations) needs some of that.
pub const MAX_CONTENT_BYTES: usize = 56 * 1024;

/// Does this content fit in one event?
pub fn fits(content: &impl serde::Serialize) -> bool {
    serde_json::to_vec(content).is_ok_and(|v| v.len() <= MAX_CONTENT_BYTES)
}

/// A reply too long for one event, cut to a size that fits with a note saying so.
pub fn cut(text: &str) -> String {
    let mut out: String = text.chars().take(12_000).collect();
    out.push_str("\n… (cut: too long for one Matrix message; `!postmortem export md` has everything)");
    out
}

/// Remove the reply fallback (`> <@user:server> quoted text` lines and the blank line after
/// them) that clients put in front of a reply's body, so a reply quoting `!incident close`
/// closes nothing.
pub fn strip_reply_fallback(body: &str) -> &str {
    if !body.starts_with("> <") {
        return body;
    }
    let mut rest = body;
    while rest.starts_with('>') {
        match rest.find('\n') {
            Some(i) => rest = &rest[i + 1..],
            None => return "",
        }
    }
    rest.strip_prefix('\n').unwrap_or(rest)
}

/// The HTML body for a bot reply written as plain lines: escaped, `code` spans kept as code,
/// line breaks kept (Markdown would join the lines of a timeline listing into one paragraph).
pub fn lines_to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for (n, line) in text.lines().enumerate() {
        if n > 0 {
            out.push_str("<br>\n");
        }
        // Backticks pair up into code spans; an unpaired last one stays a backtick.
        let delimiters = line.matches('`').count() / 2 * 2;
        let mut in_code = false;
        for (i, part) in line.split('`').enumerate() {
            if i > 0 {
                if i <= delimiters {
                    out.push_str(if in_code { "</code>" } else { "<code>" });
                    in_code = !in_code;
                } else {
                    out.push('`');
                }
            }
            escape_into(part, &mut out);
        }
    }
    out
}

/// A bot notice from plain lines, with its HTML body.
pub fn notice(plain: &str) -> RoomMessageEventContent {
    RoomMessageEventContent::notice_html(plain.to_string(), lines_to_html(plain))
}

/// Room name of an incident room.
pub fn room_name(inc: &Incident) -> String {
    let name = format!("{}: {}", inc.id, inc.title);
    truncate(&name, 255)
}

/// Topic of an incident room: severity and status first, kept current by the adapter.
pub fn topic(inc: &Incident) -> String {
    truncate(
        &format!("{} · {} · {} — {}", inc.id, inc.severity.label(), inc.status, inc.title),
        500,
    )
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max_chars - 1).collect();
    out.push('…');
    out
}

/// A matrix.to link for a room alias or id.
pub fn matrix_to(target: &str) -> String {
    let encoded: String = target
        .chars()
        .map(|c| match c {
            '#' => "%23".to_string(),
            '!' => "%21".to_string(),
            _ => c.to_string(),
        })
        .collect();
    format!("https://matrix.to/#/{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_fallback_is_stripped() {
        let body = "> <@alice:localhost> !incident close\n> second quoted line\n\n!timeline we replied";
        assert_eq!(strip_reply_fallback(body), "!timeline we replied");
        // A reply with only a quote leaves nothing to parse.
        assert_eq!(strip_reply_fallback("> <@a:b> !incident close"), "");
        // A message that merely starts with a quote is left alone.
        assert_eq!(strip_reply_fallback("> not a fallback"), "> not a fallback");
        assert_eq!(strip_reply_fallback("!incident show"), "!incident show");
    }

    #[test]
    fn html_keeps_lines_and_code() {
        assert_eq!(
            lines_to_html("Usage: `!timeline [WHEN] <text>`\n#1 <b>x</b> & y"),
            "Usage: <code>!timeline [WHEN] &lt;text&gt;</code><br>\n#1 &lt;b&gt;x&lt;/b&gt; &amp; y"
        );
        assert_eq!(lines_to_html("a `b"), "a `b");
    }

    #[test]
    fn oversized_content_is_detected_and_cut() {
        let small = RoomMessageEventContent::notice_markdown("# INC-1\n| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(fits(&small));
        let big = "word ".repeat(8_000);
        assert!(!fits(&notice(&big)));
        let c = cut(&big);
        assert!(fits(&notice(&c)));
        assert!(c.ends_with("has everything)"));
    }

    #[test]
    fn long_names_are_cut() {
        let t = truncate(&"x".repeat(600), 255);
        assert_eq!(t.chars().count(), 255);
        assert!(t.ends_with('…'));
    }

    #[test]
    fn links() {
        assert_eq!(
            matrix_to("#inc-1-db:localhost"),
            "https://matrix.to/#/%23inc-1-db:localhost"
        );
    }
}
