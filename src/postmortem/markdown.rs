//! Markdown rendering of the postmortem draft (section order described in the README, "The postmortem draft").

use std::fmt::Write;

use super::html::owners_or_dash;
use super::i18n::Lang;
use super::model::{
    ANALYSIS_SECTIONS, LESSON_SECTIONS, OPENING_SECTIONS, Postmortem, RECORD_SECTIONS, SectionView, capitalized,
    linkable,
};
use super::pieces::{Piece, longest_backtick_run, pieces};

// User text stays text: whatever it holds, it cannot add HTML, links or images to the draft,
// nor start a heading, list, quote, fence, table or code block of its own. Ordinary text is
// left as it is; only what would act gets a backslash. A fenced block the user wrote is shown
// as a code block of ours (re-fenced so nothing inside can close it); its content stays text.

/// Backtick code spans in `chars` (CommonMark: a run of n backticks up to the next run of
/// exactly n), as index ranges. `inline` escapes every backtick outside them and doubles every
/// backslash that could escape one, so a reader pairs the backticks exactly like this.
fn code_spans(chars: &[char]) -> Vec<(usize, usize)> {
    let run = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            i += 1;
            continue;
        }
        let n = run(i);
        let mut j = i + n;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = run(j);
                if m == n {
                    close = Some(j + n);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                spans.push((i, end));
                i = end;
            }
            None => i += n,
        }
    }
    spans
}

