//! HTML rendering of the postmortem draft: a standalone page, all user text escaped.

use std::fmt::Write;

use super::model::{Postmortem, SectionView};

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

fn section(out: &mut String, tag: &str, s: &SectionView, pm: &Postmortem) {
    let _ = writeln!(out, "<{tag}>{}</{tag}>", esc(&s.heading));
    if let Some(p) = &s.prefilled {
        let _ = writeln!(out, "<p>{}</p>", esc(p));
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
                esc(&i.text),
                esc(&i.by.name)
            );
        }
        out.push_str("</ul>\n");
    } else {
        for i in &s.items {
            let _ = writeln!(out, "<p>{}</p>", esc(&i.text));
        }
    }
    if let Some(note) = pm.replaced_note(s) {
        let _ = writeln!(out, "<p class=\"by\">({})</p>", esc(&note));
    }
}

pub fn render(pm: &Postmortem) -> String {
    let mut out = String::with_capacity(8192 + pm.timeline.len() * 160);
    let title = format!("{}: {}", pm.id, pm.title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<style>\nbody{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}\ntable{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}}\n.prompt{{color:#777}}.by{{color:#777;font-size:.9em}}\n</style>\n</head>\n<body>\n<h1>{t}</h1>\n<table class=\"meta\">\n",
        t = esc(&title)
    );
    let row = |out: &mut String, k: &str, v: &str| {
        let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    };
    row(&mut out, "Severity", &pm.severity_label);
    row(&mut out, "Status", pm.status.as_str());
    for r in &pm.roles {
        row(&mut out, &r.role, &r.who);
    }
    for m in &pm.milestones {
        row(&mut out, &m.name, &m.at.map_or("—".into(), |t| pm.show_time(t)));
    }
    for d in &pm.durations {
        let v = d.shown();
        row(&mut out, &d.label, &v);
    }
    row(
        &mut out,
        "Affected services",
        &if pm.services.is_empty() {
            "—".into()
        } else {
            pm.services.join(", ")
        },
    );
    out.push_str("</table>\n");
    for key in ["summary", "impact"] {
        if let Some(s) = pm.section(key) {
            section(&mut out, "h2", s, pm);
        }
    }
    out.push_str("<h2>Timeline</h2>\n");
    let _ = writeln!(
        out,
        "<table class=\"timeline\">\n<tr><th>Time ({})</th><th>Who</th><th>What</th></tr>",
        esc(&pm.timezone)
    );
    for r in &pm.timeline {
        let edited = pm
            .edited_note(r)
            .map(|n| format!(" <span class=\"by\">({})</span>", esc(&n)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}{edited}</td></tr>",
            esc(&pm.show_time(r.at)),
            esc(&r.author.name),
            esc(&r.text)
        );
    }
    out.push_str("</table>\n");
    for key in ["root-cause", "trigger", "resolution", "detection"] {
        if let Some(s) = pm.section(key) {
            section(&mut out, "h2", s, pm);
        }
    }
    out.push_str("<h2>Action items</h2>\n");
    if pm.actions.is_empty() {
        out.push_str("<p class=\"prompt\"><em>No follow-up actions yet.</em></p>\n");
    } else {
        out.push_str("<table class=\"actions\">\n<tr><th>#</th><th>Action</th><th>Owner</th></tr>\n");
        for a in &pm.actions {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                a.n,
                esc(&a.fields.text),
                esc(&owners_or_dash(&a.fields.owners))
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("<h2>Lessons learned</h2>\n");
    for key in ["went-well", "went-wrong", "lucky"] {
        if let Some(s) = pm.section(key) {
            section(&mut out, "h3", s, pm);
        }
    }
    let _ = writeln!(
        out,
        "<hr>\n<p class=\"by\">Draft generated by warroom at {}.</p>\n</body>\n</html>",
        esc(&pm.show_time(pm.generated_at))
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
