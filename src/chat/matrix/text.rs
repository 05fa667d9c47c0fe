//! Matrix message text: reply-fallback stripping, the content of every message the bot sends
//! (HTML made by us with user text escaped, `@room` defused, no mentions), Markdown rendered
//! safely, room names, topics and the size limit of one event. Pure functions, unit-tested.

use std::borrow::Cow;

use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

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

/// `@room` (in any case) with a word joiner after the `@`: it looks the same, but no longer
/// matches the push rule that notifies everyone in the room.
pub fn defuse_room_mention(s: &str) -> Cow<'_, str> {
    let at_room = |i: usize| s.get(i + 1..i + 5).is_some_and(|w| w.eq_ignore_ascii_case("room"));
    if !s.match_indices('@').any(|(i, _)| at_room(i)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        out.push(c);
        if c == '@' && at_room(i) {
            out.push('\u{2060}');
        }
    }
    Cow::Owned(out)
}

/// Every message the bot sends is made here: a notice with `plain` as its body and `html`
/// (built by us, user text escaped) as its formatted body, `@room` defused in both, and an
/// empty `m.mentions`, so nothing the bot relays pings anyone.
pub fn content(plain: &str, html: &str) -> RoomMessageEventContent {
    RoomMessageEventContent::notice_html(
        defuse_room_mention(plain).into_owned(),
        defuse_room_mention(html).into_owned(),
    )
    .add_mentions(Mentions::new())
}

/// A bot notice from plain lines, with its HTML body.
pub fn notice(plain: &str) -> RoomMessageEventContent {
    content(plain, &lines_to_html(plain))
}

/// A notice whose body is Markdown (the postmortem draft), its HTML rendered by
/// `markdown_to_html`.
pub fn markdown_notice(markdown: &str) -> RoomMessageEventContent {
    content(markdown, &markdown_to_html(markdown))
}

/// Link targets kept as links; any other (`javascript:`, `data:`, relative) becomes text.
fn safe_link(url: &str) -> bool {
    let url = url.trim_start().to_ascii_lowercase();
    ["https://", "http://", "mailto:"].iter().any(|s| url.starts_with(s))
}

/// Markdown to HTML, safe whatever the Markdown holds: raw HTML is shown as text (only a bare
/// `<br>`, which the draft's table cells use, stays a line break), images become their alt
/// text, and links other than http(s) and mailto become their text.
pub fn markdown_to_html(markdown: &str) -> String {
    let mut links: Vec<bool> = Vec::new();
    let events =
        Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).filter_map(|ev| match ev {
            Event::Html(h) | Event::InlineHtml(h) => {
                let tag = h.trim().to_ascii_lowercase();
                if matches!(tag.as_str(), "<br>" | "<br/>" | "<br />") {
                    Some(Event::InlineHtml(CowStr::Borrowed("<br>")))
                } else {
                    Some(Event::Text(h))
                }
            }
            Event::Start(Tag::HtmlBlock) => Some(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => Some(Event::End(TagEnd::Paragraph)),
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                let keep = safe_link(dest_url);
                links.push(keep);
                keep.then_some(ev)
            }
            Event::End(TagEnd::Link) => links.pop().unwrap_or(false).then_some(ev),
            ev => Some(ev),
        });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
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

    /// Whatever the Markdown holds, the HTML has no tag, attribute or link we did not make.
    #[test]
    fn markdown_html_keeps_user_html_as_text() {
        let md = "# INC-1: <img src=x onerror=alert(1)>\n\n\
                  | a | b |\n|---|---|\n| line 1<br>line 2 | <a href=\"javascript:alert(1)\">re-login</a> |\n\n\
                  <script>alert(1)</script>\n\n\
                  <div onclick=\"x()\">block</div>\n\n\
                  see <img src=\"mxc://evil.example/abc\"> and [re-login](javascript:alert(1)) \
                  and <javascript:alert(2)> and ![pic](mxc://evil.example/def) \
                  and [docs](https://example.org/runbook) and `<b>code</b>`\n";
        let html = markdown_to_html(md);
        for bad in [
            "<img",
            "<script",
            "<a href=\"javascript",
            "<a href=\"mxc",
            "<div",
            "<b>",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        for shown in [
            "&lt;img src=x onerror=alert(1)&gt;",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "&lt;a href=\"javascript:alert(1)\"&gt;re-login&lt;/a&gt;",
            "&lt;div onclick=\"x()\"&gt;block&lt;/div&gt;",
            "re-login and javascript:alert(2) and",
            "pic",
            "<code>&lt;b&gt;code&lt;/b&gt;</code>",
            "line 1<br>line 2",
            "<a href=\"https://example.org/runbook\">docs</a>",
            "<table>",
        ] {
            assert!(html.contains(shown), "{shown} missing from {html}");
        }
    }

    #[test]
    fn nothing_sent_pings_the_room() {
        assert_eq!(
            defuse_room_mention("hi @room and @Room!"),
            "hi @\u{2060}room and @\u{2060}Room!"
        );
        assert!(matches!(
            defuse_room_mention("@alice:example.org roomy"),
            Cow::Borrowed(_)
        ));
        for c in [
            notice("wake up @room <b>now</b>"),
            markdown_notice("| who | what |\n|---|---|\n| x | @ROOM look |"),
            content("plain @room", "<p>html @room</p>"),
        ] {
            let v = serde_json::to_value(&c).unwrap();
            assert_eq!(v["m.mentions"], serde_json::json!({}), "{v}");
            for key in ["body", "formatted_body"] {
                let t = v[key].as_str().unwrap().to_lowercase();
                assert!(!t.contains("@room"), "{key}: {t}");
                assert!(t.contains("@\u{2060}room"), "{key}: {t}");
            }
        }
    }

    #[test]
    fn oversized_content_is_detected_and_cut() {
        let small = markdown_notice("# INC-1\n| a | b |\n|---|---|\n| 1 | 2 |");
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
