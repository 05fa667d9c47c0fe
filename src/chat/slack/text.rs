//! Slack text: valid channel names from any title, Block Kit announcements, topics, splitting
//! long texts to Slack's limits (40,000 characters and 50 blocks per message), and the one
//! escaping of text for Slack's mrkdwn. Pure functions, unit-tested.
//!
//! Everything the bot composes is plain text; it becomes mrkdwn only where it leaves for
//! Slack (`Api::post`, `Api::respond`, the slash command acknowledgement), by `escape`. So
//! `<!channel>`, `<@U…>` or `<https://…|…>` in a title, an alert or a note is shown, never
//! acted on, and the bot's own formatting uses no `<…>` markup (only `*bold*` and backticks).

use slack_morphism::prelude::{
    SlackActionBlockElement, SlackActionId, SlackActionsBlock, SlackBlock, SlackBlockButtonElement,
    SlackBlockButtonStyle, SlackBlockChoiceItem, SlackBlockConfirmItem, SlackBlockId, SlackBlockMarkDownText,
    SlackBlockPlainText, SlackBlockPlainTextInputElement, SlackBlockPlainTextOnly, SlackBlockStaticSelectElement,
    SlackCallbackId, SlackContextBlock, SlackContextBlockElement, SlackHeaderBlock, SlackInputBlock,
    SlackInputBlockElement, SlackModalView, SlackSectionBlock, SlackView,
};

use crate::domain::Incident;

/// Slack's limit on a channel name.
pub const MAX_CHANNEL_NAME: usize = 80;
/// Slack truncates `text` beyond 40,000 characters; stay below with room for a fence.
pub const MAX_TEXT: usize = 39_000;
/// Slack's limit on blocks per message.
pub const MAX_BLOCKS: usize = 50;

/// The incident's channel name: its slug (`inc-<n>-<slug>`, the same as the Matrix alias,
/// valid for Slack by construction), with `suffix` (2, 3, ...) when the name is taken by
/// someone else; at most 80 characters.
pub fn channel_name(inc: &Incident, suffix: Option<u32>) -> String {
    let tail = suffix.map(|n| format!("-{n}")).unwrap_or_default();
    let head: String = inc.slug.chars().take(MAX_CHANNEL_NAME - tail.len()).collect();
    format!("{}{tail}", head.trim_end_matches('-'))
}

/// Is this a name Slack accepts?
#[cfg(test)]
pub fn valid_channel_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_CHANNEL_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.chars().any(|c| c.is_ascii_alphanumeric())
}

/// Channel topic: severity and status first, kept current by the adapter (Slack caps topics
/// at 250 characters).
pub fn topic(inc: &Incident) -> String {
    let t = format!("{} · {} · {} — {}", inc.id, inc.severity.label(), inc.status, inc.title);
    t.chars().take(250).collect()
}

