//! The postmortem draft: a view-model built from an incident and its timeline (metrics,
//! sections, sorted timeline), and its renderers (Markdown, JSON, HTML).

mod format;
mod html;
mod markdown;
mod model;

pub(crate) use html::escape_into;
pub use model::{DurationView, MilestoneView, Postmortem, SectionView, TimelineRow, format_duration};

pub use format::ExportFormat;

/// Render the draft in `format`.
pub fn render(pm: &Postmortem, format: ExportFormat) -> String {
    match format {
        ExportFormat::Markdown => markdown::render(pm),
        ExportFormat::Json => {
            serde_json::to_string_pretty(pm).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
        }
        ExportFormat::Html => html::render(pm),
    }
}

/// File name of an export, e.g. `INC-3-postmortem.md`.
pub fn file_name(pm: &Postmortem, format: ExportFormat) -> String {
    format!("{}-postmortem.{}", pm.id, format.extension())
}

#[cfg(test)]
#[path = "postmortem_tests.rs"]
mod tests;
