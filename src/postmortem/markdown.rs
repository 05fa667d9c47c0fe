//! Markdown rendering of the postmortem draft (section order described in the README, "The postmortem draft").

use std::fmt::Write;

use super::model::{Postmortem, SectionView};

// User text stays text: whatever it holds, it cannot add HTML, links or images to the draft,
// nor start a heading, list, quote, fence, table or code block of its own. Ordinary text is
// left as it is; only what would act gets a backslash.

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

/// User text as the lines of a paragraph or list item: each line escaped, starting no block
/// of its own, continuation lines indented by `indent` so they stay in their item.
fn block(text: &str, indent: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + 8);
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        let (marker, rest) = line_start(line.trim_start());
        out.push_str(&marker);
        out.push_str(&inline(rest, false));
    }
    out
}

/// One-line user text (a title, a name) inside a line of ours.
fn one_line(s: &str) -> String {
    inline(&crate::domain::single_line(s), false)
}

/// User text inside a Markdown table cell: line breaks become `<br>`.
fn cell(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(|line| inline(line, true))
        .collect::<Vec<_>>()
        .join("<br>")
}

fn section(out: &mut String, level: &str, s: &SectionView, pm: &Postmortem) {
    let _ = writeln!(out, "{level} {}\n", s.heading);
    if let Some(p) = &s.prefilled {
        let _ = writeln!(out, "{}\n", block(p, ""));
    }
    if s.items.is_empty() {
        if s.prefilled.is_none() {
            let _ = writeln!(out, "_{}_\n", s.prompt);
        }
        return;
    }
    for item in &s.items {
        if s.list {
            let _ = writeln!(out, "- {} ({})", block(&item.text, "  "), one_line(&item.by.name));
        } else {
            let _ = writeln!(out, "{}\n", block(&item.text, ""));
        }
    }
    if s.list {
        out.push('\n');
    }
    if let Some(note) = pm.replaced_note(s) {
        let _ = writeln!(out, "_({})_\n", cell(&note));
    }
}

pub fn render(pm: &Postmortem) -> String {
    let mut out = String::with_capacity(4096 + pm.timeline.len() * 96);
    let _ = writeln!(out, "# {}: {}\n", pm.id, one_line(&pm.title));
    out.push_str("| | |\n|---|---|\n");
    let _ = writeln!(out, "| Severity | {} |", pm.severity_label);
    let _ = writeln!(out, "| Status | {} |", pm.status);
    if pm.roles.is_empty() {
        out.push_str("| Commander | _not assigned (`incident lead @user`)_ |\n");
    }
    for r in &pm.roles {
        let mut role = r.role.clone();
        if let Some(first) = role.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let _ = writeln!(out, "| {} | {} |", cell(&role), cell(&r.who));
    }
    for m in &pm.milestones {
        let mut name = m.name.clone();
        if let Some(first) = name.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let _ = writeln!(
            out,
            "| {name} | {} |",
            m.at.map_or("—".to_string(), |t| pm.show_time(t))
        );
    }
    for d in &pm.durations {
        let value = d.shown();
        let _ = writeln!(out, "| {} | {} |", d.label, cell(&value));
    }
    let services = if pm.services.is_empty() {
        "_none recorded (`incident affects ...`)_".to_string()
    } else {
        cell(&pm.services.join(", "))
    };
    let _ = writeln!(out, "| Affected services | {services} |");
    if pm.alert_count > 0 {
        let _ = writeln!(out, "| Alerts | {} |", pm.alert_count);
    }
    out.push('\n');

    let by_key = |k: &str| pm.section(k);
    for key in ["summary", "impact"] {
        if let Some(s) = by_key(key) {
            section(&mut out, "##", s, pm);
        }
    }
    let _ = writeln!(out, "## Timeline\n");
    if pm.timeline.is_empty() {
        out.push_str("_No entries yet (`timeline [WHEN] <text>`)_\n\n");
    } else {
        let _ = writeln!(out, "| Time ({}) | Who | What |\n|---|---|---|", pm.timezone);
        for row in &pm.timeline {
            let edited = pm
                .edited_note(row)
                .map(|n| format!(" _({})_", cell(&n)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {}{} |",
                pm.show_time(row.at),
                cell(&crate::domain::single_line(&row.author.name)),
                cell(&row.text),
                edited
            );
        }
        out.push('\n');
    }
    for key in ["root-cause", "trigger", "resolution", "detection"] {
        if let Some(s) = by_key(key) {
            section(&mut out, "##", s, pm);
        }
    }
    let _ = writeln!(out, "## Action items\n");
    if pm.actions.is_empty() {
        out.push_str("_No follow-up actions yet (`action <text> [@owner]`)_\n\n");
    } else {
        out.push_str("| # | Action | Owner |\n|---|---|---|\n");
        for a in &pm.actions {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                a.n,
                cell(&a.fields.text),
                cell(&crate::postmortem::html::owners_or_dash(&a.fields.owners))
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Lessons learned\n");
    for key in ["went-well", "went-wrong", "lucky"] {
        if let Some(s) = by_key(key) {
            section(&mut out, "###", s, pm);
        }
    }
    let _ = writeln!(
        out,
        "---\n_Draft generated by warroom at {}. Time to detect = started → detected; to acknowledge = detected → acknowledged; to mitigate and to resolve = started → mitigated / resolved._",
        pm.show_time(pm.generated_at)
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
