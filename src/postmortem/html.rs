//! HTML rendering of the postmortem draft: a standalone page, all user text escaped.

use std::fmt::Write;

use super::model::{Postmortem, SectionView, capitalized, linkable};
use super::pieces::{Piece, pieces};

/// Escape text for HTML element content and attribute values.
pub(crate) fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Escaped text with line breaks kept.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (n, line) in s.split('\n').enumerate() {
        if n > 0 {
            out.push_str("<br>");
        }
        escape_into(line, &mut out);
    }
    out
}

/// User text for a cell or list item: prose lines escaped and joined with `<br>`, fenced
/// code blocks as `<pre>`, all of it text.
fn rich(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for piece in pieces(text) {
        match piece {
            Piece::Prose(lines) => {
                for (n, line) in lines.iter().enumerate() {
                    if n > 0 {
                        out.push_str("<br>");
                    }
                    escape_into(line, &mut out);
                }
            }
            Piece::Code { lang, lines } => {
                out.push_str("<pre><code");
                if let Some(l) = lang {
                    out.push_str(" class=\"language-");
                    escape_into(l, &mut out);
                    out.push('"');
                }
                out.push('>');
                for line in lines {
                    escape_into(line, &mut out);
                    out.push('\n');
                }
                out.push_str("</code></pre>");
            }
        }
    }
    out
}

/// User text as a paragraph (a `div` when it holds a code block, which a `p` cannot).
fn paragraph(text: &str) -> String {
    let r = rich(text);
    if r.contains("<pre>") {
        format!("<div class=\"text\">{r}</div>")
    } else {
        format!("<p>{r}</p>")
    }
}

fn section(out: &mut String, tag: &str, s: &SectionView, pm: &Postmortem) {
    let _ = writeln!(out, "<{tag}>{}</{tag}>", esc(&s.heading));
    if let Some(p) = &s.prefilled {
        let _ = writeln!(out, "{}", paragraph(p));
    }
    if s.items.is_empty() {
        if s.prefilled.is_none() {
            let _ = writeln!(out, "<p class=\"prompt\"><em>{}</em></p>", esc(&s.prompt));
        }
    } else if s.list {
        out.push_str("<ul>\n");
        for i in &s.items {
            let _ = writeln!(
                out,
                "<li>{} <span class=\"by\">({})</span></li>",
                rich(&i.text),
                esc(&i.by.name)
            );
        }
        out.push_str("</ul>\n");
    } else {
        for i in &s.items {
            let _ = writeln!(out, "{}", paragraph(&i.text));
        }
    }
    if let Some(note) = pm.replaced_note(s) {
        let _ = writeln!(out, "<p class=\"by\">({})</p>", esc(&note));
    }
}

fn row(out: &mut String, k: &str, v: &str) {
    let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
}

/// The metadata table: severity, status, roles, milestones, durations, impact, services.
fn metadata(out: &mut String, pm: &Postmortem) {
    out.push_str("<table class=\"meta\">\n");
    row(out, "Severity", &pm.severity_label);
    row(out, "Status", pm.status.as_str());
    if pm.roles.is_empty() {
        row(out, "Commander", "not assigned");
    }
    for r in &pm.roles {
        row(out, &capitalized(&r.role), &r.who);
    }
    for m in &pm.milestones {
        row(out, &capitalized(&m.name), &pm.show_milestone(m));
    }
    for d in &pm.durations {
        row(out, &d.label, &d.shown());
    }
    if pm.impact_windows.is_empty() {
        row(out, "Impact windows", "—");
    }
    for w in &pm.impact_windows {
        let note = w.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
        let value = format!("{} ({}){note}", pm.show_moment(&w.moment()), w.duration());
        row(out, "Impact window", &value);
    }
    if let Some(total) = pm.total_impact() {
        row(out, "Total impact", &total);
    }
    let services = if pm.services.is_empty() {
        "—".into()
    } else {
        pm.services.join(", ")
    };
    row(out, "Affected services", &services);
    if pm.alert_count > 0 {
        row(out, "Alerts", &pm.alert_count.to_string());
    }
    out.push_str("</table>\n");
}