/// Plain text as Slack's mrkdwn: `&`, `<` and `>` escaped, the only characters Slack's
/// formatting docs say need it (a `<` is what starts a mention, a broadcast or a link).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Text from Slack (a message, an attachment, a slash command's text) as plain text: Slack
/// sends `&`, `<` and `>` typed by people as `&amp;`, `&lt;` and `&gt;`. (Markup such as
/// `<@U…>` stays as it came, and is shown as text when the bot repeats it.)
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Text escaped for mrkdwn, made from plain text only (the slash command acknowledgement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mrkdwn(String);

impl Mrkdwn {
    pub fn from_plain(plain: &str) -> Mrkdwn {
        Mrkdwn(escape(plain))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Block Kit blocks, made only by `announcement_blocks` (mrkdwn parts escaped there; header
/// text is `plain_text`, which Slack shows as it is), typed with slack-morphism's Block Kit
/// model. Kept in the durable outbox as Slack's JSON.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Blocks(Vec<SlackBlock>);

impl Blocks {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn into_blocks(self) -> Vec<SlackBlock> {
        self.0
    }

    /// The blocks as Slack receives them (the card's last shown state is kept as this).
    pub fn json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}

/// The buttons of the incident card: action id, label, and whether it asks to confirm.
pub const BUTTONS: [(&str, &str, bool); 4] = [
    ("warroom.ack", "Acknowledge", false),
    ("warroom.lead", "I'll lead", false),
    ("warroom.resolve", "Resolve", false),
    ("warroom.close", "Close", true),
];

/// `plain_text` that Slack shows as it is (emoji names become emoji).
fn plain(text: impl Into<String>) -> SlackBlockPlainTextOnly {
    SlackBlockPlainText::new(text.into()).with_emoji(true).into()
}

/// The announcement as Block Kit, the incident card: a header, the announcement text, the state
/// (severity, status, lead, the latest update) and the buttons. Updated in place
/// (`chat.update`) as the state changes.
pub fn announcement_blocks(inc: &Incident, announcement: &str, tz: &chrono_tz::Tz) -> Blocks {
    let header: String = format!("🚨 {}: {}", inc.id, inc.title).chars().take(150).collect();
    let body = escape(truncate(announcement, 2900));
    let lead = inc.commander().unwrap_or("nobody yet");
    let mut state = format!(
        "Severity *{}* · status *{}* · lead *{}*",
        inc.severity.label(),
        inc.status,
        escape(truncate(lead, 100))
    );
    if let Some(u) = &inc.last_update {
        state.push_str(&format!(
            " · last update {}: {}",
            crate::domain::fmt_minute(u.at, tz),
            escape(truncate(&crate::domain::single_line(&u.text), 300))
        ));
    }
    let buttons: Vec<SlackActionBlockElement> = BUTTONS
        .iter()
        .filter(|_| !inc.is_closed())
        .map(|(id, label, confirm)| {
            let mut b = SlackBlockButtonElement::new(plain(*label))
                .with_action_id(SlackActionId::new(id.to_string()))
                .with_value(inc.id.to_string());
            if *confirm {
                b = b
                    .with_style(SlackBlockButtonStyle::Danger)
                    .with_confirm(SlackBlockConfirmItem::new(
                        plain(format!("Close {}?", inc.id)),
                        SlackBlockPlainText::new("Closing posts the draft postmortem. It can be reopened.".into())
                            .into(),
                        plain("Close it"),
                        plain("Not yet"),
                    ));
            }
            SlackActionBlockElement::Button(b)
        })
        .collect();
    let mut blocks: Vec<SlackBlock> = vec![
        SlackHeaderBlock::new(plain(header)).into(),
        SlackSectionBlock::new()
            .with_text(SlackBlockMarkDownText::new(body).into())
            .into(),
        SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(SlackBlockMarkDownText::new(
            state,
        ))])
        .into(),
    ];
    if !buttons.is_empty() {
        blocks.push(
            SlackActionsBlock::new(buttons)
                .with_block_id(SlackBlockId::new("warroom.card".into()))
                .into(),
        );
    }
    Blocks(blocks)
}

/// The declare dialog (`/incident declare` without a title), for `views.open`; `channel`: where
/// it was asked for, returned with the submission.
pub fn declare_view(channel: &str) -> SlackView {
    let option = |v: &str, label: &str| SlackBlockChoiceItem::new(SlackBlockPlainTextOnly::from(label), v.to_string());
    let input = |block: &str, label: &str, element: SlackInputBlockElement, optional: bool| -> SlackBlock {
        SlackInputBlock::new(label.into(), element)
            .with_block_id(SlackBlockId::new(block.into()))
            .with_optional(optional)
            .into()
    };
    let text = |max: u64, multiline: bool| {
        let e = SlackBlockPlainTextInputElement::new()
            .with_action_id(SlackActionId::new("value".into()))
            .with_max_length(max);
        SlackInputBlockElement::PlainTextInput(if multiline { e.with_multiline(true) } else { e })
    };
    let severity = SlackBlockStaticSelectElement::new()
        .with_action_id(SlackActionId::new("value".into()))
        .with_initial_option(option("sev3", "SEV3 (minor)"))
        .with_options(vec![
            option("sev1", "SEV1 (critical)"),
            option("sev2", "SEV2 (major)"),
            option("sev3", "SEV3 (minor)"),
            option("sev4", "SEV4 (low)"),
        ]);
    SlackView::Modal(
        SlackModalView::new(
            "Declare an incident".into(),
            vec![
                input("title", "Title", text(150, false), false),
                input(
                    "severity",
                    "Severity",
                    SlackInputBlockElement::StaticSelect(severity),
                    false,
                ),
                input("description", "What is happening?", text(3000, true), true),
                input(
                    "services",
                    "Affected services (comma separated)",
                    text(500, false),
                    true,
                ),
            ],
        )
        .with_callback_id(SlackCallbackId::new(DECLARE_CALLBACK.into()))
        .with_private_metadata(channel.to_string())
        .with_submit("Declare".into())
        .with_close("Cancel".into()),
    )
}

/// The `callback_id` of the declare dialog.
pub const DECLARE_CALLBACK: &str = "warroom.declare";

/// Length of `text` once escaped for Slack (`&` → `&amp;`, `<`/`>` → `&lt;`/`&gt;`): what
/// Slack's limits count, since escaping happens when text leaves.
pub fn sent_len(text: &str) -> usize {
    text.chars().map(escaped_width).sum()
}

fn escaped_width(c: char) -> usize {
    match c {
        '&' => 5,
        '<' | '>' => 4,
        _ => 1,
    }
}

/// The longest prefix of `text` whose escaped length is at most `max` (never cutting an
/// escape in half, since cutting happens before escaping).
pub fn truncate(text: &str, max: usize) -> &str {
    let mut len = 0;
    for (i, c) in text.char_indices() {
        len += escaped_width(c);
        if len > max {
            return &text[..i];
        }
    }
    text
}

/// Split `text` into pieces whose escaped length is at most `max`, at line breaks where
/// possible.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_len = 0;
    for line in text.split_inclusive('\n') {
        let len = sent_len(line);
        if cur_len + len > max && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            cur_len = 0;
        }
        if len > max {
            // One very long line: hard-cut it.
            let mut rest = line;
            while !rest.is_empty() {
                let mut piece = truncate(rest, max);
                if piece.is_empty() {
                    // `max` below one escaped character: take the character anyway.
                    let first = rest.chars().next().map_or(rest.len(), char::len_utf8);
                    piece = &rest[..first];
                }
                out.push(piece.to_string());
                rest = &rest[piece.len()..];
            }
            continue;
        }
        cur.push_str(line);
        cur_len += len;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The draft postmortem as messages that each respect Slack's limits: Markdown in code fences
/// (Slack does not render Markdown tables), first one titled.
pub fn postmortem_messages(id: &str, markdown: &str) -> Vec<String> {
    let parts = split(markdown, MAX_TEXT);
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let head = if n == 1 {
                format!("📝 Draft postmortem of {id} (the .md file follows):\n")
            } else {
                format!("📝 Draft postmortem of {id}, part {}/{n}:\n", i + 1)
            };
            format!("{head}```\n{}\n```", p.trim_end_matches('\n'))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IncidentId, Opening, Person, Source};

    fn incident(title: &str, n: u64) -> Incident {
        let at = chrono::Utc::now();
        Incident::open(Opening {
            source: Source::Slack,
            ..Opening::by_hand(IncidentId(n), title, Person::new("U1", "alice"), at)
        })
        .map(|(i, _)| i)
        .unwrap_or_else(|_| panic!("open {title:?}"))
    }

    #[test]
    fn limits_count_what_is_sent_after_escaping() {
        let angry = "<".repeat(20_000);
        assert_eq!(sent_len(&angry), 80_000);
        let parts = split(&angry, MAX_TEXT);
        assert!(
            parts
                .iter()
                .all(|p| sent_len(p) <= MAX_TEXT && escape(p).chars().count() <= MAX_TEXT)
        );
        assert_eq!(parts.concat(), angry);
        assert_eq!(truncate("a&b", 5), "a");
        assert_eq!(truncate("a&b", 6), "a&");
        assert_eq!(truncate("héllo", 3), "hél");
    }

    #[test]
    fn channel_names_from_ordinary_titles() {
        assert_eq!(
            channel_name(&incident("NDW ETL failed", 1), None),
            "inc-1-ndw-etl-failed"
        );
        assert_eq!(
            channel_name(&incident("DB: 50% CPU!!", 12), Some(2)),
            "inc-12-db-50-cpu-2"
        );
        assert_eq!(channel_name(&incident("!!!???", 3), None), "inc-3");
        assert_eq!(
            channel_name(&incident("Ünïcödé 🚨 down", 4), None),
            "inc-4-unicode-down"
        );
    }

    /// Property: whatever the title (Unicode, emoji, punctuation only, 10k characters), the
    /// name is valid, starts with the incident id and stays valid with a suffix.
    #[test]
    fn channel_names_are_always_valid() {
        let pools: [&[char]; 5] = [
            &['a', 'Z', '0', '9', '-', '_', ' '],
            &['!', '?', '.', ',', ':', ';', '#', '@', '/', '\\', '"', '\'', '-', '_'],
            &['é', 'ß', 'Ж', '中', '文', 'ı', 'İ', 'ﬁ'],
            &['🚨', '🔥', '👩', '\u{200d}', '💻', '\u{0301}', '\u{200b}', '\u{feff}'],
            &['\n', '\t', ' ', '\u{a0}', '\u{2028}'],
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for case in 0..3000 {
            let len = match case % 4 {
                0 => rng.usize(0..5),
                1 => rng.usize(0..100),
                2 => rng.usize(100..1000),
                _ => 10_000,
            };
            let title: String = (0..len)
                .map(|_| {
                    let pool = pools[rng.usize(0..pools.len())];
                    pool[rng.usize(0..pool.len())]
                })
                .collect();
            let n = rng.u64(1..100_000);
            let inc = Incident {
                slug: crate::domain::room_slug(IncidentId(n), &title),
                ..incident("x", n)
            };
            for suffix in [None, Some(2), Some(17)] {
                let name = channel_name(&inc, suffix);
                assert!(valid_channel_name(&name), "{name:?} from {title:?}");
                assert!(name.starts_with(&format!("inc-{n}")), "{name}");
            }
        }
    }

    #[test]
    fn long_texts_split_within_limits() {
        let md: String = (0..5000).map(|i| format!("| row {i} | some text |\n")).collect();
        let msgs = postmortem_messages("INC-1", &md);
        assert!(msgs.len() > 1);
        for m in &msgs {
            assert!(m.chars().count() <= 40_000, "{}", m.len());
        }
        let joined: String = msgs
            .iter()
            .map(|m| {
                let body = m.split_once("```\n").unwrap().1;
                body.strip_suffix("\n```").unwrap().to_string() + "\n"
            })
            .collect();
        assert_eq!(joined, md);
        assert_eq!(
            split(&"x".repeat(25), 10),
            ["x".repeat(10), "x".repeat(10), "x".repeat(5)]
        );
    }

    /// What leaves for Slack shows user text; what came from Slack is read back as typed.
    #[test]
    fn escaping_is_exactly_slacks() {
        let evil = "<!channel> <!here> <@U123> <https://evil.example|re-login here> & more";
        assert_eq!(
            Mrkdwn::from_plain(evil).into_string(),
            "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|re-login here&gt; &amp; more"
        );
        // Only &, < and > change: the bot's own formatting stays.
        let own = "*bold* `code` _it_ ~st~ > quote — 🚨 “x” 'y' \"z\"";
        assert_eq!(escape(own), own.replace('>', "&gt;"));
        // Round trip: Slack's escaping of typed text, undone on the way in, redone on the way out.
        for typed in [evil, "a &lt; b", "&amp;&amp;", "CPU > 90% & rising", "plain"] {
            assert_eq!(unescape(&escape(typed)), typed);
        }
        assert_eq!(unescape("CPU &gt; 90% &amp;lt; x"), "CPU > 90% &lt; x");
    }

    /// The card is Slack's Block Kit JSON, field for field (the format the fake Slack and
    /// Slack's documentation use): built typed, it cannot drift into a shape Slack refuses.
    #[test]
    fn the_card_is_block_kit_json() {
        let inc = incident("disk full", 7);
        let got: serde_json::Value =
            serde_json::from_str(&announcement_blocks(&inc, "Declared by alice", &chrono_tz::UTC).json()).unwrap();
        let plain = |t: &str| serde_json::json!({"type": "plain_text", "text": t, "emoji": true});
        let button = |id: &str, label: &str| serde_json::json!({"type": "button", "action_id": id, "text": plain(label), "value": "INC-7"});
        let mut close = button("warroom.close", "Close");
        close["style"] = "danger".into();
        close["confirm"] = serde_json::json!({
            "title": plain("Close INC-7?"),
            "text": {"type": "plain_text", "text": "Closing posts the draft postmortem. It can be reopened."},
            "confirm": plain("Close it"),
            "deny": plain("Not yet"),
        });
        let want = serde_json::json!([
            {"type": "header", "text": plain("🚨 INC-7: disk full")},
            {"type": "section", "text": {"type": "mrkdwn", "text": "Declared by alice"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Severity *SEV2 (major)* · status *investigating* · lead *nobody yet*"}]},
            {"type": "actions", "block_id": "warroom.card", "elements": [
                button("warroom.ack", "Acknowledge"), button("warroom.lead", "I'll lead"),
                button("warroom.resolve", "Resolve"), close,
            ]},
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn announcement_has_blocks_within_limits() {
        let inc = incident("disk <full> & more", 2);
        let b = announcement_blocks(&inc, "text with <tags>", &chrono_tz::UTC);
        assert!(b.len() <= MAX_BLOCKS);
        let b: serde_json::Value = serde_json::from_str(&b.json()).unwrap();
        assert!(b[1]["text"]["text"].as_str().unwrap().contains("&lt;tags&gt;"));
        // The header is plain_text: shown as it is, so not escaped.
        assert_eq!(b[0]["text"]["text"], "🚨 INC-2: disk <full> & more");
    }
}
