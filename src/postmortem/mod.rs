//! The postmortem draft: a view-model built from an incident and its timeline (metrics,
//! sections, sorted timeline), and its renderers (Markdown, JSON, HTML).

mod context;
mod format;
mod front_matter;
mod html;
pub mod i18n;
mod markdown;
mod model;
mod pieces;
pub mod template;

pub(crate) use html::escape_into;
pub use model::{
    DurationView, ImpactView, MilestoneView, Postmortem, RelatedView, RoleView, SectionView, TimelineRow,
    format_duration,
};

pub use context::CONTEXT_DOC;
pub use format::ExportFormat;
pub use i18n::Lang;
pub use template::{TemplateChoice, TemplateError};

/// A postmortem section a team declared in `[[postmortem.sections]]` (validated by the config).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CustomSection {
    /// The word of `postmortem KEY <text>`.
    pub key: String,
    /// The heading in English (and any language without its own title).
    pub title: String,
    /// Headings per language code (`fr` from `title_fr`, ...).
    pub titles: std::collections::BTreeMap<String, String>,
    /// Each contribution is an item of a bullet list (else paragraphs).
    pub list: bool,
    /// Shown while nobody filled the section.
    pub prompt: Option<String>,
}

impl CustomSection {
    /// The heading in `lang`: its own title if declared, else `title`.
    pub fn title_in(&self, lang: Lang) -> &str {
        self.titles.get(lang.code()).unwrap_or(&self.title)
    }
}

/// The name that picks the configured template back (`postmortem template default`).
pub const DEFAULT_TEMPLATE: &str = "default";

/// How the drafts are rendered: `[postmortem]` in the config (`Settings::postmortem`).
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The template of the Markdown draft.
    pub template: TemplateChoice,
    /// The language of the Markdown and HTML drafts (the JSON export is data, in English).
    pub lang: Lang,
    /// Start the Markdown draft with YAML front matter.
    pub front_matter: bool,
    /// The team's own sections (`[[postmortem.sections]]`), in config order.
    pub custom_sections: Vec<CustomSection>,
}

impl Default for RenderOptions {
    /// The configuration's defaults: the `warroom` template, English, front matter on.
    fn default() -> Self {
        RenderOptions {
            template: TemplateChoice::default(),
            lang: Lang::EN,
            front_matter: true,
            custom_sections: Vec::new(),
        }
    }
}

impl RenderOptions {
    /// These options with an incident's own choices (`postmortem template NAME`,
    /// `postmortem language CODE`) applied: a built-in template name or the configured
    /// template's name, a built-in language. `Err`: a message saying what to use instead.
    pub fn with_overrides(&self, template: Option<&str>, language: Option<&str>) -> Result<RenderOptions, String> {
        let mut out = self.clone();
        // `default` is the configured template, whatever it is (a team's file has a path for
        // a name, which is not shown in chat).
        if let Some(name) = template.map(str::trim)
            && name != self.template.name()
            && name != DEFAULT_TEMPLATE
        {
            out.template = TemplateChoice::builtin(name).ok_or_else(|| {
                let names: Vec<&str> = template::BUILT_INS.iter().map(|(n, _, _)| *n).collect();
                format!(
                    "`{name}` is not a postmortem template; use one of {}, or `{DEFAULT_TEMPLATE}` for the configured one",
                    names.join(", ")
                )
            })?;
        }
        if let Some(code) = language {
            out.lang = code.parse()?;
        }
        Ok(out)
    }
}

/// A rendered draft, and the notice to post when the chosen template failed and the built-in
/// `warroom` template was used instead.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub fallback_notice: Option<String>,
    /// Bytes of YAML front matter at the start of `text` (0 without).
    pub front_matter_len: usize,
}

impl Rendered {
    /// The draft without its front matter: what to post in a chat room.
    pub fn body(&self) -> &str {
        self.text.get(self.front_matter_len..).unwrap_or(&self.text)
    }
}

/// Render the draft in `format` as the chat shows it: English, the `warroom` template, no
/// front matter.
pub fn render(pm: &Postmortem, format: ExportFormat) -> String {
    let options = RenderOptions {
        front_matter: false,
        ..RenderOptions::default()
    };
    render_with(pm, format, &options).text
}

/// Render the draft in `format` with `options`. Markdown goes through the chosen template; if
/// that fails, through the built-in `warroom` template (and `fallback_notice` says so, in the
/// draft's language); should even that fail, through warroom's own Markdown writer, so a
/// record is always produced.
pub fn render_with(pm: &Postmortem, format: ExportFormat, options: &RenderOptions) -> Rendered {
    let lang = options.lang;
    let mut front_matter_len = 0;
    let data = pm;
    let pm = &*pm.in_language(lang);
    let (text, fallback_notice) = match format {
        ExportFormat::Markdown => {
            let (body, notice) = markdown_body(pm, &options.template, lang);
            let text = if options.front_matter {
                let mut text = front_matter::front_matter(pm, lang);
                front_matter_len = text.len();
                text.push_str(&body);
                text
            } else {
                body
            };
            (text, notice)
        }
        ExportFormat::Json => {
            let json = serde_json::to_string_pretty(data).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            (escape_invisible(&json) + "\n", None)
        }
        ExportFormat::Html => (html::render(pm, lang), None),
    };
    Rendered {
        text,
        fallback_notice,
        front_matter_len,
    }
}

/// warroom's own Markdown writer, in English: what the built-in `warroom` template writes,
/// byte for byte (tested). The last resort when even that template fails, and the baseline
/// the template is measured against (`cargo bench --bench render`).
pub fn render_markdown_writer(pm: &Postmortem) -> String {
    markdown::render(pm)
}

fn markdown_body(pm: &Postmortem, template: &TemplateChoice, lang: Lang) -> (String, Option<String>) {
    let failed = match template.render(pm, lang) {
        Ok(text) => return (text, None),
        Err(e) => e,
    };
    let error = crate::domain::single_line(&failed.to_string());
    tracing::warn!(template = template.name(), %error, "postmortem template failed; using the built-in warroom template");
    let notice = lang.fmt("template-fallback", &[("name", template.name()), ("error", &error)]);
    let text = TemplateChoice::default()
        .render(pm, lang)
        .unwrap_or_else(|_| markdown::render(pm));
    (text, Some(notice))
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
