//! The YAML front matter at the top of the Markdown export (`id`, `title`, `severity`,
//! `status`, dates, `authors`, `review_status`, `lang`), so MkDocs, Hugo, Jekyll and
//! Docusaurus take the file as it is. Every string is a YAML double-quoted scalar, so no
//! title (`:`, quotes, `#`, a leading `-` or `[`, line breaks) can change the YAML's shape.

use std::fmt::Write;

use super::context::Record;
use super::i18n::Lang;
use super::model::Postmortem;

/// `s` as a YAML double-quoted scalar: JSON string escaping (valid YAML), plus `\u` escapes
/// for the characters YAML does not allow unescaped in a document (DEL, C1 controls but
/// NEL, surrogates and U+FFFE/U+FFFF), for bidi controls and line separators, and for what
/// Markdown would act on (`<`, `>`, `&`, `[`, `]`, a backtick), so a viewer that shows the
/// front matter as Markdown shows it as text. A YAML reader gets the same value.
fn quoted(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}' | '<' | '>' | '&' | '[' | ']' | '`')
        {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".into();
    }
    let quoted: Vec<String> = items.iter().map(|i| quoted(i)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The front matter block, `---` lines included, followed by a blank line.
pub fn front_matter(pm: &Postmortem, lang: Lang) -> String {
    let record = Record::of(pm);
    let at = |name: &str| {
        pm.milestones
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| m.at)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    let date = |v: Option<String>| v.map_or_else(|| "null".to_string(), |v| quoted(&v));
    let first = ["started", "detected", "acknowledged"].iter().find_map(|m| at(m));
    let mut out = String::from("---\n");
    let _ = writeln!(out, "id: {}", quoted(&pm.id));
    let _ = writeln!(out, "title: {}", quoted(&format!("{}: {}", pm.id, pm.title)));
    let _ = writeln!(out, "severity: {}", quoted(pm.severity.as_str()));
    let _ = writeln!(out, "status: {}", quoted(pm.status.as_str()));
    let _ = writeln!(out, "date: {}", date(first));
    for m in &pm.milestones {
        let _ = writeln!(out, "{}: {}", m.name, date(at(&m.name)));
    }
    let _ = writeln!(
        out,
        "generated_at: {}",
        quoted(&pm.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    let _ = writeln!(out, "authors: {}", list(&record.authors));
    let _ = writeln!(out, "reviewers: {}", list(&record.reviewers));
    let _ = writeln!(out, "review_status: {}", date(record.review_status));
    let _ = writeln!(out, "lang: {}", quoted(lang.code()));
    out.push_str("---\n\n");
    out
}