fn timeline(out: &mut String, pm: &Postmortem) {
    out.push_str("<h2>Timeline</h2>\n");
    let _ = writeln!(
        out,
        "<table class=\"timeline\">\n<tr><th>Time ({})</th><th>Who</th><th>What</th></tr>",
        esc(&pm.timezone)
    );
    for r in pm.story() {
        let edited = pm
            .edited_note(r)
            .map(|n| format!(" <span class=\"by\">({})</span>", esc(&n)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}{edited}</td></tr>",
            esc(&pm.show_moment(&r.moment())),
            esc(&r.author.name),
            rich(&r.text)
        );
    }
    out.push_str("</table>\n");
}

/// A ticket: a link when it is a safe `http(s)` URL, else its escaped text.
fn ticket(t: &str) -> String {
    if linkable(t) {
        let t = esc(t);
        format!("<a href=\"{t}\">{t}</a>")
    } else {
        esc(t)
    }
}

fn actions(out: &mut String, pm: &Postmortem) {
    out.push_str("<h2>Action items</h2>\n");
    let shown = pm.draft_actions();
    if shown.is_empty() {
        out.push_str("<p class=\"prompt\"><em>No follow-up actions yet.</em></p>\n");
        return;
    }
    out.push_str(
        "<table class=\"actions\">\n<tr><th>#</th><th>Action</th><th>Status</th><th>Owners</th><th>Due</th><th>Type</th><th>Ticket</th></tr>\n",
    );
    let dash = || "—".to_string();
    for a in shown {
        let f = &a.fields;
        let edited = pm
            .action_edited_note(a)
            .map(|n| format!(" <span class=\"by\">({})</span>", esc(&n)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}{edited}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            a.n,
            rich(&f.text),
            if a.is_open() { "open" } else { "done" },
            esc(&owners_or_dash(&f.owners)),
            f.due.map_or_else(dash, |d| d.format("%Y-%m-%d").to_string()),
            f.kind.as_deref().map_or_else(dash, esc),
            f.ticket.as_deref().map_or_else(dash, ticket),
        );
    }
    out.push_str("</table>\n");
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}\ntable{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}\npre{background:#f6f6f6;padding:.4rem .6rem;overflow-x:auto;margin:.3rem 0}\n.prompt{color:#777}.by{color:#777;font-size:.9em}\n";

pub fn render(pm: &Postmortem) -> String {
    let mut out = String::with_capacity(8192 + pm.timeline.len() * 160);
    let title = esc(&format!("{}: {}", pm.id, pm.title));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    metadata(&mut out, pm);
    for key in ["summary", "impact"] {
        if let Some(s) = pm.section(key) {
            section(&mut out, "h2", s, pm);
        }
    }
    timeline(&mut out, pm);
    for key in ["root-cause", "trigger", "resolution", "detection"] {
        if let Some(s) = pm.section(key) {
            section(&mut out, "h2", s, pm);
        }
    }
    actions(&mut out, pm);
    out.push_str("<h2>Lessons learned</h2>\n");
    for key in ["went-well", "went-wrong", "lucky"] {
        if let Some(s) = pm.section(key) {
            section(&mut out, "h3", s, pm);
        }
    }
    let _ = writeln!(
        out,
        "<hr>\n<p class=\"by\">Draft generated by warroom at {}.{}</p>\n</body>\n</html>",
        esc(&pm.show_time(pm.generated_at)),
        if pm.any_approximate() {
            " A ~ marks a time or duration known only approximately."
        } else {
            ""
        }
    );
    out
}

/// Owners joined with commas, or `—` when nobody owns it.
pub(crate) fn owners_or_dash(owners: &[String]) -> String {
    if owners.is_empty() {
        "—".into()
    } else {
        owners.join(", ")
    }
}
