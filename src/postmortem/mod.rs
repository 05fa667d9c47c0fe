//! The postmortem draft: a view-model built from an incident and its timeline (metrics,
//! sections, sorted timeline), and its renderers (Markdown, JSON, HTML).

mod format;
mod html;
pub mod i18n;
mod markdown;
mod model;
mod pieces;

pub(crate) use html::escape_into;
pub use model::{
    DurationView, ImpactView, MilestoneView, Postmortem, RoleView, SectionView, TimelineRow, format_duration,
};

pub use format::ExportFormat;

/// Render the draft in `format`.
pub fn render(pm: &Postmortem, format: ExportFormat) -> String {
    match format {
        ExportFormat::Markdown => markdown::render(pm),
        ExportFormat::Json => {
            let json = serde_json::to_string_pretty(pm).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            escape_invisible(&json) + "\n"
        }
        ExportFormat::Html => html::render(pm, i18n::Lang::EN),
    }
}

/// JSON with the characters serde_json leaves as they are but a terminal or an editor would
/// act on or hide (C1 controls, bidi overrides and isolates, line and paragraph separators)
/// written as `\uXXXX` escapes: the same JSON value, safe to print anywhere. Such characters
/// only occur inside strings, where the escape is valid.
fn escape_invisible(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if matches!(c, '\u{7f}'..='\u{9f}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// File name of an export, e.g. `INC-3-postmortem.md`.
pub fn file_name(pm: &Postmortem, format: ExportFormat) -> String {
    format!("{}-postmortem.{}", pm.id, format.extension())
}

#[cfg(test)]
#[path = "postmortem_tests.rs"]
mod tests;
