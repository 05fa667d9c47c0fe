//! HTML rendering of the postmortem draft: a standalone page, all user text escaped.

use std::fmt::Write;

use super::i18n::Lang;
use super::model::{
    ANALYSIS_SECTIONS, LESSON_SECTIONS, OPENING_SECTIONS, Postmortem, RECORD_SECTIONS, SectionView, capitalized,
    linkable,
};
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

fn section(out: &mut String, tag: &str, s: &SectionView, pm: &Postmortem, lang: Lang) {
    let (heading, prompt) = pm.heading_and_prompt_of(s, lang);
    let _ = writeln!(out, "<{tag}>{}</{tag}>", esc(&heading));
    if s.prefilled.is_some() {
        let _ = writeln!(out, "{}", paragraph(&pm.detection.text(lang)));
    }
    if s.items.is_empty() {
        if s.prefilled.is_none() {
            let _ = writeln!(out, "<p class=\"prompt\"><em>{}</em></p>", esc(&prompt));
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
    if let Some(note) = pm.replaced_note(s, lang) {
        let _ = writeln!(out, "<p class=\"by\">({})</p>", esc(&note));
    }
}

fn row(out: &mut String, k: &str, v: &str) {
    let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
}

/// The metadata table: severity, status, roles, milestones, durations, impact, services.
fn metadata(out: &mut String, pm: &Postmortem, lang: Lang) {
    out.push_str("<table class=\"meta\">\n");
    row(
        out,
        &lang.t("label-severity"),
        &lang.t(&format!("severity-{}", pm.severity)),
    );
    row(out, &lang.t("label-status"), &lang.t(&format!("status-{}", pm.status)));
    if pm.roles.is_empty() {
        row(out, &lang.t("role-commander"), &lang.t("not-assigned"));
    }
    for r in &pm.roles {
        row(out, &role_label(&r.role, lang), &r.who);
    }
    for m in &pm.milestones {
        row(out, &lang.t(&format!("milestone-{}", m.name)), &pm.show_milestone(m));
    }
    for d in &pm.durations {
        row(out, &lang.t(&format!("metric-{}", d.name)), &d.shown_in(lang));
    }
    if !pm.authors.is_empty() {
        row(out, &lang.t("label-authors"), &pm.authors.join(", "));
    }
    if !pm.reviewers.is_empty() {
        row(out, &lang.t("label-reviewers"), &pm.reviewers.join(", "));
    }
    if !pm.authors.is_empty() || !pm.reviewers.is_empty() || pm.review_status.as_str() != "draft" {
        row(
            out,
            &lang.t("label-review-status"),
            &lang.t(&format!("review-{}", pm.review_status)),
        );
    }
    if pm.impact_windows.is_empty() {
        row(out, &lang.t("label-impact-windows"), "—");
    }
    for w in &pm.impact_windows {
        let note = w.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
        let value = format!("{} ({}){note}", pm.show_moment(&w.moment()), w.duration_in(lang));
        row(out, &lang.t("label-impact-window"), &value);
    }
    if let Some(total) = pm.total_impact(lang) {
        row(out, &lang.t("label-total-impact"), &total);
    }
    let services = if pm.services.is_empty() {
        "—".into()
    } else {
        pm.services.join(", ")
    };
    row(out, &lang.t("label-affected-services"), &services);
    if pm.alert_count > 0 {
        row(out, &lang.t("label-alerts"), &pm.alert_count.to_string());
    }
    out.push_str("</table>\n");
}

fn timeline(out: &mut String, pm: &Postmortem, lang: Lang) {
    let _ = writeln!(out, "<h2>{}</h2>", esc(&lang.t("heading-timeline")));
    let _ = writeln!(
        out,
        "<table class=\"timeline\">\n<tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(&lang.fmt("col-time", &[("zone", &pm.timezone)])),
        esc(&lang.t("col-who")),
        esc(&lang.t("col-what")),
    );
    for r in pm.story() {
        let edited = pm
            .edited_note_in(r, lang)
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

fn actions(out: &mut String, pm: &Postmortem, lang: Lang) {
    let _ = writeln!(out, "<h2>{}</h2>", esc(&lang.t("heading-action-items")));
    let shown = pm.draft_actions();
    if shown.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"prompt\"><em>{}</em></p>",
            esc(&lang.t("actions-empty-html"))
        );
        return;
    }
    out.push_str("<table class=\"actions\">\n<tr><th>#</th>");
    for key in [
        "col-action",
        "col-status",
        "col-owners",
        "col-due",
        "col-type",
        "col-ticket",
    ] {
        let _ = write!(out, "<th>{}</th>", esc(&lang.t(key)));
    }
    out.push_str("</tr>\n");
    let dash = || "—".to_string();
    for a in shown {
        let f = &a.fields;
        let edited = pm
            .action_edited_note(a, lang)
            .map(|n| format!(" <span class=\"by\">({})</span>", esc(&n)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}{edited}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            a.n,
            rich(&f.text),
            esc(&lang.t(if a.is_open() { "action-open" } else { "action-done" })),
            esc(&owners_or_dash(&f.owners)),
            f.due.map_or_else(dash, |d| d.format("%Y-%m-%d").to_string()),
            f.kind.as_deref().map_or_else(dash, esc),
            f.ticket.as_deref().map_or_else(dash, ticket),
        );
    }
    out.push_str("</table>\n");
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}\ntable{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}\npre{background:#f6f6f6;padding:.4rem .6rem;overflow-x:auto;margin:.3rem 0}\n.prompt{color:#777}.by{color:#777;font-size:.9em}\n";

/// `Commander`, or a custom role's name capitalized.
pub(super) fn role_label(role: &str, lang: Lang) -> String {
    let key = format!("role-{role}");
    let label = lang.t(&key);
    if label == key { capitalized(role) } else { label }
}

pub fn render(pm: &Postmortem, lang: Lang) -> String {
    let mut out = String::with_capacity(8192 + pm.timeline.len() * 160);
    let title = esc(&format!("{}: {}", pm.id, pm.title));
    let code = lang.code();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    metadata(&mut out, pm, lang);
    for key in OPENING_SECTIONS {
        if let Some(s) = pm.section(key) {
            section(&mut out, "h2", s, pm, lang);
        }
    }
    timeline(&mut out, pm, lang);
    for key in ANALYSIS_SECTIONS {
        if let Some(s) = pm.section(key) {
            section(&mut out, "h2", s, pm, lang);
        }
    }
    for s in &pm.custom_sections {
        section(&mut out, "h2", s, pm, lang);
    }
    actions(&mut out, pm, lang);
    let _ = writeln!(out, "<h2>{}</h2>", esc(&lang.t("heading-lessons")));
    for key in LESSON_SECTIONS {
        if let Some(s) = pm.section(key) {
            section(&mut out, "h3", s, pm, lang);
        }
    }
    for key in RECORD_SECTIONS {
        if let Some(s) = super::context::record_sections(pm, key).filter(|s| !s.items.is_empty()) {
            section(&mut out, "h2", &s, pm, lang);
        }
    }
    let approximate = if pm.any_approximate() {
        format!(" {}", lang.t("footer-approximate-html"))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "<hr>\n<p class=\"by\">{}{}</p>\n</body>\n</html>",
        esc(&lang.fmt("footer-html", &[("at", &pm.show_time(pm.generated_at))])),
        esc(&approximate)
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