/// One line of user text inside a line of ours: raw HTML and autolinks (`<` before a tag or
/// scheme), links, images and reference definitions (`](`, `]:`) and backslash escapes stay
/// text; code spans stay code, and a backtick that opens none is escaped, so no span can
/// reach into the text around; control characters are shown as escapes. In a table `cell`,
/// every `|` and backslash is escaped too (GFM splits cells before anything else). What comes
/// after the line is ours and unknown here, so a trailing `\`, `<` or `]` is escaped.
fn inline(line: &str, cell: bool) -> String {
    let plain = |c: char| !matches!(c, '\\' | '|' | '`' | '<' | ']') && !c.is_control();
    if line.chars().all(plain) {
        return line.to_string();
    }
    let chars: Vec<char> = crate::sanitize::for_terminal(line).chars().collect();
    let mut spans = code_spans(&chars).into_iter().peekable();
    let mut out = String::with_capacity(line.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        if let Some(&(start, end)) = spans.peek()
            && start == i
        {
            for &c in &chars[start..end] {
                match c {
                    '|' if cell => out.push_str("\\|"),
                    '\\' if cell => out.push_str("\\\\"),
                    c => out.push(c),
                }
            }
            spans.next();
            i = end;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let c = chars[i];
        let escape = match c {
            '\\' => cell || next.is_none_or(|n| n.is_ascii_punctuation()),
            '|' => cell,
            '`' => true,
            '<' => next.is_none_or(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')),
            ']' => matches!(next, None | Some('(' | ':')),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

/// How a line of user text must start so that it starts no block: the escaped marker (if
/// any) and the rest. Headings, quotes, bullets, thematic breaks, setext underlines, ordered
/// items, fences and table delimiter rows are caught; indentation was trimmed already.
fn line_start(line: &str) -> (String, &str) {
    let Some(first) = line.chars().next() else {
        return (String::new(), line);
    };
    let after = &line[first.len_utf8()..];
    let only = |set: &[char]| line.chars().all(|c| set.contains(&c) || c == ' ' || c == '\t');
    let spaced = after.is_empty() || after.starts_with([' ', '\t']);
    let escape_first = match first {
        '#' | '>' => true,
        '-' | '+' | '*' => spaced || only(&[first]),
        '_' | '=' => only(&[first]),
        '`' | '~' => after.starts_with(first) && after[1..].starts_with(first),
        _ => false,
    } || (only(&['|', '-', ':']) && line.contains('-'));
    if escape_first {
        return (format!("\\{first}"), after);
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0
        && let Some(rest) = line[digits..].strip_prefix(['.', ')'])
        && (rest.is_empty() || rest.starts_with([' ', '\t']))
    {
        return (format!("{}\\{}", &line[..digits], &line[digits..=digits]), rest);
    }
    (String::new(), line)
}

/// One line of prose: escaped, starting no block of its own.
fn prose_line(out: &mut String, line: &str) {
    let (marker, rest) = line_start(line.trim_start());
    out.push_str(&marker);
    out.push_str(&inline(rest, false));
}

/// A fenced code block of user lines, each line after `indent`. The fence is backticks,
/// longer than any backtick run inside, so no line of the block can close it; control
/// characters are shown as escapes.
fn code_block(out: &mut String, lang: Option<&str>, lines: &[&str], indent: &str) {
    let fence = "`".repeat((longest_backtick_run(lines) + 1).max(3));
    let _ = write!(out, "{fence}{}", lang.unwrap_or(""));
    for line in lines {
        out.push('\n');
        out.push_str(indent);
        out.push_str(&crate::sanitize::for_terminal(line));
    }
    let _ = write!(out, "\n{indent}{fence}");
}

/// User text as the blocks of a paragraph or list item: prose lines escaped and starting no
/// block of their own, fenced code kept as code; lines after the first are indented by
/// `indent` so they stay in their item. `mid_line`: something of ours precedes the text on
/// its first line, so a code block must start on the next one. Returns whether the text
/// ended with a code block (a note after it then needs a line of its own).
pub(super) fn block_into(out: &mut String, text: &str, indent: &str, mid_line: bool) -> bool {
    let mut first = true;
    let mut ends_in_code = false;
    for piece in pieces(text) {
        match piece {
            Piece::Prose(lines) => {
                for line in lines {
                    if !first {
                        out.push('\n');
                        out.push_str(indent);
                    }
                    first = false;
                    prose_line(out, line);
                }
                ends_in_code = false;
            }
            Piece::Code { lang, lines } => {
                if !first || mid_line {
                    out.push('\n');
                    out.push_str(indent);
                }
                first = false;
                code_block(out, lang, &lines, indent);
                ends_in_code = true;
            }
        }
    }
    ends_in_code
}

/// `block_into` as a new string, for text that stands alone.
pub(super) fn block(text: &str, indent: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    block_into(&mut out, text, indent, false);
    out
}

/// A note of ours after user text (`(Alice)`, `_(edited …)_`): on the same line, or on a line
/// of its own in the item when the text ended with a code block.
fn after_text(out: &mut String, ends_in_code: bool, indent: &str, note: &str) {
    if ends_in_code {
        out.push('\n');
        out.push_str(indent);
    } else {
        out.push(' ');
    }
    out.push_str(note);
}

/// One-line user text (a title, a name) inside a line of ours.
pub(super) fn one_line(s: &str) -> String {
    inline(&crate::domain::single_line(s), false)
}

/// User text inside a Markdown table cell: line breaks become `<br>` (a table row is one
/// line; fences are shown as the text they are).
pub(super) fn cell(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(|line| inline(line, true))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// A cell with a value of ours before user text: the user's `~` escaped too, so it cannot
/// pair with the `~` of an approximate time and strike it through.
pub(super) fn cell_after_ours(s: &str) -> String {
    cell(s).replace('~', "\\~")
}

fn section(out: &mut String, level: &str, s: &SectionView, pm: &Postmortem) {
    // A custom section's title and own prompt are the team's text: escaped like user text.
    let custom = s.custom.then(|| {
        let prompt = if s.generic_prompt {
            s.prompt.clone()
        } else {
            one_line(&s.prompt)
        };
        (one_line(&s.heading), prompt)
    });
    let (heading, prompt) = match &custom {
        Some((h, p)) => (h.as_str(), p.as_str()),
        None => (s.heading.as_str(), s.prompt.as_str()),
    };
    let _ = writeln!(out, "{level} {heading}\n");
    if let Some(p) = &s.prefilled {
        let _ = writeln!(out, "{}\n", block(p, ""));
    }
    if s.items.is_empty() {
        if s.prefilled.is_none() {
            let _ = writeln!(out, "_{prompt}_\n");
        }
        return;
    }
    for item in &s.items {
        if s.list {
            out.push_str("- ");
            let code = block_into(out, &item.text, "  ", false);
            after_text(out, code, "  ", &format!("({})", one_line(&item.by.name)));
            out.push('\n');
        } else {
            let _ = writeln!(out, "{}\n", block(&item.text, ""));
        }
    }
    if s.list {
        out.push('\n');
    }
    if let Some(note) = pm.replaced_note(s, Lang::EN) {
        let _ = writeln!(out, "_({})_\n", cell(&note));
    }
}

/// The metadata table: severity, status, roles, milestones, durations, impact, services.
fn metadata(out: &mut String, pm: &Postmortem) {
    out.push_str("| | |\n|---|---|\n");
    let _ = writeln!(out, "| Severity | {} |", pm.severity_label);
    let _ = writeln!(out, "| Status | {} |", pm.status);
    if pm.roles.is_empty() {
        out.push_str("| Commander | _not assigned (`incident lead @user`)_ |\n");
    }
    for r in &pm.roles {
        let _ = writeln!(out, "| {} | {} |", cell(&capitalized(&r.role)), cell(&r.who));
    }
    for m in &pm.milestones {
        let _ = writeln!(out, "| {} | {} |", capitalized(&m.name), pm.show_milestone(m));
    }
    for d in &pm.durations {
        let _ = writeln!(out, "| {} | {} |", d.label, cell(&d.shown()));
    }
    impact(out, pm);
    let services = if pm.services.is_empty() {
        "_none recorded (`incident affects ...`)_".to_string()
    } else {
        cell(&pm.services.join(", "))
    };
    let _ = writeln!(out, "| Affected services | {services} |");
    if pm.alert_count > 0 {
        let _ = writeln!(out, "| Alerts | {} |", pm.alert_count);
    }
    let people = |p: &[String]| p.iter().map(|x| cell(x)).collect::<Vec<_>>().join(", ");
    if !pm.authors.is_empty() {
        let _ = writeln!(out, "| Authors | {} |", people(&pm.authors));
    }
    if !pm.reviewers.is_empty() {
        let _ = writeln!(out, "| Reviewers | {} |", people(&pm.reviewers));
    }
    if !pm.authors.is_empty() || !pm.reviewers.is_empty() || pm.review_status.as_str() != "draft" {
        let _ = writeln!(
            out,
            "| Review status | {} |",
            Lang::EN.t(&format!("review-{}", pm.review_status))
        );
    }
    out.push('\n');
}

/// A row per impact window and their total.
fn impact(out: &mut String, pm: &Postmortem) {
    if pm.impact_windows.is_empty() {
        out.push_str("| Impact windows | _none recorded (`incident impact START..END [note]`)_ |\n");
    }
    for w in &pm.impact_windows {
        let note = w
            .note
            .as_deref()
            .map(|n| format!(": {}", cell_after_ours(n)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| Impact window | {} ({}){note} |",
            pm.show_moment(&w.moment()),
            w.duration()
        );
    }
    if let Some(total) = pm.total_impact(Lang::EN) {
        let _ = writeln!(out, "| Total impact | {total} |");
    }
}

/// The timeline as a list, one item per event: its moment (with date and zone), who, and
/// the text, whose further lines and code blocks stay inside the item.
fn timeline(out: &mut String, pm: &Postmortem) {
    let _ = writeln!(out, "## Timeline\n");
    let mut rows = pm.story().peekable();
    if rows.peek().is_none() {
        out.push_str("_No entries yet (`timeline [WHEN] <text>`)_\n\n");
        return;
    }
    let _ = writeln!(out, "_Times in {}._\n", pm.timezone);
    for row in rows {
        let _ = write!(
            out,
            "- **{}** — {}: ",
            pm.show_moment(&row.moment()),
            one_line(&row.author.name)
        );
        let code = block_into(out, &row.text, "  ", true);
        if let Some(n) = pm.edited_note(row) {
            after_text(out, code, "  ", &format!("_({})_", one_line(&n)));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// A ticket: an autolink when it is a safe `http(s)` URL, else its escaped text.
pub(super) fn ticket(t: &str) -> String {
    if linkable(t) { format!("<{t}>") } else { cell(t) }
}

fn actions(out: &mut String, pm: &Postmortem) {
    let _ = writeln!(out, "## Action items\n");
    let shown = pm.draft_actions();
    if shown.is_empty() {
        out.push_str("_No follow-up actions yet (`action <text> [@owner]`)_\n\n");
        return;
    }
    out.push_str("| # | Action | Status | Owners | Due | Type | Ticket |\n|---|---|---|---|---|---|---|\n");
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    for a in shown {
        let f = &a.fields;
        let edited = pm
            .action_edited_note(a, Lang::EN)
            .map(|n| format!(" _({})_", cell(&n)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {}{edited} | {} | {} | {} | {} | {} |",
            a.n,
            cell(&f.text),
            if a.is_open() { "open" } else { "done" },
            cell(&owners_or_dash(&f.owners)),
            or_dash(f.due.map(|d| d.format("%Y-%m-%d").to_string())),
            or_dash(f.kind.as_deref().map(cell)),
            or_dash(f.ticket.as_deref().map(ticket)),
        );
    }
    out.push('\n');
}

pub fn render(pm: &Postmortem) -> String {
    let mut out = String::with_capacity(4096 + pm.timeline.len() * 96);
    let _ = writeln!(out, "# {}: {}\n", pm.id, one_line(&pm.title));
    metadata(&mut out, pm);
    for key in OPENING_SECTIONS {
        if let Some(s) = pm.section(key) {
            section(&mut out, "##", s, pm);
        }
    }
    timeline(&mut out, pm);
    for key in ANALYSIS_SECTIONS {
        if let Some(s) = pm.section(key) {
            section(&mut out, "##", s, pm);
        }
    }
    for s in &pm.custom_sections {
        section(&mut out, "##", s, pm);
    }
    actions(&mut out, pm);
    let _ = writeln!(out, "## Lessons learned\n");
    for key in LESSON_SECTIONS {
        if let Some(s) = pm.section(key) {
            section(&mut out, "###", s, pm);
        }
    }
    for key in RECORD_SECTIONS {
        if let Some(s) = super::context::record_sections(pm, key).filter(|s| !s.items.is_empty()) {
            section(&mut out, "##", &s, pm);
        }
    }
    let _ = writeln!(
        out,
        "---\n_Draft generated by warroom at {}. Time to detect = started → detected; to acknowledge = detected → acknowledged; to mitigate and to resolve = started → mitigated / resolved.{}_",
        pm.show_time(pm.generated_at),
        if pm.any_approximate() {
            " A `~` marks a time or duration known only approximately."
        } else {
            ""
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_only_what_would_act() {
        let cases = [
            ("## Root causes", "\\## Root causes"),
            ("  > quoted", "\\> quoted"),
            ("- item", "\\- item"),
            ("-5 degrees", "-5 degrees"),
            ("1. first", "1\\. first"),
            ("3.5 GB", "3.5 GB"),
            ("**bold** start", "**bold** start"),
            ("---", "\\---"),
            ("a | b", "a | b"),
            ("--- | ---", "\\--- | ---"),
            ("```sh", "\\`\\`\\`sh"),
            ("<img src=x>", "\\<img src=x>"),
            ("a < b > c & d", "a < b > c & d"),
            ("[x](javascript:y)", "[x\\](javascript:y)"),
            ("[ref]: javascript:y", "[ref\\]: javascript:y"),
            ("[prod] is down", "[prod] is down"),
            ("`<b>` stays code", "`<b>` stays code"),
            ("it`s", "it\\`s"),
            ("C:\\path", "C:\\path"),
            ("\\<b>", "\\\\\\<b>"),
            ("ends with \\", "ends with \\\\"),
            ("bell\u{7}", "bell\\u{7}"),
        ];
        for (input, want) in cases {
            assert_eq!(block(input, ""), want, "{input:?}");
        }
        assert_eq!(block("a\r\n# b\rc", "  "), "a\n  \\# b\n  c");
        assert_eq!(cell("a|b\\c\nd `x|y`"), "a\\|b\\\\c<br>d `x\\|y`");
        assert_eq!(one_line("DB down\n## Root causes"), "DB down ## Root causes");
    }
}
